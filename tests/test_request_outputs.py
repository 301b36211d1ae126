"""Behaviour: `$request.*`, `$method` and `$url` read back the request a step sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from scripted_server import ScriptedServer, reply

FIXTURE = Path(__file__).parent / "fixtures" / "behaviour" / "echo.arazzo.yaml"


def test_request_values_are_outputs(
    compile_workflows: Callable[[Path], dict[str, ModuleType]],
) -> None:
    module = compile_workflows(FIXTURE)["echo"]
    with ScriptedServer({"/token": [reply(200, {"token": "t"})]}) as server:
        outputs = module.echo(scope="read", base_url=server.base_url)
    assert outputs == {
        "trace": "trace-1",  # header names compare case-insensitively; 'TRACE-1' matched too
        "scope": "read",
        "method": "POST",
        "url": server.base_url + "/token",
    }
