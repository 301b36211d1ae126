"""Write: put the generated tree in OUT as one transaction, or compare it for `--check`.

    from generator.write import WriteError, compare, write_tree
    result = write_tree(out, files)  # files: relative POSIX path -> text; a WriteResult
    drift = compare(out, files)      # a Drift; writes nothing

`write_tree` raises WriteError, having changed nothing, when writing would be
unsafe (the message names each path and what to do). Other failures (an OSError,
KeyboardInterrupt) propagate after the previous tree has been put back.

Ownership (`plan.py`, `manifest.py`). Every run that changes OUT also writes
`OUT/.arazzo-gen-manifest.json`, the sha256 of every file it generated; that is
how the next run knows which files are its own:

- a file to generate is written if it is missing or listed in the previous
  manifest (hand edits to it are overwritten and reported in
  `WriteResult.edited`); one that is byte-identical already is not touched;
- an existing file the manifest does not list, or with no manifest one whose
  bytes differ, stops the run; with no manifest, identical files are adopted;
- a file the previous manifest lists that is no longer generated is deleted if
  its bytes still match the manifest (if they do not, the run stops), and then
  each folder that held one and is left empty, or holding only a `__pycache__`
  of .pyc files, is removed;
- nothing else in OUT is ever read, written or deleted.

Every problem is found before the first write, and all are reported together.
Paths must be relative and `/`-separated, without empty, `.` or `..` segments,
backslashes, NUL or `:`; no folder on the way nor the file itself may be a
symbolic link (OUT itself may be one). A second run on the same OUT is refused
while the first holds its lock (`flock` on OUT).

Transaction (`commit.py`), with an undo journal `OUT/.arazzo-gen-journal.json`:

1. the journal lists every step of the run, state "undo" (written to a temporary
   name, fsynced, renamed into place) before anything else changes;
2. missing folders are created; each new file is staged beside its target as
   `.<name>.<token>.arazzo-gen-new` (mode 0o666 & ~umask, or the mode of the file
   it replaces), written and fsynced;
3. each old file is hard-linked to `.<name>.<token>.arazzo-gen-old` and the staged
   file renamed over it, so a reader always finds a whole file; a stale file is
   renamed to its `-old` name; the manifest goes last; the folders are fsynced;
4. commit point: the journal is rewritten with state "done";
5. the `-old` files and the emptied folders are deleted, then the journal.

If anything raises before step 4, the run undoes itself from the journal before
re-raising: `-old` files are renamed back (the same inodes, so mtimes and modes
come back too), files it added are deleted if they still hold what it wrote,
staged files and created folders go. After step 4 it only finishes step 5. If
the process dies instead (kill -9, power loss) or the undo fails too, the
journal stays: the next `write_tree` (or `recover`) first finishes or undoes
that run the same way, and until then `compare` reports `Drift.interrupted`.
A half-written tree therefore exists only between a crash and the next run,
and is never mistaken for a good one.

Limits. Readers running during step 3 can see some files old and some new: the
transaction protects against failures, not against concurrent readers. The
checks made before step 1 and the writes are not atomic against other programs
changing OUT at the same time. Where hard links are not supported the old file is
renamed aside instead, so for a moment it is missing. Rewritten files get a
new inode and the current user as owner (their mode is kept). A file name
within about 30 characters of the file system's limit cannot be staged.
Durability after power loss relies on fsync, which some file systems ignore.
There is no lock on Windows.
"""

from __future__ import annotations

from generator.write.paths import JOURNAL, MANIFEST, WriteError
from generator.write.tree import Drift, WriteResult, compare, recover, write_tree

__all__ = [
    "JOURNAL",
    "MANIFEST",
    "Drift",
    "WriteError",
    "WriteResult",
    "compare",
    "recover",
    "write_tree",
]
