"""Emit: workflow steps and dependencies, which run other workflows of the document.

A workflow step's request function returns a `_Call` (the callee's sync and async
functions and its inputs) instead of a `_Request`; the run loop calls it with the
caller's client, headers, timeout and step budget (and base_url when both talk to
the same API). Its response function reads the callee's outputs from `outputs`.
"""

from __future__ import annotations

import dataclasses

from generator import ir, pysrc
from generator.emit import pyexpr
from generator.emit.imports import Imports


def goto_calls(workflow: ir.Workflow) -> list[ir.WorkflowCall]:
    """The workflows that success or failure actions go to."""
    return [a.call for s in workflow.steps for a in (*s.on_success, *s.on_failure) if a.call]


def calls_needs(workflow: ir.Workflow, imports: Imports) -> list[str]:
    calls = [*workflow.depends_on, *(s.call for s in workflow.steps if s.call)]
    calls += goto_calls(workflow)
    for call in calls:
        if call.package == workflow.package:
            imports.need(f".{call.module}", call.function, call.function + "_async")
        else:  # another document's package: by module, so function names cannot clash
            imports.need(f"..{call.package}", f"{call.module} as {_alias(call)}")
    if calls:
        imports.need("collections.abc", "Awaitable")
        return ["calls"]
    return []


def _alias(call: ir.WorkflowCall) -> str:
    """The name another document's module is imported as (package names have no `__`)."""
    return f"_{call.package}__{call.module}"


def call_expression(call: ir.WorkflowCall, names: pyexpr.Names) -> str:
    """A `_Call(...)` that runs `call`'s workflow with its inputs."""
    inputs = ", ".join(f"{pysrc.literal(k)}: {pyexpr.value(v, names)}" for k, v in call.args)
    function = call.function
    if call.package != names.package:
        function = f"{_alias(call)}.{call.function}"
    return f"_Call({function}, {function}_async, {{{inputs}}}, same_api={call.same_api})"


def call_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    assert step.call is not None
    return [f"return {call_expression(step.call, names)}"]


def call_names(step: ir.Step, names: pyexpr.Names) -> pyexpr.Names:
    """`names` for compiling a workflow step's outputs and actions: `$outputs.x` reads
    the callee's outputs."""
    keys = step.call.output_keys if step.call else {}
    return dataclasses.replace(names, call_keys=keys)
