"""Behaviour: the committed generated modules run the seed workflows over real HTTP.

Each test starts the fake Amazon Connect server on 127.0.0.1 and calls the
generated functions exactly as a user would, then checks both what the workflow
returned and what the server received and holds.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from fake_connect import FakeConnect

from generated.amazon_connect_start_chat_and_set_attributes_workflow.start_chat_and_set_attributes import (  # noqa: E501
    start_chat_and_set_attributes,
    start_chat_and_set_attributes_async,
)
from generated.amazon_connect_start_task_and_stop_workflow import start_task_and_stop as task_module
from generated.amazon_connect_start_task_and_stop_workflow.start_task_and_stop import (
    start_task_and_stop,
    start_task_and_stop_async,
)

TASK_INPUTS: dict[str, Any] = {
    "instance_id": "inst-1",
    "contact_flow_id": "flow-9",
    "name": "Call the customer back",
}


def run_task(fake: FakeConnect, is_async: bool, **extra: Any) -> Any:
    arguments = {**TASK_INPUTS, "base_url": fake.base_url, "timeout": 5.0, **extra}
    if is_async:
        return asyncio.run(start_task_and_stop_async(**arguments))
    return start_task_and_stop(**arguments)


def run_chat(fake: FakeConnect, is_async: bool, **extra: Any) -> Any:
    arguments = {
        "instance_id": "inst-1",
        "contact_flow_id": "flow-9",
        "display_name": "Jane Doe",
        "base_url": fake.base_url,
        "timeout": 5.0,
        **extra,
    }
    if is_async:
        return asyncio.run(start_chat_and_set_attributes_async(**arguments))
    return start_chat_and_set_attributes(**arguments)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_task_workflow_starts_confirms_and_stops(
    connect_server: FakeConnect, is_async: bool
) -> None:
    outputs = run_task(connect_server, is_async, description="Follow up on case 42")

    contact_id = outputs["contact_id"]
    assert outputs == {"contact_id": contact_id, "channel": "TASK"}
    contact = connect_server.contacts[contact_id]
    assert contact.stopped
    assert (contact.name, contact.description) == ("Call the customer back", "Follow up on case 42")
    calls = [(r.method, r.path) for r in connect_server.requests]
    assert calls == [
        ("POST", "/contact/task"),
        ("GET", f"/contacts/inst-1/{contact_id}"),
        ("POST", f"/contacts/inst-1/{contact_id}/stop"),
    ]
    assert connect_server.requests[2].body == {"InstanceId": "inst-1", "ContactId": contact_id}


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_chat_workflow_carries_exactly_the_attributes_passed_in(
    connect_server: FakeConnect, is_async: bool
) -> None:
    attributes = {"tier": "gold", "topic": "billing"}
    outputs = run_chat(connect_server, is_async, attributes=attributes)

    contact_id = outputs["contact_id"]
    assert outputs == {
        "contact_id": contact_id,
        "participant_token": connect_server.contacts[contact_id].participant_token,
        "channel": "CHAT",
    }
    assert connect_server.contacts[contact_id].attributes == attributes
    assert connect_server.contacts[contact_id].display_name == "Jane Doe"
    assert connect_server.requests[-1].path == f"/contacts/inst-1/{contact_id}/attributes"
    assert connect_server.requests[-1].body == {"Attributes": attributes}


def test_omitted_optional_description_is_never_sent(connect_server: FakeConnect) -> None:
    run_task(connect_server, is_async=False)

    start = connect_server.requests[0]
    assert start.path == "/contact/task"
    assert "Description" not in json.loads(start.raw)
    assert set(start.body) == {"InstanceId", "ContactFlowId", "Name"}


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_describe_404_raises_typed_error_naming_the_step(
    connect_server: FakeConnect, is_async: bool
) -> None:
    connect_server.describe_status = 404

    with pytest.raises(task_module.StepFailedError) as caught:
        run_task(connect_server, is_async)

    error = caught.value
    assert (error.workflow_id, error.step_id, error.status_code) == (
        "start-task-and-stop",
        "confirmTask",
        404,
    )
    assert "ResourceNotFoundException" in error.excerpt
    assert "confirmTask" in str(error) and "404" in str(error)
    assert isinstance(error, task_module.WorkflowError)
    # The workflow stopped at the failed step: the contact was never stopped.
    assert [r.path.endswith("/stop") for r in connect_server.requests] == [False, False]


def test_caller_headers_and_client_are_used(connect_server: FakeConnect) -> None:
    with httpx.Client() as client:
        run_task(connect_server, is_async=False, client=client, headers={"Authorization": "AWS4 x"})
        assert not client.is_closed  # the caller's client is left open
    assert all(r.headers.get("authorization") == "AWS4 x" for r in connect_server.requests)


def test_default_base_url_comes_from_the_openapi_servers() -> None:
    assert task_module.DEFAULT_BASE_URL == "https://connect.us-east-1.amazonaws.com"


def test_missing_required_output_value_is_a_step_error() -> None:
    """A 200 whose body lacks a value the schema requires fails the step, never `None`."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(task_module.StepFailedError) as caught,
    ):
        start_task_and_stop(**TASK_INPUTS, client=client, base_url="http://127.0.0.1:9")
    assert caught.value.step_id == "startTask"
    assert "/ContactId" in str(caught.value)
