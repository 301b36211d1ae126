"""Build: resolve a step's `operationId` or `operationPath` to one OpenAPI operation.

Real documents use a few non-standard forms whose meaning is unambiguous; each is
accepted with a warning that names the standard form:

* AG307: an operationPath naming its source without a runtime expression,
  `petstore#/paths/~1pet/post` (or `$sourceDescriptions.petstore.url#/...`),
  for `{$sourceDescriptions.petstore.url}#/paths/~1pet/post`;
* AG308: an operationId `<source>.<operationId>` (Redocly's shorthand) that is no
  operationId itself, for `$sourceDescriptions.<source>.<operationId>`; and an
  unqualified operationId although the document has several OpenAPI sources (the
  specification says it MUST then be qualified) that only one source declares;
* AG309: an operationPath pointing at a Path Item that has exactly one operation;
* AG317: an operationId that no operation has, where exactly one operation (of the
  source it names, if any) has it but for case: `PAR` for `Par`.

Anything ambiguous stays an error: a dotted operationId whose source has no such
operation, a Path Item with several operations, `POST /pets` instead of a JSON
pointer (AG303, with the standard form in the hint).

A resolved operation is then `use`d: validation problems in what arazzo-gen reads
for it are errors, and the operation is not compiled.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from generator import ir
from generator.diagnostics import Diagnostics, Span
from generator.load import join_pointer, split_pointer
from generator.spec.openapi import HTTP_METHODS, OpenApiDocument, Operation, Resolver

_SOURCE_PREFIX = "$sourceDescriptions."
_METHOD_AND_PATH = re.compile(
    r"(?i)(?:(get|put|post|delete|options|head|patch|trace|query)\s+)?(/\S*)"
)


@dataclass(frozen=True)
class Sources:
    """The OpenAPI documents of one Arazzo document, by source description name."""

    openapi: dict[str, OpenApiDocument]
    resolver: Resolver
    unusable: frozenset[str] = frozenset()  # sources already reported as unloadable
    #: Workflows of the Arazzo documents listed as sources (type arazzo), by source name.
    arazzo: dict[str, dict[str, ir.Workflow]] = field(default_factory=dict)

    def servers_of(self, operation: Operation) -> tuple[str, ...]:
        """The server URLs of the document that declares `operation`."""
        for doc in self.openapi.values():
            if operation in doc.operations:
                return doc.servers
        return ()

    def name_of(self, operation: Operation) -> str:
        """The name of the source description whose document declares `operation`."""
        return next((n for n, doc in self.openapi.items() if operation in doc.operations), "")

    def resolve_id(
        self, operation_id: str, span: Span, diagnostics: Diagnostics
    ) -> Operation | None:
        """Find the operation an `operationId` names; report when none or several match."""
        if operation_id.startswith(_SOURCE_PREFIX):
            source_name, _, bare = operation_id[len(_SOURCE_PREFIX) :].partition(".")
            source = self._source(source_name, span, diagnostics)
            if source is None:
                return None
            scope = {source_name: source}
        else:
            bare, scope = operation_id, self.openapi
        candidates = [(name, op) for name, doc in scope.items() for op in doc.by_id(bare)]
        if operation_id == bare:
            if not candidates:
                dotted = self._dotted(operation_id, span, diagnostics)
                if dotted is not None:
                    return self._checked(dotted, diagnostics)
            elif len(candidates) == 1 and len(self.openapi) + len(self.unusable) > 1:
                diagnostics.warning(
                    "AG308",
                    span,
                    f"operationId {operation_id!r} is not qualified although this document "
                    f"has several OpenAPI sources; read as "
                    f"'{_SOURCE_PREFIX}{candidates[0][0]}.{bare}', the only one declaring it",
                    f"write '{_SOURCE_PREFIX}{candidates[0][0]}.{bare}': with several "
                    "sources the specification requires the qualified form",
                )
        if not candidates:
            candidates = self._other_case(operation_id, bare, scope, span, diagnostics)
        if len(candidates) == 1:
            return self._checked(candidates[0][1], diagnostics)
        if not candidates:
            if not self._maybe_in_unusable(operation_id):  # else already reported
                self._unknown(operation_id, bare, span, diagnostics)
        else:
            where = ", ".join(
                f"{name} ({op.method} {op.path})"
                for name, op in sorted(candidates, key=lambda c: c[0])
            )
            diagnostics.error(
                "AG302",
                span,
                f"operationId {operation_id!r} is ambiguous: it matches {where}",
                f"qualify it as '$sourceDescriptions.<name>.{bare}'",
            )
        return None

    def _checked(self, operation: Operation, diagnostics: Diagnostics) -> Operation | None:
        """`operation`, unless what arazzo-gen reads of it is invalid (reported)."""
        for doc in self.openapi.values():
            if any(op is operation for op in doc.operations):
                return operation if doc.use(operation, diagnostics) else None
        return operation

    def _dotted(self, operation_id: str, span: Span, diagnostics: Diagnostics) -> Operation | None:
        """`<source>.<operationId>` (Redocly's shorthand) where no operationId is the
        whole text: the operation of that source, with warning AG308."""
        for at in (m.start() for m in re.finditer(r"\.", operation_id)):
            name, bare = operation_id[:at], operation_id[at + 1 :]
            source = self.openapi.get(name)
            if source is None or not bare:
                continue
            found = source.by_id(bare)
            if len(found) != 1:
                continue
            standard = f"{_SOURCE_PREFIX}{name}.{bare}"
            diagnostics.warning(
                "AG308",
                span,
                f"operationId {operation_id!r} names no operation; read as '{standard}' "
                f"(source {name!r}, operationId {bare!r})",
                f"write '{standard}': '<source>.<operationId>' is a Redocly shorthand, "
                "not Arazzo",
            )
            return found[0]
        return None

    def _other_case(
        self,
        operation_id: str,
        bare: str,
        scope: dict[str, OpenApiDocument],
        span: Span,
        diagnostics: Diagnostics,
    ) -> list[tuple[str, Operation]]:
        """Repair AG317: the one operation in `scope` whose operationId is `bare` but for
        case (none when a source that may hold the exact one could not be loaded)."""
        folded = bare.casefold()
        found = [
            (name, op)
            for name, doc in scope.items()
            for op in doc.operations
            if op.operation_id is not None and op.operation_id.casefold() == folded
        ]
        if len(found) != 1 or self._maybe_in_unusable(operation_id):
            return []
        name, operation = found[0]
        standard = str(operation.operation_id)
        if operation_id != bare or len(self.openapi) + len(self.unusable) > 1:
            standard = f"{_SOURCE_PREFIX}{name}.{standard}"
        diagnostics.warning(
            "AG317",
            span,
            f"unknown operationId {operation_id!r}; read as {standard!r}, the one "
            "operationId that differs from it only in case",
            f"write '{standard}': operationIds are case-sensitive",
        )
        return found

    def _source(self, name: str, span: Span, diagnostics: Diagnostics) -> OpenApiDocument | None:
        """The OpenAPI source called `name`; reports an unknown name once."""
        source = self.openapi.get(name)
        if source is None and name not in self.unusable:  # unusable ones were reported
            diagnostics.error(
                "AG301",
                span,
                f"there is no OpenAPI source description named {name!r}",
                _known("source descriptions", self.openapi.keys() | self.unusable),
            )
        return source

    def _maybe_in_unusable(self, operation_id: str) -> bool:
        """Whether the operation may live in a source that could not be loaded."""
        if operation_id.startswith(_SOURCE_PREFIX):
            name = operation_id[len(_SOURCE_PREFIX) :].partition(".")[0]
            return name in self.unusable
        return bool(self.unusable)

    def _unknown(self, operation_id: str, bare: str, span: Span, diagnostics: Diagnostics) -> None:
        known = sorted(
            {
                op.operation_id
                for doc in self.openapi.values()
                for op in doc.operations
                if op.operation_id
            }
        )
        close = difflib.get_close_matches(bare, known, n=3)
        hint = (
            f"did you mean {' or '.join(repr(c) for c in close)}?"
            if close
            else ("check the operationId against the OpenAPI documents of this workflow's sources")
        )
        diagnostics.error("AG300", span, f"unknown operationId {operation_id!r}", hint)

    def resolve_path(
        self, operation_path: str, span: Span, diagnostics: Diagnostics
    ) -> Operation | None:
        """The operation an `operationPath` names.

        The form is `{$sourceDescriptions.<name>.url}#/paths/<escaped path>/<method>`.
        """
        head, sep, pointer = operation_path.partition("#")
        prefix, suffix = "{" + _SOURCE_PREFIX, ".url}"
        if sep and head.startswith(prefix) and head.endswith(suffix):
            source_name = head[len(prefix) : -len(suffix)]
        else:
            shorthand = self._shorthand(head) if sep else None
            if shorthand is None:
                self._not_a_path(operation_path, span, diagnostics)
                return None
            source_name = shorthand
            standard = f"{{{_SOURCE_PREFIX}{source_name}.url}}#{pointer}"
            diagnostics.warning(
                "AG307",
                span,
                f"operationPath {operation_path!r} names its source without a runtime "
                f"expression; read as '{standard}'",
                f"write '{standard}'",
            )
        source = self._source(source_name, span, diagnostics)
        if source is None:
            return None
        operation = source.by_pointer(pointer)
        if operation is None:
            operation = self._path_item(source, pointer, operation_path, span, diagnostics)
        return self._checked(operation, diagnostics) if operation is not None else None

    def _shorthand(self, head: str) -> str | None:
        """The source an operationPath names without `{...}`: `petstore` or
        `$sourceDescriptions.petstore.url`; None unless that is a source's name."""
        name = head
        if head.startswith(_SOURCE_PREFIX) and head.endswith(".url"):
            name = head[len(_SOURCE_PREFIX) : -len(".url")]
        return name if name in self.openapi or name in self.unusable else None

    def _path_item(
        self,
        source: OpenApiDocument,
        pointer: str,
        operation_path: str,
        span: Span,
        diagnostics: Diagnostics,
    ) -> Operation | None:
        """An operationPath at a Path Item: its operation if it has exactly one."""
        found = source.under(pointer)
        if len(found) == 1:
            rest = split_pointer(found[0].pointer)[len(split_pointer(pointer)) :]
            diagnostics.warning(
                "AG309",
                span,
                f"operationPath {operation_path!r} points at a path item, not an operation; "
                f"read as its only operation, {found[0].method} {found[0].path}",
                f"append the method: '{operation_path}{join_pointer('', *rest)}'",
            )
            return found[0]
        methods = ", ".join(_method_name(op.method) for op in found)
        diagnostics.error(
            "AG304",
            span,
            f"operationPath pointer {pointer!r} does not point to an operation"
            + (f": it is a path item with several ({methods})" if found else ""),
            "point at a method under a path item, e.g. '#/paths/~1pets/get'",
        )
        return None

    def _not_a_path(self, operation_path: str, span: Span, diagnostics: Diagnostics) -> None:
        """AG303, with the standard form where the text is a method and a path."""
        names = sorted(self.openapi.keys() | self.unusable)
        name = names[0] if len(names) == 1 else "<name>"
        match = _METHOD_AND_PATH.fullmatch(operation_path.strip())
        if match:
            escaped = match.group(2).replace("~", "~0").replace("/", "~1")
            method = (match.group(1) or "<method>").lower()
            what = "a method and a path" if match.group(1) else "a path"
            hint = (
                f"'{operation_path}' is {what}, not a JSON pointer; write "
                f"'{{{_SOURCE_PREFIX}{name}.url}}#/paths/{escaped}/{method}'"
            )
        else:
            hint = "write the source description's url expression, '#', then a JSON pointer"
        diagnostics.error(
            "AG303",
            span,
            f"operationPath {operation_path!r} is not of the form "
            "'{$sourceDescriptions.<name>.url}#/paths/<path>/<method>'",
            hint,
        )


def _known(what: str, names: Iterable[str]) -> str:
    listed = ", ".join(sorted(names)) or "none"
    return f"{what} of this document: {listed}"


def _method_name(method: str) -> str:
    """How an operationPath names a method: the field (`get`), or as written (`COPY`)."""
    return method.lower() if method.lower() in HTTP_METHODS else method
