"""Spec model: the parts of an OpenAPI 3.x document a workflow needs.

An OpenAPI document is validated once with openapi-spec-validator, then indexed:
every operation with its method, path template, merged path-item and operation
parameters, request body media types and response schemas. `$ref`s are followed
here, at generation time, within the document and into sibling files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

from generator.cache import Memo, digest
from generator.diagnostics import Diagnostics, Span
from generator.load import Document, Loader, join_pointer, split_pointer
from generator.sources import SourceLoader

HTTP_METHODS = (
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "query",
)


@dataclass(frozen=True)
class Located:
    """A value found in some document, with the pointer it was found at."""

    doc: Document
    pointer: str
    value: Any

    @property
    def span(self) -> Span:
        return self.doc.span(self.pointer)


@dataclass(frozen=True)
class OperationParameter:
    name: str
    location: str
    required: bool
    schema: Located | None
    style: str | None
    explode: bool | None
    allow_reserved: bool = False
    media_type: str | None = None  # the one key of `content`, when it replaces `schema`


@dataclass(frozen=True)
class Operation:
    operation_id: str | None
    method: str  # upper case, e.g. "POST"
    path: str  # the path template, e.g. "/contacts/{InstanceId}"
    summary: str | None
    description: str | None
    parameters: tuple[OperationParameter, ...]
    request_media: dict[str, Located | None]  # media type -> schema
    responses: dict[str, dict[str, Located | None]]  # status -> media type -> schema
    located: Located


@dataclass
class OpenApiDocument:
    doc: Document
    version: str
    servers: tuple[str, ...]
    operations: tuple[Operation, ...]
    resolver: Resolver

    def by_id(self, operation_id: str) -> list[Operation]:
        return [op for op in self.operations if op.operation_id == operation_id]

    def by_pointer(self, pointer: str) -> Operation | None:
        for op in self.operations:
            if op.located.pointer == pointer and op.located.doc is self.doc:
                return op
        return None


class RefError(Exception):
    """A `$ref` that cannot be followed; `span` is where the `$ref` is written."""

    def __init__(self, message: str, span: Span) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


@dataclass
class Resolver:
    """Follows `$ref`s within a document and into sibling files, detecting cycles."""

    loader: Loader
    max_hops: int = 64
    seen_errors: set[tuple[str, str]] = field(default_factory=set)

    def resolve(self, found: Located) -> Located:
        """The value a (possibly `$ref`) node stands for; raises RefError."""
        hops: list[tuple[Path, str]] = []
        while isinstance(found.value, dict) and isinstance(found.value.get("$ref"), str):
            key = (found.doc.path, found.pointer)
            if key in hops or len(hops) >= self.max_hops:
                raise RefError("$ref cycle: the reference leads back to itself", found.span)
            hops.append(key)
            found = self._follow(found, found.value["$ref"])
        return found

    def _follow(self, found: Located, ref: str) -> Located:
        file_part, _, fragment = ref.partition("#")
        doc = found.doc
        if file_part:
            via = found.doc.span(join_pointer(found.pointer, "$ref"))
            if isinstance(self.loader, SourceLoader) and (
                url := self.loader.ref_url(found.doc, file_part)
            ):  # a $ref in a fetched document, or to an absolute http(s) URL
                loaded = self.loader.load_url(url, via=via)
            else:
                target = (found.doc.path.parent / unquote(file_part)).resolve()
                loaded = self.loader.load(target, via=via)
            if loaded is None:
                raise RefError(f"cannot load $ref target {file_part!r}", found.span)
            doc = loaded
        value: Any = doc.data
        for token in split_pointer(unquote(fragment)):
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                raise RefError(f"$ref {ref!r} points to nothing", found.span)
        return Located(doc, unquote(fragment), value)


def read_openapi(doc: Document, loader: Loader, diagnostics: Diagnostics) -> OpenApiDocument | None:
    """Validate and index an OpenAPI document; None when it is unusable."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("openapi"), str):
        diagnostics.error(
            "AG200",
            doc.span(""),
            "not an OpenAPI 3.x document (no 'openapi' version field)",
            "point the source description at an OpenAPI 3.0, 3.1 or 3.2 document",
        )
        return None
    if not _validate(doc, diagnostics, loader.texts.get(doc.display), loader):
        return None
    resolver = Resolver(loader)
    operations = tuple(_operations(doc, resolver, diagnostics))
    return OpenApiDocument(doc, data["openapi"], _servers(data), operations, resolver)


def _validate(doc: Document, diagnostics: Diagnostics, text: str | None, loader: Loader) -> bool:
    """Validate once; a document seen valid before (same bytes, same validator
    version, no `$ref` to other files) is not validated again."""
    memo = Memo.named("openapi-valid")
    key = digest("openapi-spec-validator", version("openapi-spec-validator"), text or "")
    cacheable = text is not None and not _has_external_refs(doc.data)
    if cacheable and memo.get(key) == "valid":
        return True
    valid = _run_validator(doc, diagnostics, loader)
    if valid and cacheable:
        memo.put(key, "valid")
    return valid


def _has_external_refs(data: Any) -> bool:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _run_validator(doc: Document, diagnostics: Diagnostics, loader: Loader) -> bool:
    from openapi_spec_validator import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )
    from openapi_spec_validator.validation.validators import SpecValidator

    version: str = doc.data["openapi"]
    validators = {
        "3.0": OpenAPIV30SpecValidator,
        "3.1": OpenAPIV31SpecValidator,
        "3.2": OpenAPIV32SpecValidator,
    }
    validator = validators.get(version[:3])
    if validator is None:
        diagnostics.error(
            "AG201",
            doc.span("/openapi"),
            f"unsupported OpenAPI version {version!r}",
            "arazzo-gen reads OpenAPI 3.0, 3.1 and 3.2 documents",
        )
        return False
    base_uri = doc.path.as_uri()
    if isinstance(loader, SourceLoader):  # $refs to http(s) URLs go through its cache
        base_uri = loader.base_uri(doc)
        handlers = loader.ref_handlers(validator.resolver_handlers)
        validator = cast(
            "type[SpecValidator]",
            type(validator.__name__, (validator,), {"resolver_handlers": handlers}),
        )
    ok = True
    try:
        for error in validator(doc.data, base_uri=base_uri).iter_errors():
            pointer = join_pointer("", *getattr(error, "absolute_path", ()))
            message = str(getattr(error, "message", error)).splitlines()[0]
            diagnostics.error(
                "AG202",
                doc.span(pointer),
                f"invalid OpenAPI document: {message[:300]}",
                "fix the OpenAPI document so it validates against its version's schema",
            )
            ok = False
    except Exception as exc:  # the validator raises on unresolvable $refs and such
        diagnostics.error(
            "AG202",
            doc.span(""),
            f"invalid OpenAPI document: {str(exc).splitlines()[0][:300]}",
            "check the document's $refs",
        )
        return False
    return ok


def _servers(data: dict[str, Any]) -> tuple[str, ...]:
    """Server URLs with every variable replaced by its default value."""
    urls = []
    for server in data.get("servers") or []:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url: str = server["url"]
        for name, variable in (server.get("variables") or {}).items():
            if isinstance(variable, dict) and "default" in variable:
                url = url.replace("{" + name + "}", str(variable["default"]))
        urls.append(url)
    return tuple(urls)


def _operations(doc: Document, resolver: Resolver, diagnostics: Diagnostics) -> Iterator[Operation]:
    paths = doc.data.get("paths") or {}
    for path, item in paths.items():
        try:
            path_item = resolver.resolve(Located(doc, join_pointer("/paths", path), item))
        except RefError as exc:
            diagnostics.error("AG203", exc.span, exc.message, "fix the path item's $ref")
            continue
        if not isinstance(path_item.value, dict):
            continue
        for method in HTTP_METHODS:
            if isinstance(path_item.value.get(method), dict):
                try:
                    yield _operation(path, method, path_item, resolver)
                except RefError as exc:
                    diagnostics.error("AG203", exc.span, exc.message, "fix the $ref")


def _operation(path: str, method: str, path_item: Located, resolver: Resolver) -> Operation:
    op = Located(path_item.doc, join_pointer(path_item.pointer, method), path_item.value[method])
    value = op.value
    params = _parameters(path_item, resolver) | _parameters(op, resolver)
    return Operation(
        operation_id=(
            value.get("operationId") if isinstance(value.get("operationId"), str) else None
        ),
        method=method.upper(),
        path=path,
        summary=value.get("summary"),
        description=value.get("description"),
        parameters=tuple(params.values()),
        request_media=_request_media(op, resolver),
        responses=_responses(op, resolver),
        located=op,
    )


def _child(parent: Located, *tokens: str | int) -> Located:
    value = parent.value
    for token in tokens:
        if isinstance(value, list) and isinstance(token, int) and token < len(value):
            value = value[token]
        else:
            value = value.get(token) if isinstance(value, dict) else None
    return Located(parent.doc, join_pointer(parent.pointer, *tokens), value)


def _parameters(owner: Located, resolver: Resolver) -> dict[tuple[str, str], OperationParameter]:
    """Parameters keyed by (name, location); operation-level ones override path-level."""
    result: dict[tuple[str, str], OperationParameter] = {}
    for index, _ in enumerate(owner.value.get("parameters") or []):
        param = resolver.resolve(_child(owner, "parameters", index))
        value = param.value
        if not isinstance(value, dict):
            continue
        name, location = str(value.get("name", "")), str(value.get("in", ""))
        schema = resolver.resolve(_child(param, "schema")) if "schema" in value else None
        result[(name, location)] = OperationParameter(
            name=name,
            location=location,
            required=bool(value.get("required", location == "path")),
            schema=schema,
            style=value.get("style"),
            explode=value.get("explode"),
            allow_reserved=value.get("allowReserved") is True,
            media_type=(
                next(iter(content), None)
                if isinstance(content := value.get("content"), dict)
                else None
            ),
        )
    return result


def _media(content: Located, resolver: Resolver) -> dict[str, Located | None]:
    media: dict[str, Located | None] = {}
    if not isinstance(content.value, dict):
        return media
    for media_type, entry in content.value.items():
        has_schema = isinstance(entry, dict) and "schema" in entry
        media[media_type] = (
            resolver.resolve(_child(content, media_type, "schema")) if has_schema else None
        )
    return media


def _request_media(op: Located, resolver: Resolver) -> dict[str, Located | None]:
    if "requestBody" not in op.value:
        return {}
    body = resolver.resolve(_child(op, "requestBody"))
    return _media(_child(body, "content"), resolver)


def _responses(op: Located, resolver: Resolver) -> dict[str, dict[str, Located | None]]:
    result: dict[str, dict[str, Located | None]] = {}
    responses = _child(op, "responses")
    if not isinstance(responses.value, dict):
        return result
    for status in responses.value:
        response = resolver.resolve(_child(responses, status))
        result[str(status)] = _media(_child(response, "content"), resolver)
    return result
