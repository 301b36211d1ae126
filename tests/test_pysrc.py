"""Tests for generator.pysrc: spec data must never turn into code."""

from __future__ import annotations

import ast
import enum
import io
import itertools
import keyword
import math
import re
import tokenize
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.pysrc import (
    COMMENT_MAX_CHARS,
    MAX_DEPTH,
    JsonValue,
    Namespace,
    SourceError,
    comment,
    docstring,
    literal,
    pascal_case,
    snake_case,
    string_literal,
)

SOFT_KEYWORDS = {"_", "case", "match", "type", *keyword.softkwlist}
# Categories that must never appear raw in emitted source.
BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
NASTY = [
    '"',
    "'",
    "\\",
    "\n",
    "\r",
    "\t",
    " ",
    "\x00",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\xa0",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\U0001f600",
    "{",
    "#",
    "N",
    "x",
    "u",
]
CHARS = st.one_of(st.sampled_from(NASTY), st.characters())
TEXT = st.text(alphabet=CHARS, max_size=40)
SETTINGS = settings(max_examples=200, deadline=None)


def json_values() -> st.SearchStrategy[JsonValue]:
    scalars: st.SearchStrategy[JsonValue] = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([0.0, -0.0, 2**3000, -(2**3000)]),
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT,
    )

    def extend(
        children: st.SearchStrategy[JsonValue],
    ) -> st.SearchStrategy[JsonValue]:
        lists: st.SearchStrategy[JsonValue] = st.lists(children, max_size=4)
        dicts: st.SearchStrategy[JsonValue] = st.dictionaries(TEXT, children, max_size=4)
        return lists | dicts

    return st.recursive(scalars, extend, max_leaves=10)


def assert_same(actual: object, expected: object) -> None:
    """Equality that also requires identical types, float signs and dict order."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(actual, float):
        assert isinstance(expected, float)
        assert actual == expected
        assert math.copysign(1.0, actual) == math.copysign(1.0, expected)
    elif isinstance(actual, list):
        assert isinstance(expected, list)
        assert len(actual) == len(expected)
        for left, right in zip(actual, expected, strict=True):
            assert_same(left, right)
    elif isinstance(actual, dict):
        assert isinstance(expected, dict)
        assert list(actual) == list(expected)
        for key in actual:
            assert_same(actual[key], expected[key])
    else:
        assert actual == expected


def assert_clean(source: str, allowed: str = "") -> None:
    """Source text has no raw invisible/control/separator characters."""
    source.encode("utf-8")  # no lone surrogates
    for ch in source:
        if ch in allowed:
            continue
        assert unicodedata.category(ch) not in BAD_CATEGORIES, repr(ch)
        assert ch == " " or unicodedata.category(ch) != "Zs", repr(ch)


ALLOWED_NODES = (
    ast.Expression,
    ast.Constant,
    ast.List,
    ast.Dict,
    ast.UnaryOp,
    ast.USub,
    ast.Load,
)


def assert_only_data_nodes(source: str) -> None:
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        assert isinstance(node, ALLOWED_NODES), ast.dump(node)
        if isinstance(node, ast.UnaryOp):
            assert isinstance(node.operand, ast.Constant)
            assert type(node.operand.value) in (int, float)
        if isinstance(node, ast.Constant):
            assert type(node.value) in (type(None), bool, int, float, str)
        if isinstance(node, ast.Dict):
            assert all(isinstance(key, ast.Constant) for key in node.keys)


# ---------------------------------------------------------------- literal()


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        2**64,
        -(2**200),
        10**600,
        2**5000,
        -(2**5000),
        0.0,
        -0.0,
        1e300,
        -1.5e-300,
        5e-324,
        "",
        "plain",
        "'\"\\\x00\r\n\u2028\u2029\x85\ufeff\u202e\ud800\U0001f600",
        "'); __import__('os').system('touch /tmp/pwned') #",
        [],
        {},
        [1, [True, [None, -0.0]]],
        {"b": 1, "a": {"c": [1.0, "x"]}, "": None},
    ],
)
def test_literal_round_trips(value: JsonValue) -> None:
    source = literal(value)
    assert_same(ast.literal_eval(source), value)
    assert_only_data_nodes(source)
    assert_clean(source)


def test_literal_forms() -> None:
    assert literal(True) == "True"
    assert literal(1) == "1"
    assert literal(-0.0) == "-0.0"
    assert literal({"a": [1, None]}) == "{'a': [1, None]}"
    assert literal(2**5000).startswith("0x")
    assert literal("a\u2028b") == "'a\\u2028b'"
    assert string_literal("it's") == literal("it's")
    assert string_literal("caf\xe9") == "'caf\xe9'"  # printable text stays readable


class Colour(enum.IntEnum):
    RED = 1


class EvilStr(str):
    def __repr__(self) -> str:
        return "__import__('os').system('touch /tmp/pwned')"


class EvilFloat(float):
    def __repr__(self) -> str:
        return "__import__('os')"


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        [1, math.nan],
        {1: "x"},
        {None: "x"},
        (1, 2),
        {1, 2},
        b"bytes",
        1j,
        Colour.RED,
        EvilStr("x"),
        [EvilFloat(1.0)],
        {EvilStr("k"): 1},
        object(),
    ],
)
def test_literal_rejects(value: object) -> None:
    with pytest.raises(SourceError):
        literal(value)  # type: ignore[arg-type]


def test_literal_rejects_deep_nesting() -> None:
    ok: JsonValue = []
    for _ in range(MAX_DEPTH):
        ok = [ok]
    assert ast.literal_eval(literal(ok)) == ok
    with pytest.raises(SourceError):
        literal([ok])


def test_string_literal_rejects_non_str() -> None:
    with pytest.raises(SourceError):
        string_literal(EvilStr("x"))
    with pytest.raises(SourceError):
        string_literal(1)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(json_values())
def test_literal_property(value: JsonValue) -> None:
    source = literal(value)
    assert_same(ast.literal_eval(source), value)
    assert_only_data_nodes(source)
    assert_clean(source)


# -------------------------------------------------------------- docstring()


def expected_docstring(text: str, indent: str) -> str:
    """The normalisation promised by docstring(), written independently."""
    lines = [line.rstrip() for line in re.split(r"\r\n|\r|\n", text)]
    lines = list(itertools.dropwhile(lambda line: not line, lines))
    lines.reverse()
    lines = list(itertools.dropwhile(lambda line: not line, lines))
    lines.reverse()
    return "\n".join(
        line if number == 0 or not line else indent + line for number, line in enumerate(lines)
    )


def parse_function_docstring(text: str, indent: str = "    ") -> str | None:
    """Embed docstring(text) in a function and check nothing was injected."""
    source = f"def f():\n    {docstring(text, indent)}\n    pass\n"
    assert_clean(source, allowed="\n\t")
    tree = ast.parse(source.encode("utf-8"))  # bytes: honours coding cookies
    assert len(tree.body) == 1
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert len(function.body) == 2
    assert isinstance(function.body[0], ast.Expr)
    assert isinstance(function.body[1], ast.Pass)
    return ast.get_docstring(function, clean=False)


@pytest.mark.parametrize(
    "text",
    [
        'before """ after',
        '"""; __import__(\'os\').system(\'touch /tmp/pwned\'); """',
        'ends with quote"',
        'ends with two ""',
        'ends with three """',
        '"',
        '""""""""',
        "back\\slash \\N{BULLET} \\x41 \\",
        "single '''quotes''' too",
        "windows\r\nline\rends\n",
        "nul \x00 and \x1b[31m escape",
        "separators \u2028 \u2029 \x85 \ufeff \u202e",
        "lone \ud800 surrogate",
        "\\\n" + "line continuation?",
        "tab\there",
    ],
)
def test_docstring_examples(text: str) -> None:
    assert parse_function_docstring(text) == expected_docstring(text, "    ")


def test_docstring_layout() -> None:
    text = "\n\n  Summary line.  \r\n\r\nMore   \n  indented\n\n"
    assert docstring(text, "    ") == '"""  Summary line.\n\n    More\n      indented"""'
    assert docstring('say "hi"') == '"""say "hi\\""""'
    assert docstring('a"""b') == '"""a""\\"b"""'
    assert docstring("x\x00\u2028y") == '"""x\\x00\\u2028y"""'


@pytest.mark.parametrize("text", ["", "   ", "\n\r\n\t \n", "\u2028 \x85"])
def test_docstring_rejects_empty(text: str) -> None:
    with pytest.raises(SourceError):
        docstring(text)


@pytest.mark.parametrize("indent", ['"""', "x", "\n", "  #"])
def test_docstring_rejects_bad_indent(indent: str) -> None:
    with pytest.raises(SourceError):
        docstring("text", indent)


def test_module_docstring_cannot_declare_encoding() -> None:
    source = docstring("title\n# -*- coding: utf-7 -*-\n+AAo-import os") + "\n"
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source.encode()).readline)
    assert encoding == "utf-8"
    tree = ast.parse(source.encode())
    assert len(tree.body) == 1


@SETTINGS
@given(TEXT, st.sampled_from(["", "    ", "        ", "\t"]))
def test_docstring_property(text: str, indent: str) -> None:
    expected = expected_docstring(text, indent)
    if not expected:
        with pytest.raises(SourceError):
            docstring(text, indent)
        return
    assert parse_function_docstring(text, indent) == expected


# ---------------------------------------------------------------- comment()


def test_comment_examples() -> None:
    assert comment("hello") == "# hello"
    assert comment("  two\nlines\r\n\tand\u2028more\x00 ") == "# two lines and more"
    long = comment("x" * 500)
    assert len(long) == 2 + COMMENT_MAX_CHARS
    assert long.endswith("...")
    assert comment("-*- coding: utf-7 -*-") == "# -*- coding : utf-7 -*-"
    assert comment("CODING=latin-1") == "# CODING =latin-1"


@pytest.mark.parametrize("text", ["", "  ", "\n\x00\u2028"])
def test_comment_rejects_empty(text: str) -> None:
    with pytest.raises(SourceError):
        comment(text)


def test_comment_cannot_declare_encoding() -> None:
    source = "# header\n" + comment("vim: set fileencoding=utf-7 :") + "\nx = 1\n"
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source.encode()).readline)
    assert encoding == "utf-8"


@SETTINGS
@given(TEXT)
def test_comment_property(text: str) -> None:
    if not "".join(ch for ch in text if ch.isprintable() and not ch.isspace()):
        with pytest.raises(SourceError):
            comment(text)
        return
    line = comment(text)
    assert line.startswith("# ")
    assert line.splitlines() == [line]
    assert len(line) <= 2 + COMMENT_MAX_CHARS
    assert_clean(line)
    assert ast.parse(line).body == []
    source = "# header\n" + line + "\nx = 1\n"
    assert len(ast.parse(source.encode("utf-8")).body) == 1
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source.encode()).readline)
    assert encoding == "utf-8"


# ------------------------------------------------------- snake/pascal case


@pytest.mark.parametrize(
    ("name", "snake", "pascal"),
    [
        ("startTaskAndStop", "start_task_and_stop", "StartTaskAndStop"),
        ("start-task-and-stop", "start_task_and_stop", "StartTaskAndStop"),
        ("ContactFlowId", "contact_flow_id", "ContactFlowId"),
        ("HTTPServerURL", "http_server_url", "HTTPServerURL"),
        ("x-api-key", "x_api_key", "XApiKey"),
        ("pet.id", "pet_id", "PetId"),
        ("startTask", "start_task", "StartTask"),
        ("oauth2Token", "oauth2_token", "Oauth2Token"),
        ("getV2Pets", "get_v2_pets", "GetV2Pets"),
        ("2fa", "n2fa", "N2fa"),
        ("__init__", "init", "Init"),
        ("a  --  b", "a_b", "AB"),
        ("\xc4pfelBaum", "\xe4pfel_baum", "\xc4pfelBaum"),
        ("\ufb01le", "file", "File"),  # NFKC: LATIN SMALL LIGATURE FI
        ("class", "class", "Class"),  # keywords are Namespace's job
        ("", "value", "Value"),
        ("---", "value", "Value"),
        ('"); import os #', "import_os", "ImportOs"),
    ],
)
def test_case_conversions(name: str, snake: str, pascal: str) -> None:
    assert snake_case(name) == snake
    assert pascal_case(name) == pascal


@SETTINGS
@given(TEXT)
def test_case_conversions_property(name: str) -> None:
    for converted in (snake_case(name), pascal_case(name)):
        assert converted.isidentifier()
        assert unicodedata.normalize("NFKC", converted) == converted
        assert not converted.startswith("_")
        assert not converted.endswith("_")
        assert "__" not in converted
        assert_clean(converted)


@SETTINGS
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_snake_case_idempotent_on_ascii(name: str) -> None:
    once = snake_case(name)
    assert snake_case(once) == once
    assert once == once.lower()


# -------------------------------------------------------------- Namespace


def test_namespace_keywords_and_duplicates() -> None:
    names = Namespace(reserved=["httpx", "id"])
    claims = ["class", "class", "type", "match", "case", "_", "None", "__debug__"]
    assert [names.claim(name) for name in claims] == [
        "class_",
        "class_2",
        "type_",
        "match_",
        "case_",
        "__",
        "None_",
        "__debug___",
    ]
    assert names.claim("x") == "x"
    assert names.claim("x") == "x_2"
    assert names.claim("x_2") == "x_2_2"
    assert names.claim("x") == "x_3"
    assert names.claim("httpx") == "httpx_2"
    assert names.claim("id") == "id_2"
    assert names.claim("_private") == "_private"  # valid names are kept as-is
    assert "x_3" in names
    assert "httpx" in names
    assert "unused" not in names


def test_namespace_avoids_names_that_read_like_digits() -> None:
    names = Namespace()
    # ruff/pycodestyle E741 rejects these as variable and parameter names
    assert [names.claim(name) for name in ("l", "O", "I", "l_")] == ["l_", "O_", "I_", "l_2"]
    assert names.claim("i") == "i"


def test_namespace_resanitises_and_normalises() -> None:
    names = Namespace()
    assert names.claim("not valid!") == "not_valid"
    assert names.claim("1st") == "n1st"
    assert names.claim("") == "value"
    assert names.claim("\ufb01le") == "file"
    assert names.claim("file") == "file_2"  # NFKC clash detected
    assert names.claim("\uff43\uff4c\uff41\uff53\uff53") == "class_"  # fullwidth
    assert names.claim('"); import os; ("') == "import_os"


def test_namespace_is_deterministic() -> None:
    claims = ["a", "a", "class", "a_2", "2", "2", "x y"]
    first = [Namespace(["a_3"]).claim(name) for name in claims]
    second = [Namespace(["a_3"]).claim(name) for name in claims]
    assert first == second


NAME_TEXT = st.one_of(
    TEXT,
    st.sampled_from([*keyword.kwlist, *SOFT_KEYWORDS, "__debug__", "x", "x_2"]),
)


@SETTINGS
@given(st.lists(NAME_TEXT, max_size=20), st.lists(NAME_TEXT, max_size=5))
def test_namespace_property(wanted: list[str], reserved: list[str]) -> None:
    names = Namespace(reserved)
    taken = {unicodedata.normalize("NFKC", name) for name in reserved}
    claimed = [names.claim(name) for name in wanted]
    for name in claimed:
        assert name.isidentifier()
        assert unicodedata.normalize("NFKC", name) == name
        assert not keyword.iskeyword(name)
        assert name not in SOFT_KEYWORDS
        assert name not in taken
        assert name in names
        assert_clean(name)
        tree = ast.parse(f"def {name}({name}): {name} = 1")
        assert len(tree.body) == 1
    assert len(set(claimed)) == len(claimed)


def test_long_strings_become_adjacent_literals_that_round_trip() -> None:
    value = {"k" * 60: ["x" * 100, "é\u2028" * 40, 1]}
    text = literal(value)
    assert ast.literal_eval(text) == value
    assert text.count("' '") == 4  # adjacent literals black can wrap
    assert literal("short") == "'short'"
