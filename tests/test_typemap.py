"""Tests for generator.typemap: JSON Schema to the annotations of generated code.

The annotation text is what a user sees in a generated function signature or
outputs class, so most tests compare `schema_type(...).annotation()` with the
exact text expected there.
"""

from __future__ import annotations

import ast
from typing import Any

import pytest

from generator.typemap import (
    ANY,
    NONE,
    STR,
    PyType,
    optional,
    schema_at,
    schema_type,
    union,
)


def no_refs(schema: dict[str, Any]) -> Any:
    raise AssertionError(f"unexpected $ref lookup: {schema!r}")


def resolver(schemas: dict[str, Any]) -> Any:
    """A resolver over a `{"#/name": schema}` table, counting lookups."""
    calls: list[str] = []

    def resolve(schema: dict[str, Any]) -> Any:
        calls.append(schema["$ref"])
        return schemas.get(schema["$ref"])

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def annotation(schema: Any, *, inbound: bool = True, resolve: Any = no_refs) -> str:
    return schema_type(schema, resolve, inbound=inbound).annotation()


# --- simple types -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "str"),
        ({"type": "string", "format": "date-time"}, "str"),
        ({"type": "integer"}, "int"),
        ({"type": "number"}, "float"),
        ({"type": "boolean"}, "bool"),
        ({"type": "null"}, "None"),
        ({}, "Any"),
        ({"description": "no type"}, "Any"),
        ({"type": "unknown-type"}, "Any"),
        ({"allOf": [{"type": "string"}]}, "Any"),
        (True, "Any"),
        (None, "Any"),
    ],
)
def test_simple_types(schema: Any, expected: str) -> None:
    assert annotation(schema) == expected
    assert annotation(schema, inbound=False) == expected


# --- enums and const --------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "enum": ["VOICE", "CHAT"]}, "Literal['VOICE', 'CHAT']"),
        ({"enum": ["a", "b", "a"]}, "Literal['a', 'b']"),
        ({"enum": [1, 2, 3]}, "Literal[1, 2, 3]"),
        ({"enum": ["a", None]}, "Literal['a'] | None"),
        ({"enum": [None, "b", "a"]}, "Literal['b', 'a'] | None"),
        ({"enum": [None]}, "None"),
        ({"const": "fixed"}, "Literal['fixed']"),
        ({"const": None}, "None"),
        ({"const": 0}, "Literal[0]"),
    ],
)
def test_enums_and_const_become_literals(schema: dict[str, Any], expected: str) -> None:
    assert annotation(schema) == expected


def test_literal_values_are_python_literals_not_pasted_text() -> None:
    text = annotation({"enum": ["it's", 'say "hi"', "back\\slash", "new\nline"]})
    tree = ast.parse(text, mode="eval").body
    assert isinstance(tree, ast.Subscript)
    assert isinstance(tree.slice, ast.Tuple)
    values = [ast.literal_eval(element) for element in tree.slice.elts]
    assert values == ["it's", 'say "hi"', "back\\slash", "new\nline"]


@pytest.mark.parametrize(
    "schema",
    [
        {"enum": [1.5, 2.5]},
        {"enum": [{"a": 1}]},
        {"enum": [[1]]},
        {"enum": []},
        {"const": 2.5},
    ],
)
def test_values_that_cannot_be_literals_fall_back(schema: dict[str, Any]) -> None:
    assert annotation(schema) == "Any"


def test_boolean_and_integer_enum_values_are_distinct() -> None:
    assert annotation({"enum": [1, "x", True]}) == "Literal[1, 'x', True]"
    assert annotation({"enum": [True, 1]}) == "Literal[True, 1]"
    assert annotation({"enum": [0, False]}) == "Literal[0, False]"


# --- type lists (3.1) and nullable (3.0) ------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["string", "null"]}, "str | None"),
        ({"type": ["null", "string"]}, "str | None"),
        ({"type": ["string", "integer"]}, "str | int"),
        ({"type": ["string", "string"]}, "str"),
        ({"type": ["array", "null"], "items": {"type": "integer"}}, "list[int] | None"),
        ({"type": "string", "nullable": True}, "str | None"),
        ({"type": "integer", "nullable": False}, "int"),
        ({"type": ["string", "null"], "nullable": True}, "str | None"),
        ({"type": []}, "Any"),
    ],
)
def test_type_lists_and_nullable(schema: dict[str, Any], expected: str) -> None:
    assert annotation(schema) == expected


# --- arrays and objects -----------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "inbound", "expected"),
    [
        ({"type": "array", "items": {"type": "string"}}, True, "list[str]"),
        ({"type": "array"}, True, "list[Any]"),
        (
            {"type": "array", "items": {"type": "array", "items": {"type": "boolean"}}},
            False,
            "list[list[bool]]",
        ),
        ({"type": "object"}, True, "Mapping[str, Any]"),
        ({"type": "object"}, False, "dict[str, Any]"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, True, "Mapping[str, str]"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, False, "dict[str, str]"),
        ({"type": "object", "additionalProperties": True}, True, "Mapping[str, Any]"),
        ({"type": "object", "additionalProperties": False}, False, "dict[str, Any]"),
        (
            # Declared properties of other types: the values are not all strings.
            {
                "type": "object",
                "properties": {"n": {"type": "integer"}},
                "additionalProperties": {"type": "string"},
            },
            True,
            "Mapping[str, Any]",
        ),
        (
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "object"}},
            },
            True,
            "Mapping[str, list[Mapping[str, Any]]]",
        ),
        (
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "object"}},
            },
            False,
            "dict[str, list[dict[str, Any]]]",
        ),
    ],
)
def test_arrays_and_objects(schema: dict[str, Any], inbound: bool, expected: str) -> None:
    assert annotation(schema, inbound=inbound) == expected


def test_names_lists_the_imports_an_annotation_needs() -> None:
    inbound = schema_type(
        {"type": "object", "additionalProperties": {"enum": ["a", None]}}, no_refs, inbound=True
    )
    assert inbound.annotation() == "Mapping[str, Literal['a'] | None]"
    assert inbound.names() == {"Mapping", "Literal"}
    outbound = schema_type({"type": "object", "additionalProperties": {}}, no_refs, inbound=False)
    assert outbound.annotation() == "dict[str, Any]"
    assert outbound.names() == {"Any"}
    assert STR.names() == set()


# --- unions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "str | int"),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "str | None"),
        ({"anyOf": [{"type": "null"}, {"type": "string"}]}, "str | None"),
        ({"oneOf": [{"type": "string"}, {"type": "string"}]}, "str"),
        (
            {"oneOf": [{"type": "integer"}, {"oneOf": [{"type": "string"}, {"type": "integer"}]}]},
            "int | str",
        ),
        ({"oneOf": [{"type": "string"}, {}]}, "Any"),
        ({"oneOf": [{"enum": ["a"]}, {"type": "null"}]}, "Literal['a'] | None"),
    ],
)
def test_one_of_and_any_of_become_unions(schema: dict[str, Any], expected: str) -> None:
    assert annotation(schema) == expected


def test_union_helpers_flatten_and_put_none_last() -> None:
    assert union(STR) is STR
    assert union(NONE, STR).annotation() == "str | None"
    assert optional(optional(STR)).annotation() == "str | None"
    assert union(STR, ANY) == ANY
    assert PyType("list", args=(optional(STR),)).annotation() == "list[str | None]"


# --- $ref -------------------------------------------------------------------------


def test_refs_are_followed_through_the_resolver() -> None:
    resolve = resolver(
        {
            "#/Channel": {"type": "string", "enum": ["VOICE", "CHAT"]},
            "#/Alias": {"$ref": "#/Channel"},
            "#/Tags": {"type": "object", "additionalProperties": {"$ref": "#/Alias"}},
        }
    )
    assert annotation({"$ref": "#/Alias"}, resolve=resolve) == "Literal['VOICE', 'CHAT']"
    assert annotation({"$ref": "#/Tags"}, resolve=resolve, inbound=False) == (
        "dict[str, Literal['VOICE', 'CHAT']]"
    )
    assert annotation({"type": "array", "items": {"$ref": "#/Channel"}}, resolve=resolve) == (
        "list[Literal['VOICE', 'CHAT']]"
    )


def test_unresolvable_ref_is_any() -> None:
    assert annotation({"$ref": "#/Nowhere"}, resolve=resolver({})) == "Any"


@pytest.mark.parametrize(
    ("name", "expected_prefix"),
    # a $ref met again inside its own expansion is typed Any: one level, then Any
    [("#/Self", "Any"), ("#/Node", "Mapping[str, Any]"), ("#/Nested", "list[Any]")],
)
def test_self_referencing_schemas_terminate(name: str, expected_prefix: str) -> None:
    resolve = resolver(
        {
            "#/Self": {"$ref": "#/Self"},
            "#/Node": {"type": "object", "additionalProperties": {"$ref": "#/Node"}},
            "#/Nested": {"type": "array", "items": {"$ref": "#/Nested"}},
        }
    )
    text = annotation({"$ref": name}, resolve=resolve)
    assert text.startswith(expected_prefix)
    assert text.endswith("Any" + "]" * text.count("["))
    assert len(resolve.calls) <= 2  # each $ref is expanded once on a path
    ast.parse(text, mode="eval")


# --- schema_at --------------------------------------------------------------------

CONTACT = {
    "type": "object",
    "required": ["Contact"],
    "properties": {
        "Contact": {"$ref": "#/Contact"},
        "Tags": {"type": "object", "additionalProperties": {"type": "string"}},
        "Items": {"type": "array", "items": {"type": "object", "properties": {"n": {}}}},
    },
}
CONTACT_REFS = {
    "#/Contact": {
        "type": "object",
        "required": ["Id", "Channel"],
        "properties": {
            "Id": {"type": "string"},
            "Channel": {"$ref": "#/Channel"},
            "Name": {"type": "string"},
        },
    },
    "#/Channel": {"type": "string", "enum": ["VOICE", "CHAT"]},
}


@pytest.mark.parametrize(
    ("tokens", "schema", "required"),
    [
        ((), CONTACT, True),
        (("Contact",), CONTACT_REFS["#/Contact"], True),
        (("Contact", "Id"), {"type": "string"}, True),
        (("Contact", "Channel"), CONTACT_REFS["#/Channel"], True),
        (("Contact", "Name"), {"type": "string"}, False),
        (("Tags",), CONTACT["properties"]["Tags"], False),  # type: ignore[index]
        (("Tags", "anything"), {"type": "string"}, False),
        (("Items", "3"), {"type": "object", "properties": {"n": {}}}, False),
        (("Items", "3", "n"), {}, False),
    ],
)
def test_schema_at_follows_properties_items_and_additional_properties(
    tokens: tuple[str, ...], schema: Any, required: bool
) -> None:
    assert schema_at(CONTACT, tokens, resolver(CONTACT_REFS)) == (schema, required)


@pytest.mark.parametrize(
    "tokens",
    [("Nope",), ("Contact", "Nope"), ("Contact", "Id", "deeper"), ("Items", "first")],
)
def test_schema_at_reports_paths_the_schema_does_not_describe(tokens: tuple[str, ...]) -> None:
    assert schema_at(CONTACT, tokens, resolver(CONTACT_REFS)) == (None, False)


def test_schema_at_through_a_recursive_schema_terminates() -> None:
    resolve = resolver({"#/Node": {"type": "object", "properties": {"next": {"$ref": "#/Node"}}}})
    schema, required = schema_at({"$ref": "#/Node"}, ("next",) * 50, resolve)
    assert schema == {"type": "object", "properties": {"next": {"$ref": "#/Node"}}}
    assert required is False
    looping = resolver({"#/Self": {"$ref": "#/Self"}})
    assert schema_at({"$ref": "#/Self"}, ("a",), looping) == (None, False)


def test_schema_at_and_schema_type_type_a_response_output() -> None:
    resolve = resolver(CONTACT_REFS)
    schema, required = schema_at(CONTACT, ("Contact", "Channel"), resolve)
    assert required is True
    assert annotation(schema, inbound=False, resolve=resolve) == "Literal['VOICE', 'CHAT']"


@pytest.mark.parametrize(
    "contact",
    [
        {"type": ["object", "null"], "required": ["Id"], "properties": {"Id": {"type": "string"}}},
        {"type": "object", "nullable": True, "required": ["Id"], "properties": {"Id": {}}},
    ],
)
def test_schema_at_a_nullable_parent_makes_the_path_optional(contact: dict[str, Any]) -> None:
    body = {"type": "object", "required": ["Contact"], "properties": {"Contact": contact}}
    _, required = schema_at(body, ("Contact", "Id"), no_refs)
    assert required is False
