"""Emit: the statements of a step's request function, `_<step>_request(state)`.

It fills the step's parameters and body from the run's state (inputs and earlier
step outputs) and returns a `_Request`. Each parameter calls the runtime helper of
its OpenAPI style (`_segment`, `_label`, `_matrix`, `_form`, `_delimited`,
`_deep_object`, `_header`, `_cookie`); the body comes from `emit.body`.
"""

from __future__ import annotations

import re

from generator import ir, pysrc
from generator.build.requests import is_json_media
from generator.checks import response_expressions
from generator.emit import pyexpr
from generator.emit.body import body_lines, body_needs, filled
from generator.emit.imports import Imports
from generator.expressions import RequestRef

_PATH_PARAMETER = re.compile(r"\{([^{}]+)\}")
_DEFAULT_STYLES = ("simple", "form")


def request_needs(workflow: ir.Workflow, imports: Imports) -> list[str]:
    """Runtime features (templates/runtime/<name>.py.jinja) and imports requests need."""
    optional = frozenset(i.name for i in workflow.inputs if not i.required)
    features: set[str] = set()
    for step in workflow.steps:
        for param in step.params:
            if (
                param.location == "cookie"
                or param.media_type is not None
                or param.allow_reserved
                or param.style not in _DEFAULT_STYLES
            ):
                features.add("params")
        if step.body is not None:
            features |= body_needs(step.body, optional, imports)
    return sorted(features)


def request_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    lines: list[str] = []
    args = [pysrc.literal(step.method), _path(step, names)]
    query = [_query(p, names) for p in step.params if p.location == "query"]
    if query:
        args.append(f"query=[{', '.join(query)}]")
    headers = [
        f"{pysrc.literal(p.name)}: {_header(p, names)}"
        for p in step.params
        if p.location == "header"
    ]
    if headers:
        args.append(f"headers={{{', '.join(headers)}}}")
    cookies = [_cookie(p, names) for p in step.params if p.location == "cookie"]
    if cookies:
        args.append(f"cookies=[{', '.join(cookies)}]")
    if step.body is not None:
        lines, body_args = body_lines(step.body, names)
        args += body_args
    read = _sent_path_names(step)
    if read:
        segments = {p.name: _sent_segment(p, step, names) for p in step.params if p.name in read}
        pairs = ", ".join(f"{pysrc.literal(n)}: {v}" for n, v in sorted(segments.items()))
        args.append(f"path_values={{{pairs}}}")
    return [*lines, f"return _Request({', '.join(args)})"]


def _sent_path_names(step: ir.Step) -> set[str]:
    """The path parameters the step's response-time expressions read back."""
    return {
        e.name
        for e in response_expressions(step)
        if isinstance(e, RequestRef) and e.source == "path"
    }


# -- parameters ------------------------------------------------------------------------


def _value(param: ir.Param, names: pyexpr.Names) -> str:
    """The parameter's value; a template is None (left out) when one of its values is."""
    source = filled(param.value, names)
    if param.media_type is None:
        return source
    if is_json_media(param.media_type):
        return f"_json_value({source})"
    return f"_text_value({source}, {pysrc.literal(param.name)})"  # a text/* type


def _sent_segment(param: ir.Param, step: ir.Step, names: pyexpr.Names) -> str:
    """A path parameter's text as `$request.path.<name>` reads it: its segment without
    the `.` (label) or `;name=` (matrix) that the style puts in front."""
    call = _segment_call(param, step, names)
    if param.style == "label":
        return f"{call}[1:]"
    if param.style == "matrix":
        return f'{call}.partition("=")[2]'
    return call


def _segment_call(param: ir.Param, step: ir.Step, names: pyexpr.Names) -> str:
    """The call that serializes a path parameter into its (encoded) part of the path."""
    helper = {"label": "_label", "matrix": "_matrix"}.get(param.style, "_segment")
    args = [_value(param, names), pysrc.literal(param.name), pysrc.literal(step.step_id)]
    if param.explode:
        args.append("explode=True")
    return f"{helper}({', '.join(args)})"


def _path(step: ir.Step, names: pyexpr.Names) -> str:
    params = {p.name: p for p in step.params if p.location == "path"}
    pieces = []
    position = 0
    for match in _PATH_PARAMETER.finditer(step.path):
        if match.start() > position:
            pieces.append(pysrc.literal(step.path[position : match.start()]))
        pieces.append(_segment_call(params[match.group(1)], step, names))
        position = match.end()
    if position < len(step.path) or not pieces:
        pieces.append(pysrc.literal(step.path[position:]))
    return " + ".join(pieces)


def _query(param: ir.Param, names: pyexpr.Names) -> str:
    args = [pysrc.literal(param.name), _value(param, names)]
    if param.style == "spaceDelimited":
        helper, args = "_delimited", [*args, pysrc.literal("%20")]
    elif param.style == "pipeDelimited":
        helper, args = "_delimited", [*args, pysrc.literal("%7C")]
    elif param.style == "deepObject":
        helper = "_deep_object"
    else:
        helper = "_form"
        if not param.explode:
            args.append("explode=False")
    if param.allow_reserved:
        args.append("quote_value=_quote_reserved")
    return f"{helper}({', '.join(args)})"


def _header(param: ir.Param, names: pyexpr.Names) -> str:
    args = [_value(param, names), pysrc.literal(param.name)]
    if param.explode:
        args.append("explode=True")
    return f"_header({', '.join(args)})"


def _cookie(param: ir.Param, names: pyexpr.Names) -> str:
    args = [pysrc.literal(param.name), _value(param, names)]
    if not param.explode:
        args.append("explode=False")
    return f"_cookie({', '.join(args)})"
