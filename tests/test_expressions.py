"""Tests for generator.expressions: runtime expressions, templates, conditions."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.expressions import (
    And,
    Compare,
    ComponentRef,
    Cond,
    ExpressionError,
    Index,
    InputRef,
    Lit,
    Method,
    Node,
    Not,
    Or,
    OutputRef,
    Prop,
    RequestRef,
    ResponseRef,
    RuntimeExpr,
    SourceRef,
    StatusCode,
    StepRef,
    Template,
    Url,
    WorkflowRef,
    parse_condition,
    parse_expression,
    parse_template,
    parse_value,
    unparse,
)

ROOTS = (
    "$url, $method, $statusCode, $request., $response., $inputs., $outputs., "
    "$steps., $workflows., $sourceDescriptions., $components."
)
JSONPATH_HINT = " (a JSONPath query needs 'type: jsonpath' and a 'context')"
ESCAPE_HINT = "; use '~0' for '~', '~1' for '/'"
BODY_END = "; expected '#' or the end of the expression"
TRAILING = "; expected an operator or the end of the condition"
PRIMARY = "expected a literal, a runtime expression, '!' or '(', found "
UNKNOWN_WORD = "; expected true, false, null, a number, a 'quoted' string or a runtime expression"


def same(actual: object, expected: object) -> bool:
    """Equal and identically typed all the way down (Lit(1) != Lit(True))."""
    return actual == expected and repr(actual) == repr(expected)


def error_of(parse: object, text: str) -> tuple[int, str]:
    assert callable(parse)
    with pytest.raises(ExpressionError) as info:
        parse(text)
    return info.value.offset, info.value.message


# ------------------------------------------------------- runtime expressions

TCHARS = "!#$%&'*+-.^_`|~0123456789abcXYZ"

EXPRESSIONS: list[tuple[str, RuntimeExpr]] = [
    ("$url", Url()),
    ("$method", Method()),
    ("$statusCode", StatusCode()),
    ("$request.header.accept", RequestRef("header", "accept", None)),
    ("$request.header.X-Rate_Limit", RequestRef("header", "X-Rate_Limit", None)),
    (f"$request.header.{TCHARS}", RequestRef("header", TCHARS, None)),
    ("$request.query.page", RequestRef("query", "page", None)),
    ("$request.query.filter[status]", RequestRef("query", "filter[status]", None)),
    ("$request.query.a#b", RequestRef("query", "a#b", None)),
    ("$request.path.id", RequestRef("path", "id", None)),
    ("$request.body", RequestRef("body", "", None)),
    ("$request.body#", RequestRef("body", "", ())),
    ("$request.body#/", RequestRef("body", "", ("",))),
    ("$request.body#/user/uuid", RequestRef("body", "", ("user", "uuid"))),
    ("$request.body#/a~1b/c~0d/~01", RequestRef("body", "", ("a/b", "c~d", "~1"))),
    ("$request.body#/a//b", RequestRef("body", "", ("a", "", "b"))),
    ("$request.body#/ünï cødé", RequestRef("body", "", ("ünï cødé",))),
    ("$response.header.Server", ResponseRef("header", "Server", None)),
    ("$response.body", ResponseRef("body", "", None)),
    ("$response.body#", ResponseRef("body", "", ())),
    ("$response.body#/status", ResponseRef("body", "", ("status",))),
    ("$response.body#/items/0/id", ResponseRef("body", "", ("items", "0", "id"))),
    ("$inputs.username", InputRef("username", None)),
    ("$inputs.pet_id", InputRef("pet_id", None)),
    ("$inputs.a.b", InputRef("a.b", None)),
    ("$inputs.user#/address/city", InputRef("user", ("address", "city"))),
    ("$inputs.user#", InputRef("user", ())),
    ("$inputs.name with spaces", InputRef("name with spaces", None)),
    ("$outputs.bar", OutputRef("bar", None)),
    ("$outputs.mapped.response#/name", OutputRef("mapped.response", ("name",))),
    (
        "$steps.someStepId.outputs.pets",
        StepRef("someStepId", "outputs", "pets", None),
    ),
    (
        "$steps.someStepId.outputs.pets#/0/id",
        StepRef("someStepId", "outputs", "pets", ("0", "id")),
    ),
    ("$steps.a.outputs.b.c", StepRef("a", "outputs", "b.c", None)),
    ("$steps.a-1.outputs.x_y#/", StepRef("a-1", "outputs", "x_y", ("",))),
    (
        "$workflows.foo.inputs.username",
        WorkflowRef("foo", "inputs", "username", None),
    ),
    (
        "$workflows.foo.outputs.mappedResponse#/name",
        WorkflowRef("foo", "outputs", "mappedResponse", ("name",)),
    ),
    ("$sourceDescriptions.petstore", SourceRef("petstore", "")),
    (
        "$sourceDescriptions.petstore.getPetById",
        SourceRef("petstore", "getPetById"),
    ),
    ("$sourceDescriptions.petstore.a.b", SourceRef("petstore", "a.b")),
    ("$components.parameters.page", ComponentRef("parameters", "page")),
    ("$components.parameters.x", ComponentRef("parameters", "x")),
    ("$components.successActions.notify", ComponentRef("successActions", "notify")),
    ("$components.failureActions.retry", ComponentRef("failureActions", "retry")),
    ("$components.inputs.pagination", ComponentRef("inputs", "pagination")),
    ("$components.inputs.a.b", ComponentRef("inputs", "a.b")),
]


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_parse_expression(text: str, expected: RuntimeExpr) -> None:
    assert same(parse_expression(text), expected)


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_expression_unparse_is_canonical_and_round_trips(text: str, expected: RuntimeExpr) -> None:
    assert unparse(expected) == text
    assert str(expected) == text
    assert same(parse_expression(unparse(expected)), expected)


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("$URL", Url(), "$url"),
        ("$StatusCode", StatusCode(), "$statusCode"),
        ("$METHOD", Method(), "$method"),
        (
            "$Request.HEADER.Accept",
            RequestRef("header", "Accept", None),
            "$request.header.Accept",
        ),
        ("$response.Body#/X", ResponseRef("body", "", ("X",)), "$response.body#/X"),
        ("$INPUTS.X", InputRef("X", None), "$inputs.X"),
        ("$Steps.S.Outputs.O", StepRef("S", "Outputs", "O", None), None),
        ("$sourcedescriptions.p", SourceRef("p", ""), "$sourceDescriptions.p"),
    ],
)
def test_abnf_keywords_are_case_insensitive(
    text: str, expected: RuntimeExpr, canonical: str | None
) -> None:
    node = parse_expression(text)
    assert same(node, expected)
    if canonical is not None:
        assert unparse(node) == canonical


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("", 0, "empty runtime expression"),
        ("url", 0, "a runtime expression must start with '$'"),
        (" $url", 0, "a runtime expression must start with '$'"),
        ("$foo", 1, f"unknown expression root '$foo'; expected one of {ROOTS}"),
        ("$urls", 1, f"unknown expression root '$urls'; expected one of {ROOTS}"),
        ("$", 1, f"unknown expression root '$'; expected one of {ROOTS}"),
        (
            "$.pets",
            1,
            f"unknown expression root '$'; expected one of {ROOTS}{JSONPATH_HINT}",
        ),
        ("$url.x", 4, "unexpected '.' after '$url'"),
        ("$statusCode ", 11, "unexpected ' ' after '$statusCode'"),
        ("$method2", 7, "unexpected '2' after '$method'"),
        ("$request", 8, "expected '.' after '$request'"),
        ("$request#", 8, "expected '.' after '$request'"),
        (
            "$request.foo",
            9,
            "'$request.' must be followed by header., query., path. or body",
        ),
        (
            "$request.header",
            9,
            "'$request.' must be followed by header., query., path. or body",
        ),
        ("$response.query.x", 10, "'$response.' must be followed by header. or body"),
        ("$response.path.x", 10, "'$response.' must be followed by header. or body"),
        ("$request.header.", 16, "empty header name"),
        ("$request.header.a b", 17, "invalid character ' ' in header name"),
        ("$request.header.a:b", 17, "invalid character ':' in header name"),
        ("$response.header.a/b", 18, "invalid character '/' in header name"),
        ("$request.query.", 15, "empty query parameter name"),
        ("$request.path.", 14, "empty path parameter name"),
        ("$request.bodyx", 13, "unexpected 'x' after '$request.body'" + BODY_END),
        ("$response.body/a", 14, "unexpected '/' after '$response.body'" + BODY_END),
        ("$request.body#a", 14, "a JSON pointer must be empty or start with '/'"),
        ("$request.body#/a~2", 16, "invalid JSON pointer escape '~2'" + ESCAPE_HINT),
        ("$request.body#/a~", 16, "invalid JSON pointer escape '~'" + ESCAPE_HINT),
        ("$response.body#/~x/b", 16, "invalid JSON pointer escape '~x'" + ESCAPE_HINT),
        ("$inputs", 7, "expected '.' after '$inputs'"),
        ("$inputs.", 8, "empty input name"),
        ("$inputs.#/a", 8, "empty input name"),
        ("$inputs.é", 8, "invalid character 'é' in input name"),
        ("$inputs.ab\x00", 10, "invalid character '\\x00' in input name"),
        ("$inputs.a#b", 10, "a JSON pointer must be empty or start with '/'"),
        ("$outputs.", 9, "empty output name"),
        ("$outputs.x#/~3", 12, "invalid JSON pointer escape '~3'" + ESCAPE_HINT),
        ("$steps.", 7, "empty step id"),
        ("$steps..outputs.x", 7, "empty step id"),
        ("$steps.a", 8, "expected '.' after step id 'a'"),
        ("$steps.a.", 9, "empty field name"),
        ("$steps.a.outputs", 16, "expected '.' after 'outputs'"),
        ("$steps.a.outputs#/x", 16, "expected '.' after 'outputs'"),
        ("$steps.a.outputs.", 17, "empty outputs name"),
        ("$steps.a.outputs.#/x", 17, "empty outputs name"),
        ("$workflows.w", 12, "expected '.' after workflow id 'w'"),
        ("$workflows.w.inputs.", 20, "empty inputs name"),
        ("$sourceDescriptions", 19, "expected '.' after '$sourceDescriptions'"),
        ("$sourceDescriptions.", 20, "empty source description name"),
        ("$sourceDescriptions.p.", 22, "empty reference after the source name"),
        ("$components", 11, "expected '.' after '$components'"),
        ("$components..x", 12, "empty component type"),
        (
            "$components.parameters",
            22,
            "expected '.' after component type 'parameters'",
        ),
        ("$components.parameters.", 23, "empty component name"),
    ],
)
def test_parse_expression_errors(text: str, offset: int, message: str) -> None:
    assert error_of(parse_expression, text) == (offset, message)


def test_expression_error_attributes_and_text() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("$request.header.")
    error = info.value
    assert (error.message, error.offset) == ("empty header name", 16)
    assert str(error) == "empty header name (at offset 16)"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.offset) == ("empty header name", 16)


POINTER_TOKENS = st.lists(st.text(), max_size=5).map(tuple)
NAMES = st.text(
    st.characters(min_codepoint=1, max_codepoint=127, exclude_characters="#"),
    min_size=1,
)


@given(POINTER_TOKENS)
def test_any_pointer_round_trips(pointer: tuple[str, ...]) -> None:
    node = ResponseRef("body", "", pointer)
    assert same(parse_expression(unparse(node)), node)


@given(NAMES, st.none() | POINTER_TOKENS)
def test_any_input_name_round_trips(name: str, pointer: tuple[str, ...] | None) -> None:
    node = InputRef(name, pointer)
    assert same(parse_expression(unparse(node)), node)


# ----------------------------------------------------------------- templates

TEMPLATES: list[tuple[str, tuple[str | RuntimeExpr, ...]]] = [
    ("", ()),
    ("plain text", ("plain text",)),
    ("{$url}", (Url(),)),
    ("Bearer {$inputs.token}", ("Bearer ", InputRef("token", None))),
    ("{$inputs.a}{$inputs.b}", (InputRef("a", None), InputRef("b", None))),
    (
        "/pets/{$steps.find.outputs.id}?x={$response.header.X-Id}!",
        (
            "/pets/",
            StepRef("find", "outputs", "id", None),
            "?x=",
            ResponseRef("header", "X-Id", None),
            "!",
        ),
    ),
    ("{not an expr} {$url} }{", ("{not an expr} ", Url(), " }{")),
    ("{{$url}}", ("{", Url(), "}")),
    ("$ {x} $url", ("$ {x} $url",)),
    ("{$response.body#/a~1b}", (ResponseRef("body", "", ("a/b",)),)),
    ("{$inputs.a b}", (InputRef("a b", None),)),
]


@pytest.mark.parametrize(("text", "parts"), TEMPLATES)
def test_parse_template(text: str, parts: tuple[str | RuntimeExpr, ...]) -> None:
    template = parse_template(text)
    assert same(template, Template(parts))
    assert unparse(template) == text
    assert str(template) == text
    assert same(parse_template(unparse(template)), template)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("x {$inputs.a", 2, "embedded expression '{$' has no closing '}'"),
        ("{$url} {$url", 7, "embedded expression '{$' has no closing '}'"),
        ("ab{$}", 4, f"unknown expression root '$'; expected one of {ROOTS}"),
        ("ab{$foo}", 4, f"unknown expression root '$foo'; expected one of {ROOTS}"),
        ("{$url }", 5, "unexpected ' ' after '$url'"),
        ("id={$request.body#x}", 18, "a JSON pointer must be empty or start with '/'"),
        ("{$url} {$inputs.}", 16, "empty input name"),
    ],
)
def test_parse_template_errors(text: str, offset: int, message: str) -> None:
    assert error_of(parse_template, text) == (offset, message)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$inputs.x", InputRef("x", None)),
        ("$response.body#/id", ResponseRef("body", "", ("id",))),
        ("Bearer {$inputs.t}", Template(("Bearer ", InputRef("t", None)))),
        ("hello", "hello"),
        ("", ""),
        ("{literal}", "{literal}"),
        ("price: $5", "price: $5"),
    ],
)
def test_parse_value(text: str, expected: RuntimeExpr | Template | str) -> None:
    assert same(parse_value(text), expected)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("$bad", 1, f"unknown expression root '$bad'; expected one of {ROOTS}"),
        ("$url {x}", 4, "unexpected ' ' after '$url'"),
        ("x{$bad}", 3, f"unknown expression root '$bad'; expected one of {ROOTS}"),
    ],
)
def test_parse_value_errors_propagate(text: str, offset: int, message: str) -> None:
    assert error_of(parse_value, text) == (offset, message)


# ---------------------------------------------------------------- conditions

T, F, NULL = Lit(True), Lit(False), Lit(None)
STATUS_200 = Compare("==", StatusCode(), Lit(200))
ITEMS = ResponseRef("body", "", ("items",))
USER = InputRef("user", None)

LITERALS: list[tuple[str, bool | int | float | str | None]] = [
    ("true", True),
    ("false", False),
    ("null", None),
    ("0", 0),
    ("200", 200),
    ("-7", -7),
    ("12345678901234567890", 12345678901234567890),
    ("3.25", 3.25),
    ("-0.5", -0.5),
    ("1.0", 1.0),
    ("1e3", 1000.0),
    ("1E+2", 100.0),
    ("2.5e-3", 0.0025),
    ("'available'", "available"),
    ("''", ""),
    ("'it''s'", "it's"),
    ("''''", "'"),
    ("'a b == c && (d)'", "a b == c && (d)"),
    ("'$statusCode'", "$statusCode"),
    ("'ünïcode'", "ünïcode"),
]


@pytest.mark.parametrize(("text", "value"), LITERALS)
def test_condition_literals(text: str, value: bool | int | float | str | None) -> None:
    node = parse_condition(text)
    assert isinstance(node, Lit)
    assert type(node.value) is type(value)
    assert node.value == value


CONDITIONS: list[tuple[str, Cond]] = [
    ("$statusCode == 200", STATUS_200),
    ("$statusCode==200", STATUS_200),
    ("  $statusCode\t==\n200 ", STATUS_200),
    (
        "$response.body#/status == 'available'",
        Compare("==", ResponseRef("body", "", ("status",)), Lit("available")),
    ),
    ("$statusCode!=404", Compare("!=", StatusCode(), Lit(404))),
    ("$inputs.n < 3", Compare("<", InputRef("n", None), Lit(3))),
    ("$inputs.n<=3", Compare("<=", InputRef("n", None), Lit(3))),
    ("$inputs.n > -3", Compare(">", InputRef("n", None), Lit(-3))),
    ("$inputs.n>=3.5", Compare(">=", InputRef("n", None), Lit(3.5))),
    ("$inputs.flag", InputRef("flag", None)),
    ("!$inputs.flag", Not(InputRef("flag", None))),
    ("!!true", Not(Not(T))),
    ("!($statusCode == 200)", Not(STATUS_200)),
    ("!true == false", Compare("==", Not(T), F)),
    ("true && false || null && 1", Or(And(T, F), And(NULL, Lit(1)))),
    ("true || false && null", Or(T, And(F, NULL))),
    ("(true || false) && null", And(Or(T, F), NULL)),
    ("true && false && null", And(And(T, F), NULL)),
    ("true || false || null", Or(Or(T, F), NULL)),
    ("true||(false||null)", Or(T, Or(F, NULL))),
    (
        "1 == 1 && 2 != 3",
        And(Compare("==", Lit(1), Lit(1)), Compare("!=", Lit(2), Lit(3))),
    ),
    ("(1 == 1) == true", Compare("==", Compare("==", Lit(1), Lit(1)), T)),
    ("((($statusCode == 200)))", STATUS_200),
    (
        "$statusCode == 200 && $response.header.Content-Type == 'application/json'",
        And(
            STATUS_200,
            Compare(
                "==",
                ResponseRef("header", "Content-Type", None),
                Lit("application/json"),
            ),
        ),
    ),
    (
        "$statusCode==200&&$inputs.x!=null",
        And(STATUS_200, Compare("!=", InputRef("x", None), NULL)),
    ),
    ("$response.body#/items[0]", Index(ITEMS, 0)),
    (
        "$response.body#/items[0].name == 'x'",
        Compare("==", Prop(Index(ITEMS, 0), "name"), Lit("x")),
    ),
    ("$response.body#/items[1][2]", Index(Index(ITEMS, 1), 2)),
    ("$response.body#/items [ 3 ]", Index(ITEMS, 3)),
    ("$response.body#/items[0] .id", Prop(Index(ITEMS, 0), "id")),
    ("($inputs.user).name", Prop(USER, "name")),
    ("($inputs.user).address.zip-code", Prop(Prop(USER, "address"), "zip-code")),
    ("($inputs.user).tags[0]", Index(Prop(USER, "tags"), 0)),
    ("(($inputs.user)[0])", Index(USER, 0)),
    ("!($inputs.user).ok", Not(Prop(USER, "ok"))),
    ("(!true).x", Prop(Not(T), "x")),
    ("(1)[0]", Index(Lit(1), 0)),
    ("$inputs.x.y", InputRef("x.y", None)),
    (
        "$request.header.a!b == 1",
        Compare("==", RequestRef("header", "a!b", None), Lit(1)),
    ),
    ("$inputs.a&b", InputRef("a&b", None)),
    ("$steps.s.outputs.n>0", Compare(">", StepRef("s", "outputs", "n", None), Lit(0))),
    ("$url != 'x'", Compare("!=", Url(), Lit("x"))),
    ("$method == 'GET'", Compare("==", Method(), Lit("GET"))),
]


@pytest.mark.parametrize(("text", "expected"), CONDITIONS)
def test_parse_condition(text: str, expected: Cond) -> None:
    assert same(parse_condition(text), expected)


@pytest.mark.parametrize(("text", "expected"), CONDITIONS)
def test_condition_round_trips(text: str, expected: Cond) -> None:
    assert same(parse_condition(unparse(expected)), expected)


@pytest.mark.parametrize(("text", "value"), LITERALS)
def test_literal_round_trips(text: str, value: bool | int | float | str | None) -> None:
    assert same(parse_condition(unparse(Lit(value))), Lit(value))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("$statusCode==200", "$statusCode == 200"),
        ("(true || false) && null", "(true || false) && null"),
        ("true || (false || null)", "true || (false || null)"),
        ("(true && false) || null", "true && false || null"),
        ("!($statusCode == 200)", "!($statusCode == 200)"),
        ("(1 == 1) == true", "(1 == 1) == true"),
        ("'it''s' != -1.5e3", "'it''s' != -1500.0"),
        ("($inputs.user).tags[0]", "($inputs.user).tags[0]"),
        ("(($inputs.a)[0])", "$inputs.a[0]"),
        ("((!true)).x", "(!true).x"),
        ("(1)[0]", "(1)[0]"),
        ("$response.body#/a~1b[0]", "$response.body#/a~1b[0]"),
        ("!(!(true))", "!!true"),
    ],
)
def test_condition_canonical_text(text: str, canonical: str) -> None:
    assert unparse(parse_condition(text)) == canonical


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (Not(And(T, F)), "!(true && false)"),
        (And(Lit(1), And(Lit(2), Lit(3))), "1 && (2 && 3)"),
        (Or(And(T, F), Or(T, F)), "true && false || (true || false)"),
        (And(Or(T, F), T), "(true || false) && true"),
        (Compare("<", Compare("<", Lit(1), Lit(2)), T), "(1 < 2) < true"),
        (Compare("==", Not(T), Or(T, F)), "!true == (true || false)"),
        (Index(Compare("==", Lit(1), Lit(2)), 0), "(1 == 2)[0]"),
        (Prop(InputRef("a", None), "b"), "($inputs.a).b"),
        (Prop(Lit("s"), "b"), "('s').b"),
        (Index(InputRef("a", None), 2), "$inputs.a[2]"),
        (Index(Prop(Index(ITEMS, 0), "x"), 1), "$response.body#/items[0].x[1]"),
        (Lit(0.1), "0.1"),
        (Lit(1e100), "1e+100"),
        (Lit(-0.0), "-0.0"),
        (Lit("a'b"), "'a''b'"),
    ],
)
def test_unparse_built_trees(node: Node, text: str) -> None:
    assert unparse(node) == text
    assert str(node) == text
    assert same(parse_condition(text), node)


@given(st.text())
def test_any_string_literal_round_trips(value: str) -> None:
    assert same(parse_condition(unparse(Lit(value))), Lit(value))


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_any_number_round_trips(value: float) -> None:
    assert same(parse_condition(unparse(Lit(value))), Lit(value))


CONDITION_ERRORS: list[tuple[str, int, str]] = [
    ("", 0, "empty condition"),
    ("   ", 3, "empty condition"),
    (
        "$[?count(@.pets) > 0]",
        1,
        f"unknown expression root '$'; expected one of {ROOTS}{JSONPATH_HINT}",
    ),
    ("$foo == 1", 1, f"unknown expression root '$foo'; expected one of {ROOTS}"),
    (
        "$request.foo",
        9,
        "'$request.' must be followed by header., query., path. or body",
    ),
    ("$request.body#/a~2 == 1", 16, "invalid JSON pointer escape '~2'" + ESCAPE_HINT),
    ("$statusCode == 200 && $inputs.", 30, "empty input name"),
    ("'abc", 0, "unterminated string literal"),
    ("$statusCode == 'it''s", 15, "unterminated string literal"),
    (
        "(1 == 1",
        7,
        "expected ')' to close the '(' at offset 0, found the end of the condition",
    ),
    (
        "((1) == 2",
        9,
        "expected ')' to close the '(' at offset 0, found the end of the condition",
    ),
    ("(1 2)", 3, "expected ')' to close the '(' at offset 0, found '2'"),
    ("1 == 1)", 6, "unexpected ')'" + TRAILING),
    ("$statusCode == 200 200", 19, "unexpected '200'" + TRAILING),
    ("'a'[0]", 3, "unexpected '['" + TRAILING),
    ("true false", 5, "unexpected 'false'" + TRAILING),
    ("1 < 2 < 3", 6, "comparisons cannot be chained; use parentheses and '&&'"),
    ("1 == 1 != true", 7, "comparisons cannot be chained; use parentheses and '&&'"),
    ("1 = 1", 2, "'=' is not an operator; did you mean '=='?"),
    ("$statusCode=200", 11, "'=' is not an operator; did you mean '=='?"),
    ("true & false", 5, "'&' is not an operator; did you mean '&&'?"),
    ("true | false", 5, "'|' is not an operator; did you mean '||'?"),
    ('"x" == 1', 0, "string literals must use single quotes"),
    ("foo == 1", 0, "unknown word 'foo'" + UNKNOWN_WORD),
    ("True", 0, "unknown word 'True'" + UNKNOWN_WORD),
    ("== 1", 0, PRIMARY + "'=='"),
    ("1 ==", 4, PRIMARY + "the end of the condition"),
    ("1 &&", 4, PRIMARY + "the end of the condition"),
    ("!", 1, PRIMARY + "the end of the condition"),
    ("()", 1, PRIMARY + "')'"),
    ("[0]", 0, PRIMARY + "'['"),
    ("01", 0, "numbers must not have leading zeros"),
    ("-", 1, "expected a digit after '-'"),
    ("- 1", 1, "expected a digit after '-'"),
    ("1.", 2, "expected a digit after the decimal point"),
    ("1.e5", 2, "expected a digit after the decimal point"),
    ("1e", 2, "expected a digit in the exponent"),
    ("1e+", 3, "expected a digit in the exponent"),
    ("1e999", 0, "number is too large"),
    ("$inputs.list[-1]", 13, "an index must be a non-negative integer"),
    ("$inputs.list[1.5]", 13, "an index must be a non-negative integer"),
    ("$inputs.list[true]", 13, "an index must be a non-negative integer"),
    ("$inputs.list['0']", 13, "an index must be a non-negative integer"),
    ("$inputs.list[$inputs.i]", 13, "an index must be a non-negative integer"),
    ("$inputs.list[]", 13, "an index must be a non-negative integer"),
    ("$inputs.list[0", 14, "expected ']', found the end of the condition"),
    ("$inputs.list[0 1]", 15, "expected ']', found '1'"),
    ("$inputs.a .b", 10, "'.b' may only follow ']' or ')'"),
    ("($inputs.a).", 12, "expected a property name after '.'"),
    ("($inputs.a).+", 12, "expected a property name after '.'"),
    ("$inputs.a,1", 9, "unexpected character ','"),
    ("@", 0, "unexpected character '@'"),
]


@pytest.mark.parametrize(("text", "offset", "message"), CONDITION_ERRORS)
def test_parse_condition_errors(text: str, offset: int, message: str) -> None:
    assert error_of(parse_condition, text) == (offset, message)
