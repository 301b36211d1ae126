"""Emit: the statements of a step's request function, `_<step>_request(state)`.

It fills the step's parameters and body from the run's state (inputs and earlier
step outputs) and returns a `_Request`. Each parameter calls the runtime helper of
its OpenAPI style (`_segment`, `_label`, `_matrix`, `_form`, `_delimited`,
`_deep_object`, `_header`, `_cookie`); each body kind its encoder. Payload
replacements are folded into the literal payload here; the ones that need run-time
values (or an optional input that may be left out) become `_replace` calls.
"""

from __future__ import annotations

import re

from generator import ir, pysrc
from generator.build.payloads import replace
from generator.checks import response_expressions
from generator.emit import pyexpr
from generator.emit.imports import Imports
from generator.expressions import InputRef, RequestRef, Template, unparse

_PATH_PARAMETER = re.compile(r"\{([^{}]+)\}")
_DEFAULT_STYLES = ("simple", "form")
_TEXT_KINDS = ("text", "xml", "binary", "form", "multipart")


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
        body = step.body
        if body is None:
            continue
        if body.kind in _TEXT_KINDS:
            features.add("text_body")
        if body.kind == "form":
            features.add("form_body")
            imports.need("urllib.parse", "quote_plus", "urlencode")
        if body.kind == "multipart":
            features.add("multipart")
            imports.need("secrets")
        if _fold(body, optional)[1]:
            features.add("replace")
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
        body_lines, body_args = _body(step.body, names)
        lines += body_lines
        args += body_args
    read = _sent_path_names(step)
    if read:
        segments = {p.name: _segment_call(p, step, names) for p in step.params if p.name in read}
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
    source = _param_value(param.value, names)
    return f"_json_value({source})" if param.media_type is not None else source


def _param_value(node: ir.Value, names: pyexpr.Names) -> str:
    if isinstance(node, Template):
        parts = ", ".join(
            pysrc.literal(p) if isinstance(p, str) else pyexpr.expression(p, names)
            for p in node.parts
        )
        return f"_fill({parts})"
    if isinstance(node, ir.ObjectValue):
        members = (f"{pysrc.literal(k)}: {_param_value(v, names)}" for k, v in node.members)
        return "{" + ", ".join(members) + "}"
    if isinstance(node, ir.ArrayValue):
        return "[" + ", ".join(_param_value(item, names) for item in node.items) + "]"
    return pyexpr.value(node, names)


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


# -- bodies ----------------------------------------------------------------------------


def _fold(body: ir.Body, optional: frozenset[str]) -> tuple[ir.Value, tuple[ir.Replacement, ...]]:
    """The payload with the replacements applied that can be applied now, and the rest.

    Replacements apply in order: from the first that needs run-time values on (a
    pointer through an expression's value, or an optional input that may be left
    out, so the payload keeps what it had), they run when the request is built.
    """
    tree = body.value
    for index, item in enumerate(body.replacements):
        if _optional_input(item.value, optional) is not None:
            return tree, body.replacements[index:]
        folded = replace(tree, item.pointer, item.value)
        if folded is None:
            return tree, body.replacements[index:]
        tree = folded
    return tree, ()


def _optional_input(node: ir.Value, optional: frozenset[str]) -> InputRef | None:
    """The optional input a value is (or is the only value of a template of), if any."""
    candidate: object = node
    if isinstance(node, Template) and len(node.parts) == 1:
        candidate = node.parts[0]
    if isinstance(candidate, InputRef) and candidate.pointer is None:
        return candidate if candidate.name in optional else None
    return None


def _template_with_optional(node: ir.Value, optional: frozenset[str]) -> bool:
    """Whether `node` is a template that embeds an optional input."""
    return isinstance(node, Template) and any(
        isinstance(part, InputRef) and part.name in optional for part in node.parts
    )


def _body(body: ir.Body, names: pyexpr.Names) -> tuple[list[str], list[str]]:
    """The statements that build the body, and the `_Request` arguments that carry it."""
    tree, later = _fold(body, names.optional_inputs)
    content_type = pysrc.literal(body.content_type)
    what = pysrc.literal(
        unparse(tree)
        if not isinstance(tree, (ir.Const, ir.ObjectValue, ir.ArrayValue))
        else "the payload"
    )
    if body.kind == "json" or (body.kind in ("form", "multipart") and not _is_text(tree)):
        lines = _tree_lines(tree, names)
        if later and isinstance(tree, ir.ObjectValue):
            lines.append("body = _jsonable(body)  # a copy the replacements may change")
        elif later:  # a copy: never change what the caller passed in
            lines = [f"body = _jsonable({pyexpr.value(tree, names)})"]
        lines += _replacement_lines(later, names)
        if body.kind == "json":
            if not later and _optional_input(tree, names.optional_inputs) is not None:
                # the whole payload is an optional input: no body when it is left out
                content_type = f"None if body is None else {content_type}"
            return lines, [f"content_type={content_type}", "body=body"]
        if body.kind == "form":
            return lines, [f"content_type={content_type}", f"content=_urlencoded(body, {what})"]
        lines.append(f"content_type, content = _multipart(body, {content_type}, {what})")
        return lines, ["content_type=content_type", "content=content"]
    if _is_expression(tree):
        charset = pysrc.literal(body.charset)
        return [], [
            f"content_type={content_type}",
            f"content=_content({pyexpr.value(tree, names)}, {what}, {charset})",
        ]
    encode = "" if body.charset == "utf-8" else pysrc.literal(body.charset)
    return [f"text = {_text(tree, body.kind, names)}"], [
        f"content_type={content_type}",
        f"content=text.encode({encode})",
    ]


def _is_expression(node: ir.Value) -> bool:
    return not isinstance(node, (ir.Const, ir.ObjectValue, ir.ArrayValue, Template))


def _is_text(node: ir.Value) -> bool:
    return isinstance(node, Template) or (
        isinstance(node, ir.Const) and isinstance(node.value, str)
    )


def _text(node: ir.Value, kind: str, names: pyexpr.Names) -> str:
    """A text body's template: literal text, and each value escaped for the body's kind."""
    if isinstance(node, ir.Const):
        return pysrc.literal(node.value)
    if not isinstance(node, Template):
        raise pyexpr.EmitError(f"a {kind} body cannot be written from {node!r}")
    escape = {"xml": "_xml_text", "form": "_form_text"}.get(kind, "_interpolated")
    pieces = [
        (
            pysrc.literal(part)
            if isinstance(part, str)
            else f"{escape}({pyexpr.expression(part, names)}, {pysrc.literal(unparse(part))})"
        )
        for part in node.parts
    ]
    return " + ".join(pieces) if len(pieces) > 1 else pieces[0]


def _replacement_lines(later: tuple[ir.Replacement, ...], names: pyexpr.Names) -> list[str]:
    lines = []
    for item in later:
        value = pyexpr.value(item.value, names)
        call = f"body = _replace(body, {pyexpr.tokens(item.pointer)}, {value})"
        optional = _optional_input(item.value, names.optional_inputs)
        if optional is not None:
            lines += [f"if {pyexpr.value(optional, names)} is not None:", f"    {call}"]
        else:
            lines.append(call)
    return lines


def _tree_lines(value: ir.Value, names: pyexpr.Names) -> list[str]:
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
        optional = _optional_input(member, names.optional_inputs)
        target = "body" + "".join(f"[{pysrc.literal(k)}]" for k in path)
        if optional is not None:
            source = pyexpr.value(optional, names)
            later += [f"if {source} is not None:", f"    {target} = {pyexpr.value(member, names)}"]
        elif _template_with_optional(member, names.optional_inputs):
            # like a parameter: left out when one of its values is missing, never "null"
            filled = _param_value(member, names)
            later += [f"if (filled := {filled}) is not None:", f"    {target} = filled"]
        elif isinstance(member, ir.ObjectValue):
            members.append(
                f"{pysrc.literal(key)}: {_object_without_optionals(member, names, path, later)}"
            )
        else:
            members.append(f"{pysrc.literal(key)}: {pyexpr.value(member, names)}")
    return "{" + ", ".join(members) + "}"
