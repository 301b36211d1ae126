"""Behaviour: a workflow input the caller leaves out takes its schema's `default`, sent as
written (over HTTP, sync and async); a default its schema does not allow is an error."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from scripted_server import ScriptedServer, reply

from generator.pipeline import compile_specs

FIXTURE = Path(__file__).parent / "fixtures" / "behaviour" / "defaults.arazzo.yaml"
SCOPE = "it's \"\"\" a '''\n # {x} \\ \r end"
ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


def _run(module: ModuleType, is_async: bool, **inputs: Any) -> ScriptedServer:
    script = {"/jobs/j%201": [reply(200, {})], "/jobs/k": [reply(200, {})]}
    script["/token"] = [reply(200, {"token": "t"})]
    with ScriptedServer(script) as server:
        function = module.refresh_with_defaults_async if is_async else module.refresh_with_defaults
        call = function(base_url=server.base_url, **inputs)
        assert (asyncio.run(call) if is_async else call) == {"token": "t"}
    return server


@ASYNC
def test_left_out_inputs_take_their_defaults(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], is_async: bool
) -> None:
    module = compile_workflows(FIXTURE)["refresh_with_defaults"]
    for _ in range(2):  # a mutable default is made anew for each call
        server = _run(module, is_async)
        assert server.paths() == ["/jobs/j%201", "/token"]
        sent = json.loads(server.bodies[1])
        assert sent == {"scope": SCOPE, "copies": 2, "options": {"tags": ["a"]}}


@ASYNC
def test_given_inputs_win_over_defaults(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], is_async: bool
) -> None:
    module = compile_workflows(FIXTURE)["refresh_with_defaults"]
    server = _run(module, is_async, job_id="k", scope="s", copies=0, options={"tags": []})
    assert server.paths() == ["/jobs/k", "/token"]
    assert json.loads(server.bodies[1]) == {"scope": "s", "copies": 0, "options": {"tags": []}}


def test_defaults_are_the_signatures_defaults(
    compile_workflows: Callable[[Path], dict[str, ModuleType]],
) -> None:
    module = compile_workflows(FIXTURE)["refresh_with_defaults"]
    parameters = inspect.signature(module.refresh_with_defaults).parameters
    assert parameters["job_id"].default == "j 1"
    assert parameters["scope"].default == SCOPE
    assert parameters["copies"].default == 2
    assert parameters["options"].default is None  # mutable: filled in per call


def test_a_default_the_schema_does_not_allow_is_an_error(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace("default: 2", "default: two")
    (tmp_path / "defaults.arazzo.yaml").write_text(text)
    (tmp_path / "jobs.openapi.yaml").write_text((FIXTURE.parent / "jobs.openapi.yaml").read_text())
    found = compile_specs([tmp_path / "defaults.arazzo.yaml"], render=False).diagnostics
    errors = [(d.code, d.span.line, d.message) for d in found if d.code == "AG614"]
    assert errors == [
        (
            "AG614",
            44,
            "the default of input 'copies' does not fit its schema: 'two' is not of type "
            "'integer'",
        )
    ]
