"""Apply a plan as one transaction, with an undo journal; finish or undo an interrupted one.

See the package docstring for the design. The journal, `OUT/.arazzo-gen-journal.json`:

    {"arazzo-gen-journal": 1, "state": "undo" | "done", "token": "<8 hex digits>",
     "steps": [{"path": "pkg/mod.py", "sha256": "<new bytes>" | null, "backup": true}, ...],
     "created": ["pkg", ...], "folders": ["stale_pkg", ...]}

A step with a sha256 puts new bytes in place (staged as `.mod.py.<token>.arazzo-gen-new`);
one without deletes the file. `backup` means the old file is kept as
`.mod.py.<token>.arazzo-gen-old` until the run is done. Names are derived from the
path and the token, so a journal can only ever touch files beside OUT's own paths.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from generator.write.manifest import sha256
from generator.write.paths import JOURNAL, MANIFEST, WriteError, path_problem, read_file
from generator.write.plan import Plan


@dataclass(frozen=True)
class Step:
    path: str
    sha256: str | None  # of the new bytes; None when the file is deleted
    backup: bool  # the old file is kept aside until the run is done


@dataclass
class Journal:
    state: str  # "undo": roll back if interrupted; "done": the new tree stands, clean up
    token: str
    steps: list[Step]
    created: list[str]  # folders this run creates, parents first
    folders: list[str]  # folders to remove once empty, deepest first

    def aside(self, relative: str, kind: str) -> str:
        """Where the new ("new") or old ("old") bytes of `relative` wait, beside it."""
        folder, _, name = relative.rpartition("/")
        aside = f".{name}.{self.token}.arazzo-gen-{kind}"
        return f"{folder}/{aside}" if folder else aside


def commit(root: Path, plan: Plan) -> None:
    """Apply `plan` to `root`: all of it, or (after an error or interrupt) none of it."""
    writes = sorted(plan.write, key=lambda relative: (relative == MANIFEST, relative))
    journal = Journal(
        "undo",
        secrets.token_hex(4),
        [Step(relative, None, True) for relative in plan.delete]
        + [Step(r, sha256(plan.write[r]), r in plan.modes) for r in writes],
        _missing_folders(root, writes),
        plan.folders,
    )
    try:
        _save(root, journal)
        for folder in journal.created:
            os.mkdir(root / folder)
        for relative in writes:
            new = root / journal.aside(relative, "new")
            _stage(new, plan.write[relative], plan.modes.get(relative))
        for step in journal.steps:
            _swap(root, journal, step)
        touched = [step.path for step in journal.steps] + journal.created
        for parent in {root} | {(root / relative).parent for relative in touched}:
            _sync_folder(parent)
        journal.state = "done"
        _save(root, journal)  # the commit point
        _clean_up(root, journal)
    except BaseException:
        with suppress(BaseException):  # if this fails too, the next run recovers
            recover(root, root)
        raise


def recover(root: Path, shown: Path) -> None:
    """Finish or undo a run that was interrupted in `root`, as its journal says."""
    for leftover in root.glob(f"{JOURNAL}.*.tmp"):
        leftover.unlink()
    journal = _load(root, shown)
    if journal is None:
        return
    if journal.state == "done":
        _clean_up(root, journal)
        return
    for step in reversed(journal.steps):
        target, backup = root / step.path, root / journal.aside(step.path, "old")
        if step.backup and os.path.lexists(backup):
            os.replace(backup, target)
            if os.path.lexists(backup):  # both were links to one file: rename did nothing
                os.unlink(backup)
        elif not step.backup and step.sha256 and _digest(target) == step.sha256:
            os.unlink(target)  # a file this run added
        staged = root / journal.aside(step.path, "new")
        if os.path.lexists(staged):
            os.unlink(staged)
    for folder in reversed(journal.created):
        with suppress(OSError):
            os.rmdir(root / folder)
    os.unlink(root / JOURNAL)
    _sync_folder(root)


def _missing_folders(root: Path, relatives: list[str]) -> list[str]:
    missing: list[str] = []
    for relative in relatives:
        parts = relative.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder not in missing and not os.path.lexists(root / folder):
                missing.append(folder)
    return missing


def _stage(path: Path, data: bytes, mode: int | None) -> None:
    """Write a new file: mode 0o666 & ~umask, or `mode` (that of the file it replaces)."""
    with open(path, "xb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    if mode is not None:
        os.chmod(path, mode)


def _swap(root: Path, journal: Journal, step: Step) -> None:
    target, backup = root / step.path, root / journal.aside(step.path, "old")
    if step.sha256 is None:
        os.replace(target, backup)
        return
    if step.backup:
        try:
            os.link(target, backup)  # readers keep seeing the old file until the replace
        except OSError:
            os.replace(target, backup)  # no hard links here: a short gap instead
    os.replace(root / journal.aside(step.path, "new"), target)


def _clean_up(root: Path, journal: Journal) -> None:
    """Delete the old files kept aside and the emptied folders; then the journal."""
    failed = False
    for step in journal.steps:
        for kind in ("old", "new"):
            aside = root / journal.aside(step.path, kind)
            try:
                if os.path.lexists(aside):
                    os.unlink(aside)
            except OSError:
                failed = True
    for folder in journal.folders:
        try:
            _remove_if_empty(root / folder)
        except OSError:
            failed = True
    if not failed:
        with suppress(OSError):
            os.unlink(root / JOURNAL)
            _sync_folder(root)


def _remove_if_empty(folder: Path) -> None:
    """Remove `folder` if nothing but a `__pycache__` of .pyc files is left in it."""
    if not folder.is_dir() or folder.is_symlink():
        return
    names = {entry.name for entry in os.scandir(folder)}
    if names - {"__pycache__"}:
        return
    cache = folder / "__pycache__"
    if names:
        if cache.is_symlink() or not cache.is_dir():
            return
        compiled = list(cache.iterdir())
        if any(p.suffix != ".pyc" or not stat.S_ISREG(p.lstat().st_mode) for p in compiled):
            return
        for path in compiled:
            os.unlink(path)
        os.rmdir(cache)
    os.rmdir(folder)


def _digest(path: Path) -> str | None:
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    return sha256(path.read_bytes()) if stat.S_ISREG(status.st_mode) else None


def _sync_folder(folder: Path) -> None:
    """Make the renames in `folder` durable (best effort: not every system allows it)."""
    with suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _save(root: Path, journal: Journal) -> None:
    document = {
        "arazzo-gen-journal": 1,
        "state": journal.state,
        "token": journal.token,
        "steps": [vars(step) for step in journal.steps],
        "created": journal.created,
        "folders": journal.folders,
    }
    temporary = root / f"{JOURNAL}.{journal.token}.tmp"
    try:
        with open(temporary, "wb") as stream:
            stream.write(json.dumps(document, indent=1).encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, root / JOURNAL)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(root)


def _load(root: Path, shown: Path) -> Journal | None:
    found = read_file(root, JOURNAL, shown)
    if found is None:
        return None
    journal = _parse(found.data)
    if journal is None:
        raise WriteError(
            [
                f"{shown / JOURNAL} is damaged, so the arazzo-gen run it records cannot be "
                f"finished or undone: check {shown} by hand, then delete the journal"
            ]
        )
    return journal


def _parse(data: bytes) -> Journal | None:
    try:
        document = json.loads(data.decode("utf-8"))
        steps = [
            Step(str(s["path"]), None if s["sha256"] is None else str(s["sha256"]), s["backup"])
            for s in document["steps"]
        ]
        journal = Journal(
            str(document["state"]),
            str(document["token"]),
            steps,
            [str(folder) for folder in document["created"]],
            [str(folder) for folder in document["folders"]],
        )
    except (ValueError, KeyError, TypeError, AttributeError):  # also UnicodeDecodeError
        return None
    paths = [step.path for step in steps] + journal.created + journal.folders
    valid = (
        document.get("arazzo-gen-journal") == 1
        and journal.state in ("undo", "done")
        and re.fullmatch(r"[0-9a-f]{8}", journal.token) is not None
        and all(isinstance(step.backup, bool) for step in steps)
        and not any(path_problem(path) for path in paths)
    )
    return journal if valid else None
