"""Build: turn one Arazzo workflow into its IR, resolving everything it references.

Features the compiler cannot yet compile faithfully are reported as errors that
say so; the workflow then produces no module rather than code that does the
wrong thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from generator import ir, pysrc
from generator.build.actions import step_actions
from generator.build.calls import call_step, dependency_calls, same_api, with_api
from generator.build.criteria import compile_criterion
from generator.build.defaults import default_problem
from generator.build.operations import Sources
from generator.build.requests import read_body, read_params
from generator.build.types import (
    TypeScope,
    expression_type,
    response_schema,
    success_status,
    typed_array,
)
from generator.build.values import read_expression, read_value, unsupported
from generator.checks import check_params, check_step_ids
from generator.diagnostics import Diagnostics, Span
from generator.load import join_pointer, split_pointer
from generator.spec import arazzo as spec
from generator.spec.openapi import Operation
from generator.typemap import ANNOTATION_NAMES, STR, optional, schema_type

_T = TypeVar("_T")

#: Names every generated workflow function takes besides the workflow inputs.
RUNTIME_PARAMETERS = (
    "client",
    "base_url",
    "headers",
    "params",
    "timeout",
    "max_steps",
    "sleep",
    "max_retry_delay",
    "max_response_bytes",
    "base_urls",
    "on_response",
)
#: Names the workflow function's body and the module use; inputs never shadow them.
_FUNCTION_NAMES = (
    "state",
    "step",
    "steps_run",
    "build_request",
    "handle_response",
    "request",
    "response",
    "http",
    "httpx",
    "json",
    "dataclasses",
    "contextlib",
    "quote",
)


@dataclass(frozen=True)
class Naming:
    """Python names chosen for a workflow by the document-level builder."""

    package: str
    module: str
    function: str
    outputs_class: str


class WorkflowBuilder:
    """Builds the IR of the workflows of one Arazzo document."""

    def __init__(
        self, document: spec.ArazzoDocument, sources: Sources, diagnostics: Diagnostics
    ) -> None:
        self.document = document
        self.doc = document.doc
        self.sources = sources
        self.diagnostics = diagnostics

    def span(self, pointer: str) -> Span:
        return self.doc.span(pointer)

    def unsupported(self, pointer: str, what: str) -> None:
        unsupported(self.diagnostics, self.span(pointer), what)

    def build(
        self, workflow: spec.Workflow, naming: Naming, built: Mapping[str, ir.Workflow]
    ) -> ir.Workflow | None:
        """The IR of `workflow`; `built` holds the workflows it calls, built before it."""
        errors_before = self.diagnostics.error_count
        self.built = built
        if not workflow.steps:
            self.diagnostics.error(
                "AG110",
                self.span(workflow.ptr),
                f"workflow {workflow.workflow_id!r} has no steps",
                "a workflow needs at least one step",
            )
        inputs = self._inputs(workflow)
        scope = TypeScope({i.name: i for i in inputs})
        self.scope_inputs = scope.inputs
        self.servers: set[tuple[str, ...]] = set()
        self.source_urls: dict[str, str] = {}  # source description -> its default base URL
        self.step_names = pysrc.Namespace()
        check_step_ids([(s.step_id, self.span(s.ptr)) for s in workflow.steps], self.diagnostics)
        dependencies = dependency_calls(self, workflow, scope)
        steps = tuple(step for s in workflow.steps if (step := self._step(workflow, s, scope)))
        outputs = self.read_outputs(workflow.outputs, scope, None, None)
        unresolved = len(steps) < len(workflow.steps) or dependencies is None
        if self.diagnostics.error_count > errors_before or unresolved or dependencies is None:
            return None  # what did not resolve was reported here or where it is defined
        servers = next(iter(self.servers), ())
        base_url = next((url for url in servers if "://" in url), "")
        base_urls: tuple[tuple[str, str], ...] = ()
        if len(self.servers) > 1:  # several APIs: one base URL per source description
            base_urls = tuple(sorted(self.source_urls.items()))
            base_url = ""
        if not self.servers:  # only workflow steps: the API their workflows share, if one
            calls = [*dependencies, *(s.call for s in steps if s.call)]
            urls = {c.base_url for c in calls}
            base_url = urls.pop() if len(urls) == 1 else ""
        return ir.Workflow(
            workflow_id=workflow.workflow_id,
            summary=workflow.summary,
            description=workflow.description,
            source_file=self.doc.display,
            package=naming.package,
            module=naming.module,
            function=naming.function,
            outputs_class=naming.outputs_class,
            base_url=base_url,
            inputs=inputs,
            steps=with_api(steps, None if base_urls else base_url),
            outputs=outputs,
            span=self.span(workflow.ptr),
            depends_on=tuple(
                same_api(call, None if base_urls else base_url) for call in dependencies
            ),
            base_urls=base_urls,
        )

    # -- inputs ----------------------------------------------------------------------

    def _inputs(self, workflow: spec.Workflow) -> tuple[ir.Input, ...]:
        pointer = join_pointer(workflow.ptr, "inputs")
        schema, at = self._local_at(workflow.inputs, pointer)
        if not isinstance(schema, dict):
            return ()
        named = self._named_input(workflow.inputs, schema, pointer)
        if named is not None:
            return (self._input(named, schema, at, required=False, names=_input_names()),)
        properties, at = self._local_at(schema.get("properties"), join_pointer(at, "properties"))
        if not isinstance(properties, dict):
            return ()
        listed = schema.get("required")
        required: list[Any] = listed if isinstance(listed, list) else []
        names = _input_names()
        inputs = []
        for name, raw in properties.items():
            prop, where = self._local_at(raw, join_pointer(at, name))
            inputs.append(self._input(name, prop, where, required=name in required, names=names))
        return tuple(inputs)

    def _input(
        self, name: str, prop: Any, where: str, *, required: bool, names: pysrc.Namespace
    ) -> ir.Input:
        description = prop.get("description") if isinstance(prop, dict) else None
        return ir.Input(
            name=name,
            py_name=names.claim(pysrc.snake_case(name)),
            type=schema_type(prop, self._local, inbound=True),
            required=required,
            description=description if isinstance(description, str) else None,
            default=self._default(name, prop, where),
        )

    def _named_input(self, raw: Any, schema: dict[str, Any], pointer: str) -> str | None:
        """Real documents write `inputs: {$ref: '#/components/inputs/<name>'}` where that
        schema is not an object (`type: string`) and read `$inputs.<name>`: the one
        meaning is a single input of that name and schema (AG425)."""
        ref = raw.get("$ref") if isinstance(raw, dict) else None
        prefix = "#/components/inputs/"
        kind = schema.get("type")
        if not isinstance(ref, str) or not ref.startswith(prefix) or "properties" in schema:
            return None
        if not isinstance(kind, str) or kind == "object":
            return None
        name = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
        self.diagnostics.warning(
            "AG425",
            self.span(pointer),
            f"the inputs schema {ref!r} is a {kind}, not an object; read as one input "
            f"{name!r} of that schema",
            f"write inputs: {{type: object, properties: {{{name}: {{$ref: '{ref}'}}}}}}",
        )
        return name

    def _default(self, name: str, prop: Any, pointer: str) -> ir.Const | None:
        """An input's schema `default`, checked against its schema (AG614 when it fails)."""
        if not isinstance(prop, dict) or "default" not in prop:
            return None
        problem = default_problem(self.doc.data, prop)
        if problem is not None:
            self.diagnostics.error(
                "AG614",
                self.span(join_pointer(pointer, "default")),
                f"the default of input {name!r} does not fit its schema: {problem}",
                "give a default the input's schema allows, or none",
            )
            return None
        return ir.Const(prop["default"])

    def _local(self, schema: Any) -> Any:
        """Follow `$ref`s within the Arazzo document (e.g. to `components.inputs`)."""
        return self._local_at(schema, "")[0]

    def _local_at(self, schema: Any, pointer: str) -> tuple[Any, str]:
        """`_local`, with the pointer of where the schema it returns is."""
        for _ in range(32):
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if not isinstance(ref, str):
                return schema, pointer
            if not ref.startswith("#/"):
                return None, pointer
            schema, pointer = self.doc.data, ref[1:]
            for token in split_pointer(pointer):
                schema = schema.get(token) if isinstance(schema, dict) else None
        return None, pointer

    # -- steps -----------------------------------------------------------------------

    def _operation(self, step: spec.Step) -> Operation | None:
        span = self.span(step.ptr)
        if step.operation_id is not None:
            return self.sources.resolve_id(
                step.operation_id, self.span(f"{step.ptr}/operationId"), self.diagnostics
            )
        if step.operation_path is not None:
            return self.sources.resolve_path(
                step.operation_path, self.span(f"{step.ptr}/operationPath"), self.diagnostics
            )
        if step.workflow_id is None:
            self.diagnostics.error(
                "AG305",
                span,
                f"step {step.step_id!r} names no operationId, operationPath or workflowId",
                "give the step exactly one of them",
            )
        return None

    def _step(self, workflow: spec.Workflow, step: spec.Step, scope: TypeScope) -> ir.Step | None:
        if step.workflow_id is not None and not (step.operation_id or step.operation_path):
            return call_step(self, workflow, step, scope)
        operation = self._operation(step)
        if operation is None:
            self._check_unresolved(step, scope)
            return None
        servers = self.sources.servers_of(operation)
        self.servers.add(servers)
        source = self.sources.name_of(operation)
        self.source_urls[source] = next((url for url in servers if "://" in url), "")
        params = read_params(self, workflow, step, operation)
        body = read_body(self, step, operation)
        criteria = self.criteria(step.success_criteria, operation)
        body_schema = response_schema(operation, success_status(operation, criteria))
        outputs = self.read_outputs(step.outputs, scope, body_schema, operation)
        scope.step_outputs[step.step_id] = {o.name: o.type for o in outputs}
        built = ir.Step(
            step_id=step.step_id,
            py_name=self.step_names.claim(pysrc.snake_case(step.step_id)),
            description=step.description,
            operation_id=operation.operation_id,
            method=operation.method,
            path=operation.path,
            params=params,
            body=body,
            success_criteria=criteria,
            on_success=step_actions(self, workflow, step, success=True),
            on_failure=step_actions(self, workflow, step, success=False),
            outputs=outputs,
            declared_params=tuple((p.name, p.location) for p in operation.parameters),
            span=self.span(step.ptr),
            source=source,
        )
        check_params(built, self.diagnostics)
        return built

    def _check_unresolved(self, step: spec.Step, scope: TypeScope) -> None:
        """Report what is wrong in the parts of a step whose operation did not resolve
        that do not depend on the operation: parameter values, criteria, outputs."""
        for entry in step.parameters:
            if isinstance(entry, spec.Parameter):
                read_value(self.doc, f"{entry.ptr}/value", entry.value, self.diagnostics)
        self.criteria(step.success_criteria)
        self.read_outputs(step.outputs, scope, None, None)

    def criteria(
        self, criteria: tuple[spec.Criterion, ...], operation: Operation | None = None
    ) -> tuple[ir.Criterion, ...]:
        """Compiled criteria; with the step's `operation`, its response schemas tell
        which values are arrays (for `$.items.length == 5`)."""
        resolver = self.sources.resolver
        arrays = (lambda path: typed_array(operation, resolver, path)) if operation else None
        compiled = (
            compile_criterion(c, self.span(c.ptr), self.diagnostics, self.doc, arrays)
            for c in criteria
        )
        return tuple(c for c in compiled if c is not None)

    def parameter(
        self, entry: spec.Parameter | spec.Reusable
    ) -> tuple[spec.Parameter, Any, str] | None:
        """A step's parameter with a reusable one resolved: the Parameter Object, and its
        raw value and that value's pointer (a reusable one's `value` overrides)."""
        found = (
            self.component(entry, "parameters", self.document.components.parameters)
            if isinstance(entry, spec.Reusable)
            else entry
        )
        if found is None:
            return None
        if isinstance(entry, spec.Reusable) and entry.has_value:
            return found, entry.value, f"{entry.ptr}/value"
        return found, found.value, f"{found.ptr}/value"

    def component(self, entry: spec.Reusable, kind: str, table: Mapping[str, _T]) -> _T | None:
        """The entry of `components.<kind>` a Reusable Object references."""
        prefix = f"$components.{kind}."
        name = entry.reference[len(prefix) :] if entry.reference.startswith(prefix) else None
        found = table.get(name) if name is not None else None
        if found is None:
            known = ", ".join(table) or "none"
            self.diagnostics.error(
                "AG306",
                self.span(entry.ptr),
                f"reference {entry.reference!r} names no entry of components.{kind}",
                f"write '$components.{kind}.<name>'; entries: {known}",
            )
        return found

    # -- outputs ---------------------------------------------------------------------

    def _constant_output(self, name: str, text: str, span: Span) -> None:
        """Real documents give an output plain text (`searchProcessed: Done`): it holds no
        runtime expression, so its one meaning is that text (AG423)."""
        self.diagnostics.warning(
            "AG423",
            span,
            f"output {name!r} is the text {text!r}, not a runtime expression; "
            "it is that text on every run",
            "outputs are runtime expressions ('$steps.<id>.outputs.<name>', '$inputs.<name>', "
            "...); a text that does not depend on the run has no standard form: compute "
            "the output from the run or leave it out",
        )

    def read_outputs(
        self,
        raw: tuple[tuple[str, Any, str], ...],
        scope: TypeScope,
        body_schema: Any,
        operation: Operation | None,
    ) -> tuple[ir.Output, ...]:
        names = pysrc.Namespace(reserved=ANNOTATION_NAMES)
        outputs = []
        resolver = self.sources.resolver if operation else None
        for name, value, pointer in raw:
            span = self.span(pointer)
            if isinstance(value, str) and "$" not in value:
                self._constant_output(name, value, span)
                py_name = names.claim(pysrc.snake_case(name))
                outputs.append(ir.Output(name, py_name, ir.Const(value), STR, True, span))
                continue
            expr = read_expression(span, value, self.diagnostics, f"output {name!r}")
            if expr is None:
                continue
            typed = expression_type(expr, scope, body_schema, resolver)
            kind = typed.type if typed.required or typed.type.is_any else optional(typed.type)
            outputs.append(
                ir.Output(
                    name, names.claim(pysrc.snake_case(name)), expr, kind, typed.required, span
                )
            )
        return tuple(outputs)


def _input_names() -> pysrc.Namespace:
    """The names inputs may not take: the function's other parameters and names."""
    return pysrc.Namespace(reserved=RUNTIME_PARAMETERS + _FUNCTION_NAMES + ANNOTATION_NAMES)
