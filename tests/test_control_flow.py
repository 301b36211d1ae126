"""Behaviour: success actions (goto, end), the default next step and the step budget.

The fixture `tests/fixtures/behaviour/branching.arazzo.yaml` is compiled at test
time and its modules run against the fake Amazon Connect server, sync and async.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fake_connect import FakeConnect

FIXTURE = Path(__file__).parent / "fixtures" / "behaviour" / "branching.arazzo.yaml"

Compile = Callable[[Path], dict[str, ModuleType]]


def run(module: ModuleType, function: str, is_async: bool, **arguments: Any) -> Any:
    if is_async:
        return asyncio.run(getattr(module, function + "_async")(**arguments))
    return getattr(module, function)(**arguments)


@pytest.fixture
def branching(compile_workflows: Compile) -> dict[str, ModuleType]:
    return compile_workflows(FIXTURE)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_goto_skips_a_step_when_its_criterion_holds(
    branching: dict[str, ModuleType], connect_server: FakeConnect, is_async: bool
) -> None:
    module = branching["skip_when_present"]
    outputs = run(
        module, "skip_when_present", is_async, instance_id="i", base_url=connect_server.base_url
    )

    contact = connect_server.contacts[outputs["contact_id"]]
    paths = [r.path.rsplit("/", 1)[-1] for r in connect_server.requests]
    assert paths == ["task", contact.id, "stop"]  # the note step was skipped
    assert contact.attributes == {} and contact.stopped


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_no_matching_action_runs_the_next_step(
    branching: dict[str, ModuleType], connect_server: FakeConnect, is_async: bool
) -> None:
    connect_server.omit_contact_id = True  # the goto's criterion is now false
    module = branching["skip_when_present"]
    outputs = run(
        module, "skip_when_present", is_async, instance_id="i", base_url=connect_server.base_url
    )

    contact = connect_server.contacts[outputs["contact_id"]]
    paths = [r.path.rsplit("/", 1)[-1] for r in connect_server.requests]
    assert paths == ["task", contact.id, "attributes", "stop"]
    assert contact.attributes == {"note": "the contact had no id"}


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_step_budget_stops_a_goto_loop(
    branching: dict[str, ModuleType], connect_server: FakeConnect, is_async: bool
) -> None:
    connect_server.contacts.clear()
    module = branching["poll_forever"]
    created = _create_task(connect_server)

    with pytest.raises(module.StepBudgetExceededError) as caught:
        run(
            module,
            "poll_forever",
            is_async,
            instance_id="i",
            contact_id=created,
            base_url=connect_server.base_url,
            max_steps=5,
        )

    assert caught.value.step_id == "poll"
    assert len(connect_server.requests) == 1 + 5  # the set-up call, then exactly five polls


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_end_action_returns_before_later_steps(
    branching: dict[str, ModuleType], connect_server: FakeConnect, is_async: bool
) -> None:
    created = _create_task(connect_server)
    module = branching["end_early"]

    outputs = run(
        module,
        "end_early",
        is_async,
        instance_id="i",
        contact_id=created,
        base_url=connect_server.base_url,
    )

    # 'TASK' matched the criterion written as 'task': string comparison ignores case.
    assert outputs == {"channel": "TASK"}
    assert not connect_server.contacts[created].stopped
    assert [r.method for r in connect_server.requests] == ["POST", "GET"]


def _create_task(fake: FakeConnect) -> str:
    import httpx

    response = httpx.post(
        fake.base_url + "/contact/task",
        json={"InstanceId": "i", "ContactFlowId": "f", "Name": "n"},
        timeout=5.0,
    )
    return str(response.json()["ContactId"])


def test_a_goto_loop_without_exit_is_a_generation_time_warning() -> None:
    from generator.pipeline import compile_specs

    result = compile_specs([FIXTURE], render=False)
    loops = [d for d in result.diagnostics if d.code == "AG620"]
    assert [d.message for d in loops] == [
        "step(s) poll loop with no way to end except failing or running out of max_steps"
    ]
    assert loops[0].span.line == 96
    assert result.diagnostics.error_count == 0  # still generated: max_steps bounds it
