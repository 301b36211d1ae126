"""Build stage: Arazzo documents (and the OpenAPI documents they use) to IR workflows.

`Project` holds what one run shares across documents: the loader (each file read
once), the validated OpenAPI documents (each validated once) and the Python
names already given out, so two documents never produce the same module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator import ir, pysrc
from generator.build.operations import Sources
from generator.build.workflow import Naming, WorkflowBuilder
from generator.checks import check_workflow
from generator.diagnostics import Diagnostics, Span
from generator.load import Loader, join_pointer
from generator.spec.arazzo import ArazzoDocument, SourceDescription, read_arazzo
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
    loader: Loader = field(init=False)
    openapi: dict[Path, OpenApiDocument | None] = field(default_factory=dict)
    packages: pysrc.Namespace = field(default_factory=pysrc.Namespace)
    package_sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.loader = Loader(self.root, self.diagnostics)

    def build_document(self, path: Path) -> list[ir.Workflow]:
        """The IR of every workflow of the document at `path` that compiles cleanly."""
        doc = self.loader.load(path)
        if doc is None:
            return []
        document = read_arazzo(doc, self.diagnostics)
        if document is None:
            return []
        openapi = self._sources(document)
        unusable = frozenset(
            s.name for s in document.sources if s.name not in openapi and s.type != "arazzo"
        )
        sources = Sources(openapi, Resolver(self.loader), unusable)
        builder = WorkflowBuilder(document, sources, self.diagnostics)
        package = self._package(document, path)
        modules = pysrc.Namespace(reserved=MODULE_NAMES)
        workflows = []
        for workflow in self._unique(document):
            naming = _naming(
                package, modules.claim(pysrc.snake_case(workflow.workflow_id)), workflow.workflow_id
            )
            errors_before = self.diagnostics.error_count
            built = builder.build(workflow, naming)
            if built is not None:
                check_workflow(built, self.diagnostics)
            if built is not None and self.diagnostics.error_count == errors_before:
                workflows.append(built)
        return workflows

    def _unique(self, document: ArazzoDocument) -> list:  # type: ignore[type-arg]
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
        stem = path.stem
        for suffix in _DOCUMENT_SUFFIXES:
            stem = stem.removesuffix(suffix)
        wanted = pysrc.snake_case(stem)
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
            loaded = self._source(document, source)
            if loaded is not None:
                found[source.name] = loaded
        return found

    def _source(
        self, document: ArazzoDocument, source: SourceDescription
    ) -> OpenApiDocument | None:
        span = document.doc.span(join_pointer(source.ptr, "url"))
        if source.type == "arazzo":
            self.diagnostics.warning(
                "AG108",
                span,
                f"source {source.name!r} of type 'arazzo' is not used yet",
                "workflows from other Arazzo documents cannot be called yet",
            )
            return None
        if "://" in source.url:
            self.diagnostics.error(
                "AG109",
                span,
                f"remote source url {source.url!r} is not supported yet",
                "download the document next to the Arazzo file and use a relative url",
            )
            return None
        return self._openapi(document.doc.path.parent / source.url, span)

    def _openapi(self, path: Path, via: Span) -> OpenApiDocument | None:
        key = path.resolve()
        if key not in self.openapi:
            doc = self.loader.load(key, via=via)
            if doc is None:
                return None  # reported at `via`; another reference is reported at its own url
            self.openapi[key] = read_openapi(doc, self.loader, self.diagnostics)
        return self.openapi[key]


def _naming(package: str, module: str, workflow_id: str) -> Naming:
    return Naming(
        package=package,
        module=module,
        function=module,
        outputs_class=pysrc.pascal_case(workflow_id) + "Outputs",
    )
