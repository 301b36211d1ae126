"""Tests for generator.graph: the step graph as Mermaid and Graphviz DOT text.

The graphs of the seeds and of three fixtures are pinned in `tests/fixtures/graph/`
(`<workflowId>.mmd` / `.dot` for the seeds, `<fixture>.mmd` / `.dot` for the
fixtures, all of a document's workflows in one text). After an intended change to
the renderer, review the difference and rewrite the pinned files with

    ARAZZO_GEN_UPDATE=1 .venv/bin/python -m pytest tests/test_graph.py

then inspect `git diff tests/fixtures/graph/` before committing the new files.

Besides the pinned text, the output of both formats is read back by the small
parsers below, which accept only the statements the renderer writes and decode
the labels (Mermaid entity codes; DOT `\\"`, `\\\\` and `&amp;`). So structure
(which nodes, which edges, which labels) is asserted directly, and hostile ids
are shown not to change it. When Graphviz is installed, `dot -Tsvg` must accept
every output and draw the same nodes, edges and label text.
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import ir
from generator.build import Project
from generator.diagnostics import Diagnostics, Level
from generator.expressions import Compare, Lit, StatusCode
from generator.graph import FORMATS, Format, render_graph, render_graphs, workflow_graph

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
ARAZZO = SPECS / "amazon-connect" / "arazzo"
CHAT_DOC = ARAZZO / "amazon-connect-start-chat-and-set-attributes-workflow.yml"
TASK_DOC = ARAZZO / "amazon-connect-start-task-and-stop-workflow.yml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PINNED = FIXTURES / "graph"
BRANCHING_DOC = FIXTURES / "behaviour" / "branching.arazzo.yaml"
PRIORITIES_DOC = PINNED / "priorities.arazzo.yaml"
HOSTILE_DOC = PINNED / "hostile.arazzo.yaml"
UPDATE = os.environ.get("ARAZZO_GEN_UPDATE") == "1"
EXTENSIONS: dict[Format, str] = {"mermaid": "mmd", "dot": "dot"}
DOT = shutil.which("dot")

CHAT = "start-chat-and-set-attributes"
TASK = "start-task-and-stop"

START, END, FAILED = (
    ("terminal", "start"),
    ("terminal", "end"),
    ("failed", "fails: StepFailedError"),
)
SOLID, DASHED = "solid", "dashed"


def build(path: Path) -> list[ir.Workflow]:
    diagnostics = Diagnostics()
    workflows = Project(path.parent, diagnostics).build_document(path)
    assert not [d.render() for d in diagnostics if d.level is Level.ERROR]
    return workflows


@pytest.fixture(scope="module")
def seeds() -> dict[str, ir.Workflow]:
    return {w.workflow_id: w for path in (CHAT_DOC, TASK_DOC) for w in build(path)}


@pytest.fixture(scope="module")
def documents() -> dict[str, list[ir.Workflow]]:
    return {
        "branching": build(BRANCHING_DOC),
        "priorities": build(PRIORITIES_DOC),
        "hostile": build(HOSTILE_DOC),
        "failures": build(FIXTURES / "behaviour" / "failures.arazzo.yaml"),
        "calls": build(FIXTURES / "behaviour" / "calls.arazzo.yaml"),
        "workflow-steps": build(FIXTURES / "behaviour" / "workflow-steps.arazzo.yaml"),
    }


# --- reading the output back ------------------------------------------------------------


@dataclass
class Parsed:
    """A rendered graph read back: the same shape for both formats."""

    clusters: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    nodes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # kind, lines
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # from, to, style, label

    def add_node(self, node_id: str, kind: str, lines: tuple[str, ...]) -> None:
        assert node_id not in self.nodes, f"node {node_id} declared twice"
        self.nodes[node_id] = (kind, lines)

    def key(self, node_id: str) -> tuple[str, str]:
        kind, lines = self.nodes[node_id]
        return kind, lines[0]

    def named_edges(self) -> list[tuple[tuple[str, str], tuple[str, str], str, str]]:
        """Edges by (node kind, first label line) rather than generated id."""
        return [(self.key(a), self.key(b), style, label) for a, b, style, label in self.edges]

    def edges_from(self, step_id: str) -> list[tuple[tuple[str, str], str, str]]:
        return [(b, s, label) for a, b, s, label in self.named_edges() if a == ("step", step_id)]


# Mermaid: a label holds only these raw characters, entity codes and (in nodes) <br/>.
_MERMAID_LABEL = r"(?:[A-Za-z0-9 _\-.,/$=!'()\[\]{}+*?@^~]|: |#[A-Za-z0-9]+;)+"
_MERMAID_NODE_LABEL = rf"(?=.)(?:{_MERMAID_LABEL})?(?:<br/>(?:{_MERMAID_LABEL})?)*"
_MERMAID_ID = r"w\d+_(?:start|finish|failed|s\d+|d\d+)"
_MERMAID_SHAPES = {("([", "])"): "terminal", ("[", "]"): "step", ("{{", "}}"): "failed"}
_MERMAID_LINES = {
    "subgraph": re.compile(rf'    subgraph (w\d+)\["({_MERMAID_LABEL})"\]'),
    "node": re.compile(
        rf'        ({_MERMAID_ID})(\(\[|\[|\{{\{{)"({_MERMAID_NODE_LABEL})"(\]\)|\]|\}}\}})'
    ),
    "edge": re.compile(
        rf'        ({_MERMAID_ID}) (-->|-\.->)(?:\|"({_MERMAID_LABEL})"\|)? ({_MERMAID_ID})'
    ),
}
_MERMAID_ENTITY = re.compile(r"#([A-Za-z0-9]+);")


def mermaid_decode(text: str) -> str:
    def entity(match: re.Match[str]) -> str:
        code = match[1]
        return chr(int(code)) if code.isdigit() else html.unescape(f"&{code};")

    return _MERMAID_ENTITY.sub(entity, text)


def parse_mermaid(text: str) -> Parsed:
    assert text.endswith("\n") and "\r" not in text
    lines = text[:-1].split("\n")
    assert lines[0] == "flowchart TD"
    parsed = Parsed()
    for line in lines[1:]:
        # Mermaid scans whole lines for these, quotes or not.
        assert "direction" not in line and "%%" not in line, line
        if line == "    end":
            continue
        if match := _MERMAID_LINES["subgraph"].fullmatch(line):
            parsed.clusters.append((match[1], mermaid_decode(match[2])))
        elif match := _MERMAID_LINES["node"].fullmatch(line):
            node_id, opening, label, closing = match.groups()
            lines_ = tuple(mermaid_decode(part) for part in label.split("<br/>"))
            parsed.add_node(node_id, _MERMAID_SHAPES[opening, closing], lines_)
        elif match := _MERMAID_LINES["edge"].fullmatch(line):
            source, arrow, label, target = match.groups()
            style = SOLID if arrow == "-->" else DASHED
            parsed.edges.append((source, target, style, mermaid_decode(label or "")))
        else:
            raise AssertionError(f"unexpected Mermaid line: {line!r}")
    assert lines.count("    end") == len(parsed.clusters)
    return parsed


# DOT: a quoted string is `"`, then characters other than `"`, `\` and line breaks,
# or a backslash and any one character, then `"` (Graphviz reads `\\` as a pair).
_DOT_STRING = r'"(?:[^"\\\n]|\\.)*"'
_DOT_ATTRIBUTE = rf"(\w+)=({_DOT_STRING}|\w+)"
_DOT_LINES = {
    "subgraph": re.compile(rf"  subgraph ({_DOT_STRING}) \{{"),
    "label": re.compile(rf"    label=({_DOT_STRING});"),
    "node": re.compile(rf"    ({_DOT_STRING}) \[(.*)\];"),
    "edge": re.compile(rf"    ({_DOT_STRING}) -> ({_DOT_STRING})(?: \[(.*)\])?;"),
}
_DOT_SHAPES = {"oval": "terminal", "box": "step", "octagon": "failed"}


def dot_decode(quoted: str) -> str:
    """A DOT string as Graphviz shows it: `\\"` and `\\\\` read, then HTML entities."""
    assert re.fullmatch(_DOT_STRING, quoted), quoted
    body = re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m[1], m[1]), quoted[1:-1])
    return html.unescape(body)


def dot_attributes(text: str) -> dict[str, str]:
    assert re.fullmatch(rf"{_DOT_ATTRIBUTE}(?:, {_DOT_ATTRIBUTE})*", text), text
    return {
        m[1]: dot_decode(m[2]) if m[2].startswith('"') else m[2]
        for m in re.finditer(_DOT_ATTRIBUTE, text)
    }


def parse_dot(text: str) -> Parsed:
    assert text.endswith("\n") and "\r" not in text
    lines = text[:-1].split("\n")
    assert lines[0] == 'digraph "arazzo" {' and lines[-1] == "}"
    parsed = Parsed()
    expect_title = False
    for line in lines[1:-1]:
        if expect_title:
            match = _DOT_LINES["label"].fullmatch(line)
            assert match, f"a cluster's first line is its label: {line!r}"
            cluster_id = parsed.clusters[-1][0]
            parsed.clusters[-1] = (cluster_id, dot_decode(match[1]))
            expect_title = False
        elif line == "  }":
            continue
        elif match := _DOT_LINES["subgraph"].fullmatch(line):
            name = dot_decode(match[1])
            assert name.startswith("cluster_")
            parsed.clusters.append((name.removeprefix("cluster_"), ""))
            expect_title = True
        elif match := _DOT_LINES["edge"].fullmatch(line):
            attributes = dot_attributes(match[3]) if match[3] else {}
            assert set(attributes) <= {"label", "style"}
            style = DASHED if attributes.get("style") == "dashed" else SOLID
            edge = (dot_decode(match[1]), dot_decode(match[2]), style, attributes.get("label", ""))
            parsed.edges.append(edge)
        elif match := _DOT_LINES["node"].fullmatch(line):
            attributes = dot_attributes(match[2])
            assert set(attributes) == {"label", "shape"}
            lines_ = tuple(attributes["label"].split("\n"))
            parsed.add_node(dot_decode(match[1]), _DOT_SHAPES[attributes["shape"]], lines_)
        else:
            raise AssertionError(f"unexpected DOT line: {line!r}")
    assert lines.count("  }") == len(parsed.clusters)
    return parsed


PARSERS = {"mermaid": parse_mermaid, "dot": parse_dot}


def parse(text: str, fmt: Format) -> Parsed:
    parsed = PARSERS[fmt](text)
    for source, target, _, _ in parsed.edges:
        assert source in parsed.nodes and target in parsed.nodes, (source, target)
    return parsed


# --- pinned output ----------------------------------------------------------------------


def check_pinned(text: str, pinned: Path) -> None:
    if UPDATE:
        pinned.write_text(text, encoding="utf-8", newline="\n")
    assert pinned.is_file(), f"{pinned} is missing: run with ARAZZO_GEN_UPDATE=1 to write it"
    assert text == pinned.read_text(
        encoding="utf-8"
    ), f"{pinned.name} changed; if intended, rerun with ARAZZO_GEN_UPDATE=1"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("workflow_id", [CHAT, TASK])
def test_seed_graph_matches_the_pinned_file(
    seeds: dict[str, ir.Workflow], workflow_id: str, fmt: Format
) -> None:
    text = render_graph(seeds[workflow_id], fmt)
    check_pinned(text, PINNED / f"{workflow_id}.{EXTENSIONS[fmt]}")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "name", ["branching", "priorities", "hostile", "failures", "calls", "workflow-steps"]
)
def test_fixture_graph_matches_the_pinned_file(
    documents: dict[str, list[ir.Workflow]], name: str, fmt: Format
) -> None:
    text = render_graphs(documents[name], fmt)
    check_pinned(text, PINNED / f"{name}.{EXTENSIONS[fmt]}")


def test_output_is_deterministic_and_ends_with_one_newline(
    seeds: dict[str, ir.Workflow],
) -> None:
    again = {w.workflow_id: w for path in (CHAT_DOC, TASK_DOC) for w in build(path)}
    for fmt in FORMATS:
        for workflow_id, workflow in seeds.items():
            text = render_graph(workflow, fmt)
            assert text == render_graph(again[workflow_id], fmt)
            assert text.encode("utf-8") == render_graph(workflow, fmt).encode("utf-8")
            assert text.endswith("\n") and not text.endswith("\n\n")


# --- structure ------------------------------------------------------------------------

TASK_GOTO = "taskExists: $response.body#/Contact/Id != null (as written: $.Contact.Id != null)"
STATUS_200 = "unless $statusCode == 200"


@pytest.mark.parametrize("fmt", FORMATS)
def test_task_seed_edges(seeds: dict[str, ir.Workflow], fmt: Format) -> None:
    parsed = parse(render_graph(seeds[TASK], fmt), fmt)
    assert parsed.clusters == [("w0", TASK)]
    assert parsed.nodes == {
        "w0_start": ("terminal", ("start",)),
        "w0_s0": ("step", ("startTask", "POST /contact/task")),
        "w0_s1": ("step", ("confirmTask", "GET /contacts/{InstanceId}/{ContactId}")),
        "w0_s2": ("step", ("stopTask", "POST /contacts/{InstanceId}/{ContactId}/stop")),
        "w0_finish": ("terminal", ("end",)),
        "w0_failed": ("failed", ("fails: StepFailedError",)),
    }
    start, confirm, stop = ("step", "startTask"), ("step", "confirmTask"), ("step", "stopTask")
    assert parsed.named_edges() == [
        (START, start, SOLID, ""),
        (start, confirm, SOLID, "next"),
        (start, FAILED, DASHED, STATUS_200),
        # The goto, labelled with its compiled criterion and the JSONPath as written.
        (confirm, stop, SOLID, TASK_GOTO),
        # No action matched: the next step in document order.
        (confirm, stop, SOLID, "otherwise"),
        (confirm, FAILED, DASHED, STATUS_200),
        # The last step ends the workflow.
        (stop, END, SOLID, "next"),
        (stop, FAILED, DASHED, STATUS_200),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_chat_seed_edges(seeds: dict[str, ir.Workflow], fmt: Format) -> None:
    parsed = parse(render_graph(seeds[CHAT], fmt), fmt)
    assert parsed.clusters == [("w0", CHAT)]
    assert parsed.edges_from("confirmContact") == [
        (
            ("step", "attachAttributes"),
            SOLID,
            "contactReady: $response.body#/Contact/Id != null (as written: $.Contact.Id != null)",
        ),
        (("step", "attachAttributes"), SOLID, "otherwise"),
        (FAILED, DASHED, STATUS_200),
    ]
    assert parsed.edges_from("startChat")[0] == (("step", "confirmContact"), SOLID, "next")
    assert parsed.edges_from("attachAttributes") == [
        (END, SOLID, "next"),
        (FAILED, DASHED, STATUS_200),
    ]
    # Every step can fail, into one shared node.
    failures = [e for e in parsed.named_edges() if e[1] == FAILED]
    assert len(failures) == 3
    assert sum(1 for kind, _ in parsed.nodes.values() if kind == "failed") == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_prioritized_actions_are_numbered_and_an_unconditional_one_is_last(
    documents: dict[str, list[ir.Workflow]], fmt: Format
) -> None:
    parsed = parse(render_graphs(documents["priorities"], fmt), fmt)
    look, note, stop = ("step", "look"), ("step", "note"), ("step", "stop")
    assert parsed.edges_from("look") == [
        (stop, SOLID, "1. isTask: $response.body#/Contact/Channel == 'TASK'"),
        (
            END,
            SOLID,
            "2. isChat: ($response.body#/Contact/Channel == 'CHAT') and "
            "($statusCode == 200 (as written: $statusCode==200))",
        ),
        (
            note,
            SOLID,
            "3. hasNoId: $response.body#/Contact/Id == null (as written: $.Contact.Id == null)",
        ),
        (note, SOLID, "otherwise"),
        (FAILED, DASHED, "unless ($statusCode == 200) and ($response.body#/Contact/Id != null)"),
    ]
    # `toStop` has no criteria: `neverReached` and the default edge cannot be taken.
    assert parsed.edges_from("note") == [
        (look, SOLID, "1. retryLook: $statusCode == 202"),
        (stop, SOLID, "2. toStop: always"),
        (FAILED, DASHED, "unless the status is 2xx"),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_branching_fixture_goto_loop_skip_and_end(
    documents: dict[str, list[ir.Workflow]], fmt: Format
) -> None:
    parsed = parse(render_graphs(documents["branching"], fmt), fmt)
    assert parsed.clusters == [
        ("w0", "skip-when-present"),
        ("w1", "poll-forever"),
        ("w2", "end-early"),
    ]
    by_cluster: dict[str, list[tuple[str, str, str, str]]] = {}
    for edge in parsed.edges:
        assert edge[0].split("_")[0] == edge[1].split("_")[0], "an edge left its workflow"
        by_cluster.setdefault(edge[0].split("_")[0], []).append(edge)
    skip, poll, end_early = by_cluster["w0"], by_cluster["w1"], by_cluster["w2"]
    # The goto skips `note`; otherwise `note` runs.
    assert ("w0_s1", "w0_s3", SOLID) in [e[:3] for e in skip]
    assert ("w0_s1", "w0_s2", SOLID, "otherwise") in skip
    # An unconditional goto to itself: the loop has no default edge and no way to end.
    assert poll == [
        ("w1_start", "w1_s0", SOLID, ""),
        ("w1_s0", "w1_s0", SOLID, "again: always"),
        ("w1_s0", "w1_failed", DASHED, STATUS_200),
    ]
    # The end action leaves before `stop`; `stop` still has its own default edge to end.
    assert ("w2_s0", "w2_finish", SOLID, "done: always") in end_early
    assert ("w2_s1", "w2_finish", SOLID, "next") in end_early
    assert ("w2_s1", "w2_failed", DASHED, "unless the status is 2xx") in end_early
    assert not any(e[:2] == ("w2_s0", "w2_s1") for e in end_early)


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_graph_is_render_graphs_of_one(seeds: dict[str, ir.Workflow], fmt: Format) -> None:
    assert render_graph(seeds[TASK], fmt) == render_graphs([seeds[TASK]], fmt)
    both = parse(render_graphs([seeds[CHAT], seeds[TASK]], fmt), fmt)
    assert [c[1] for c in both.clusters] == [CHAT, TASK]
    assert len(both.nodes) == 12 and len(both.edges) == 16


def test_mermaid_and_dot_draw_the_same_graph(
    seeds: dict[str, ir.Workflow], documents: dict[str, list[ir.Workflow]]
) -> None:
    for workflows in [*([w] for w in seeds.values()), *documents.values()]:
        assert parse(render_graphs(workflows, "mermaid"), "mermaid") == parse(
            render_graphs(workflows, "dot"), "dot"
        )


def test_a_workflow_without_steps_goes_from_start_to_end(seeds: dict[str, ir.Workflow]) -> None:
    empty = dataclasses.replace(seeds[TASK], steps=())
    cluster = workflow_graph(empty)
    assert [(e.source, e.target) for e in cluster.edges] == [("w0_start", "w0_finish")]
    for fmt in FORMATS:
        assert len(parse(render_graph(empty, fmt), fmt).edges) == 1


def test_each_step_has_its_own_node_even_with_a_repeated_step_id(
    seeds: dict[str, ir.Workflow],
) -> None:
    # The checks reject this (AG601, duplicate stepId); the renderer still draws one node per step.
    workflow = seeds[TASK]
    first, confirm, stop = workflow.steps
    steps = (first, dataclasses.replace(confirm, step_id="startTask"), stop)
    cluster = workflow_graph(dataclasses.replace(workflow, steps=steps))
    assert [n.id for n in cluster.nodes if n.kind == "step"] == ["w0_s0", "w0_s1", "w0_s2"]
    edges = [(e.source, e.target, e.label) for e in cluster.edges if e.kind != "failure"]
    assert edges == [
        ("w0_start", "w0_s0", ""),
        ("w0_s0", "w0_s1", "next"),
        ("w0_s1", "w0_s2", TASK_GOTO),
        ("w0_s1", "w0_s2", "otherwise"),
        ("w0_s2", "w0_finish", "next"),
    ]


def test_a_goto_to_an_unknown_step_is_an_error(seeds: dict[str, ir.Workflow]) -> None:
    workflow = seeds[TASK]
    [action] = workflow.steps[1].on_success
    step = dataclasses.replace(
        workflow.steps[1], on_success=(dataclasses.replace(action, step_id="nowhere"),)
    )
    broken = dataclasses.replace(workflow, steps=(workflow.steps[0], step, workflow.steps[2]))
    with pytest.raises(ValueError, match="no step 'nowhere'"):
        render_graph(broken, "dot")


def test_unknown_format_is_rejected(seeds: dict[str, ir.Workflow]) -> None:
    with pytest.raises(ValueError, match="unknown graph format 'svg'"):
        render_graph(seeds[TASK], "svg")  # type: ignore[arg-type]


# --- hostile text -------------------------------------------------------------------------

HOSTILE_WORKFLOW = 'wf"];evil[label="x\\'
HOSTILE_STEP = 'a"];evil[label="x'
HOSTILE_TARGET = "c } digraph x {"  # "c\n}\ndigraph x {" on one line
HOSTILE_GOTO = 'b" -> "evil" [label="\\N\\\\'
HOSTILE_END = 'e|"| evil\\'


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_document_keeps_its_structure(
    documents: dict[str, list[ir.Workflow]], fmt: Format
) -> None:
    text = render_graphs(documents["hostile"], fmt)
    assert "evil" in text
    parsed = parse(text, fmt)
    assert parsed.clusters == [("w0", HOSTILE_WORKFLOW)]
    assert list(parsed.nodes) == ["w0_start", "w0_s0", "w0_s1", "w0_finish", "w0_failed"]
    assert parsed.nodes["w0_s0"][1][0] == HOSTILE_STEP
    assert parsed.nodes["w0_s1"][1][0] == HOSTILE_TARGET
    condition = "$response.body#/Contact/Name != 'x\"] --> evil; %%{init: {}}%% \\\"|`<b>&amp;'"
    assert parsed.edges == [
        ("w0_start", "w0_s0", SOLID, ""),
        (
            "w0_s0",
            "w0_s1",
            SOLID,
            f"1. {HOSTILE_GOTO}: $response.body#/Contact/Channel == "
            "'direction LR style:#x; end'",
        ),
        ("w0_s0", "w0_finish", SOLID, f"2. {HOSTILE_END}: $statusCode == 200"),
        ("w0_s0", "w0_s1", SOLID, "otherwise"),
        ("w0_s0", "w0_failed", DASHED, f"unless ($statusCode == 200) and ({condition})"),
        ("w0_s1", "w0_finish", SOLID, "next"),
        ("w0_s1", "w0_failed", DASHED, STATUS_200),
    ]


def test_mermaid_labels_hold_no_special_characters(
    documents: dict[str, list[ir.Workflow]],
) -> None:
    text = render_graphs(documents["hostile"], "mermaid")
    for line in text.splitlines():
        quoted = re.findall(r'"([^"]*)"', line)
        for label in quoted:
            bare = _MERMAID_ENTITY.sub("", label.replace("<br/>", ""))
            assert not set(bare) & set("#;`%|<>&\\") and not re.search(":(?! )", bare), label
    assert "#quot;" in text and "#35;" in text and "#100;irection" in text


def expected_plain(text: str) -> str:
    """What a label shows for `text`: the rule the module docstring states."""

    def char(ch: str) -> str:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp"):
            return " "
        return "\ufffd" if category in ("Cs", "Cf") else ch

    return "".join(char(ch) for ch in text)


def renamed(workflow: ir.Workflow, text: str) -> ir.Workflow:
    """`workflow` with `text` in every string a label shows."""
    names = {step.step_id: f"{text}{index}" for index, step in enumerate(workflow.steps)}
    condition = Compare("==", StatusCode(), Lit(text))

    def criterion(c: ir.Criterion) -> ir.Criterion:
        return dataclasses.replace(c, condition=condition, source=text)

    def action(a: ir.Action) -> ir.Action:
        target = names.get(a.step_id) if a.step_id is not None else None
        criteria = tuple(criterion(c) for c in a.criteria)
        return dataclasses.replace(a, name=text, step_id=target, criteria=criteria)

    steps = tuple(
        dataclasses.replace(
            s,
            step_id=names[s.step_id],
            method=text,
            path=text,
            success_criteria=tuple(criterion(c) for c in s.success_criteria),
            on_success=tuple(action(a) for a in s.on_success),
        )
        for s in workflow.steps
    )
    return dataclasses.replace(workflow, workflow_id=text, steps=steps)


HOSTILE_TEXTS = [
    'a"];evil[label="x',
    '"x" -> "y"',
    "x\\",
    "\\",
    '\\"',
    "\\N \\G \\n \\l",
    "a\nb\r\nc\u2028d\u2029e\x00f\x7fg\x85h",
    "}\n}\ndigraph evil {",
    "-->|x| y\nend\nsubgraph z",
    "#quot; &quot; &amp; #35; ﬂ°°35¶ß",
    "%%{init: {'theme': 'dark'}}%%",
    "%% comment",
    "`**md**`",
    "direction LR",
    "style x fill:#f00;",
    "classDef a fill:#f00;",
    "<img src=x onerror=alert(1)>",
    "\u202eevil\u202c",
    "\ud800",
    "日本語 ünïcödé 🚀",
    "",
    " ",
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_text_keeps_the_structure_and_reads_back(
    seeds: dict[str, ir.Workflow], fmt: Format, text: str
) -> None:
    check_renamed(seeds[TASK], text, fmt)


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(codec=None, exclude_categories=[])))
def test_any_text_keeps_the_structure_and_reads_back(
    seeds: dict[str, ir.Workflow], text: str
) -> None:
    for fmt in FORMATS:
        check_renamed(seeds[TASK], text, fmt)


def check_renamed(workflow: ir.Workflow, text: str, fmt: Format) -> None:
    plain = expected_plain(text)
    benign = parse(render_graph(workflow, fmt), fmt)
    parsed = parse(render_graph(renamed(workflow, text), fmt), fmt)
    # The same nodes with as many label lines, and the same edges.
    assert [(i, kind, len(lines)) for i, (kind, lines) in parsed.nodes.items()] == [
        (i, kind, len(lines)) for i, (kind, lines) in benign.nodes.items()
    ]
    assert [e[:3] for e in parsed.edges] == [e[:3] for e in benign.edges]
    # The labels read back as the text (on one line). Mermaid needs a non-empty
    # label, so an empty one is written as one space.
    assert parsed.clusters == [("w0", plain or (" " if fmt == "mermaid" else ""))]
    # `METHOD /path`; the operationId when there is no path.
    operation = f"{plain} {plain}" if text else "describeContact"
    assert parsed.nodes["w0_s1"][1] == (f"{plain}1", operation)
    goto = next(e for e in parsed.edges if e[:2] == ("w0_s1", "w0_s2") and e[3] != "otherwise")
    criterion = "$statusCode == '" + plain.replace("'", "''") + "'"
    written = expected_plain(text.strip())
    assert goto[3] in (f"{plain}: {criterion} (as written: {written})", f"{plain}: {criterion}")
    assert [e[3] for e in parsed.edges if e[1] == "w0_failed"] == [
        f"unless {goto[3][len(plain) + 2 :]}"
    ] * 3


# --- Graphviz -------------------------------------------------------------------------------

needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz `dot` is not installed")


def dot_svg(text: str) -> ET.Element:
    assert DOT is not None
    run = subprocess.run(
        [DOT, "-Tsvg"], input=text.encode("utf-8"), capture_output=True, check=False, timeout=60
    )
    assert run.returncode == 0 and not run.stderr, run.stderr.decode("utf-8", "replace")
    return ET.fromstring(run.stdout)


def svg_groups(svg: ET.Element, kind: str) -> list[tuple[str, list[str]]]:
    """(title, texts) of every node, edge or cluster group of an SVG Graphviz drew."""
    ns = "{http://www.w3.org/2000/svg}"
    groups = []
    for group in svg.iter(f"{ns}g"):
        if group.get("class") == kind:
            title = group.findtext(f"{ns}title") or ""
            # Graphviz keeps runs of spaces visible by writing every other one as U+00A0.
            texts = [(t.text or "").replace("\xa0", " ") for t in group.iter(f"{ns}text")]
            groups.append((title, texts))
    return groups


@needs_dot
@pytest.mark.parametrize(
    "name", ["seeds", "branching", "priorities", "hostile", "failures", "calls"]
)
def test_dot_accepts_the_output_and_draws_the_same_graph(
    seeds: dict[str, ir.Workflow], documents: dict[str, list[ir.Workflow]], name: str
) -> None:
    workflows = list(seeds.values()) if name == "seeds" else documents[name]
    text = render_graphs(workflows, "dot")
    parsed = parse(text, "dot")
    svg = dot_svg(text)
    nodes = svg_groups(svg, "node")
    assert {title: tuple(texts) for title, texts in nodes} == {
        node_id: lines for node_id, (_, lines) in parsed.nodes.items()
    }
    edges = svg_groups(svg, "edge")
    assert sorted((title, "".join(texts)) for title, texts in edges) == sorted(
        (f"{a}->{b}", label) for a, b, _, label in parsed.edges
    )
    clusters = svg_groups(svg, "cluster")
    assert [(title, texts) for title, texts in clusters] == [
        (f"cluster_{cid}", [title]) for cid, title in parsed.clusters
    ]


@needs_dot
@pytest.mark.parametrize("text", [t for t in HOSTILE_TEXTS if t.strip()])
def test_dot_draws_hostile_text_as_written(seeds: dict[str, ir.Workflow], text: str) -> None:
    rendered = render_graph(renamed(seeds[TASK], text), "dot")
    svg = dot_svg(rendered)
    assert len(svg_groups(svg, "node")) == 6
    assert len(svg_groups(svg, "edge")) == 8
    [(_, [title])] = svg_groups(svg, "cluster")
    assert title == expected_plain(text)


def test_failure_actions_are_drawn_in_priority_order(
    documents: dict[str, list[ir.Workflow]],
) -> None:
    text = render_graphs([w for w in documents["failures"] if w.workflow_id == "fall-back"], "dot")
    assert "1. toFallback: goto fallback when $statusCode == 404" in text
    assert "2. giveUp: end" in text
    retry = render_graphs([w for w in documents["failures"] if w.workflow_id == "poll-job"], "dot")
    assert "retryBusy: retry at most 3 time(s) after 0.5 s when $statusCode == 503" in retry


def test_workflow_steps_and_dependencies_are_drawn(
    documents: dict[str, list[ir.Workflow]],
) -> None:
    by_id = {w.workflow_id: w for w in documents["calls"]}
    two = render_graphs([by_id["two-jobs"]], "dot")
    assert '"w0_s0" [label="one\\nruns workflow get-state", shape=box];' in two
    assert '[label="if workflow get-state fails", style=dashed]' in two
    token = render_graphs([by_id["with-token"]], "mermaid")
    assert 'w0_d0(["depends on get-token"])' in token
    assert 'w0_d0 -->|"runs first"| w0_start' in token


def test_criteria_and_actions_of_workflow_steps_are_drawn(
    documents: dict[str, list[ir.Workflow]],
) -> None:
    by_id = {w.workflow_id: w for w in documents["workflow-steps"]}
    wait = render_graphs([by_id["wait-for-job"]], "dot")
    assert (
        "stillQueued: retry at most 2 time(s) after 0.25 s when $outputs.state == 'queued'"
    ) in wait
    assert "otherwise, unless workflow get-state succeeds and $outputs.state == 'done'" in wait
    assert '"w0_s0" -> "w0_s0"' in wait  # the retry goes back to the step
    fallback = render_graphs([by_id["state-or-fallback"]], "dot")
    assert "reauthenticate: run workflow get-token, then end when" in fallback
    assert 'unless workflow get-state succeeds"' in fallback
    refresh = render_graphs([by_id["poll-after-refresh"]], "mermaid")
    assert "running workflow get-token first" in refresh
    assert "w0_s0 -.->|" in refresh and "| w0_s0" in refresh  # back to the step, not the end
