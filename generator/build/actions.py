"""Build: a step's success and failure actions, with the workflow's as defaults.

The specification makes workflow-level `successActions` / `failureActions`
apply to every step; a step-level action of the same name overrides one, but a
step cannot remove it. So a step's effective list is its own actions, in order,
followed by the workflow's actions it does not override. At run time the first
action whose criteria all hold is taken.

A step that runs a workflow has no HTTP response: a workflow-level action whose
criteria read one (`$statusCode`, `$response...`) can never hold there, so it is
left out of that step's list, with warning AG324. (The step's own actions must not
read one: that is error AG606.)

A goto or retry that names a workflow runs it with this workflow's inputs of the
same names: a goto then ends this workflow, a retry then retries the step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator import ir
from generator.checks import HTTP_ONLY, iter_expressions
from generator.expressions import unparse
from generator.spec import arazzo as spec

if TYPE_CHECKING:
    from generator.build.workflow import WorkflowBuilder


def step_actions(
    builder: WorkflowBuilder,
    workflow: spec.Workflow,
    step: spec.Step,
    *,
    success: bool,
    runs_workflow: bool = False,
) -> tuple[ir.Action, ...]:
    own_entries = step.on_success if success else step.on_failure
    default_entries = workflow.success_actions if success else workflow.failure_actions
    own = _resolve_all(builder, own_entries, success)
    overridden = {action.name for action in own}
    defaults = [
        _compile(builder, a)
        for a in _resolve_all(builder, default_entries, success)
        if a.name not in overridden
    ]
    if runs_workflow:
        defaults = [a for a in defaults if _applies_to_call(builder, step, a, success)]
    return (*(_compile(builder, action) for action in own), *defaults)


def _applies_to_call(
    builder: WorkflowBuilder, step: spec.Step, action: ir.Action, success: bool
) -> bool:
    """Whether a workflow-level action can hold for a step that runs a workflow."""
    found = [e for c in action.criteria for e in iter_expressions(c) if isinstance(e, HTTP_ONLY)]
    if found:
        kind = "successActions" if success else "failureActions"
        builder.diagnostics.warning(
            "AG324",
            action.span,
            f"workflow-level {kind} entry {action.name!r} reads '{unparse(found[0])}', which "
            f"step {step.step_id!r} does not have (it runs a workflow, so it has no HTTP "
            "response): the action does not apply to that step",
            "to act on the workflow's result there, give the step its own action "
            "that reads $outputs.<name>",
        )
    return not found


def _resolve_all(
    builder: WorkflowBuilder, entries: tuple[spec.Action | spec.Reusable, ...], success: bool
) -> list[spec.Action]:
    resolved: list[spec.Action] = []
    for entry in entries:
        action = _resolve(builder, entry, success)
        if action is None:
            continue
        if any(other.name == action.name for other in resolved):
            builder.diagnostics.error(
                "AG320",
                builder.span(entry.ptr),
                f"duplicate action name {action.name!r}",
                "an action list must not name the same action twice",
            )
            continue
        resolved.append(action)
    return resolved


def _resolve(
    builder: WorkflowBuilder, entry: spec.Action | spec.Reusable, success: bool
) -> spec.Action | None:
    if isinstance(entry, spec.Action):
        return entry
    components = builder.document.components
    if success:
        return builder.component(entry, "successActions", components.success_actions)
    return builder.component(entry, "failureActions", components.failure_actions)


def _compile(builder: WorkflowBuilder, action: spec.Action) -> ir.Action:
    span = builder.span(action.ptr)
    if action.type in ("goto", "retry") and action.step_id and action.workflow_id:
        builder.diagnostics.error(
            "AG321",
            span,
            f"action {action.name!r} names both a stepId and a workflowId",
            "stepId and workflowId are mutually exclusive: keep one",
        )
    call = None
    if action.workflow_id is not None and action.type in ("goto", "retry"):
        call = _action_call(builder, action)
    if action.type == "end" and (action.step_id or action.workflow_id):
        builder.diagnostics.warning(
            "AG322",
            span,
            f"end action {action.name!r} names a target, which an end action ignores",
            "remove stepId/workflowId, or use type: goto",
        )
    _check_retry_numbers(builder, action)
    retry_limit = action.retry_limit if action.retry_limit is not None else 1
    return ir.Action(
        name=action.name,
        kind=action.type,
        step_id=action.step_id if action.type != "end" else None,
        criteria=builder.criteria(action.criteria),
        retry_after=action.retry_after if action.type == "retry" else None,
        retry_limit=retry_limit if action.type == "retry" else None,
        span=span,
        call=call,
    )


def _action_call(builder: WorkflowBuilder, action: spec.Action) -> ir.WorkflowCall | None:
    """A goto or retry names a workflow: it runs with this workflow's inputs of the same
    names."""
    from generator.build.calls import call_for_dependency, resolve_callee

    assert action.workflow_id is not None
    pointer = f"{action.ptr}/workflowId"
    callee = resolve_callee(builder, action.workflow_id, pointer, builder.built)
    if callee is None:
        return None
    return call_for_dependency(builder, callee, builder.scope_inputs, pointer, False)


def _check_retry_numbers(builder: WorkflowBuilder, action: spec.Action) -> None:
    span = builder.span(action.ptr)
    if action.retry_after is not None and action.retry_after < 0:
        builder.diagnostics.error(
            "AG323", span, f"retryAfter of {action.name!r} is negative", "use seconds >= 0"
        )
    if action.retry_limit is not None and action.retry_limit < 0:
        builder.diagnostics.error(
            "AG323", span, f"retryLimit of {action.name!r} is negative", "use a count >= 0"
        )
