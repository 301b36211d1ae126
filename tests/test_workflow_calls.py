"""Behaviour: steps that run other workflows, and `dependsOn`, over real HTTP against a
scripted server on 127.0.0.1, sync and async."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from scripted_server import ScriptedServer, reply
from workflow_runner import run_workflow as run

from generator.pipeline import compile_specs

FIXTURE = Path(__file__).parent / "fixtures" / "behaviour" / "calls.arazzo.yaml"
ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


@pytest.fixture
def modules(compile_workflows: Callable[[Path], dict[str, ModuleType]]) -> dict[str, ModuleType]:
    return compile_workflows(FIXTURE)


@ASYNC
def test_workflow_steps_run_the_called_workflow_with_their_parameters(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {
        "/jobs/a": [reply(200, {"state": "done"})],
        "/jobs/b": [reply(200, {"state": "done"})],
    }
    with ScriptedServer(script) as server:
        outputs = run(
            modules["two_jobs"],
            "two_jobs",
            is_async,
            first="a",
            second="b",
            base_url=server.base_url,
        )
    assert outputs == {"first": "done"}
    assert server.paths() == ["/jobs/a", "/jobs/b"]


def test_an_action_on_the_called_workflows_outputs(modules: dict[str, ModuleType]) -> None:
    script = {"/jobs/a": [reply(200, {"state": "queued"})]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["two_jobs"], "two_jobs", False, first="a", second="b", base_url=server.base_url
        )
    assert outputs == {"first": "queued"}
    assert server.paths() == ["/jobs/a"]  # 'queued' (any case) ends the workflow


def test_the_callers_client_headers_and_params_reach_the_called_workflow(
    modules: dict[str, ModuleType],
) -> None:
    script = {
        "/jobs/a?key=k-1234": [reply(200, {"state": "done"})],
        "/jobs/b?key=k-1234": [reply(200, {"state": "done"})],
    }
    with ScriptedServer(script) as server, httpx.Client() as client:
        run(
            modules["two_jobs"], "two_jobs", False, first="a", second="b",
            base_url=server.base_url, client=client, headers={"X-Trace": "t1"},
            params={"key": "k-1234"},
        )  # fmt: skip
        assert not client.is_closed
    assert [h.get("x-trace") for h in server.headers] == ["t1", "t1"]
    assert server.paths() == ["/jobs/a?key=k-1234", "/jobs/b?key=k-1234"]


@ASYNC
def test_depends_on_runs_first_and_its_outputs_are_readable(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {
        "/token": [reply(200, {"token": "tok-1"})],
        "/jobs/j": [reply(200, {"state": "done"})],
    }
    with ScriptedServer(script) as server:
        outputs = run(
            modules["with_token"], "with_token", is_async, job_id="j", base_url=server.base_url
        )
    assert outputs == {"state": "done", "token": "tok-1"}
    assert server.paths() == ["/token", "/jobs/j"]
    assert server.headers[1]["authorization"] == "Bearer tok-1"


def test_a_failing_dependency_stops_the_workflow(modules: dict[str, ModuleType]) -> None:
    callee = modules["get_token"]
    with ScriptedServer({"/token": [reply(500)]}) as server, pytest.raises(Exception) as caught:
        run(modules["with_token"], "with_token", False, job_id="j", base_url=server.base_url)
    assert type(caught.value).__name__ == "StepFailedError"
    assert caught.value.workflow_id == "get-token"  # type: ignore[attr-defined]
    assert callee.WORKFLOW_ID == "get-token"
    assert server.paths() == ["/token"]


def test_generated_signatures_take_the_callees_inputs(modules: dict[str, ModuleType]) -> None:
    parameters = inspect.signature(modules["two_jobs"].two_jobs).parameters
    assert list(parameters)[:2] == ["first", "second"]


def write_document(tmp_path: Path, workflows: str) -> Path:
    (tmp_path / "jobs.openapi.yaml").write_text((FIXTURE.parent / "jobs.openapi.yaml").read_text())
    document = tmp_path / "bad.arazzo.yaml"
    document.write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: jobs, url: jobs.openapi.yaml, type: openapi}]\n"
        "workflows:\n" + workflows
    )
    return document


STEP = (
    "  steps:\n  - stepId: poll\n    operationId: getJob\n"
    "    parameters: [{name: jobId, in: path, value: x}]\n"
)


@pytest.mark.parametrize(
    ("workflows", "code", "message"),
    [
        (
            "- workflowId: a\n  dependsOn: [b]\n"
            + STEP
            + "- workflowId: b\n  dependsOn: [a]\n"
            + STEP,
            "AG331",
            "workflow 'a' calls or depends on itself",
        ),
        ("- workflowId: a\n  dependsOn: [nope]\n" + STEP, "AG330", "there is no workflow 'nope'"),
        (
            "- workflowId: a\n  steps:\n  - stepId: s\n    workflowId: b\n"
            "    parameters: [{name: wrong, value: 1}]\n"
            "- workflowId: b\n  inputs: {type: object, properties: {x: {type: string}}}\n" + STEP,
            "AG332",
            "workflow 'b' has no input 'wrong'",
        ),
        (
            "- workflowId: a\n  dependsOn: [b]\n"
            + STEP
            + "- workflowId: b\n"
            + "  inputs: {type: object, required: [k], properties: {k: {type: string}}}\n"
            + STEP,
            "AG333",
            "workflow 'b' needs input(s) k",
        ),
        (
            "- workflowId: a\n" + STEP + "  outputs: {x: $workflows.a.outputs.y}\n",
            "AG611",
            "'$workflows.a.outputs.y' has no value here",
        ),
        (  # b becomes a dependency (warning AG424), which has no output y
            "- workflowId: a\n" + STEP + "  outputs: {x: $workflows.b.outputs.y}\n"
            "- workflowId: b\n" + STEP,
            "AG612",
            "'$workflows.b.outputs.y': dependency 'b' has no output 'y'",
        ),
    ],
    ids=["cycle", "unknown", "unknown-input", "missing-input", "itself", "no-such-output"],
)
def test_call_errors_are_reported(tmp_path: Path, workflows: str, code: str, message: str) -> None:
    result = compile_specs([write_document(tmp_path, workflows)], render=False)
    found = [d for d in result.diagnostics if d.code == code]
    assert found, [d.render() for d in result.diagnostics]
    assert message in found[0].message


@ASYNC
def test_goto_a_workflow_runs_it_and_ends_this_one(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {"/jobs/j": [reply(401)], "/token": [reply(200, {"token": "t"})]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["poll_else_token"],
            "poll_else_token",
            is_async,
            job_id="j",
            base_url=server.base_url,
        )
    assert outputs == {}
    assert server.paths() == ["/jobs/j", "/token"]  # the step after poll never ran


def test_a_workflow_of_another_arazzo_document(
    compile_workflows: Callable[[Path], dict[str, ModuleType]],
) -> None:
    """A source of type arazzo: its document is compiled too, and called across packages."""
    modules = compile_workflows(FIXTURE.parent / "uses-calls.arazzo.yaml")
    assert {"get_token", "get_state"} <= set(modules)  # the shared document was compiled too
    caller = modules["get_token"]
    assert caller.__name__.endswith(".uses_calls.get_token")
    with ScriptedServer({"/token": [reply(200, {"token": "shared-1"})]}) as server:
        outputs = caller.get_token(base_url=server.base_url)
    assert outputs == {"token": "shared-1"}
    assert server.paths() == ["/token"]


def test_a_cycle_of_arazzo_sources_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: a, version: '1'}\n"
        "sourceDescriptions: [{name: b, url: b.arazzo.yaml, type: arazzo}]\n"
        "workflows: [{workflowId: a, steps: [{stepId: s, workflowId: $sourceDescriptions.b.b}]}]\n"
    )
    (tmp_path / "b.arazzo.yaml").write_text(
        "arazzo: 1.0.1\ninfo: {title: b, version: '1'}\n"
        "sourceDescriptions: [{name: a, url: a.arazzo.yaml, type: arazzo}]\n"
        "workflows: [{workflowId: b, steps: [{stepId: s, workflowId: $sourceDescriptions.a.a}]}]\n"
    )
    result = compile_specs([tmp_path], render=False)
    assert any(d.code == "AG331" and "leads back" in d.message for d in result.diagnostics)


@ASYNC
def test_reading_an_unlisted_workflow_runs_it_first(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], tmp_path: Path, is_async: bool
) -> None:
    """`$workflows.b.outputs.t` where b is not in dependsOn: its one meaning is that b
    runs first (warning AG424 names the dependsOn to add)."""
    document = write_document(
        tmp_path,
        "- workflowId: a\n  steps:\n  - stepId: poll\n    operationId: getJob\n"
        "    parameters: [{name: jobId, in: path, value: $workflows.b.outputs.t}]\n"
        "    outputs: {state: $response.body#/state}\n"
        "  outputs: {state: $steps.poll.outputs.state}\n"
        "- workflowId: b\n  steps:\n  - stepId: refresh\n    operationId: refreshToken\n"
        "    outputs: {t: $response.body#/token}\n  outputs: {t: $steps.refresh.outputs.t}\n",
    )
    warnings = [d for d in compile_specs([document], render=False).diagnostics if d.code == "AG424"]
    assert [(d.span.line, d.hint) for d in warnings] == [(9, "add it: dependsOn: [b]")]
    module = compile_workflows(document)["a"]
    script = {"/token": [reply(200, {"token": "j7"})], "/jobs/j7": [reply(200, {"state": "ok"})]}
    with ScriptedServer(script) as server:
        outputs = run(module, "a", is_async, base_url=server.base_url)
    assert server.paths() == ["/token", "/jobs/j7"]
    assert outputs == {"state": "ok"}


@ASYNC
def test_plain_text_as_an_output_is_that_text(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], tmp_path: Path, is_async: bool
) -> None:
    """An output written as plain text (no runtime expression) has one meaning: that
    text on every run (warning AG423)."""
    document = write_document(
        tmp_path,
        "- workflowId: a\n  steps:\n  - stepId: refresh\n    operationId: refreshToken\n"
        '  outputs: {note: Done, quoted: "it\'s \\"done\\""}\n',
    )
    found = compile_specs([document], render=False).diagnostics
    assert [(d.code, d.span.line) for d in found] == [("AG423", 9), ("AG423", 9)]
    module = compile_workflows(document)["a"]
    with ScriptedServer({"/token": [reply(200, {"token": "t"})]}) as server:
        outputs = run(module, "a", is_async, base_url=server.base_url)
    assert outputs == {"note": "Done", "quoted": 'it\'s "done"'}
