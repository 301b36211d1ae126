"""Emit: compile IR values and condition trees to Python expression source.

Every piece of spec data reaches the output through `pysrc` (literals) or a
`Names` table (identifiers chosen by `pysrc.Namespace`); this module only adds
fixed syntax around them. The expressions read from three local names of the
generated step functions: `state` (inputs and step outputs), `response` and
`body` (the step's HTTP response and its parsed JSON).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import ir, pysrc
from generator.emit.imports import Imports
from generator.expressions import (
    And,
    Compare,
    Cond,
    Index,
    InputRef,
    Lit,
    Method,
    Not,
    Or,
    Prop,
    ResponseRef,
    RuntimeExpr,
    StatusCode,
    StepRef,
    Template,
    Url,
)


class EmitError(Exception):
    """An IR node the emitter cannot compile; the checks stage should prevent this."""


@dataclass(frozen=True)
class Names:
    """Python names chosen for one workflow's inputs, steps and step outputs."""

    inputs: dict[str, str]  # input name -> state field
    steps: dict[str, str]  # step id -> state field holding its outputs
    outputs: dict[tuple[str, str], str]  # (step id, output name) -> TypedDict key
    optional_inputs: frozenset[str]  # inputs the caller may leave out
    next_step: dict[str, str]  # step id -> the step after it in document order
    method: str = ""  # HTTP method of the step being compiled


def tokens(pointer: tuple[str, ...]) -> str:
    """A tuple literal of JSON pointer tokens, e.g. `("Contact", "Id")`."""
    items = [pysrc.literal(token) for token in pointer]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _with_pointer(source: str, pointer: tuple[str, ...] | None) -> str:
    return f"_pointer({source}, {tokens(pointer)})" if pointer else source


def expression(expr: RuntimeExpr | Template, names: Names) -> str:
    """Python source for the value of a runtime expression."""
    if isinstance(expr, Template):
        parts = ", ".join(
            pysrc.literal(p) if isinstance(p, str) else expression(p, names) for p in expr.parts
        )
        return f"_text({parts})"
    if isinstance(expr, StatusCode):
        return "response.status_code"
    if isinstance(expr, Url):
        return "str(response.url)"
    if isinstance(expr, Method):
        return pysrc.literal(names.method)
    if isinstance(expr, InputRef):
        return _with_pointer(f"state.{names.inputs[expr.name]}", expr.pointer)
    if isinstance(expr, StepRef):
        field = names.steps[expr.step_id]
        key = pysrc.literal(names.outputs[(expr.step_id, expr.name)])
        ran = f"_ran(state.{field}, {pysrc.literal(expr.step_id)})[{key}]"
        return _with_pointer(ran, expr.pointer)
    if isinstance(expr, ResponseRef) and expr.source == "header":
        return f"response.headers.get({pysrc.literal(expr.name)})"
    if isinstance(expr, ResponseRef):
        return _with_pointer("body", expr.pointer)
    raise EmitError(f"cannot compile {expr}")


def value(node: ir.Value, names: Names) -> str:
    """Python source for an IR value (constants, objects, arrays, expressions)."""
    if isinstance(node, ir.Const):
        return pysrc.literal(node.value)
    if isinstance(node, ir.ObjectValue):
        members = ", ".join(f"{pysrc.literal(k)}: {value(v, names)}" for k, v in node.members)
        return "{" + members + "}"
    if isinstance(node, ir.ArrayValue):
        return "[" + ", ".join(value(item, names) for item in node.items) + "]"
    return expression(node, names)


def criterion(node: ir.Criterion, names: Names) -> str:
    """Python source for a compiled Criterion Object, as a `bool` expression."""
    return condition(node.condition, names)


def criteria_needs(workflow: ir.Workflow, imports: Imports) -> list[str]:
    """Runtime features and imports the workflow's criteria need (none for simple ones)."""
    del workflow, imports
    return []


def condition(node: Cond, names: Names) -> str:
    """Python source for a simple condition, as a `bool` expression."""
    if isinstance(node, Compare):
        return _compare(node, names)
    if isinstance(node, And):
        return f"({condition(node.left, names)} and {condition(node.right, names)})"
    if isinstance(node, Or):
        return f"({condition(node.left, names)} or {condition(node.right, names)})"
    if isinstance(node, Not):
        return f"not {condition(node.operand, names)}"
    return f"bool({operand(node, names)})"


def operand(node: Cond, names: Names) -> str:
    """Python source for a value inside a condition."""
    if isinstance(node, Lit):
        return pysrc.literal(node.value)
    if isinstance(node, Index):
        return f"_pointer({operand(node.target, names)}, ({pysrc.literal(str(node.index))},))"
    if isinstance(node, Prop):
        return f"_pointer({operand(node.target, names)}, ({pysrc.literal(node.name)},))"
    if isinstance(node, (Compare, And, Or, Not)):
        return f"({condition(node, names)})"
    return expression(node, names)


def _compare(node: Compare, names: Names) -> str:
    left, right = node.left, node.right
    if node.op in ("==", "!=") and isinstance(right, Lit) and right.value is None:
        return f"{operand(left, names)} {'is' if node.op == '==' else 'is not'} None"
    if isinstance(left, StatusCode) and isinstance(right, Lit) and _is_int(right.value):
        return f"response.status_code {node.op} {pysrc.literal(right.value)}"
    return f"_compare({operand(left, names)}, {pysrc.literal(node.op)}, {operand(right, names)})"


def _is_int(candidate: object) -> bool:
    return isinstance(candidate, int) and not isinstance(candidate, bool)
