"""Turn untrusted spec data into safe Python source text.

This is the only module where data read from Arazzo/OpenAPI documents becomes
Python source: literals, identifiers, docstrings and comments.  Everything here
assumes the input is hostile.  The guarantees are:

* ``literal`` builds an ``ast`` tree from the value and renders it with
  ``ast.unparse``.  The text never comes from joining the value's pieces by
  hand, and it parses back to ``Constant``/``List``/``Dict`` nodes plus unary
  minus on numbers.
* ``docstring`` and ``comment`` escape or drop anything that could end the
  string or comment early.
* ``snake_case``, ``pascal_case`` and ``Namespace.claim`` only return valid
  identifiers.  ``Namespace`` also keeps them clear of keywords and of each
  other.
* No output has raw control characters, line or paragraph separators, or other
  non-printable characters.  Such characters (including lone surrogates and
  bidi overrides) are escaped or removed, so the output is always valid UTF-8
  and looks the same in any editor.

``eval``, ``exec`` and ``compile`` are not used.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "JsonValue",
    "Namespace",
    "SourceError",
    "comment",
    "docstring",
    "literal",
    "pascal_case",
    "snake_case",
    "string_literal",
]

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

# Nesting above this raises SourceError.  CPython's parser rejects more than 200
# nested brackets, and deep values would also hit the recursion limit here.
MAX_DEPTH = 100

# Ints wider than this are written in hex.  A decimal literal over
# ``sys.int_info.str_digits_check_threshold`` (640) digits may be rejected when
# the generated module is compiled.  2000 bits is at most 603 decimal digits, so
# smaller ints stay in readable decimal.  Hex literals have no length limit.
_MAX_DECIMAL_BITS = 2000

# Strings longer than this are written as adjacent literals of this many characters.
STRING_CHUNK = 48

# Comments longer than this are cut and end with "...".
COMMENT_MAX_CHARS = 200

# ``type`` became a soft keyword in Python 3.12.  It is listed here so that
# generated code reads the same whichever Python runs the generator.
# ``__debug__`` cannot be assigned to or used as a parameter name.  ``l``, ``O``
# and ``I`` are valid but read like 1 and 0 (pycodestyle E741 rejects them).
_FORBIDDEN_NAMES = frozenset(
    {*keyword.kwlist, *keyword.softkwlist, "_", "case", "match", "type", "__debug__"}
    | {"l", "O", "I"}
)

_UNDERSCORES = re.compile(r"_+")
# A comment on line 1 or 2 that matches ``coding[:=]`` sets the source encoding
# (PEP 263).  ``# coding: utf-7`` would let later bytes decode into code.
_CODING = re.compile(r"(coding)(?=[:=])", re.IGNORECASE)


class SourceError(ValueError):
    """Raised when a value cannot be safely represented as Python source."""


class _HexInt(int):
    """An int that ``ast.unparse`` writes in hex (it renders constants via repr)."""

    def __repr__(self) -> str:
        return hex(self)


# --------------------------------------------------------------------- literals


def literal(value: JsonValue) -> str:
    """Return a Python expression whose value is exactly ``value``.

    Types are checked exactly: ``bool`` stays ``bool`` and ``int`` stays
    ``int``.  Subclasses such as ``IntEnum`` or ``str`` subclasses are rejected,
    because a subclass can override ``__repr__``.  ``-0.0`` keeps its sign.
    Very large ints come out in hex (see ``_MAX_DECIMAL_BITS``).  Strings may
    hold any code point, including lone surrogates, which are written as
    escapes.  Dict keys must be ``str``, and dicts keep their order.

    Strings longer than ``STRING_CHUNK`` characters are written as a
    parenthesised run of adjacent literals, which Python joins into one
    constant; black can then wrap them, so long spec text never makes a long line.

    Raises SourceError for NaN or infinite floats, non-``str`` dict keys,
    other types, and nesting deeper than ``MAX_DEPTH``.
    """
    node = _node(value, 0)  # validates the whole value first
    return _compose(value, node)


def _compose(value: object, node: ast.expr) -> str:
    """Render a validated value, splitting long strings into adjacent literals."""
    if type(value) is str and len(value) > STRING_CHUNK:
        chunks = [value[i : i + STRING_CHUNK] for i in range(0, len(value), STRING_CHUNK)]
        return "(" + " ".join(_render(ast.Constant(value=c)) for c in chunks) + ")"
    if type(value) is list and isinstance(node, ast.List):
        return "[" + ", ".join(_compose(v, n) for v, n in zip(value, node.elts, strict=True)) + "]"
    if type(value) is dict and isinstance(node, ast.Dict):
        members = (
            f"{_compose(k, ast.Constant(value=k))}: {_compose(v, n)}"
            for (k, v), n in zip(value.items(), node.values, strict=True)
        )
        return "{" + ", ".join(members) + "}"
    return _render(node)


def string_literal(text: str) -> str:
    """Return a Python string literal for ``text``, same as ``literal(text)``."""
    if type(text) is not str:
        raise SourceError(f"expected str, got {type(text).__name__}")
    return _render(ast.Constant(value=text))


def _node(value: object, depth: int) -> ast.expr:
    if depth > MAX_DEPTH:
        raise SourceError(f"value nested deeper than {MAX_DEPTH} levels")
    if value is None or type(value) is bool or type(value) is str:
        return ast.Constant(value=value)
    if type(value) is int:
        big = value.bit_length() > _MAX_DECIMAL_BITS
        return ast.Constant(value=_HexInt(value) if big else value)
    if type(value) is float:
        if not math.isfinite(value):
            raise SourceError(f"float {value!r} has no Python literal")
        return ast.Constant(value=value)
    if type(value) is list:
        items = [_node(item, depth + 1) for item in value]
        return ast.List(elts=items, ctx=ast.Load())
    if type(value) is dict:
        return _dict_node(value, depth)
    raise SourceError(f"unsupported type for a literal: {type(value).__name__}")


def _dict_node(value: dict[object, object], depth: int) -> ast.Dict:
    keys: list[ast.expr | None] = []
    values: list[ast.expr] = []
    for key, item in value.items():
        if type(key) is not str:
            raise SourceError(f"dict key must be str, got {type(key).__name__}")
        keys.append(ast.Constant(value=key))
        values.append(_node(item, depth + 1))
    return ast.Dict(keys=keys, values=values)


def _render(node: ast.expr) -> str:
    """Unparse ``node``, making sure the text only has printable characters.

    ``repr`` (which ``ast.unparse`` uses for constants) already escapes
    non-printable characters.  If that ever fails, every non-ASCII character is
    escaped with backslashreplace.  That keeps the meaning, because non-ASCII
    text can only appear inside the ordinary (non-raw) string literals that
    ``repr`` writes.
    """
    try:
        text = ast.unparse(node)
    except RecursionError as exc:  # pragma: no cover - guarded by MAX_DEPTH
        raise SourceError("value nested too deeply") from exc
    if not text.isprintable():
        text = text.encode("ascii", "backslashreplace").decode("ascii")
    if not text.isprintable():  # pragma: no cover - defensive
        raise SourceError("could not render a printable literal")
    return text


# ------------------------------------------------------------------- docstrings


def docstring(text: str, indent: str = "") -> str:
    """Return a ``\"\"\"...\"\"\"`` literal whose value is ``text``, normalised.

    How the text is normalised (the parsed value is exactly this):

    1. ``\\r\\n`` and ``\\r`` become ``\\n``.
    2. Trailing whitespace on each line is removed, as ``str.rstrip`` does it.
    3. Blank lines at the start and end are removed.
    4. Every line after the first gets ``indent`` in front, except blank ones,
       so the docstring lines up in a function body.

    The closing quotes go right after the last line.  Escaping does not change
    the value: backslashes are doubled, any ``"`` that would be the third in a
    row is escaped, and so is a ``"`` just before the closing quotes.
    Non-printable characters other than ``\\n`` and ``\\t`` (control
    characters, U+0085, U+2028, U+2029, U+FEFF, bidi controls, lone
    surrogates...) are written as ``\\xNN``/``\\uNNNN``/``\\UNNNNNNNN``.

    Raises SourceError if nothing is left after normalising.  Callers should
    skip the docstring in that case.  It is also raised if ``indent`` contains
    anything other than spaces and tabs.
    """
    if type(text) is not str or type(indent) is not str:
        raise SourceError("docstring text and indent must be str")
    if indent.strip(" \t"):
        raise SourceError("indent may only contain spaces and tabs")
    lines = _docstring_lines(text)
    if not lines:
        raise SourceError("docstring text is empty")
    body = "\n".join([lines[0], *(indent + line if line else "" for line in lines[1:])])
    return '"""' + _escape_docstring_body(body) + '"""'


def _docstring_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _escape_docstring_body(body: str) -> str:
    out: list[str] = []
    quotes = 0  # unescaped '"' characters just written in a row
    for ch in body:
        if ch == '"':
            out.append('\\"' if quotes == 2 else '"')
            quotes = 0 if quotes == 2 else quotes + 1
            continue
        quotes = 0
        if ch == "\\":
            out.append("\\\\")
        elif ch in "\n\t" or ch.isprintable():
            out.append(ch)
        else:
            out.append(_escape_char(ch))
    if quotes:  # a trailing '"' would join the closing quotes
        out[-1] = '\\"'
    return "".join(out)


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


# --------------------------------------------------------------------- comments


def comment(text: str) -> str:
    """Return a one-line ``# ...`` comment showing ``text``.

    Whitespace and non-printable characters (newlines, control characters,
    separators, bidi controls, surrogates...) become single spaces, and the
    result is stripped.  Text over ``COMMENT_MAX_CHARS`` is cut and ends with
    ``...``.  A space goes after ``coding`` when ``:`` or ``=`` follows it, so
    the comment can never act as a PEP 263 encoding declaration.

    Raises SourceError if nothing is left.  Callers should skip the comment in
    that case.
    """
    if type(text) is not str:
        raise SourceError(f"expected str, got {type(text).__name__}")
    spaced = "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in text)
    cleaned = _CODING.sub(r"\1 ", " ".join(spaced.split()))
    if not cleaned:
        raise SourceError("comment text is empty")
    if len(cleaned) > COMMENT_MAX_CHARS:
        cleaned = cleaned[: COMMENT_MAX_CHARS - 3].rstrip() + "..."
    return "# " + cleaned


# ------------------------------------------------------------------ identifiers


def snake_case(name: str) -> str:
    """Turn ``name`` into a readable lower_snake_case identifier.

    Word breaks come from non-identifier characters (``-``, ``.``, spaces,
    ``_``...) and from case changes: ``startTask`` -> ``start_task``,
    ``HTTPServerURL`` -> ``http_server_url``, ``oauth2Token`` ->
    ``oauth2_token``.  Letters are NFKC-normalised, as the Python parser does
    for identifiers, and non-ASCII letters are kept.  Leading and trailing
    underscores are stripped, so the result never looks private or dunder.  A
    result that would start with a digit gets an ``n`` in front, because a
    leading ``_`` would make it look private: ``2fa`` -> ``n2fa``.  An empty
    result becomes ``value``.  Keywords can come out as they are (``class``);
    ``Namespace.claim`` handles those.
    """
    return _sanitise("_".join(word.lower() for word in _words(name)), "n", "value")


def pascal_case(name: str) -> str:
    """Turn ``name`` into a PascalCase identifier.

    Words are split as in ``snake_case``.  Each word's first letter is
    upper-cased and the rest is left alone, so acronyms survive:
    ``start-task-and-stop`` -> ``StartTaskAndStop``, ``HTTPServer`` ->
    ``HTTPServer``.  A result that would start with a digit gets an ``N`` in
    front.  An empty result becomes ``Value``.
    """
    words = _words(name)
    return _sanitise("".join(word[:1].upper() + word[1:] for word in words), "N", "Value")


def _is_ident_char(ch: str) -> bool:
    return ch != "_" and ("a" + ch).isidentifier()


def _words(name: str) -> list[str]:
    """Split ``name`` into words of identifier characters (see ``snake_case``)."""
    text = unicodedata.normalize("NFKC", str(name))
    words: list[str] = []
    current = ""
    for index, ch in enumerate(text):
        if not _is_ident_char(ch):
            words.append(current)
            current = ""
            continue
        if current and _starts_word(current[-1], ch, text[index + 1 : index + 2]):
            words.append(current)
            current = ""
        current += ch
    words.append(current)
    return [word for word in words if word]


def _starts_word(prev: str, ch: str, nxt: str) -> bool:
    if not ch.isupper():
        return False
    return prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower())


def _sanitise(text: str, prefix: str, default: str) -> str:
    """Make ``text`` a valid identifier in NFKC form, with no leading or trailing ``_``.

    Characters that cannot appear in an identifier become ``_``, and runs of
    ``_`` collapse to one.  ``prefix`` goes in front when the first character
    cannot start an identifier.  If the result is still not a stable
    identifier (case mapping or normalisation can do odd things), only the
    ASCII letters, digits and underscores are kept.
    """
    for attempt in (text, _ascii_only(text)):
        candidate = unicodedata.normalize("NFKC", attempt)
        candidate = "".join(ch if _is_ident_char(ch) else "_" for ch in candidate)
        candidate = _UNDERSCORES.sub("_", candidate).strip("_")
        if not candidate:
            return default
        if not candidate.isidentifier():
            candidate = prefix + candidate
        if _is_stable_identifier(candidate):
            return candidate
    return default  # pragma: no cover - ASCII input always succeeds above


def _ascii_only(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _is_stable_identifier(name: str) -> bool:
    return name.isidentifier() and unicodedata.normalize("NFKC", name) == name


class Namespace:
    """Hand out unique, valid, non-keyword identifiers for one Python scope.

    Names are compared after NFKC normalisation, as the Python parser does, so
    ``ﬁle`` and ``file`` clash.  Claims are deterministic: the same sequence of
    claims always gives the same names.
    """

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        """Start with ``reserved`` already taken (globals, other params...)."""
        self._taken: set[str] = {unicodedata.normalize("NFKC", str(n)) for n in reserved}

    def claim(self, wanted: str) -> str:
        """Take and return a fresh name based on ``wanted``.

        A valid identifier is kept as it is, apart from NFKC normalisation.
        Anything else is cleaned the way ``snake_case`` cleans text, but the
        case is left alone.  A keyword, soft keyword (``_``, ``case``,
        ``match``, ``type``), ``__debug__`` or an ambiguous name (``l``, ``O``,
        ``I``) gets a ``_`` added: ``class`` -> ``class_``.  A name that is
        already taken gets ``_2``, ``_3``... added, or just ``2``, ``3``... when
        it already ends in ``_``:
        ``x`` -> ``x_2``, ``class`` -> ``class_2``.
        """
        name = unicodedata.normalize("NFKC", str(wanted))
        if not _is_stable_identifier(name):
            name = _sanitise(name, "n", "value")
        if name in _FORBIDDEN_NAMES:
            name += "_"
        candidate, number = name, 2
        sep = "" if name.endswith("_") else "_"
        while candidate in self._taken or candidate in _FORBIDDEN_NAMES:
            candidate, number = f"{name}{sep}{number}", number + 1
        self._taken.add(candidate)
        return candidate

    def __contains__(self, name: str) -> bool:
        """Return True if ``name`` (NFKC-normalised) is reserved or claimed."""
        return unicodedata.normalize("NFKC", name) in self._taken
