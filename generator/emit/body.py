"""Emit: the statements that build a step's request body, and the `_Request`
arguments that carry it.

Each body kind has its encoder (JSON, `_urlencoded`, `_multipart`, text with each
embedded value escaped for its kind). Payload replacements are folded into the
literal payload here; the ones that need run-time values (or an optional input that
may be left out) become `_replace` calls, and the XPath targets of an XML payload
`_xml_replace` calls on the payload's text, with each target compiled once, when the
module is imported.
"""

from __future__ import annotations

import hashlib

from generator import ir, pysrc
from generator.build.payloads import replace
from generator.emit import pyexpr
from generator.emit.imports import Imports
from generator.expressions import InputRef, Template, unparse

_TEXT_KINDS = ("text", "xml", "binary", "form", "multipart")


def body_needs(body: ir.Body, optional: frozenset[str], imports: Imports) -> set[str]:
    """Runtime features (templates/runtime/<name>.py.jinja) and imports a body needs."""
    features: set[str] = set()
    if body.kind in _TEXT_KINDS:
        features.add("text_body")
    if body.kind == "form":
        features.add("form_body")
        imports.need("urllib.parse", "quote_plus", "urlencode")
    if body.kind == "multipart":
        features.add("multipart")
        imports.need("secrets")
    if body.kind == "xml" and body.replacements:
        features |= {"xml_replace", "criteria_constants"}
        imports.need("elementpath")
        imports.need("elementpath.xpath3", "XPath31Parser")
        imports.need("xml.etree", "ElementTree")
        imports.need("xml.parsers", "expat")
    elif _fold(body, optional)[1]:
        features.add("replace")
    return features


def replacement_constants(workflow: ir.Workflow) -> list[str]:
    """Module-level definitions of the XPath replacement targets, compiled once."""
    found: dict[str, str] = {}
    for step in workflow.steps:
        for item in step.body.replacements if step.body and step.body.kind == "xml" else ():
            pairs = (f"{pysrc.literal(p)}: {pysrc.literal(u)}" for p, u in item.namespaces)
            namespaces = "{" + ", ".join(pairs) + "}"
            comment = pysrc.comment(f"replacement target (XPath 3.1): {item.xpath}")
            made = (
                f"elementpath.Selector({pysrc.literal(item.xpath)}, namespaces={namespaces}, "
                "parser=XPath31Parser)"
            )
            found[_target_name(item)] = f"{comment}\n{_target_name(item)}: Final = {made}"
    return [found[name] for name in sorted(found)]


def _target_name(item: ir.Replacement) -> str:
    key = "\0".join([item.xpath, *(f"{p}={u}" for p, u in item.namespaces)])
    return f"_TARGET_{hashlib.sha256(key.encode()).hexdigest()[:8].upper()}"


def filled(node: ir.Value, names: pyexpr.Names) -> str:
    """A value as Python source; a template is `_fill(...)`, None when one of its
    values is (so what holds it is left out)."""
    if isinstance(node, Template):
        parts = ", ".join(
            pysrc.literal(p) if isinstance(p, str) else pyexpr.expression(p, names)
            for p in node.parts
        )
        return f"_fill({parts})"
    if isinstance(node, ir.ObjectValue):
        members = (f"{pysrc.literal(k)}: {filled(v, names)}" for k, v in node.members)
        return "{" + ", ".join(members) + "}"
    if isinstance(node, ir.ArrayValue):
        return "[" + ", ".join(filled(item, names) for item in node.items) + "]"
    return pyexpr.value(node, names)


def _fold(body: ir.Body, optional: frozenset[str]) -> tuple[ir.Value, tuple[ir.Replacement, ...]]:
    """The payload with the replacements applied that can be applied now, and the rest.

    Replacements apply in order: from the first that needs run-time values on (a
    pointer through an expression's value, or an optional input that may be left
    out, so the payload keeps what it had), they run when the request is built.
    """
    tree = body.value
    for index, item in enumerate(body.replacements):
        if _optional_input(item.value, optional) or _template_with_optional(item.value, optional):
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


def body_lines(body: ir.Body, names: pyexpr.Names) -> tuple[list[str], list[str]]:
    """The statements that build the body, and the `_Request` arguments that carry it."""
    if body.kind == "xml" and body.replacements:  # XPath targets: applied to the text
        tree, later = body.value, body.replacements
    else:
        tree, later = _fold(body, names.optional_inputs)
    what = pysrc.literal(
        unparse(tree)
        if not isinstance(tree, (ir.Const, ir.ObjectValue, ir.ArrayValue))
        else "the payload"
    )
    if body.kind == "json" or (body.kind in ("form", "multipart") and not _is_text(tree)):
        return _value_lines(body, tree, later, what, names)
    content_type = f"content_type={pysrc.literal(body.content_type)}"
    charset = pysrc.literal(body.charset)
    encode = "" if body.charset == "utf-8" else charset
    if _is_expression(tree):
        content = f"_content({pyexpr.value(tree, names)}, {what}, {charset})"
        if not later:
            return [], [content_type, f"content={content}"]
        lines = [f"text = {content}.decode({charset})"]
    else:
        lines = [f"text = {_text(tree, body.kind, names)}"]
    lines += _xml_replacement_lines(later, names)
    return lines, [content_type, f"content=text.encode({encode})"]


def _value_lines(
    body: ir.Body,
    tree: ir.Value,
    later: tuple[ir.Replacement, ...],
    what: str,
    names: pyexpr.Names,
) -> tuple[list[str], list[str]]:
    """A body written from a value: JSON, or form fields and multipart parts."""
    content_type = pysrc.literal(body.content_type)
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
        before = f"body = _replace(body, {pyexpr.tokens(item.pointer)}, "
        lines += _guarded(item, names, before, ")")
    return lines


def _xml_replacement_lines(later: tuple[ir.Replacement, ...], names: pyexpr.Names) -> list[str]:
    lines = []
    for item in later:
        value = item.value
        literals = (ir.Const, ir.ObjectValue, ir.ArrayValue)
        what = "the value" if isinstance(value, literals) else unparse(value)
        before = f"text = _xml_replace(text, {_target_name(item)}, {pysrc.literal(item.xpath)}, "
        lines += _guarded(item, names, before, f", {pysrc.literal(what)})")
    return lines


def _guarded(item: ir.Replacement, names: pyexpr.Names, before: str, after: str) -> list[str]:
    """`before + value + after`, the statement that applies a replacement; skipped when
    its value is an optional input left out (or a template embedding one), so the
    payload keeps what it had."""
    optional = _optional_input(item.value, names.optional_inputs)
    if optional is not None:
        source = pyexpr.value(optional, names)
        return [f"if {source} is not None:", f"    {before}{source}{after}"]
    if _template_with_optional(item.value, names.optional_inputs):
        return [
            f"if (filled := {filled(item.value, names)}) is not None:",
            f"    {before}filled{after}",
        ]
    return [f"{before}{pyexpr.value(item.value, names)}{after}"]


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
            later += [
                f"if (filled := {filled(member, names)}) is not None:",
                f"    {target} = filled",
            ]
        elif isinstance(member, ir.ObjectValue):
            members.append(
                f"{pysrc.literal(key)}: {_object_without_optionals(member, names, path, later)}"
            )
        else:
            members.append(f"{pysrc.literal(key)}: {pyexpr.value(member, names)}")
    return "{" + ", ".join(members) + "}"
