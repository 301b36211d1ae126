"""Guards for the fake Amazon Connect server the workflow tests rely on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fake_connect import FakeConnect

INSTANCE = "inst-1"
FLOW = "flow-1"
TIMEOUT = 5.0


@pytest.fixture
def client(connect_server: FakeConnect) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=connect_server.base_url, timeout=TIMEOUT) as c:
        yield c


def _task(client: httpx.Client, **extra: Any) -> str:
    body = {"InstanceId": INSTANCE, "ContactFlowId": FLOW, "Name": "Call back"}
    body.update(extra)
    r = client.post("/contact/task", json=body)
    assert r.status_code == 200, r.text
    contact_id = r.json()["ContactId"]
    assert isinstance(contact_id, str)
    return contact_id


def test_task_create_describe_stop(connect_server: FakeConnect, client: httpx.Client) -> None:
    cid = _task(client, Description="About the order")
    assert cid == "contact-0001"

    r = client.get(f"/contacts/{INSTANCE}/{cid}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    contact = r.json()["Contact"]
    assert contact["Id"] == cid
    assert contact["Arn"] == (
        f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE}/contact/{cid}"
    )
    assert contact["Channel"] == "TASK"
    assert contact["InitiationMethod"] == "API"
    assert contact["Name"] == "Call back"
    assert contact["Description"] == "About the order"

    stop = {"InstanceId": INSTANCE, "ContactId": cid}
    r = client.post(f"/contacts/{INSTANCE}/{cid}/stop", json=stop)
    assert (r.status_code, r.json()) == (200, {})
    assert connect_server.contacts[cid].stopped

    r = client.post(f"/contacts/{INSTANCE}/{cid}/stop", json=stop)
    assert r.status_code == 400

    assert [(q.method, q.path) for q in connect_server.requests] == [
        ("POST", "/contact/task"),
        ("GET", f"/contacts/{INSTANCE}/{cid}"),
        ("POST", f"/contacts/{INSTANCE}/{cid}/stop"),
        ("POST", f"/contacts/{INSTANCE}/{cid}/stop"),
    ]
    first = connect_server.requests[0]
    assert first.body["Name"] == "Call back"
    assert first.headers["content-type"] == "application/json"
    assert b"Call back" in first.raw


def test_chat_with_attributes(connect_server: FakeConnect, client: httpx.Client) -> None:
    r = client.post(
        "/contact/chat",
        json={
            "InstanceId": INSTANCE,
            "ContactFlowId": FLOW,
            "ParticipantDetails": {"DisplayName": "Jane"},
            "Attributes": {"tier": "gold"},
        },
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out) == {"ContactId", "ParticipantId", "ParticipantToken"}
    cid = out["ContactId"]
    contact = connect_server.contacts[cid]
    assert (contact.channel, contact.display_name) == ("CHAT", "Jane")
    assert contact.attributes == {"tier": "gold"}

    r = client.get(f"/contacts/{INSTANCE}/{cid}")
    assert r.json()["Contact"]["Channel"] == "CHAT"

    r = client.post(
        f"/contacts/{INSTANCE}/{cid}/attributes",
        json={"Attributes": {"topic": "billing", "tier": "platinum"}},
    )
    assert (r.status_code, r.json()) == (200, {})
    assert contact.attributes == {"tier": "platinum", "topic": "billing"}


def test_not_found(client: httpx.Client) -> None:
    r = client.get(f"/contacts/{INSTANCE}/nope")
    assert r.status_code == 404
    assert r.json() == {
        "message": "Contact not found",
        "code": "ResourceNotFoundException",
    }
    cid = _task(client)
    assert client.get(f"/contacts/other-instance/{cid}").status_code == 404
    r = client.post(f"/contacts/{INSTANCE}/nope/attributes", json={"Attributes": {}})
    assert r.status_code == 404
    stop = {"InstanceId": INSTANCE, "ContactId": "nope"}
    assert client.post(f"/contacts/{INSTANCE}/nope/stop", json=stop).status_code == 404
    r = client.get("/unknown/route")
    assert r.status_code == 404
    assert r.json()["code"] == "ResourceNotFoundException"
    assert client.delete(f"/contacts/{INSTANCE}/{cid}").status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/contact/task", {"InstanceId": INSTANCE, "ContactFlowId": FLOW}),
        ("/contact/task", {"InstanceId": INSTANCE, "Name": "x"}),
        ("/contact/task", {"ContactFlowId": FLOW, "Name": "x", "InstanceId": 1}),
        ("/contact/task", [1, 2]),
        ("/contact/chat", {"InstanceId": INSTANCE, "ContactFlowId": FLOW}),
        (
            "/contact/chat",
            {"InstanceId": INSTANCE, "ContactFlowId": FLOW, "ParticipantDetails": {}},
        ),
    ],
)
def test_missing_fields_are_400(
    connect_server: FakeConnect, client: httpx.Client, path: str, body: Any
) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 400
    assert r.json()["code"] == "InvalidParameterException"
    assert connect_server.contacts == {}


def test_bad_bodies_on_existing_contact(client: httpx.Client) -> None:
    cid = _task(client)
    base = f"/contacts/{INSTANCE}/{cid}"
    assert client.post(f"{base}/attributes", json={}).status_code == 400
    bad_attrs = {"Attributes": {"n": 1}}
    assert client.post(f"{base}/attributes", json=bad_attrs).status_code == 400
    wrong_id = {"InstanceId": INSTANCE, "ContactId": "other"}
    assert client.post(f"{base}/stop", json=wrong_id).status_code == 400
    assert client.post(f"{base}/stop", json={"ContactId": cid}).status_code == 400
    r = client.post(
        "/contact/task",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400


def test_percent_decoded_path(connect_server: FakeConnect, client: httpx.Client) -> None:
    instance = "inst/with space"
    r = client.post(
        "/contact/task",
        json={"InstanceId": instance, "ContactFlowId": FLOW, "Name": "n"},
    )
    cid = r.json()["ContactId"]
    r = client.get(f"/contacts/inst%2Fwith%20space/{cid}")
    assert r.status_code == 200
    assert f"instance/{instance}/contact/{cid}" in r.json()["Contact"]["Arn"]


def test_describe_status_override(connect_server: FakeConnect, client: httpx.Client) -> None:
    cid = _task(client)
    connect_server.describe_status = 404
    r = client.get(f"/contacts/{INSTANCE}/{cid}")
    assert r.status_code == 404
    assert set(r.json()) == {"message", "code"}
    connect_server.describe_status = 500
    assert client.get(f"/contacts/{INSTANCE}/{cid}").status_code == 500
    connect_server.describe_status = None
    assert client.get(f"/contacts/{INSTANCE}/{cid}").status_code == 200


def test_stop_is_bounded_and_base_url_unavailable_after() -> None:
    fake = FakeConnect()
    with fake:
        url = fake.base_url
        assert url.startswith("http://127.0.0.1:")
        httpx.get(f"{url}/contacts/a/b", timeout=TIMEOUT)
        started = time.monotonic()
    assert time.monotonic() - started < 2.0
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/contacts/a/b", timeout=TIMEOUT)
