"""Build: infer the Python type of a runtime expression at generation time.

An output such as `$response.body#/Contact/Channel` is typed by following the
pointer through the response schema of the step's operation; `$steps.X.outputs.Y`
takes the type of that step output, `$inputs.x` the type of that input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator import ir
from generator.expressions import (
    Compare,
    InputRef,
    Lit,
    Method,
    OutputRef,
    RequestRef,
    ResponseRef,
    RuntimeExpr,
    StatusCode,
    StepRef,
    Template,
    Url,
    WorkflowRef,
)
from generator.spec.openapi import Located, Operation, RefError, Resolver
from generator.typemap import ANY, INT, STR, PyType, optional, schema_at, schema_type


@dataclass(frozen=True)
class Typed:
    """A type, and whether the value must exist (the schema requires it)."""

    type: PyType
    required: bool


@dataclass
class TypeScope:
    """What expression types depend on: the inputs and the step outputs seen so far."""

    inputs: dict[str, ir.Input]
    step_outputs: dict[str, dict[str, PyType]] = field(default_factory=dict)
    workflow_outputs: dict[str, dict[str, PyType]] = field(default_factory=dict)  # dependsOn
    call_outputs: dict[str, PyType] = field(default_factory=dict)  # the called workflow's
    #: In a step that runs a workflow: `$statusCode` is its last response's, perhaps None.
    in_call: bool = False


def success_status(operation: Operation, criteria: tuple[ir.Criterion, ...]) -> str | None:
    """The response a successful step gets: the status its criteria test, else the first 2xx."""
    for criterion in criteria:
        condition = criterion.condition
        if (
            isinstance(condition, Compare)
            and condition.op == "=="
            and isinstance(condition.left, StatusCode)
            and isinstance(condition.right, Lit)
            and str(condition.right.value) in operation.responses
        ):
            return str(condition.right.value)
    for status in sorted(operation.responses):
        if status.startswith("2") or status.upper() == "2XX":
            return status
    return None


def response_schema(operation: Operation, status: str | None) -> Located | None:
    media = operation.responses.get(status or "", {})
    for media_type, schema in sorted(media.items()):
        if "json" in media_type:
            return schema
    return None


def typed_array(operation: Operation, resolver: Resolver, pointer: tuple[str, ...]) -> bool:
    """Whether the value at `pointer` in a response body of `operation` is an array by
    the OpenAPI document: every JSON response schema that describes it says so (only
    `type: array`, perhaps nullable), and at least one does."""
    described = False
    for media in operation.responses.values():
        for media_type, schema in media.items():
            if "json" not in media_type or schema is None:
                continue
            found, _ = schema_at(schema.value, pointer, _resolver(resolver, schema))
            if not isinstance(found, dict):
                continue
            kind = found.get("type")
            kinds = set(kind) - {"null"} if isinstance(kind, list) else {kind}
            if kinds != {"array"}:
                return False
            described = True
    return described


def _resolver(resolver: Resolver, where: Located) -> Any:
    def resolve(schema: dict[str, Any]) -> Any:
        try:
            return resolver.resolve(Located(where.doc, where.pointer, schema)).value
        except RefError:
            return None

    return resolve


def expression_type(
    expr: RuntimeExpr | Template,
    scope: TypeScope,
    body_schema: Located | None,
    resolver: Resolver | None,
) -> Typed:
    """The type of an expression evaluated after a step's response arrived."""
    if isinstance(expr, Template):
        return Typed(STR, True)
    if isinstance(expr, StatusCode):
        return Typed(optional(INT) if scope.in_call else INT, True)
    if isinstance(expr, (Url, Method)):
        return Typed(STR, True)
    if isinstance(expr, InputRef) and expr.pointer is None and expr.name in scope.inputs:
        declared = scope.inputs[expr.name]
        return Typed(declared.type if declared.required else optional(declared.type), True)
    if isinstance(expr, StepRef) and expr.pointer is None:
        outputs = scope.step_outputs.get(expr.step_id, {})
        return Typed(outputs.get(expr.name, ANY), True)
    if isinstance(expr, OutputRef) and expr.pointer is None and expr.name in scope.call_outputs:
        return Typed(scope.call_outputs[expr.name], True)
    if isinstance(expr, WorkflowRef) and expr.pointer is None and expr.field == "outputs":
        outputs = scope.workflow_outputs.get(expr.workflow_id, {})
        return Typed(outputs.get(expr.name, ANY), True)
    if isinstance(expr, RequestRef) and expr.source in ("header", "query"):
        return Typed(optional(STR), False)
    if isinstance(expr, ResponseRef) and expr.source == "header":
        return Typed(optional(STR), False)
    if isinstance(expr, ResponseRef) and body_schema is not None and resolver is not None:
        resolve = _resolver(resolver, body_schema)
        schema, required = schema_at(body_schema.value, expr.pointer or (), resolve)
        found = schema_type(schema, resolve, inbound=False)
        if found.is_any:
            return Typed(ANY, False)
        return Typed(found if required else optional(found), required)
    return Typed(ANY, False)
