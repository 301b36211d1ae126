"""Build: a step's request: its parameters (merged with the workflow's) and body."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from generator import ir
from generator.build.values import read_value
from generator.expressions import Template
from generator.spec import arazzo as spec
from generator.spec.openapi import Operation

if TYPE_CHECKING:
    from generator.build.workflow import WorkflowBuilder

_PATH_TEMPLATE = re.compile(r"\{([^{}]+)\}")


def is_json_media(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def read_params(
    builder: WorkflowBuilder, workflow: spec.Workflow, step: spec.Step, operation: Operation
) -> tuple[ir.Param, ...]:
    """Workflow parameters overridden by step parameters, keyed by (name, in)."""
    merged: dict[tuple[str, str], ir.Param] = {}
    for entries in (workflow.parameters, step.parameters):
        seen: set[tuple[str, str]] = set()
        for entry in entries:
            param = _parameter(builder, entry)
            if param is None:
                continue
            key = (param.name, param.location)
            if key in seen:
                builder.diagnostics.error(
                    "AG312",
                    param.span,
                    f"duplicate parameter {param.name!r} in {param.location}",
                    "a parameter list must name each (name, in) pair once",
                )
            seen.add(key)
            merged[key] = param
    _reject_unsupported_styles(builder, merged.values(), operation)
    for name in _PATH_TEMPLATE.findall(operation.path):
        if (name, "path") not in merged:
            builder.diagnostics.error(
                "AG311",
                builder.span(step.ptr),
                f"step {step.step_id!r} gives no value for path parameter {name!r} "
                f"of {operation.method} {operation.path}",
                f"add a parameter with name: {name}, in: path",
            )
    return tuple(merged.values())


#: OpenAPI's default serialization per location: (style, explode).
_DEFAULT_STYLES = {"path": ("simple", False), "query": ("form", True), "header": ("simple", False)}


def _reject_unsupported_styles(
    builder: WorkflowBuilder, params: Iterable[ir.Param], operation: Operation
) -> None:
    declared = {(p.name, p.location): p for p in operation.parameters}
    for param in params:
        if param.location not in _DEFAULT_STYLES:
            builder.diagnostics.error(
                "AG500",
                param.span,
                f"{param.location} parameters are not supported yet",
                "arazzo-gen does not generate this workflow rather than emit code that ignores it",
            )
            continue
        found = declared.get((param.name, param.location))
        style, explode = _DEFAULT_STYLES[param.location]
        if found is not None and (found.style or style, found.explode) not in (
            (style, explode),
            (style, None),
        ):
            builder.diagnostics.error(
                "AG500",
                param.span,
                f"parameter {param.name!r} uses style {found.style or style!r} with explode "
                f"{found.explode}, which is not supported yet",
                "only the default serialization of each location compiles today",
            )
        if isinstance(param.value, (ir.ObjectValue, ir.ArrayValue)):
            builder.diagnostics.error(
                "AG500",
                param.span,
                "object and array parameter values are not supported yet",
                "pass a string, number or boolean",
            )


def _parameter(builder: WorkflowBuilder, entry: spec.Parameter | spec.Reusable) -> ir.Param | None:
    found = (
        builder.component(entry, "parameters", builder.document.components.parameters)
        if isinstance(entry, spec.Reusable)
        else entry
    )
    if found is None:
        return None
    raw, pointer = found.value, f"{found.ptr}/value"
    if isinstance(entry, spec.Reusable) and entry.has_value:
        raw, pointer = entry.value, f"{entry.ptr}/value"
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


def read_body(builder: WorkflowBuilder, step: spec.Step, operation: Operation) -> ir.Body | None:
    body = step.request_body
    if body is None:
        return None
    if body.replacements:
        builder.unsupported(f"{body.ptr}/replacements", "payload 'replacements'")
    media = sorted(operation.request_media, key=lambda m: not is_json_media(m))
    content_type = body.content_type or (media[0] if media else None)
    if content_type is None:
        builder.diagnostics.error(
            "AG313",
            builder.span(body.ptr),
            "the request body has no contentType and the "
            f"operation {operation.method} {operation.path} declares none",
            "add 'contentType' to the requestBody",
        )
        return None
    if not is_json_media(content_type):
        builder.unsupported(body.ptr, f"a request body of type {content_type!r}")
        return None
    if not body.has_payload:
        return None
    if isinstance(body.payload, str) and not body.payload.startswith("$"):
        builder.unsupported(f"{body.ptr}/payload", "a JSON payload written as text")
        return None
    value = read_value(builder.doc, f"{body.ptr}/payload", body.payload, builder.diagnostics)
    if isinstance(value, Template):
        builder.unsupported(f"{body.ptr}/payload", "a JSON payload written as a template")
        return None
    return ir.Body(content_type, value) if value is not None else None
