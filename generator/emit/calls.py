"""Emit: workflow steps, dependencies and actions, which run other workflows.

A workflow step's request function returns a `_Call` (the callee's sync and async
functions and its inputs) instead of a `_Request`; the run loop calls it with the
caller's client, headers, timeout and step budget (and base_url when both talk to
the same API). Its response function reads the callee's outputs from `outputs`.

A workflow step with failure actions also handles the callee raising: its `_Call`
names the error classes of every module the callee may raise from (`failures`),
the run loop passes such an error to the response function instead of outputs,
and the step fails. A step without failure actions lets the error propagate.
"""

from __future__ import annotations

import dataclasses

from generator import ir, pysrc
from generator.checks import response_expressions
from generator.emit import pyexpr
from generator.emit.imports import Imports
from generator.expressions import OutputRef, StatusCode


def takes_sleep(workflow: ir.Workflow) -> bool:
    """Whether the workflow function takes `sleep` and `max_retry_delay`: it retries, or
    a workflow it runs does (and gets them from it)."""
    return workflow.retries or any(call.waits for call in workflow.calls)


def goto_calls(workflow: ir.Workflow) -> list[ir.WorkflowCall]:
    """The workflows that goto actions go to (they end the calling workflow)."""
    return [a.call for a in _actions(workflow) if a.call and a.kind == "goto"]


def retry_calls(workflow: ir.Workflow) -> list[ir.WorkflowCall]:
    """The workflows that retry actions run before they retry their step."""
    return [a.call for a in _actions(workflow) if a.call and a.kind == "retry"]


def _actions(workflow: ir.Workflow) -> list[ir.Action]:
    return [a for s in workflow.steps for a in (*s.on_success, *s.on_failure)]


def catches_failures(step: ir.Step) -> bool:
    """Whether a workflow step handles its workflow raising (it has failure actions)."""
    return step.call is not None and bool(step.on_failure)


def checks_call(step: ir.Step) -> bool:
    """Whether a workflow step does more than take its workflow's outputs: it has
    success criteria or failure actions."""
    return step.call is not None and bool(step.success_criteria or step.on_failure)


def calls_needs(workflow: ir.Workflow, imports: Imports) -> list[str]:
    calls = workflow.calls
    for call in calls:
        if call.package == workflow.package:
            imports.need(f".{call.module}", call.function, call.function + "_async")
        else:  # another document's package: by module, so function names cannot clash
            imports.need(f"..{call.package}", f"{call.module} as {_alias(*_key(call))}")
    for step in workflow.steps:
        for package, module in step.call.raises if catches_failures(step) and step.call else ():
            where = "." if package == workflow.package else f"..{package}"
            imports.need(where, f"{module} as {_alias(package, module)}")
    features = ["calls"] if calls else []
    if reads_called_status(workflow):
        features.append("called_status")
    if calls:
        imports.need("collections.abc", "Awaitable")
    if any(checks_call(s) for s in workflow.steps):
        features.append("call_checks")
    return features


def _key(call: ir.WorkflowCall) -> tuple[str, str]:
    return call.package, call.module


def _alias(package: str, module: str) -> str:
    """The name a generated module is imported as (package names have no `__`)."""
    return f"_{package}__{module}"


def call_expression(call: ir.WorkflowCall, names: pyexpr.Names, *, catch: bool = False) -> str:
    """A `_Call(...)` that runs `call`'s workflow with its inputs; with `catch`, it names
    the errors that mean the workflow failed."""
    inputs = ", ".join(f"{pysrc.literal(k)}: {pyexpr.value(v, names)}" for k, v in call.args)
    function = call.function
    if call.package != names.package:
        function = f"{_alias(*_key(call))}.{call.function}"
    failures = ""
    if catch:
        classes = [f"{_alias(*raised)}.WorkflowError" for raised in call.raises]
        failures = f", failures=({', '.join(classes)},)"
    waits = ", waits=True" if call.waits else ""
    return (
        f"_Call({function}, {function}_async, {{{inputs}}}, "
        f"same_api={call.same_api}{waits}{failures})"
    )


def call_lines(step: ir.Step, names: pyexpr.Names) -> list[str]:
    assert step.call is not None
    return [f"return {call_expression(step.call, names, catch=catches_failures(step))}"]


def call_names(step: ir.Step, names: pyexpr.Names) -> pyexpr.Names:
    """`names` for compiling a workflow step's outputs and actions: `$outputs.x` reads
    the callee's outputs, `$statusCode` the status of the last response it got."""
    keys = step.call.output_keys if step.call else {}
    return dataclasses.replace(names, call_keys=keys, called=True)


def reads_called_status(workflow: ir.Workflow) -> bool:
    """Whether a step that runs a workflow reads `$statusCode` (repair AG427): the run
    loop then keeps the status of the last response that workflow got."""
    return any(
        isinstance(e, StatusCode)
        for step in workflow.steps
        if step.call is not None
        for e in response_expressions(step)
    )


def call_check_lines(step: ir.Step, names: pyexpr.Names) -> tuple[list[str], list[str]]:
    """The start of a workflow step's response function, which checks that the step
    succeeded: (the lines before the failure actions, the lines after them). Without
    failure actions there are none, and the first part raises on its own."""
    assert step.call is not None
    step_id, callee = pysrc.literal(step.step_id), pysrc.literal(step.call.workflow_id)
    criteria = [(c.source, pyexpr.criterion(c, names)) for c in step.success_criteria]

    def unmet(reason: str) -> str:
        return f"raise WorkflowStepFailedError({step_id}, {callee}, {reason})"

    if not catches_failures(step):
        lines: list[str] = []
        for source, check in criteria:
            reason = pysrc.literal("success criterion not met: " + source)
            lines += [f"if not {check}:", f"    {unmet(reason)}"]
        return lines, []
    if any(isinstance(e, OutputRef) for e in response_expressions(step)):
        keys = tuple(step.call.output_keys.values())
        lines = [f"outputs, failed = _call_result(result, {pyexpr.tokens(keys)})"]
    else:
        lines = ["failed = result if isinstance(result, Exception) else None"]
    if not criteria:
        return [*lines, "if failed is not None:"], ["raise failed"]
    checks = ", ".join(f"({pysrc.literal(source)}, {check})" for source, check in criteria)
    lines += [
        f"unmet = _first_unmet({checks},) if failed is None else 'the workflow failed'",
        "if unmet is not None:",
    ]
    reason = pysrc.literal("success criterion not met: ") + " + unmet"
    return lines, ["if failed is not None:", "    raise failed", unmet(reason)]
