"""Build: request payload trees at generation time.

* `parse_json_template` reads a JSON payload written as text (the spec's "JSON
  Templated Example") into an IR value tree. An embedded `{$...}` expression in a
  value position becomes that expression's value; inside a JSON string it is
  string interpolation (an `ir` `Template`).
* `parse_pointer` reads a Payload Replacement target (RFC 6901 JSON Pointer) and
  `replace` applies one replacement to a literal tree, so the generated code just
  builds the final structure. Where the pointer runs through a value only known
  at run time, `replace` returns None and the replacement is left for run time.
"""

from __future__ import annotations

import json
import math
import re

from generator import ir
from generator.expressions import ExpressionError, RuntimeExpr, Template, parse_expression


class PayloadError(Exception):
    """A payload or pointer that cannot be compiled; `offset` is into the text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class UnsupportedPayload(PayloadError):
    """Valid input arazzo-gen does not compile yet."""


_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WORDS = {"true": True, "false": False, "null": None}
_WHITESPACE = " \t\n\r"


def parse_json_template(text: str) -> ir.Value:
    """The value tree of JSON text with embedded `{$...}` expressions."""
    parser = _JsonTemplate(text)
    parser.skip()
    value = parser.value(0)
    parser.skip()
    if parser.pos != len(text):
        raise PayloadError("unexpected text after the JSON value", parser.pos)
    return value


class _JsonTemplate:
    """Recursive descent over RFC 8259 JSON, plus `{$...}` holes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self, depth: int) -> ir.Value:
        if depth > 64:
            raise PayloadError("the JSON text is nested too deeply", self.pos)
        char = self.peek()
        if self.text.startswith("{$", self.pos):
            return self.hole()
        if char == "{":
            return self.object(depth)
        if char == "[":
            return self.array(depth)
        if char == '"':
            return self.string()
        for word, constant in _WORDS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return ir.Const(constant)
        match = _NUMBER.match(self.text, self.pos)
        if match and match.end() > self.pos:
            self.pos = match.end()
            number = match.group()
            if not any(c in number for c in ".eE"):
                return ir.Const(int(number))
            parsed = float(number)
            if not math.isfinite(parsed):
                raise PayloadError(f"the number {number} is too large", match.start())
            return ir.Const(parsed)
        found = repr(char) if char else "the end of the text"
        raise PayloadError(f"expected a JSON value, found {found}", self.pos)

    def hole(self) -> RuntimeExpr:
        start = self.pos
        end = self.text.find("}", start)
        if end == -1:
            raise PayloadError("embedded expression '{$' has no closing '}'", start)
        try:
            expr = parse_expression(self.text[start + 1 : end])
        except ExpressionError as exc:
            message = f"invalid runtime expression: {exc.message}"
            raise PayloadError(message, start + 1 + exc.offset) from None
        self.pos = end + 1
        return expr

    def object(self, depth: int) -> ir.ObjectValue:
        self.pos += 1
        members: dict[str, ir.Value] = {}
        self.skip()
        if self.peek() == "}":
            self.pos += 1
            return ir.ObjectValue(())
        while True:
            self.skip()
            if self.peek() != '"':
                raise PayloadError("expected a member name in double quotes", self.pos)
            start = self.pos
            key = self.string()
            if not isinstance(key, ir.Const):
                raise UnsupportedPayload("an embedded expression in a member name", start)
            self.skip()
            if self.peek() != ":":
                raise PayloadError("expected ':' after the member name", self.pos)
            self.pos += 1
            self.skip()
            members.pop(key.value, None)  # a repeated name: the last one wins, as in JSON.parse
            members[key.value] = self.value(depth + 1)
            self.skip()
            if self.peek() == ",":
                self.pos += 1
                continue
            if self.peek() == "}":
                self.pos += 1
                return ir.ObjectValue(tuple(members.items()))
            raise PayloadError("expected ',' or '}' in the object", self.pos)

    def array(self, depth: int) -> ir.ArrayValue:
        self.pos += 1
        items: list[ir.Value] = []
        self.skip()
        if self.peek() == "]":
            self.pos += 1
            return ir.ArrayValue(())
        while True:
            self.skip()
            items.append(self.value(depth + 1))
            self.skip()
            if self.peek() == ",":
                self.pos += 1
                continue
            if self.peek() == "]":
                self.pos += 1
                return ir.ArrayValue(tuple(items))
            raise PayloadError("expected ',' or ']' in the array", self.pos)

    def string(self) -> ir.Const | Template:
        """A JSON string; `{$...}` inside it interpolates the expression's text."""
        start = self.pos
        self.pos += 1
        parts: list[str | RuntimeExpr] = []
        chunk = self.pos
        while True:
            if self.pos >= len(self.text):
                raise PayloadError("unterminated string", start)
            char = self.text[self.pos]
            if char == '"':
                self._literal(parts, chunk, self.pos)
                self.pos += 1
                break
            if char == "\\":
                self.pos += 2
            elif self.text.startswith("{$", self.pos):
                self._literal(parts, chunk, self.pos)
                parts.append(self.hole())
                chunk = self.pos
            elif char < " ":
                raise PayloadError("a control character must be escaped in a JSON string", self.pos)
            else:
                self.pos += 1
        if all(isinstance(part, str) for part in parts):
            return ir.Const("".join(part for part in parts if isinstance(part, str)))
        return Template(tuple(parts))

    def _literal(self, parts: list[str | RuntimeExpr], start: int, end: int) -> None:
        if end == start:
            return
        try:
            decoded = json.loads('"' + self.text[start:end] + '"')
        except ValueError:
            raise PayloadError("invalid escape in a JSON string", start) from None
        if parts and isinstance(parts[-1], str):
            parts[-1] += decoded
        else:
            parts.append(decoded)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# -- replacements ------------------------------------------------------------------


def parse_pointer(target: str) -> tuple[str, ...]:
    """The tokens of an RFC 6901 JSON Pointer (`""` is the whole payload)."""
    if target == "":
        return ()
    if not target.startswith("/"):
        hint = " (write it without '#')" if target.startswith("#") else ""
        raise PayloadError(f"a JSON Pointer is empty or starts with '/'{hint}")
    tokens = []
    for token in target[1:].split("/"):
        if re.search(r"~(?![01])", token):
            raise PayloadError(f"'~' must be followed by 0 or 1 in {token!r}")
        tokens.append(token.replace("~1", "/").replace("~0", "~"))
    return tuple(tokens)


def pointer_text(tokens: tuple[str, ...]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def replace(tree: ir.Value, tokens: tuple[str, ...], value: ir.Value) -> ir.Value | None:
    """`tree` with `value` set at `tokens`, or None when that needs run-time values.

    An object member is replaced or added; an array item is replaced, and `-`
    appends. Raises PayloadError where the literal tree has no such location.
    """
    if not tokens:
        return value
    token, rest = tokens[0], tokens[1:]
    if isinstance(tree, ir.ObjectValue):
        members = dict(tree.members)
        if token not in members:
            if rest:
                raise PayloadError(f"the payload has no member {token!r}")
            return ir.ObjectValue((*tree.members, (token, value)))
        replaced = replace(members[token], rest, value)
        if replaced is None:
            return None
        return ir.ObjectValue(tuple((k, replaced if k == token else v) for k, v in tree.members))
    if isinstance(tree, ir.ArrayValue):
        items = list(tree.items)
        if token == "-" and not rest:
            return ir.ArrayValue((*items, value))
        index = _array_index(token, len(items))
        replaced = replace(items[index], rest, value)
        if replaced is None:
            return None
        items[index] = replaced
        return ir.ArrayValue(tuple(items))
    if isinstance(tree, ir.Const):
        raise PayloadError(f"the payload has {_kind(tree.value)} where {token!r} should be")
    if isinstance(tree, Template):
        raise PayloadError(f"the payload has a string where {token!r} should be")
    return None  # an expression: only known at run time


def _array_index(token: str, length: int) -> int:
    if token == "-":
        raise PayloadError("'-' (after the last item) can only be the last token")
    if not re.fullmatch(r"0|[1-9][0-9]*", token):
        raise PayloadError(f"{token!r} is not an array index")
    if int(token) >= length:
        raise PayloadError(f"index {token} is past the end of an array of {length} items")
    return int(token)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a string" if isinstance(value, str) else "a number"
