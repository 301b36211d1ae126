"""Snapshots of the diagnostics (text and JSON) for invalid documents.

Covers this repository's own invalid fixtures and every entry document of the
public corpus (skipped when it is absent). The snapshots pin codes, positions,
messages and hints exactly; rewrite them after an intended change with
`ARAZZO_GEN_UPDATE=1 python -m pytest tests/test_diagnostic_snapshots.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from corpus import CORPUS, Entry, entries

from generator.pipeline import compile_specs
from generator.report import render
from generator.sources import SourceOptions

REPO = Path(__file__).resolve().parent.parent
INVALID = REPO / "tests" / "fixtures" / "invalid"
SNAPSHOTS = REPO / "tests" / "fixtures" / "diagnostics"
UPDATE = os.environ.get("ARAZZO_GEN_UPDATE") == "1"


def snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}; run with ARAZZO_GEN_UPDATE=1"
    assert text == path.read_text(encoding="utf-8")


def diagnostics_of(document: Path, sources: SourceOptions) -> tuple[str, str]:
    result = compile_specs([document], render=False, sources=sources)
    ordered = result.diagnostics.sorted()
    return render(ordered, "text", result.texts), render(ordered, "json", result.texts)


@pytest.fixture
def offline(tmp_path: Path) -> SourceOptions:
    return SourceOptions(cache_dir=tmp_path / "cache", offline=True)


@pytest.mark.parametrize("document", sorted(INVALID.glob("*.arazzo.yaml")), ids=lambda p: p.name)
def test_own_invalid_fixtures(document: Path, offline: SourceOptions) -> None:
    text, as_json = diagnostics_of(document, offline)
    assert "error[" in text
    snapshot(f"own/{document.stem}.txt", text)
    snapshot(f"own/{document.stem}.json", as_json)


CORPUS_ENTRIES = entries()


@pytest.mark.skipif(not CORPUS_ENTRIES, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("entry", CORPUS_ENTRIES, ids=lambda e: e.name)
def test_corpus_documents(entry: Entry, tmp_path: Path) -> None:
    sources = SourceOptions(
        cache_dir=tmp_path / "cache",
        offline=True,
        overrides=entry.overrides,
        allowed_dirs=(entry.folder.resolve(),),
    )
    text, as_json = diagnostics_of(entry.document, sources)
    stem = f"corpus/{entry.case}--{entry.document.stem}"
    snapshot(f"{stem}.txt", text)
    snapshot(f"{stem}.json", as_json)
