"""Write: put the output tree on disk atomically, or compare it for `--check`.

Each file is written to a temporary file in its own folder and renamed over the
old one, so a reader never sees half a module. Files whose bytes would not
change are not touched.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Drift:
    """How an existing output tree differs from what would be generated."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def compare(out: Path, files: dict[str, str]) -> Drift:
    drift = Drift()
    for relative in sorted(files):
        current = _read(out / relative)
        if current is None:
            drift.added.append(relative)
        elif current != files[relative]:
            drift.changed.append(relative)
            drift.diff += difflib.unified_diff(
                current.splitlines(keepends=True),
                files[relative].splitlines(keepends=True),
                f"a/{relative}",
                f"b/{relative}",
            )
    return drift


def write_tree(out: Path, files: dict[str, str]) -> list[str]:
    """Write every file that changed; returns the relative paths written."""
    written = []
    for relative in sorted(files):
        target = out / relative
        if _read(target) == files[relative]:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, files[relative])
        written.append(relative)
    return written


def _file_mode(target: Path) -> int:
    """The mode a new file would get from the umask, or the mode the old file had."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _atomic_write(target: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, _file_mode(target))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
