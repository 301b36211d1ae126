"""The whole compilation: find documents, build their IR, render every module.

Nothing is written here. The result is the complete output tree in memory, so a
run with errors can refuse to write anything at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator import ir
from generator.build import Project
from generator.diagnostics import Diagnostics, Span, display_path
from generator.emit.render import render_package_init, render_root_init, render_workflow

_ARAZZO_KEY = re.compile(r'^(arazzo|"arazzo"\s*)\s*:|[{,]\s*"arazzo"\s*:', re.MULTILINE)
_EXTENSIONS = (".yaml", ".yml", ".json")


@dataclass
class Result:
    """The output tree (relative path -> text) and everything worth telling."""

    files: dict[str, str] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    workflows: list[ir.Workflow] = field(default_factory=list)


def display_root(specs: Iterable[Path]) -> Path:
    """The folder shown paths are relative to the parent of: the inputs' common path."""
    resolved = [str(p.resolve()) for p in specs]
    return Path(os.path.commonpath(resolved)) if resolved else Path.cwd()


def find_documents(specs: Iterable[Path], diagnostics: Diagnostics, root: Path) -> list[Path]:
    """Arazzo documents among the given files and (recursively) folders, sorted."""
    found: set[Path] = set()
    for spec in specs:
        if spec.is_dir():
            found |= {p.resolve() for p in spec.rglob("*") if _is_arazzo_file(p)}
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


def _is_arazzo_file(path: Path) -> bool:
    if path.suffix.lower() not in _EXTENSIONS or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return False
    return _ARAZZO_KEY.search(head) is not None


def compile_specs(specs: list[Path]) -> Result:
    result = Result()
    root = display_root(specs)
    project = Project(root, result.diagnostics)
    for path in find_documents(specs, result.diagnostics, root):
        result.workflows += project.build_document(path)
    by_package: dict[str, list[ir.Workflow]] = {}
    for workflow in result.workflows:
        by_package.setdefault(workflow.package, []).append(workflow)
        result.files[f"{workflow.package}/{workflow.module}.py"] = render_workflow(workflow)
    for package, workflows in by_package.items():
        result.files[f"{package}/__init__.py"] = render_package_init(package, workflows)
    result.files["__init__.py"] = render_root_init(list(by_package))
    return result
