"""Types: JSON Schema to Python annotations, in two stages.

`schema_type` reads a JSON Schema into a small abstract type (`PyType`); the
`annotation` method renders that as annotation source. Literal values in
annotations go through `pysrc.literal`, so enum values from a spec are never
pasted into source text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator import pysrc

#: Follows a `$ref` in a schema; returns the schema it points to, or None.
RefResolver = Callable[[dict[str, Any]], Any]

_MAX_DEPTH = 32

#: Names annotations in generated modules use: fields named like them would shadow them.
ANNOTATION_NAMES = (
    "str", "int", "float", "bool", "bytes", "list", "dict", "object", "None",
    "Any", "Literal", "Mapping", "Final", "TypedDict", "Callable", "Awaitable",
)  # fmt: skip


@dataclass(frozen=True)
class PyType:
    """An abstract Python type: a name with type arguments, a Literal, or a union."""

    kind: str  # "name", "list", "mapping", "dict", "literal", "union"
    name: str = ""
    args: tuple[PyType, ...] = ()
    values: tuple[Any, ...] = ()

    def annotation(self) -> str:
        if self.kind == "name":
            return self.name
        if self.kind == "list":
            return f"list[{self.args[0].annotation()}]"
        if self.kind in ("mapping", "dict"):
            container = "Mapping" if self.kind == "mapping" else "dict"
            return f"{container}[str, {self.args[0].annotation()}]"
        if self.kind == "literal":
            return "Literal[" + ", ".join(pysrc.literal(v) for v in self.values) + "]"
        return " | ".join(member.annotation() for member in self.args)

    @property
    def is_any(self) -> bool:
        return self.kind == "name" and self.name == "Any"

    def names(self) -> set[str]:
        """Names from `typing` / `collections.abc` the annotation needs imported."""
        own = {"name": {self.name}, "mapping": {"Mapping"}, "literal": {"Literal"}}
        found = set(own.get(self.kind, set())) & {"Any", "Mapping", "Literal"}
        for arg in self.args:
            found |= arg.names()
        return found


ANY = PyType("name", "Any")
STR = PyType("name", "str")
INT = PyType("name", "int")
FLOAT = PyType("name", "float")
BOOL = PyType("name", "bool")
NONE = PyType("name", "None")
BYTES = PyType("name", "bytes")  # inbound binary strings: the caller passes bytes

_SIMPLE = {
    "string": STR,
    "integer": INT,
    "number": FLOAT,
    "boolean": BOOL,
    "null": NONE,
}


def union(*members: PyType) -> PyType:
    """A flattened, de-duplicated union; `Any` absorbs everything else."""
    flat: list[PyType] = []
    for member in members:
        for part in member.args if member.kind == "union" else (member,):
            if part.is_any:
                return ANY
            if part not in flat:
                flat.append(part)
    if len(flat) == 1:
        return flat[0]
    flat.sort(key=lambda t: t == NONE)  # `None` last reads best: `str | None`
    return PyType("union", args=tuple(flat))


def optional(member: PyType) -> PyType:
    return union(member, NONE)


def schema_type(
    schema: Any,
    resolve: RefResolver,
    *,
    inbound: bool,
    depth: int = 0,
    refs: frozenset[str] = frozenset(),
) -> PyType:
    """The Python type of values valid against `schema`.

    `inbound` types are for values the caller passes in (read-only `Mapping`);
    otherwise for values the workflow returns (`dict`). A `$ref` met again inside
    its own expansion (a recursive schema) is `Any`, so typing stays linear.
    """
    if depth > _MAX_DEPTH or not isinstance(schema, dict):
        return ANY
    if "$ref" in schema:
        ref = str(schema["$ref"])
        if ref in refs:
            return ANY
        inner = refs | {ref}
        return schema_type(resolve(schema), resolve, inbound=inbound, depth=depth + 1, refs=inner)
    return _schema_type(schema, resolve, inbound, depth, refs)


def _schema_type(
    schema: dict[str, Any], resolve: RefResolver, inbound: bool, depth: int, refs: frozenset[str]
) -> PyType:
    literal = _literal_type(schema)
    if literal is not None:
        return literal
    for combinator in ("oneOf", "anyOf"):
        if isinstance(schema.get(combinator), list):
            return union(
                *(
                    schema_type(s, resolve, inbound=inbound, depth=depth + 1, refs=refs)
                    for s in schema[combinator]
                )
            )
    types = schema.get("type")
    names = types if isinstance(types, list) else [types] if isinstance(types, str) else []
    if not names:
        return ANY
    found = union(*(_typed(name, schema, resolve, inbound, depth, refs) for name in names))
    return optional(found) if schema.get("nullable") is True else found


def _literal_type(schema: dict[str, Any]) -> PyType | None:
    if "const" in schema:
        values: list[Any] = [schema["const"]]
    elif isinstance(schema.get("enum"), list) and schema["enum"]:
        values = list(schema["enum"])
    else:
        return None
    if not all(v is None or isinstance(v, (str, int, bool)) for v in values):
        return None  # floats, objects and arrays cannot appear in a Literal
    # keyed by type too: True == 1 in Python, but they are different JSON values
    present = tuple({(type(v), v): v for v in values if v is not None}.values())
    literal = PyType("literal", values=present) if present else NONE
    return optional(literal) if None in values and present else literal


def _typed(
    name: str,
    schema: dict[str, Any],
    resolve: RefResolver,
    inbound: bool,
    depth: int,
    refs: frozenset[str],
) -> PyType:
    if name == "string" and inbound and _is_binary(schema):
        return BYTES
    if name in _SIMPLE:
        return _SIMPLE[name]
    if name == "array":
        item = schema_type(
            schema.get("items"), resolve, inbound=inbound, depth=depth + 1, refs=refs
        )
        return PyType("list", args=(item,))
    if name == "object":
        extra = schema.get("additionalProperties")
        value = (
            schema_type(extra, resolve, inbound=inbound, depth=depth + 1, refs=refs)
            if isinstance(extra, dict) and not schema.get("properties")
            else ANY
        )
        return PyType("mapping" if inbound else "dict", args=(value,))
    return ANY


def _is_binary(schema: dict[str, Any]) -> bool:
    """Raw bytes: `format: binary`, or (OpenAPI 3.1) unencoded application/octet-stream."""
    if schema.get("format") == "binary":
        return True
    octets = schema.get("contentMediaType") == "application/octet-stream"
    return octets and "contentEncoding" not in schema


def schema_at(schema: Any, tokens: tuple[str, ...], resolve: RefResolver) -> tuple[Any, bool]:
    """The sub-schema a JSON pointer leads to, and whether every step is required.

    Returns `(None, False)` where the schema does not describe the path.
    """
    required = True
    for token in tokens:
        schema = _deref(schema, resolve)
        if not isinstance(schema, dict):
            return None, False
        if _allows_null(schema):
            required = False
        properties = schema.get("properties")
        if isinstance(properties, dict) and token in properties:
            required = required and token in (schema.get("required") or [])
            schema = properties[token]
        elif isinstance(schema.get("items"), dict) and token.isdigit():
            required, schema = False, schema["items"]
        elif isinstance(schema.get("additionalProperties"), dict):
            required, schema = False, schema["additionalProperties"]
        else:
            return None, False
    return _deref(schema, resolve), required


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        schema.get("nullable") is True
        or kind == "null"
        or (isinstance(kind, list) and "null" in kind)
    )


def _deref(schema: Any, resolve: RefResolver) -> Any:
    for _ in range(_MAX_DEPTH):
        if not (isinstance(schema, dict) and "$ref" in schema):
            return schema
        schema = resolve(schema)
    return None
