"""Output paths: checked before anything touches the disk, read without following links."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

MANIFEST = ".arazzo-gen-manifest.json"
JOURNAL = ".arazzo-gen-journal.json"
_RESERVED = frozenset({MANIFEST, JOURNAL})
MOVE_ASIDE = "remove it or choose another output folder"


class WriteError(Exception):
    """The output folder cannot be written or compared safely; nothing was written."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class Existing(NamedTuple):
    """A regular file found in the output folder."""

    data: bytes
    mode: int


def path_problem(relative: str) -> str | None:
    """Why `relative` is not a safe relative POSIX path inside OUT, or None."""
    if "\\" in relative:
        return "it contains a backslash"
    if "\0" in relative:
        return "it contains a NUL character"
    if ":" in relative:
        return "it contains ':' (a drive or stream name on Windows)"
    if relative.startswith("/"):
        return "it is absolute"
    segments = relative.split("/")
    if "" in segments:
        return "it has an empty segment"
    if "." in segments or ".." in segments:
        return "it has a '.' or '..' segment"
    return None


def check_paths(relatives: Iterable[str]) -> None:
    """Refuse paths that are unsafe, reserved, or that collide with each other."""
    relatives = sorted(relatives)
    problems = []
    folders = folders_of(relatives)
    seen: dict[str, str] = {}
    for relative in relatives:
        problem = path_problem(relative)
        if problem is None and relative in _RESERVED:
            problem = "the name is reserved for arazzo-gen's own bookkeeping"
        if problem is None and relative in folders:
            problem = "it is both a file and a folder of other files"
        if problem is None and relative.casefold() in seen:
            problem = f"it differs from {seen[relative.casefold()]!r} only in case"
        seen.setdefault(relative.casefold(), relative)
        if problem:
            problems.append(f"refusing to write {relative!r} to the output folder: {problem}")
    if problems:
        raise WriteError(problems)


def folders_of(relatives: Iterable[str]) -> set[str]:
    """Every folder (relative, OUT itself excluded) on the way to one of `relatives`."""
    return {"/".join(r.split("/")[:i]) for r in relatives for i in range(1, r.count("/") + 1)}


def read_file(root: Path, relative: str, shown: Path) -> Existing | None:
    """The file `root/relative`, or None when it does not exist.

    Every folder on the way must be a real folder and the file a regular file:
    arazzo-gen never reads, writes or deletes through a symbolic link inside OUT.
    `shown` is OUT as the user named it, for messages.
    """
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        path = root.joinpath(*parts[:depth])
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            return None
        where = shown.joinpath(*parts[:depth])
        if stat.S_ISLNK(status.st_mode):
            raise WriteError(
                [
                    f"{where} is a symbolic link, and arazzo-gen never writes through links: "
                    + MOVE_ASIDE
                ]
            )
        last = depth == len(parts)
        if last and not stat.S_ISREG(status.st_mode):
            raise WriteError([f"{where} is in the way (it is not a regular file): {MOVE_ASIDE}"])
        if not last and not stat.S_ISDIR(status.st_mode):
            raise WriteError([f"{where} is in the way (a folder is needed there): {MOVE_ASIDE}"])
    with open(root.joinpath(*parts), "rb") as stream:
        return Existing(stream.read(), stat.S_IMODE(status.st_mode) & 0o777)


def output_root(out: Path) -> Path:
    """OUT with its own symbolic links resolved; refused if it is not a folder."""
    root = out.resolve()
    if root.exists() and not root.is_dir():
        raise WriteError([f"{out} is not a folder: choose another output folder"])
    return root
