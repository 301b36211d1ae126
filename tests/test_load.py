"""Tests for generator.load: documents become JSON-like data plus line/column marks.

Everything a later stage reports points at a mark recorded here, so these tests
pin the positions exactly (1-based line and column of the node's first
character) and check that hostile or broken input becomes a `LoadError` with a
position instead of an exception escaping or the machine being exhausted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator import load
from generator.diagnostics import Diagnostics, Level, Span
from generator.load import (
    Document,
    Loader,
    LoadError,
    join_pointer,
    parse_text,
    read_text,
    split_pointer,
)


def yaml_text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def load_error(text: str, *, is_json: bool = False) -> LoadError:
    """The LoadError `text` is rejected with; fails the test (AssertionError) if it loads."""
    try:
        data, _ = parse_text(text, is_json)
    except LoadError as error:
        return error
    raise AssertionError(f"loaded without an error as {data!r}")


# --- JSON pointers ----------------------------------------------------------------


def test_pointer_tokens_are_escaped_and_decoded_per_rfc_6901() -> None:
    pointer = join_pointer("/paths", "/pets/{id}", "get", 0, "a~b")
    assert pointer == "/paths/~1pets~1{id}/get/0/a~0b"
    assert split_pointer(pointer) == ["paths", "/pets/{id}", "get", "0", "a~b"]
    # "~01" is an escaped "~" followed by "1", never a "/".
    assert split_pointer("/~01") == ["~1"]
    assert split_pointer("") == []


# --- marks ------------------------------------------------------------------------


def test_nested_mapping_and_sequence_nodes_have_their_own_line_and_column() -> None:
    text = yaml_text("""
        info:
          title: Pets
        steps:
          - stepId: first
            parameters:
              - name: id
                value: [1, {deep: true}]
          - stepId: second
        """)
    data, marks = parse_text(text, is_json=False)
    assert data["steps"][0]["parameters"][0]["value"] == [1, {"deep": True}]
    assert marks[""] == (1, 1)
    assert marks["/info"] == (2, 3)
    assert marks["/info/title"] == (2, 10)
    assert marks["/steps"] == (4, 3)  # the sequence starts at its first "-"
    assert marks["/steps/0"] == (4, 5)  # the mapping starts at its first key
    assert marks["/steps/0/stepId"] == (4, 13)
    assert marks["/steps/0/parameters/0"] == (6, 9)
    assert marks["/steps/0/parameters/0/value"] == (7, 16)
    assert marks["/steps/0/parameters/0/value/0"] == (7, 17)
    assert marks["/steps/0/parameters/0/value/1"] == (7, 20)
    assert marks["/steps/0/parameters/0/value/1/deep"] == (7, 27)
    assert marks["/steps/1"] == (8, 5)


def test_keys_with_slash_and_tilde_are_marked_under_escaped_pointers() -> None:
    text = yaml_text("""
        paths:
          /pets/{id}:
            get: {}
          a~b: x
        """)
    data, marks = parse_text(text, is_json=False)
    assert set(data["paths"]) == {"/pets/{id}", "a~b"}
    assert marks["/paths/~1pets~1{id}/get"] == (3, 10)
    assert marks["/paths/a~0b"] == (4, 8)


# --- scalars and keys -------------------------------------------------------------


def test_non_string_keys_become_strings_as_json_requires() -> None:
    text = yaml_text("""
        responses:
          200: ok
          404: missing
        true: t
        yes: y
        null: n
        ~: tilde
        """)
    data, marks = parse_text(text, is_json=False)
    assert list(data["responses"]) == ["200", "404"]
    assert all(isinstance(key, str) for key in data)
    # Booleans and nulls used as keys keep the text as written.
    assert {"true", "yes", "null", "~"} <= set(data)
    assert marks["/responses/200"] == (2, 8)


def test_scalar_values_keep_their_yaml_types() -> None:
    data, _ = parse_text("a: 1\nb: 1.5\nc: true\nd: null\ne: '1'\nf: !!str 2\n", is_json=False)
    assert data == {"a": 1, "b": 1.5, "c": True, "d": None, "e": "1", "f": "2"}
    assert type(data["a"]) is int
    assert type(data["c"]) is bool


def test_timestamps_stay_strings_as_they_would_in_json() -> None:
    text = "date: 2024-01-31\ntime: 2024-01-31T10:20:30Z\n2024-02-01: key\n"
    data, _ = parse_text(text, is_json=False)
    assert data == {
        "date": "2024-01-31",
        "time": "2024-01-31T10:20:30Z",
        "2024-02-01": "key",
    }
    json.dumps(data)  # the data is plain JSON


def test_empty_document_is_null_with_a_root_mark() -> None:
    assert parse_text("", is_json=False) == (None, {"": (1, 1)})


# --- rejected YAML ----------------------------------------------------------------


def test_duplicate_key_is_an_error_at_the_second_key() -> None:
    error = load_error("a: 1\nb:\n  c: 2\n  c: 3\n")
    assert "duplicate key 'c'" in error.message
    assert (error.line, error.col) == (4, 3)


def test_keys_equal_after_conversion_to_strings_are_duplicates() -> None:
    error = load_error("200: a\n'200': b\n")
    assert "duplicate key '200'" in error.message
    assert error.line == 2


def test_merge_keys_are_rejected_at_the_merge_key() -> None:
    error = load_error("base: &base {x: 1}\nderived:\n  <<: *base\n  y: 2\n")
    assert "merge keys" in error.message
    assert (error.line, error.col) == (3, 3)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: !custom value\n", 2),
        ("a: !!binary aGVsbG8=\n", 1),
        ("a:\n  - !!python/name:os.system x\n", 2),
    ],
)
def test_scalars_with_unknown_tags_are_rejected(text: str, line: int) -> None:
    error = load_error(text)
    assert "unsupported YAML tag" in error.message
    assert error.line == line


@pytest.mark.parametrize(
    "text",
    [
        "a: !Ref {name: x}\n",
        "a: !!python/object/apply:os.system [echo hi]\n",
        "a: !!set {x, y}\n",
    ],
)
def test_collections_with_unknown_tags_are_rejected(text: str) -> None:
    error = load_error(text)
    assert "unsupported YAML tag" in error.message
    assert error.line == 1


def test_recursive_alias_is_rejected_at_the_alias() -> None:
    error = load_error("top:\n  loop: &self [1, *self]\n")
    assert "recursive YAML alias" in error.message
    assert error.line == 2


def _billion_laughs(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected_by_the_node_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # The budget is lowered so the test is fast; the mechanism is the same.
    monkeypatch.setattr(load, "MAX_NODES", 10_000)
    error = load_error(_billion_laughs(9))  # would expand to about 9**9 nodes
    assert "more than 10000 nodes" in error.message


def test_aliases_that_stay_within_budget_are_expanded() -> None:
    data, marks = parse_text("a: &a {x: 1}\nb: *a\n", is_json=False)
    assert data == {"a": {"x": 1}, "b": {"x": 1}}
    assert marks["/b/x"] == (1, 11)  # the alias's content is where the anchor is


def test_small_alias_bomb_is_rejected_quickly_with_default_limits() -> None:
    script = (
        "import time\n"
        "from generator.load import LoadError, parse_text\n"
        f"text = {_billion_laughs(9)!r}\n"
        "start = time.perf_counter()\n"
        "try:\n"
        "    parse_text(text, False)\n"
        "except LoadError:\n"
        "    print(time.perf_counter() - start)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=1.5,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the alias bomb was not rejected within 1.5 seconds") from None
    assert done.stdout.strip(), "the alias bomb was not rejected"
    assert float(done.stdout) < 1.0


def test_nesting_deeper_than_the_limit_is_rejected() -> None:
    deep = "[" * (load.MAX_DEPTH + 50) + "]" * (load.MAX_DEPTH + 50)
    error = load_error(deep)
    assert "nesting deeper than" in error.message
    assert error.line == 1


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: [1, 2\nc: 3\n", 3),
        ("a: 1\n---\nb: 2\n", 2),
        ("a: 'unterminated\n", 2),
        ("a:\n\tb: 1\n", 2),
    ],
)
def test_malformed_yaml_is_an_error_with_a_position(text: str, line: int) -> None:
    error = load_error(text)
    assert error.message.startswith("malformed YAML")
    assert error.line == line


# --- text -------------------------------------------------------------------------


def test_non_utf8_bytes_are_rejected_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: 1\nb: 2\nc: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(LoadError) as caught:
        read_text(path)
    assert caught.value.message == "file is not UTF-8 text"
    assert caught.value.line == 3


def test_utf8_bom_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: caf\xc3\xa9\n")
    assert read_text(path) == "a: caf\u00e9\n"


def test_missing_file_and_directory_are_load_errors(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="file not found"):
        read_text(tmp_path / "nope.yaml")
    with pytest.raises(LoadError, match="is a directory"):
        read_text(tmp_path)


# --- JSON -------------------------------------------------------------------------


def test_json_is_read_with_positions_when_yaml_can_parse_it() -> None:
    text = '{\n  "openapi": "3.1.0",\n  "paths": {\n    "/pets": {"get": {"x": [1, 2]}}\n  }\n}\n'
    data, marks = parse_text(text, is_json=True)
    assert data == json.loads(text)
    assert marks["/openapi"] == (2, 14)
    assert marks["/paths/~1pets/get"] == (4, 22)
    assert marks["/paths/~1pets/get/x/1"] == (4, 32)


def test_json_yaml_cannot_parse_falls_back_to_the_json_module() -> None:
    # YAML limits implicit keys to 1024 characters; JSON has no such limit.
    key = "k" * 1100
    text = json.dumps({key: {"nested": [1, 2]}, "b": "x"})
    data, marks = parse_text(text, is_json=True)
    assert data == {key: {"nested": [1, 2]}, "b": "x"}
    assert marks == {}  # no positions, but the data is right


def test_json_fallback_rejects_duplicate_keys() -> None:
    text = json.dumps({"k" * 1100: 1})[:-1] + ', "' + "k" * 1100 + '": 2}'
    error = load_error(text, is_json=True)
    assert "duplicate key" in error.message


def test_malformed_json_is_an_error_with_the_json_position() -> None:
    error = load_error('{\n  "a": 1,\n  "b": [1, 2}\n}\n', is_json=True)
    assert error.message.startswith("malformed JSON")
    assert (error.line, error.col) == (3, 13)


def test_json_numbers_with_exponents_load_as_numbers() -> None:
    text = '{"a": 1e3, "b": 1.5e5, "c": 2E-2}'
    data, _ = parse_text(text, is_json=True)
    assert data == json.loads(text) == {"a": 1000.0, "b": 150000.0, "c": 0.02}


# --- Document.span ----------------------------------------------------------------


def _document(text: str, display: str = "doc.yaml") -> Document:
    data, marks = parse_text(text, is_json=False)
    return Document(Path(display), display, data, marks)


def test_span_of_a_marked_node() -> None:
    doc = _document("a:\n  b:\n    - x\n    - y\n")
    assert doc.span("/a/b/1") == Span("doc.yaml", 4, 7, "/a/b/1")
    assert str(doc.span("/a/b/1")) == "doc.yaml:4:7"


def test_span_falls_back_to_the_nearest_marked_ancestor_keeping_the_pointer() -> None:
    doc = _document("a:\n  b:\n    - x\n")
    assert doc.span("/a/b/7/missing") == Span("doc.yaml", 3, 5, "/a/b/7/missing")
    assert doc.span("/nothing/here") == Span("doc.yaml", 1, 1, "/nothing/here")


def test_span_without_any_mark_has_no_line() -> None:
    doc = Document(Path("x.json"), "x.json", {"a": 1}, {})
    span = doc.span("/a")
    assert (span.line, span.col) == (0, 0)
    assert str(span) == "x.json"


# --- Loader -----------------------------------------------------------------------


def test_loader_reads_each_file_once(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text("openapi: 3.1.0\n", encoding="utf-8")
    diagnostics = Diagnostics()
    loader = Loader(tmp_path, diagnostics)
    first = loader.load(path)
    path.write_text("openapi: 3.0.0\n", encoding="utf-8")
    second = loader.load(tmp_path / "." / "api.yaml")
    assert first is not None
    assert second is first
    assert first.data == {"openapi": "3.1.0"}
    assert first.display == f"{tmp_path.name}/api.yaml"
    assert len(diagnostics) == 0


def test_loader_reports_a_missing_file_at_the_referencing_span(tmp_path: Path) -> None:
    diagnostics = Diagnostics()
    loader = Loader(tmp_path, diagnostics)
    via = Span("flow.arazzo.yaml", 7, 10, "/sourceDescriptions/0/url")
    assert loader.load(tmp_path / "missing.yaml", via=via) is None
    [diagnostic] = diagnostics.items
    assert diagnostic.level is Level.ERROR
    assert diagnostic.code == "AG002"
    assert diagnostic.span == via
    assert "missing.yaml" in diagnostic.message
    assert "file not found" in diagnostic.message
    assert diagnostic.render().startswith("flow.arazzo.yaml:7:10: error[AG002]: ")


def test_loader_reports_a_malformed_file_at_its_own_position(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text("openapi: 3.1.0\npaths:\n  a: 1\n  a: 2\n", encoding="utf-8")
    diagnostics = Diagnostics()
    loader = Loader(tmp_path, diagnostics)
    via = Span("flow.arazzo.yaml", 7, 10, "/sourceDescriptions/0/url")
    assert loader.load(path, via=via) is None
    [diagnostic] = diagnostics.items
    assert diagnostic.code == "AG001"
    assert diagnostic.span == Span(f"{tmp_path.name}/api.yaml", 4, 3)
    assert "duplicate key 'a'" in diagnostic.message


def test_loader_reports_non_utf8_at_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_bytes(b"a: 1\n\xff\xfe: 2\n")
    diagnostics = Diagnostics()
    assert Loader(tmp_path, diagnostics).load(path) is None
    [diagnostic] = diagnostics.items
    assert diagnostic.code == "AG001"
    assert (diagnostic.span.line, diagnostic.span.col) == (2, 1)
    assert "not UTF-8" in diagnostic.message


def test_loader_reports_a_missing_top_level_file_as_ag001(tmp_path: Path) -> None:
    diagnostics = Diagnostics()
    assert Loader(tmp_path, diagnostics).load(tmp_path / "gone.yaml") is None
    [diagnostic] = diagnostics.items
    assert diagnostic.code == "AG001"
    assert diagnostic.span.line == 0
    assert "file not found" in diagnostic.message
