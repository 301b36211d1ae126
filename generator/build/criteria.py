"""Build: compile Criterion Objects into condition trees.

Simple conditions are parsed with the condition grammar. JSONPath criteria are
RFC 9535 queries; real documents often write a comparison outside any filter
(`$.Contact.Id != null`), which is not a valid query. Where such a text has one
unambiguous meaning, a comparison of the value at that path, it is compiled as
that comparison with a warning. Everything else that cannot be compiled is an
error, never a guess.
"""

from __future__ import annotations

import dataclasses
import re
from typing import cast

from generator import ir
from generator.build.values import read_condition, read_expression
from generator.diagnostics import Diagnostics, Span
from generator.expressions import (
    Compare,
    ExpressionError,
    InputRef,
    Lit,
    OutputRef,
    RequestRef,
    ResponseRef,
    RuntimeExpr,
    StepRef,
    WorkflowRef,
    parse_condition,
    unparse,
)
from generator.expressions.nodes import CompareOp
from generator.spec.arazzo import Criterion

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SEGMENT = re.compile(rf"\.({_NAME})|\[(\d+)\]|\['([^'\\]*)'\]")
_POINTABLE = (RequestRef, ResponseRef, InputRef, OutputRef, StepRef, WorkflowRef)
_OPERATOR = re.compile(r"\s*(==|!=|<=|>=|<|>)\s*")


def compile_criterion(
    criterion: Criterion, span: Span, diagnostics: Diagnostics
) -> ir.Criterion | None:
    kind = criterion.type
    if kind == "simple":
        condition = read_condition(span, criterion.condition, diagnostics)
        return ir.Criterion(condition, criterion.condition, span) if condition else None
    if kind == "jsonpath":
        return _jsonpath(criterion, span, diagnostics)
    label = kind if isinstance(kind, str) else f"{kind.type} ({kind.version})"
    diagnostics.error(
        "AG411",
        span,
        f"{label} criteria are not supported yet",
        "use a simple condition, or track support for regex/xpath/versioned criteria",
    )
    return None


def _jsonpath(criterion: Criterion, span: Span, diagnostics: Diagnostics) -> ir.Criterion | None:
    if criterion.context is None:
        diagnostics.error(
            "AG412",
            span,
            "a jsonpath criterion needs a 'context'",
            "add e.g. 'context: $response.body'",
        )
        return None
    context = read_expression(span, criterion.context, diagnostics, "'context'")
    if context is None:
        return None
    comparison = _lenient_comparison(criterion.condition, context)
    if comparison is None:
        diagnostics.error(
            "AG413",
            span,
            f"JSONPath query {criterion.condition!r} is not supported yet",
            "only comparisons of a plain path such as '$.a.b != null' compile today",
        )
        return None
    diagnostics.warning(
        "AG410",
        span,
        f"{criterion.condition!r} is not an RFC 9535 JSONPath query (a comparison outside a "
        f"filter); compiled as the simple condition '{unparse(comparison)}'",
        f"write it as a simple condition: '{unparse(comparison)}'",
    )
    return ir.Criterion(comparison, criterion.condition, span)


def _lenient_comparison(text: str, context: RuntimeExpr) -> Compare | None:
    """`$.a.b[0] != null` as a comparison of the value at that path of `context`."""
    if not text.startswith("$") or not isinstance(context, _POINTABLE):
        return None
    tokens: list[str] = []
    position = 1
    while match := _SEGMENT.match(text, position):
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    operator = _OPERATOR.match(text, position)
    if operator is None:
        return None
    try:
        literal = parse_condition(text[operator.end() :])
    except ExpressionError:
        return None
    if not isinstance(literal, Lit):
        return None
    base = context.pointer or ()
    target = dataclasses.replace(context, pointer=(*base, *tokens))
    return Compare(cast(CompareOp, operator.group(1)), target, literal)
