"""Typed, checked access to loaded document data.

`Reader` walks a JSON-like value by pointer and checks the type of every field it
reads. A field of the wrong type is reported once, at its own line and column, and
read as missing, so the model builders can continue and report further problems.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from generator.diagnostics import Diagnostics, Span
from generator.load import Document, join_pointer

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def json_type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Reader:
    """A position inside a document: its pointer and value, plus where to report."""

    doc: Document
    pointer: str
    value: Any
    diagnostics: Diagnostics

    @property
    def span(self) -> Span:
        return self.doc.span(self.pointer)

    def child(self, key: str | int) -> Reader:
        value = self._get(key)
        return Reader(self.doc, join_pointer(self.pointer, key), value, self.diagnostics)

    def _get(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self.value[key] if isinstance(self.value, list) else None
        return self.value.get(key) if isinstance(self.value, dict) else None

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def error(self, code: str, message: str, hint: str = "") -> None:
        self.diagnostics.error(code, self.span, message, hint)

    def warning(self, code: str, message: str, hint: str = "") -> None:
        self.diagnostics.warning(code, self.span, message, hint)

    # -- typed fields --------------------------------------------------------------

    def is_object(self, what: str) -> bool:
        if isinstance(self.value, dict):
            return True
        self.error("AG100", f"{what} must be an object, not {json_type_name(self.value)}")
        return False

    def string(self, key: str, *, required: bool = False) -> str | None:
        return cast("str | None", self._typed(key, str, "a string", required))

    def number(self, key: str) -> float | None:
        value = self._typed(key, (int, float), "a number", False)
        return None if isinstance(value, bool) else value

    def integer(self, key: str) -> int | None:
        return cast("int | None", self._typed(key, int, "an integer", False))

    def enum(self, key: str, allowed: Iterable[str], *, required: bool = False) -> str | None:
        value = self.string(key, required=required)
        options = tuple(allowed)
        if value is not None and value not in options:
            self.child(key).error(
                "AG103",
                f"'{key}' must be one of {', '.join(options)}, not {value!r}",
            )
            return None
        return value

    def items(self, key: str) -> Iterator[Reader]:
        """The elements of an optional array field."""
        if not self.has(key):
            return iter(())
        node = self.child(key)
        if not isinstance(node.value, list):
            node.error("AG101", f"'{key}' must be an array, not {json_type_name(node.value)}")
            return iter(())
        return (node.child(i) for i in range(len(node.value)))

    def entries(self, key: str) -> Iterator[tuple[str, Reader]]:
        """The members of an optional object field."""
        if not self.has(key):
            return iter(())
        node = self.child(key)
        if not isinstance(node.value, dict):
            node.error("AG101", f"'{key}' must be an object, not {json_type_name(node.value)}")
            return iter(())
        return ((name, node.child(name)) for name in node.value)

    def _typed(self, key: str, kind: Any, label: str, required: bool) -> Any:
        if not self.has(key):
            if required:
                self.error("AG102", f"missing required field '{key}'")
            return None
        value = self.value[key]
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        self.child(key).error("AG101", f"'{key}' must be {label}, not {json_type_name(value)}")
        return None

    def check_fields(self, what: str, known: Iterable[str]) -> None:
        """Warn about fields the specification does not define (ignored otherwise)."""
        if not isinstance(self.value, dict):
            return
        allowed = set(known)
        for key in self.value:
            if key not in allowed and not key.startswith("x-"):
                self.child(key).warning(
                    "AG104",
                    f"unknown field '{key}' in {what} is ignored",
                    "remove it, or prefix it with 'x-' to mark it as an extension",
                )
