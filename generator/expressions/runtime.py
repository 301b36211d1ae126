"""Runtime expressions (the spec's ABNF) and ``{$...}`` templates."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import TypeVar

from generator.expressions.nodes import (
    ComponentRef,
    ExpressionError,
    InputRef,
    Method,
    OutputRef,
    Pointer,
    RequestRef,
    RequestSource,
    ResponseRef,
    ResponseSource,
    RuntimeExpr,
    SourceRef,
    StatusCode,
    StepRef,
    Template,
    Url,
    WorkflowRef,
)

_TCHARS = frozenset("!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters)


class _Cursor:
    """A position in ``text[:end]``; every offset it reports is absolute."""

    __slots__ = ("end", "pos", "text")

    def __init__(self, text: str, pos: int, end: int) -> None:
        self.text, self.pos, self.end = text, pos, end

    def at_end(self) -> bool:
        return self.pos >= self.end

    def peek(self) -> str:
        return "" if self.at_end() else self.text[self.pos]

    def eat(self, keyword: str) -> bool:
        """Consume ``keyword`` (ASCII, matched case-insensitively) if it is next."""
        stop = self.pos + len(keyword)
        if stop > self.end or self.text[self.pos : stop].lower() != keyword.lower():
            return False
        self.pos = stop
        return True

    def take_until(self, stops: str) -> tuple[str, int]:
        start = self.pos
        while not self.at_end() and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start : self.pos], start


def _is_name_char(ch: str) -> bool:
    return "\x01" <= ch <= "\x7f"


def _segment(
    cur: _Cursor, what: str, stops: str = "", ok: Callable[[str], bool] = _is_name_char
) -> str:
    value, start = cur.take_until(stops)
    if not value:
        raise ExpressionError(f"empty {what}", start)
    for i, ch in enumerate(value):
        if not ok(ch):
            raise ExpressionError(f"invalid character {ch!r} in {what}", start + i)
    return value


def _expect_dot(cur: _Cursor, after: str) -> None:
    if not cur.eat("."):
        raise ExpressionError(f"expected '.' after {after}", cur.pos)


def _pointer(cur: _Cursor) -> Pointer:
    cur.pos += 1  # the '#'
    if not cur.at_end() and cur.peek() != "/":
        raise ExpressionError("a JSON pointer must be empty or start with '/'", cur.pos)
    tokens: list[str] = []
    while cur.eat("/"):
        chars: list[str] = []
        while not cur.at_end() and cur.peek() != "/":
            chars.append(_pointer_char(cur))
        tokens.append("".join(chars))
    return tuple(tokens)


def _pointer_char(cur: _Cursor) -> str:
    ch = cur.peek()
    if ch != "~":
        cur.pos += 1
        return ch
    code = cur.text[cur.pos + 1] if cur.pos + 1 < cur.end else ""
    if code not in ("0", "1"):
        raise ExpressionError(
            f"invalid JSON pointer escape '~{code}'; use '~0' for '~', '~1' for '/'",
            cur.pos,
        )
    cur.pos += 2
    return "~" if code == "0" else "/"


def _pointer_suffix(cur: _Cursor) -> Pointer | None:
    return None if cur.at_end() else _pointer(cur)


_S = TypeVar("_S", bound=str)


def _message(cur: _Cursor, root: str, sources: tuple[_S, ...]) -> tuple[_S, str]:
    start = cur.pos
    for source in sources:
        if source == "body" and cur.eat("body"):
            return source, ""
        if source != "body" and cur.eat(source + "."):
            if source == "header":
                return source, _segment(cur, "header name", ok=_TCHARS.__contains__)
            return source, _segment(cur, f"{source} parameter name")
    names = [s if s == "body" else s + "." for s in sources]
    listing = ", ".join(names[:-1]) + " or " + names[-1]
    raise ExpressionError(f"'{root}.' must be followed by {listing}", start)


def _body_pointer(cur: _Cursor, root: str) -> Pointer | None:
    if cur.at_end() or cur.peek() == "#":
        return _pointer_suffix(cur)
    raise ExpressionError(
        f"unexpected {cur.peek()!r} after '{root}.body'; "
        "expected '#' or the end of the expression",
        cur.pos,
    )


def _request(cur: _Cursor) -> RequestRef:
    sources: tuple[RequestSource, ...] = ("header", "query", "path", "body")
    source, name = _message(cur, "$request", sources)
    pointer = _body_pointer(cur, "$request") if source == "body" else None
    return RequestRef(source, name, pointer)


def _response(cur: _Cursor) -> ResponseRef:
    sources: tuple[ResponseSource, ...] = ("header", "body")
    source, name = _message(cur, "$response", sources)
    pointer = _body_pointer(cur, "$response") if source == "body" else None
    return ResponseRef(source, name, pointer)


def _nested(cur: _Cursor, what: str) -> tuple[str, str, str, Pointer | None]:
    owner = _segment(cur, what, ".")
    _expect_dot(cur, f"{what} '{owner}'")
    field = _segment(cur, "field name", ".#")
    _expect_dot(cur, f"'{field}'")
    name = _segment(cur, f"{field} name", "#")
    return owner, field, name, _pointer_suffix(cur)


def _source(cur: _Cursor) -> SourceRef:
    name = _segment(cur, "source description name", ".")
    rest = _segment(cur, "reference after the source name") if cur.eat(".") else ""
    return SourceRef(name, rest)


def _component(cur: _Cursor) -> ComponentRef:
    kind = _segment(cur, "component type", ".")
    _expect_dot(cur, f"component type '{kind}'")
    return ComponentRef(kind, _segment(cur, "component name"))


_BARE: dict[str, RuntimeExpr] = {
    "url": Url(),
    "method": Method(),
    "statusCode": StatusCode(),
}
_DOTTED: dict[str, Callable[[_Cursor], RuntimeExpr]] = {
    "request": _request,
    "response": _response,
    "inputs": lambda c: InputRef(_segment(c, "input name", "#"), _pointer_suffix(c)),
    "outputs": lambda c: OutputRef(_segment(c, "output name", "#"), _pointer_suffix(c)),
    "steps": lambda c: StepRef(*_nested(c, "step id")),
    "workflows": lambda c: WorkflowRef(*_nested(c, "workflow id")),
    "sourceDescriptions": _source,
    "components": _component,
}
_ROOT_NAMES = {name.lower(): name for name in [*_BARE, *_DOTTED]}
_ROOT_LISTING = ", ".join([*(f"${n}" for n in _BARE), *(f"${n}." for n in _DOTTED)])


#: Roots some tools invent, and what Arazzo has instead.
_FOREIGN_ROOTS = {
    "faker": "Redocly's test-data generator, not Arazzo; pass the value as a workflow input",
    "dependencies": "not Arazzo; a dependency's output is $workflows.<workflowId>.outputs.<name>",
}


def _unknown_root(text: str, word: str, after: int) -> str:
    message = f"unknown expression root '${word}'; expected one of {_ROOT_LISTING}"
    if not word and text.startswith(("[", "."), after):
        message += " (a JSONPath query needs 'type: jsonpath' and a 'context')"
    elif word in _FOREIGN_ROOTS:
        message += f" (${word} is {_FOREIGN_ROOTS[word]})"
    return message


def parse_span(text: str, start: int, end: int) -> RuntimeExpr:
    """Parse ``text[start:end]`` as exactly one runtime expression."""
    cur = _Cursor(text, start, end)
    if cur.at_end():
        raise ExpressionError("empty runtime expression", start)
    if not cur.eat("$"):
        raise ExpressionError("a runtime expression must start with '$'", start)
    word_start = cur.pos
    while cur.peek().isascii() and cur.peek().isalpha():
        cur.pos += 1
    word = text[word_start : cur.pos]
    root = _ROOT_NAMES.get(word.lower())
    if root is None:
        raise ExpressionError(_unknown_root(text, word, cur.pos), word_start)
    if root in _BARE:
        if not cur.at_end():
            raise ExpressionError(f"unexpected {cur.peek()!r} after '${root}'", cur.pos)
        return _BARE[root]
    _expect_dot(cur, f"'${root}'")
    return _DOTTED[root](cur)  # each of these reads to the end of the span


def parse_expression(text: str) -> RuntimeExpr:
    """Parse ``text``, which must be exactly one runtime expression."""
    return parse_span(text, 0, len(text))


def parse_template(text: str) -> Template:
    """Parse a string with zero or more embedded ``{$...}`` expressions."""
    parts: list[str | RuntimeExpr] = []
    pos = 0
    while (start := text.find("{$", pos)) != -1:
        end = text.find("}", start)
        if end == -1:
            raise ExpressionError("embedded expression '{$' has no closing '}'", start)
        if start > pos:
            parts.append(text[pos:start])
        parts.append(parse_span(text, start + 1, end))
        pos = end + 1
    if pos < len(text):
        parts.append(text[pos:])
    return Template(tuple(parts))


def parse_value(text: str) -> RuntimeExpr | Template | str:
    """Read a string value of a document: an expression, a template or text."""
    if text.startswith("$"):
        return parse_expression(text)
    if "{$" in text:
        return parse_template(text)
    return text
