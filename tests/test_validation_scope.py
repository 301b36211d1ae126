"""The scope a large OpenAPI document is validated in: one path item and what it reaches."""

from __future__ import annotations

from typing import Any

from generator.spec.validation import scoped_data

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/Ok"}}}},
        "/b": {"get": {"responses": {"200": {"description": "b"}}}},
    },
    "components": {
        "responses": {
            "Ok": {
                "description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}},
            }
        },
        "schemas": {
            "A": {"properties": {"b": {"$ref": "#/components/schemas/B/properties/c"}}},
            "B": {"properties": {"c": {"$ref": "#/components/schemas/A"}}, "x": 1},
            "Unused": {"type": "objekt"},
        },
    },
    "webhooks": {"w": {"post": {"responses": {"200": {"description": "w"}}}}},
}


def test_a_scope_holds_the_path_item_and_what_it_reaches_through_refs() -> None:
    scoped = scoped_data(DOCUMENT, "/a")
    assert scoped["info"] is DOCUMENT["info"]
    assert scoped["paths"] == {"/a": DOCUMENT["paths"]["/a"]}
    assert "webhooks" not in scoped
    schemas = scoped["components"]["schemas"]
    assert schemas["A"] is DOCUMENT["components"]["schemas"]["A"]
    # only the part of B a $ref names, which leads back to A (a cycle, followed once)
    assert schemas["B"] == {"properties": {"c": {"$ref": "#/components/schemas/A"}}}
    assert "Unused" not in schemas
    assert scoped["components"]["responses"]["Ok"] is DOCUMENT["components"]["responses"]["Ok"]
    # the document itself is left as it was
    assert set(DOCUMENT["components"]["schemas"]) == {"A", "B", "Unused"}


def test_a_ref_to_a_missing_node_leaves_it_out_for_the_validator_to_report() -> None:
    document = {"openapi": "3.1.0", "paths": {"/a": {"$ref": "#/components/pathItems/none"}}}
    scoped = scoped_data(document, "/a")
    assert scoped == {"openapi": "3.1.0", "paths": {"/a": {"$ref": "#/components/pathItems/none"}}}
