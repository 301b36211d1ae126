"""Build: resolve a step's `operationId` or `operationPath` to one OpenAPI operation."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from generator import ir
from generator.diagnostics import Diagnostics, Span
from generator.spec.openapi import OpenApiDocument, Operation, Resolver

_SOURCE_PREFIX = "$sourceDescriptions."


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
            candidates = [(source_name, op) for op in source.by_id(bare)]
        else:
            bare = operation_id
            candidates = [
                (name, op) for name, doc in self.openapi.items() for op in doc.by_id(bare)
            ]
        if len(candidates) == 1:
            return candidates[0][1]
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
        if not (sep and head.startswith(prefix) and head.endswith(suffix)):
            diagnostics.error(
                "AG303",
                span,
                f"operationPath {operation_path!r} is not of the form "
                "'{$sourceDescriptions.<name>.url}#/paths/<path>/<method>'",
                "write the source description's url expression, '#', then a JSON pointer",
            )
            return None
        source_name = head[len(prefix) : -len(suffix)]
        source = self._source(source_name, span, diagnostics)
        if source is None:
            return None
        operation = source.by_pointer(pointer)
        if operation is None:
            diagnostics.error(
                "AG304",
                span,
                f"operationPath pointer {pointer!r} does not point to an operation",
                "point at a method under a path item, e.g. '#/paths/~1pets/get'",
            )
        return operation


def _known(what: str, names: Iterable[str]) -> str:
    listed = ", ".join(sorted(names)) or "none"
    return f"{what} of this document: {listed}"
