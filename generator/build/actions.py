"""Build: a step's success and failure actions, with the workflow's as defaults.

The specification makes workflow-level `successActions` / `failureActions`
apply to every step; a step-level action of the same name overrides one, but a
step cannot remove it. So a step's effective list is its own actions, in order,
followed by the workflow's actions it does not override. At run time the first
action whose criteria all hold is taken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator import ir
from generator.spec import arazzo as spec

if TYPE_CHECKING:
    from generator.build.workflow import WorkflowBuilder


def step_actions(
    builder: WorkflowBuilder, workflow: spec.Workflow, step: spec.Step, *, success: bool
) -> tuple[ir.Action, ...]:
    own_entries = step.on_success if success else step.on_failure
    default_entries = workflow.success_actions if success else workflow.failure_actions
    own = _resolve_all(builder, own_entries, success)
    overridden = {action.name for action in own}
    defaults = [
        a for a in _resolve_all(builder, default_entries, success) if a.name not in overridden
    ]
    return tuple(_compile(builder, action) for action in [*own, *defaults])


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
    if action.workflow_id is not None and action.type == "goto":
        call = _goto_call(builder, action)
    elif action.workflow_id is not None and action.type == "retry":
        builder.unsupported(f"{action.ptr}/workflowId", "a retry that runs another workflow first")
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


def _goto_call(builder: WorkflowBuilder, action: spec.Action) -> ir.WorkflowCall | None:
    """A goto to a workflow runs it with this workflow's inputs of the same names."""
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
