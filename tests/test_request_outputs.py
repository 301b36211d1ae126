"""Behaviour: `$request.*`, `$method` and `$url` read back the request a step sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from scripted_server import ScriptedServer, reply

from generator.pipeline import compile_specs

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


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_a_path_parameter_is_read_back_as_sent(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], is_async: bool
) -> None:
    module = compile_workflows(FIXTURE)["echo_path"]
    with ScriptedServer({"/jobs/a%20b%2Fc": [reply(200, {"state": "done"})]}) as server:
        call = (module.echo_path_async if is_async else module.echo_path)(
            job_id="a b/c", base_url=server.base_url
        )
        outputs = asyncio.run(call) if is_async else call
    assert server.paths() == ["/jobs/a%20b%2Fc"]
    assert outputs == {"sent": "a b/c"}


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_label_and_matrix_path_parameters_are_read_back_without_their_prefix(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], is_async: bool
) -> None:
    module = compile_workflows(FIXTURE)["echo_styled"]
    sent = "/styled/.blue,dark%20red/;matrix=a%3Bb"
    with ScriptedServer({sent: [reply(200)]}) as server:
        call = (module.echo_styled_async if is_async else module.echo_styled)(
            colours=["blue", "dark red"], shade="a;b", base_url=server.base_url
        )
        outputs = asyncio.run(call) if is_async else call
    assert server.paths() == [sent]
    assert outputs == {"label": "blue,dark red", "matrix": "a;b"}


def test_a_path_parameter_the_step_does_not_send_is_an_error(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace("sent: $request.path.jobId", "sent: $request.path.id")
    (tmp_path / "echo.arazzo.yaml").write_text(text)
    (tmp_path / "jobs.openapi.yaml").write_text((FIXTURE.parent / "jobs.openapi.yaml").read_text())
    found = compile_specs([tmp_path / "echo.arazzo.yaml"], render=False).diagnostics
    assert [(d.code, d.message) for d in found if d.code == "AG605"] == [
        ("AG605", "'$request.path.id': step 'poll' sends no path parameter 'id'")
    ]


def test_an_exploded_label_path_parameter_cannot_be_read_back(tmp_path: Path) -> None:
    (tmp_path / "echo.arazzo.yaml").write_text(FIXTURE.read_text())
    api = (FIXTURE.parent / "jobs.openapi.yaml").read_text()
    exploded = api.replace("style: label,", "style: label, explode: true,")
    assert exploded != api
    (tmp_path / "jobs.openapi.yaml").write_text(exploded)
    found = compile_specs([tmp_path / "echo.arazzo.yaml"], render=False).diagnostics
    assert [(d.code, d.message) for d in found if d.code == "AG605"] == [
        (
            "AG605",
            "'$request.path.label' reads a path parameter in style 'label' with explode: "
            "true, which is not supported here yet",
        )
    ]
