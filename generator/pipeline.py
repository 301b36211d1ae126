"""The whole compilation: find documents, build their IR, render every module.

Nothing is written here. The result is the complete output tree in memory, so a
run with errors can refuse to write anything at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator import ir
from generator.build import Project
from generator.diagnostics import Diagnostics, Span, display_path
from generator.load import permitted, resolved
from generator.sources import SourceOptions

_ARAZZO_KEY = re.compile(r'^(arazzo|"arazzo"\s*)\s*:|[{,]\s*"arazzo"\s*:', re.MULTILINE)
_EXTENSIONS = (".yaml", ".yml", ".json")

#: Called before each document is compiled: (index, count, display path).
Progress = Callable[[int, int, str], None]


@dataclass
class Result:
    """The output tree (relative path -> text) and everything worth telling."""

    files: dict[str, str] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    workflows: list[ir.Workflow] = field(default_factory=list)
    #: The text of every document read, by display path (for source lines in reports).
    texts: dict[str, str] = field(default_factory=dict)


def display_root(specs: Iterable[Path]) -> Path:
    """The folder shown paths are relative to the parent of: the inputs' common path."""
    resolved = [str(p.resolve()) for p in specs]
    return Path(os.path.commonpath(resolved)) if resolved else Path.cwd()


def allowed_folders(
    specs: Iterable[Path], sources: SourceOptions | None, allow: Iterable[Path] = ()
) -> tuple[Path, ...]:
    """The folders whose files documents may reference: the current directory, each
    folder in `specs` (a file's own folder), the folder of each `--source` file and
    each `--allow-dir` (and each folder in `allow`). A spec is untrusted text: it must
    not make arazzo-gen read, and show lines of, files elsewhere on the machine."""
    folders = [Path.cwd(), *(p if p.is_dir() else p.parent for p in specs), *allow]
    if sources is not None:
        folders += [path.parent for path in sources.overrides.values()]
        folders += sources.allowed_dirs
    return tuple(dict.fromkeys(folder.resolve() for folder in folders))


def find_documents(
    specs: Iterable[Path], diagnostics: Diagnostics, root: Path, allowed: tuple[Path, ...] = ()
) -> list[Path]:
    """Arazzo documents among the given files and (recursively) folders, sorted.

    A file found in a folder that is, through a symlink, outside the `allowed` folders
    is not opened to see whether it is an Arazzo document (warning AG121)."""
    found: set[Path] = set()
    for spec in specs:
        if spec.is_dir():
            found |= {
                p.resolve()
                for p in spec.rglob("*")
                if _is_arazzo_file(p) and not _outside(p, allowed, diagnostics, root) and _sniff(p)
            }
        elif spec.is_file():
            found.add(spec.resolve())
        else:
            diagnostics.error(
                "AG003",
                Span(display_path(spec, root) if spec.is_absolute() else str(spec)),
                "no such file or folder",
                "name Arazzo documents or folders that contain them",
            )
    return sorted(found)


def _outside(path: Path, allowed: tuple[Path, ...], diagnostics: Diagnostics, root: Path) -> bool:
    """Whether `path` leads (through a symlink) outside the allowed folders; reported."""
    target = resolved(path)
    if not allowed or (target is not None and permitted(target, allowed)):
        return False
    diagnostics.warning(
        "AG121",
        Span(f"{display_path(path.parent, root)}/{path.name}"),  # the link, not its target
        "not read: a symlink leads it outside the folders documents may be read from",
        "to compile it, allow its folder with --allow-dir "
        f"{target.parent if target is not None else 'DIR'}",
    )
    return True


def _is_arazzo_file(path: Path) -> bool:
    """Whether `path` is a file with a YAML or JSON extension (a candidate document)."""
    return path.suffix.lower() in _EXTENSIONS and path.is_file()


def _sniff(path: Path) -> bool:
    """Whether the start of a candidate file has a top-level `arazzo` key."""
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return False
    return _ARAZZO_KEY.search(head) is not None


def compile_specs(
    specs: list[Path],
    *,
    render: bool = True,
    progress: Progress | None = None,
    sources: SourceOptions | None = None,
    allow: Iterable[Path] = (),
) -> Result:
    """Build (and unless `render` is false, render) every workflow found in `specs`.

    `sources` enables `--source` overrides and fetching http(s) source urls; without
    it a remote url is an error (AG109). `allow` adds folders whose files documents may
    reference (`allowed_folders`).
    """
    result = Result()
    root = display_root(specs)
    allowed = allowed_folders(specs, sources, allow)
    project = Project(root, result.diagnostics, sources, allowed)
    documents = find_documents(specs, result.diagnostics, root, allowed)
    for index, path in enumerate(documents):
        if progress is not None:
            progress(index, len(documents), display_path(path, root))
        project.build_document(path)
    result.workflows = project.workflows()  # with those of documents used as sources
    project.report_unused_overrides()
    project.report_openapi_problems()
    result.texts = project.loader.texts
    if render:
        result.files = render_tree(result.workflows)
    return result


def render_tree(workflows: list[ir.Workflow]) -> dict[str, str]:
    """Every output file: one module per workflow, a package per document, the root."""
    from generator.emit.render import render_package_init, render_root_init, render_workflow

    files: dict[str, str] = {}
    by_package: dict[str, list[ir.Workflow]] = {}
    for workflow in workflows:
        by_package.setdefault(workflow.package, []).append(workflow)
        files[f"{workflow.package}/{workflow.module}.py"] = render_workflow(workflow)
    for package, members in by_package.items():
        files[f"{package}/__init__.py"] = render_package_init(package, members)
    files["__init__.py"] = render_root_init(list(by_package))
    return files
