"""Emit: the statements of a step's response function, `_<step>_response(state, response)`.

It checks the success criteria, stores the step's outputs and returns the next
step: the first matching success action, else the next step in order (the
specification's default). A failed step raises `StepFailedError`.
"""

from __future__ import annotations

from generator import ir, pysrc
from generator.checks import iter_expressions
from generator.emit import pyexpr
from generator.expressions import ResponseRef

_NOT_2XX = "the step has no successCriteria and the status is not 2xx"


def response_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    step_id = pysrc.literal(step.step_id)
    lines = []
    if _uses_body(step):
        lines.append("body = _read_body(response)")
    if not step.success_criteria:
        lines += [
            "if not response.is_success:",
            f"    raise StepFailedError({step_id}, response, {pysrc.literal(_NOT_2XX)})",
        ]
    for criterion in step.success_criteria:
        lines += [
            f"if not {pyexpr.criterion(criterion, names)}:",
            f"    raise StepFailedError({step_id}, response, "
            f"{pysrc.literal('success criterion not met: ' + criterion.source)})",
        ]
    if step.outputs:
        items = ", ".join(
            f"{pysrc.literal(o.py_name)}: {_output(step, o, names)}" for o in step.outputs
        )
        lines.append(f"state.{names.steps[step.step_id]} = {{{items}}}")
    for action in step.on_success:
        lines += _action_lines(action, names)
    lines.append(f"return {_default_next(step, names)}")
    return lines


def _uses_body(step: ir.Step) -> bool:
    holders: list[object] = [c.condition for c in step.success_criteria]
    holders += [o.value for o in step.outputs]
    holders += [c.condition for a in step.on_success for c in a.criteria]
    return any(
        isinstance(e, ResponseRef) and e.source == "body"
        for h in holders
        for e in iter_expressions(h)
    )


def _output(step: ir.Step, output: ir.Output, names: pyexpr.Names) -> str:
    value = output.value
    if (
        isinstance(value, ResponseRef)
        and value.source == "body"
        and value.pointer
        and output.required
    ):
        where = pyexpr.tokens(value.pointer)
        return f"_require(body, {where}, {pysrc.literal(step.step_id)}, response)"
    return pyexpr.value(value, names)


def _action_lines(action: ir.Action, names: pyexpr.Names) -> list[str]:
    target = pysrc.literal(action.step_id) if action.kind == "goto" else "None"
    what = f"goto {action.step_id}" if action.kind == "goto" else "end"
    comment = pysrc.comment(f"onSuccess {action.name}: {what}")
    if not action.criteria:
        return [comment, f"return {target}"]
    condition = " and ".join(pyexpr.criterion(c, names) for c in action.criteria)
    return [comment, f"if {condition}:", f"    return {target}"]


def _default_next(step: ir.Step, names: pyexpr.Names) -> str:
    following = names.next_step.get(step.step_id)
    return pysrc.literal(following) if following is not None else "None"
