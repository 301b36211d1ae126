"""Behaviour: failure actions (retry, goto, end), workflow-level defaults and reusable
actions, over real HTTP against a scripted server on 127.0.0.1, sync and async."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from scripted_server import ScriptedServer, reply
from workflow_runner import Clock, run_workflow

FIXTURE = Path(__file__).parent / "fixtures" / "behaviour" / "failures.arazzo.yaml"


@pytest.fixture
def modules(compile_workflows: Callable[[Path], dict[str, ModuleType]]) -> dict[str, ModuleType]:
    return compile_workflows(FIXTURE)


def run(
    module: ModuleType, name: str, is_async: bool, clock: Clock | None, **arguments: Any
) -> Any:
    return run_workflow(module, name, is_async, clock, **arguments)


ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


@ASYNC
def test_retry_until_success_waits_retry_after(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {"/jobs/7": [reply(503), reply(503), reply(200, {"state": "done"})]}
    clock = Clock()
    with ScriptedServer(script) as server:
        outputs = run(
            modules["poll_job"], "poll_job", is_async, clock, job_id="7", base_url=server.base_url
        )
    assert outputs == {"state": "done"}
    assert server.paths() == ["/jobs/7"] * 3
    assert clock.waits == [0.5, 0.5]


@ASYNC
def test_retry_limit_is_respected_then_the_step_fails(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    module = modules["poll_job"]
    clock = Clock()
    with (
        ScriptedServer({"/jobs/7": [reply(503)]}) as server,
        pytest.raises(module.StepFailedError) as caught,
    ):
        run(module, "poll_job", is_async, clock, job_id="7", base_url=server.base_url)
    assert len(server.requests) == 1 + 3  # the first try and retryLimit retries
    assert clock.waits == [0.5, 0.5, 0.5]
    assert caught.value.status_code == 503
    assert "success criterion not met: $statusCode == 200" in str(caught.value)


def test_retry_after_header_wins_and_is_capped(modules: dict[str, ModuleType]) -> None:
    script = {
        "/jobs/7": [
            reply(503, Retry_After="2"),
            reply(503, Retry_After="3600"),
            reply(200, {"state": "queued"}),
        ]
    }
    clock = Clock()
    with ScriptedServer(script) as server:
        run(
            modules["poll_job"], "poll_job", False, clock,
            job_id="7", base_url=server.base_url, max_retry_delay=10.0,
        )  # fmt: skip
    assert clock.waits == [2.0, 10.0]


@ASYNC
def test_a_step_that_failed_for_good_retries_anew_when_entered_again(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """poll fails after its one retry and goes to check, which sends it back: poll's
    retry budget is fresh then, as it would be after a success."""
    script = {
        "/jobs/7": [reply(503), reply(503), reply(503), reply(200, {"state": "done"})],
        "/fallback": [reply(200, {"state": "again"}), reply(200, {"state": "stop"})],
    }
    clock = Clock()
    with ScriptedServer(script) as server:
        run(
            modules["retry_anew"],
            "retry_anew",
            is_async,
            clock,
            job_id="7",
            base_url=server.base_url,
        )
    assert server.paths() == ["/jobs/7", "/jobs/7", "/fallback", "/jobs/7", "/jobs/7", "/fallback"]
    assert clock.waits == [0.5, 0.5]


@ASYNC
def test_a_step_that_fails_in_a_later_round_has_no_outputs_from_an_earlier_one(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """check succeeds (goto first), then fails and `stop` ends the workflow: its output is
    not the first round's 'again' but an error that says why there is none."""
    module = modules["fresh_outputs"]
    script = {
        "/fallback": [reply(200, {"state": "x"})],
        "/jobs/x": [reply(200, {"state": "again"}), reply(500, {"state": "broken"})],
    }
    with ScriptedServer(script) as server, pytest.raises(module.StepNotRunError) as caught:
        run(module, "fresh_outputs", is_async, None, base_url=server.base_url)
    assert server.paths() == ["/fallback", "/jobs/x", "/fallback", "/jobs/x"]
    assert "step 'check' failed (HTTP 500" in str(caught.value)
    assert "failure action 'stop' ended the workflow" in str(caught.value)


def test_retries_count_against_the_step_budget(modules: dict[str, ModuleType]) -> None:
    module = modules["poll_job"]
    with (
        ScriptedServer({"/jobs/7": [reply(503)]}) as server,
        pytest.raises(module.StepBudgetExceededError),
    ):
        run(module, "poll_job", False, Clock(), job_id="7", base_url=server.base_url, max_steps=2)
    assert len(server.requests) == 2


@ASYNC
def test_goto_on_failure(modules: dict[str, ModuleType], is_async: bool) -> None:
    script = {"/jobs/9": [reply(404)], "/fallback": [reply(200, {"state": "queued"})]}
    with ScriptedServer(script) as server:
        run(modules["fall_back"], "fall_back", is_async, None, job_id="9", base_url=server.base_url)
    assert server.paths() == ["/jobs/9", "/fallback"]


def test_workflow_level_end_action_is_the_default(modules: dict[str, ModuleType]) -> None:
    """A 500 matches no step action; the workflow's `giveUp` (end) applies."""
    with ScriptedServer({"/jobs/9": [reply(500)]}) as server:
        outputs = run(
            modules["fall_back"], "fall_back", False, None, job_id="9", base_url=server.base_url
        )
    assert outputs == {}
    assert server.paths() == ["/jobs/9"]


def test_success_end_action_skips_the_rest(modules: dict[str, ModuleType]) -> None:
    with ScriptedServer({"/jobs/9": [reply(200, {"state": "done"})]}) as server:
        run(modules["fall_back"], "fall_back", False, None, job_id="9", base_url=server.base_url)
    assert server.paths() == ["/jobs/9"]


@ASYNC
def test_retry_runs_the_named_step_first(modules: dict[str, ModuleType], is_async: bool) -> None:
    script = {
        "/jobs/5": [reply(401), reply(200, {"state": "done"})],
        "/token": [reply(200, {"token": "t"})],
    }
    clock = Clock()
    with ScriptedServer(script) as server:
        outputs = run(
            modules["refresh_and_retry"], "refresh_and_retry", is_async, clock,
            job_id="5", base_url=server.base_url,
        )  # fmt: skip
    assert outputs == {"state": "done"}
    assert server.paths() == ["/jobs/5", "/token", "/jobs/5"]
    assert clock.waits == [0.0]


def test_a_second_401_is_not_retried_again(modules: dict[str, ModuleType]) -> None:
    module = modules["refresh_and_retry"]
    script = {"/jobs/5": [reply(401)], "/token": [reply(200, {"token": "t"})]}
    with ScriptedServer(script) as server, pytest.raises(module.StepFailedError):
        run(module, "refresh_and_retry", False, Clock(), job_id="5", base_url=server.base_url)
    assert server.paths() == ["/jobs/5", "/token", "/jobs/5"]


# --- the step a retry runs first: its own actions -------------------------------------

REFRESH_CASES = {
    # its success goto is for the normal flow: after it, the retried step runs again
    "succeeds": ([reply(200, {"token": "t"})], ["/jobs/5", "/token", "/jobs/5"]),
    # its own retry runs it again, then the retried step
    "retried": ([reply(503), reply(200)], ["/jobs/5", "/token", "/token", "/jobs/5"]),
    # its failure `end` ends the workflow: the step is not retried
    "ends": ([reply(403)], ["/jobs/5", "/token"]),
    # its failure `goto` continues there: the step is not retried
    "goes-elsewhere": ([reply(500)], ["/jobs/5", "/token", "/fallback"]),
}


@ASYNC
@pytest.mark.parametrize("case", REFRESH_CASES)
def test_the_step_a_retry_runs_first_keeps_its_failure_actions(
    modules: dict[str, ModuleType], is_async: bool, case: str
) -> None:
    token_replies, paths = REFRESH_CASES[case]
    script = {
        "/jobs/5": [reply(401), reply(200, {"state": "done"})],
        "/token": token_replies,
        "/fallback": [reply(200, {"state": "spare"})],
    }
    with ScriptedServer(script) as server:
        outputs = run(
            modules["refresh_with_actions"], "refresh_with_actions", is_async, Clock(),
            job_id="5", base_url=server.base_url,
        )  # fmt: skip
    assert outputs == {}
    assert server.paths() == paths


@ASYNC
def test_a_retry_naming_its_own_step_runs_it_once_more(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {"/jobs/5": [reply(500), reply(200, {"state": "done"})]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["retry_itself"], "retry_itself", is_async, Clock(),
            job_id="5", base_url=server.base_url,
        )  # fmt: skip
    assert outputs == {}
    assert server.paths() == ["/jobs/5", "/jobs/5"]
