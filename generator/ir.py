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
    #: the schema's `default`, used when the caller leaves the input out (a JSON value)
    default: Const | None = None


@dataclass(frozen=True)
class Param:
    """A step parameter and how OpenAPI says to serialize it (resolved at build time)."""

    name: str
    location: str  # path, query, header, cookie
    value: Value
    span: Span
    style: str = ""  # simple, label, matrix, form, spaceDelimited, pipeDelimited, deepObject
    explode: bool = False
    allow_reserved: bool = False  # query only: reserved characters are sent as they are
    media_type: str | None = None  # the value is written as this type (OpenAPI `content`)


def param_key(name: str, location: str) -> tuple[str, str]:
    """What identifies a parameter: its location and name, in any case for a header
    (RFC 9110 field names are case-insensitive)."""
    return (name.casefold() if location == "header" else name, location)


@dataclass(frozen=True)
class Replacement:
    """A Payload Replacement Object applied when the request is built."""

    pointer: tuple[str, ...]  # RFC 6901 tokens; "-" appends to an array
    value: Value
    span: Span
    #: An XML payload's replacement: its XPath 3.1 target (checked when generating), and
    #: the namespace prefixes the target's names use (those the payload text declares).
    xpath: str = ""
    namespaces: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Body:
    """A request body; `kind` is json, form, multipart, text, xml or binary."""

    content_type: str
    value: Value
    kind: str = "json"
    charset: str = "utf-8"  # how text bodies are encoded
    replacements: tuple[Replacement, ...] = ()  # in order; folded into `value` where it is literal


@dataclass(frozen=True)
class Criterion:
    """A compiled condition; `source` is the text as written, for messages.

    For a simple condition `condition` is its tree. A `QueryCriterion` (regex,
    JSONPath, XPath) keeps its context expression in `condition`, so every pass
    that looks for the runtime expressions a criterion reads finds it there.
    """

    condition: Cond
    source: str
    span: Span

    def describe(self) -> str:
        """The compiled criterion in one line, for people (graphs, messages)."""
        return unparse(self.condition)


@dataclass(frozen=True)
class QueryCriterion(Criterion):
    """A regex, JSONPath or XPath criterion applied to the value of `condition`.

    `query` was checked when generating: a Python `re` pattern (searched for),
    an RFC 9535 JSONPath query (holds when it selects a node) or an XPath
    expression (holds when its effective boolean value is true). `path` is set
    for a singular JSONPath query (`$.a[0]`): its member names and indexes, so
    it compiles to a plain lookup.
    """

    kind: str  # "regex", "jsonpath" or "xpath"
    query: str
    dialect: str  # "re", "rfc9535", "draft-goessner-dispatch-jsonpath-00", "xpath-10".."xpath-31"
    path: tuple[str | int, ...] | None = None

    def describe(self) -> str:
        return f"{self.kind} {self.query!r} on {unparse(self.condition)}"


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
    #: goto a workflow: run it, then end this one; retry: run it, then retry the step
    call: WorkflowCall | None = None


@dataclass(frozen=True)
class Output:
    name: str  # as written in the document
    py_name: str
    value: RuntimeExpr | Const  # a Const: plain text given as an output (warning AG423)
    type: PyType
    required: bool  # the response schema requires the value to be present
    span: Span


@dataclass(frozen=True)
class WorkflowCall:
    """A call of another workflow: a step's, a dependency's, or an action's."""

    workflow_id: str
    package: str  # the callee's package (its document)
    module: str  # the callee's module
    function: str  # the callee's function (its async twin has the `_async` suffix)
    outputs_class: str
    args: tuple[tuple[str, Value], ...]  # (the callee's parameter name, the value)
    output_keys: dict[str, str]  # the callee's output names -> its TypedDict keys
    same_api: bool  # the callee calls the same API, so it gets the caller's base_url
    span: Span
    base_url: str = ""  # the callee's own default base URL
    #: (package, module) of every generated module whose errors the callee may raise:
    #: its own and, transitively, those of the workflows it calls (sorted).
    raises: tuple[tuple[str, str], ...] = ()
    #: The callee, or a workflow it calls, retries: it takes `sleep` and `max_retry_delay`.
    waits: bool = False


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
    call: WorkflowCall | None = None  # a step that runs another workflow (method/path empty)
    source: str = ""  # the source description of its operation

    @property
    def retries(self) -> bool:
        """Whether a failure action of the step retries it."""
        return any(action.kind == "retry" for action in self.on_failure)


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
    depends_on: tuple[WorkflowCall, ...] = ()  # run first, in order, before the first step
    #: Set when steps call several APIs: each source description's default base URL.
    base_urls: tuple[tuple[str, str], ...] = ()

    @property
    def retries(self) -> bool:
        """Whether a step of the workflow retries."""
        return any(step.retries for step in self.steps)

    @property
    def calls(self) -> list[WorkflowCall]:
        """Every workflow this one runs: dependencies, steps, then actions."""
        steps = [step.call for step in self.steps if step.call]
        actions = [
            action.call
            for step in self.steps
            for action in (*step.on_success, *step.on_failure)
            if action.call
        ]
        return [*self.depends_on, *steps, *actions]


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
