"""Build: the line and column of one character inside a YAML or JSON string.

A document's marks say where each scalar starts. To point a diagnostic at the
character a parser complained about (offset N into the string's value), the
source text is walked from that mark, undoing the quoting on the way: `''` in
single-quoted scalars, escapes in double-quoted ones (and JSON strings), the
indentation of `|` block scalars. Where the walk cannot follow the value (folded
or multi-line flow scalars, a file that changed since it was read), the answer
is the start of the scalar: never a wrong column.
"""

from __future__ import annotations

from generator.diagnostics import Span
from generator.load import Document

#: Source length of YAML's fixed-length escapes in double-quoted scalars (all others are 2).
_ESCAPE_LENGTHS = {"x": 4, "u": 6, "U": 10}


def scalar_span(
    doc: Document | None, pointer: str, value: str, offset: int, fallback: Span
) -> Span:
    """The span of `value[offset]` (offset may be `len(value)`: just after the end)
    for the string scalar at `pointer`; `fallback` when the scalar has no mark."""
    if doc is None or pointer not in doc.marks:
        return fallback
    line, col = doc.marks[pointer]
    start = Span(doc.display, line, col, pointer)
    lines = _source_lines(doc)
    if lines is None or not 0 < line <= len(lines):
        return start
    found = _walk(lines, line, col, value, max(0, min(offset, len(value))))
    return Span(doc.display, *found, pointer) if found else start


def _source_lines(doc: Document) -> list[str] | None:
    try:
        return doc.path.read_text(encoding="utf-8-sig").split("\n")
    except (OSError, UnicodeError):
        return None


def _walk(lines: list[str], line: int, col: int, value: str, offset: int) -> tuple[int, int] | None:
    """1-based (line, col) of `value[offset]` in a scalar starting at (line, col)."""
    text = lines[line - 1].rstrip("\r")
    index = col - 1
    if index >= len(text):
        return None
    first = text[index]
    if first == "|":
        return _literal_block(lines, line, text[index + 1 :], value, offset)
    if first == ">":
        return None
    quote = first if first in "'\"" else ""
    index += 1 if quote else 0
    produced = 0
    while produced < offset:
        if index >= len(text):
            return None  # the scalar continues on the next line
        char, width = _source_char(text, index, quote)
        if char is not None and char != value[produced]:
            return None
        produced += 1
        index += width
    return line, index + 1


def _source_char(text: str, index: int, quote: str) -> tuple[str | None, int]:
    """The value character at `text[index]` and how many source characters it takes;
    None when it is an escape whose meaning is not worth decoding (it is not compared)."""
    char = text[index]
    if quote == "'" and text.startswith("''", index):
        return "'", 2
    if quote == '"' and char == "\\":
        return None, _ESCAPE_LENGTHS.get(text[index + 1 : index + 2], 2)
    return char, 1


def _literal_block(
    lines: list[str], line: int, header: str, value: str, offset: int
) -> tuple[int, int] | None:
    """A `|` block scalar: value line k is source line `line + 1 + k`, after the indentation."""
    indicators = header.split("#", 1)[0].strip()
    if any(ch.isdigit() for ch in indicators):
        return None  # an explicit indentation indicator: not worth following
    content = [text.rstrip("\r") for text in lines[line:]]
    first = next((text for text in content if text.strip()), None)
    if first is None:
        return None
    indent = len(first) - len(first.lstrip(" "))
    before = value[:offset]
    row = before.count("\n")
    column = offset - (before.rfind("\n") + 1)
    if row >= len(content):
        return None
    source = content[row]
    expected = value.split("\n")[row][:column]
    if source[indent : indent + column] != expected:
        return None
    return line + 1 + row, indent + column + 1
