"""A small, stateful fake of the Amazon Connect contact API, for tests.

Only the five operations used by the Amazon Connect workflows are served:

* ``POST /contact/task``                               -- startTaskContact
* ``POST /contact/chat``                               -- startChatContact
* ``GET  /contacts/{InstanceId}/{ContactId}``          -- describeContact
* ``POST /contacts/{InstanceId}/{ContactId}/attributes`` -- updateContactAttributes
* ``POST /contacts/{InstanceId}/{ContactId}/stop``     -- stopContact

Everything else answers 404 with a JSON error body.  Errors always have the
shape ``{"message": str, "code": str}``.  Request bodies are validated before
the contact is looked up (as the real service does), so a bad body on an
unknown contact gives 400, not 404.  An explicit JSON ``null`` for an optional
field is treated as if the field were absent.

Usage::

    with FakeConnect() as fake:
        httpx.post(f"{fake.base_url}/contact/task", json={...})
        assert fake.contacts["contact-0001"].channel == "TASK"

Every request (including rejected ones) is recorded in ``fake.requests``.
Standard library only.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote

__all__ = ["ARN_ACCOUNT", "ARN_REGION", "Contact", "FakeConnect", "Recorded"]

ARN_REGION = "us-east-1"
ARN_ACCOUNT = "123456789012"

_STOP_TIMEOUT = 5.0

_ERROR_CODES = {
    400: "InvalidParameterException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    409: "ResourceConflictException",
    429: "ThrottlingException",
    500: "InternalServiceException",
    503: "ServiceUnavailableException",
}


@dataclass
class Contact:
    """A contact held by the fake."""

    id: str
    instance_id: str
    channel: str  # "TASK" or "CHAT"
    name: str | None
    description: str | None
    display_name: str | None
    contact_flow_id: str
    attributes: dict[str, str]
    stopped: bool = False
    participant_id: str | None = None
    participant_token: str | None = None
    initiation_timestamp: str | None = None

    @property
    def arn(self) -> str:
        return (
            f"arn:aws:connect:{ARN_REGION}:{ARN_ACCOUNT}:instance/"
            f"{self.instance_id}/contact/{self.id}"
        )


@dataclass
class Recorded:
    """One request as the fake received it.

    ``headers`` keys are lower-cased (repeated headers are joined with ", ");
    ``body`` is the parsed JSON body, or None when the body was empty or not
    valid JSON; ``raw`` is the body exactly as received.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    raw: bytes = b""


class _ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _ERROR_CODES.get(status, "UnknownError")


_Response = tuple[int, dict[str, Any]]


def _not_found(message: str = "Contact not found") -> _ApiError:
    return _ApiError(404, message, "ResourceNotFoundException")


def _bad_request(message: str) -> _ApiError:
    return _ApiError(400, message, "InvalidParameterException")


def _require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad_request("Request body must be a JSON object")
    return body


def _require_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise _bad_request(f"{key} is required and must be a string")
    return value


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _bad_request(f"{key} must be a string")


def _attributes(value: Any, key: str = "Attributes") -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _bad_request(f"{key} must be an object of string values")
    return dict(value)


class FakeConnect:
    """A fake Amazon Connect endpoint on 127.0.0.1, served from a daemon thread."""

    def __init__(self) -> None:
        self.contacts: dict[str, Contact] = {}
        self.requests: list[Recorded] = []
        self.describe_status: int | None = None
        # When True, describeContact leaves "Id" out of the contact it returns.
        self.omit_contact_id = False
        self._lock = threading.Lock()
        self._counter = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("FakeConnect is already running")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-connect",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():  # pragma: no cover - defensive
            raise RuntimeError("FakeConnect server thread did not stop in time")

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeConnect is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- request handling (called from handler threads) -----------------------

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _lookup(self, instance_id: str, contact_id: str) -> Contact:
        contact = self.contacts.get(contact_id)
        if contact is None or contact.instance_id != instance_id:
            raise _not_found()
        return contact

    def _dispatch(self, method: str, segments: list[str], body: Any) -> _Response:
        match method, segments:
            case "POST", ["contact", "task"]:
                return self._start_task(body)
            case "POST", ["contact", "chat"]:
                return self._start_chat(body)
            case "GET", ["contacts", instance_id, contact_id]:
                return self._describe(instance_id, contact_id)
            case "POST", ["contacts", instance_id, contact_id, "attributes"]:
                return self._update_attributes(instance_id, contact_id, body)
            case "POST", ["contacts", instance_id, contact_id, "stop"]:
                return self._stop_contact(instance_id, contact_id, body)
        raise _not_found(f"No route for {method} /{'/'.join(segments)}")

    def _new_contact(self, contact: Contact) -> None:
        with self._lock:
            self.contacts[contact.id] = contact

    def _start_task(self, body: Any) -> _Response:
        obj = _require_object(body)
        instance_id = _require_str(obj, "InstanceId")
        flow_id = _require_str(obj, "ContactFlowId")
        name = _require_str(obj, "Name")
        description = _optional_str(obj, "Description")
        raw_attrs = obj.get("Attributes")
        attributes = {} if raw_attrs is None else _attributes(raw_attrs)
        n = self._next()
        contact = Contact(
            id=f"contact-{n:04d}",
            instance_id=instance_id,
            channel="TASK",
            name=name,
            description=description,
            display_name=None,
            contact_flow_id=flow_id,
            attributes=attributes,
            initiation_timestamp=_now(),
        )
        self._new_contact(contact)
        return 200, {"ContactId": contact.id}

    def _start_chat(self, body: Any) -> _Response:
        obj = _require_object(body)
        instance_id = _require_str(obj, "InstanceId")
        flow_id = _require_str(obj, "ContactFlowId")
        participant = obj.get("ParticipantDetails")
        if not isinstance(participant, dict):
            raise _bad_request("ParticipantDetails is required and must be an object")
        display_name = participant.get("DisplayName")
        if not isinstance(display_name, str):
            raise _bad_request("ParticipantDetails.DisplayName is required and must be a string")
        raw_attrs = obj.get("Attributes")
        attributes = {} if raw_attrs is None else _attributes(raw_attrs)
        n = self._next()
        contact = Contact(
            id=f"contact-{n:04d}",
            instance_id=instance_id,
            channel="CHAT",
            name=None,
            description=None,
            display_name=display_name,
            contact_flow_id=flow_id,
            attributes=attributes,
            participant_id=f"participant-{n:04d}",
            participant_token=f"token-{n:04d}",
            initiation_timestamp=_now(),
        )
        self._new_contact(contact)
        return 200, {
            "ContactId": contact.id,
            "ParticipantId": contact.participant_id,
            "ParticipantToken": contact.participant_token,
        }

    def _describe(self, instance_id: str, contact_id: str) -> _Response:
        status = self.describe_status
        if status is not None:
            raise _ApiError(status, f"Forced status {status} for describeContact")
        contact = self._lookup(instance_id, contact_id)
        out: dict[str, Any] = {
            "Id": contact.id,
            "Arn": contact.arn,
            "Channel": contact.channel,
            "InitiationMethod": "API",
        }
        if self.omit_contact_id:
            del out["Id"]
        if contact.name is not None:
            out["Name"] = contact.name
        if contact.description is not None:
            out["Description"] = contact.description
        if contact.initiation_timestamp is not None:
            out["InitiationTimestamp"] = contact.initiation_timestamp
        return 200, {"Contact": out}

    def _update_attributes(self, instance_id: str, contact_id: str, body: Any) -> _Response:
        obj = _require_object(body)
        if "Attributes" not in obj or obj["Attributes"] is None:
            raise _bad_request("Attributes is required")
        attributes = _attributes(obj["Attributes"])
        contact = self._lookup(instance_id, contact_id)
        with self._lock:
            contact.attributes.update(attributes)
        return 200, {}

    def _stop_contact(self, instance_id: str, contact_id: str, body: Any) -> _Response:
        obj = _require_object(body)
        if _require_str(obj, "InstanceId") != instance_id:
            raise _bad_request("InstanceId in the body does not match the path")
        if _require_str(obj, "ContactId") != contact_id:
            raise _bad_request("ContactId in the body does not match the path")
        contact = self._lookup(instance_id, contact_id)
        with self._lock:
            if contact.stopped:
                raise _ApiError(400, "Contact is already stopped", "ContactNotFoundException")
            contact.stopped = True
        return 200, {}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeConnect


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so no keep-alive thread outlives stop().
    protocol_version = "HTTP/1.0"
    timeout = _STOP_TIMEOUT
    server_version = "FakeConnect/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: no per-request lines on stderr."""

    def _handle(self) -> None:
        server = self.server
        assert isinstance(server, _Server)
        fake = server.fake
        raw_path, _, query = self.path.partition("?")
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            lower = key.lower()
            headers[lower] = f"{headers[lower]}, {value}" if lower in headers else value
        raw = b""
        malformed = False
        try:
            raw = self._read_body()
        except ValueError:  # bad Content-Length or chunk size
            malformed = True
        body: Any = None
        if raw.strip() and not malformed:
            try:
                body = json.loads(raw)
            except ValueError:
                malformed = True
        fake._record(
            Recorded(
                method=self.command,
                path=raw_path,
                query=query,
                headers=headers,
                body=body,
                raw=raw,
            )
        )
        segments = [unquote(s) for s in raw_path.split("/")[1:]]
        if segments and segments[-1] == "":
            segments.pop()  # tolerate a trailing slash
        try:
            if malformed:
                raise _ApiError(400, "Malformed request body", "SerializationException")
            status, payload = fake._dispatch(self.command, segments, body)
        except _ApiError as err:
            status, payload = err.status, {"message": err.message, "code": err.code}
        except Exception as err:  # pragma: no cover - surfaces fake bugs as 500s
            status = 500
            payload = {"message": f"Fake failure: {err!r}", "code": "InternalError"}
        self._send(status, payload)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # skip trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle
