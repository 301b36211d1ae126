"""The public corpus in ../shared/arazzo-corpus: its entry documents and source overrides.

`MANIFEST.json` lists each case's entry documents and a `url_map` from remote
source urls to the local copies stored under `<case>/_remote/`; those become
`--source NAME=PATH` overrides so nothing is fetched.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("ARAZZO_CORPUS", REPO.parent / "shared" / "arazzo-corpus"))


@dataclass(frozen=True)
class Entry:
    case: str
    document: Path
    overrides: dict[str, Path]
    manifest: dict[str, object]

    @property
    def name(self) -> str:
        return f"{self.case}/{self.document.name}"

    @property
    def folder(self) -> Path:
        """The case's folder: its documents may reference any file in it (`--allow-dir`)."""
        return case_folder(self.document)


def case_folder(document: Path) -> Path:
    """The corpus case folder a document is in (for a document elsewhere, its folder)."""
    try:
        return CORPUS / document.resolve().relative_to(CORPUS.resolve()).parts[0]
    except ValueError:
        return document.parent


def entries() -> list[Entry]:
    """Every entry document of the corpus, in manifest order; empty when it is absent."""
    manifest_path = CORPUS / "MANIFEST.json"
    if not manifest_path.is_file():
        return []
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    found = []
    for case in manifest["cases"]:
        folder = CORPUS / case["name"]
        url_map = case.get("url_map") or {}
        for entry in case["entries"]:
            document = folder / entry["path"]
            found.append(
                Entry(case["name"], document, _overrides(document, folder, url_map), entry)
            )
    return found


def _overrides(document: Path, folder: Path, url_map: dict[str, str]) -> dict[str, Path]:
    try:
        data = yaml.safe_load(document.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    sources = data.get("sourceDescriptions") if isinstance(data, dict) else None
    overrides = {}
    for source in sources if isinstance(sources, list) else []:
        if isinstance(source, dict) and source.get("url") in url_map:
            overrides[str(source.get("name"))] = folder / url_map[source["url"]]
    return overrides
