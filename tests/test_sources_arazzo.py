"""Sources of type arazzo named by URL (fetched like OpenAPI sources) or overridden with
`--source NAME=PATH`, then run: the caller's module imports the fetched document's.

Documents are served by `test_sources.DocumentServer` on 127.0.0.1, which counts the
requests for every path; the workflows run against a `ScriptedServer`.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from scripted_server import ScriptedServer, reply
from test_sources import FIXTURES, DocumentServer, Route, no_proxy

from generator.build import remote_package
from generator.cli import main
from generator.diagnostics import Level
from generator.pipeline import Result, compile_specs
from generator.sources import SourceOptions
from generator.write import write_tree

__all__ = ["no_proxy"]  # the autouse fixture of test_sources applies here too

CALLER = (FIXTURES / "uses-shared.arazzo.yaml.in").read_text(encoding="utf-8")
SHARED = FIXTURES / "shared-items.arazzo.yaml"


@pytest.fixture
def server() -> Iterator[DocumentServer]:
    served = DocumentServer()
    served.routes["/shared/shared-items.arazzo.yaml"] = Route(SHARED.read_bytes())
    for name in ("api.yaml", "schemas.yaml"):
        served.routes[f"/shared/{name}"] = Route((FIXTURES / name).read_bytes())
    try:
        yield served
    finally:
        served.stop()


def write_caller(folder: Path, url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "uses-shared.arazzo.yaml"
    path.write_text(CALLER.replace("@URL@", url), encoding="utf-8")
    return path


def run(document: Path, cache: Path, **options: Any) -> Result:
    return compile_specs([document], sources=SourceOptions(cache_dir=cache, **options))


def errors(result: Result) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in result.diagnostics.sorted() if d.level is Level.ERROR]


def import_tree(result: Result, folder: Path, package: str) -> dict[str, ModuleType]:
    """Write the output tree as package `package` under `folder`; its modules by path."""
    write_tree(folder / package, result.files)
    sys.path.insert(0, str(folder))
    try:
        return {
            f"{w.package}.{w.module}": importlib.import_module(f"{package}.{w.package}.{w.module}")
            for w in result.workflows
        }
    finally:
        sys.path.remove(str(folder))


def test_a_remote_arazzo_source_is_fetched_compiled_and_run(
    server: DocumentServer, tmp_path: Path
) -> None:
    url = server.url("/shared/shared-items.arazzo.yaml")
    result = run(write_caller(tmp_path / "specs", url), tmp_path / "cache")
    assert errors(result) == []
    remote = remote_package(url)
    assert remote.startswith("shared_items_") and len(remote) == len("shared_items_") + 8
    assert sorted(result.files) == [
        "__init__.py",
        f"{remote}/__init__.py",
        f"{remote}/read_item.py",
        "uses_shared/__init__.py",
        "uses_shared/read_item.py",
    ]
    # fetched once each; the OpenAPI source relative to the fetched document's URL
    assert server.requests == {
        "/shared/shared-items.arazzo.yaml": 1,
        "/shared/api.yaml": 1,
        "/shared/schemas.yaml": 1,
    }
    assert url in result.files[f"{remote}/read_item.py"]  # named by its URL, not the cache

    modules = import_tree(result, tmp_path / "out", "_arazzo_remote_sources")
    caller = modules["uses_shared.read_item"]
    with ScriptedServer({"/items/7": [reply(200, {"id": "7", "name": "lamp"})]}) as api:
        assert caller.read_item(item_id="7", base_url=api.base_url) == {"name": "lamp"}
    assert api.requests == [("GET", "/items/7")]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_criteria_of_the_calling_step_hold_on_the_remote_workflows_outputs(
    server: DocumentServer, tmp_path: Path, is_async: bool
) -> None:
    url = server.url("/shared/shared-items.arazzo.yaml")
    result = run(write_caller(tmp_path / "specs", url), tmp_path / "cache")
    caller = import_tree(result, tmp_path / "out", f"_arazzo_remote_{is_async:d}")[
        "uses_shared.read_item"
    ]
    script = {"/items/9": [reply(200, {"id": "9", "name": "Retired"})]}
    with ScriptedServer(script) as api, pytest.raises(caller.WorkflowStepFailedError) as caught:
        if is_async:
            asyncio.run(caller.read_item_async(item_id="9", base_url=api.base_url))
        else:
            caller.read_item(item_id="9", base_url=api.base_url)
    assert caught.value.called_workflow_id == "read-item"
    assert api.paths() == ["/items/9"]


def test_offline_uses_the_cached_arazzo_source_and_the_output_is_the_same(
    server: DocumentServer, tmp_path: Path
) -> None:
    url = server.url("/shared/shared-items.arazzo.yaml")
    document = write_caller(tmp_path / "specs", url)
    online = run(document, tmp_path / "cache")
    server.stop()
    offline = run(document, tmp_path / "cache", offline=True)
    assert errors(offline) == []
    assert offline.files == online.files
    moved = tmp_path / "elsewhere"
    (tmp_path / "cache").rename(moved)
    assert run(document, moved, offline=True).files == online.files  # not where it is cached


def test_offline_without_the_arazzo_source_in_the_cache_is_ag113(
    server: DocumentServer, tmp_path: Path
) -> None:
    url = server.url("/shared/shared-items.arazzo.yaml")
    result = run(write_caller(tmp_path / "specs", url), tmp_path / "cache", offline=True)
    assert [code for code, _ in errors(result)] == ["AG113"]
    assert sum(server.requests.values()) == 0
    assert not result.workflows


def test_a_relative_url_in_a_fetched_document_never_names_a_local_file(
    server: DocumentServer, tmp_path: Path
) -> None:
    """`api.yaml` next to the caller is not read: the fetched document's `api.yaml` is
    relative to its URL, and the server has none there."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "api.yaml").write_bytes((FIXTURES / "local-api.yaml").read_bytes())
    del server.routes["/shared/api.yaml"]
    url = server.url("/shared/shared-items.arazzo.yaml")
    result = run(write_caller(tmp_path / "specs", url), tmp_path / "cache")
    codes = [code for code, _ in errors(result)]
    assert codes[0] == "AG112" and server.url("/shared/api.yaml") in errors(result)[0][1]
    assert server.requests["/shared/api.yaml"] == 1
    assert not result.workflows


def test_without_source_options_a_remote_arazzo_source_is_ag109(tmp_path: Path) -> None:
    document = write_caller(tmp_path / "specs", "http://127.0.0.1:9/shared.arazzo.yaml")
    result = compile_specs([document])
    assert [code for code, _ in errors(result)][:1] == ["AG109"]


def test_an_override_replaces_an_arazzo_source_without_fetching(
    server: DocumentServer, tmp_path: Path
) -> None:
    local = tmp_path / "copies" / "shared-items.arazzo.yaml"
    local.parent.mkdir()
    local.write_bytes(SHARED.read_bytes())
    (local.parent / "api.yaml").write_bytes((FIXTURES / "local-api.yaml").read_bytes())
    url = server.url("/shared/shared-items.arazzo.yaml")
    result = run(write_caller(tmp_path / "specs", url), tmp_path / "cache", overrides={
        "shared": local
    })  # fmt: skip
    assert not list(result.diagnostics), [d.render() for d in result.diagnostics.sorted()]
    assert sum(server.requests.values()) == 0
    assert "shared_items/read_item.py" in result.files  # a local document's package name
    callee = next(w for w in result.workflows if w.package == "shared_items")
    assert callee.base_url == "https://local.example.test"  # its api.yaml: the local one


def test_an_override_naming_a_missing_arazzo_file_is_ag002(tmp_path: Path) -> None:
    missing = tmp_path / "no-such.arazzo.yaml"
    document = write_caller(tmp_path / "specs", "http://127.0.0.1:9/shared.arazzo.yaml")
    result = run(document, tmp_path / "cache", overrides={"shared": missing})
    found = errors(result)
    assert [code for code, _ in found][:1] == ["AG002"]
    assert str(missing) in found[0][1]


def test_the_command_line_source_option_overrides_an_arazzo_source(
    server: DocumentServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "copies" / "shared-items.arazzo.yaml"
    local.parent.mkdir()
    local.write_bytes(SHARED.read_bytes())
    (local.parent / "api.yaml").write_bytes((FIXTURES / "local-api.yaml").read_bytes())
    document = write_caller(tmp_path / "specs", server.url("/shared/shared-items.arazzo.yaml"))
    monkeypatch.chdir(tmp_path)
    arguments = [str(document), "-o", "out", "--source", "shared=copies/shared-items.arazzo.yaml"]
    outcome = CliRunner().invoke(main, [*arguments, "--cache-dir", "cache"])
    assert outcome.exit_code == 0, outcome.output
    assert sum(server.requests.values()) == 0
    written = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.py")
    )
    assert written == [
        "__init__.py",
        "shared_items/__init__.py",
        "shared_items/read_item.py",
        "uses_shared/__init__.py",
        "uses_shared/read_item.py",
    ]
    source = (tmp_path / "out" / "uses_shared" / "read_item.py").read_text(encoding="utf-8")
    assert "from ..shared_items import read_item as _shared_items__read_item" in source


def test_remote_package_names_are_stable_distinct_identifiers() -> None:
    first = remote_package("https://a.example.test/flows/cafe-menu.arazzo.yaml")
    assert first == remote_package("https://a.example.test/flows/cafe-menu.arazzo.yaml")
    assert first.startswith("cafe_menu_")
    other = remote_package("https://b.example.test/flows/cafe-menu.arazzo.yaml")
    assert other.startswith("cafe_menu_") and other != first
    for url in (
        "https://a.example.test/..%2F..%2Fescape.arazzo.yaml",
        "https://a.example.test/",
        "https://a.example.test/a/b/../c/1-2.json?x=/y#z",
    ):
        name = remote_package(url)
        assert name.isidentifier() and "__" not in name, (url, name)
