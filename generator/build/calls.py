"""Build: calls of other workflows, of this document or of an Arazzo source.

A step with `workflowId` runs that workflow: its parameters (matched by name)
become the callee's inputs, and the step's outputs, successCriteria and actions
read the callee's outputs as `$outputs.<name>`. A workflow's `dependsOn` workflows
run first, with the caller's inputs of the same names; their outputs are
`$workflows.<id>.outputs.<name>`.
Callees are built before their callers, so their names and output types are known.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from generator import ir, pysrc
from generator.build.actions import step_actions
from generator.build.types import TypeScope
from generator.build.values import read_value
from generator.diagnostics import Span
from generator.expressions import InputRef
from generator.spec import arazzo as spec

if TYPE_CHECKING:
    from generator.build.workflow import WorkflowBuilder

_SOURCE_PREFIX = "$sourceDescriptions."


def callees(
    workflow: spec.Workflow, components: spec.Components | None = None
) -> list[tuple[str, str]]:
    """(workflowId, pointer) of every workflow `workflow` calls, depends on or goes to."""
    found = [(w, f"{workflow.ptr}/dependsOn/{i}") for i, w in enumerate(workflow.depends_on)]
    found += [(s.workflow_id, f"{s.ptr}/workflowId") for s in workflow.steps if s.workflow_id]
    entries = [*workflow.success_actions, *workflow.failure_actions]
    for step in workflow.steps:
        entries += [*step.on_success, *step.on_failure]
    for entry in entries:
        action = entry if isinstance(entry, spec.Action) else _component_action(entry, components)
        if action is not None and action.workflow_id and action.type != "end":
            found.append((action.workflow_id, f"{action.ptr}/workflowId"))
    return found


def _component_action(
    entry: spec.Reusable, components: spec.Components | None
) -> spec.Action | None:
    if components is None:
        return None
    name = entry.reference.rpartition(".")[2]
    return components.success_actions.get(name) or components.failure_actions.get(name)


def build_order(
    workflows: Iterable[spec.Workflow], components: spec.Components | None = None
) -> tuple[list[spec.Workflow], list[spec.Workflow]]:
    """Callees before callers; returns (ordered, in a cycle)."""
    pending = {w.workflow_id: w for w in workflows}
    ordered: list[spec.Workflow] = []
    done: set[str] = set()
    progress = True
    while pending and progress:
        progress = False
        for workflow_id, workflow in list(pending.items()):
            needed = {callee for callee, _ in callees(workflow, components) if callee in pending}
            if not needed - done - {workflow_id} and workflow_id not in needed:
                ordered.append(workflow)
                done.add(workflow_id)
                del pending[workflow_id]
                progress = True
    return ordered, list(pending.values())


def resolve_callee(
    builder: WorkflowBuilder, workflow_id: str, pointer: str, built: Mapping[str, ir.Workflow]
) -> ir.Workflow | None:
    """The built IR of a workflow of this document; reports unknown or remote ones."""
    if workflow_id.startswith(_SOURCE_PREFIX):
        return _remote_callee(builder, workflow_id, pointer)
    known = {w.workflow_id for w in builder.document.workflows}
    if workflow_id not in known:
        builder.diagnostics.error(
            "AG330",
            builder.span(pointer),
            f"there is no workflow {workflow_id!r} in this document",
            f"workflows of this document: {', '.join(sorted(known)) or 'none'}",
        )
    return built.get(workflow_id)  # None: it failed to build, and said why


def _remote_callee(builder: WorkflowBuilder, reference: str, pointer: str) -> ir.Workflow | None:
    """`$sourceDescriptions.<name>.<workflowId>`: a workflow of another Arazzo document."""
    name, _, workflow_id = reference[len(_SOURCE_PREFIX) :].partition(".")
    document = builder.sources.arazzo.get(name)
    declared = [s.name for s in builder.document.sources if s.type == "arazzo"]
    if document is None and name in declared:
        return None  # it could not be loaded, which was reported at its url
    if document is None:
        builder.diagnostics.error(
            "AG330",
            builder.span(pointer),
            f"{reference!r} names no Arazzo source description {name!r}",
            f"Arazzo sources of this document: {', '.join(declared) or 'none'}",
        )
        return None
    callee = document.get(workflow_id)
    if callee is None:
        builder.diagnostics.error(
            "AG330",
            builder.span(pointer),
            f"source {name!r} has no workflow {workflow_id!r} that compiles",
            f"its workflows: {', '.join(document) or 'none (see its own diagnostics)'}",
        )
    return callee


def call_for_step(
    builder: WorkflowBuilder, step: spec.Step, callee: ir.Workflow, same_api: bool
) -> ir.WorkflowCall | None:
    """The call of a step with `workflowId`: each parameter (inline, or a reusable one
    from `components.parameters` with its `value` override) is the callee's input of
    that name."""
    inputs = {i.name: i for i in callee.inputs}
    args = []
    given: set[str] = set()
    ok = True
    for entry in step.parameters:
        argument = _argument(builder, entry, callee, inputs)
        if argument is None:
            ok = False
            continue
        target, value = argument
        if target.name in given:
            builder.diagnostics.error(
                "AG312",
                builder.span(entry.ptr),
                f"input {target.name!r} of workflow {callee.workflow_id!r} is given twice",
                "give each input once",
            )
            ok = False
        given.add(target.name)
        args.append((target.py_name, value))
    ok = _require_inputs(builder, callee, given, step.ptr) and ok
    return _call(callee, tuple(args), same_api, builder.span(step.ptr)) if ok else None


def _argument(
    builder: WorkflowBuilder,
    entry: spec.Parameter | spec.Reusable,
    callee: ir.Workflow,
    inputs: Mapping[str, ir.Input],
) -> tuple[ir.Input, ir.Value] | None:
    """The callee's input a step parameter gives, and its value; None after an error."""
    resolved = builder.parameter(entry)
    if resolved is None:
        return None
    found, raw, pointer = resolved
    target = inputs.get(found.name)
    if target is None:
        builder.diagnostics.error(
            "AG332",
            builder.span(entry.ptr),
            f"workflow {callee.workflow_id!r} has no input {found.name!r}",
            f"its inputs: {', '.join(inputs) or 'none'}",
        )
        return None
    value = read_value(builder.doc, pointer, raw, builder.diagnostics)
    return (target, value) if value is not None else None


def call_for_dependency(
    builder: WorkflowBuilder,
    callee: ir.Workflow,
    caller_inputs: Mapping[str, ir.Input],
    pointer: str,
    same_api: bool,
) -> ir.WorkflowCall | None:
    """Dependencies get the caller's inputs of the same names."""
    args: tuple[tuple[str, ir.Value], ...] = tuple(
        (i.py_name, InputRef(i.name, None)) for i in callee.inputs if i.name in caller_inputs
    )
    if not _require_inputs(builder, callee, set(caller_inputs), pointer):
        return None
    return _call(callee, args, same_api, builder.span(pointer))


def _require_inputs(
    builder: WorkflowBuilder, callee: ir.Workflow, given: set[str], pointer: str
) -> bool:
    missing = [i.name for i in callee.inputs if i.required and i.name not in given]
    if missing:
        builder.diagnostics.error(
            "AG333",
            builder.span(pointer),
            f"workflow {callee.workflow_id!r} needs input(s) {', '.join(missing)} "
            "that this call does not give",
            "pass them as parameters of the step, or (for dependsOn) declare inputs "
            "of the same names in the calling workflow",
        )
    return not missing


def _call(
    callee: ir.Workflow,
    args: tuple[tuple[str, ir.Value], ...],
    same_api: bool,
    span: Span,
) -> ir.WorkflowCall:
    inner = callee.calls
    raises = {(callee.package, callee.module)}.union(*(c.raises for c in inner))
    return ir.WorkflowCall(
        workflow_id=callee.workflow_id,
        package=callee.package,
        module=callee.module,
        function=callee.function,
        outputs_class=callee.outputs_class,
        args=args,
        output_keys={o.name: o.py_name for o in callee.outputs},
        base_url=callee.base_url,
        same_api=same_api,
        span=span,
        raises=tuple(sorted(raises)),
        waits=callee.retries or any(c.waits for c in inner),
    )


def dependency_calls(
    builder: WorkflowBuilder, workflow: spec.Workflow, scope: TypeScope
) -> list[ir.WorkflowCall] | None:
    """The calls of `dependsOn`, in order; None when one cannot be made."""
    calls = []
    for index, workflow_id in enumerate(workflow.depends_on):
        pointer = f"{workflow.ptr}/dependsOn/{index}"
        callee = resolve_callee(builder, workflow_id, pointer, builder.built)
        if callee is None:
            return None
        call = call_for_dependency(builder, callee, scope.inputs, pointer, False)
        if call is None:
            return None
        scope.workflow_outputs[workflow_id] = {o.name: o.type for o in callee.outputs}
        calls.append(call)
    return calls


def call_step(
    builder: WorkflowBuilder, workflow: spec.Workflow, step: spec.Step, scope: TypeScope
) -> ir.Step | None:
    """A step that runs another workflow.

    It succeeds when that workflow returns and its successCriteria (which read
    `$outputs.<name>`, inputs and earlier steps) hold; a workflow that raises is a
    failure too, which its failure actions may handle."""
    assert step.workflow_id is not None
    callee = resolve_callee(builder, step.workflow_id, f"{step.ptr}/workflowId", builder.built)
    if callee is None:
        return None
    call = call_for_step(builder, step, callee, False)
    scope.call_outputs, scope.in_call = {o.name: o.type for o in callee.outputs}, True
    outputs = builder.read_outputs(step.outputs, scope, None, None)
    scope.call_outputs, scope.in_call = {}, False
    scope.step_outputs[step.step_id] = {o.name: o.type for o in outputs}
    criteria = builder.criteria(step.success_criteria)
    on_success = step_actions(builder, workflow, step, success=True, runs_workflow=True)
    on_failure = step_actions(builder, workflow, step, success=False, runs_workflow=True)
    if call is None:
        return None
    return ir.Step(
        step_id=step.step_id,
        py_name=builder.step_names.claim(pysrc.snake_case(step.step_id)),
        description=step.description,
        operation_id=None,
        method="",
        path="",
        params=(),
        body=None,
        success_criteria=criteria,
        on_success=on_success,
        on_failure=on_failure,
        outputs=outputs,
        declared_params=(),
        span=builder.span(step.ptr),
        call=call,
    )


def same_api(call: ir.WorkflowCall, base_url: str | None) -> ir.WorkflowCall:
    """Mark a call whose callee talks to the caller's API: it gets the caller's base_url.

    `base_url` is None when the caller talks to several APIs: callees keep their own."""
    return dataclasses.replace(call, same_api=base_url is not None and call.base_url == base_url)


def with_api(steps: tuple[ir.Step, ...], base_url: str | None) -> tuple[ir.Step, ...]:
    """Steps whose calls (workflow steps, gotos to workflows) know if they share the API."""

    def actions(found: tuple[ir.Action, ...]) -> tuple[ir.Action, ...]:
        return tuple(
            dataclasses.replace(a, call=same_api(a.call, base_url)) if a.call else a for a in found
        )

    return tuple(
        dataclasses.replace(
            s,
            call=same_api(s.call, base_url) if s.call else None,
            on_success=actions(s.on_success),
            on_failure=actions(s.on_failure),
        )
        for s in steps
    )
