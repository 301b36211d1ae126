"""Emit: the statements of a step's request function, `_<step>_request(state)`.

It fills the step's path, query and header parameters and its body from the
run's state (inputs and earlier step outputs) and returns a `_Request`.
"""

from __future__ import annotations

import re

from generator import ir, pysrc
from generator.emit import pyexpr
from generator.emit.imports import Imports
from generator.expressions import InputRef

_PATH_PARAMETER = re.compile(r"\{([^{}]+)\}")


def request_needs(workflow: ir.Workflow, imports: Imports) -> list[str]:
    """Runtime features (templates/runtime/<name>.py.jinja) and imports requests need."""
    del workflow, imports
    return []


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
