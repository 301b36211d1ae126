"""Build: compile Criterion Objects, checking every condition at generation time.

* simple: the condition grammar of `generator.expressions`; `emit.pyexpr`
  compiles the tree to Python.
* regex: a Python `re` pattern, compiled here so a bad pattern is an error at
  its own line and column. The module searches the context's value for it.
* jsonpath: an RFC 9535 query. A singular query (`$.a.b[0]`, `$['a']`) is read
  here and compiles to a plain lookup; any other query (filters, wildcards,
  descendants, slices, functions) is checked with the jsonpath-rfc9535 library,
  which the generated module then imports too. Real documents often write a
  comparison outside any filter (`$.Contact.Id != null`), which is not a valid
  query: where such a text has one meaning, a comparison of the value at that
  path, it is compiled as that comparison with warning AG410. `$.items.length >= 2`
  is compiled (AG410 too) only where the step's OpenAPI response types `items` as an
  array, as the RFC 9535 query `$.items[?length($.items) >= 2]`, and only where that
  query is exact; elsewhere `.length` is ambiguous (AG413).
  `version: draft-goessner-dispatch-jsonpath-00` is accepted for queries in the
  part of that draft RFC 9535 shares, and evaluated with RFC 9535 semantics.
* xpath: XPath 3.1 (or `xpath-30`, `xpath-20`, `xpath-10`), checked with the
  elementpath library, which the generated module imports.

A library missing at generation time is an error naming the extra to install.
Everything that cannot be compiled is an error, never a guess.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from generator import ir
from generator.build.positions import scalar_span
from generator.diagnostics import Diagnostics, Span
from generator.expressions import (
    Compare,
    ExpressionError,
    InputRef,
    Lit,
    OutputRef,
    RequestRef,
    ResponseRef,
    RuntimeExpr,
    StepRef,
    WorkflowRef,
    parse_condition,
    parse_expression,
    unparse,
)
from generator.expressions.nodes import CompareOp
from generator.load import Document
from generator.spec.arazzo import Criterion, ExpressionType

if TYPE_CHECKING:
    from elementpath.aliases import ParserClassType

GOESSNER = "draft-goessner-dispatch-jsonpath-00"
RFC9535 = "rfc9535"
#: XPath versions by the name a Criterion Expression Type Object gives them; 3.1 is the default.
XPATH_VERSIONS = {"xpath-10": "1.0", "xpath-20": "2.0", "xpath-30": "3.0", "xpath-31": "3.1"}
_DEFAULT_DIALECTS = {"regex": "re", "jsonpath": RFC9535, "xpath": "xpath-31"}
_ALLOWED_VERSIONS = {"jsonpath": (GOESSNER,), "xpath": ("xpath-30", "xpath-20", "xpath-10")}

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SEGMENT = re.compile(rf"\.({_NAME})|\[(\d+)\]|\['([^'\\]*)'\]")
_POINTABLE = (RequestRef, ResponseRef, InputRef, OutputRef, StepRef, WorkflowRef)
_OPERATOR = re.compile(r"\s*(==|!=|<=|>=|<|>)\s*")

#: One segment of a singular RFC 9535 query in its plainest spelling (no blank space,
#: no escapes, ASCII member names in dot notation): name, quoted name or index.
_SINGULAR_SEGMENT = re.compile(
    rf"\.(?P<dot>{_NAME})"
    r"|\['(?P<single>[^'\\\x00-\x1f]*)'\]"
    r"|\[\"(?P<double>[^\"\\\x00-\x1f]*)\"\]"
    r"|\[(?P<index>0|-?[1-9][0-9]{0,15})\]"
)
_MAX_INDEX = 2**53 - 1  # RFC 9535: indexes are I-JSON integers
#: A regex written the JavaScript way, `/pattern/flags`.
_JS_REGEX_LITERAL = re.compile(r"/.*/[dgimsuyv]*", re.DOTALL)
_JSONPATH_FUNCTIONS = ("count", "length", "match", "search", "value")
#: XPath tokens that bind variables (for, let, quantifiers, inline functions).
_XPATH_BINDERS = frozenset({"for", "let", "some", "every", "function"})


#: Whether the value at a path (JSON pointer tokens) of a response body is an array by
#: the OpenAPI document (see `build.types.typed_array`).
ArrayCheck = Callable[[tuple[str, ...]], bool]


def compile_criterion(
    criterion: Criterion,
    span: Span,
    diagnostics: Diagnostics,
    doc: Document | None = None,
    arrays: ArrayCheck | None = None,
) -> ir.Criterion | None:
    """The IR of one Criterion Object, or None after reporting why it cannot compile.

    `span` is the criterion's own; with `doc`, errors inside the condition, the
    context or the version point at the exact character. `arrays` (for a step's
    success criteria) tells which response values are arrays."""
    return _Compiler(criterion, span, diagnostics, doc, arrays).compile()


@dataclasses.dataclass
class _Compiler:
    criterion: Criterion
    span: Span
    diagnostics: Diagnostics
    doc: Document | None
    arrays: ArrayCheck | None = None

    def at(self, field: str, offset: int = 0) -> Span:
        """The span of character `offset` of the criterion's string `field`
        (`condition`, `context` or `type/version`)."""
        kind = self.criterion.type
        values = {
            "condition": self.criterion.condition,
            "context": self.criterion.context or "",
            "type/version": kind.version if isinstance(kind, ExpressionType) else "",
        }
        pointer = f"{self.criterion.ptr}/{field}"
        return scalar_span(self.doc, pointer, values[field], offset, _shifted(self.span, offset))

    def compile(self) -> ir.Criterion | None:
        kind = self.criterion.type
        if kind == "simple":
            return self.simple()
        name, dialect = self.dialect(kind)
        if dialect is None:
            return None
        context = self.context(name)
        if context is None:
            return None
        if name == "regex":
            return self.regex(context)
        if name == "jsonpath":
            return self.jsonpath(context, dialect)
        return self.xpath(context, dialect)

    def dialect(self, kind: str | ExpressionType) -> tuple[str, str | None]:
        """The criterion's type and the dialect of its query (None: reported)."""
        if isinstance(kind, str):
            return kind, _DEFAULT_DIALECTS.get(kind)
        if not kind.type or not kind.version:
            return kind.type, None  # the reader reported the missing or unknown field
        allowed = _ALLOWED_VERSIONS.get(kind.type, ())
        if kind.version in allowed:
            return kind.type, kind.version
        listing = ", ".join(repr(v) for v in allowed)
        self.diagnostics.error(
            "AG411",
            self.at("type/version"),
            f"unknown {kind.type} version {kind.version!r}",
            f"Arazzo 1.0.1 allows {listing} for {kind.type}; "
            f"leave the type object out for the default "
            + ("(RFC 9535)" if kind.type == "jsonpath" else "(XPath 3.1)"),
        )
        return kind.type, None

    def context(self, name: str) -> RuntimeExpr | None:
        text = self.criterion.context
        if text is None:
            self.diagnostics.error(
                "AG412",
                self.span,
                f"a {name} criterion needs a 'context'",
                "add e.g. 'context: $response.body'",
            )
            return None
        try:
            return parse_expression(text)
        except ExpressionError as exc:
            self.diagnostics.error(
                "AG400",
                self.at("context", exc.offset),
                f"invalid runtime expression {text!r}: {exc.message}",
                "see 'Runtime Expressions' in the Arazzo specification for the syntax",
            )
            return None

    # --- simple ----------------------------------------------------------------------

    def simple(self) -> ir.Criterion | None:
        text = self.criterion.condition
        try:
            condition = parse_condition(text)
        except ExpressionError as exc:
            self.diagnostics.error(
                "AG402",
                self.at("condition", exc.offset),
                f"invalid condition {text!r}: {exc.message}",
                "simple conditions combine expressions and literals with "
                "== != < <= > >= ! && ||",
            )
            return None
        return ir.Criterion(condition, text, self.span)

    # --- regex -----------------------------------------------------------------------

    def regex(self, context: RuntimeExpr) -> ir.Criterion | None:
        pattern = self.criterion.condition
        try:
            re.compile(pattern)
        except re.error as exc:
            self.diagnostics.error(
                "AG414",
                self.at("condition", exc.pos or 0),
                f"invalid regex {pattern!r}: {exc.msg}"
                + (f" at position {exc.pos}" if exc.pos is not None else ""),
                "patterns use Python's 're' syntax; inline flags such as (?i) go first",
            )
            return None
        except (OverflowError, RecursionError) as exc:
            self.diagnostics.error(
                "AG414",
                self.at("condition"),
                f"invalid regex {pattern!r}: {type(exc).__name__}",
                "simplify the pattern",
            )
            return None
        if _JS_REGEX_LITERAL.fullmatch(pattern):
            translated = _from_js_literal(pattern)
            if translated is not None:
                self.diagnostics.warning(
                    "AG417",
                    self.at("condition"),
                    f"regex {pattern!r} is a JavaScript regex literal; read as "
                    f"{translated!r} (as text, its anchors between the slashes could "
                    "never match)",
                    f"write the bare pattern with inline flags: {translated!r}",
                )
                return ir.QueryCriterion(context, translated, self.span, "regex", translated, "re")
            self.diagnostics.warning(
                "AG417",
                self.at("condition"),
                f"regex {pattern!r} looks like a JavaScript regex literal; its slashes "
                "(and any flags after them) are matched as text",
                "write the bare pattern with inline flags, e.g. '(?i)^abc$'; "
                "to match slashes, escape them as '\\/'",
            )
        return ir.QueryCriterion(context, pattern, self.span, "regex", pattern, "re")

    # --- jsonpath --------------------------------------------------------------------

    def jsonpath(self, context: RuntimeExpr, dialect: str) -> ir.Criterion | None:
        query = self.criterion.condition
        if _compares_length(query):
            length = self.array_length(query, context)
            if length is not None:
                return length
            self.diagnostics.error(
                "AG413",
                self.at("condition", query.rfind(".length")),
                f"{query!r} is not an RFC 9535 JSONPath query, and its '.length' is "
                "ambiguous: the length of an array (as in JavaScript) or a member named "
                "'length'",
                "to test how many items an array has, test an item: e.g. the simple "
                "condition '$response.body#/items/4 != null' (at least 5 items)",
            )
            return None
        comparison = _lenient_comparison(query, context)
        if comparison is not None:
            what = "an RFC 9535 JSONPath query" if dialect == RFC9535 else "a JSONPath query"
            self.diagnostics.warning(
                "AG410",
                self.span,
                f"{query!r} is not {what} (a comparison outside a filter); "
                f"compiled as the simple condition '{unparse(comparison)}'",
                f"write it as a simple condition: '{unparse(comparison)}'",
            )
            return ir.Criterion(comparison, query, self.span)
        path = singular_path(query)
        if path is None and not self.check_jsonpath(query, dialect):
            return None
        return ir.QueryCriterion(context, query, self.span, "jsonpath", query, dialect, path)

    def array_length(self, query: str, context: RuntimeExpr) -> ir.Criterion | None:
        """`$.links.length == 5` where the OpenAPI document types `links` (in the response
        body) as an array: `.length` can only be its length (an array has no members),
        so it is compiled as the RFC 9535 query `$.links[?length($.links) == 5]`, with
        warning AG410. Only where that query is exact: it selects the array's items, so
        the comparison must imply at least one (`== n`, `>= n` with n >= 1, `> n`).
        None (nothing reported) for anything else."""
        if self.arrays is None or not (
            isinstance(context, ResponseRef) and context.source == "body"
        ):
            return None
        tokens, position = _segments(query)
        operator = _OPERATOR.match(query, position)
        if operator is None or not tokens or tokens[-1] != "length":
            return None
        try:
            literal = parse_condition(query[operator.end() :])
        except ExpressionError:
            return None
        count = literal.value if isinstance(literal, Lit) else None
        op = operator.group(1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return None
        if not ((op in ("==", ">=") and count >= 1) or op == ">"):
            return None
        if not self.arrays((*(context.pointer or ()), *tokens[:-1])):
            return None
        path = query[: query.rfind(".length")]
        rewritten = f"{path}[?length({path}) {op} {count}]"
        if not self.check_jsonpath(rewritten, RFC9535):
            return None
        where = unparse(
            dataclasses.replace(context, pointer=(*(context.pointer or ()), *tokens[:-1]))
        )
        self.diagnostics.warning(
            "AG410",
            self.at("condition", query.rfind(".length")),
            f"{query!r} is not an RFC 9535 JSONPath query (a comparison outside a filter); "
            f"the OpenAPI document types {where} as an array, so '.length' is its length: "
            f"compiled as the RFC 9535 query {rewritten!r}",
            f"write {rewritten!r}",
        )
        return ir.QueryCriterion(context, query, self.span, "jsonpath", rewritten, RFC9535)

    def check_jsonpath(self, query: str, dialect: str) -> bool:
        """Whether the library accepts the query (in the Goessner subset, for that dialect)."""
        try:
            import jsonpath_rfc9535
            from jsonpath_rfc9535.lex import tokenize
            from jsonpath_rfc9535.tokens import TokenType
        except ImportError:
            self.missing_library("JSONPath query", "jsonpath-rfc9535", "jsonpath")
            return False
        try:
            jsonpath_rfc9535.compile(query)
        except jsonpath_rfc9535.JSONPathError as exc:
            offset = exc.token.index if exc.token is not None else 0
            message = str(exc.args[0]) if exc.args else type(exc).__name__
            if dialect == GOESSNER:
                self.outside_goessner_subset(query, offset, message)
            else:
                self.diagnostics.error(
                    "AG413",
                    self.at("condition", offset),
                    f"invalid JSONPath query {query!r}: {message}",
                    "queries follow RFC 9535, e.g. $[?@.status == 'done'] or $.items[0].id",
                )
            return False
        if dialect != GOESSNER:
            return True
        for token in tokenize(query):
            if token.type_ is TokenType.FUNCTION and token.value in _JSONPATH_FUNCTIONS:
                self.outside_goessner_subset(
                    query, token.index, f"function {token.value}() is RFC 9535 only"
                )
                return False
            if token.type_ is TokenType.PROPERTY and token.value == "length":
                self.outside_goessner_subset(
                    query,
                    token.index,
                    "'.length' is an array's length in Goessner JSONPath but a member "
                    "named 'length' in RFC 9535",
                )
                return False
        return True

    def outside_goessner_subset(self, query: str, offset: int, message: str) -> None:
        self.diagnostics.error(
            "AG411",
            self.at("condition", offset),
            f"{GOESSNER} query {query!r} is outside the part of that draft arazzo-gen "
            f"compiles (the part RFC 9535 shares): {message}",
            "write an RFC 9535 query and drop the version, e.g. $[?@.price < 10] for a "
            "filter; script expressions such as [(@.length-1)] have no RFC 9535 form",
        )

    # --- xpath -----------------------------------------------------------------------

    def xpath(self, context: RuntimeExpr, dialect: str) -> ir.Criterion | None:
        expression = self.criterion.condition
        try:
            import elementpath
        except ImportError:
            self.missing_library("XPath expression", "elementpath", "xpath")
            return None
        try:
            selector = elementpath.Selector(expression, parser=xpath_parser(dialect))
        except elementpath.ElementPathError as exc:
            offset = exc.token.span[0] if exc.token is not None else 0
            code = f" ({exc.code})" if exc.code else ""
            self.diagnostics.error(
                "AG415",
                self.at("condition", offset),
                f"invalid XPath {XPATH_VERSIONS[dialect]} expression {expression!r}: "
                f"{exc.message}{code}",
                "the expression is applied to the XML document; XPath 3.1 unless the "
                "criterion's type object names xpath-30, xpath-20 or xpath-10",
            )
            return None
        except RecursionError:
            self.diagnostics.error(
                "AG415",
                self.at("condition"),
                f"invalid XPath expression {expression!r}: nested too deeply",
                "simplify the expression",
            )
            return None
        tokens = [(t.symbol, t.value, t.span[0]) for t in selector.root_token.iter()]
        if not any(symbol in _XPATH_BINDERS for symbol, _, _ in tokens):
            # No for/let/some/every/function binds a variable, and a criterion has none.
            unbound = next(((v, at) for symbol, v, at in tokens if symbol == "$"), None)
            if unbound is not None:
                self.diagnostics.error(
                    "AG415",
                    self.at("condition", unbound[1]),
                    f"XPath expression {expression!r} reads variable ${unbound[0]}, "
                    "which nothing binds",
                    "criteria have no XPath variables; read values from the document",
                )
                return None
        return ir.QueryCriterion(context, expression, self.span, "xpath", expression, dialect)

    def missing_library(self, what: str, library: str, extra: str) -> None:
        self.diagnostics.error(
            "AG416",
            self.span,
            f"checking this {what} needs the {library} library, which is not installed",
            f"reinstall arazzo-gen with its dependencies ('arazzo-gen[{extra}]')",
        )


def xpath_parser(dialect: str) -> ParserClassType:
    """The elementpath parser class of an XPath dialect (`xpath-10` .. `xpath-31`)."""
    import elementpath
    from elementpath.xpath3 import XPath30Parser, XPath31Parser

    parsers: dict[str, ParserClassType] = {
        "xpath-10": elementpath.XPath1Parser,
        "xpath-20": elementpath.XPath2Parser,
        "xpath-30": XPath30Parser,
        "xpath-31": XPath31Parser,
    }
    return parsers[dialect]


def singular_path(query: str) -> tuple[str | int, ...] | None:
    """The member names and indexes of a singular query in its plainest spelling
    (`$.a['b'][0]`); None for anything else, which the library then checks."""
    if not query.startswith("$"):
        return None
    path: list[str | int] = []
    position = 1
    while position < len(query):
        match = _SINGULAR_SEGMENT.match(query, position)
        if match is None:
            return None
        if match["index"] is not None:
            index = int(match["index"])
            if abs(index) > _MAX_INDEX:
                return None
            path.append(index)
        else:
            names = (match["dot"], match["single"], match["double"])
            path.append(next(name for name in names if name is not None))
        position = match.end()
    return tuple(path)


#: JavaScript regex flags with a Python equivalent (`g`, `d` and `u` change nothing
#: for one search of a str pattern); `y` and `v` have none.
_JS_FLAGS = {"i": "i", "m": "m", "s": "s", "g": "", "d": "", "u": ""}


def _from_js_literal(pattern: str) -> str | None:
    """`/^abc$/i` as the Python pattern `(?i)^abc$`, where that is the only reading:
    the body is anchored (`^` first or `$` last), so as text, slashes included, it
    could never match; the flags translate; and the body compiles. Else None."""
    body, _, flags = pattern[1:].rpartition("/")
    anchored = body.startswith("^") or (body.endswith("$") and not body.endswith("\\$"))
    if not anchored:
        return None
    if any(flag not in _JS_FLAGS for flag in flags) or len(set(flags)) != len(flags):
        return None
    inline = "".join(sorted({_JS_FLAGS[flag] for flag in flags} - {""}))
    translated = (f"(?{inline})" if inline else "") + body.replace("\\/", "/")
    try:
        re.compile(translated)
    except (re.error, OverflowError, RecursionError):
        return None
    return translated


def _shifted(span: Span, offset: int) -> Span:
    return Span(span.file, span.line, span.col + offset, span.pointer) if span.line else span


def _segments(text: str) -> tuple[list[str], int]:
    """The member names and indexes of the singular path `text` starts with (`$.a[0]`),
    and where that path ends."""
    tokens: list[str] = []
    position = 1 if text.startswith("$") else len(text) + 1
    while match := _SEGMENT.match(text, position):
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    return tokens, position


def _compares_length(text: str) -> bool:
    """Whether `text` is a comparison like `$.items.length == 5` (outside a filter)."""
    tokens, position = _segments(text)
    return bool(tokens) and tokens[-1] == "length" and bool(_OPERATOR.match(text, position))


def _lenient_comparison(text: str, context: RuntimeExpr) -> Compare | None:
    """`$.a.b[0] != null` as a comparison of the value at that path of `context`."""
    if not text.startswith("$") or not isinstance(context, _POINTABLE):
        return None
    tokens: list[str] = []
    position = 1
    while match := _SEGMENT.match(text, position):
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    operator = _OPERATOR.match(text, position)
    if operator is None:
        return None
    try:
        literal = parse_condition(text[operator.end() :])
    except ExpressionError:
        return None
    if not isinstance(literal, Lit):
        return None
    if "length" in tokens:
        return None  # an array's length (JavaScript) or a member named 'length'? ambiguous
    base = context.pointer or ()
    target = dataclasses.replace(context, pointer=(*base, *tokens))
    return Compare(cast(CompareOp, operator.group(1)), target, literal)
