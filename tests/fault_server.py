"""A misbehaving HTTP server on 127.0.0.1 and helpers to run the fault fixture's workflows.

`FaultServer([hang])` answers each request with a behaviour: it hangs, resets the
connection, answers any status, sends invalid, endless or dripped bodies. It serves a
bounded number of requests and stops by itself after `LIFETIME` seconds. `attempt` runs
a workflow sync or async and asserts it ended within `MAX_SECONDS`.
Used by tests/test_runtime_faults.py and tests/test_runtime_secrets.py.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Self

import pytest
from workflow_runner import run_workflow

from generator.pipeline import compile_specs
from generator.write import write_tree

FIXTURE = Path(__file__).parent / "fixtures" / "faults" / "faults.arazzo.yaml"

#: Every case, even one that waits for a timeout or a retry, ends within this.
MAX_SECONDS = 5.0
#: Short timeouts, so a case that must time out does so quickly.
TIMEOUT = 0.5
#: A FaultServer stops by itself after this long, whatever its clients do.
LIFETIME = 15.0

ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


# --- a misbehaving server --------------------------------------------------------------

Behaviour = Callable[[socket.socket, threading.Event], None]


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class FaultServer:
    """Answers request n with `script[n]` (the last behaviour repeats), at most
    `max_requests` requests; one connection per request (`Connection: close`)."""

    script: list[Behaviour]
    max_requests: int = 10
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._threads: list[threading.Thread] = []
        self._started = time.monotonic()
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> Self:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set() and time.monotonic() - self._started < LIFETIME:
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(2.0)
            try:
                received = _read_request(connection)
            except (OSError, ValueError):
                return
            with self._lock:
                if len(self.requests) >= self.max_requests:
                    return
                self.requests.append(received)
                behaviour = self.script[min(len(self.requests), len(self.script)) - 1]
            with contextlib.suppress(OSError):  # the client went away once it had enough
                behaviour(connection, self._stop)


def _read_request(connection: socket.socket) -> Received:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk or len(data) > 1 << 20:
            raise ValueError("no complete request head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return Received(method, target, headers, body)


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(status: int, body: bytes = b"", **headers: str) -> Behaviour:
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    if "Transfer-Encoding" not in named:
        named.setdefault("Content-Length", str(len(body)))

    def behave(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(_head(status, named) + body)

    return behave


def json_reply(status: int, payload: Any, **headers: str) -> Behaviour:
    return respond(status, json.dumps(payload).encode(), Content_Type="application/json", **headers)


def hang(connection: socket.socket, stop: threading.Event) -> None:
    """Read the request, answer nothing."""
    stop.wait(LIFETIME)


def reset(connection: socket.socket, stop: threading.Event) -> None:
    """Read the request, then reset the connection (RST, not FIN)."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def drip(interval: float) -> Behaviour:
    """Headers at once, then a body of one byte every `interval` seconds."""

    def behave(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(_head(200, {"Content-Length": "10000"}))
        while not stop.wait(interval):
            connection.sendall(b" ")

    return behave


def endless(*, declared: int | None = None, chunked: bool = False) -> Behaviour:
    """A body that never ends (or ends after `declared` bytes): 64 KiB at a time."""

    def behave(connection: socket.socket, stop: threading.Event) -> None:
        headers = {"Content-Type": "application/json"}
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        elif declared is not None:
            headers["Content-Length"] = str(declared)
        connection.sendall(_head(200, headers))
        block = b'{"value": "' + b"x" * 65000
        sent = 0
        while not stop.is_set() and (declared is None or sent < declared):
            data = block[: declared - sent] if declared is not None else block
            connection.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            sent += len(data)

    return behave


def answered_slowly(connection: socket.socket, stop: threading.Event) -> None:
    """Every byte of headers and body within the per-read timeout, but all of it late."""
    for piece in [_head(200, {"Content-Length": "17"}), b'{"value": ', b'"late"}']:
        if stop.wait(TIMEOUT * 0.6):
            return
        connection.sendall(piece)


# --- running workflows -------------------------------------------------------------------


def compile_faults(tmp_path_factory: pytest.TempPathFactory, package: str) -> dict[str, ModuleType]:
    """The fixture's modules by module name, compiled into a package of this name."""
    result = compile_specs([FIXTURE])
    assert result.diagnostics.error_count == 0
    folder = tmp_path_factory.mktemp(package)
    write_tree(folder / package, result.files)
    sys.path.insert(0, str(folder))
    try:
        return {
            w.module: importlib.import_module(f"{package}.{w.package}.{w.module}")
            for w in result.workflows
        }
    finally:
        sys.path.remove(str(folder))


def run(module: ModuleType, is_async: bool, **arguments: Any) -> Any:
    """Run the module's workflow, sync or async."""
    name = next(n for n in module.__all__ if n.islower() and not n.endswith("_async"))
    return run_workflow(module, name, is_async, **arguments)


@dataclass
class Outcome:
    seconds: float
    value: Any = None
    error: BaseException | None = None


def attempt(module: ModuleType, is_async: bool, **arguments: Any) -> Outcome:
    """Run the workflow; its outputs or error and how long it took, which must be short."""
    started = time.monotonic()
    try:
        value = run(module, is_async, **arguments)
    except Exception as error:
        outcome = Outcome(time.monotonic() - started, error=error)
    else:
        outcome = Outcome(time.monotonic() - started, value=value)
    assert outcome.seconds < MAX_SECONDS, outcome
    return outcome


def failure(outcome: Outcome, kind: type[BaseException]) -> Any:
    """The error of an outcome, which must be a `kind` and a WorkflowError of its module."""
    assert isinstance(outcome.error, kind), outcome
    assert isinstance(outcome.error, sys.modules[kind.__module__].WorkflowError)
    return outcome.error
