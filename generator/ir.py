"""IR: the resolved step graph of one workflow, ready to be rendered.

Everything here is resolved at generation time: each step knows its HTTP method,
path template, parameters with their locations, body and compiled conditions.
Values are trees of constants and parsed runtime expressions; nothing in the IR
needs a document to be read again. `dump` prints a stable text form for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any, cast, get_args

from generator.diagnostics import Span
from generator.expressions import Cond, Node, RuntimeExpr, Template, unparse
from generator.typemap import PyType


@dataclass(frozen=True)
class Const:
    """A literal JSON value from the document."""

    value: Any


@dataclass(frozen=True)
class ObjectValue:
    """A JSON object whose members may hold expressions."""

    members: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class ArrayValue:
    items: tuple[Value, ...]


Value = Const | ObjectValue | ArrayValue | RuntimeExpr | Template


@dataclass(frozen=True)
class Input:
    name: str  # as written in the document
    py_name: str
    type: PyType
    required: bool
    description: str | None


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # path, query, header, cookie
    value: Value
    span: Span


@dataclass(frozen=True)
class Body:
    content_type: str
    value: Value


@dataclass(frozen=True)
class Criterion:
    """A compiled condition; `source` is the text as written, for messages."""

    condition: Cond
    source: str
    span: Span


@dataclass(frozen=True)
class Action:
    """A success or failure action: `end`, `goto` a step, or `retry` the step."""

    name: str
    kind: str  # "end", "goto" or "retry"
    step_id: str | None  # goto target, or the step a retry runs first
    criteria: tuple[Criterion, ...]
    retry_after: float | None  # retry: seconds to wait (a Retry-After header wins)
    retry_limit: int | None  # retry: how many retries at most (the spec's default is 1)
    span: Span


@dataclass(frozen=True)
class Output:
    name: str  # as written in the document
    py_name: str
    value: RuntimeExpr
    type: PyType
    required: bool  # the response schema requires the value to be present
    span: Span


@dataclass(frozen=True)
class Step:
    step_id: str
    py_name: str
    description: str | None
    operation_id: str | None
    method: str
    path: str
    params: tuple[Param, ...]
    body: Body | None
    success_criteria: tuple[Criterion, ...]
    on_success: tuple[Action, ...]  # the step's own, then the workflow's defaults
    on_failure: tuple[Action, ...]
    outputs: tuple[Output, ...]
    declared_params: tuple[tuple[str, str], ...]  # (name, location) the operation declares
    span: Span


@dataclass(frozen=True)
class Workflow:
    workflow_id: str
    summary: str | None
    description: str | None
    source_file: str  # relative, `/`-separated
    package: str  # python package (document) name
    module: str  # python module (workflow) name
    function: str  # python function name
    outputs_class: str
    base_url: str
    inputs: tuple[Input, ...]
    steps: tuple[Step, ...]
    outputs: tuple[Output, ...]
    span: Span


def dump(node: Any, indent: str = "") -> str:
    """A stable, readable text form of an IR tree (spans left out)."""
    if isinstance(node, (*get_args(Cond), Template)):
        return unparse(cast(Node, node))
    if isinstance(node, PyType):
        return node.annotation()
    if is_dataclass(node) and not isinstance(node, type):
        lines = [type(node).__name__]
        for f in fields(node):
            if f.name == "span":
                continue
            text = dump(getattr(node, f.name), indent + "  ")
            lines.append(f"{indent}  {f.name}:" + ("" if text.startswith("\n") else " ") + text)
        return "\n".join(lines)
    if isinstance(node, tuple) and node:
        items = (dump(item, indent + "    ") for item in node)
        return "".join(f"\n{indent}  -" + ("" if t.startswith("\n") else " ") + t for t in items)
    return repr(node)
