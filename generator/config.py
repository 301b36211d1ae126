"""Command line: options from `[tool.arazzo-gen]` in the nearest pyproject.toml.

A CI job can then run `arazzo-gen --check` with no other flags. Flags given on
the command line win over the file. Paths in the file are relative to it.

```toml
[tool.arazzo-gen]
specs = ["specs"]
output = "generated"
fail-on-warning = true
format = "github"
offline = false
cache-dir = ".arazzo-cache"
sources = { petstore = "vendor/petstore.yaml" }
allow-dirs = ["../shared-apis"]
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KNOWN_KEYS = (
    "specs", "output", "fail-on-warning", "format", "offline", "cache-dir", "sources", "allow-dirs"
)  # fmt: skip


class ConfigError(Exception):
    """The `[tool.arazzo-gen]` table cannot be used; the message says where and why."""


@dataclass(frozen=True)
class FileConfig:
    """The settings found in a pyproject.toml; every field is optional."""

    path: Path | None = None
    specs: tuple[Path, ...] = ()
    output: Path | None = None
    fail_on_warning: bool | None = None
    format: str | None = None
    offline: bool | None = None
    cache_dir: Path | None = None
    sources: dict[str, Path] = field(default_factory=dict)
    allow_dirs: tuple[Path, ...] = ()


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path) -> FileConfig:
    """`[tool.arazzo-gen]` of the nearest pyproject.toml at or above `start`."""
    path = find_pyproject(start.resolve())
    if path is None:
        return FileConfig()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    table = document.get("tool", {}).get("arazzo-gen")
    if table is None:
        return FileConfig()
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.arazzo-gen] must be a table")
    return _parse(path, table)


def _parse(path: Path, table: dict[str, Any]) -> FileConfig:
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.arazzo-gen]: {', '.join(unknown)} "
            f"(known: {', '.join(KNOWN_KEYS)})"
        )
    base = path.parent

    def typed(key: str, kind: type) -> Any:
        value = table.get(key)
        if value is not None and not isinstance(value, kind):
            raise ConfigError(f"{path}: [tool.arazzo-gen] {key} must be a {kind.__name__}")
        return value

    specs = typed("specs", list) or []
    if not all(isinstance(s, str) for s in specs):
        raise ConfigError(f"{path}: [tool.arazzo-gen] specs must be a list of paths")
    sources = typed("sources", dict) or {}
    if not all(isinstance(v, str) for v in sources.values()):
        raise ConfigError(f"{path}: [tool.arazzo-gen] sources must map names to paths")
    allow_dirs = typed("allow-dirs", list) or []
    if not all(isinstance(d, str) for d in allow_dirs):
        raise ConfigError(f"{path}: [tool.arazzo-gen] allow-dirs must be a list of paths")
    output, cache_dir = typed("output", str), typed("cache-dir", str)
    return FileConfig(
        path=path,
        specs=tuple(base / s for s in specs),
        output=base / output if output else None,
        fail_on_warning=typed("fail-on-warning", bool),
        format=typed("format", str),
        offline=typed("offline", bool),
        cache_dir=base / cache_dir if cache_dir else None,
        sources={name: base / value for name, value in sources.items()},
        allow_dirs=tuple(base / d for d in allow_dirs),
    )
