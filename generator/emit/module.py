"""Emit: the template context of one workflow module.

Every string in the context is a finished Python fragment: identifiers come from
`pysrc.Namespace`, literals, docstrings and comments from `pysrc`, expressions
from `emit.pyexpr`. The template only arranges them.
"""

from __future__ import annotations

import itertools
import json
import textwrap
from typing import Any

from generator import ir, pysrc
from generator.checks import response_expressions
from generator.emit import pyexpr
from generator.emit.body import replacement_constants
from generator.emit.calls import (
    call_expression,
    call_lines,
    call_names,
    calls_needs,
    catches_failures,
    checks_call,
    goto_calls,
    reads_called_status,
    retry_calls,
    takes_sleep,
)
from generator.emit.imports import Imports
from generator.emit.request import request_lines, request_needs
from generator.emit.response import answers_unsent, response_lines, retry_via
from generator.expressions import RequestRef, RuntimeExpr, unparse
from generator.typemap import ANNOTATION_NAMES, optional

DEFAULT_MAX_STEPS = 100


def module_context(workflow: ir.Workflow) -> dict[str, Any]:
    names = _names(workflow)
    outputs = [_output_field(o, names) for o in workflow.outputs]
    steps = [_step_context(step, names) for step in workflow.steps]
    imports = _imports(workflow)
    features = request_needs(workflow, imports) + pyexpr.criteria_needs(workflow, imports)
    features += _flow_needs(workflow, imports) + calls_needs(workflow, imports)
    return {
        "module_docstring": pysrc.docstring(wrap(_module_doc(workflow))),
        "stdlib_imports": imports.section(stdlib=True),
        "third_party_imports": imports.section(stdlib=False),
        "local_imports": imports.local_section(),
        "runtime_features": sorted(set(features)),
        "criteria_constants": pyexpr.criteria_constants(workflow) + replacement_constants(workflow),
        "has_retries": workflow.retries,
        "takes_sleep": takes_sleep(workflow),
        "runs_workflows": bool(workflow.calls),
        "has_failure_end": _has_failure_end(workflow),
        "has_calls": any(s.call for s in workflow.steps),
        "has_goto_workflows": bool(goto_calls(workflow)),
        "has_retry_workflows": bool(retry_calls(workflow)),
        "has_retry_steps": bool(retry_steps(workflow)),
        "catches_call_failures": any(catches_failures(s) for s in workflow.steps),
        "reads_called_status": reads_called_status(workflow),
        "answers_unsent": [pysrc.literal(s.step_id) for s in workflow.steps if answers_unsent(s)],
        "dependencies": [
            {"field": names.dependencies[c.workflow_id], "call": call_expression(c, names)}
            for c in workflow.depends_on
        ],
        "exports": [pysrc.literal(n) for n in _exports(workflow)],
        "workflow_id": pysrc.literal(workflow.workflow_id),
        "base_url": pysrc.literal(workflow.base_url) if workflow.base_url else "",
        "base_urls": [
            {"name": pysrc.literal(name), "url": pysrc.literal(url)}
            for name, url in workflow.base_urls
        ],
        "step_sources": [
            (pysrc.literal(s.step_id), pysrc.literal(s.source))
            for s in workflow.steps
            if not s.call
        ],
        "max_steps": str(DEFAULT_MAX_STEPS),
        "outputs_class": workflow.outputs_class,
        "outputs_docstring": pysrc.docstring(
            f"Outputs of workflow {workflow.workflow_id}.", indent="    "
        ),
        "outputs": outputs,
        "step_outputs": [_step_outputs_class(s, names) for s in workflow.steps if s.outputs],
        "state_fields": _state_fields(workflow, names),
        "step_ids": [pysrc.literal(s.step_id) for s in workflow.steps],
        "steps": steps,
        "first_step": pysrc.literal(workflow.steps[0].step_id),
        "parameters": _parameters(workflow, names),
        "variants": [_variant(workflow, is_async) for is_async in (False, True)],
    }


def wrap(text: str, width: int = 72) -> str:
    """Wrap each line of a docstring's text, keeping its indentation (Args entries,
    list items) and its line structure (CommonMark lists stay lists)."""
    wrapped = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        more = indent + ("    " if indent else "")
        wrapped.append(
            textwrap.fill(
                line,
                width,
                subsequent_indent=more,
                break_on_hyphens=False,
                break_long_words=False,
            )
            if line.strip()
            else ""
        )
    return "\n".join(wrapped)


def _imports(workflow: ir.Workflow) -> Imports:
    """What every module imports, plus the typing names its annotations use."""
    imports = Imports()
    standard = ("contextlib", "contextvars", "dataclasses", "json", "logging", "re", "time", "zlib")
    for module in (*standard, "httpx"):
        imports.need(module)
    imports.need("collections.abc", "Callable", "Mapping")
    imports.need("typing", "Any", "Final", "Literal", "TypedDict", "TypeVar")
    imports.need("urllib.parse", "parse_qsl", "quote", "unquote", "unquote_plus")
    annotations = [i.type for i in workflow.inputs] + [o.type for o in workflow.outputs]
    annotations += [o.type for s in workflow.steps for o in s.outputs]
    for annotation in annotations:
        for name in annotation.names():
            imports.need("collections.abc" if name == "Mapping" else "typing", name)
    return imports


def _reads_sent_body(workflow: ir.Workflow) -> bool:
    return any(
        isinstance(e, RequestRef) and e.source == "body"
        for step in workflow.steps
        for e in response_expressions(step)
    )


def _has_failure_end(workflow: ir.Workflow) -> bool:
    return any(a.kind == "end" for s in workflow.steps for a in s.on_failure)


def _flow_needs(workflow: ir.Workflow, imports: Imports) -> list[str]:
    """Runtime features for failure actions, retries and reading back the sent body."""
    features = []
    if _reads_sent_body(workflow):
        features.append("sent_body")
    if any(s.on_failure for s in workflow.steps):
        features.append("failure")
    if workflow.retries:
        features.append("retry")
        for module in ("datetime", "email.utils"):
            imports.need(module)
    if takes_sleep(workflow):  # its sleep defaults
        for module in ("asyncio", "time"):
            imports.need(module)
        imports.need("collections.abc", "Awaitable")
    return features


#: Classes every module defines; step output classes never take these names.
_MODULE_CLASSES = ("_State", "_Request", "_Retry", "_Failed", "_Call", "_StepId", "_Next")
#: Fields of `_State` besides inputs and step outputs, which never take these names.
_STATE_FIELDS = ("retries", "ended", "called_status")


def _names(workflow: ir.Workflow) -> pyexpr.Names:
    fields = pysrc.Namespace(reserved=ANNOTATION_NAMES + _STATE_FIELDS)
    inputs = {i.name: fields.claim(i.py_name) for i in workflow.inputs}
    steps = {s.step_id: fields.claim(s.py_name) for s in workflow.steps if s.outputs}
    outputs = {(s.step_id, o.name): o.py_name for s in workflow.steps for o in s.outputs}
    # an input with a default always has a value
    optional = frozenset(i.name for i in workflow.inputs if not i.required and i.default is None)
    ids = [s.step_id for s in workflow.steps]
    dependencies = {c.workflow_id: fields.claim(c.module + "_outputs") for c in workflow.depends_on}
    dependency_keys = {
        (c.workflow_id, name): key
        for c in workflow.depends_on
        for name, key in c.output_keys.items()
    }
    classes = pysrc.Namespace(reserved=_MODULE_CLASSES)
    step_classes = {
        s.step_id: classes.claim("_" + pysrc.pascal_case(s.py_name) + "Outputs")
        for s in workflow.steps
        if s.outputs
    }
    return pyexpr.Names(
        inputs,
        steps,
        outputs,
        optional,
        dict(itertools.pairwise(ids)),
        dependencies=dependencies,
        dependency_keys=dependency_keys,
        step_classes=step_classes,
        package=workflow.package,
        retry_steps=retry_steps(workflow),
        loops=any(
            a.kind == "goto" and a.step_id is not None
            for s in workflow.steps
            for a in (*s.on_success, *s.on_failure)
        ),
    )


def retry_steps(workflow: ir.Workflow) -> frozenset[str]:
    """The steps a retry runs first (`type: retry` with another step's `stepId`)."""
    return frozenset(
        via for s in workflow.steps for a in s.on_failure if (via := retry_via(s, a)) is not None
    )


def _module_doc(workflow: ir.Workflow) -> str:
    title = workflow.summary or f"Run the Arazzo workflow {workflow.workflow_id}."
    parts = [title]
    if workflow.description:
        parts.append(workflow.description)
    parts.append(
        f"Generated by arazzo-gen from workflow {workflow.workflow_id!r} of "
        f"{workflow.source_file}.\nDo not edit: change the document and regenerate."
    )
    return "\n\n".join(parts)


_RETRY_ARGS = [
    "    sleep: how to wait between retries (replace it in tests).",
    "    max_retry_delay: the longest wait before a retry, whatever retryAfter or a "
    "Retry-After header asks for.",
]


def _exports(workflow: ir.Workflow) -> list[str]:
    names = [
        "DEFAULT_MAX_RESPONSE_BYTES",
        "DEFAULT_MAX_STEPS",
        "DEFAULT_TIMEOUT",
        "WORKFLOW_ID",
        "StepBudgetExceededError",
        "StepFailedError",
        "StepNotRunError",
        "StepRequestError",
        "StepTimeoutError",
        "WorkflowError",
        workflow.outputs_class,
        workflow.function,
        workflow.function + "_async",
    ]
    if workflow.base_url:
        names.append("DEFAULT_BASE_URL")
    if workflow.base_urls:
        names.append("DEFAULT_BASE_URLS")
    if takes_sleep(workflow):
        names.append("DEFAULT_MAX_RETRY_DELAY")
    if any(checks_call(s) for s in workflow.steps):
        names.append("WorkflowStepFailedError")
    return sorted(names, key=export_order)


def export_order(name: str) -> tuple[int, str]:
    """The order ruff expects in `__all__` (RUF022): CONSTANTS, Classes, functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def _output_field(output: ir.Output, names: pyexpr.Names) -> dict[str, str]:
    return {
        "name": output.py_name,
        "key": pysrc.literal(output.py_name),
        "annotation": output.type.annotation(),
        "comment": pysrc.comment(f"{output.name}: {_written(output.value)}"),
        "value": pyexpr.value(output.value, names),
    }


def _written(value: RuntimeExpr | ir.Const) -> str:
    """An output's value as the document writes it (a constant as its JSON text)."""
    return json.dumps(value.value) if isinstance(value, ir.Const) else unparse(value)


def _step_outputs_class(step: ir.Step, names: pyexpr.Names) -> dict[str, Any]:
    return {
        "class_name": names.step_classes[step.step_id],
        "fields": [{"name": o.py_name, "annotation": o.type.annotation()} for o in step.outputs],
    }


def _state_fields(workflow: ir.Workflow, names: pyexpr.Names) -> list[dict[str, str]]:
    fields = [
        {"name": names.inputs[i.name], "annotation": _input_type(i), "default": ""}
        for i in workflow.inputs
    ]
    for step in workflow.steps:
        if step.outputs:
            class_name = names.step_classes[step.step_id]
            fields.append(
                {
                    "name": names.steps[step.step_id],
                    "annotation": f"{class_name} | None",
                    "default": "None",
                }
            )
    for call in workflow.depends_on:
        fields.append(
            {
                "name": names.dependencies[call.workflow_id],
                "annotation": "Mapping[str, Any] | None",
                "default": "None",
            }
        )
    return fields


def _input_type(item: ir.Input) -> str:
    """The input's type in `_State`: optional unless required or defaulted."""
    kept = item.required or (item.default is not None and item.default.value is not None)
    return (item.type if kept else optional(item.type)).annotation()


def _parameter(item: ir.Input, names: pyexpr.Names) -> dict[str, str]:
    """An input as a parameter of the workflow function, with its default: the schema's
    when it has one (a mutable one is made anew for each call), else None."""
    given = item.default.value if item.default is not None else None
    default, value, annotation = "", item.py_name, _input_type(item)
    if not item.required:
        default = "None" if given is None else pysrc.literal(given)
    if not item.required and isinstance(given, (dict, list)):
        default, annotation = "None", optional(item.type).annotation()
        value = f"{pysrc.literal(given)} if {item.py_name} is None else {item.py_name}"
    return {
        "name": item.py_name,
        "annotation": annotation,
        "default": default,
        "state_field": names.inputs[item.name],
        "value": value,
    }


#: Parameters the template gives every workflow function besides its inputs.
TEMPLATE_PARAMETERS = frozenset(
    {"client", "base_url", "headers", "params", "timeout", "max_steps", "max_response_bytes"}
    | {"sleep", "max_retry_delay", "on_response"}
)


def _parameters(workflow: ir.Workflow, names: pyexpr.Names) -> list[dict[str, str]]:
    ordered = sorted(workflow.inputs, key=lambda i: not i.required)
    clashes = sorted({i.py_name for i in ordered} & TEMPLATE_PARAMETERS)
    if clashes:  # build's RUNTIME_PARAMETERS must reserve every name in TEMPLATE_PARAMETERS
        raise pyexpr.EmitError(f"inputs named like runtime parameters: {clashes}")
    return [_parameter(i, names) for i in ordered]


def _step_context(step: ir.Step, names: pyexpr.Names) -> dict[str, Any]:
    if step.call is not None:
        return _call_step_context(step, names)
    operation = (
        f"{step.operation_id} ({step.method} {step.path})"
        if step.operation_id
        else f"{step.method} {step.path}"
    )
    request_doc = f"Step {step.step_id}: the request to {operation}."
    if step.description:
        request_doc += "\n\n" + step.description
    return {
        "id_literal": pysrc.literal(step.step_id),
        "request_function": f"_{step.py_name}_request",
        "response_function": f"_{step.py_name}_response",
        "request_docstring": pysrc.docstring(wrap(request_doc), indent="    "),
        "response_docstring": pysrc.docstring(
            wrap(
                f"Step {step.step_id}: check the response, keep the outputs, pick the next step.",
                80,
            ),
            indent="    ",
        ),
        "request_lines": request_lines(step, names),
        "response_lines": response_lines(step, names),
        "prepared_type": "_Request",
        "response_param": (
            "response: httpx.Response | StepRequestError"
            if answers_unsent(step)
            else "response: httpx.Response"
        ),
    }


def _call_step_context(step: ir.Step, names: pyexpr.Names) -> dict[str, Any]:
    assert step.call is not None
    doc = f"Step {step.step_id}: run workflow {step.call.workflow_id}."
    if step.description:
        doc += "\n\n" + step.description
    return {
        "id_literal": pysrc.literal(step.step_id),
        "request_function": f"_{step.py_name}_request",
        "response_function": f"_{step.py_name}_response",
        "request_docstring": pysrc.docstring(wrap(doc), indent="    "),
        "response_docstring": pysrc.docstring(
            wrap(
                f"Step {step.step_id}: keep the outputs of the workflow it ran, pick the next step."
            ),
            indent="    ",
        ),
        "request_lines": call_lines(step, names),
        "response_lines": response_lines(step, call_names(step, names)),
        "prepared_type": "_Call",
        "response_param": (
            "result: Mapping[str, Any] | Exception"
            if catches_failures(step)
            else "outputs: Mapping[str, Any]"
        ),
    }


def _variant(workflow: ir.Workflow, is_async: bool) -> dict[str, str]:
    return {
        "def_keyword": "async def" if is_async else "def",
        "name": workflow.function + ("_async" if is_async else ""),
        "client_type": "httpx.AsyncClient" if is_async else "httpx.Client",
        "with_keyword": "async with" if is_async else "with",
        "client_factory": "_async_client" if is_async else "_sync_client",
        "await_keyword": "await " if is_async else "",
        "send": "_send_async" if is_async else "_send",
        "run_attribute": "run_async" if is_async else "run",
        "docstring": pysrc.docstring(wrap(_function_doc(workflow, is_async)), indent="    "),
        "sleep_type": (
            "Callable[[float], Awaitable[None]]" if is_async else "Callable[[float], None]"
        ),
        "sleep_default": "asyncio.sleep" if is_async else "time.sleep",
    }


def _function_doc(workflow: ir.Workflow, is_async: bool) -> str:
    if is_async:
        return (
            f"Async twin of {workflow.function}: the same arguments (client is an "
            "httpx.AsyncClient), outputs and errors."
        )
    lines = [workflow.summary or f"Run the Arazzo workflow {workflow.workflow_id}."]
    if workflow.description:
        lines += ["", workflow.description]
    lines += ["", "Args:"]
    for item in sorted(workflow.inputs, key=lambda i: not i.required):
        text = item.description or "(no description)"
        lines.append(f"    {item.py_name}: input {item.name!r}. {text}")
    lines += [
        "    client: an httpx client to send the requests with; by default a new one.",
        (
            "    base_urls: base URLs by source description name (default: DEFAULT_BASE_URLS)."
            if workflow.base_urls
            else "    base_url: the API's base URL"
            + (" (default: DEFAULT_BASE_URL)." if workflow.base_url else ".")
        ),
        "    headers: extra headers for every request, e.g. Authorization.",
        "    params: extra query parameters for every request, e.g. an API key; their "
        "values are kept out of error messages and httpx's log records.",
        "    timeout: seconds each step's request and response may take in all.",
        "    max_steps: how many steps may run before StepBudgetExceededError.",
        "    max_response_bytes: the largest response body read; a larger one fails the step.",
        "    on_response: called with the workflow id, step id and response each time a "
        "step gets a response, also in the workflows this one runs (to log or trace them); "
        "what it raises propagates.",
        *(_RETRY_ARGS if takes_sleep(workflow) else []),
        "",
        "Returns:",
        f"    The workflow outputs as {workflow.outputs_class}.",
        "",
        "Raises:",
        "    StepFailedError: a step's success criteria were not met, or its response lacks "
        "what the outputs need or is too large.",
        "    StepTimeoutError: a step took longer than timeout.",
        "    StepRequestError: a request could not be sent or its response not received "
        "(its __cause__ is the httpx error).",
        "    StepBudgetExceededError: more than max_steps steps ran.",
        "    StepNotRunError: an output needs a step that did not run.",
    ]
    if any(checks_call(s) for s in workflow.steps):
        lines += [
            "    WorkflowStepFailedError: a step's success criteria do not hold on the "
            "outputs of the workflow it ran.",
        ]
    return "\n".join(lines)
