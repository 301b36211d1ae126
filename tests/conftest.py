"""Shared pytest fixtures."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from corpus import case_folder
from fake_connect import FakeConnect
from hypothesis import settings

from generator.diagnostics import Level
from generator.pipeline import compile_specs
from generator.write import write_tree

# Hypothesis: no per-example deadline; CI machines are shared and timing is noisy.
settings.register_profile("arazzo-gen", deadline=None)
settings.load_profile("arazzo-gen")

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
        # a corpus document may reference any file of its case (its folder otherwise)
        result = compile_specs([document], allow=[case_folder(document)])
        errors = [d.render() for d in result.diagnostics if d.level is Level.ERROR]
        assert not errors, errors
        # A package name of its own per test, so generated modules never collide.
        root = "_arazzo_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name)
        write_tree(tmp_path / "packages" / root, result.files)
        sys.path.insert(0, str(tmp_path / "packages"))
        try:
            modules = {
                w.module: importlib.import_module(f"{root}.{w.package}.{w.module}")
                for w in result.workflows
            }
        finally:
            sys.path.remove(str(tmp_path / "packages"))
        return modules

    return compile_document
