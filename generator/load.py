"""Load stage: read YAML and JSON documents, remembering where every node came from.

Documents are read from PyYAML's event stream (no constructors run on untrusted
tags) and turned into plain JSON-like data: dicts with string keys, lists, str,
int, finite float, bool and None. Alongside the data, every node's JSON pointer is
mapped to its 1-based line and column so later stages can point people at the
exact spot.

The input is assumed hostile, so everything is bounded: the file size (only
regular files are read), the nesting depth, the number of nodes, how much YAML
aliases may expand a document, the total length of the JSON pointers, and the
length of integers. The data is built from events iteratively, never by
recursion, so no depth of nesting can exhaust the stack.
"""

from __future__ import annotations

import gc
import json
import math
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
#: No real document nests this deep. Within it, any value of a document fits
#: `pysrc.literal` (which refuses more than 100 levels), and the code generated
#: from it stays well within CPython's limit of 200 nested brackets.
MAX_DEPTH = 100
#: YAML aliases may add at most this many nodes to a document (or, where that is
#: more, as many nodes as the document has without them): a small file must not
#: expand into a large one.
MAX_ALIAS_NODES = 100_000
#: The JSON pointers of all nodes may have at most this many characters together
#: (or 8 per character of the document, where that is more). Each pointer repeats
#: the keys above it, so long keys over deep nesting would otherwise multiply.
MAX_POINTER_CHARS = 32 * 2**20
#: Longer integers are refused: Python refuses decimal strings over 4300 digits,
#: and YAML's base-60 integers (`1:30:00`) take quadratic time to convert.
MAX_INT_CHARS = 1000

_SCALARS = yaml.constructor.SafeConstructor()
_KNOWN_SCALAR_TAGS = {
    "tag:yaml.org,2002:null": _SCALARS.construct_yaml_null,
    "tag:yaml.org,2002:bool": _SCALARS.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SCALARS.construct_yaml_int,
    "tag:yaml.org,2002:float": _SCALARS.construct_yaml_float,
}
_STR_TAG = "tag:yaml.org,2002:str"
_TEXT_TAGS = (_STR_TAG, "tag:yaml.org,2002:timestamp")
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"


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


class _LimitError(LoadError):
    """A document over one of the loader's bounds (depth, nodes, aliases, pointers)."""


class _Frame:
    """An open sequence or mapping while its events are read."""

    __slots__ = ("anchor", "container", "is_mapping", "key", "pointer")

    def __init__(self, container: Any, pointer: str, anchor: str | None) -> None:
        self.container = container
        self.pointer = pointer
        self.is_mapping = isinstance(container, dict)
        self.key: str | None = None  # a mapping's key waiting for its value
        self.anchor = anchor  # the anchor this collection defines, if any


class _Builder:
    """Turns a YAML event stream into JSON-like data plus marks, iteratively.

    An alias is expanded by replaying the events of the node its anchor names,
    so every copy gets its own pointers (marked where the anchor is), and the
    node count of every anchored node is known before it is replayed.
    """

    def __init__(self, text_length: int) -> None:
        self.marks: dict[str, tuple[int, int]] = {}
        self.root: Any = None
        self.nodes = 0
        self.alias_nodes = 0  # nodes added by aliases outside anchored nodes
        self.pointer_chars = 0
        self.pointer_budget = max(MAX_POINTER_CHARS, 8 * text_length)
        self.documents = 0
        self.stack: list[_Frame] = []
        #: Events inside anchored nodes, so aliases can replay them.
        self.recorded: list[yaml.Event] = []
        #: anchor -> (first recorded event, end, node count) of a finished node
        self.anchors: dict[str, tuple[int, int, int]] = {}
        #: anchor -> (first recorded event, node count before it) of an open node
        self.open_anchors: dict[str, tuple[int, int]] = {}
        #: implicit tags of short plain scalars, which repeat a lot (`type: string`)
        self.resolved: dict[str, str] = {}

    def run(self, next_event: Callable[[], yaml.Event | None]) -> None:
        """Consume the events `next_event` returns until it returns None."""
        replays: list[Iterator[yaml.Event]] = []  # aliases being expanded, innermost last
        while True:
            if replays:
                event = next(replays[-1], None)
                if event is None:
                    replays.pop()
                    continue
                replayed = True
            else:
                event = next_event()
                if event is None:
                    return
                replayed = False
                if self.open_anchors or getattr(event, "anchor", None) is not None:
                    self._record(event)
            if isinstance(event, yaml.ScalarEvent):
                self._scalar_event(event)
            elif isinstance(event, yaml.CollectionStartEvent):
                self._start(event, isinstance(event, yaml.MappingStartEvent), replayed)
            elif isinstance(event, yaml.CollectionEndEvent):
                self._end(replayed)
            elif isinstance(event, yaml.AliasEvent):
                replays.append(self._alias(event, replayed))
            elif isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise LoadError(
                        "malformed YAML: found a second document; a file holds one",
                        *_mark(event),
                    )

    def _record(self, event: yaml.Event) -> None:
        anchor = getattr(event, "anchor", None)
        if anchor is not None and type(event) is not yaml.AliasEvent:
            if anchor in self.anchors or anchor in self.open_anchors:
                raise LoadError(f"duplicate YAML anchor &{anchor}", *_mark(event))
            start = len(self.recorded)
            if type(event) is yaml.ScalarEvent:
                self.anchors[anchor] = (start, start + 1, 1)
            else:
                self.open_anchors[anchor] = (start, self.nodes)
            self.recorded.append(event)
        elif self.open_anchors:
            self.recorded.append(event)

    def _alias(self, event: yaml.AliasEvent, replayed: bool) -> Iterator[yaml.Event]:
        name = event.anchor
        if name in self.open_anchors:
            raise LoadError("recursive YAML alias", *_mark(event))
        if name not in self.anchors:
            raise LoadError(f"malformed YAML: found undefined alias *{name}", *_mark(event))
        start, end, size = self.anchors[name]
        if self.nodes + size > MAX_NODES:
            raise _LimitError(
                f"document expands to more than {MAX_NODES} nodes (nested YAML aliases?)",
                *_mark(event),
            )
        if not replayed:  # a replayed alias is counted in its anchor's size already
            self.alias_nodes += size
            allowed = max(MAX_ALIAS_NODES, self.nodes)
            if self.alias_nodes > allowed:
                raise _LimitError(
                    f"YAML aliases expand the document by more than {allowed} nodes; "
                    "write the repeated parts out, or use fewer aliases",
                    *_mark(event),
                )
        recorded = self.recorded
        return (recorded[i] for i in range(start, end))

    def _count(self, event: yaml.Event) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _LimitError(f"document has more than {MAX_NODES} nodes", *_mark(event))

    def _scalar_event(self, event: yaml.ScalarEvent) -> None:
        self._count(event)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolve(event)
        stack = self.stack
        if stack and stack[-1].is_mapping and stack[-1].key is None:
            key = _key(event, tag)
            if key in stack[-1].container:
                raise LoadError(f"duplicate key {key!r}", *_mark(event))
            stack[-1].key = key
            return
        self._place(event.value if tag == _STR_TAG else _scalar(event, tag), event)

    def _resolve(self, event: yaml.ScalarEvent) -> str:
        """The implicit tag of a scalar, as the safe loader resolves it (remembered)."""
        if not event.implicit[0]:  # quoted: always a string
            return _STR_TAG
        value = event.value
        tag = self.resolved.get(value)
        if tag is None:
            tag = str(_RESOLVER.resolve(yaml.ScalarNode, value, event.implicit))  # type: ignore[no-untyped-call]
            if len(value) <= 64 and len(self.resolved) < 10_000:
                self.resolved[value] = tag
        return tag

    def _start(self, event: yaml.CollectionStartEvent, is_mapping: bool, replayed: bool) -> None:
        self._count(event)
        frame = self.stack[-1] if self.stack else None
        if frame is not None and frame.is_mapping and frame.key is None:
            raise LoadError("mapping keys must be plain scalars", *_mark(event))
        tag = event.tag if event.tag not in (None, "!") else None
        if tag is not None and tag != (_MAP_TAG if is_mapping else _SEQ_TAG):
            raise LoadError(f"unsupported YAML tag {tag!r}", *_mark(event))
        container: Any = {} if is_mapping else []
        pointer = self._place(container, event)
        anchor = None if replayed else event.anchor
        self.stack.append(_Frame(container, pointer, anchor))

    def _end(self, replayed: bool) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None and not replayed:
            start, nodes_before = self.open_anchors.pop(frame.anchor)
            end = len(self.recorded)  # the end event was recorded already
            self.anchors[frame.anchor] = (start, end, self.nodes - nodes_before)

    def _place(self, value: Any, event: yaml.Event) -> str:
        """Put a value into the open collection (or make it the root); its pointer."""
        if len(self.stack) > MAX_DEPTH:
            raise _LimitError(f"nesting deeper than {MAX_DEPTH} levels", *_mark(event))
        if not self.stack:
            pointer = ""
            self.root = value
        else:
            frame = self.stack[-1]
            container = frame.container
            if frame.is_mapping:
                key = frame.key
                assert key is not None
                pointer = frame.pointer + "/" + escape_token(key)
                container[key] = value
                frame.key = None
            else:
                pointer = frame.pointer + "/" + str(len(container))
                container.append(value)
        self.pointer_chars += len(pointer)
        if self.pointer_chars > self.pointer_budget:
            raise _LimitError(
                f"the paths to this document's nodes are longer than {self.pointer_budget} "
                "characters together (long keys over deep nesting?)",
                *_mark(event),
            )
        self.marks.setdefault(pointer, _mark(event))
        return pointer


def _mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _key(event: yaml.ScalarEvent, tag: str) -> str:
    if tag == _STR_TAG:
        return event.value
    if tag == _MERGE_TAG:
        raise LoadError("YAML merge keys ('<<') are not supported", *_mark(event))
    value = _scalar(event, tag)
    if isinstance(value, bool) or value is None:
        return event.value  # `yes:` / `null:` keys stay as written
    return str(value)


def _scalar(event: yaml.ScalarEvent, tag: str) -> Any:
    if tag in _TEXT_TAGS:
        return event.value  # dates stay text, as in JSON
    construct = _KNOWN_SCALAR_TAGS.get(tag)
    if construct is None:
        raise LoadError(f"unsupported YAML tag {tag!r}", *_mark(event))
    if tag == "tag:yaml.org,2002:int" and len(event.value) > MAX_INT_CHARS:
        raise LoadError(f"integer longer than {MAX_INT_CHARS} characters", *_mark(event))
    try:
        value = construct(yaml.ScalarNode(tag, event.value))
    except ValueError as exc:
        raise LoadError(f"invalid number {event.value[:40]!r}: {exc}", *_mark(event)) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise LoadError(
            f"{event.value[:40]!r} is not a JSON number (infinite or not a number)",
            *_mark(event),
        )
    return value


#: Resolves implicit scalar tags (int, float, bool...) the way the safe loader does.
_RESOLVER = _YamlLoader("")


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    """Building a large document makes many objects and no garbage; the cyclic
    collector would only scan them again and again (a 10 MB document loads about
    four times faster without it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_yaml(text: str) -> tuple[Any, dict[str, tuple[int, int]]]:
    builder = _Builder(len(text))
    loader = _YamlLoader(text)
    try:
        with _no_garbage_collection():
            builder.run(loader.get_event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        raise LoadError(f"malformed YAML: {problem}", *where) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"malformed YAML: {exc}") from None
    finally:
        loader.dispose()
    if not builder.documents or not builder.marks:
        return None, {"": (1, 1)}
    return builder.root, builder.marks


def parse_text(text: str, is_json: bool) -> tuple[Any, dict[str, tuple[int, int]]]:
    """Parse YAML or JSON text into data and marks; raises LoadError.

    JSON documents take their data from the `json` module (YAML 1.1 would read
    `1e3` as a string) and only their line and column marks from YAML. Where YAML
    cannot read a JSON document, it has no marks, and the limits are checked on
    the data itself.
    """
    if not is_json:
        return _parse_yaml(text)
    try:
        data = _parse_json(text)
    except LoadError as exc:
        if exc.line or not exc.message.startswith("duplicate key"):
            raise
        try:  # the json module does not say where the duplicate is; YAML does
            _parse_yaml(text)
        except LoadError as positioned:
            if positioned.line and positioned.message.startswith("duplicate key"):
                raise positioned from None
        raise
    try:
        return data, _parse_yaml(text)[1]
    except _LimitError:
        raise  # with the position YAML found
    except LoadError:  # YAML cannot read it (e.g. keys over 1024 characters)
        _check_limits(data, len(text))
        return data, {}


def _check_limits(data: Any, text_length: int) -> None:
    """The loader's depth, node and pointer limits, checked on data without marks."""
    nodes = pointer_chars = 0
    budget = max(MAX_POINTER_CHARS, 8 * text_length)
    stack: list[tuple[Any, int, int]] = [(data, 0, 0)]  # value, depth, pointer length
    while stack:
        value, depth, length = stack.pop()
        nodes += 1
        pointer_chars += length
        if depth > MAX_DEPTH:
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels")
        if nodes > MAX_NODES:
            raise LoadError(f"document has more than {MAX_NODES} nodes")
        if pointer_chars > budget:
            raise LoadError(
                f"the paths to this document's nodes are longer than {budget} "
                "characters together (long keys over deep nesting?)"
            )
        if isinstance(value, dict):
            stack.extend(
                (item, depth + 1, length + 1 + len(escape_token(key)))
                for key, item in value.items()
            )
        elif isinstance(value, list):
            stack.extend(
                (item, depth + 1, length + 1 + len(str(index))) for index, item in enumerate(value)
            )


def _parse_json(text: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise LoadError(f"duplicate key {key!r}")
            result[key] = value
        return result

    def integer(text: str) -> int:
        if len(text) > MAX_INT_CHARS:
            raise LoadError(f"integer longer than {MAX_INT_CHARS} characters")
        return int(text)

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise LoadError(f"number {text[:40]!r} is too large for JSON data")
        return value

    def constant(name: str) -> Any:
        raise LoadError(f"{name} is not a JSON number")

    try:
        with _no_garbage_collection():
            return json.loads(
                text,
                object_pairs_hook=no_duplicates,
                parse_int=integer,
                parse_float=number,
                parse_constant=constant,
            )
    except json.JSONDecodeError as exc:
        raise LoadError(f"malformed JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise LoadError(f"nesting deeper than {MAX_DEPTH} levels") from None


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks = []
    while limit > 0:
        chunk = os.read(descriptor, min(limit, 2**20))
        if not chunk:
            break
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


def read_text(path: Path) -> str:
    """Read a regular file as UTF-8 text (a BOM is allowed); raises LoadError.

    Devices, pipes and sockets are refused before anything is read (`/dev/zero`
    never ends, a pipe may never answer), and at most `MAX_FILE_BYTES` are read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise LoadError("file not found") from None
    except IsADirectoryError:
        raise LoadError("is a directory, not a file") from None
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise LoadError("is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise LoadError("is not a regular file (a device, pipe or socket?)")
        raw = _read_at_most(descriptor, MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(descriptor)
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LoadError("file is not UTF-8 text", line, 1) from None


def resolved(path: Path) -> Path | None:
    """`path` made absolute, `..` and symlinks resolved; None when it cannot name a file
    (it holds a NUL character, say)."""
    try:
        return path.resolve()
    except (ValueError, OSError):
        return None


def permitted(path: Path, allowed: tuple[Path, ...]) -> bool:
    """Whether `path` (resolved) is in one of the `allowed` folders; any path is when
    there are none."""
    return not allowed or any(path.is_relative_to(folder) for folder in allowed)


@dataclass
class Loader:
    """Loads each file once per run; shared by every stage that reads documents."""

    root: Path
    diagnostics: Diagnostics
    cache: dict[Path, Document | LoadError] = field(default_factory=dict)
    #: The text of every file read, by display path, for showing source lines.
    texts: dict[str, str] = field(default_factory=dict)
    #: The folders whose files may be read (after resolving symlinks and `..`); any
    #: other file is refused unopened (AG003). Empty: no limit.
    allowed: tuple[Path, ...] = ()

    def load(self, path: Path, via: Span | None = None) -> Document | None:
        """The document at `path`, or None after reporting why it cannot be read.

        `via` is where the document was referenced from (a source description's
        `url`); a missing or unreadable file is reported there, since that is the
        line a person has to fix.
        """
        key = resolved(path)
        if key is None:  # a NUL in the path, say: no file has that name
            self.diagnostics.error(
                "AG002",
                via if via is not None else Span(repr(str(path))[1:-1][-200:]),
                f"cannot load {str(path)[-200:]!r}: it is not a usable file path",
                "check the url; a path cannot hold a NUL character",
            )
            return None
        if not permitted(key, self.allowed):
            self._refuse(key, via)
            return None
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
            if found.message.startswith(("file not found", "is a directory", "is not a regular")):
                hint = "check the path"
            elif isinstance(found, _LimitError):
                hint = "arazzo-gen refuses documents this large or this deeply nested"
            else:
                hint = "fix the file so it is valid UTF-8 YAML or JSON"
            self.diagnostics.error(
                "AG001",
                Span(display, found.line, found.col),
                f"cannot load document: {found.message}",
                hint,
            )
        return None

    def _refuse(self, path: Path, via: Span | None) -> None:
        """AG003: a file outside the allowed folders, which is never opened."""
        shown = ", ".join(str(folder) for folder in self.allowed)
        self.diagnostics.error(
            "AG003",
            via if via is not None else Span(display_path(path, self.root)),
            f"refused to read {path}: documents may only reference files in {shown}",
            "move the file into one of those folders, or allow its folder with "
            "--allow-dir DIR (allow-dirs in [tool.arazzo-gen])",
        )

    def _read(self, path: Path) -> Document | LoadError:
        display = display_path(path, self.root)
        try:
            text = read_text(path)
            self.texts[display] = text
            data, marks = parse_text(text, path.suffix.lower() == ".json")
        except LoadError as exc:
            return exc
        return Document(path, display, data, marks)
