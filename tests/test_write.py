"""Tests for `generator.write`: the manifest, stale removal, refusals, the transaction, compare.

Everything runs on real files under `tmp_path`. `snapshot` records every entry of a
tree, hidden ones included, with bytes, mode, mtime and inode, so "nothing was
written" and "the old tree is back" are checked exactly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from generator import write
from generator.write import (
    JOURNAL,
    MANIFEST,
    Drift,
    WriteError,
    WriteResult,
    compare,
    recover,
    write_tree,
)

OLD = {
    "__init__.py": '"""Generated workflows."""\n',
    "alpha/__init__.py": "from .one import one\n",
    "alpha/one.py": "def one() -> int:\n    return 1\n",
    "beta/__init__.py": "",
    "beta/two.py": "TWO = 2\n",
}
#: One file changed, one package gone, one package added.
NEW = {
    "__init__.py": '"""Generated workflows."""\n',
    "alpha/__init__.py": "from .one import one\n",
    "alpha/one.py": "def one() -> int:\n    return 1 + 0\n",
    "gamma/__init__.py": "",
    "gamma/three.py": "THREE = 3\n",
}
MOVE_ASIDE = "remove it or choose another output folder"

Entry = tuple[Any, ...]


def snapshot(root: Path) -> dict[str, Entry]:
    """Every entry under `root`: files with bytes, mode, mtime and inode; folders; links."""
    entries: dict[str, Entry] = {}
    for folder, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(folder, name)
            status = path.lstat()
            relative = path.relative_to(root).as_posix()
            if stat.S_ISLNK(status.st_mode):
                entries[relative] = ("link", os.readlink(path))
            elif stat.S_ISDIR(status.st_mode):
                entries[relative] = ("folder", stat.S_IMODE(status.st_mode))
            else:
                mode = stat.S_IMODE(status.st_mode)
                entries[relative] = (path.read_bytes(), mode, status.st_mtime_ns, status.st_ino)
    return entries


def contents(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def age(root: Path) -> None:
    """Set every mtime a day back, so any rewrite shows up as a changed mtime."""
    for path in [root, *root.rglob("*")]:
        status = path.lstat()
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns - 86_400 * 10**9))


def folder_mtimes(root: Path) -> dict[str, int]:
    return {p.as_posix(): p.stat().st_mtime_ns for p in [root, *root.rglob("*")] if p.is_dir()}


def manifest_of(files: dict[str, str]) -> dict[str, Any]:
    return {
        "files": {
            name: {"sha256": hashlib.sha256(text.encode()).hexdigest()}
            for name, text in files.items()
        },
        "format": 1,
        "generator": "arazzo-gen",
    }


def hand_write(root: Path, files: dict[str, str]) -> None:
    """Put `files` in `root` without arazzo-gen (no manifest)."""
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")


def leftovers(root: Path) -> list[str]:
    """Journal, staged and kept-aside files a run must never leave behind."""
    return sorted(
        name for name in contents(root) if ".arazzo-gen-" in name and MANIFEST not in name
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


# --- writing ----------------------------------------------------------------------


def test_first_write_creates_the_tree_and_the_manifest(out: Path) -> None:
    result = write_tree(out, OLD)

    assert result == WriteResult(written=sorted([*OLD, MANIFEST]), removed=[], edited=[])
    assert contents(out) == {
        **{name: text.encode() for name, text in OLD.items()},
        MANIFEST: (out / MANIFEST).read_bytes(),
    }
    text = (out / MANIFEST).read_text(encoding="utf-8")
    assert json.loads(text) == manifest_of(OLD)
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_the_manifest_is_deterministic(tmp_path: Path) -> None:
    write_tree(tmp_path / "a", OLD)
    write_tree(tmp_path / "b", dict(reversed(OLD.items())))
    assert (tmp_path / "a" / MANIFEST).read_bytes() == (tmp_path / "b" / MANIFEST).read_bytes()


def test_rewriting_identical_content_touches_nothing(out: Path) -> None:
    write_tree(out, OLD)
    age(out)
    before, folders = snapshot(out), folder_mtimes(out)

    assert write_tree(out, dict(OLD)) == WriteResult()

    assert snapshot(out) == before
    assert folder_mtimes(out) == folders


def test_a_changed_file_is_rewritten_and_nothing_else(out: Path) -> None:
    write_tree(out, OLD)
    age(out)
    before = snapshot(out)
    files = {**OLD, "alpha/one.py": NEW["alpha/one.py"]}

    result = write_tree(out, files)

    assert result == WriteResult(written=[MANIFEST, "alpha/one.py"])
    assert (out / "alpha/one.py").read_text(encoding="utf-8") == NEW["alpha/one.py"]
    assert json.loads((out / MANIFEST).read_bytes()) == manifest_of(files)
    after = snapshot(out)
    for name in ("__init__.py", "alpha/__init__.py", "beta/two.py"):
        assert after[name] == before[name]
    assert leftovers(out) == []


def test_a_file_no_longer_produced_is_removed_with_its_emptied_package(out: Path) -> None:
    write_tree(out, OLD)
    for package in ("alpha", "beta"):
        (out / package / "__pycache__").mkdir()
        (out / package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")

    result = write_tree(out, NEW)

    assert result.removed == ["beta/__init__.py", "beta/two.py"]
    assert not (out / "beta").exists()
    assert (out / "alpha" / "__pycache__" / "x.cpython-311.pyc").exists()
    assert sorted(contents(out)) == sorted([*NEW, MANIFEST, "alpha/__pycache__/x.cpython-311.pyc"])
    assert json.loads((out / MANIFEST).read_bytes()) == manifest_of(NEW)


def test_a_stale_package_holding_other_files_is_kept_with_them(out: Path) -> None:
    write_tree(out, OLD)
    (out / "beta" / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "beta" / "__pycache__").mkdir()
    (out / "beta" / "__pycache__" / "two.cpython-311.pyc").write_bytes(b"\0")

    write_tree(out, NEW)

    assert sorted(contents(out / "beta")) == ["__pycache__/two.cpython-311.pyc", "notes.txt"]


def test_unrelated_user_files_are_left_alone(out: Path) -> None:
    write_tree(out, OLD)
    hand_write(out, {"README.md": "# mine\n", "alpha/notes.txt": "notes\n"})
    age(out)
    before = snapshot(out)

    write_tree(out, NEW)

    after = snapshot(out)
    assert after["README.md"] == before["README.md"]
    assert after["alpha/notes.txt"] == before["alpha/notes.txt"]


def test_a_hand_edited_file_that_is_still_generated_is_regenerated(out: Path) -> None:
    write_tree(out, OLD)
    (out / "alpha/one.py").write_text("# my edit\n", encoding="utf-8")

    result = write_tree(out, OLD)

    assert result == WriteResult(written=["alpha/one.py"], edited=["alpha/one.py"])
    assert (out / "alpha/one.py").read_text(encoding="utf-8") == OLD["alpha/one.py"]


def test_a_hand_edited_stale_file_is_not_deleted(out: Path) -> None:
    write_tree(out, OLD)
    (out / "beta/two.py").write_text("TWO = 22  # my edit\n", encoding="utf-8")
    age(out)
    before = snapshot(out)

    with pytest.raises(WriteError) as raised:
        write_tree(out, NEW)

    assert str(raised.value) == (
        f"{out / 'beta/two.py'} is no longer generated, but it was edited since arazzo-gen "
        "wrote it: move your changes elsewhere and delete it, then run again"
    )
    assert snapshot(out) == before


# --- files arazzo-gen did not write -------------------------------------------------


def test_a_foreign_file_in_the_way_stops_the_run_before_anything_is_written(
    out: Path,
) -> None:
    hand_write(out, {"alpha/one.py": "# not generated\n"})
    age(out)
    before = snapshot(out)

    with pytest.raises(WriteError) as raised:
        write_tree(out, OLD)

    assert str(raised.value) == (
        f"{out / 'alpha/one.py'} already exists with other content, and {out} has no "
        f"{MANIFEST} to show arazzo-gen wrote it: {MOVE_ASIDE}"
    )
    assert snapshot(out) == before


def test_a_foreign_file_not_in_the_manifest_stops_the_run(out: Path) -> None:
    write_tree(out, OLD)
    hand_write(out, {"gamma/three.py": "# mine\n", "gamma/__init__.py": "# mine too\n"})
    age(out)
    before = snapshot(out)

    with pytest.raises(WriteError) as raised:
        write_tree(out, NEW)

    assert raised.value.problems == tuple(
        f"{out / name} was not generated by arazzo-gen: {MOVE_ASIDE}"
        for name in ("gamma/__init__.py", "gamma/three.py")
    )
    assert snapshot(out) == before


def test_a_folder_in_the_way_stops_the_run(out: Path) -> None:
    (out / "alpha" / "one.py").mkdir(parents=True)
    before = snapshot(out)
    with pytest.raises(WriteError, match="is in the way"):
        write_tree(out, OLD)
    assert snapshot(out) == before


def test_an_existing_matching_tree_without_a_manifest_is_adopted(out: Path) -> None:
    hand_write(out, OLD)
    age(out)
    before = snapshot(out)

    assert write_tree(out, OLD) == WriteResult(written=[MANIFEST])

    after = snapshot(out)
    assert {name: after[name] for name in before} == before
    # From now on arazzo-gen owns them: stale ones are removed.
    assert write_tree(out, NEW).removed == ["beta/__init__.py", "beta/two.py"]


@pytest.mark.parametrize(
    "manifest",
    [
        b"{not json",
        b'{"format": 1, "files": {}}',
        b'{"format": 2, "files": {}, "generator": "arazzo-gen"}',
        b'{"format": 1, "files": {"../victim.py": {"sha256": "' + b"0" * 64 + b'"}}, '
        b'"generator": "arazzo-gen"}',
    ],
    ids=["not-json", "not-ours", "newer", "escaping-path"],
)
def test_an_unreadable_manifest_stops_the_run(tmp_path: Path, out: Path, manifest: bytes) -> None:
    hand_write(out, OLD)
    (out / MANIFEST).write_bytes(manifest)
    (tmp_path / "victim.py").write_text("precious\n", encoding="utf-8")
    before = snapshot(tmp_path)

    with pytest.raises(WriteError, match=f"{MANIFEST} .*: remove it"):
        write_tree(out, NEW)
    with pytest.raises(WriteError):
        compare(out, NEW)

    assert snapshot(tmp_path) == before


# --- paths ------------------------------------------------------------------------

BAD_PATHS = [
    "../x.py",
    "/etc/x",
    "a/../../x",
    "a\\b",
    "a//b.py",
    "./a.py",
    "a/",
    "",
    "x\0.py",
    "C:x.py",
    MANIFEST,
    JOURNAL,
]


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_unsafe_paths_are_refused_and_nothing_is_written(
    tmp_path: Path, out: Path, bad: str
) -> None:
    write_tree(out, OLD)
    before = snapshot(tmp_path)

    with pytest.raises(WriteError, match="refusing to write"):
        write_tree(out, {**NEW, bad: "x = 1\n"})
    with pytest.raises(WriteError, match="refusing to write"):
        compare(out, {**NEW, bad: "x = 1\n"})
    with pytest.raises(WriteError, match="refusing to write"):
        write_tree(tmp_path / "missing", {bad: "x = 1\n"})

    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "files",
    [{"a.py": "", "a.py/b.py": ""}, {"pkg/A.py": "", "pkg/a.py": ""}],
    ids=["file-and-folder", "case-only"],
)
def test_colliding_paths_are_refused(out: Path, files: dict[str, str]) -> None:
    with pytest.raises(WriteError, match="refusing to write"):
        write_tree(out, files)
    assert not out.exists()


def test_a_symlinked_folder_pointing_outside_is_refused(tmp_path: Path, out: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    (out / "alpha").symlink_to(outside, target_is_directory=True)
    before = snapshot(tmp_path)

    with pytest.raises(WriteError) as raised:
        write_tree(out, OLD)

    assert str(raised.value) == (
        f"{out / 'alpha'} is a symbolic link, and arazzo-gen never writes through links: "
        + MOVE_ASIDE
    )
    assert snapshot(tmp_path) == before
    assert list(outside.iterdir()) == []


def test_a_symlinked_file_is_neither_written_nor_deleted(tmp_path: Path, out: Path) -> None:
    write_tree(out, OLD)
    victim = tmp_path / "victim.py"
    victim.write_text("precious\n", encoding="utf-8")
    for name in ("alpha/one.py", "beta/two.py"):  # one to rewrite, one stale
        (out / name).unlink()
        (out / name).symlink_to(victim)
    before = snapshot(tmp_path)

    with pytest.raises(WriteError) as raised:
        write_tree(out, NEW)

    assert [p.split(" is ")[0] for p in raised.value.problems] == [
        str(out / "alpha/one.py"),
        str(out / "beta/two.py"),
    ]
    assert snapshot(tmp_path) == before


def test_a_stale_file_behind_a_symlinked_folder_is_not_deleted(tmp_path: Path, out: Path) -> None:
    write_tree(out, OLD)
    elsewhere = tmp_path / "elsewhere"
    (out / "beta").rename(elsewhere)
    (out / "beta").symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(tmp_path)

    with pytest.raises(WriteError, match="symbolic link"):
        write_tree(out, NEW)

    assert snapshot(tmp_path) == before


def test_the_output_folder_itself_may_be_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    write_tree(tmp_path / "link", OLD)
    assert sorted(contents(real)) == sorted([*OLD, MANIFEST])


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(WriteError, match="is not a folder"):
        write_tree(target, OLD)
    assert target.read_text(encoding="utf-8") == "keep me"


# --- failures in the middle of a run --------------------------------------------------


def _fail_second_swap(exc: type[BaseException]) -> Callable[..., None]:
    """`os.replace` that raises on the second staged file it renames into place."""
    real, swaps = os.replace, []

    def replace(source: Any, target: Any, **kwargs: Any) -> None:
        if str(source).endswith(".arazzo-gen-new"):
            swaps.append(target)
            if len(swaps) == 2:
                raise exc("injected")
        real(source, target, **kwargs)

    return replace


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError])
def test_an_interrupt_after_the_first_file_leaves_the_old_tree(
    out: Path, monkeypatch: pytest.MonkeyPatch, exc: type[BaseException]
) -> None:
    write_tree(out, OLD)
    (out / "beta" / "__pycache__").mkdir()
    (out / "beta" / "__pycache__" / "two.cpython-311.pyc").write_bytes(b"\0")
    age(out)
    before = snapshot(out)
    monkeypatch.setattr(os, "replace", _fail_second_swap(exc))

    with pytest.raises(exc, match="injected"):
        write_tree(out, NEW)

    assert snapshot(out) == before  # same bytes, modes, mtimes and even inodes


#: Every system call through which `write_tree` changes the disk.
PRIMITIVES = ("open", "replace", "rename", "link", "unlink", "mkdir", "rmdir", "fsync", "chmod")


class Faults:
    """Make the `at`-th primitive call raise; with `crash`, every later one too (a dead process)."""

    def __init__(
        self, patch: pytest.MonkeyPatch, at: int, exc: type[BaseException], crash: bool
    ) -> None:
        self.at, self.exc, self.crash = at, exc, crash
        self.calls, self.tripped = 0, False
        self.log: list[tuple[str, str]] = []  # (primitive, first argument) of each call
        for name in PRIMITIVES:
            patch.setattr(os, name, self._wrap(getattr(os, name)))

    def _wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def primitive(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            self.log.append((real.__name__, str(args[0])))
            if self.calls == self.at or (self.crash and self.calls > self.at):
                self.tripped = True
                raise self.exc("injected")
            return real(*args, **kwargs)

        return primitive


def _old_tree(out: Path) -> None:
    write_tree(out, OLD)
    hand_write(out, {"README.md": "mine\n"})
    (out / "beta" / "__pycache__").mkdir()
    (out / "beta" / "__pycache__" / "two.cpython-311.pyc").write_bytes(b"\0")
    os.chmod(out / "alpha/one.py", 0o600)
    age(out)


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError])
@pytest.mark.parametrize("crash", [False, True], ids=["interrupted", "killed"])
def test_a_failure_at_any_system_call_leaves_the_old_tree_or_the_new_one(
    tmp_path: Path, exc: type[BaseException], crash: bool
) -> None:
    """Fail each primitive call in turn; "killed" runs are recovered by the next run.

    Before the commit point the old tree must be back exactly; after it, the new
    tree must be complete. Either way no journal or staged file may be left over.
    """
    reference = tmp_path / "reference"
    _old_tree(reference)
    write_tree(reference, NEW)
    new = contents(reference)
    outcomes = []
    for at in itertools.count(1):
        out = tmp_path / str(at)
        _old_tree(out)
        before = snapshot(out)
        with pytest.MonkeyPatch.context() as patch:
            faults = Faults(patch, at, exc, crash)
            with suppress(exc):
                write_tree(out, NEW)
        if not faults.tripped:
            break
        undone_in_process = not (out / JOURNAL).exists()
        recover(out)  # what the next run does first
        if contents(out) == new:
            outcomes.append("new")
        else:
            assert snapshot(out) == before, f"failing system call #{at}"
            assert undone_in_process or crash, f"failing system call #{at}"
            outcomes.append("old")
        assert leftovers(out) == [], f"failing system call #{at}"
        write_tree(out, NEW)
        assert contents(out) == new, f"failing system call #{at}"
    assert at > 20
    assert outcomes[0] == "old"
    assert outcomes[-1] == "new"


def test_compare_reports_an_interrupted_run_and_the_next_write_recovers(
    tmp_path: Path, out: Path
) -> None:
    # A trial run on a copy finds the system call that swaps in the second new file.
    write_tree(tmp_path / "trial", OLD)
    with pytest.MonkeyPatch.context() as patch:
        trial = Faults(patch, 10**9, KeyboardInterrupt, crash=False)
        write_tree(tmp_path / "trial", NEW)
    swaps = [
        number
        for number, (name, argument) in enumerate(trial.log, 1)
        if name == "replace" and argument.endswith(".arazzo-gen-new")
    ]
    write_tree(out, OLD)
    age(out)
    before = snapshot(out)
    with pytest.MonkeyPatch.context() as patch:
        Faults(patch, swaps[1], KeyboardInterrupt, crash=True)
        with pytest.raises(KeyboardInterrupt):
            write_tree(out, NEW)
    assert (out / JOURNAL).exists()
    assert contents(out)["alpha/one.py"] == NEW["alpha/one.py"].encode()  # half-way

    drift = compare(out, OLD)
    assert drift.interrupted
    assert drift

    recover(out)
    assert snapshot(out) == before
    write_tree(out, NEW)
    assert compare(out, NEW) == Drift()


def test_a_damaged_journal_stops_the_run(out: Path) -> None:
    write_tree(out, OLD)
    (out / JOURNAL).write_text('{"state": "undo"}', encoding="utf-8")
    before = snapshot(out)
    with pytest.raises(WriteError, match="is damaged"):
        write_tree(out, NEW)
    assert snapshot(out) == before


@pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")
def test_a_second_run_on_the_same_folder_is_refused(out: Path) -> None:
    import fcntl

    write_tree(out, OLD)
    before = snapshot(out)
    handle = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(WriteError, match="being written by another arazzo-gen run"):
            write_tree(out, NEW)
    finally:
        os.close(handle)
    assert snapshot(out) == before


def test_a_missing_output_folder_is_created_and_removed_again_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "deep" / "out"
    monkeypatch.setattr(os, "replace", _fail_second_swap(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        write_tree(out, OLD)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    write_tree(out, OLD)
    assert sorted(contents(out)) == sorted([*OLD, MANIFEST])


# --- modes ------------------------------------------------------------------------


@pytest.mark.usefixtures("umask_022")
def test_new_files_follow_the_umask_and_existing_files_keep_their_mode(out: Path) -> None:
    write_tree(out, OLD)
    assert {
        name: (out / name).stat().st_mode & 0o777 for name in [*OLD, MANIFEST]
    } == dict.fromkeys([*OLD, MANIFEST], 0o644)
    os.chmod(out / "alpha/one.py", 0o600)
    os.chmod(out / MANIFEST, 0o640)

    write_tree(out, NEW)

    assert (out / "alpha/one.py").stat().st_mode & 0o777 == 0o600
    assert (out / MANIFEST).stat().st_mode & 0o777 == 0o640
    assert (out / "gamma/three.py").stat().st_mode & 0o777 == 0o644


# --- compare ----------------------------------------------------------------------


def test_compare_against_a_missing_folder_adds_everything_and_creates_nothing(
    out: Path,
) -> None:
    drift = compare(out, OLD)
    assert drift == Drift(added=sorted([*OLD, MANIFEST]))
    assert drift
    assert not out.exists()


def test_compare_an_up_to_date_tree(out: Path) -> None:
    write_tree(out, OLD)
    drift = compare(out, OLD)
    assert drift == Drift()
    assert not drift


def test_compare_reports_added_changed_and_removed_and_writes_nothing(out: Path) -> None:
    write_tree(out, OLD)
    hand_write(out, {"README.md": "mine\n"})
    age(out)
    before, folders = snapshot(out), folder_mtimes(out)

    drift = compare(out, NEW)

    assert drift.added == ["gamma/__init__.py", "gamma/three.py"]
    assert drift.changed == [MANIFEST, "alpha/one.py"]
    assert drift.removed == ["beta/__init__.py", "beta/two.py"]
    assert not drift.interrupted
    diff = "".join(drift.diff)
    assert (
        "--- a/alpha/one.py\n+++ b/alpha/one.py\n@@ -1,2 +1,2 @@\n def one() -> int:\n"
        "-    return 1\n+    return 1 + 0\n"
    ) in diff
    assert f"--- a/{MANIFEST}\n+++ b/{MANIFEST}\n" in diff
    assert snapshot(out) == before
    assert folder_mtimes(out) == folders


def test_compare_reports_a_missing_or_stale_manifest(out: Path) -> None:
    hand_write(out, OLD)
    assert compare(out, OLD) == Drift(added=[MANIFEST])

    write_tree(out, OLD)
    (out / MANIFEST).write_text(json.dumps(manifest_of(NEW), indent=2), encoding="utf-8")
    drift = compare(out, OLD)
    assert drift.changed == [MANIFEST]
    assert drift.added == drift.removed == []


def test_compare_sees_a_hand_edit_as_a_change_and_a_deleted_file_as_added(out: Path) -> None:
    write_tree(out, OLD)
    (out / "alpha/one.py").write_text("# edit\n", encoding="utf-8")
    (out / "beta/two.py").unlink()
    drift = compare(out, OLD)
    assert drift.changed == ["alpha/one.py"]
    assert drift.added == ["beta/two.py"]
    assert drift.diff[:2] == ["--- a/alpha/one.py\n", "+++ b/alpha/one.py\n"]


def test_the_old_names_still_import() -> None:
    assert write.compare is compare
    assert write.write_tree is write_tree
    assert issubclass(WriteError, Exception)


def test_copytree_of_a_generated_tree_is_still_owned(tmp_path: Path) -> None:
    """A copy (as in CI checkouts) keeps its manifest, so stale files still go."""
    write_tree(tmp_path / "a", OLD)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert write_tree(tmp_path / "b", NEW).removed == ["beta/__init__.py", "beta/two.py"]
