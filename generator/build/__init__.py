"""Build stage: Arazzo documents (and the OpenAPI documents they use) to IR workflows.

`Project` holds what one run shares across documents: the loader (each file read
once), the validated OpenAPI documents (each validated once) and the Python
names already given out, so two documents never produce the same module.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator import ir, pysrc
from generator.build.calls import build_order
from generator.build.operations import Sources
from generator.build.values import normalize
from generator.build.workflow import Naming, WorkflowBuilder
from generator.checks import check_workflow
from generator.diagnostics import Diagnostics, Span
from generator.load import Document, Loader, join_pointer
from generator.sources import SourceLoader, SourceOptions, is_url
from generator.spec.arazzo import ArazzoDocument, SourceDescription, Workflow, read_arazzo
from generator.spec.openapi import OpenApiDocument, Resolver, read_openapi

#: Module-level names of a generated module; workflow-derived names avoid them.
MODULE_NAMES = (
    "WORKFLOW_ID",
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_STEPS",
    "WorkflowError",
    "StepFailedError",
    "StepBudgetExceededError",
    "StepNotRunError",
    "WorkflowStepFailedError",
    "Any",
    "Final",
    "Literal",
    "Mapping",
    "TypedDict",
    "TypeVar",
    "Callable",
    "annotations",
    "contextlib",
    "dataclasses",
    "httpx",
    "json",
    "quote",
)

_DOCUMENT_SUFFIXES = (".arazzo", "-arazzo", ".workflow", ".workflows")


@dataclass
class Project:
    root: Path
    diagnostics: Diagnostics
    #: None: no overrides, and a remote url is an error (AG109), as before remote sources.
    sources: SourceOptions | None = None
    #: The folders whose files documents may reference (see `Loader.allowed`).
    allowed: tuple[Path, ...] = ()
    loader: Loader = field(init=False)
    openapi: dict[Path, OpenApiDocument | None] = field(default_factory=dict)
    packages: pysrc.Namespace = field(default_factory=pysrc.Namespace)
    package_sources: dict[str, str] = field(default_factory=dict)
    declared_sources: set[str] = field(default_factory=set)
    #: The built workflows of each Arazzo document, in the order documents were built.
    built: dict[Path, list[ir.Workflow]] = field(default_factory=dict)
    #: Documents being built now: a source of type arazzo that points back is a cycle.
    building: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.sources is None:
            self.loader = Loader(self.root, self.diagnostics, allowed=self.allowed)
        else:
            self.loader = SourceLoader(
                self.root, self.diagnostics, allowed=self.allowed, options=self.sources
            )

    def workflows(self) -> list[ir.Workflow]:
        """Every workflow built so far, each document's in its order."""
        return [w for workflows in self.built.values() for w in workflows]

    def build_document(self, path: Path) -> list[ir.Workflow]:
        """The IR of every workflow of the document at `path` that compiles cleanly;
        each document is built once, even when several documents use it as a source."""
        key = path.resolve()
        if key not in self.built:
            self.building.append(key)
            try:
                self.built[key] = self._build_document(key)
            finally:
                self.building.pop()
        return self.built[key]

    def _build_document(self, path: Path) -> list[ir.Workflow]:
        doc = self.loader.load(path)
        if doc is None:
            return []
        normalize(doc, self.diagnostics)  # non-standard forms, each with a warning
        document = read_arazzo(doc, self.diagnostics)
        if document is None:
            return []
        openapi = self._sources(document)
        unusable = frozenset(
            s.name for s in document.sources if s.name not in openapi and s.type != "arazzo"
        )
        sources = Sources(openapi, Resolver(self.loader), unusable, self._arazzo_sources(document))
        builder = WorkflowBuilder(document, sources, self.diagnostics)
        package = self._package(document, path)
        modules = pysrc.Namespace(reserved=MODULE_NAMES)
        unique = self._unique(document)
        namings = {
            w.workflow_id: _naming(
                package, modules.claim(pysrc.snake_case(w.workflow_id)), w.workflow_id
            )
            for w in unique
        }
        ordered, cyclic = build_order(unique, document.components)
        for workflow in cyclic:
            self.diagnostics.error(
                "AG331",
                document.doc.span(workflow.ptr),
                f"workflow {workflow.workflow_id!r} calls or depends on itself "
                "(through dependsOn or workflow steps)",
                "break the cycle; a workflow cannot wait for itself",
            )
        built: dict[str, ir.Workflow] = {}
        for workflow in ordered:
            errors_before = self.diagnostics.error_count
            result = builder.build(workflow, namings[workflow.workflow_id], built)
            if result is not None:
                check_workflow(result, self.diagnostics)
            if result is not None and self.diagnostics.error_count == errors_before:
                built[workflow.workflow_id] = result
        return [built[w.workflow_id] for w in unique if w.workflow_id in built]

    def _unique(self, document: ArazzoDocument) -> list[Workflow]:
        seen: set[str] = set()
        unique = []
        for workflow in document.workflows:
            if workflow.workflow_id in seen:
                self.diagnostics.error(
                    "AG106",
                    document.doc.span(join_pointer(workflow.ptr, "workflowId")),
                    f"duplicate workflowId {workflow.workflow_id!r}",
                    "workflowIds must be unique within a document",
                )
                continue
            seen.add(workflow.workflow_id)
            unique.append(workflow)
        return unique

    def _package(self, document: ArazzoDocument, path: Path) -> str:
        url = self.loader.url_of(document.doc) if isinstance(self.loader, SourceLoader) else None
        wanted = remote_package(url) if url else _document_package(path.name)
        wanted = pysrc.Namespace().claim(wanted)  # a keyword gets its `_` (`case_`)
        package = self.packages.claim(wanted)
        if package != wanted:
            self.diagnostics.error(
                "AG107",
                document.doc.span(""),
                f"document {document.doc.display!r} would share Python package {wanted!r} "
                f"with {self.package_sources.get(wanted, 'another document')!r}",
                "rename one of the documents; generated package names come from file names",
            )
        self.package_sources[package] = document.doc.display
        return package

    def _sources(self, document: ArazzoDocument) -> dict[str, OpenApiDocument]:
        found: dict[str, OpenApiDocument] = {}
        for source in document.sources:
            self.declared_sources.add(source.name)
            loaded = self._source(document, source)
            if loaded is not None:
                found[source.name] = loaded
        return found

    def _source(
        self, document: ArazzoDocument, source: SourceDescription
    ) -> OpenApiDocument | None:
        span = document.doc.span(join_pointer(source.ptr, "url"))
        if source.type == "arazzo":
            return None  # see _arazzo_sources
        override = self.sources.overrides.get(source.name) if self.sources else None
        if override is not None:
            if not override.is_file():
                self._missing_override(override, source, span)
                return None
            return self._openapi(override, span)
        url = self._remote_url(document, source)
        if url is not None:
            if not isinstance(self.loader, SourceLoader):
                self.diagnostics.error(
                    "AG109",
                    span,
                    f"remote source url {source.url!r} is not supported here",
                    "fetching remote sources needs SourceOptions (the command line passes them)",
                )
                return None
            # Fetched (or, offline, found in the cache); failures are reported at `span`.
            return self._read(self.loader.load_url(url, via=span))
        return self._openapi(document.doc.path.parent / source.url, span)

    def _arazzo_sources(self, document: ArazzoDocument) -> dict[str, dict[str, ir.Workflow]]:
        """The workflows of the Arazzo documents `document` lists as sources, by name."""
        found: dict[str, dict[str, ir.Workflow]] = {}
        for source in document.sources:
            if source.type != "arazzo":
                continue
            span = document.doc.span(join_pointer(source.ptr, "url"))
            doc = self._arazzo_source(document, source, span)
            if doc is None:
                continue
            if doc.path.resolve() in self.building:
                self.diagnostics.error(
                    "AG331",
                    span,
                    f"Arazzo source {source.name!r} leads back to this document",
                    "documents cannot use each other as sources in a cycle",
                )
                continue
            found[source.name] = {w.workflow_id: w for w in self.build_document(doc.path)}
        return found

    def _arazzo_source(
        self, document: ArazzoDocument, source: SourceDescription, span: Span
    ) -> Document | None:
        """The document of a source of type arazzo: a `--source` override, a fetched
        URL or a local file (None after reporting why not)."""
        override = self.sources.overrides.get(source.name) if self.sources else None
        if override is not None:
            if not override.is_file():
                self._missing_override(override, source, span)
                return None
            return self.loader.load(override.resolve(), via=span)
        url = self._remote_url(document, source)
        if url is None:
            return self.loader.load(document.doc.path.parent / source.url, via=span)
        if not isinstance(self.loader, SourceLoader):
            self.diagnostics.error(
                "AG109",
                span,
                f"remote Arazzo source {source.name!r} ({source.url!r}) is not supported here",
                "fetching remote sources needs SourceOptions (the command line passes them)",
            )
            return None
        return self.loader.load_url(url, via=span)

    def _remote_url(self, document: ArazzoDocument, source: SourceDescription) -> str | None:
        """The URL a source description is fetched from; None for a local file. A relative
        url in a fetched document is relative to that document's URL, never a local file."""
        if isinstance(self.loader, SourceLoader) and self.loader.url_of(document.doc):
            return self.loader.ref_url(document.doc, source.url)
        return source.url if is_url(source.url) else None

    def _missing_override(self, override: Path, source: SourceDescription, span: Span) -> None:
        self.diagnostics.error(
            "AG002",
            span,
            f"cannot load {override} (given for source {source.name!r} with --source): "
            "no such file",
            "check the path given with --source NAME=PATH",
        )

    def _openapi(self, path: Path, via: Span) -> OpenApiDocument | None:
        # None: reported at `via`; another reference is reported at its own url
        return self._read(self.loader.load(path, via=via))

    def _read(self, doc: Document | None) -> OpenApiDocument | None:
        """The OpenAPI document `doc` holds; each document is validated once."""
        if doc is None:
            return None
        key = doc.path.resolve()
        if key not in self.openapi:
            if isinstance(self.loader, SourceLoader) and not self.loader.fetch_refs(doc):
                self.openapi[key] = None  # a $ref'd URL failed; reported at that $ref
            else:
                self.openapi[key] = read_openapi(doc, self.loader, self.diagnostics)
        return self.openapi[key]

    def report_openapi_problems(self) -> None:
        """Warn (AG204) about OpenAPI problems in parts no step of the run reads."""
        for found in self.openapi.values():
            if found is not None:
                found.report_unused(self.diagnostics)

    def report_unused_overrides(self) -> None:
        """Warn about `--source` names no document declared (typos, most likely)."""
        if self.sources is None:
            return
        declared = sorted(self.declared_sources)
        for name in sorted(set(self.sources.overrides) - self.declared_sources):
            close = difflib.get_close_matches(name, declared, n=1)
            known = ", ".join(repr(n) for n in declared) or "none"
            self.diagnostics.warning(
                "AG111",
                Span(f"--source {name}"),
                f"no document declares a source description named {name!r}; "
                "the override is not used",
                f"did you mean {close[0]!r}?" if close else f"declared sources: {known}",
            )


def _document_package(file_name: str) -> str:
    """The package of a local document: its file name without extensions and suffixes."""
    stem = Path(file_name).stem
    for suffix in _DOCUMENT_SUFFIXES:
        stem = stem.removesuffix(suffix)
    return pysrc.snake_case(stem)


def remote_package(url: str) -> str:
    """The package of a fetched Arazzo document: named like a local one after the last
    segment of its URL, then `_` and 8 hex digits of the URL's sha256, so documents of
    the same name at different URLs never share a package, and the name does not
    depend on the cache. It is one identifier, so it stays a folder right under OUT."""
    segment = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{_document_package(unquote(segment) or 'document')}_{digest}"


def _naming(package: str, module: str, workflow_id: str) -> Naming:
    return Naming(
        package=package,
        module=module,
        function=module,
        outputs_class=pysrc.pascal_case(workflow_id) + "Outputs",
    )
