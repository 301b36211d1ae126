"""The memo of validation results and black output: hits are exact, damage is a miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cache import Memo, digest
from generator.pipeline import compile_specs

REPO = Path(__file__).resolve().parent.parent


def test_memo_round_trips_and_ignores_damaged_entries(tmp_path: Path) -> None:
    memo = Memo(tmp_path)
    key = digest("tool 1", "input")
    assert memo.get(key) is None
    memo.put(key, "output\nwith lines")
    assert memo.get(key) == "output\nwith lines"
    entry = tmp_path / key
    entry.write_text(entry.read_text().replace("output", "0utput"))
    assert memo.get(key) is None  # the checksum no longer matches


def test_digest_separates_parts() -> None:
    assert digest("ab", "c") != digest("a", "bc")


def test_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    memo = Memo(blocker / "sub")  # cannot create a folder under a file
    memo.put("k", "v")
    assert memo.get("k") is None


def test_output_is_the_same_with_a_cold_a_warm_and_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.emit import render

    def run() -> dict[str, str]:
        render._format_memo.cache_clear()
        return compile_specs([REPO / "specs"]).files

    monkeypatch.setenv("ARAZZO_GEN_CACHE_DIR", str(tmp_path / "cache"))
    cold = run()
    assert any((tmp_path / "cache" / "black").iterdir())
    assert any((tmp_path / "cache" / "openapi-valid").iterdir())
    warm = run()
    monkeypatch.setenv("ARAZZO_GEN_NO_CACHE", "1")
    uncached = run()
    render._format_memo.cache_clear()
    assert cold == warm == uncached


def test_a_cached_validation_is_not_reused_for_changed_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    monkeypatch.setenv("ARAZZO_GEN_CACHE_DIR", str(tmp_path / "cache"))
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    assert compile_specs([specs], render=False).diagnostics.error_count == 0
    api = specs / "amazon-connect" / "openapi" / "amazon-connect-openapi.yml"
    api.write_text(
        api.read_text().replace("openapi: 3.1.0", "openapi: 3.1.0\njsonSchemaDialect: 5", 1)
    )
    result = compile_specs([specs], render=False)
    assert any(d.code == "AG202" for d in result.diagnostics)
