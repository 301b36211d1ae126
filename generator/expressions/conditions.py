"""The condition language of a "simple" Criterion Object."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Literal, cast

from generator.expressions.nodes import (
    And,
    Compare,
    CompareOp,
    Cond,
    ExpressionError,
    Index,
    Lit,
    Not,
    Or,
    Prop,
)
from generator.expressions.runtime import parse_span as _parse_span

_DIGITS = string.digits
_WORD_CHARS = frozenset(string.digits + string.ascii_letters + "_")
_PROP_CHARS = _WORD_CHARS | {"-"}
_KEYWORDS: dict[str, bool | None] = {"true": True, "false": False, "null": None}
_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "<", ">", "!")
_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_EXPR_STOPS = frozenset("()[],=<>")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["value", "op", "prop", "(", ")", "[", "]", "end"]
    text: str
    offset: int
    node: Cond | None = None

    def describe(self) -> str:
        return "the end of the condition" if self.kind == "end" else f"'{self.text}'"


def _run(text: str, pos: int, chars: frozenset[str] | str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _expr_end(text: str, pos: int) -> int:
    while pos < len(text) and not (
        text[pos].isspace() or text[pos] in _EXPR_STOPS or text.startswith(("!=", "&&", "||"), pos)
    ):
        pos += 1
    return pos


def _lex_expression(text: str, pos: int) -> _Token:
    end = _expr_end(text, pos)
    return _Token("value", text[pos:end], pos, _parse_span(text, pos, end))


def _lex_string(text: str, pos: int) -> _Token:
    chunks: list[str] = []
    start = pos + 1
    while (quote := text.find("'", start)) != -1:
        chunks.append(text[start:quote])
        if not text.startswith("''", quote):
            return _Token("value", text[pos : quote + 1], pos, Lit("".join(chunks)))
        chunks.append("'")
        start = quote + 2
    raise ExpressionError("unterminated string literal", pos)


def _lex_number(text: str, pos: int) -> _Token:
    int_start = pos + 1 if text[pos] == "-" else pos
    end = _run(text, int_start, _DIGITS)
    if end == int_start:
        raise ExpressionError("expected a digit after '-'", end)
    if text[int_start] == "0" and end - int_start > 1:
        raise ExpressionError("numbers must not have leading zeros", int_start)
    int_end = end
    if text.startswith(".", end):
        end = _run(text, end + 1, _DIGITS)
        if end == int_end + 1:
            raise ExpressionError("expected a digit after the decimal point", end)
    if end < len(text) and text[end] in "eE":
        exp_start = end + 2 if text.startswith(("+", "-"), end + 1) else end + 1
        end = _run(text, exp_start, _DIGITS)
        if end == exp_start:
            raise ExpressionError("expected a digit in the exponent", end)
    raw = text[pos:end]
    value = int(raw) if end == int_end else float(raw)
    if value in (float("inf"), float("-inf")):
        raise ExpressionError("number is too large", pos)
    return _Token("value", raw, pos, Lit(value))


def _lex_word(text: str, pos: int) -> _Token:
    word = text[pos : _run(text, pos, _WORD_CHARS)]
    if word not in _KEYWORDS:
        raise ExpressionError(
            f"unknown word '{word}'; expected true, false, null, a number, "
            "a 'quoted' string or a runtime expression",
            pos,
        )
    return _Token("value", word, pos, Lit(_KEYWORDS[word]))


def _lex_property(text: str, pos: int) -> _Token:
    end = _run(text, pos + 1, _PROP_CHARS)
    if end == pos + 1:
        raise ExpressionError("expected a property name after '.'", end)
    return _Token("prop", text[pos:end], pos)


def _lex_symbol(text: str, pos: int) -> _Token:
    ch = text[pos]
    if ch in "()[]":
        return _Token(cast("Literal['(', ')', '[', ']']", ch), ch, pos)
    for op in _OPERATORS:
        if text.startswith(op, pos):
            return _Token("op", op, pos)
    if ch in "=&|":
        raise ExpressionError(f"'{ch}' is not an operator; did you mean '{ch * 2}'?", pos)
    if ch == '"':
        raise ExpressionError("string literals must use single quotes", pos)
    raise ExpressionError(f"unexpected character {ch!r}", pos)


def _lex_one(text: str, pos: int) -> _Token:
    ch = text[pos]
    if ch == "$":
        return _lex_expression(text, pos)
    if ch == "'":
        return _lex_string(text, pos)
    if ch == "-" or ch in _DIGITS:
        return _lex_number(text, pos)
    if ch == ".":
        return _lex_property(text, pos)
    if ch.isascii() and ch.isalpha():
        return _lex_word(text, pos)
    return _lex_symbol(text, pos)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            tokens.append(_Token("end", "", pos))
            return tokens
        tokens.append(_lex_one(text, pos))
        pos += len(tokens[-1].text)


class _CondParser:
    """``or := and ('||' and)*``, ``and := cmp ('&&' cmp)*``,
    ``cmp := unary [CMP unary]``, ``unary := '!' unary | postfix``,
    ``postfix := primary ('[' INT ']' | '.' NAME)*``,
    ``primary := literal | expression | '(' or ')'``."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def next(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at_op(self, *ops: str) -> bool:
        return self.peek().kind == "op" and self.peek().text in ops

    def parse(self) -> Cond:
        if self.peek().kind == "end":
            raise ExpressionError("empty condition", self.peek().offset)
        node = self.parse_or()
        if (token := self.peek()).kind != "end":
            raise ExpressionError(
                f"unexpected {token.describe()}; "
                "expected an operator or the end of the condition",
                token.offset,
            )
        return node

    def parse_or(self) -> Cond:
        node = self.parse_and()
        while self.at_op("||"):
            self.next()
            node = Or(node, self.parse_and())
        return node

    def parse_and(self) -> Cond:
        node = self.parse_comparison()
        while self.at_op("&&"):
            self.next()
            node = And(node, self.parse_comparison())
        return node

    def parse_comparison(self) -> Cond:
        left = self.parse_unary()
        if not self.at_op(*_COMPARISONS):
            return left
        op = cast("CompareOp", self.next().text)
        right = self.parse_unary()
        if self.at_op(*_COMPARISONS):
            raise ExpressionError(
                "comparisons cannot be chained; use parentheses and '&&'",
                self.peek().offset,
            )
        return Compare(op, left, right)

    def parse_unary(self) -> Cond:
        if self.at_op("!"):
            self.next()
            return Not(self.parse_unary())
        return self.parse_postfix()

    def parse_postfix(self) -> Cond:
        grouped = self.peek().kind == "("
        node = self.parse_primary()
        if isinstance(node, Lit) and not grouped:
            return node
        while (token := self.peek()).kind in ("[", "prop"):
            if token.kind == "[":
                node = Index(node, self.parse_index())
            elif grouped:
                node = Prop(node, self.next().text[1:])
            else:
                raise ExpressionError(f"'{token.text}' may only follow ']' or ')'", token.offset)
            grouped = True
        return node

    def parse_index(self) -> int:
        self.next()  # '['
        token = self.next()
        value = token.node.value if isinstance(token.node, Lit) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ExpressionError("an index must be a non-negative integer", token.offset)
        if (close := self.next()).kind != "]":
            raise ExpressionError(f"expected ']', found {close.describe()}", close.offset)
        return value

    def parse_primary(self) -> Cond:
        token = self.next()
        if token.kind == "value" and token.node is not None:
            return token.node
        if token.kind != "(":
            raise ExpressionError(
                "expected a literal, a runtime expression, '!' or '(', "
                f"found {token.describe()}",
                token.offset,
            )
        node = self.parse_or()
        if (close := self.next()).kind != ")":
            raise ExpressionError(
                f"expected ')' to close the '(' at offset {token.offset}, "
                f"found {close.describe()}",
                close.offset,
            )
        return node


def parse_condition(text: str) -> Cond:
    """Parse a simple Criterion Object condition."""
    try:
        return _CondParser(_tokenize(text)).parse()
    except RecursionError:
        raise ExpressionError("the condition is nested too deeply", 0) from None
