"""Build: a step's request: its parameters (merged with the workflow's) and body.

Parameters get their OpenAPI serialization (`style`, `explode`, `allowReserved`,
or a `content` media type) from the operation, checked here so the emitter can
call one runtime helper per style. Bodies get a kind from their content type
(json, form, multipart, text, xml, binary); a JSON payload written as text is
parsed into a value tree, and payload replacements are checked against it (an XML
payload's XPath targets in `build.xml_targets`).
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from typing import TYPE_CHECKING

from generator import ir
from generator.build.payloads import (
    PayloadError,
    UnsupportedPayload,
    line_and_column,
    parse_json_template,
    parse_pointer,
    replace,
)
from generator.build.values import read_value, unsupported
from generator.build.xml_targets import xml_replacements
from generator.diagnostics import Span
from generator.expressions import Template
from generator.spec import arazzo as spec
from generator.spec.openapi import Operation, OperationParameter

if TYPE_CHECKING:
    from generator.build.workflow import WorkflowBuilder

_PATH_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+")

#: The styles OpenAPI defines per location; the first is the default.
STYLES = {
    "path": ("simple", "label", "matrix"),
    "query": ("form", "spaceDelimited", "pipeDelimited", "deepObject"),
    "header": ("simple",),
    "cookie": ("form",),
}


def media_base(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def is_json_media(media_type: str) -> bool:
    base = media_base(media_type)
    return base == "application/json" or base.endswith("+json")


def body_kind(media_type: str) -> str:
    """How a body of this media type is written: any type without a structure of its
    own (`application/octet-stream`, `application/pdf`, `image/png`...) is binary, sent
    as the bytes (or text) given."""
    base = media_base(media_type)
    if is_json_media(base):
        return "json"
    if base in ("application/xml", "text/xml") or base.endswith("+xml"):
        return "xml"
    if base.startswith("text/"):
        return "text"
    return {
        "application/x-www-form-urlencoded": "form",
        "multipart/form-data": "multipart",
    }.get(base, "binary")


def _unsupported(builder: WorkflowBuilder, span: Span, what: str) -> None:
    unsupported(builder.diagnostics, span, what)


# -- parameters ------------------------------------------------------------------------


def read_params(
    builder: WorkflowBuilder, workflow: spec.Workflow, step: spec.Step, operation: Operation
) -> tuple[ir.Param, ...]:
    """Workflow parameters overridden by step parameters, keyed by (name, in); header
    names are case-insensitive (RFC 9110), so `x-flags` is the declared `X-Flags`."""
    merged: dict[tuple[str, str], ir.Param] = {}
    for entries in (workflow.parameters, step.parameters):
        seen: set[tuple[str, str]] = set()
        for entry in entries:
            param = _parameter(builder, entry)
            if param is None:
                continue
            key = ir.param_key(param.name, param.location)
            if key in seen:
                builder.diagnostics.error(
                    "AG312",
                    param.span,
                    f"duplicate parameter {param.name!r} in {param.location}",
                    "a parameter list must name each (name, in) pair once",
                )
            seen.add(key)
            merged[key] = param
    declared = {ir.param_key(p.name, p.location): p for p in operation.parameters}
    template = _PATH_TEMPLATE.findall(operation.path)
    for name in template:
        if (name, "path") not in merged and not _rename_path_param(
            builder, merged, name, operation, template
        ):
            builder.diagnostics.error(
                "AG311",
                builder.span(step.ptr),
                f"step {step.step_id!r} gives no value for path parameter {name!r} "
                f"of {operation.method} {operation.path}",
                f"add a parameter with name: {name}, in: path",
            )
    params = []
    for key, param in merged.items():
        serialized = _serialization(builder, param, declared.get(key))
        if serialized is not None:
            params.append(serialized)
    return tuple(params)


def _loose(name: str) -> str:
    return name.replace("_", "").replace("-", "").casefold()


def _rename_path_param(
    builder: WorkflowBuilder,
    merged: dict[tuple[str, str], ir.Param],
    name: str,
    operation: Operation,
    template: list[str],
) -> bool:
    """Repair AG426: the one path parameter given that is not in the path and whose
    name is `name` spelled another way (`pet_id` for `{petId}`: case, `_` and `-`
    aside) is taken as `name`."""
    like = [
        key
        for key in merged
        if key[1] == "path" and key[0] not in template and _loose(key[0]) == _loose(name)
    ]
    if len(like) != 1:
        return False
    param = merged.pop(like[0])
    builder.diagnostics.warning(
        "AG426",
        param.span,
        f"{operation.method} {operation.path} declares no path parameter {param.name!r}; "
        f"read as {name!r}, which is in its path and which the step gives no value for",
        f"write name: {name}",
    )
    merged[(name, "path")] = dataclasses.replace(param, name=name)
    return True


def _serialization(
    builder: WorkflowBuilder, param: ir.Param, declared: OperationParameter | None
) -> ir.Param | None:
    """`param` with the serialization its OpenAPI declaration asks for (checked)."""
    location = param.location
    if location not in STYLES:
        _unsupported(builder, param.span, f"{location} parameters")
        return None
    default = STYLES[location][0]
    if location in ("header", "cookie") and not _TOKEN.fullmatch(param.name):
        builder.diagnostics.error(
            "AG316",
            param.span,
            f"{param.name!r} is not a valid {location} name",
            "header and cookie names are RFC 9110 tokens: letters, digits and !#$%&'*+-.^_`|~",
        )
        return None
    if declared is not None and declared.media_type is not None:
        text = media_base(declared.media_type).startswith("text/")
        if not (is_json_media(declared.media_type) or text):
            _unsupported(
                builder,
                param.span,
                f"parameter {param.name!r} written as {declared.media_type!r} (OpenAPI 'content')",
            )
            return None
        if text and isinstance(param.value, (ir.ObjectValue, ir.ArrayValue)):
            builder.diagnostics.error(
                "AG316",
                param.span,
                f"parameter {param.name!r} is written as {declared.media_type!r} "
                "(OpenAPI 'content'), which cannot hold an object or array",
                "give it a string, number or boolean",
            )
            return None
        return dataclasses.replace(
            param, style=default, explode=default == "form", media_type=declared.media_type
        )
    style = declared.style if declared is not None and isinstance(declared.style, str) else default
    explicit = declared.explode if declared is not None else None
    explode = explicit if isinstance(explicit, bool) else style == "form"
    if style not in STYLES[location]:
        _unsupported(
            builder, param.span, f"style {style!r} for the {location} parameter {param.name!r}"
        )
        return None
    if style == "deepObject":
        if explicit is False:
            _unsupported(
                builder,
                param.span,
                f"deepObject parameter {param.name!r} with explode: false (undefined by OpenAPI)",
            )
            return None
        explode = True
    if style in ("spaceDelimited", "pipeDelimited") and explode:
        _unsupported(
            builder,
            param.span,
            f"{style} parameter {param.name!r} with explode: true (undefined by OpenAPI)",
        )
        return None
    if not _literal_fits(builder, param, style):
        return None
    allow_reserved = declared is not None and declared.allow_reserved and location == "query"
    return dataclasses.replace(param, style=style, explode=explode, allow_reserved=allow_reserved)


def _literal_fits(builder: WorkflowBuilder, param: ir.Param, style: str) -> bool:
    """Report literal values the style cannot serialize (the rest is checked at run time)."""
    value = param.value
    problem = None
    if isinstance(value, ir.Const) and value.value is None and param.location == "path":
        problem = "a path parameter needs a value, not null"
    elif style == "deepObject" and isinstance(value, (ir.ArrayValue, ir.Const)):
        problem = "a deepObject parameter needs an object"
    elif isinstance(value, ir.ObjectValue) and any(
        isinstance(v, (ir.ObjectValue, ir.ArrayValue)) for _, v in value.members
    ):
        problem = "the members of an object parameter must be strings, numbers or booleans"
    elif isinstance(value, ir.ArrayValue) and any(
        isinstance(v, (ir.ObjectValue, ir.ArrayValue)) for v in value.items
    ):
        problem = "the items of an array parameter must be strings, numbers or booleans"
    if problem is None:
        return True
    builder.diagnostics.error(
        "AG316",
        param.span,
        f"parameter {param.name!r} ({param.location}, style {style}) cannot be serialized: "
        + problem,
        "OpenAPI's Style Examples table defines primitives, flat arrays and flat objects only",
    )
    return False


def _parameter(builder: WorkflowBuilder, entry: spec.Parameter | spec.Reusable) -> ir.Param | None:
    resolved = builder.parameter(entry)
    if resolved is None:
        return None
    found, raw, pointer = resolved
    span = builder.span(entry.ptr)
    if found.location is None:
        builder.diagnostics.error(
            "AG310",
            span,
            f"parameter {found.name!r} has no 'in'",
            "parameters of an operation step must say where they go: path, query, header or cookie",
        )
        return None
    value = read_value(builder.doc, pointer, raw, builder.diagnostics)
    return ir.Param(found.name, found.location, value, span) if value is not None else None


# -- bodies ----------------------------------------------------------------------------


def read_body(builder: WorkflowBuilder, step: spec.Step, operation: Operation) -> ir.Body | None:
    body = step.request_body
    if body is None:
        return None
    media = sorted(operation.request_media, key=lambda m: not is_json_media(m))
    content_type = body.content_type or (media[0] if media else None)
    span = builder.span(body.ptr)
    if content_type is None or "*" in media_base(content_type):
        declared = f"declares only {content_type!r}" if content_type else "declares none"
        builder.diagnostics.error(
            "AG313",
            span,
            f"the request body has no contentType and the "
            f"operation {operation.method} {operation.path} {declared}",
            "add 'contentType' to the requestBody",
        )
        return None
    kind = body_kind(content_type)
    charset = _charset(content_type)
    if charset is None:
        builder.unsupported(body.ptr, f"the charset of {content_type!r}")
        return None
    if not body.has_payload:
        if body.replacements:
            builder.diagnostics.error(
                "AG315",
                span,
                "the request body has replacements but no payload",
                "add the 'payload' the replacements apply to",
            )
        return None
    value = _payload(builder, body, kind, content_type)
    if value is None:
        return None
    replacements = _replacements(builder, body, kind, value)
    if replacements is None:
        return None
    return ir.Body(content_type, value, kind, charset, replacements)


def _charset(content_type: str) -> str | None:
    """The Python codec for a text body: the `charset` parameter, else UTF-8."""
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            name = value.strip().strip('"')
            try:
                return codecs.lookup(name).name
            except LookupError:
                return None
    return "utf-8"


def _payload(
    builder: WorkflowBuilder, body: spec.RequestBody, kind: str, content_type: str
) -> ir.Value | None:
    pointer = f"{body.ptr}/payload"
    raw = body.payload
    if kind == "json" and isinstance(raw, str) and not raw.startswith("$"):
        return _json_text(builder, pointer, raw)
    value = read_value(builder.doc, pointer, raw, builder.diagnostics)
    if value is None:
        return None
    is_text = isinstance(value, Template) or (
        isinstance(value, ir.Const) and isinstance(value.value, str)
    )
    is_expression = not isinstance(value, (ir.Const, ir.ObjectValue, ir.ArrayValue, Template))
    is_object = isinstance(value, ir.ObjectValue)
    wanted = {
        "form": ("an object (one field per member) or a string", is_object or is_text),
        "multipart": ("an object (one part per member)", is_object),
        "text": ("a string (a template with {$...} values)", is_text),
        "xml": ("a string (a template with {$...} values)", is_text),
        "binary": ("a string", is_text),
    }
    if kind in wanted and not (is_expression or wanted[kind][1]):
        builder.unsupported(pointer, f"a {content_type!r} payload that is not {wanted[kind][0]}")
        return None
    return value


def _json_text(builder: WorkflowBuilder, pointer: str, text: str) -> ir.Value | None:
    """A JSON payload written as text, with `{$...}` holes."""
    try:
        return parse_json_template(text)
    except UnsupportedPayload as exc:
        builder.unsupported(pointer, f"{exc.message} of a JSON payload written as text")
    except PayloadError as exc:
        line, column = line_and_column(text, exc.offset)
        builder.diagnostics.error(
            "AG314",
            builder.span(pointer),
            f"the JSON payload text is not valid JSON at line {line}, column {column} "
            f"of the text: {exc.message}",
            "write JSON text (with {$...} for values), or the payload as a YAML object",
        )
    return None


def _replacements(
    builder: WorkflowBuilder, body: spec.RequestBody, kind: str, payload: ir.Value
) -> tuple[ir.Replacement, ...] | None:
    """The Payload Replacement Objects, checked by applying them to the literal tree."""
    if not body.replacements:
        return ()
    if kind == "xml":
        return xml_replacements(builder, body, payload)
    if kind in ("text", "binary"):
        builder.diagnostics.error(
            "AG315",
            builder.span(f"{body.ptr}/replacements"),
            f"replacements need a JSON or XML payload; this one is {kind} "
            f"({body.content_type or 'no contentType'}), which no target can point into",
            "write the values into the payload with {$...}, or use a JSON or XML contentType",
        )
        return None
    replacements = []
    tree: ir.Value | None = payload
    ok = True
    for item in body.replacements:
        target_span = builder.span(f"{item.ptr}/target")
        try:
            tokens = parse_pointer(item.target)
        except PayloadError as exc:
            builder.diagnostics.error(
                "AG315",
                target_span,
                f"replacement target {item.target!r} is not a JSON Pointer: {exc.message}",
                "write an RFC 6901 pointer such as /petOrder/items/0 (~1 for '/', ~0 for '~')",
            )
            ok = False
            continue
        value = read_value(builder.doc, f"{item.ptr}/value", item.value, builder.diagnostics)
        if value is None:
            ok = False
            continue
        if tree is not None:
            try:
                tree = replace(tree, tokens, value)
            except PayloadError as exc:
                builder.diagnostics.error(
                    "AG315",
                    target_span,
                    f"replacement target {item.target!r} is not in the payload: {exc.message}",
                    "point at a member or item the payload has, or '-' to append to an array",
                )
                ok = False
        replacements.append(ir.Replacement(tokens, value, builder.span(item.ptr)))
    return tuple(replacements) if ok else None
