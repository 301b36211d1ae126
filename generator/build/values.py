"""Build: read document values (parameter values, payloads, outputs) into IR values.

Strings that start with `$` are runtime expressions and strings with `{$...}` are
templates; both are parsed here, at generation time. A malformed expression is
reported at its own line and column.
"""

from __future__ import annotations

from typing import Any

from generator import ir
from generator.diagnostics import Diagnostics, Span
from generator.expressions import (
    Cond,
    ExpressionError,
    RuntimeExpr,
    parse_condition,
    parse_expression,
    parse_value,
)
from generator.load import Document, join_pointer


def shifted(span: Span, offset: int) -> Span:
    """The span `offset` characters into a scalar that starts at `span`."""
    if not span.line:
        return span
    return Span(span.file, span.line, span.col + offset, span.pointer)


def expression_error(diagnostics: Diagnostics, span: Span, text: str, exc: ExpressionError) -> None:
    diagnostics.error(
        "AG400",
        shifted(span, exc.offset),
        f"invalid runtime expression {text!r}: {exc.message}",
        "see 'Runtime Expressions' in the Arazzo specification for the syntax",
    )


def read_value(doc: Document, pointer: str, raw: Any, diagnostics: Diagnostics) -> ir.Value | None:
    """The IR value of a document value; None (after reporting) when it is invalid."""
    if isinstance(raw, str):
        try:
            parsed = parse_value(raw)
        except ExpressionError as exc:
            expression_error(diagnostics, doc.span(pointer), raw, exc)
            return None
        return ir.Const(parsed) if isinstance(parsed, str) else parsed
    if isinstance(raw, dict):
        members = []
        for key, item in raw.items():
            value = read_value(doc, join_pointer(pointer, key), item, diagnostics)
            if value is None:
                return None
            members.append((key, value))
        return ir.ObjectValue(tuple(members))
    if isinstance(raw, list):
        items = []
        for index, item in enumerate(raw):
            value = read_value(doc, join_pointer(pointer, index), item, diagnostics)
            if value is None:
                return None
            items.append(value)
        return ir.ArrayValue(tuple(items))
    return ir.Const(raw)


def read_expression(
    span: Span, raw: Any, diagnostics: Diagnostics, what: str
) -> RuntimeExpr | None:
    """A value that must be a single runtime expression (outputs, contexts)."""
    if not isinstance(raw, str):
        diagnostics.error(
            "AG401",
            span,
            f"{what} must be a runtime expression string, not {raw!r}"[:200],
            "write a runtime expression such as '$response.body#/id'",
        )
        return None
    try:
        return parse_expression(raw)
    except ExpressionError as exc:
        expression_error(diagnostics, span, raw, exc)
        return None


def read_condition(span: Span, text: str, diagnostics: Diagnostics) -> Cond | None:
    try:
        return parse_condition(text)
    except ExpressionError as exc:
        diagnostics.error(
            "AG402",
            shifted(span, exc.offset),
            f"invalid condition {text!r}: {exc.message}",
            "simple conditions combine expressions and literals with == != < <= > >= ! && ||",
        )
        return None
