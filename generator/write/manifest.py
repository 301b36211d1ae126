"""The manifest `OUT/.arazzo-gen-manifest.json`: what the last run generated.

    {
      "files": {"pkg/module.py": {"sha256": "<hex digest of the file's bytes>"}, ...},
      "format": 1,
      "generator": "arazzo-gen"
    }

Sorted keys, two-space indent, a trailing newline and no timestamps, so the same
output always gives the same manifest. It does not list itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

from generator.write.paths import JOURNAL, MANIFEST, WriteError, path_problem, read_file

FORMAT = 1
_DIGEST = re.compile(r"[0-9a-f]{64}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render_manifest(files: Mapping[str, bytes]) -> bytes:
    document = {
        "files": {relative: {"sha256": sha256(files[relative])} for relative in sorted(files)},
        "format": FORMAT,
        "generator": "arazzo-gen",
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def load_manifest(root: Path, shown: Path) -> dict[str, str] | None:
    """The previous run's files (relative path -> sha256), or None if there is no manifest."""
    found = read_file(root, MANIFEST, shown)
    if found is None:
        return None
    files, problem = _parse(found.data)
    if problem:
        raise WriteError(
            [
                f"{shown / MANIFEST} {problem}: remove it (arazzo-gen then only adopts files "
                "identical to what it generates) or choose another output folder"
            ]
        )
    return files


def _parse(data: bytes) -> tuple[dict[str, str], str | None]:
    try:
        document = json.loads(data.decode("utf-8"))
    except ValueError:  # also UnicodeDecodeError
        return {}, "is not valid JSON"
    if not isinstance(document, dict) or document.get("generator") != "arazzo-gen":
        return {}, "is not an arazzo-gen manifest"
    version = document.get("format")
    if version != FORMAT:
        newer = isinstance(version, int) and version > FORMAT
        return {}, "was written by a newer arazzo-gen" if newer else "has an unknown format"
    entries = document.get("files")
    if not isinstance(entries, dict):
        return {}, "has no 'files' table"
    files = {}
    for relative, entry in entries.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            return {}, f"has no valid sha256 for {relative!r}"
        if path_problem(relative) or relative in (MANIFEST, JOURNAL):
            return {}, f"lists an unsafe path ({relative!r})"
        files[relative] = digest
    return files, None
