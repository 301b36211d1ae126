"""Spec model: typed, immutable views of an Arazzo 1.0.x document.

`read_arazzo` checks the structure of the document against the Arazzo 1.0.x
specification (required fields, field types, allowed values) while it builds the
model; problems are reported with the line and column of the offending node.
Every model object keeps its JSON pointer, so later stages can report problems
at the exact spot. Free text (summaries, descriptions) stays untrusted data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.diagnostics import Diagnostics
from generator.load import Document, join_pointer, split_pointer
from generator.spec.reader import Reader, json_type_name

SUPPORTED_VERSIONS = ("1.0.0", "1.0.1")
PARAMETER_LOCATIONS = ("path", "query", "header", "cookie")
CRITERION_TYPES = ("simple", "regex", "jsonpath", "xpath")


@dataclass(frozen=True)
class SourceDescription:
    name: str
    url: str
    type: str | None
    ptr: str


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str | None
    value: Any
    ptr: str


@dataclass(frozen=True)
class Reusable:
    """A Reusable Object: `reference: $components.x.y` with an optional value."""

    reference: str
    value: Any
    has_value: bool
    ptr: str


@dataclass(frozen=True)
class ExpressionType:
    type: str
    version: str


@dataclass(frozen=True)
class Criterion:
    condition: str
    context: str | None
    type: str | ExpressionType
    ptr: str


@dataclass(frozen=True)
class Action:
    """A Success Action or Failure Action Object."""

    name: str
    type: str
    step_id: str | None
    workflow_id: str | None
    retry_after: float | None
    retry_limit: int | None
    criteria: tuple[Criterion, ...]
    ptr: str


@dataclass(frozen=True)
class Replacement:
    target: str
    value: Any
    ptr: str


@dataclass(frozen=True)
class RequestBody:
    content_type: str | None
    payload: Any
    has_payload: bool
    replacements: tuple[Replacement, ...]
    ptr: str


@dataclass(frozen=True)
class Step:
    step_id: str
    description: str | None
    operation_id: str | None
    operation_path: str | None
    workflow_id: str | None
    parameters: tuple[Parameter | Reusable, ...]
    request_body: RequestBody | None
    success_criteria: tuple[Criterion, ...]
    on_success: tuple[Action | Reusable, ...]
    on_failure: tuple[Action | Reusable, ...]
    outputs: tuple[tuple[str, Any, str], ...]  # name, raw value, pointer
    ptr: str


@dataclass(frozen=True)
class Workflow:
    workflow_id: str
    summary: str | None
    description: str | None
    inputs: Any  # a JSON Schema, kept as data
    depends_on: tuple[str, ...]
    steps: tuple[Step, ...]
    success_actions: tuple[Action | Reusable, ...]
    failure_actions: tuple[Action | Reusable, ...]
    parameters: tuple[Parameter | Reusable, ...]
    outputs: tuple[tuple[str, Any, str], ...]
    ptr: str


@dataclass(frozen=True)
class Info:
    title: str
    summary: str | None
    description: str | None
    version: str


@dataclass(frozen=True)
class Components:
    inputs: dict[str, Any]
    parameters: dict[str, Parameter]
    success_actions: dict[str, Action]
    failure_actions: dict[str, Action]


@dataclass(frozen=True)
class ArazzoDocument:
    doc: Document
    version: str
    info: Info
    sources: tuple[SourceDescription, ...]
    workflows: tuple[Workflow, ...]
    components: Components


def read_arazzo(doc: Document, diagnostics: Diagnostics) -> ArazzoDocument | None:
    """The model of an Arazzo document, or None when its top level is unusable."""
    root = Reader(doc, "", doc.data, diagnostics)
    if not root.is_object("an Arazzo document"):
        return None
    root.check_fields(
        "the Arazzo document",
        ("arazzo", "info", "sourceDescriptions", "workflows", "components"),
    )
    version = root.string("arazzo", required=True) or ""
    if version and version not in SUPPORTED_VERSIONS:
        root.child("arazzo").error(
            "AG105",
            f"unsupported Arazzo version {version!r}",
            f"arazzo-gen reads versions {', '.join(SUPPORTED_VERSIONS)}",
        )
    sources = tuple(_source(r) for r in root.items("sourceDescriptions") if _is_obj(r))
    workflows = tuple(_workflow(r) for r in root.items("workflows") if _is_obj(r))
    if not root.has("sourceDescriptions"):
        root.error("AG102", "missing required field 'sourceDescriptions'")
    if not root.has("workflows"):
        root.error("AG102", "missing required field 'workflows'")
    components = _components(root)
    _check_schema_refs(root, workflows)
    return ArazzoDocument(doc, version, _info(root), sources, workflows, components)


def _is_obj(node: Reader) -> bool:
    return node.is_object("this entry")


def _info(root: Reader) -> Info:
    node = root.child("info")
    if not root.has("info"):
        root.error("AG102", "missing required field 'info'")
        return Info("", None, None, "")
    if not node.is_object("'info'"):
        return Info("", None, None, "")
    node.check_fields("'info'", ("title", "summary", "description", "version"))
    return Info(
        node.string("title", required=True) or "",
        node.string("summary"),
        node.string("description"),
        node.string("version", required=True) or "",
    )


def _source(node: Reader) -> SourceDescription:
    node.check_fields("a source description", ("name", "url", "type"))
    return SourceDescription(
        node.string("name", required=True) or "",
        node.string("url", required=True) or "",
        node.enum("type", ("openapi", "arazzo")),
        node.pointer,
    )


def _workflow(node: Reader) -> Workflow:
    node.check_fields(
        "a workflow",
        (
            "workflowId",
            "summary",
            "description",
            "inputs",
            "dependsOn",
            "steps",
            "successActions",
            "failureActions",
            "outputs",
            "parameters",
        ),
    )
    if not node.has("steps"):
        node.error("AG102", "missing required field 'steps'")
    inputs = node.child("inputs")
    if node.has("inputs"):
        inputs.is_object("'inputs' (a JSON Schema)")
    return Workflow(
        workflow_id=node.string("workflowId", required=True) or "",
        summary=node.string("summary"),
        description=node.string("description"),
        inputs=inputs.value if isinstance(inputs.value, dict) else None,
        depends_on=tuple(_strings(node, "dependsOn")),
        steps=tuple(_step(r) for r in node.items("steps") if _is_obj(r)),
        success_actions=tuple(
            _action_or_ref(r, success=True) for r in node.items("successActions")
        ),
        failure_actions=tuple(
            _action_or_ref(r, success=False) for r in node.items("failureActions")
        ),
        parameters=tuple(_parameter_or_ref(r) for r in node.items("parameters")),
        outputs=_outputs(node),
        ptr=node.pointer,
    )


def _strings(node: Reader, key: str) -> list[str]:
    values = []
    for item in node.items(key):
        if isinstance(item.value, str):
            values.append(item.value)
        else:
            item.error("AG101", f"entries of '{key}' must be strings")
    return values


def _outputs(node: Reader) -> tuple[tuple[str, Any, str], ...]:
    return tuple((name, value.value, value.pointer) for name, value in node.entries("outputs"))


def _step(node: Reader) -> Step:
    node.check_fields(
        "a step",
        (
            "stepId",
            "description",
            "operationId",
            "operationPath",
            "workflowId",
            "parameters",
            "requestBody",
            "successCriteria",
            "onSuccess",
            "onFailure",
            "outputs",
        ),
    )
    body = node.child("requestBody")
    return Step(
        step_id=node.string("stepId", required=True) or "",
        description=node.string("description"),
        operation_id=node.string("operationId"),
        operation_path=node.string("operationPath"),
        workflow_id=node.string("workflowId"),
        parameters=tuple(_parameter_or_ref(r) for r in node.items("parameters")),
        request_body=_request_body(body) if node.has("requestBody") else None,
        success_criteria=tuple(_criterion(r) for r in node.items("successCriteria")),
        on_success=tuple(_action_or_ref(r, success=True) for r in node.items("onSuccess")),
        on_failure=tuple(_action_or_ref(r, success=False) for r in node.items("onFailure")),
        outputs=_outputs(node),
        ptr=node.pointer,
    )


def _reusable(node: Reader) -> Reusable:
    node.check_fields("a reusable object", ("reference", "value"))
    return Reusable(
        node.string("reference", required=True) or "",
        node.value.get("value"),
        node.has("value"),
        node.pointer,
    )


def _parameter_or_ref(node: Reader) -> Parameter | Reusable:
    if not node.is_object("a parameter"):
        return Parameter("", None, None, node.pointer)
    if node.has("reference"):
        return _reusable(node)
    return read_parameter(node)


def read_parameter(node: Reader) -> Parameter:
    node.check_fields("a parameter", ("name", "in", "value"))
    if not node.has("value"):
        node.error("AG102", "missing required field 'value'")
    return Parameter(
        node.string("name", required=True) or "",
        node.enum("in", PARAMETER_LOCATIONS),
        node.value.get("value"),
        node.pointer,
    )


def _criterion(node: Reader) -> Criterion:
    if not node.is_object("a criterion"):
        return Criterion("", None, "simple", node.pointer)
    node.check_fields("a criterion", ("context", "condition", "type"))
    kind: str | ExpressionType = "simple"
    type_node = node.child("type")
    if isinstance(type_node.value, dict):
        type_node.check_fields("a criterion expression type", ("type", "version"))
        kind = ExpressionType(
            type_node.enum("type", ("jsonpath", "xpath"), required=True) or "",
            type_node.string("version", required=True) or "",
        )
    else:
        kind = node.enum("type", CRITERION_TYPES) or "simple"
    return Criterion(
        node.string("condition", required=True) or "",
        node.string("context"),
        kind,
        node.pointer,
    )


def _action_or_ref(node: Reader, *, success: bool) -> Action | Reusable:
    if not node.is_object("an action"):
        return Action("", "", None, None, None, None, (), node.pointer)
    if node.has("reference"):
        return _reusable(node)
    return read_action(node, success=success)


def read_action(node: Reader, *, success: bool) -> Action:
    types = ("end", "goto") if success else ("end", "retry", "goto")
    fields = ["name", "type", "workflowId", "stepId", "criteria"]
    if not success:
        fields += ["retryAfter", "retryLimit"]
    node.check_fields("a success action" if success else "a failure action", fields)
    return Action(
        name=node.string("name", required=True) or "",
        type=node.enum("type", types, required=True) or "",
        step_id=node.string("stepId"),
        workflow_id=node.string("workflowId"),
        retry_after=None if success else node.number("retryAfter"),
        retry_limit=None if success else node.integer("retryLimit"),
        criteria=tuple(_criterion(r) for r in node.items("criteria")),
        ptr=node.pointer,
    )


def _request_body(node: Reader) -> RequestBody | None:
    if not node.is_object("'requestBody'"):
        return None
    node.check_fields("a request body", ("contentType", "payload", "replacements"))
    replacements = []
    for item in node.items("replacements"):
        if item.is_object("a payload replacement"):
            item.check_fields("a payload replacement", ("target", "value"))
            target = item.string("target", required=True) or ""
            replacements.append(Replacement(target, item.value.get("value"), item.pointer))
    return RequestBody(
        node.string("contentType"),
        node.value.get("payload"),
        node.has("payload"),
        tuple(replacements),
        node.pointer,
    )


def _components(root: Reader) -> Components:
    node = root.child("components")
    if not root.has("components") or not node.is_object("'components'"):
        return Components({}, {}, {}, {})
    node.check_fields("'components'", ("inputs", "parameters", "successActions", "failureActions"))
    return Components(
        inputs={name: item.value for name, item in node.entries("inputs") if _is_schema(item)},
        parameters={
            name: read_parameter(item)
            for name, item in node.entries("parameters")
            if item.is_object("a component parameter")
        },
        success_actions={
            name: read_action(item, success=True)
            for name, item in node.entries("successActions")
            if item.is_object("a component success action")
        },
        failure_actions={
            name: read_action(item, success=False)
            for name, item in node.entries("failureActions")
            if item.is_object("a component failure action")
        },
    )


def _is_schema(node: Reader) -> bool:
    """A JSON Schema is an object (or, since draft 2019-09, a boolean)."""
    if isinstance(node.value, (dict, bool)):
        return True
    node.error("AG101", f"a JSON Schema must be an object, not {json_type_name(node.value)}")
    return False


#: Schema keywords whose values are data, not schemas: a `$ref` inside is not a reference.
_DATA_KEYWORDS = frozenset({"const", "default", "enum", "example", "examples"})


def _check_schema_refs(root: Reader, workflows: tuple[Workflow, ...]) -> None:
    """Every `$ref` in the workflows' input schemas and in `components.inputs` must
    point, within this document, to something, and no chain of `$ref`s may come back
    to where it started (the inputs would be silently empty). Each problem is
    reported once, at the `$ref` that causes it, not at every `$ref` leading to it."""
    pending = [join_pointer(w.ptr, "inputs") for w in workflows]
    components = root.child("components").child("inputs")
    if isinstance(components.value, dict):
        pending += [join_pointer(components.pointer, name) for name in components.value]
    data = root.doc.data
    refs: list[tuple[str, str]] = []  # (pointer of the schema holding a $ref, the $ref)
    stack = [(pointer, _at(data, pointer)) for pointer in pending]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, list):
            stack.extend((join_pointer(pointer, i), item) for i, item in enumerate(value))
        elif isinstance(value, dict):
            if isinstance(value.get("$ref"), str):
                refs.append((pointer, value["$ref"]))
            stack.extend(
                (join_pointer(pointer, key), item)
                for key, item in value.items()
                if key not in _DATA_KEYWORDS and key != "$ref"
            )
    cycles = _ref_cycles(data)
    for pointer, ref in sorted(refs):
        node = Reader(root.doc, join_pointer(pointer, "$ref"), ref, root.diagnostics)
        if not ref.startswith("#"):
            node.error(
                "AG203",
                f"$ref {ref!r} cannot be followed: workflow inputs may only refer "
                "to this document ('#/components/inputs/...')",
                "copy the schema into components.inputs",
            )
        elif _at(data, ref[1:]) is _MISSING:
            node.error("AG203", f"$ref {ref!r} points to nothing", "check the JSON pointer")
        elif pointer in cycles:
            node.error(
                "AG203",
                "$ref cycle: the reference leads back to itself",
                "make the chain of $refs end in a schema",
            )


def _ref_cycles(data: Any) -> set[str]:
    """The pointers of `components.inputs` schemas that are `$ref`s on a cycle of `$ref`s.

    Each schema is visited once: a chain stops at a schema seen before.
    """
    inputs = _at(data, "/components/inputs")
    if not isinstance(inputs, dict):
        return set()
    cycles: set[str] = set()
    done: set[str] = set()
    for name in inputs:
        chain: dict[str, int] = {}  # pointer -> its place in the chain
        pointer = join_pointer("/components/inputs", name)
        while pointer not in done and pointer not in chain:
            chain[pointer] = len(chain)
            value = _at(data, pointer)
            ref = value.get("$ref") if isinstance(value, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#"):
                break
            pointer = ref[1:]
        if pointer in chain:  # came back to a schema of this chain: a cycle
            cycles.update(p for p, place in chain.items() if place >= chain[pointer])
        done.update(chain)
    return cycles


_MISSING = object()


def _at(data: Any, pointer: str) -> Any:
    """The value at a JSON pointer of `data`, or `_MISSING`."""
    for token in split_pointer(pointer):
        if isinstance(data, dict) and token in data:
            data = data[token]
        elif (
            isinstance(data, list)
            and token.isascii()
            and token.isdigit()
            and len(token) <= 18
            and int(token) < len(data)
        ):
            data = data[int(token)]
        else:
            return _MISSING
    return data
