"""Shared pytest fixtures."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fake_connect import FakeConnect

from generator.diagnostics import Level
from generator.pipeline import compile_specs
from generator.write import write_tree

# Tests never read or fill the user's cache (see generator/cache.py).
os.environ["ARAZZO_GEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="arazzo-gen-test-cache-")

# --- Fake Amazon Connect server (see tests/fake_connect.py) -----------------


@pytest.fixture
def connect_server() -> Iterator[FakeConnect]:
    """A running FakeConnect on 127.0.0.1; stopped when the test ends."""
    with FakeConnect() as fake:
        yield fake


# --- Compiling documents in tests ---------------------------------------------

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def compile_workflows(tmp_path: Path) -> Callable[[Path], dict[str, ModuleType]]:
    """Compile one Arazzo document into a temporary folder and import its modules.

    Returns the modules by workflow module name; raises if the document has errors.
    """

    def compile_document(document: Path) -> dict[str, ModuleType]:
        result = compile_specs([document])
        errors = [d.render() for d in result.diagnostics if d.level is Level.ERROR]
        assert not errors, errors
        out = tmp_path / "out"
        write_tree(out, result.files)
        modules = {}
        for workflow in result.workflows:
            path = out / workflow.package / f"{workflow.module}.py"
            name = f"_arazzo_test_{tmp_path.name}_{workflow.package}_{workflow.module}"
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
            spec.loader.exec_module(module)
            modules[workflow.module] = module
        return modules

    return compile_document
