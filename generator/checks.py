"""Checks: passes over a built workflow's IR that catch broken references.

Each pass reports with the span of the step, parameter, action or output at
fault. A workflow with errors produces no module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

from generator import ir
from generator.diagnostics import Diagnostics, Span
from generator.expressions import (
    And,
    Compare,
    Index,
    InputRef,
    Method,
    Not,
    Or,
    OutputRef,
    Prop,
    RequestRef,
    ResponseRef,
    RuntimeExpr,
    StatusCode,
    StepRef,
    Template,
    Url,
    WorkflowRef,
    unparse,
)

#: Expression roots a generated module can evaluate today.
_SUPPORTED_ROOTS = (StatusCode, ResponseRef, RequestRef, InputRef, StepRef, Url, Method)
_RESPONSE_ROOTS = (StatusCode, ResponseRef, RequestRef, Url)
#: What only a step that sends an HTTP request has (not a step that runs a workflow).
HTTP_ONLY = (*_RESPONSE_ROOTS, Method)
_RUNTIME_TYPES = get_args(RuntimeExpr)


def iter_expressions(node: Any) -> Iterator[RuntimeExpr]:
    """Every runtime expression inside an IR value or a condition tree."""
    if isinstance(node, ir.ObjectValue):
        for _, member in node.members:
            yield from iter_expressions(member)
    elif isinstance(node, ir.ArrayValue):
        for item in node.items:
            yield from iter_expressions(item)
    elif isinstance(node, ir.Criterion):
        yield from iter_expressions(node.condition)
    elif isinstance(node, Template):
        yield from (part for part in node.parts if not isinstance(part, str))
    elif isinstance(node, (Compare, And, Or)):
        yield from iter_expressions(node.left)
        yield from iter_expressions(node.right)
    elif isinstance(node, Not):
        yield from iter_expressions(node.operand)
    elif isinstance(node, (Index, Prop)):
        yield from iter_expressions(node.target)
    elif isinstance(node, _RUNTIME_TYPES):
        yield node


def response_expressions(step: ir.Step) -> Iterator[RuntimeExpr]:
    """The expressions evaluated once a step's response is in: criteria, outputs, actions."""
    holders: list[object] = [*step.success_criteria, *(o.value for o in step.outputs)]
    holders += [c for a in (*step.on_success, *step.on_failure) for c in a.criteria]
    for holder in holders:
        yield from iter_expressions(holder)


def check_workflow(workflow: ir.Workflow, diagnostics: Diagnostics) -> None:
    """The checks of a built workflow. Duplicate stepIds (AG601) and undeclared
    parameters (AG604) are checked while building (`check_step_ids`, `check_params`),
    so they are reported also for a workflow that does not build."""
    _check_gotos(workflow, diagnostics)
    _check_endless_loops(workflow, diagnostics)
    _check_own_outputs(workflow, diagnostics)
    for span, node, when, step in _uses(workflow):
        for expr in iter_expressions(node):
            if isinstance(expr, (OutputRef, WorkflowRef)):
                _check_call_ref(workflow, step, expr, span, diagnostics)
            else:
                _check_expression(workflow, expr, span, when, diagnostics)
                if isinstance(expr, RequestRef) and expr.source == "path" and step is not None:
                    _check_sent_path(step, expr, span, diagnostics)


def _uses(workflow: ir.Workflow) -> Iterator[tuple[Span, Any, str, ir.Step | None]]:
    """Everything that holds expressions: where it is, when it is evaluated, its step."""
    for step in workflow.steps:
        after = "call" if step.call else "response"
        for param in step.params:
            yield param.span, param.value, "request", step
        for _, value in step.call.args if step.call else ():
            yield step.span, value, "request", step
        if step.body is not None:
            yield step.span, step.body.value, "request", step
            for replacement in step.body.replacements:
                yield replacement.span, replacement.value, "request", step
        for criterion in step.success_criteria:
            yield criterion.span, criterion, after, step
        for action in (*step.on_success, *step.on_failure):
            for criterion in action.criteria:
                yield criterion.span, criterion, after, step
        for output in step.outputs:
            yield output.span, output.value, after, step
    for output in workflow.outputs:
        yield output.span, output.value, "workflow", None


def _check_own_outputs(workflow: ir.Workflow, diagnostics: Diagnostics) -> None:
    """A step's outputs are kept once it succeeded: its successCriteria and failure
    actions cannot read them (they would be missing, or those of an earlier run)."""
    for step in workflow.steps:
        criteria = [*step.success_criteria]
        criteria += [c for action in step.on_failure for c in action.criteria]
        for criterion in criteria:
            for expr in iter_expressions(criterion):
                if isinstance(expr, StepRef) and expr.step_id == step.step_id:
                    instead = "$outputs.<name>" if step.call else "$response..., $statusCode"
                    diagnostics.error(
                        "AG613",
                        criterion.span,
                        f"'{unparse(expr)}' reads the outputs of step {step.step_id!r} "
                        "itself, which are kept only once it has succeeded",
                        f"read what the step's outputs read instead ({instead})",
                    )


def check_step_ids(steps: list[tuple[str, Span]], diagnostics: Diagnostics) -> None:
    """AG601 for each step whose stepId an earlier step of the workflow has."""
    seen: set[str] = set()
    for step_id, span in steps:
        if step_id in seen:
            diagnostics.error(
                "AG601",
                span,
                f"duplicate stepId {step_id!r}",
                "stepIds must be unique within a workflow",
            )
        seen.add(step_id)


def _check_gotos(workflow: ir.Workflow, diagnostics: Diagnostics) -> None:
    known = [step.step_id for step in workflow.steps]
    for step in workflow.steps:
        for action in (*step.on_success, *step.on_failure):
            if action.kind == "end":
                continue
            if action.step_id is None and action.kind == "goto" and action.call is None:
                diagnostics.error(
                    "AG602",
                    action.span,
                    f"goto action {action.name!r} names no stepId or workflowId",
                    "add 'stepId' (a step of this workflow) or 'workflowId'",
                )
            elif action.step_id is not None and action.step_id not in known:
                diagnostics.error(
                    "AG603",
                    action.span,
                    f"{action.kind} action {action.name!r} targets unknown step {action.step_id!r}",
                    _steps_hint(workflow),
                )


_END = "\x00end"


def _successors(workflow: ir.Workflow, index: int) -> set[str]:
    """Where a step can go next without failing: action targets, else the next step."""
    step = workflow.steps[index]
    following = workflow.steps[index + 1].step_id if index + 1 < len(workflow.steps) else _END
    found: set[str] = set()
    for action in step.on_success:
        found.add(action.step_id if action.kind == "goto" and action.step_id else _END)
        if not action.criteria:
            return found  # an action without criteria is always taken
    found.add(following)
    for action in step.on_failure:  # a failure action may also lead on
        if action.kind == "goto" and action.step_id:
            found.add(action.step_id)
        elif action.kind == "end" or (action.kind == "goto" and action.call):
            found.add(_END)
    return found


def _check_endless_loops(workflow: ir.Workflow, diagnostics: Diagnostics) -> None:
    """Warn about steps that loop with no way to end but failing or the step budget."""
    known = {s.step_id for s in workflow.steps}
    edges = {  # an unknown target is reported elsewhere; do not call it a loop too
        s.step_id: {t if t in known else _END for t in _successors(workflow, i)}
        for i, s in enumerate(workflow.steps)
    }
    can_end = {_END}
    changed = True
    while changed:
        before = len(can_end)
        can_end |= {step for step, targets in edges.items() if targets & can_end}
        changed = len(can_end) != before
    stuck = [s for s in workflow.steps if s.step_id not in can_end]
    if stuck:
        names = ", ".join(s.step_id for s in stuck)
        diagnostics.warning(
            "AG620",
            stuck[0].span,
            f"step(s) {names} loop with no way to end except failing or running out of "
            "max_steps",
            "add an end action, or a criterion on the goto that eventually stops holding",
        )


def check_params(step: ir.Step, diagnostics: Diagnostics) -> None:
    """AG604 for each parameter of an operation step its operation does not declare."""
    declared = {ir.param_key(*p) for p in step.declared_params}
    for param in step.params:
        if ir.param_key(param.name, param.location) not in declared:
            diagnostics.warning(
                "AG604",
                param.span,
                f"operation {step.operation_id or step.path!r} declares no {param.location} "
                f"parameter {param.name!r}; it is sent anyway",
                "check the name and 'in' against the OpenAPI operation",
            )


def _check_expression(
    workflow: ir.Workflow,
    expr: RuntimeExpr,
    span: Span,
    when: str,
    diagnostics: Diagnostics,
) -> None:
    text = unparse(expr)
    if not isinstance(expr, _SUPPORTED_ROOTS):
        diagnostics.error(
            "AG605",
            span,
            f"runtime expression '{text}' is not supported here yet",
            "use $inputs, $steps.<id>.outputs, $statusCode, $response, $url or $method",
        )
    elif when == "call" and isinstance(expr, StatusCode):  # typically `$statusCode == 200`
        diagnostics.warning(
            "AG427",
            span,
            "this step runs a workflow, so it gets no response of its own; '$statusCode' is "
            "read as the status code of the last response that workflow got",
            "the step already fails when its workflow fails (that workflow's own "
            "successCriteria decide): drop a criterion like '$statusCode == 200'",
        )
    elif when == "call" and isinstance(expr, HTTP_ONLY):
        diagnostics.error(
            "AG606",
            span,
            f"'{text}' has no value here: this step runs a workflow, so it sends no HTTP "
            "request and gets no response",
            "read what the workflow returned as $outputs.<name> (declare it among that "
            "workflow's outputs)",
        )
    elif isinstance(expr, _RESPONSE_ROOTS) and when != "response":
        diagnostics.error(
            "AG606",
            span,
            f"'{text}' has no value here: there is no response yet",
            "read response values in successCriteria, actions or step outputs",
        )
    elif isinstance(expr, InputRef) and expr.name not in {i.name for i in workflow.inputs}:
        declared = ", ".join(i.name for i in workflow.inputs) or "none"
        diagnostics.error(
            "AG607",
            span,
            f"'{text}' names undeclared input {expr.name!r}",
            f"declare it under the workflow's inputs.properties (declared: {declared})",
        )
    elif isinstance(expr, StepRef):
        _check_step_ref(workflow, expr, text, span, diagnostics)


def _check_sent_path(step: ir.Step, expr: RequestRef, span: Span, diagnostics: Diagnostics) -> None:
    """`$request.path.<name>` reads a path parameter the step sends (in style label or
    matrix, not exploded: its value is the text after the style's `.` or `;name=`)."""
    if step.call is not None:
        return  # AG606: a workflow step sends no request
    sent = {p.name: p for p in step.params if p.location == "path"}
    param = sent.get(expr.name)
    if param is None:
        diagnostics.error(
            "AG605",
            span,
            f"'{unparse(expr)}': step {step.step_id!r} sends no path parameter {expr.name!r}",
            f"its path parameters: {', '.join(sorted(sent)) or 'none'}",
        )
    elif param.style != "simple" and param.explode:
        diagnostics.error(
            "AG605",
            span,
            f"'{unparse(expr)}' reads a path parameter in style {param.style!r} with "
            "explode: true, which is not supported here yet",
            "read the value the step sent from where it came from ($inputs..., $steps...)",
        )


def _check_call_ref(
    workflow: ir.Workflow,
    step: ir.Step | None,
    expr: OutputRef | WorkflowRef,
    span: Span,
    diagnostics: Diagnostics,
) -> None:
    """`$outputs.x` in a workflow step; `$workflows.<dependency>.outputs.x` anywhere."""
    text = unparse(expr)
    if isinstance(expr, OutputRef):
        call = step.call if step else None
        available = call.output_keys if call else None
        what = f"workflow {call.workflow_id!r}" if call else "this place"
    else:
        call = next((c for c in workflow.depends_on if c.workflow_id == expr.workflow_id), None)
        available = call.output_keys if call and expr.field == "outputs" else None
        what = f"dependency {expr.workflow_id!r}"
    if available is None:
        diagnostics.error(
            "AG611",
            span,
            f"'{text}' has no value here",
            "$outputs.<name> reads the outputs of the workflow a step runs; "
            "$workflows.<id>.outputs.<name> needs <id> in dependsOn",
        )
    elif expr.name not in available:
        diagnostics.error(
            "AG612",
            span,
            f"'{text}': {what} has no output {expr.name!r}",
            f"its outputs: {', '.join(available) or 'none'}",
        )


def _check_step_ref(
    workflow: ir.Workflow,
    expr: StepRef,
    text: str,
    span: Span,
    diagnostics: Diagnostics,
) -> None:
    step = next((s for s in workflow.steps if s.step_id == expr.step_id), None)
    if step is None:
        diagnostics.error(
            "AG608",
            span,
            f"'{text}' names unknown step {expr.step_id!r}",
            _steps_hint(workflow),
        )
    elif expr.field != "outputs":
        diagnostics.error(
            "AG609",
            span,
            f"'{text}': a step exposes only its outputs",
            f"write '$steps.{expr.step_id}.outputs.<name>'",
        )
    elif expr.name not in {o.name for o in step.outputs}:
        defined = ", ".join(o.name for o in step.outputs) or "none"
        diagnostics.error(
            "AG610",
            span,
            f"'{text}': step {expr.step_id!r} defines no output {expr.name!r}",
            f"outputs of step {expr.step_id!r}: {defined}",
        )


def _steps_hint(workflow: ir.Workflow) -> str:
    known = ", ".join(step.step_id for step in workflow.steps)
    return f"steps of workflow {workflow.workflow_id!r}: {known}"
