"""Behaviour: an optional input the caller leaves out is never sent as null, in a JSON
payload's string template, a replacement's template or as the whole payload (over HTTP,
sync and async)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from scripted_server import ScriptedServer, reply

FIXTURE = Path(__file__).parent / "fixtures" / "contract" / "print-queue.arazzo.yaml"
ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


def _submit(module: ModuleType, workflow: str, is_async: bool, **inputs: Any) -> ScriptedServer:
    with ScriptedServer({"/jobs": [reply(202, {"id": "j1"})]}) as server:
        function = getattr(module, workflow + ("_async" if is_async else ""))
        call = function(request_id="req-1", base_url=server.base_url, **inputs)
        outputs = asyncio.run(call) if is_async else call
    assert outputs == {"job_id": "j1"}
    return server


@ASYNC
@pytest.mark.parametrize(
    ("inputs", "sent"),
    [({}, {"copies": 1}), ({"name": "a"}, {"copies": 1, "document": "a.pdf"})],
    ids=["omitted", "given"],
)
def test_a_member_template_with_an_omitted_input_is_left_out(
    compile_workflows: Callable[[Path], dict[str, ModuleType]],
    is_async: bool,
    inputs: dict[str, str],
    sent: dict[str, Any],
) -> None:
    module = compile_workflows(FIXTURE)["reprint"]
    server = _submit(module, "reprint", is_async, **inputs)
    assert [json.loads(body) for body in server.bodies] == [sent]


@ASYNC
@pytest.mark.parametrize(
    ("inputs", "document"),
    [({}, "untitled.pdf"), ({"name": "a"}, "a.pdf")],
    ids=["omitted", "given"],
)
def test_a_replacement_template_with_an_omitted_input_keeps_the_payload(
    compile_workflows: Callable[[Path], dict[str, ModuleType]],
    is_async: bool,
    inputs: dict[str, str],
    document: str,
) -> None:
    module = compile_workflows(FIXTURE)["relabel"]
    server = _submit(module, "relabel", is_async, **inputs)
    assert [json.loads(body) for body in server.bodies] == [{"document": document, "copies": 1}]


@ASYNC
def test_an_omitted_whole_payload_sends_no_body(
    compile_workflows: Callable[[Path], dict[str, ModuleType]], is_async: bool
) -> None:
    module = compile_workflows(FIXTURE)["resubmit"]
    server = _submit(module, "resubmit", is_async)
    assert server.bodies == [b""]
    assert "content-type" not in server.headers[0]
    given = {"document": "b.pdf", "copies": 2}
    server = _submit(module, "resubmit", is_async, job=given)
    assert [json.loads(body) for body in server.bodies] == [given]
    assert server.headers[0]["content-type"] == "application/json"
