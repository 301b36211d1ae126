"""The seeds compile against the public Amazon Connect description too.

`../shared/arazzo-corpus/amazon-connect/` holds the two seed workflows beside the
public OpenAPI description they were written against (41 operations). The test
is skipped when the corpus is not present (set ARAZZO_CORPUS to point at it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from fake_connect import FakeConnect

from generator.pipeline import compile_specs

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("ARAZZO_CORPUS", REPO.parent / "shared" / "arazzo-corpus"))
CASE = CORPUS / "amazon-connect"

pytestmark = pytest.mark.skipif(not CASE.is_dir(), reason=f"corpus not found at {CORPUS}")


def test_seeds_compile_against_the_public_description() -> None:
    result = compile_specs([CASE])

    assert result.diagnostics.error_count == 0, [d.render() for d in result.diagnostics]
    assert sorted(w.workflow_id for w in result.workflows) == [
        "start-chat-and-set-attributes",
        "start-task-and-stop",
    ]
    task = next(w for w in result.workflows if w.workflow_id == "start-task-and-stop")
    assert task.base_url == "https://connect.amazonaws.com"
    assert [(s.method, s.path) for s in task.steps] == [
        ("POST", "/contact/task"),
        ("GET", "/contacts/{InstanceId}/{ContactId}"),
        ("POST", "/contacts/{InstanceId}/{ContactId}/stop"),
    ]
    # The public description does not mark Channel as required, so it may be absent.
    channel = next(o for o in task.outputs if o.name == "channel")
    assert channel.type.annotation() == "Literal['VOICE', 'CHAT', 'TASK', 'EMAIL'] | None"


def test_module_compiled_from_the_public_description_runs(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], connect_server: FakeConnect
) -> None:
    document = CASE / "arazzo" / "amazon-connect-start-task-and-stop-workflow.yml"
    module = compile_workflows(document)["start_task_and_stop"]

    outputs = module.start_task_and_stop(
        instance_id="i", contact_flow_id="f", name="n", base_url=connect_server.base_url
    )

    assert outputs["channel"] == "TASK"
    assert connect_server.contacts[outputs["contact_id"]].stopped
