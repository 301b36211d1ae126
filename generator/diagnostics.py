"""Diagnostics: what the compiler tells people about their documents.

Every stage reports problems as `Diagnostic` values into a shared `Diagnostics`
collection instead of raising. The command line prints them sorted, once, at the
end, so errors in one workflow never hide errors in another.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class Level(enum.IntEnum):
    """How bad a diagnostic is; errors stop a module from being written."""

    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Span:
    """Where a diagnostic points: a file, a 1-based line and column, a JSON pointer."""

    file: str
    line: int = 0
    col: int = 0
    pointer: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.col}"
        return where


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in an input document."""

    level: Level
    code: str
    span: Span
    message: str
    hint: str = ""

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)

    def render(self) -> str:
        """The one-paragraph text form: `file:line:col: level[code]: message`."""
        text = f"{self.span}: {self.level}[{self.code}]: {self.message}"
        if self.span.pointer:
            text += f"\n  at {self.span.pointer}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass
class Diagnostics:
    """An ordered collection of diagnostics shared by every stage of one run."""

    items: list[Diagnostic] = field(default_factory=list)
    _seen: set[Diagnostic] = field(default_factory=set, repr=False, compare=False)

    def error(self, code: str, span: Span, message: str, hint: str = "") -> None:
        self._add(Diagnostic(Level.ERROR, code, span, message, hint))

    def warning(self, code: str, span: Span, message: str, hint: str = "") -> None:
        self._add(Diagnostic(Level.WARNING, code, span, message, hint))

    def _add(self, diagnostic: Diagnostic) -> None:
        """Keep one of each: two stages (or the OpenAPI validator, through a `$ref` and
        in its schema pass) may find the same problem, which is said and counted once."""
        if diagnostic not in self._seen:
            self._seen.add(diagnostic)
            self.items.append(diagnostic)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def error_count(self) -> int:
        return sum(1 for d in self.items if d.level is Level.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for d in self.items if d.level is Level.WARNING)

    def sorted(self) -> list[Diagnostic]:
        """Unique diagnostics in a stable order: by file, line, column, code."""
        return sorted(set(self.items), key=Diagnostic.sort_key)


def display_path(path: Path, root: Path) -> str:
    """A path as shown to people and in generated headers: relative, `/`-separated.

    Paths are shown relative to the parent of the root the user named, so running
    `arazzo-gen specs/` from any directory names `specs/...` files the same way.
    """
    try:
        return path.resolve().relative_to(root.resolve().parent).as_posix()
    except ValueError:
        return path.name
