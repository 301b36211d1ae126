"""Spec model: every place where an OpenAPI document is invalid, by its path.

openapi-spec-validator checks a document in two passes: its OpenAPI version's JSON
Schema over the raw document (each error carries the path to its node), then
checks that follow `$ref`s (each Schema Object against its dialect, default
values, path templates against the declared path parameters, unique
operationIds), whose errors carry no location, and where the first `$ref` that
cannot be resolved stops everything. Here the second pass is driven one unit at
a time: the parameters of each path item, each operation, each component schema,
the tags. So a problem is known by the path that leads to it from the document
root (through `$ref`s: `OpenApiDocument` turns that into a file and a node), and
a broken `$ref` in one operation no longer hides the problems of the others.

Nothing is reported here. Whether a problem blocks generation depends on what
the workflows read (see `OpenApiDocument.use` in `generator.spec.openapi`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: Keywords that only describe: arazzo-gen never reads them, so a problem with one
#: cannot change generated code.
ANNOTATIONS = frozenset(
    {
        "description",
        "summary",
        "title",
        "example",
        "examples",
        "externalDocs",
        "deprecated",
        "default",
        "$comment",
    }
)
#: Root fields arazzo-gen does not read; a missing one is not a reason to stop.
_UNREAD_ROOT = frozenset({"info"})
_MAX_MESSAGE = 300


@dataclass(frozen=True)
class Problem:
    """One validation problem: what is wrong, and the path to where it is.

    `path` starts at the document root and may pass through `$ref`s (as the
    validator walked it). `ref` marks a `$ref` that cannot be resolved."""

    message: str
    path: tuple[str, ...]
    ref: bool = False

    def as_json(self) -> list[Any]:
        return [self.message, list(self.path), self.ref]

    @classmethod
    def from_json(cls, item: Any) -> Problem | None:
        if not (isinstance(item, list) and len(item) == 3):
            return None
        message, path, ref = item
        if not (isinstance(message, str) and isinstance(path, list) and isinstance(ref, bool)):
            return None
        if not all(isinstance(token, str) for token in path):
            return None
        return cls(message, tuple(path), ref)


def validate(validator_class: Any, data: Any, base_uri: str) -> list[Problem]:
    """Every problem openapi-spec-validator finds in `data`, each with its path.

    `validator_class` is one of its `OpenAPIV3xSpecValidator` classes (or a
    subclass with other `$ref` retrieval handlers)."""
    located = _located_validator(validator_class)
    validator = located(data, base_uri=base_uri)
    found: list[Problem] = []
    try:
        for error in validator.schema_validator.iter_errors(data):
            error = _specific(error)
            found.append(_problem(error, tuple(str(t) for t in error.absolute_path)))
    except Exception as exc:  # the document's structure defeats the schema itself
        found.append(Problem(_first_line(str(exc)) or type(exc).__name__, ()))
    registry = validator.keyword_validators_registry
    root = validator.schema_path
    try:
        units = _units(registry, root, validator_class)
    except Exception as exc:  # the document's structure could not even be walked
        units = [((), _raise(exc))]
    for unit, check in units:
        schemas = registry["schema"]
        schemas.visited_schema_ids = []  # each unit reports what it reaches itself
        schemas.meta_checked_schema_ids = []
        try:
            for error in check():
                if isinstance(error, _Stopped):  # in one response; the rest was checked
                    found.append(_exception_problem(error.cause, (*unit, *error.where), root))
                else:
                    found.append(_keyword_problem(error, unit))
        except Exception as exc:  # an unresolvable $ref stops the validator's walk
            found.append(_exception_problem(exc, unit, root))
    unique: dict[tuple[str, tuple[str, ...]], Problem] = {}
    for problem in found:
        unique.setdefault((problem.message, problem.path), problem)
    return list(unique.values())


def _units(
    registry: Any, root: Any, validator_class: Any
) -> list[tuple[tuple[str, ...], Callable[[], Iterable[Any]]]]:
    """(path, check) for each unit of the second pass, in document order. A path
    item that cannot even be read is a unit whose check raises why."""
    operations = list(validator_class.keyword_validators["path"].OPERATIONS)
    units: list[tuple[tuple[str, ...], Callable[[], Iterable[Any]]]] = []
    if "tags" in root and "tags" in registry.keyword_validators:
        units.append((("tags",), _bind(registry["tags"], root / "tags")))
    paths = root / "paths" if "paths" in root else None
    if paths is not None and isinstance(paths.read_value(), dict):
        for url in [str(u) for u in paths.read_value()]:
            item = paths / url
            try:
                fields = item.read_value()
                if not isinstance(fields, dict):
                    continue
                methods = [str(m) for m in fields]
            except Exception as exc:
                units.append((("paths", url), _raise(exc)))
                continue
            shared = item / "parameters" if "parameters" in methods else None
            if shared is not None:
                units.append((("paths", url, "parameters"), _bind(registry["parameters"], shared)))
            for method in methods:
                if method in operations:
                    check = _bind(registry["operation"], url, method, item / method, shared)
                    units.append((("paths", url, method), check))
    components = root / "components" if "components" in root else None
    if components is not None and "schemas" in components:
        schemas = components / "schemas"
        named = schemas.read_value()
        if isinstance(named, dict):
            for name in [str(n) for n in named]:
                units.append(
                    (("components", "schemas", name), _bind(registry["schema"], schemas / name))
                )
    return units


def _raise(exc: Exception) -> Callable[[], Iterable[Any]]:
    def check() -> Iterable[Any]:
        raise exc

    return check


def _bind(function: Callable[..., Iterable[Any]], *args: Any) -> Callable[[], Iterable[Any]]:
    return lambda: function(*args)


class _Stopped:
    """The validator's walk of one response stopped at `cause` (an unresolvable `$ref`,
    most likely). A broken `$ref` in a response only makes a step's outputs `Any`
    (`OpenApiDocument.use`), so the operation's other responses and its parameters
    must still be checked: each response is walked on its own."""

    def __init__(self, cause: Exception, where: tuple[str, ...]) -> None:
        self.cause = cause
        self.where = where


def _responses_checker(base: Any) -> Any:
    """The validator's responses checker, one response at a time (see `_Stopped`)."""

    def call(self: Any, responses: Any) -> Iterator[Any]:
        for code, response in responses.items():
            try:
                yield from self.response_validator(code, response)
            except Exception as exc:
                yield _Stopped(exc, ("responses", str(code)))

    return type(base.__name__, (base,), {"__call__": call})


def _located_validator(validator_class: Any) -> Any:
    """`validator_class` whose schema checker records which schema each error is about,
    and whose responses checker goes on after a response it cannot walk."""
    base = validator_class.keyword_validators["schema"]

    def call(self: Any, schema: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for error in base.__call__(self, schema, *args, **kwargs):
            if getattr(error, "arazzo_gen_schema", None) is None:
                error.arazzo_gen_schema = tuple(str(part) for part in schema.parts)
            yield error

    schema_checker = type(base.__name__, (base,), {"__call__": call})
    keywords = {
        **validator_class.keyword_validators,
        "schema": schema_checker,
        "responses": _responses_checker(validator_class.keyword_validators["responses"]),
    }
    return type(validator_class.__name__, (validator_class,), {"keyword_validators": keywords})


def _specific(error: Any) -> Any:
    """The most specific error inside `oneOf`/`anyOf` alternatives. Where a value may
    be a Reference Object or something else, it is not a Reference Object (it would
    have a `$ref`), so the other alternative's errors are the ones that explain."""
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    for _ in range(64):
        context = [
            e
            for e in error.context or ()
            if not (e.validator == "required" and e.validator_value == ["$ref"])
        ]
        if not context:
            return error
        error = best_match(context)
    return error


def _keyword_problem(error: Any, unit: tuple[str, ...]) -> Problem:
    from openapi_spec_validator.validation.exceptions import (
        DuplicateOperationIDError,
        OpenAPIValidationError,
        ParameterDuplicateError,
        UnresolvableParameterError,
    )

    schema = getattr(error, "arazzo_gen_schema", None)
    if schema is not None:
        # a Schema Object's own problem, or (plain ValidationError) its default value's
        inside = () if isinstance(error, OpenAPIValidationError) else ("default",)
        return _problem(error, schema + inside + tuple(str(t) for t in error.path))
    if isinstance(error, DuplicateOperationIDError):
        return _problem(error, (*unit, "operationId"))
    if isinstance(error, (ParameterDuplicateError, UnresolvableParameterError)):
        return _problem(error, unit)
    return _problem(error, unit)


def _problem(error: Any, path: tuple[str, ...]) -> Problem:
    """A problem at `path`, moved onto the one field the error is about where the
    error names it: a missing annotation, or a field that is not allowed."""
    validator = getattr(error, "validator", None)
    instance = getattr(error, "instance", None)
    message = _first_line(getattr(error, "message", None) or str(error))
    if validator == "required" and isinstance(instance, dict):
        wanted = getattr(error, "validator_value", None)
        missing = [p for p in wanted if p not in instance] if isinstance(wanted, list) else []
        if missing and all(p in ANNOTATIONS or p in _UNREAD_ROOT for p in missing):
            path = (*path, str(missing[0]))
    elif validator in ("additionalProperties", "unevaluatedProperties") and isinstance(
        instance, dict
    ):
        extra = next((k for k in instance if repr(k) in message), None)
        if extra is not None:
            path = (*path, str(extra))
    return Problem(message, path)


def _exception_problem(exc: Exception, unit: tuple[str, ...], root: Any) -> Problem:
    """A problem for an exception that stopped the validation of one unit."""
    message = _first_line(str(exc)) or type(exc).__name__
    ref = getattr(exc, "ref", None)
    if not isinstance(ref, str):
        return Problem(message, unit)
    where = _find_ref(root.read_value(), unit, ref)
    shown = "#" + ref if ref.startswith("/") else ref
    return Problem(f"$ref {shown!r} cannot be resolved", where or unit, ref=True)


def _find_ref(data: Any, unit: tuple[str, ...], ref: str) -> tuple[str, ...] | None:
    """The path of a `$ref` to `ref` inside the unit at `unit` (not following $refs),
    else anywhere in the document; None when there is none."""
    node = data
    for token in unit:
        node = node.get(token) if isinstance(node, dict) else None
    for start, prefix in ((node, unit), (data, ())):
        stack: list[tuple[Any, tuple[str, ...]]] = [(start, prefix)]
        while stack:
            value, path = stack.pop()
            if isinstance(value, dict):
                target = value.get("$ref")
                if isinstance(target, str) and _same_ref(target, ref):
                    return path
                stack.extend((v, (*path, str(k))) for k, v in reversed(list(value.items())))
            elif isinstance(value, list):
                stack.extend((v, (*path, str(i))) for i, v in reversed(list(enumerate(value))))
    return None


def _same_ref(written: str, reported: str) -> bool:
    """Whether a `$ref` as written is the one the validator could not resolve
    (which it reports as a JSON pointer, or as a URI)."""
    if written == reported or written.lstrip("#") == reported.lstrip("#"):
        return True
    return reported.endswith(written) or written.endswith(reported)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 3] + "..."
