"""Load stage: read YAML and JSON documents, remembering where every node came from.

Documents are read with PyYAML's safe composer (no constructors run on untrusted
tags) and turned into plain JSON-like data: dicts with string keys, lists, str,
int, float, bool and None. Alongside the data, every node's JSON pointer is mapped
to its 1-based line and column so later stages can point people at the exact spot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Diagnostics, Span, display_path

try:  # libyaml is much faster where it is installed
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

#: Bounds that keep hostile input from exhausting the machine.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_NODES = 1_000_000
MAX_DEPTH = 400

_SCALARS = yaml.constructor.SafeConstructor()
_KNOWN_SCALAR_TAGS = {
    "tag:yaml.org,2002:null": _SCALARS.construct_yaml_null,
    "tag:yaml.org,2002:bool": _SCALARS.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SCALARS.construct_yaml_int,
    "tag:yaml.org,2002:float": _SCALARS.construct_yaml_float,
}


def escape_token(token: str) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def join_pointer(base: str, *tokens: str | int) -> str:
    """`join_pointer("/a", "b/c", 0)` is `/a/b~1c/0`."""
    return base + "".join("/" + escape_token(str(t)) for t in tokens)


def split_pointer(pointer: str) -> list[str]:
    """The decoded reference tokens of a JSON pointer such as `/paths/~1pets/get`."""
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


@dataclass(frozen=True)
class Document:
    """A loaded document: its data plus the line and column of every node."""

    path: Path
    display: str
    data: Any
    marks: dict[str, tuple[int, int]] = field(repr=False)

    def span(self, pointer: str) -> Span:
        """The span of a node, falling back to its nearest ancestor with a mark."""
        probe = pointer
        while True:
            if probe in self.marks:
                line, col = self.marks[probe]
                return Span(self.display, line, col, pointer)
            if not probe:
                return Span(self.display, 0, 0, pointer)
            probe = probe.rsplit("/", 1)[0]


class LoadError(Exception):
    """A document could not be read; carries the position when one is known."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


_COLLECTION_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded.

    Computed over the node graph with each distinct node sized once, so an
    alias bomb is measured in microseconds instead of being expanded.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # nodes whose children are still being sized
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        if children_done or not children:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(MAX_NODES + 1, 1 + sum(sizes[id(c)] for c in children))
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            raise LoadError("recursive YAML alias", *_mark(node))
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _Builder:
    """Turns a composed YAML node graph into JSON-like data plus marks."""

    def __init__(self) -> None:
        self.marks: dict[str, tuple[int, int]] = {}
        self.active: set[int] = set()

    def build(self, node: yaml.Node, pointer: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", *_mark(node))
        self.marks.setdefault(pointer, _mark(node))
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if node.tag not in _COLLECTION_TAGS:
            raise LoadError(f"unsupported YAML tag {node.tag!r}", *_mark(node))
        if id(node) in self.active:
            raise LoadError("recursive YAML alias", *_mark(node))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.build(item, f"{pointer}/{i}", depth + 1)
                    for i, item in enumerate(node.value)
                ]
            return self._mapping(node, pointer, depth)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.Node, pointer: str, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            if key in result:
                raise LoadError(f"duplicate key {key!r}", *_mark(key_node))
            child = join_pointer(pointer, key)
            result[key] = self.build(value_node, child, depth + 1)
        return result


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _key(node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise LoadError("mapping keys must be plain scalars", *_mark(node))
    if node.tag == "tag:yaml.org,2002:merge":
        raise LoadError("YAML merge keys ('<<') are not supported", *_mark(node))
    value = _scalar(node)
    if isinstance(value, bool) or value is None:
        return str(node.value)  # `yes:` / `null:` keys stay as written
    return str(value)


def _scalar(node: yaml.ScalarNode) -> Any:
    construct = _KNOWN_SCALAR_TAGS.get(node.tag)
    if construct is not None:
        return construct(node)
    if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
        return node.value  # dates stay text, as in JSON
    raise LoadError(f"unsupported YAML tag {node.tag!r}", *_mark(node))


def parse_text(text: str, is_json: bool) -> tuple[Any, dict[str, tuple[int, int]]]:
    """Parse YAML or JSON text into data and marks; raises LoadError.

    JSON documents take their data from the `json` module (YAML 1.1 would read
    `1e3` as a string) and only their line and column marks from YAML.
    """
    if is_json:
        data = _parse_json(text)
        try:
            return data, parse_text(text, is_json=False)[1]
        except LoadError:
            return data, {}
    try:
        node = yaml.compose(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        raise LoadError(f"malformed YAML: {problem}", *where) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise LoadError(f"malformed YAML: {exc}") from None
    if node is None:
        return None, {"": (1, 1)}
    if _expanded_size(node) > MAX_NODES:
        raise LoadError(
            f"document expands to more than {MAX_NODES} nodes (nested YAML aliases?)", *_mark(node)
        )
    builder = _Builder()
    try:
        data = builder.build(node, "", 0)
    except RecursionError:
        raise LoadError(f"nesting deeper than {MAX_DEPTH} levels") from None
    return data, builder.marks


def _parse_json(text: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise LoadError(f"duplicate key {key!r}")
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise LoadError(f"malformed JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise LoadError(f"nesting deeper than {MAX_DEPTH} levels") from None


def read_text(path: Path) -> str:
    """Read a file as UTF-8 text (a BOM is allowed); raises LoadError."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LoadError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LoadError("file not found") from None
    except IsADirectoryError:
        raise LoadError("is a directory, not a file") from None
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LoadError("file is not UTF-8 text", line, 1) from None


@dataclass
class Loader:
    """Loads each file once per run; shared by every stage that reads documents."""

    root: Path
    diagnostics: Diagnostics
    cache: dict[Path, Document | LoadError] = field(default_factory=dict)
    #: The text of every file read, by display path, for showing source lines.
    texts: dict[str, str] = field(default_factory=dict)

    def load(self, path: Path, via: Span | None = None) -> Document | None:
        """The document at `path`, or None after reporting why it cannot be read.

        `via` is where the document was referenced from (a source description's
        `url`); a missing or unreadable file is reported there, since that is the
        line a person has to fix.
        """
        key = path.resolve()
        if key not in self.cache:
            self.cache[key] = self._read(key)
        found = self.cache[key]
        if isinstance(found, Document):
            return found
        display = display_path(key, self.root)
        if via is not None and not found.line:
            self.diagnostics.error(
                "AG002",
                via,
                f"cannot load {display}: {found.message}",
                "check the url; relative urls resolve from the referencing document",
            )
        else:
            hint = (
                "check the path"
                if found.message in ("file not found", "is a directory, not a file")
                else "fix the file so it is valid UTF-8 YAML or JSON"
            )
            self.diagnostics.error(
                "AG001",
                Span(display, found.line, found.col),
                f"cannot load document: {found.message}",
                hint,
            )
        return None

    def _read(self, path: Path) -> Document | LoadError:
        display = display_path(path, self.root)
        try:
            text = read_text(path)
            self.texts[display] = text
            data, marks = parse_text(text, path.suffix.lower() == ".json")
        except LoadError as exc:
            return exc
        return Document(path, display, data, marks)
