"""Type-checking generated code from a test: `mypy --strict` on a folder of modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def assert_mypy_strict(folder: Path) -> None:
    """`mypy --strict` passes on `folder` (run from its parent, without a cache)."""
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", folder.name],
        cwd=folder.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
