"""The public operations: `write_tree` puts the output tree on disk, `compare` checks it."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from generator.write.commit import commit
from generator.write.commit import recover as recover_in
from generator.write.manifest import load_manifest
from generator.write.paths import JOURNAL, WriteError, check_paths, output_root, read_file
from generator.write.plan import expected_tree, make_plan

if sys.platform != "win32":
    import fcntl


@dataclass
class WriteResult:
    """What `write_tree` changed (relative paths, sorted)."""

    written: list[str] = field(default_factory=list)  # added or rewritten, the manifest included
    removed: list[str] = field(default_factory=list)  # stale files deleted
    edited: list[str] = field(default_factory=list)  # of `written`: hand edits overwritten


@dataclass
class Drift:
    """How OUT differs from what `write_tree` would make of it."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # stale files the manifest lists
    diff: list[str] = field(default_factory=list)  # unified diff of `changed`
    interrupted: bool = False  # an interrupted run left its journal; a write recovers

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.interrupted)


def write_tree(out: Path, files: Mapping[str, str]) -> WriteResult:
    """Make OUT hold exactly `files` (relative POSIX path -> text) and the manifest.

    Raises WriteError, having changed nothing, if that would write outside OUT,
    through a link, over a file arazzo-gen did not generate, or delete an edited
    one. Any other failure (OSError, KeyboardInterrupt) leaves the previous tree.
    """
    check_paths(files)
    root = output_root(out)
    created = [folder for folder in (root, *root.parents) if not folder.exists()]
    if created:
        root.mkdir(parents=True, exist_ok=True)
    try:
        with _locked(root, out):
            recover_in(root, out)
            plan = make_plan(root, out, files)
            if plan:
                commit(root, plan)
    except BaseException:
        for folder in created:
            with suppress(OSError):
                os.rmdir(folder)
        raise
    return WriteResult(sorted(plan.write), plan.delete, plan.edited)


def compare(out: Path, files: Mapping[str, str]) -> Drift:
    """How OUT differs from what `write_tree(out, files)` would make; writes nothing."""
    check_paths(files)
    root = output_root(out)
    tree = expected_tree(files)
    previous = load_manifest(root, out) or {}
    drift = Drift(interrupted=os.path.lexists(root / JOURNAL))
    for relative in sorted(tree):
        current = read_file(root, relative, out)
        if current is None:
            drift.added.append(relative)
        elif current.data != tree[relative]:
            drift.changed.append(relative)
            drift.diff += difflib.unified_diff(
                current.data.decode("utf-8", "replace").splitlines(keepends=True),
                tree[relative].decode("utf-8").splitlines(keepends=True),
                f"a/{relative}",
                f"b/{relative}",
            )
    for relative in sorted(set(previous) - set(tree)):
        if read_file(root, relative, out) is not None:
            drift.removed.append(relative)
    return drift


def recover(out: Path) -> None:
    """Finish or undo a run on OUT that was killed mid-way (`write_tree` does this first)."""
    root = output_root(out)
    if root.is_dir():
        with _locked(root, out):
            recover_in(root, out)


@contextmanager
def _locked(root: Path, shown: Path) -> Iterator[None]:
    """Hold an exclusive lock on OUT, so two runs never write it at once."""
    if sys.platform == "win32":
        yield
        return
    handle = os.open(root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WriteError(
                [f"{shown} is being written by another arazzo-gen run: wait for it to finish"]
            ) from None
        yield
    finally:
        os.close(handle)
