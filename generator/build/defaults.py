"""Build stage: checking a workflow input's schema `default` against its schema.

The check uses jsonschema (JSON Schema 2020-12, the dialect Arazzo's inputs use), with
the Arazzo document itself as the resource `$ref`s resolve in, so a schema that points
into `components.inputs` is checked as written.
"""

from __future__ import annotations

from typing import Any


def default_problem(document: Any, schema: dict[str, Any]) -> str | None:
    """Why `schema["default"]` does not fit `schema`; None when it does (or the schema
    itself cannot be used to tell, which the schema's own checks report)."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    root = Resource.from_contents(document, default_specification=DRAFT202012)
    validator = Draft202012Validator(schema, registry=Registry().with_resource("", root))
    try:
        error = best_match(validator.iter_errors(schema["default"]))
    except (Unresolvable, RecursionError, ValueError, TypeError):
        return None
    return None if error is None else error.message[:300]
