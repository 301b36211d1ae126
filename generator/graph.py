"""Graph: the step graph of workflows as Mermaid or Graphviz DOT text.

    render_graph(workflow, "mermaid")         one workflow
    render_graphs(workflows, "dot")           several, one cluster each, in order

Rendering has two stages. `workflow_graph` turns one IR workflow into a `Cluster`:
plain-text nodes and edges that know nothing of either format. `_mermaid` and
`_dot` write clusters out; they are the only places that escape, so every label
(fixed words and spec text alike) goes through the one escaper of its format.
`render_graph(w, fmt)` is `render_graphs([w], fmt)`: a single workflow is drawn
as a cluster too, titled with its workflowId.

What is drawn is what `generator.emit.steps` compiles:

* a start node, one node per step (its stepId, then `METHOD /path`, or the
  operationId when there is no path), an end node and one "fails:
  StepFailedError" node per workflow;
* `start` -> the first step (or -> end for a workflow without steps);
* per step, in this order:
  1. success edges (`_success_edges`): the `onSuccess` actions in order, first
     match wins; `goto` -> its step, `end` -> end. The label is the action's name
     and its criteria, numbered 1, 2, ... by priority when the step has several
     actions. An action without criteria always matches: the actions after it
     and the default edge can never be taken and are not drawn;
  2. the default edge (`_default_edge`): "next" (or "otherwise" when the step has
     actions) to the following step, or to end from the last step;
  3. the failure edge (`_failure_edges`): -> "fails: StepFailedError", labelled
     "unless <the success criteria>" ("unless the status is 2xx" without any).

A criterion is shown as `unparse` of its compiled condition, followed by
"(as written: ...)" when the source text differs (the seeds' JSONPath
`$.Contact.Id != null` compiles to `$response.body#/Contact/Id != null`).
Several criteria are joined with "and", each in parentheses.

Where later IR additions go (each is one more small function or node kind):

* step `onFailure` actions (retry, goto, end): `_failure_edges`, in priority
  order like `_success_edges`; retry as an edge back to the step itself labelled
  with its criteria, retryAfter and retryLimit; the StepFailedError edge stays
  last, as "otherwise". Workflow-level `failureActions` / `successActions` are
  the defaults of every step: `_failure_edges` / `_success_edges` take them after
  the step's own actions.
* a step that calls another workflow: `_step_node` labels it "workflow <id>"
  (node kind "call"); `render_graphs` adds a "call" edge to the start node of
  the called workflow's cluster when that workflow is in the same text. (Today
  its failure edge says "unless workflow <id> succeeds", with its criteria, and
  its failure actions are drawn as for other steps; a retry that runs a workflow
  first is an edge back to the step that names that workflow.)
* `dependsOn`: `_dependency_edges` in `render_graphs`, an edge of kind
  "depends" from the end node of each dependency's cluster to the start node of
  the dependent's cluster (DOT: `compound=true` and `ltail`/`lhead` if the edges
  should attach to the cluster boxes).

The writers draw whatever nodes and edges a `Cluster` holds; a new `NodeKind` or
`EdgeKind` only needs an entry in their style tables (`_MERMAID_SHAPES`,
`_MERMAID_ARROWS`, `_DOT_NODE_STYLE`, `_DOT_EDGE_STYLE`).

Safety: spec text is untrusted. Node ids are generated (`w0_start`, `w0_s0`,
`w0_s1`, ..., `w0_finish`, `w0_failed`; `w1_...` for the next workflow) and never
contain spec text. Labels never contain a raw line break or control character
(those become spaces; lone surrogates and format characters such as bidi
overrides become U+FFFD).

* Mermaid: every label is in double quotes. Any character outside a small ASCII
  set (letters, digits, space, ``_-.,/$=!'()[]{}+*?@^~``) is written as a
  Mermaid entity code: ``#quot;``, ``#amp;``, ``#lt;``, ``#gt;``, or ``#<decimal>;``
  (``#``, ``;``, ``%``, ``|``, backtick, backslash, all non-ASCII). So a label
  cannot close its quotes, start a Markdown string, a comment or a ``%%{...}%%``
  directive, and contains no ``#`` or ``;`` but those of the entity codes. Two
  quirks of Mermaid's pre-processing and lexer scan whole lines, quotes and all:
  ``style.*:\\S*#.*;`` (a ``:`` is raw only before a space, else ``#58;``) and
  ``.*direction\\s+TB`` (the ``d`` of "direction" is written ``#100;``).
* DOT: every id and label is a double-quoted string with ``\\`` and ``"`` escaped
  as ``\\\\`` and ``\\"``, and ``&`` written ``&amp;`` (Graphviz decodes HTML
  entities in labels). Doubling the backslash also keeps ``\\N``, ``\\G``,
  ``\\n`` ... in spec text from being read as Graphviz label escapes. No
  HTML-like (``<...>``) labels are used.

Output is deterministic (it depends only on the IR) and ends with a newline.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from generator import ir
from generator.expressions import unparse

__all__ = [
    "FORMATS",
    "Cluster",
    "Edge",
    "EdgeKind",
    "Format",
    "Node",
    "NodeKind",
    "render_graph",
    "render_graphs",
    "workflow_graph",
]

Format = Literal["mermaid", "dot"]
FORMATS: tuple[Format, ...] = get_args(Format)

NodeKind = Literal["start", "step", "end", "failed"]
EdgeKind = Literal["start", "success", "default", "failure", "on_failure"]

#: The label of the node every failed step leads to.
FAILED_LABEL = "fails: StepFailedError"
#: Why a step without successCriteria fails (as `generator.emit.steps` checks it).
_NO_CRITERIA = "the status is 2xx"


@dataclass(frozen=True)
class Node:
    id: str  # generated, never spec text
    kind: NodeKind
    lines: tuple[str, ...]  # the label, one entry per line, plain (unescaped) text


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str  # plain text; "" for none


@dataclass(frozen=True)
class Cluster:
    """One workflow's graph: its nodes and edges in drawing order."""

    id: str  # generated: "w0", "w1", ...
    title: str  # the workflowId
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


# --- IR -> graph ----------------------------------------------------------------------


def workflow_graph(workflow: ir.Workflow, index: int = 0) -> Cluster:
    """The nodes and edges of one workflow; node ids start with `w<index>_`."""
    ids = _Ids(f"w{index}", workflow)
    nodes = [
        Node(ids.start, "start", ("start",)),
        *(_step_node(node, step) for node, step in zip(ids.steps, workflow.steps, strict=True)),
        Node(ids.end, "end", ("end",)),
        Node(ids.failed, "failed", (FAILED_LABEL,)),
    ]
    first = ids.steps[0] if ids.steps else ids.end
    edges = [Edge(ids.start, first, "start", "")]
    for number, call in enumerate(workflow.depends_on):  # run before the first step
        node = f"{ids.prefix}_d{number}"
        nodes.insert(1 + number, Node(node, "start", (f"depends on {call.workflow_id}",)))
        edges.insert(number, Edge(node, ids.start, "start", "runs first"))
    for position, (node, step) in enumerate(zip(ids.steps, workflow.steps, strict=True)):
        following = ids.steps[position + 1] if position + 1 < len(ids.steps) else ids.end
        edges += _success_edges(node, step, ids)
        if not any(_always(action) for action in step.on_success):
            edges.append(_default_edge(node, step, following))
        edges += _failure_edges(node, step, ids)
    return Cluster(ids.prefix, workflow.workflow_id, tuple(nodes), tuple(edges))


class _Ids:
    """Generated node ids of one workflow; a stepId is only ever a lookup key."""

    def __init__(self, prefix: str, workflow: ir.Workflow) -> None:
        self.prefix = prefix
        self.start = f"{prefix}_start"
        self.end = f"{prefix}_finish"
        self.failed = f"{prefix}_failed"
        #: One node per step, by position, so even a repeated stepId gets its own node.
        self.steps = [f"{prefix}_s{number}" for number in range(len(workflow.steps))]
        self._by_step_id: dict[str, str] = {}
        for node, step in zip(self.steps, workflow.steps, strict=True):
            self._by_step_id.setdefault(step.step_id, node)

    def target(self, step_id: str | None) -> str:
        """The node of a goto's target step."""
        if step_id is None or step_id not in self._by_step_id:
            # The build's checks reject such a goto; fail loudly rather than guess.
            raise ValueError(f"no step {step_id!r} in the workflow")
        return self._by_step_id[step_id]


def _step_node(node: str, step: ir.Step) -> Node:
    if step.call is not None:
        return Node(node, "step", (step.step_id, f"runs workflow {step.call.workflow_id}"))
    operation = f"{step.method} {step.path}" if step.path else step.operation_id or ""
    return Node(node, "step", (step.step_id, operation) if operation else (step.step_id,))


def _success_edges(node: str, step: ir.Step, ids: _Ids) -> list[Edge]:
    """The `onSuccess` actions in priority order, up to the first that always matches."""
    edges = []
    numbered = len(step.on_success) > 1
    for number, action in enumerate(step.on_success, 1):
        target = ids.end if action.kind == "end" or action.call else ids.target(action.step_id)
        prefix = f"{number}. " if numbered else ""
        criteria = _criteria_text(action.criteria) or "always"
        runs = f" (runs workflow {action.call.workflow_id})" if action.call else ""
        edges.append(Edge(node, target, "success", f"{prefix}{action.name}: {criteria}{runs}"))
        if _always(action):
            break
    return edges


def _always(action: ir.Action) -> bool:
    return not action.criteria


def _default_edge(node: str, step: ir.Step, following: str) -> Edge:
    """No action matched: the next step in document order, or the end after the last."""
    return Edge(node, following, "default", "otherwise" if step.on_success else "next")


def _failure_edges(node: str, step: ir.Step, ids: _Ids) -> list[Edge]:
    """When the success criteria do not hold: the `onFailure` actions in priority
    order, up to the first that always matches; else StepFailedError."""
    if step.call is not None and not (step.success_criteria or step.on_failure):
        return [Edge(node, ids.failed, "failure", f"if workflow {step.call.workflow_id} fails")]
    holds = _criteria_text(step.success_criteria) or _NO_CRITERIA
    if step.call is not None:  # it failed when its workflow raised, or the criteria
        holds = f"workflow {step.call.workflow_id} succeeds" + (
            f" and {holds}" if step.success_criteria else ""
        )
    edges = []
    numbered = len(step.on_failure) > 1
    for number, action in enumerate(step.on_failure, 1):
        prefix = f"{number}. " if numbered else ""
        when = f" when {_criteria_text(action.criteria)}" if action.criteria else ""
        label = f"{prefix}{action.name}: {_failure_what(action)}{when}"
        edges.append(Edge(node, _failure_target(node, action, ids), "on_failure", label))
        if action.kind != "retry" and _always(action):
            return edges
    otherwise = "otherwise, " if step.on_failure else ""
    return [*edges, Edge(node, ids.failed, "failure", f"{otherwise}unless {holds}")]


def _failure_target(node: str, action: ir.Action, ids: _Ids) -> str:
    if action.kind == "retry":  # back to the step (after its workflow, if it names one)
        return ids.target(action.step_id) if action.step_id else node
    if action.kind == "end" or action.call is not None:
        return ids.end
    return ids.target(action.step_id)


def _failure_what(action: ir.Action) -> str:
    if action.kind == "retry":
        delay = action.retry_after or 0
        first = f", running workflow {action.call.workflow_id} first" if action.call else ""
        return f"retry at most {action.retry_limit} time(s) after {delay:g} s{first}"
    if action.call is not None:
        return f"run workflow {action.call.workflow_id}, then end"
    return "end" if action.kind == "end" else f"goto {action.step_id}"


def _criteria_text(criteria: tuple[ir.Criterion, ...]) -> str:
    texts = [_criterion_text(c) for c in criteria]
    if len(texts) == 1:
        return texts[0]
    return " and ".join(f"({text})" for text in texts)


def _criterion_text(criterion: ir.Criterion) -> str:
    if isinstance(criterion, ir.QueryCriterion):
        return criterion.describe()
    compiled = unparse(criterion.condition)
    written = criterion.source.strip()
    return compiled if written == compiled else f"{compiled} (as written: {written})"


# --- text shared by both formats ------------------------------------------------------


def _plain(text: str) -> str:
    """`text` on one line: control characters and line breaks become spaces; lone
    surrogates and format characters (bidi overrides, zero-width ...) become U+FFFD."""
    return "".join(_plain_char(ch) for ch in text)


def _plain_char(ch: str) -> str:
    if ch.isascii() and ch.isprintable():
        return ch
    category = unicodedata.category(ch)
    if category in ("Cc", "Zl", "Zp"):
        return " "
    if category in ("Cs", "Cf"):
        return "\ufffd"
    return ch


# --- Mermaid ----------------------------------------------------------------------------

_MERMAID_SHAPES: dict[NodeKind, tuple[str, str]] = {
    "start": ("([", "])"),
    "step": ("[", "]"),
    "end": ("([", "])"),
    "failed": ("{{", "}}"),
}
_MERMAID_ARROWS: dict[EdgeKind, str] = {
    "start": "-->",
    "success": "-->",
    "default": "-->",
    "failure": "-.->",
    "on_failure": "-.->",
}
_MERMAID_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,/$=!'()[]{}+*?@^~"
)
_MERMAID_NAMED = {'"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;"}


def _mermaid(clusters: list[Cluster]) -> str:
    lines = ["flowchart TD"]
    for cluster in clusters:
        lines.append(f"    subgraph {cluster.id}[{_mermaid_label(cluster.title)}]")
        for node in cluster.nodes:
            opening, closing = _MERMAID_SHAPES[node.kind]
            label = "<br/>".join(_mermaid_text(line) for line in node.lines)
            lines.append(f'        {node.id}{opening}"{label or "#32;"}"{closing}')
        for edge in cluster.edges:
            arrow = _MERMAID_ARROWS[edge.kind]
            text = f"|{_mermaid_label(edge.label)}|" if edge.label else ""
            lines.append(f"        {edge.source} {arrow}{text} {edge.target}")
        lines.append("    end")
    return "\n".join(lines) + "\n"


def _mermaid_label(text: str) -> str:
    return f'"{_mermaid_text(text) or "#32;"}"'


def _mermaid_text(text: str) -> str:
    """`text` for inside a double-quoted Mermaid label (see the module docstring)."""
    text = _plain(text)
    out = []
    for position, ch in enumerate(text):
        raw = ch in _MERMAID_SAFE or (ch == ":" and text[position + 1 : position + 2] == " ")
        out.append(ch if raw else _MERMAID_NAMED.get(ch) or f"#{ord(ch)};")
    return "".join(out).replace("direction", "#100;irection")


# --- Graphviz DOT ---------------------------------------------------------------------

_DOT_NODE_STYLE: dict[NodeKind, str] = {
    "start": "shape=oval",
    "step": "shape=box",
    "end": "shape=oval",
    "failed": "shape=octagon",
}
_DOT_EDGE_STYLE: dict[EdgeKind, str] = {
    "start": "",
    "success": "",
    "default": "",
    "failure": "style=dashed",
    "on_failure": "style=dashed",
}


def _dot(clusters: list[Cluster]) -> str:
    lines = ['digraph "arazzo" {']
    for cluster in clusters:
        lines += [
            f"  subgraph {_dot_string('cluster_' + cluster.id)} {{",
            f"    label={_dot_string(cluster.title)};",
        ]
        for node in cluster.nodes:
            label = "\\n".join(_dot_text(line) for line in node.lines)
            attributes = f'label="{label}", {_DOT_NODE_STYLE[node.kind]}'
            lines.append(f"    {_dot_string(node.id)} [{attributes}];")
        for edge in cluster.edges:
            attributes = ", ".join(
                a for a in (_dot_label(edge.label), _DOT_EDGE_STYLE[edge.kind]) if a
            )
            ends = f"{_dot_string(edge.source)} -> {_dot_string(edge.target)}"
            lines.append(f"    {ends} [{attributes}];" if attributes else f"    {ends};")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_label(text: str) -> str:
    return f"label={_dot_string(text)}" if text else ""


def _dot_string(text: str) -> str:
    return f'"{_dot_text(text)}"'


def _dot_text(text: str) -> str:
    """`text` for inside a double-quoted DOT string (see the module docstring)."""
    return _plain(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")


# --- API --------------------------------------------------------------------------------

_WRITERS = {"mermaid": _mermaid, "dot": _dot}


def render_graphs(workflows: Iterable[ir.Workflow], fmt: Format) -> str:
    """The step graphs of `workflows`, one cluster each in the given order, as one text."""
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown graph format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return writer([workflow_graph(w, index) for index, w in enumerate(workflows)])


def render_graph(workflow: ir.Workflow, fmt: Format) -> str:
    """The step graph of one workflow as Mermaid (`flowchart`) or Graphviz DOT text."""
    return render_graphs([workflow], fmt)
