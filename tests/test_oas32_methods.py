"""Behaviour: OpenAPI 3.2's `query` method and `additionalOperations` are called with the
method they declare, found by operationId or by an operationPath through
`additionalOperations`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from scripted_server import Reply, ScriptedServer, reply

from generator.pipeline import compile_specs

FIXTURES = Path(__file__).parent / "fixtures" / "behaviour"


def _script() -> dict[str, list[Reply]]:
    return {
        "/files/search": [reply(200, {"ids": ["f-7"]})],
        "/files/f-7": [reply(201, Location="/backups/a/f-7")],
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_query_and_copy_are_sent_with_their_methods(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], mode: str
) -> None:
    module = compile_workflows(FIXTURES / "files.arazzo.yaml")["backup_file"]
    with ScriptedServer(_script()) as server:
        if mode == "sync":
            outputs = module.backup_file(name="a.txt", base_url=server.base_url)
        else:
            outputs = asyncio.run(module.backup_file_async(name="a.txt", base_url=server.base_url))
    assert server.requests == [("QUERY", "/files/search"), ("COPY", "/files/f-7")]
    assert server.headers[1]["destination"] == "/backups/a"
    assert outputs == {"location": "/backups/a/f-7", "method": "COPY"}


def _errors_for(tmp_path: Path, method: str) -> list[str]:
    openapi = (FIXTURES / "files.openapi.yaml").read_text().replace("COPY:", f"{method}:")
    (tmp_path / "files.openapi.yaml").write_text(openapi)
    arazzo = (FIXTURES / "files.arazzo.yaml").read_text().replace("/COPY'", f"/{method}'")
    (tmp_path / "files.arazzo.yaml").write_text(arazzo)
    result = compile_specs([tmp_path / "files.arazzo.yaml"], render=False)
    return [d.render() for d in result.diagnostics if d.code == "AG206"]


@pytest.mark.parametrize("method", ["POST", "CO PY"])
def test_an_additional_operation_must_name_another_method(tmp_path: Path, method: str) -> None:
    errors = _errors_for(tmp_path, method)
    assert len(errors) == 1
    assert "files.openapi.yaml:35:" in errors[0]
    assert "cannot be an additional operation's method" in errors[0]
