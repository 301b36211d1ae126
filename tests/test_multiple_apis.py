"""Behaviour: a workflow whose steps call operations of two APIs (two source
descriptions), each with its own base URL, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from scripted_server import ScriptedServer, reply

FIXTURE = Path(__file__).parent / "fixtures" / "behaviour" / "two-apis.arazzo.yaml"


@pytest.fixture
def module(compile_workflows: Callable[[Path], dict[str, ModuleType]]) -> ModuleType:
    return compile_workflows(FIXTURE)["token_then_job"]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_each_step_goes_to_its_own_api(module: ModuleType, is_async: bool) -> None:
    with (
        ScriptedServer({"/token": [reply(200, {"token": "t-9"})]}) as tokens,
        ScriptedServer({"/jobs/7": [reply(200, {"state": "done"})]}) as jobs,
    ):
        bases = {"tokens": tokens.base_url, "jobs": jobs.base_url}
        if is_async:
            outputs = asyncio.run(module.token_then_job_async(job_id="7", base_urls=bases))
        else:
            outputs = module.token_then_job(job_id="7", base_urls=bases)
    assert outputs == {"state": "done"}
    assert tokens.paths() == ["/token"] and jobs.paths() == ["/jobs/7"]
    assert jobs.headers[0]["authorization"] == "Bearer t-9"


def test_defaults_come_from_each_documents_servers(module: ModuleType) -> None:
    assert module.DEFAULT_BASE_URLS == {"jobs": "http://127.0.0.1:9/", "tokens": ""}
    assert "base_url" not in inspect.signature(module.token_then_job).parameters


def test_a_source_without_a_base_url_is_a_clear_error(module: ModuleType) -> None:
    with pytest.raises(module.WorkflowError, match="no base URL for source description 'tokens'"):
        module.token_then_job(job_id="7")
