"""Spec model: the parts of an OpenAPI 3.x document a workflow needs.

An OpenAPI document is validated once with openapi-spec-validator, then indexed:
every operation with its method, path template, merged path-item and operation
parameters, request body media types and response schemas. `$ref`s are followed
here, at generation time, within the document and into sibling files.

A validation problem blocks generation only where it is in something arazzo-gen
reads for a workflow (`OpenApiDocument.use`): the document's `openapi`, `servers`
and `jsonSchemaDialect`, and for each operation a step calls its path item's and
its own parameters, request body and responses, and every schema they reach,
except annotations (`description`, `summary`, `title`, `example(s)`,
`externalDocs`, `deprecated`, `default`) and unknown keywords. Such a problem is
error AG202 (AG203 for a `$ref` that points to nothing) and the operation is not
compiled. A problem anywhere else (operations no step calls, components they do
not reach, webhooks, security, tags, links, annotations) cannot change the
generated code: it is warning AG204, reported once at the end of a run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from generator.diagnostics import Diagnostics, Span
from generator.load import Document, Loader, join_pointer, split_pointer
from generator.sources import SourceLoader
from generator.spec.problems import Problem
from generator.spec.validation import Validation, is_scoped, validator_for

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
#: An HTTP method: an RFC 9110 token.
_METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


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
    #: as sent: upper case for the fixed fields ("POST"), as written for OpenAPI 3.2's
    #: additionalOperations ("COPY")
    method: str
    path: str  # the path template, e.g. "/contacts/{InstanceId}"
    summary: str | None
    description: str | None
    parameters: tuple[OperationParameter, ...]
    request_media: dict[str, Located | None]  # media type -> schema
    responses: dict[str, dict[str, Located | None]]  # status -> media type -> schema
    located: Located
    #: Where the operation is in the root document (`/paths/~1pets/get`), even when
    #: its path item is a `$ref` to another file.
    pointer: str = ""
    item: Located | None = None  # its path item, after `$ref`s


@dataclass
class OpenApiDocument:
    doc: Document
    version: str
    servers: tuple[str, ...]
    operations: tuple[Operation, ...]
    resolver: Resolver
    #: Validation problems, reported as errors by `use` or as warnings by `report_unused`.
    problems: tuple[Problem, ...] = ()
    #: For a large document: validated in scope, as `use` comes to each path item.
    scope: _Scope | None = None
    _regions: dict[int, Region] = field(default_factory=dict, repr=False)
    _located: dict[int, tuple[Key, Span]] = field(default_factory=dict, repr=False)
    _reported: set[int] = field(default_factory=set, repr=False)
    _broken: set[tuple[str, Span]] = field(default_factory=set, repr=False)

    def by_id(self, operation_id: str) -> list[Operation]:
        return [op for op in self.operations if op.operation_id == operation_id]

    def by_pointer(self, pointer: str) -> Operation | None:
        """The operation at a JSON pointer into the root document (`/paths/~1a/get`)."""
        tokens = split_pointer(pointer)
        for op in self.operations:
            if split_pointer(op.pointer) == tokens:
                return op
        return None

    def under(self, pointer: str) -> list[Operation]:
        """The operations of the path item at a JSON pointer (`/paths/~1a`)."""
        tokens = split_pointer(pointer)
        return [op for op in self.operations if _item_pointer(op) == tokens]

    def use(self, operation: Operation, diagnostics: Diagnostics) -> bool:
        """Note that a step calls `operation`: report (once) every problem in what
        arazzo-gen reads for it as an error. False when there is one: then the
        operation cannot be compiled."""
        if self.scope is not None and operation.path not in self.scope.done:
            self._validate_scope(operation.path, self.scope)
        region = self._regions.get(id(operation))
        if region is None:
            region = self._regions[id(operation)] = _region(self.doc, operation, self.resolver)
        ok = True
        for exc in region.broken:
            ok = False
            if (exc.message, exc.span) not in self._broken:
                self._broken.add((exc.message, exc.span))
                diagnostics.error(
                    "AG203",
                    exc.span,
                    exc.message,
                    f"fix the $ref; {operation.method} {operation.path} reads it",
                )
        self._warn_loose(operation, region, diagnostics)
        typing_only = {exc.span for exc in region.loose} - {exc.span for exc in region.broken}
        for index, problem in enumerate(self.problems):
            key, span = self._locate(index, problem)
            if not region.reads(key) or (problem.ref and span in typing_only):
                continue
            ok = False
            if problem.ref or index in self._reported:
                continue  # a broken $ref is reported above, at its exact place
            self._reported.add(index)
            diagnostics.error(
                "AG202",
                span,
                f"invalid OpenAPI document: {problem.message}",
                f"fix the OpenAPI document; {operation.method} {operation.path} " "reads this part",
            )
        return ok

    def _validate_scope(self, path_item: str, scope: _Scope) -> None:
        """Add the problems of a path item's scope to those found before."""
        scope.done.add(path_item)
        found = scope.validation.problems(path_item)
        known = {(p.message, p.path) for p in self.problems}
        self.problems += tuple(p for p in found if (p.message, p.path) not in known)

    def _warn_loose(self, operation: Operation, region: Region, diagnostics: Diagnostics) -> None:
        """AG205 (once each) for the `$ref`s that point to nothing only in the operation's
        responses: they type step outputs and nothing else, so what is read through
        them is typed `Any` (an output a response schema cannot describe is optional)."""
        for exc in region.loose:
            if (exc.message, exc.span) in self._broken or any(
                (b.message, b.span) == (exc.message, exc.span) for b in region.broken
            ):
                continue
            self._broken.add((exc.message, exc.span))
            diagnostics.warning(
                "AG205",
                exc.span,
                f"{exc.message}; it is in a response schema of {operation.method} "
                f"{operation.path}, so what step outputs read through it is typed Any",
                "fix the $ref; a response schema only types outputs, so generation goes on",
            )

    def report_unused(self, diagnostics: Diagnostics) -> None:
        """Warn about every problem no used operation reads (call once, at the end)."""
        for index, problem in enumerate(self.problems):
            if index in self._reported:
                continue
            key, span = self._locate(index, problem)
            if any(region.reads(key) for region in self._regions.values()):
                continue  # a $ref reported as AG203 where it is read
            self._reported.add(index)
            diagnostics.warning(
                "AG204",
                span,
                f"invalid OpenAPI document, in a part no workflow uses: {problem.message}",
                "arazzo-gen does not read this part for any step (an operation no step "
                "calls, a component they do not reach, an annotation or an unknown field), "
                "so it cannot change the generated code; fix it all the same",
            )

    def _locate(self, index: int, problem: Problem) -> tuple[Key, Span]:
        """The file and node of a problem (following `$ref`s) and its span."""
        found = self._located.get(index)
        if found is None:
            node, rest = _walk(Located(self.doc, "", self.doc.data), problem.path, self.resolver)
            pointer = join_pointer(node.pointer, *rest)
            found = self._located[index] = ((node.doc.path, pointer), node.doc.span(pointer))
        return found


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
                target = found.doc.path.parent / unquote(file_part)
                loaded = self.loader.load(target, via=via)
            if loaded is None:
                raise RefError(f"cannot load $ref target {file_part!r}", found.span)
            doc = loaded
        value: Any = doc.data
        for token in split_pointer(unquote(fragment)):
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and (index := _index(token, len(value))) is not None:
                value = value[index]
            else:
                raise RefError(f"$ref {ref!r} points to nothing", found.span)
        return Located(doc, unquote(fragment), value)


def _index(token: str, length: int) -> int | None:
    """A JSON pointer token as an index into a list of `length` items (ASCII digits
    only: `int` would also take '²' or a number too long to convert)."""
    if token.isascii() and token.isdigit() and len(token) <= 18 and int(token) < length:
        return int(token)
    return None


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
    validator = validator_for(doc, diagnostics)
    if validator is None:
        return None
    text = loader.texts.get(doc.display)
    validation = Validation(doc, validator, loader, text)
    scope = _Scope(validation) if is_scoped(text) else None
    problems = () if scope else tuple(validation.problems())
    resolver = Resolver(loader)
    operations = tuple(_operations(doc, resolver, diagnostics))
    return OpenApiDocument(
        doc, data["openapi"], _servers(data), operations, resolver, problems, scope
    )


@dataclass
class _Scope:
    """How a large document is validated: a path item at a time, as steps use them
    (see `generator.spec.validation`)."""

    validation: Validation
    done: set[str] = field(default_factory=set)  # the path items validated


def _servers(data: dict[str, Any]) -> tuple[str, ...]:
    """Server URLs with every variable replaced by its default value."""
    urls = []
    servers = data.get("servers")
    for server in servers if isinstance(servers, list) else []:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url: str = server["url"]
        variables = server.get("variables")
        for name, variable in (variables if isinstance(variables, dict) else {}).items():
            if isinstance(variable, dict) and "default" in variable:
                url = url.replace("{" + name + "}", str(variable["default"]))
        urls.append(url)
    return tuple(urls)


def _operations(doc: Document, resolver: Resolver, diagnostics: Diagnostics) -> Iterator[Operation]:
    paths = doc.data.get("paths")
    for path, item in paths.items() if isinstance(paths, dict) else ():
        try:
            path_item = resolver.resolve(Located(doc, join_pointer("/paths", path), item))
        except RefError as exc:
            # the operations behind it are unknown, so no operationId lookup is certain
            diagnostics.error("AG203", exc.span, exc.message, "fix the path item's $ref")
            continue
        if not isinstance(path_item.value, dict):
            continue
        for method in HTTP_METHODS:
            if isinstance(path_item.value.get(method), dict):
                # a $ref inside that points to nothing is left out here; if a step
                # calls the operation, `OpenApiDocument.use` reports it (AG203)
                yield _operation(path, method.upper(), (method,), path_item, resolver)
        if str(doc.data.get("openapi", "")).startswith("3.2"):
            yield from _additional_operations(path, path_item, resolver, diagnostics)


def _item_pointer(op: Operation) -> list[str]:
    """The tokens of the pointer to `op`'s path item."""
    tokens = split_pointer(op.pointer)
    extra = len(tokens) >= 3 and tokens[-2] == "additionalOperations"
    return tokens[:-2] if extra else tokens[:-1]


def _additional_operations(
    path: str, path_item: Located, resolver: Resolver, diagnostics: Diagnostics
) -> Iterator[Operation]:
    """OpenAPI 3.2's `additionalOperations`: operations keyed by the method exactly as
    it is sent (`COPY`, `PURGE`), other than the methods the fixed fields name."""
    extra = path_item.value.get("additionalOperations")
    for method, value in extra.items() if isinstance(extra, dict) else ():
        if not isinstance(value, dict):
            continue
        tokens = ("additionalOperations", method)
        if not _METHOD.fullmatch(method) or method.lower() in HTTP_METHODS:
            diagnostics.error(
                "AG206",
                path_item.doc.span(join_pointer(path_item.pointer, *tokens)),
                f"{method!r} cannot be an additional operation's method",
                "additionalOperations keys are HTTP methods (RFC 9110 tokens) other than "
                f"{', '.join(m.upper() for m in HTTP_METHODS)}: use the fixed field instead",
            )
            continue
        yield _operation(path, method, tokens, path_item, resolver)


def _operation(
    path: str, method: str, tokens: tuple[str, ...], path_item: Located, resolver: Resolver
) -> Operation:
    """The operation at `tokens` under `path_item`, sent with `method`."""
    value = path_item.value
    for token in tokens:
        value = value[token]
    op = Located(path_item.doc, join_pointer(path_item.pointer, *tokens), value)
    params = _parameters(path_item, resolver) | _parameters(op, resolver)
    return Operation(
        operation_id=(
            value.get("operationId") if isinstance(value.get("operationId"), str) else None
        ),
        method=method,
        path=path,
        summary=value.get("summary"),
        description=value.get("description"),
        parameters=tuple(params.values()),
        request_media=_request_media(op, resolver),
        responses=_responses(op, resolver),
        located=op,
        pointer=join_pointer("/paths", path, *tokens),
        item=path_item,
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
    listed = owner.value.get("parameters")
    for index in range(len(listed) if isinstance(listed, list) else 0):
        param = _resolved(resolver, _child(owner, "parameters", index))
        value = param.value if param is not None else None
        if param is None or not isinstance(value, dict):
            continue
        name, location = str(value.get("name", "")), str(value.get("in", ""))
        schema = _resolved(resolver, _child(param, "schema")) if "schema" in value else None
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
            _resolved(resolver, _child(content, media_type, "schema")) if has_schema else None
        )
    return media


def _request_media(op: Located, resolver: Resolver) -> dict[str, Located | None]:
    if "requestBody" not in op.value:
        return {}
    body = _resolved(resolver, _child(op, "requestBody"))
    return _media(_child(body, "content"), resolver) if body is not None else {}


def _responses(op: Located, resolver: Resolver) -> dict[str, dict[str, Located | None]]:
    result: dict[str, dict[str, Located | None]] = {}
    responses = _child(op, "responses")
    if not isinstance(responses.value, dict):
        return result
    for status in responses.value:
        response = _resolved(resolver, _child(responses, status))
        if response is not None:
            result[str(status)] = _media(_child(response, "content"), resolver)
    return result


def _resolved(resolver: Resolver, found: Located) -> Located | None:
    """`found` after `$ref`s; None where one points to nothing (see `OpenApiDocument.use`)."""
    try:
        return resolver.resolve(found)
    except RefError:
        return None


# --- what arazzo-gen reads of a document for one operation ------------------------

Key = tuple[Path, str]  # a node: its file and JSON pointer

#: Schema keywords holding a map of schemas, a list of schemas, or one schema.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_SCHEMA_MAPS |= {"dependentSchemas"}
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_ONE = frozenset(
    {
        "items",
        "additionalItems",
        "additionalProperties",
        "unevaluatedItems",
        "unevaluatedProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "contentSchema",
    }
)
#: Other schema keywords (JSON Schema 2020-12 and OpenAPI's own): read as a whole.
_SCHEMA_LEAVES = frozenset(
    {
        "$ref",
        "$id",
        "$schema",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$vocabulary",
        "type",
        "enum",
        "const",
        "format",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxContains",
        "minContains",
        "maxProperties",
        "minProperties",
        "required",
        "dependentRequired",
        "dependencies",
        "nullable",
        "discriminator",
        "readOnly",
        "writeOnly",
        "contentEncoding",
        "contentMediaType",
    }
)
_PARAMETER_FIELDS = frozenset(
    {"name", "in", "required", "style", "explode", "allowReserved", "allowEmptyValue"}
)
_ROOT_LEAVES = ("/openapi", "/servers", "/jsonSchemaDialect")


@dataclass
class Region:
    """What arazzo-gen reads of an OpenAPI document for one operation: the nodes it
    looks into (a problem at one of them matters), the nodes it reads whole (so does
    a problem anywhere inside), and the `$ref`s on the way that point to nothing."""

    nodes: set[Key] = field(default_factory=set)
    leaves: set[Key] = field(default_factory=set)
    broken: list[RefError] = field(default_factory=list)
    #: broken `$ref`s met only in responses, which type step outputs and nothing else
    loose: list[RefError] = field(default_factory=list)

    def reads(self, key: Key) -> bool:
        if key in self.nodes or key in self.leaves:
            return True
        path, pointer = key
        while pointer:
            pointer = pointer.rsplit("/", 1)[0]
            if (path, pointer) in self.leaves:
                return True
        return False

    def look(self, found: Located) -> None:
        self.nodes.add((found.doc.path, found.pointer))

    def read(self, found: Located) -> None:
        self.leaves.add((found.doc.path, found.pointer))


def _region(root: Document, operation: Operation, resolver: Resolver) -> Region:
    """Everything arazzo-gen reads of `root` (and the files it refers to) to compile
    a step that calls `operation`; see the module docstring."""
    region = Region()
    top = Located(root, "", root.data)
    region.look(top)
    region.look(_child(top, "paths"))
    for pointer in _ROOT_LEAVES:
        region.read(Located(root, pointer, None))
    item_pointer = join_pointer("", *_item_pointer(operation))
    region.look(Located(root, item_pointer, None))  # `/paths/<p>` in the root document
    region.read(Located(root, item_pointer + "/$ref", None))
    work: list[tuple[str, Located, bool]] = []  # (kind, node, in a response)
    if operation.item is not None:
        region.look(operation.item)
        work.append(("parameters", _child(operation.item, "parameters"), False))
    op = operation.located
    region.look(op)
    work += [
        ("parameters", _child(op, "parameters"), False),
        ("body", _child(op, "requestBody"), False),
        ("responses", _child(op, "responses"), True),
    ]
    seen: set[tuple[str, Key, bool]] = set()
    while work:
        kind, node, response = work.pop()
        if node.value is None:
            continue
        found = _follow(region, node, resolver, response)
        key = (found.doc.path, found.pointer) if found is not None else None
        if found is None or key is None or (kind, key, response) in seen:
            continue
        seen.add((kind, key, response))
        region.look(found)
        work += [(part, child, response) for part, child in _parts(region, kind, found)]
    return region


def _follow(region: Region, node: Located, resolver: Resolver, response: bool) -> Located | None:
    """`node` after `$ref`s, noting each `$ref` as read; None where one is broken (noted
    as `loose` when `node` is in a response)."""
    if isinstance(node.value, dict) and "$ref" in node.value:
        region.look(node)
        region.read(_child(node, "$ref"))
        try:
            return resolver.resolve(node)
        except RefError as exc:
            (region.loose if response else region.broken).append(exc)
            return None
    return node


def _parts(region: Region, kind: str, found: Located) -> list[tuple[str, Located]]:
    """The parts of a node of the given kind that arazzo-gen reads: leaves are
    noted, nodes to look into are returned with their kinds."""
    value = found.value
    if kind == "parameters" and isinstance(value, list):
        return [("parameter", _child(found, i)) for i in range(len(value))]
    if kind in ("responses", "content") and isinstance(value, dict):
        inner = "response" if kind == "responses" else "media"
        return [(inner, _child(found, k)) for k in value]
    if not isinstance(value, dict):
        if kind == "schema":
            region.read(found)  # a boolean schema
        return []
    fields: dict[str, str] = {
        "parameter": {"schema": "schema", "content": "content"},
        "body": {"content": "content"},
        "response": {"content": "content"},
        "media": {"schema": "schema"},
    }.get(kind, {})
    if kind != "schema":
        readable = _PARAMETER_FIELDS if kind == "parameter" else {"required"}
        for name in value:
            if kind in ("parameter", "body") and name in readable:
                region.read(_child(found, name))
        return [(fields[name], _child(found, name)) for name in value if name in fields]
    parts: list[tuple[str, Located]] = []
    for name, item in value.items():
        child = _child(found, name)
        if name in _SCHEMA_MAPS and isinstance(item, dict):
            region.look(child)
            parts += [("schema", _child(child, k)) for k in item]
        elif isinstance(item, list) and (name in _SCHEMA_LISTS or name in _SCHEMA_ONE):
            region.look(child)
            parts += [("schema", _child(child, i)) for i in range(len(item))]
        elif name in _SCHEMA_ONE:
            parts.append(("schema", child))
        elif name in _SCHEMA_LEAVES or name in _SCHEMA_MAPS or name in _SCHEMA_LISTS:
            region.read(child)
        # annotations (ANNOTATIONS), extensions and unknown keywords are not read
    return parts


def _walk(
    start: Located, path: tuple[str, ...], resolver: Resolver
) -> tuple[Located, tuple[str, ...]]:
    """Follow `path` from `start` through `$ref`s as far as it exists: the last node
    found and the tokens left over."""
    node = start
    for index, token in enumerate(path):
        try:
            container = resolver.resolve(node)
        except RefError:
            return node, path[index:]
        value = container.value
        if isinstance(value, dict) and token in value:
            node = _child(container, token)
        elif isinstance(value, list) and (at := _index(token, len(value))) is not None:
            node = _child(container, at)
        else:
            return container, path[index:]
    return node, ()
