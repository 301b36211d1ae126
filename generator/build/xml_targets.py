"""Build: Payload Replacement Objects of an XML payload, whose targets are XPath.

A target is an XPath 3.1 expression (the version the Arazzo specification names),
parsed here with elementpath so a bad one is an error at its own line and column.
Its prefixes are the ones the payload text declares (`xmlns:p="..."`), and an
unprefixed name is in the payload's default namespace (`xmlns="..."`), so targets
read like the payload; `Q{uri}local` and `*:local` need no declaration. Where the
payload is literal text, the target is also evaluated on it: a target that
selects nothing, or something other than elements and attributes, is an error.
The generated module applies the replacement with elementpath when the request is
built (templates/runtime/xml_replace.py.jinja).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from generator import ir
from generator.build.positions import scalar_span
from generator.build.values import read_value, shifted
from generator.expressions import Template
from generator.spec import arazzo as spec

if TYPE_CHECKING:
    from generator.build.workflow import WorkflowBuilder

_DECLARATION = re.compile(r"""\sxmlns(?::([^\s=:/>]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HINT = (
    "write an XPath 3.1 expression such as /order/item[1]/name or /order/@id; its prefixes "
    "are the payload's (xmlns:p=...), or write Q{uri}name or *:name"
)


def payload_namespaces(payload: ir.Value) -> tuple[tuple[str, str], ...]:
    """The namespace declarations in the payload's literal text; the first binding of
    a prefix wins ("" is the default namespace)."""
    if isinstance(payload, ir.Const) and isinstance(payload.value, str):
        texts = [payload.value]
    elif isinstance(payload, Template):
        texts = [part for part in payload.parts if isinstance(part, str)]
    else:
        return ()
    found: dict[str, str] = {}
    for text in texts:
        for match in _DECLARATION.finditer(text):
            uri = match.group(2) if match.group(2) is not None else match.group(3) or ""
            found.setdefault(match.group(1) or "", uri)
    return tuple(found.items())


def xml_replacements(
    builder: WorkflowBuilder, body: spec.RequestBody, payload: ir.Value
) -> tuple[ir.Replacement, ...] | None:
    """The replacements of an XML payload, each target checked; None after an error."""
    try:
        import elementpath  # noqa: F401  (the generated module needs it too)
    except ImportError:
        builder.diagnostics.error(
            "AG416",
            builder.span(f"{body.ptr}/replacements"),
            "checking XPath replacement targets needs the elementpath library, which is "
            "not installed",
            "reinstall arazzo-gen with its dependencies ('arazzo-gen[xpath]')",
        )
        return None
    namespaces = payload_namespaces(payload)
    document = _literal_document(builder, body, payload)
    replacements = []
    ok = True
    for item in body.replacements:
        selector = _selector(builder, item, namespaces)
        value = read_value(builder.doc, f"{item.ptr}/value", item.value, builder.diagnostics)
        if selector is None or value is None:
            ok = False
            continue
        if document is not None and not _selects(builder, item, selector, document):
            ok = False
            continue
        span = builder.span(item.ptr)
        replacements.append(ir.Replacement((), value, span, item.target, namespaces))
    return tuple(replacements) if ok else None


def _target_error(
    builder: WorkflowBuilder, item: spec.Replacement, offset: int, problem: str
) -> None:
    pointer = f"{item.ptr}/target"
    fallback = shifted(builder.span(pointer), offset)
    span = scalar_span(builder.doc, pointer, item.target, offset, fallback)
    builder.diagnostics.error("AG315", span, f"replacement target {item.target!r} {problem}", _HINT)


def _selector(
    builder: WorkflowBuilder, item: spec.Replacement, namespaces: tuple[tuple[str, str], ...]
) -> Any:
    """The target, parsed as XPath 3.1; None after reporting why it is not one."""
    import elementpath
    from elementpath.xpath3 import XPath31Parser

    try:
        selector = elementpath.Selector(
            item.target, namespaces=dict(namespaces), parser=XPath31Parser
        )
    except elementpath.ElementPathError as exc:
        offset = exc.token.span[0] if exc.token is not None else 0
        code = f" ({exc.code})" if exc.code else ""
        _target_error(
            builder, item, offset, f"is not a valid XPath 3.1 expression: {exc.message}{code}"
        )
        return None
    except RecursionError:
        _target_error(builder, item, 0, "is not a valid XPath 3.1 expression: nested too deeply")
        return None
    binders = {"for", "let", "some", "every", "function"}
    tokens = [(t.symbol, t.value, t.span[0]) for t in selector.root_token.iter()]
    unbound = next(((v, at) for symbol, v, at in tokens if symbol == "$"), None)
    if unbound is not None and not any(symbol in binders for symbol, _, _ in tokens):
        _target_error(
            builder, item, unbound[1], f"reads variable ${unbound[0]}, which nothing binds"
        )
        return None
    return selector


def _literal_document(
    builder: WorkflowBuilder, body: spec.RequestBody, payload: ir.Value
) -> ElementTree.Element | None:
    """The payload's XML tree when it is literal text (no {$...} values in it)."""
    if not (isinstance(payload, ir.Const) and isinstance(payload.value, str)):
        return None
    try:
        return ElementTree.fromstring(payload.value)
    except ElementTree.ParseError as exc:
        builder.diagnostics.error(
            "AG315",
            builder.span(f"{body.ptr}/payload"),
            f"the XML payload its replacements apply to is not well-formed: {exc}",
            "write a well-formed XML document",
        )
        return None


def _selects(
    builder: WorkflowBuilder, item: spec.Replacement, selector: Any, document: Any
) -> bool:
    """Whether the target selects elements or attributes of the literal payload."""
    import elementpath

    try:
        nodes = list(selector.root_token.select(elementpath.XPathContext(document)))
    except elementpath.ElementPathError as exc:
        _target_error(builder, item, 0, f"cannot be evaluated on the payload: {exc.message}")
        return False
    if not nodes:
        _target_error(builder, item, 0, "selects nothing in the payload")
        return False
    other = next(
        (
            n
            for n in nodes
            if not isinstance(n, (elementpath.ElementNode, elementpath.AttributeNode))
        ),
        None,
    )
    if other is not None:
        found = f"a {node_kind(other)}"
        _target_error(builder, item, 0, f"selects {found}, not an element or attribute")
        return False
    return True


def node_kind(item: object) -> str:
    """What an XPath result is, for people: `text node`, `value 3 (int)`."""
    import elementpath

    if isinstance(item, elementpath.XPathNode):
        kind = type(item).__name__.removesuffix("Node")
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind).lower() + " node"
    return f"value {str(item)[:40]!r} ({type(item).__name__})"
