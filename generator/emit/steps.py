"""Emit: the statements of a step's two functions, `_<step>_request` and `_<step>_response`.

The request function fills the step's parameters and body from the run's state.
The response function checks the success criteria, stores the step's outputs and
returns the next step: the first matching success action, else the next step in
order (the specification's default). A failed step raises `StepFailedError`.
"""

from __future__ import annotations

import re

from generator import ir, pysrc
from generator.checks import iter_expressions
from generator.emit import pyexpr
from generator.expressions import InputRef, ResponseRef

_PATH_PARAMETER = re.compile(r"\{([^{}]+)\}")
_NOT_2XX = "the step has no successCriteria and the status is not 2xx"


def request_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    lines = []
    args = [pysrc.literal(step.method), _path(step, names)]
    for location, keyword in (("query", "query"), ("header", "headers")):
        members = [(p.name, p.value) for p in step.params if p.location == location]
        if members:
            items = ", ".join(f"{pysrc.literal(k)}: {pyexpr.value(v, names)}" for k, v in members)
            args.append(f"{keyword}={{{items}}}")
    if step.body is not None:
        lines += _body_lines(step.body.value, names)
        args += [f"content_type={pysrc.literal(step.body.content_type)}", "body=body"]
    return [*lines, f"return _Request({', '.join(args)})"]


def _path(step: ir.Step, names: pyexpr.Names) -> str:
    values = {p.name: p.value for p in step.params if p.location == "path"}
    pieces = []
    position = 0
    for match in _PATH_PARAMETER.finditer(step.path):
        if match.start() > position:
            pieces.append(pysrc.literal(step.path[position : match.start()]))
        name = match.group(1)
        value = pyexpr.value(values[name], names)
        pieces.append(f"_segment({value}, {pysrc.literal(name)}, {pysrc.literal(step.step_id)})")
        position = match.end()
    if position < len(step.path) or not pieces:
        pieces.append(pysrc.literal(step.path[position:]))
    return " + ".join(pieces)


def _body_lines(value: ir.Value, names: pyexpr.Names) -> list[str]:
    """`body = ...`, then one `if` per member fed by an optional input.

    An optional input the caller left out is left out of the body, not sent as null.
    """
    if not isinstance(value, ir.ObjectValue):
        return [f"body = {pyexpr.value(value, names)}"]
    lines: list[str] = []
    literal = _object_without_optionals(value, names, (), lines)
    return [f"body: dict[str, Any] = {literal}", *lines]


def _object_without_optionals(
    node: ir.ObjectValue, names: pyexpr.Names, keys: tuple[str, ...], later: list[str]
) -> str:
    members = []
    for key, member in node.members:
        path = (*keys, key)
        if (
            isinstance(member, InputRef)
            and member.pointer is None
            and member.name in names.optional_inputs
        ):
            source = pyexpr.value(member, names)
            target = "body" + "".join(f"[{pysrc.literal(k)}]" for k in path)
            later += [f"if {source} is not None:", f"    {target} = {source}"]
        elif isinstance(member, ir.ObjectValue):
            members.append(
                f"{pysrc.literal(key)}: {_object_without_optionals(member, names, path, later)}"
            )
        else:
            members.append(f"{pysrc.literal(key)}: {pyexpr.value(member, names)}")
    return "{" + ", ".join(members) + "}"


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
            f"if not {pyexpr.condition(criterion.condition, names)}:",
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
    condition = " and ".join(pyexpr.condition(c.condition, names) for c in action.criteria)
    return [comment, f"if {condition}:", f"    return {target}"]


def _default_next(step: ir.Step, names: pyexpr.Names) -> str:
    following = names.next_step.get(step.step_id)
    return pysrc.literal(following) if following is not None else "None"
