"""A small on-disk memo for work whose result depends only on its input bytes.

Two things are worth remembering between runs: that an OpenAPI document with
given bytes is valid (validation costs more than the rest of a run), and what
black makes of given source text. Both are pure functions of their input and of
the tool versions, which are part of every key, so a hit can never be stale.
Entries carry a checksum of their content and are written atomically; a
damaged entry is a miss. Caching is best effort: an unwritable folder only
makes runs slower.

The folder is `$ARAZZO_GEN_CACHE_DIR`, else `$XDG_CACHE_HOME/arazzo-gen`, else
`~/.cache/arazzo-gen`; `ARAZZO_GEN_NO_CACHE=1` turns the memo off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


def default_cache_dir() -> Path:
    explicit = os.environ.get("ARAZZO_GEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "arazzo-gen"


def digest(*parts: str | bytes) -> str:
    """A sha256 over several parts, unambiguous about where each part ends."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


@dataclass(frozen=True)
class Memo:
    """Text results by key, in one folder of the cache."""

    folder: Path | None  # None: remember nothing

    @classmethod
    def named(cls, name: str) -> Memo:
        if os.environ.get("ARAZZO_GEN_NO_CACHE"):
            return cls(None)
        return cls(default_cache_dir() / name)

    def get(self, key: str) -> str | None:
        if self.folder is None:
            return None
        try:
            stored = (self.folder / key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        checksum, _, content = stored.partition("\n")
        return content if checksum == digest(content) else None

    def put(self, key: str, content: str) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(digest(content) + "\n" + content)
            os.replace(temporary, self.folder / key)
        except OSError:
            return
