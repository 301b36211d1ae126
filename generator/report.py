"""Report: print diagnostics as text (with the source line and a caret), JSON or
GitHub Actions workflow commands.

Source lines come from documents people do not control, so they are made safe
for a terminal before printing: control characters (which could carry terminal
escape sequences) are shown as escapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from generator.diagnostics import Diagnostic

FORMATS = ("text", "json", "github")


def render(diagnostics: Iterable[Diagnostic], fmt: str, texts: Mapping[str, str]) -> str:
    """All diagnostics in one format; empty when there are none."""
    items = list(diagnostics)
    if fmt == "json":
        return json.dumps([as_dict(d) for d in items], indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return "".join(github_command(d) + "\n" for d in items)
    lines = _Lines(texts)
    return "".join(text_block(d, lines) + "\n" for d in items)


def as_dict(diagnostic: Diagnostic) -> dict[str, object]:
    span = diagnostic.span
    return {
        "code": diagnostic.code,
        "level": str(diagnostic.level),
        "file": span.file,
        "line": span.line,
        "column": span.col,
        "pointer": span.pointer,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }


class _Lines(dict[str, list[str]]):
    """Each document's lines, split once however many diagnostics point into it."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        super().__init__()
        self.texts = texts

    def __missing__(self, file: str) -> list[str]:
        self[file] = self.texts[file].split("\n") if file in self.texts else []
        return self[file]


def text_block(diagnostic: Diagnostic, texts: Mapping[str, str] | _Lines) -> str:
    """`file:line:col: level[code]: message`, the source line with a caret, pointer, hint."""
    span = diagnostic.span
    lines = [f"{span}: {diagnostic.level}[{diagnostic.code}]: {safe(diagnostic.message)}"]
    documents = texts if isinstance(texts, _Lines) else _Lines(texts)
    source = _source_line(documents[span.file], span.line)
    if source is not None:
        number = str(span.line)
        gutter = " " * len(number)
        shown = safe(source)
        caret_at = len(safe(source[: max(span.col - 1, 0)]))
        lines += [f"  {number} | {shown}", f"  {gutter} | {' ' * caret_at}^"]
    if span.pointer:
        lines.append(f"  at {safe(span.pointer)}")
    if diagnostic.hint:
        lines.append(f"  hint: {safe(diagnostic.hint)}")
    return "\n".join(lines)


def _source_line(lines: list[str], line: int) -> str | None:
    if not 1 <= line <= len(lines):
        return None
    return lines[line - 1].rstrip("\r")


def safe(text: str) -> str:
    """Text with every non-printable character escaped, so it cannot drive a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_command(diagnostic: Diagnostic) -> str:
    """A GitHub Actions `::error`/`::warning` workflow command that annotates the line."""
    span = diagnostic.span
    properties = [f"file={safe(_escape_property(span.file))}"]
    if span.line:
        properties += [f"line={span.line}", f"col={span.col}"]
    properties.append(f"title={_escape_property('arazzo-gen ' + diagnostic.code)}")
    message = diagnostic.message + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")
    return f"::{diagnostic.level} {','.join(properties)}::{safe(_escape_data(message))}"


def summary(errors: int, warnings: int) -> str:
    return f"{errors} error(s), {warnings} warning(s)"
