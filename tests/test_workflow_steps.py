"""Behaviour: steps that run workflows, with success criteria and failure actions, and
retries that run a workflow first, over real HTTP against a scripted server on 127.0.0.1,
sync and async."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from scripted_server import ScriptedServer, reply
from workflow_runner import Clock, run_workflow

from generator.pipeline import compile_specs

FIXTURE = Path(__file__).parent / "fixtures" / "behaviour" / "workflow-steps.arazzo.yaml"
ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
DONE, QUEUED = reply(200, {"state": "done"}), reply(200, {"state": "queued"})


@pytest.fixture
def modules(compile_workflows: Callable[[Path], dict[str, ModuleType]]) -> dict[str, ModuleType]:
    return compile_workflows(FIXTURE)


def run(module: ModuleType, is_async: bool, clock: Clock | None = None, **arguments: Any) -> Any:
    return run_workflow(module, module.__name__.rpartition(".")[2], is_async, clock, **arguments)


def fails(module: ModuleType, is_async: bool, **arguments: Any) -> Exception:
    with pytest.raises(Exception) as caught:
        run(module, is_async, **arguments)
    assert isinstance(caught.value, Exception)
    return caught.value


# --- successCriteria on a workflow step ------------------------------------------------


@ASYNC
def test_success_criteria_hold_on_the_workflows_outputs(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    with ScriptedServer({"/jobs/j": [DONE]}) as server:
        outputs = run(modules["require_done"], is_async, job_id="j", base_url=server.base_url)
    assert outputs == {"state": "done"}
    assert server.requests == [("GET", "/jobs/j")]


@ASYNC
def test_an_unmet_criterion_fails_the_step_with_workflow_step_failed_error(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    module = modules["require_done"]
    with ScriptedServer({"/jobs/j": [QUEUED]}) as server:
        error = fails(module, is_async, job_id="j", base_url=server.base_url)
    assert isinstance(error, module.WorkflowStepFailedError)
    assert isinstance(error, module.WorkflowError)
    assert (error.workflow_id, error.step_id) == ("require-done", "wait")
    assert error.called_workflow_id == "get-state"
    assert error.reason == "success criterion not met: $outputs.state == 'done'"
    assert server.paths() == ["/jobs/j"]


@ASYNC
def test_criteria_are_checked_in_order_and_may_read_inputs(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    module = modules["require_done"]
    with ScriptedServer({"/jobs/skip": [DONE]}) as server:
        error = fails(module, is_async, job_id="skip", base_url=server.base_url)
    assert isinstance(error, module.WorkflowStepFailedError)
    assert "$inputs.jobId != 'skip'" in error.reason
    assert server.paths() == ["/jobs/skip"]  # the workflow ran; then the criteria failed it


@ASYNC
def test_without_failure_actions_the_workflows_error_propagates(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    with ScriptedServer({"/jobs/j": [reply(404)]}) as server:
        error = fails(modules["require_done"], is_async, job_id="j", base_url=server.base_url)
    assert type(error).__name__ == "StepFailedError"
    assert (error.workflow_id, error.step_id) == ("get-state", "poll")  # type: ignore[attr-defined]
    assert error.status_code == 404  # type: ignore[attr-defined]
    assert error is not None and server.paths() == ["/jobs/j"]


def test_the_criteria_error_is_exported_and_documented(modules: dict[str, ModuleType]) -> None:
    module = modules["require_done"]
    assert "WorkflowStepFailedError" in module.__all__
    assert "WorkflowStepFailedError" in (module.require_done.__doc__ or "")
    assert "WorkflowStepFailedError" not in modules["get_state"].__all__


# --- failure actions on a workflow step -----------------------------------------------


@ASYNC
def test_a_retry_runs_the_workflow_again_until_the_criteria_hold(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    clock = Clock()
    with ScriptedServer({"/jobs/j": [QUEUED, QUEUED, DONE]}) as server:
        outputs = run(
            modules["wait_for_job"], is_async, clock, job_id="j", base_url=server.base_url
        )
    assert outputs == {"state": "done"}
    assert server.paths() == ["/jobs/j"] * 3
    assert clock.waits == [0.25, 0.25]  # retryAfter: a workflow step has no Retry-After


@ASYNC
def test_a_retry_stops_at_its_limit_then_the_step_fails(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    module = modules["wait_for_job"]
    clock = Clock()
    with (
        ScriptedServer({"/jobs/j": [QUEUED]}) as server,
        pytest.raises(module.WorkflowStepFailedError) as caught,
    ):
        run(module, is_async, clock, job_id="j", base_url=server.base_url)
    assert caught.value.step_id == "wait"
    assert server.paths() == ["/jobs/j"] * 3  # the first run and retryLimit 2 retries
    assert clock.waits == [0.25, 0.25]


@ASYNC
def test_when_the_workflow_raises_outputs_are_null_to_action_criteria(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """`$outputs.state == 'queued'` does not hold for a workflow that failed: no retry, and
    the workflow's own error propagates."""
    clock = Clock()
    with (
        ScriptedServer({"/jobs/j": [reply(500)]}) as server,
        pytest.raises(Exception) as caught,
    ):
        run(modules["wait_for_job"], is_async, clock, job_id="j", base_url=server.base_url)
    assert type(caught.value).__name__ == "StepFailedError"
    assert caught.value.workflow_id == "get-state"  # type: ignore[attr-defined]
    assert server.paths() == ["/jobs/j"]
    assert clock.waits == []


@ASYNC
def test_a_workflow_that_raises_takes_the_goto_to_a_step(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {"/jobs/j": [reply(404)], "/fallback": [reply(200, {"state": "spare"})]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["state_or_fallback"], is_async, Clock(), job_id="j", base_url=server.base_url
        )
    assert outputs == {}
    assert server.paths() == ["/jobs/j", "/fallback"]


@ASYNC
def test_a_workflow_step_that_succeeds_takes_its_success_action(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    with ScriptedServer({"/jobs/j": [DONE]}) as server:
        outputs = run(
            modules["state_or_fallback"], is_async, Clock(), job_id="j", base_url=server.base_url
        )
    assert outputs == {}
    assert server.paths() == ["/jobs/j"]  # onSuccess end: the fallback step never ran


@ASYNC
def test_a_workflow_level_end_action_applies_to_the_workflow_step(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    with ScriptedServer({"/jobs/j": [reply(404)]}) as server:
        outputs = run(
            modules["state_or_fallback"],
            is_async,
            Clock(),
            job_id="j",
            lenient=True,
            base_url=server.base_url,
        )
    assert outputs == {}
    assert server.paths() == ["/jobs/j"]  # giveUp (workflow-level) ended it


@ASYNC
def test_a_goto_to_a_workflow_on_failure_runs_it_and_ends(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {"/jobs/locked": [reply(403)], "/token": [reply(200, {"token": "t"})]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["state_or_fallback"],
            is_async,
            Clock(),
            job_id="locked",
            base_url=server.base_url,
        )
    assert outputs == {}
    assert server.requests == [("GET", "/jobs/locked"), ("POST", "/token")]


@ASYNC
def test_workflow_level_response_actions_still_apply_to_operation_steps(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    clock = Clock()
    script = {"/jobs/j": [reply(404)], "/fallback": [reply(503), reply(200, {"state": "s"})]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["state_or_fallback"], is_async, clock, job_id="j", base_url=server.base_url
        )
    assert outputs == {}
    assert server.paths() == ["/jobs/j", "/fallback", "/fallback"]  # busy: one retry
    assert clock.waits == [0.0]


def test_a_workflow_level_action_reading_the_response_is_left_out_with_ag324() -> None:
    result = compile_specs([FIXTURE], render=False)
    found = [d for d in result.diagnostics if d.code == "AG324"]
    assert len(found) == 1, [d.render() for d in result.diagnostics]
    assert "'busy'" in found[0].message and "step 'wait'" in found[0].message
    assert found[0].span.pointer == "/workflows/4/failureActions/0"
    assert result.diagnostics.error_count == 0


# --- a retry that runs a workflow first ----------------------------------------------


@ASYNC
def test_a_retry_with_a_workflow_runs_it_then_retries_the_step(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    clock = Clock()
    script = {"/jobs/j": [reply(401), DONE], "/token": [reply(200, {"token": "t"})]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["poll_after_refresh"], is_async, clock, job_id="j", base_url=server.base_url
        )
    assert outputs == {"state": "done"}
    assert server.requests == [("GET", "/jobs/j"), ("POST", "/token"), ("GET", "/jobs/j")]
    assert clock.waits == [0.5]


@ASYNC
def test_a_retry_with_a_workflow_is_bounded_by_its_limit(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    clock = Clock()
    script = {"/jobs/j": [reply(401)], "/token": [reply(200, {"token": "t"})]}
    with ScriptedServer(script) as server:
        error = fails(
            modules["poll_after_refresh"],
            is_async,
            sleep=clock.sleep_async if is_async else clock.sleep,
            job_id="j",
            base_url=server.base_url,
        )
    assert type(error).__name__ == "StepFailedError"
    assert error.workflow_id == "poll-after-refresh"  # type: ignore[attr-defined]
    assert server.paths() == ["/jobs/j", "/token", "/jobs/j", "/token", "/jobs/j"]
    assert clock.waits == [0.5, 0.5]


@ASYNC
def test_a_retry_whose_workflow_fails_raises_that_workflows_error(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {"/jobs/j": [reply(401)], "/token": [reply(500)]}
    with ScriptedServer(script) as server:
        error = fails(
            modules["poll_after_refresh"],
            is_async,
            sleep=Clock().sleep_async if is_async else Clock().sleep,
            job_id="j",
            base_url=server.base_url,
        )
    assert (error.workflow_id, error.step_id) == ("get-token", "refresh")  # type: ignore[attr-defined]
    assert server.paths() == ["/jobs/j", "/token"]


@ASYNC
def test_a_failure_inside_a_nested_call_is_a_failure_of_the_outer_step(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """get-state's error passes through wrapped-state unchanged; the outer step catches
    the error classes of both modules."""
    script = {"/jobs/j": [reply(404)], "/fallback": [reply(200, {"state": "spare"})]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["wrapped_or_fallback"], is_async, job_id="j", base_url=server.base_url
        )
    assert outputs == {}
    assert server.paths() == ["/jobs/j", "/fallback"]


# --- what a called workflow gets from its caller ----------------------------------------


@ASYNC
def test_a_called_workflow_that_retries_waits_with_the_callers_sleep(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """wrapped-busy has no retries of its own, yet takes sleep and max_retry_delay and
    passes them on: the waits of poll-when-busy are recorded, and capped."""
    clock = Clock()
    busy = reply(503, {"state": "busy"})
    with ScriptedServer({"/jobs/j": [busy, busy, DONE]}) as server:
        outputs = run(
            modules["wrapped_busy"],
            is_async,
            clock,
            job_id="j",
            max_retry_delay=0.5,
            base_url=server.base_url,
        )
    assert outputs == {"state": "done"}
    assert server.paths() == ["/jobs/j"] * 3
    assert clock.waits == [0.5, 0.5]  # retryAfter 2, capped by the caller's max_retry_delay


def test_only_workflows_that_retry_or_run_one_that_does_take_sleep(
    modules: dict[str, ModuleType],
) -> None:
    import inspect

    takes = {
        name: "sleep" in inspect.signature(getattr(module, name)).parameters
        for name, module in modules.items()
    }
    assert takes["wrapped_busy"] and takes["poll_when_busy"] and takes["wait_for_job"]
    assert not takes["wrapped_state"] and not takes["get_state"]


# --- $statusCode of a workflow step (AG427) and on_response ---------------------------


@ASYNC
def test_status_code_of_a_workflow_step_is_its_workflows_last_response(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """peek-job succeeds on a 404 too; require-found's `$statusCode == 200` does not."""
    module = modules["require_found"]
    with ScriptedServer({"/jobs/j": [DONE]}) as server:
        outputs = run(module, is_async, job_id="j", base_url=server.base_url)
    assert outputs == {"status": 200}
    with ScriptedServer({"/jobs/gone": [reply(404)]}) as server:
        error = fails(module, is_async, job_id="gone", base_url=server.base_url)
    assert isinstance(error, module.WorkflowStepFailedError)
    assert (error.step_id, error.called_workflow_id) == ("peek", "peek-job")
    assert error.reason == "success criterion not met: $statusCode == 200"
    assert server.paths() == ["/jobs/gone"]


@ASYNC
def test_failure_actions_of_a_workflow_step_read_the_status_its_workflow_failed_on(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """get-state fails on a 503 and on a 404; only `$statusCode >= 503` retries it."""
    module, clock = modules["retry_when_busy"], Clock()
    busy = reply(503, {"state": "busy"})
    with ScriptedServer({"/jobs/j": [busy, DONE]}) as server:
        outputs = run(module, is_async, clock, job_id="j", base_url=server.base_url)
    assert outputs == {"state": "done"}
    assert server.paths() == ["/jobs/j"] * 2
    assert clock.waits == [0.25]
    with ScriptedServer({"/jobs/j": [reply(404)]}) as server:
        error = fails(module, is_async, job_id="j", base_url=server.base_url)
    assert type(error).__name__ == "StepFailedError"
    assert (error.workflow_id, error.status_code) == ("get-state", 404)  # type: ignore[attr-defined]
    assert server.paths() == ["/jobs/j"]


@ASYNC
def test_on_response_sees_every_response_also_of_the_workflows_run(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """wrapped-or-fallback runs wrapped-state, which runs get-state (a 404), then its own
    fallback step: the hook gets both responses with the workflow and step they came to."""
    seen: list[tuple[str, str, int]] = []
    script = {"/jobs/j": [reply(404)], "/fallback": [reply(200, {"state": "spare"})]}
    with ScriptedServer(script) as server:
        run(
            modules["wrapped_or_fallback"],
            is_async,
            job_id="j",
            base_url=server.base_url,
            on_response=lambda workflow, step, response: seen.append(
                (workflow, step, response.status_code)
            ),
        )
    assert seen == [("get-state", "poll", 404), ("wrapped-or-fallback", "fallback", 200)]


def test_status_code_of_a_workflow_step_is_warning_ag427(tmp_path: Path) -> None:
    found = compile_caller(tmp_path, "    successCriteria: [{condition: $statusCode == 200}]\n")
    assert found == [
        (
            "AG427",
            "/workflows/1/steps/0/successCriteria/0",
            "this step runs a workflow, so it gets no response of its own; '$statusCode' is "
            "read as the status code of the last response that workflow got",
        )
    ]


# --- what the criteria of a workflow step cannot read ---------------------------------

CALLEE = (
    "- workflowId: callee\n  steps:\n  - stepId: poll\n    operationId: getJob\n"
    "    parameters: [{name: jobId, in: path, value: x}]\n"
    "    outputs: {state: $response.body#/state}\n"
    "  outputs: {state: $steps.poll.outputs.state}\n"
)


def compile_caller(tmp_path: Path, step: str, callee: str = CALLEE) -> list[tuple[str, str, str]]:
    """Compile a document whose workflow `caller` has one step running `callee`; its
    errors as (code, JSON pointer, message)."""
    (tmp_path / "jobs.openapi.yaml").write_text((FIXTURE.parent / "jobs.openapi.yaml").read_text())
    document = tmp_path / "bad.arazzo.yaml"
    document.write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: jobs, url: jobs.openapi.yaml, type: openapi}]\n"
        "workflows:\n" + callee + "- workflowId: caller\n  steps:\n  - stepId: run\n"
        "    workflowId: callee\n" + step
    )
    result = compile_specs([document], render=False)
    built = ["callee"] if result.diagnostics.error_count else ["callee", "caller"]
    assert [w.workflow_id for w in result.workflows] == built
    return [(d.code, d.span.pointer or "", d.message) for d in result.diagnostics.sorted()]


@pytest.mark.parametrize(
    ("step", "code", "pointer", "message"),
    [
        (
            "    successCriteria: [{condition: $response.header.ETag != null}]\n",
            "AG606",
            "/workflows/1/steps/0/successCriteria/0",
            "'$response.header.ETag' has no value here: this step runs a workflow",
        ),
        (
            "    onFailure: [{name: a, type: end, criteria: [{condition: $method == 'GET'}]}]\n",
            "AG606",
            "/workflows/1/steps/0/onFailure/0/criteria/0",
            "'$method' has no value here",
        ),
        (
            "    outputs: {s: $outputs.state}\n"
            "    successCriteria: [{condition: $steps.run.outputs.s == 'done'}]\n",
            "AG613",
            "/workflows/1/steps/0/successCriteria/0",
            "reads the outputs of step 'run' itself",
        ),
        (
            "    successCriteria: [{condition: $outputs.nope == 1}]\n",
            "AG612",
            "/workflows/1/steps/0/successCriteria/0",
            "workflow 'callee' has no output 'nope'",
        ),
    ],
    ids=["response-header", "method", "own-outputs", "unknown-output"],
)
def test_what_a_workflow_steps_criteria_cannot_read(
    tmp_path: Path, step: str, code: str, pointer: str, message: str
) -> None:
    found = compile_caller(tmp_path, step)
    assert [(c, p) for c, p, _ in found if c.startswith("AG6")] == [(code, pointer)], found
    assert message in next(m for c, _, m in found if c == code)


# --- reusable parameters on a workflow step -------------------------------------------


@ASYNC
def test_reusable_parameters_give_the_workflows_inputs(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """`reference: $components.parameters.jobId` names the callee's input; its `value`
    override wins, and without one the component's own value is used."""
    script = {"/jobs/j1": [DONE], "/jobs/standing": [QUEUED]}
    with ScriptedServer(script) as server:
        outputs = run(
            modules["reusable_arguments"], is_async, job_id="j1", base_url=server.base_url
        )
    assert outputs == {"first": "done", "fixed": "queued"}
    assert server.paths() == ["/jobs/j1", "/jobs/standing"]


COMPONENTS = (
    "components:\n  parameters:\n"
    "    job: {name: jobId, value: a}\n    other: {name: nope, value: b}\n"
)


@pytest.mark.parametrize(
    ("step", "code", "pointer", "message"),
    [
        (
            "    parameters: [{reference: $components.parameters.missing}]\n",
            "AG306",
            "/workflows/1/steps/0/parameters/0",
            "reference '$components.parameters.missing' names no entry of components.parameters",
        ),
        (
            "    parameters: [{reference: $components.parameters.other}]\n",
            "AG332",
            "/workflows/1/steps/0/parameters/0",
            "workflow 'callee' has no input 'nope'",
        ),
        (
            "    parameters: [{reference: $components.parameters.job}, {name: jobId, value: c}]\n",
            "AG312",
            "/workflows/1/steps/0/parameters/1",
            "input 'jobId' of workflow 'callee' is given twice",
        ),
    ],
    ids=["unknown-component", "unknown-input", "given-twice"],
)
def test_bad_parameters_of_a_workflow_step_are_errors_at_their_place(
    tmp_path: Path, step: str, code: str, pointer: str, message: str
) -> None:
    callee = CALLEE.replace(
        "  steps:", "  inputs: {type: object, properties: {jobId: {}}}\n  steps:"
    )
    found = compile_caller(tmp_path, step + COMPONENTS, callee)
    assert [(c, p, m) for c, p, m in found if c == code] == [(code, pointer, message)], found
