"""Behaviour: the generated runtime stays bounded and discreet when the server misbehaves.

Each test runs a workflow of `fixtures/faults/faults.arazzo.yaml`, over real HTTP, against
a `FaultServer` on 127.0.0.1 written below: it hangs, resets connections, answers 500 or
429, sends invalid or endless bodies, or drips them. Every case must end in the
documented typed error (or a successful retry) within `MAX_SECONDS`, sync and async. The
server serves a bounded number of requests and stops by itself after `LIFETIME` seconds.

The second half checks that secrets (authorization headers, cookies, API keys in headers
and query strings, tokens and passwords in bodies) never reach an error message, a repr,
a traceback or a log record of the generated module.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import importlib
import inspect
import json
import logging
import socket
import struct
import sys
import threading
import time
import traceback
import tracemalloc
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Self

import httpx
import pytest

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


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    """The fixture's modules, compiled once for the whole file."""
    result = compile_specs([FIXTURE])
    assert result.diagnostics.error_count == 0
    folder = tmp_path_factory.mktemp("faults")
    write_tree(folder / "_arazzo_faults", result.files)
    sys.path.insert(0, str(folder))
    try:
        return {
            w.module: importlib.import_module(f"_arazzo_faults.{w.package}.{w.module}")
            for w in result.workflows
        }
    finally:
        sys.path.remove(str(folder))


def run(module: ModuleType, is_async: bool, **arguments: Any) -> Any:
    """Run the module's workflow, sync or async."""
    name = next(n for n in module.__all__ if n.islower() and not n.endswith("_async"))
    if is_async:
        return asyncio.run(getattr(module, name + "_async")(**arguments))
    return getattr(module, name)(**arguments)


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


# --- bounded: timeouts ---------------------------------------------------------------------


@ASYNC
def test_every_request_gets_the_default_timeout(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={"value": "ok"})

    transport = httpx.MockTransport(handler)
    if is_async:

        async def go() -> Any:
            async with httpx.AsyncClient(transport=transport) as client:
                return await module.get_thing_async(client=client, base_url="http://test")

        outputs = asyncio.run(go())
    else:
        with httpx.Client(transport=transport) as client:
            outputs = module.get_thing(client=client, base_url="http://test")
    assert outputs == {"value": "ok"}
    assert module.DEFAULT_TIMEOUT == 30.0
    assert seen == [dict.fromkeys(("connect", "read", "write", "pool"), 30.0)]


@ASYNC
def test_a_server_that_never_answers_times_out(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    with FaultServer([hang]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    error = failure(outcome, module.StepTimeoutError)
    assert isinstance(error, module.StepRequestError) and isinstance(error, module.WorkflowError)
    assert isinstance(error.__cause__, httpx.TimeoutException)
    assert error.step_id == "fetch" and error.workflow_id == "get-thing"
    assert error.method == "GET" and error.url == server.base_url + "/thing"
    assert f"step 'fetch': GET {server.base_url}/thing timed out (timeout=0.5 s)" in str(error)
    assert outcome.seconds >= TIMEOUT
    assert len(server.requests) == 1


@ASYNC
def test_a_body_dripped_slower_than_the_timeout_is_cut_off(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """Each byte arrives well within the read timeout; the whole body never does."""
    module = faults["get_thing"]
    with FaultServer([drip(TIMEOUT / 10)]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    error = failure(outcome, module.StepTimeoutError)
    assert "did not receive the whole response within timeout=0.5 s" in str(error)
    assert outcome.seconds < 2 * TIMEOUT + 1


@ASYNC
def test_an_answer_that_takes_longer_than_the_timeout_in_all_times_out(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    with FaultServer([answered_slowly]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    failure(outcome, module.StepTimeoutError)


# --- bounded: transport failures -------------------------------------------------------------


@ASYNC
def test_a_reset_connection_is_a_step_request_error(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    with FaultServer([reset]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    error = failure(outcome, module.StepRequestError)
    assert not isinstance(error, module.StepTimeoutError)
    assert isinstance(error.__cause__, httpx.TransportError)
    assert f"step 'fetch': GET {server.base_url}/thing failed: " in str(error)
    assert len(server.requests) == 1


@ASYNC
def test_a_refused_connection_is_a_step_request_error(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    outcome = attempt(module, is_async, base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT)
    error = failure(outcome, module.StepRequestError)
    assert isinstance(error.__cause__, httpx.ConnectError)


@ASYNC
def test_a_body_cut_short_is_a_step_request_error(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    with FaultServer([respond(200, b'{"value": "x', Content_Length="100")]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    error = failure(outcome, module.StepRequestError)
    assert isinstance(error.__cause__, httpx.RemoteProtocolError)


# --- bounded: status codes and retries ----------------------------------------------------------


@ASYNC
@pytest.mark.parametrize("status", [500, 429])
def test_an_error_status_without_a_retry_action_fails_the_step(
    faults: dict[str, ModuleType], is_async: bool, status: int
) -> None:
    module = faults["get_thing"]
    script = [json_reply(status, {"message": "no"}, Retry_After="1")]
    with FaultServer(script) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    error = failure(outcome, module.StepFailedError)
    assert error.status_code == status and error.step_id == "fetch"
    assert error.excerpt == repr('{"message": "no"}')
    assert len(server.requests) == 1


@ASYNC
def test_429_is_retried_after_the_capped_retry_after_then_succeeds(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """Retry-After asks for an hour; max_retry_delay caps the real sleep at 0.2 s."""
    module = faults["get_thing_retrying"]
    script = [json_reply(429, {}, Retry_After="3600"), json_reply(200, {"value": "ok"})]
    with FaultServer(script) as server:
        outcome = attempt(
            module, is_async, base_url=server.base_url, timeout=TIMEOUT, max_retry_delay=0.2
        )
    assert outcome.value == {"value": "ok"}, outcome
    assert outcome.seconds >= 0.2
    assert len(server.requests) == 2


@ASYNC
def test_500_is_retried_after_the_capped_retry_after_then_succeeds(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """retryAfter is 30 s in the document; the cap makes it 0.1 s."""
    module = faults["get_thing_retrying"]
    script = [json_reply(500, {}), json_reply(502, {}), json_reply(200, {"value": "ok"})]
    with FaultServer(script) as server:
        outcome = attempt(
            module, is_async, base_url=server.base_url, timeout=TIMEOUT, max_retry_delay=0.1
        )
    assert outcome.value == {"value": "ok"}, outcome
    assert len(server.requests) == 3


@ASYNC
def test_retry_limit_is_respected_over_real_http(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing_retrying"]
    with FaultServer([json_reply(503, {})]) as server:
        outcome = attempt(
            module, is_async, base_url=server.base_url, timeout=TIMEOUT, max_retry_delay=0.0
        )
    error = failure(outcome, module.StepFailedError)
    assert error.status_code == 503
    assert len(server.requests) == 1 + 2  # the first try and retryLimit retries


def test_retry_waits_are_never_negative_nan_or_uncapped(faults: dict[str, ModuleType]) -> None:
    wait = faults["get_thing_retrying"]._retry_wait
    assert wait(30.0, 60.0) == 30.0
    assert wait(float("inf"), 60.0) == 60.0
    assert wait(-5.0, 60.0) == 0.0
    assert wait(float("nan"), 60.0) == 0.0
    assert wait(5.0, float("nan")) == 0.0
    assert wait(5.0, -1.0) == 0.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        ("9" * 5000, float("inf")),  # capped by max_retry_delay
        ("\u00b2", 7.0),  # a Unicode digit is not a number of seconds
        ("-5", 7.0),
        ("1.5", 7.0),
        ("Mon, 99 Jan 2020 00:00:00 GMT", 7.0),
        ("Mon, 01 Jan 99999 00:00:00 GMT", 7.0),
        ("Mon, 01 Jan 2020 00:00:00 +9999", 7.0),
        ("Mon, 01 Jan 2001 00:00:00 GMT", 0.0),  # in the past
        ("01 Jan 2020 00:00:00 -0000", 7.0),  # no time zone
    ],
)
def test_odd_retry_after_headers_never_crash(
    faults: dict[str, ModuleType], header: str, expected: float
) -> None:
    module = faults["get_thing_retrying"]
    response = httpx.Response(503, headers={"Retry-After": header.encode("latin-1")})
    assert module._retry_delay(response, 7.0) == expected


@ASYNC
def test_the_step_budget_stops_a_goto_loop_over_real_http(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["poll_forever"]
    with FaultServer([json_reply(200, {"value": "again"})], max_requests=20) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT, max_steps=5)
    error = failure(outcome, module.StepBudgetExceededError)
    assert error.step_id == "fetch" and "max_steps=5" in str(error)
    assert len(server.requests) == 5


# --- bounded: response size ----------------------------------------------------------------------


@ASYNC
def test_a_declared_50_mb_body_fails_before_it_is_read(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    with FaultServer([endless(declared=50_000_000)]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=2.0)
    error = failure(outcome, module.StepFailedError)
    assert module.DEFAULT_MAX_RESPONSE_BYTES == 16 * 1024 * 1024
    assert error.reason == (
        "the response body is larger than max_response_bytes=16777216 (Content-Length: 50000000)"
    )
    assert error.status_code == 200 and error.step_id == "fetch"


@ASYNC
def test_an_endless_chunked_body_stops_at_the_default_limit_in_bounded_memory(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    tracemalloc.start()
    try:
        with FaultServer([endless(chunked=True)]) as server:
            outcome = attempt(module, is_async, base_url=server.base_url, timeout=4.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    error = failure(outcome, module.StepFailedError)
    assert error.reason == "the response body is larger than max_response_bytes=16777216"
    assert error.excerpt.startswith(repr('{"value": "xxxx')[:-1])
    assert error.excerpt.endswith(" (truncated)") and len(error.excerpt) < 600
    assert peak < 48 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


@ASYNC
def test_max_response_bytes_is_a_parameter(faults: dict[str, ModuleType], is_async: bool) -> None:
    """Exactly the limit is read; one byte more fails, whether the size is declared or not."""
    module = faults["get_thing"]
    body = b'{"value": "ok"}' + b" " * 985  # 1000 bytes
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    script = [respond(200, body), respond(200, chunked, Transfer_Encoding="chunked")]
    with FaultServer(script * 2) as server:
        for _ in range(2):
            fits = attempt(module, is_async, base_url=server.base_url, max_response_bytes=1000)
            assert fits.value == {"value": "ok"}, fits
        declared = attempt(module, is_async, base_url=server.base_url, max_response_bytes=999)
        streamed = attempt(module, is_async, base_url=server.base_url, max_response_bytes=999)
    error = failure(declared, module.StepFailedError)
    assert error.reason.endswith("max_response_bytes=999 (Content-Length: 1000)")
    error = failure(streamed, module.StepFailedError)
    assert error.reason.endswith("max_response_bytes=999")


@ASYNC
def test_a_gzip_bomb_is_stopped_at_the_limit(faults: dict[str, ModuleType], is_async: bool) -> None:
    """The limit counts decoded bytes: 50 MB of zeros compress to about 50 kB."""
    module = faults["get_thing"]
    bomb = gzip.compress(b"0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 1_000_000
    script = [respond(200, bomb, Content_Encoding="gzip", Content_Type="application/json")]
    with FaultServer(script) as server:
        outcome = attempt(
            module, is_async, base_url=server.base_url, timeout=2.0, max_response_bytes=1 << 20
        )
    error = failure(outcome, module.StepFailedError)
    assert error.reason == "the response body is larger than max_response_bytes=1048576"


@ASYNC
def test_a_gzip_bomb_is_inflated_in_bounded_memory(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """200 MB of zeros in 200 kB: the body is inflated 64 KiB at a time and stops at the
    limit, so memory stays near the limit (httpx alone would inflate each 64 KiB read
    into some 64 MB)."""
    module = faults["get_thing"]
    bomb = gzip.compress(b"0" * 200_000_000, compresslevel=9)
    script = [respond(200, bomb, Content_Encoding="gzip", Content_Type="application/json")]
    tracemalloc.start()
    try:
        with FaultServer(script) as server:
            outcome = attempt(
                module, is_async, base_url=server.base_url, timeout=4.0, max_response_bytes=1 << 20
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    failure(outcome, module.StepFailedError)
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def raw_deflate(data: bytes) -> bytes:
    """Deflate data without the zlib header, as some servers send `deflate`."""
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


ENCODED = {
    "gzip": ("gzip", gzip.compress(b'{"value": "ok"}')),
    "deflate (zlib)": ("deflate", zlib.compress(b'{"value": "ok"}')),
    "deflate (raw)": ("deflate", raw_deflate(b'{"value": "ok"}')),
    "identity": ("identity", b'{"value": "ok"}'),
    "unknown": ("x-unknown", b'{"value": "ok"}'),  # httpx passes unknown codings through
    "large gzip": ("gzip", gzip.compress(b'{"value": "ok", "pad": "' + b"p" * 300_000 + b'"}')),
}


@ASYNC
@pytest.mark.parametrize("case", list(ENCODED))
def test_encoded_bodies_are_decoded(
    faults: dict[str, ModuleType], is_async: bool, case: str
) -> None:
    module = faults["get_thing"]
    encoding, body = ENCODED[case]
    script = [respond(200, body, Content_Encoding=encoding, Content_Type="application/json")]
    with FaultServer(script) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=2.0)
    assert outcome.value == {"value": "ok"}, outcome


@ASYNC
def test_a_body_that_does_not_inflate_is_a_step_request_error(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    script = [respond(200, b"this is not gzip", Content_Encoding="gzip")]
    with FaultServer(script) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=2.0)
    error = failure(outcome, module.StepRequestError)
    assert isinstance(error.__cause__, httpx.DecodingError)
    assert "cannot inflate the response body" in str(error)


# --- unusable bodies: the typed step error, never a crash --------------------------------------

DEEP = 100_000

UNUSABLE = {
    "invalid JSON": (b'{"value": }', "(the body is not a JSON object or array)"),
    "truncated JSON": (b'{"value": "o', "(the body is not a JSON object or array)"),
    "empty": (b"", "(the body is empty)"),
    "HTML": (b"<html><body>Bad gateway</body></html>", "(the body is not a JSON"),
    "a JSON string": (b'"value"', "(the body is not a JSON object or array)"),
    "invalid UTF-8": (b'{"value": "\xff\xfe"}', "(the body is not a JSON object or array)"),
    "too deep for json": (b"[" * DEEP + b"]" * DEEP, "(the body is not a JSON object or array)"),
    "deeper than the limit": (
        b'{"value": "x", "deep": ' + b"[" * 300 + b"]" * 300 + b"}",
        "(the body is not a JSON object or array)",
    ),
    "an integer too long for int()": (
        b'{"value": "x", "n": ' + b"9" * 5000 + b"}",
        "(the body is not a JSON object or array)",
    ),
}


@ASYNC
@pytest.mark.parametrize("case", list(UNUSABLE))
def test_an_unusable_body_fails_the_step_by_name(
    faults: dict[str, ModuleType], is_async: bool, case: str
) -> None:
    module = faults["get_thing"]
    body, explanation = UNUSABLE[case]
    with FaultServer([respond(200, body, Content_Type="application/json")]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=2.0)
    error = failure(outcome, module.StepFailedError)
    assert error.step_id == "fetch" and error.status_code == 200
    assert error.reason.startswith("the response body has no value at '/value'")
    assert explanation in error.reason
    assert len(error.excerpt) < 600


@ASYNC
@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b'\xef\xbb\xbf{"value": "bom"}', "bom"),  # a UTF-8 byte order mark is skipped
        (b'{"value": "ok", "deep": ' + b"[" * 150 + b"]" * 150 + b"}", "ok"),  # deep, allowed
        (b'{"value": "\\u00e9t\\u00e9"}', "\u00e9t\u00e9"),
    ],
    ids=["BOM", "150 levels", "escapes"],
)
def test_usable_odd_bodies_are_read(
    faults: dict[str, ModuleType], is_async: bool, body: bytes, value: str
) -> None:
    module = faults["get_thing"]
    with FaultServer([respond(200, body, Content_Type="application/json")]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=2.0)
    assert outcome.value == {"value": value}, outcome


@ASYNC
@pytest.mark.parametrize(
    ("body", "holds"),
    [
        (b'{"value": "x", "count": 5}', True),
        (b'{"value": "x", "count": "5"}', True),  # a string that spells a number
        (b'{"value": "x", "count": "' + b"9" * 5000 + b'"}', True),  # too long for int()
        (b'{"value": "x", "count": "many"}', False),
        (b'{"value": "x", "count": [[[[5]]]]}', False),
        (b'{"value": "x", "count": null}', False),
        (b'{"value": "x"}', False),
        (b"not json at all", False),
        (b"", False),
        (b"[" * DEEP, False),
    ],
)
def test_a_criterion_on_an_odd_body_holds_or_fails_the_step(
    faults: dict[str, ModuleType], is_async: bool, body: bytes, holds: bool
) -> None:
    module = faults["count_check"]
    with FaultServer([respond(200, body, Content_Type="application/json")]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=2.0)
    if holds:
        assert outcome.value == {"value": "x"}, outcome
    else:
        error = failure(outcome, module.StepFailedError)
        assert error.reason.startswith("success criterion not met: $statusCode == 200 && ")


# --- discreet: secrets never shown -------------------------------------------------------------

SECRETS = {
    "password": "PASSWORD-s3cr3t",
    "client_secret": "CLIENT-SECRET-s3cr3t",
    "access_token": "ACCESS-TOKEN-s3cr3t",
    "refresh_token": "REFRESH-TOKEN-s3cr3t",
    "id_token": "ID-TOKEN-s3cr3t",
    "api_key": "API-KEY-s3cr3t",
    "authorization": "AUTHORIZATION-s3cr3t",
    "cookie": "COOKIE-s3cr3t",
    "set_cookie": "SET-COOKIE-s3cr3t",
}


def shown(error: BaseException) -> str:
    """Everything an error shows: its message, repr, the repr of its attributes and the
    whole printed traceback with its chained causes."""
    parts = [str(error), repr(error), *(repr(v) for v in vars(error).values())]
    parts += traceback.format_exception(error)
    cause = error.__cause__ or error.__context__
    while cause is not None:
        parts += [str(cause), repr(cause)]
        cause = cause.__cause__ or cause.__context__
    return "\n".join(parts)


def assert_discreet(text: str) -> None:
    leaked = [name for name, secret in SECRETS.items() if secret in text or "s3cr3t" in text]
    assert not leaked, f"secrets shown ({leaked}):\n{text}"


LOGIN = {
    "username": "ada",
    "password": SECRETS["password"],
    "client_secret": SECRETS["client_secret"],
}

#: Error bodies of a token endpoint that echo what they should not.
ECHOING_BODIES = {
    "JSON": json.dumps(
        {
            "error": "invalid_grant",
            "access_token": SECRETS["access_token"],
            "refresh_token": SECRETS["refresh_token"],
            "id_token": SECRETS["id_token"],
            "client_secret": SECRETS["client_secret"],
            "credentials": {"kind": "x", "value": SECRETS["password"]},
            "echo": f"you sent password {SECRETS['password']}",
        },
        indent=1,
    ).encode(),
    "JSON cut off in a secret": (
        b'{"error": "invalid_grant", "padding": "'
        + b"p" * 430
        + b'", "access_token": "'
        + SECRETS["access_token"].encode()
        + b"A" * 2000
        + b'"}'
    ),
    "form": (
        f"error=invalid_grant&access_token={SECRETS['access_token']}"
        f"&refresh_token={SECRETS['refresh_token']}&token_type=bearer"
    ).encode(),
    "XML": (
        f"<r><error>invalid_grant</error><access_token>{SECRETS['access_token']}"
        f"</access_token><ns:id_token a='1'>{SECRETS['id_token']}</ns:id_token></r>"
    ).encode(),
    "text": (
        f"invalid_grant\nAuthorization: Bearer {SECRETS['access_token']}\n"
        f"seen: Bearer {SECRETS['id_token']}\n"
    ).encode(),
}


@ASYNC
@pytest.mark.parametrize("case", list(ECHOING_BODIES))
def test_a_failed_auth_step_shows_no_tokens(
    faults: dict[str, ModuleType], is_async: bool, case: str
) -> None:
    module = faults["login"]
    script = [
        respond(
            400,
            ECHOING_BODIES[case],
            Set_Cookie=f"sid={SECRETS['set_cookie']}; HttpOnly",
            Content_Type="application/json",
        )
    ]
    with FaultServer(script) as server:
        outcome = attempt(module, is_async, **LOGIN, base_url=server.base_url, timeout=2.0)
    error = failure(outcome, module.StepFailedError)
    assert_discreet(shown(error))
    assert "invalid_grant" in error.excerpt
    assert "***" in error.excerpt
    # the secrets did reach the server: they were sent, just never shown
    assert SECRETS["client_secret"].encode() in server.requests[0].body


@ASYNC
def test_a_token_from_one_step_is_not_shown_when_the_next_fails(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["login"]
    token = json_reply(200, {"access_token": SECRETS["access_token"]})
    denied = json_reply(401, {"message": "bad token", "got": f"Bearer {SECRETS['access_token']}"})
    with FaultServer([token, denied]) as server:
        outcome = attempt(module, is_async, **LOGIN, base_url=server.base_url, timeout=2.0)
    error = failure(outcome, module.StepFailedError)
    assert error.step_id == "me"
    assert_discreet(shown(error))
    assert server.requests[1].headers["authorization"] == "Bearer " + SECRETS["access_token"]


CALLER_SECRETS = {
    "Authorization": "Bearer " + SECRETS["authorization"],
    "Cookie": "sid=" + SECRETS["cookie"],
    "Proxy-Authorization": "Basic " + SECRETS["authorization"],
}


@ASYNC
def test_a_timeout_shows_no_header_or_query_secrets(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    with FaultServer([hang]) as server:
        outcome = attempt(
            module, is_async, api_key=SECRETS["api_key"], headers=CALLER_SECRETS,
            base_url=server.base_url, timeout=TIMEOUT,
        )  # fmt: skip
    error = failure(outcome, module.StepTimeoutError)
    assert_discreet(shown(error))
    assert error.url == server.base_url + "/thing?api_key=***"
    assert server.requests[0].target == "/thing?api_key=" + SECRETS["api_key"]
    assert server.requests[0].headers["x-api-key"] == SECRETS["api_key"]


@ASYNC
@pytest.mark.parametrize(
    "value", ["Bearer {}\n", "Bearer {}\r\nX-Injected: 1", "Bearer \x00{}"], ids=repr
)
def test_an_invalid_caller_header_value_is_not_shown(
    faults: dict[str, ModuleType], is_async: bool, value: str
) -> None:
    """h11 quotes an invalid header value in its error; the runtime scrubs it."""
    module = faults["get_thing"]
    with FaultServer([json_reply(200, {"value": "ok"})]) as server:
        outcome = attempt(
            module, is_async, headers={"Authorization": value.format(SECRETS["authorization"])},
            base_url=server.base_url, timeout=TIMEOUT,
        )  # fmt: skip
    error = failure(outcome, module.StepRequestError)
    assert isinstance(error.__cause__, httpx.LocalProtocolError)
    assert_discreet(shown(error))
    assert "Illegal header value" in str(error)


@ASYNC
def test_a_non_ascii_caller_header_value_is_not_shown(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    outcome = attempt(
        module, is_async, headers={"X-Token": SECRETS["authorization"] + "\u00e9"},
        base_url="http://127.0.0.1:9", timeout=TIMEOUT,
    )  # fmt: skip
    error = failure(outcome, module.WorkflowError)
    assert error.__context__ is None and error.__cause__ is None
    assert_discreet(shown(error))
    assert "header 'X-Token' holds a character that is not ASCII (at position 20)" in str(error)


@ASYNC
def test_an_invalid_header_parameter_value_is_not_shown(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    outcome = attempt(
        module, is_async, api_key=SECRETS["api_key"] + "\n", base_url="http://127.0.0.1:9"
    )
    error = failure(outcome, module.WorkflowError)
    assert_discreet(shown(error))
    assert "header 'X-API-Key' can only hold visible ASCII" in str(error)
    assert "not '\\n' (at position 14)" in str(error)


def test_request_repr_shows_no_secret_values(faults: dict[str, ModuleType]) -> None:
    module = faults["get_thing"]
    request = module._Request(
        "POST",
        "/token",
        query=[f"api_key={SECRETS['api_key']}&q=cats", None, f"sig={SECRETS['api_key']}"],
        headers={"Authorization": "Bearer " + SECRETS["authorization"], "Accept": "text/plain"},
        cookies=[f"sid={SECRETS['cookie']}; theme={SECRETS['cookie']}"],
        content_type="application/json",
        body={"password": SECRETS["password"]},
        content=SECRETS["client_secret"].encode(),
    )
    text = repr(request)
    assert_discreet(text)
    assert text == (
        "_Request('POST', '/token', query=['api_key=***&q=cats', 'sig=***'], "
        "headers={'Authorization': '***', 'Accept': 'text/plain'}, "
        "cookies=['sid=***', 'theme=***'], content_type='application/json', "
        "body=<dict>, content=<20 bytes>)"
    )
    assert_discreet(str(request))


def test_state_repr_shows_no_inputs(faults: dict[str, ModuleType]) -> None:
    module = faults["login"]
    state = module._State(username="ada", password=SECRETS["password"], client_secret="x")
    assert_discreet(repr(state))


@ASYNC
def test_the_module_logs_nothing_and_no_record_shows_a_secret(
    faults: dict[str, ModuleType],
    is_async: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The generated module has no logger. httpx logs each request's URL at INFO on the
    `httpx` logger (query string included: see the README), so that is left out here;
    every other record must be free of secrets."""
    module = faults["login"]
    assert "logging" not in Path(module.__file__).read_text(encoding="utf-8")
    token = json_reply(200, {"access_token": SECRETS["access_token"]}, Set_Cookie="sid=x")
    with caplog.at_level(logging.DEBUG), FaultServer([token, json_reply(500, {})]) as server:
        attempt(module, is_async, **LOGIN, headers=CALLER_SECRETS, base_url=server.base_url)
    for record in caplog.records:
        if record.name.split(".")[0] not in ("httpx", "httpcore"):
            assert_discreet(record.getMessage())
        assert not record.name.startswith("_arazzo_faults")


# --- the redaction itself -----------------------------------------------------------------------


REDACTED = {
    '{"access_token": "abc", "code": "E1"}': '{"access_token": "***", "code": "E1"}',
    '{"Password":12345,"n":1}': '{"Password":"***","n":1}',
    '{"secret": {"a": [1, "}"]}, "ok": true}': '{"secret": "***", "ok": true}',
    '{"m": "\\"token\\": b", "x-api-key" : "k"}': '{"m": "\\"token\\": b", "x-api-key" : "***"}',
    '{"refresh_token": "abcdef': '{"refresh_token": "***"',
    '{"client_secret": [1, 2': '{"client_secret": "***"',
    "a=1&apikey=zzz&b=2": "a=1&apikey=***&b=2",
    "token=abc": "token=***",
    "X-Amz-Security-Token: abc\nAccept: */*": "X-Amz-Security-Token: ***\nAccept: */*",
    "<password>pw</password><user>ada</user>": "<password>***</password><user>ada</user>",
    "use Bearer abc.def-ghi now": "use Bearer *** now",
    '{"author": "ada"}': '{"author": "***"}',  # secret-looking names are redacted generously
    '{"message": "Not found", "code": "E1"}': '{"message": "Not found", "code": "E1"}',
}


@pytest.mark.parametrize("text", list(REDACTED))
def test_redact(faults: dict[str, ModuleType], text: str) -> None:
    assert faults["get_thing"]._redact(text, []) == REDACTED[text]


def test_urls_in_messages_lose_user_information_fragments_and_secret_query_values(
    faults: dict[str, ModuleType],
) -> None:
    redact_url = faults["get_thing"]._redact_url
    url = httpx.URL("https://ada:pw@api.test:8443/a%20b?q=1&access_token=t&sig=s&x=#frag")
    assert redact_url(url) == "https://api.test:8443/a%20b?q=1&access_token=***&sig=***&x="
    assert redact_url(httpx.URL("http://h/" + "a" * 400)).endswith("a...")


def test_redact_replaces_known_secret_values_anywhere(faults: dict[str, ModuleType]) -> None:
    redact = faults["get_thing"]._redact
    assert redact("you sent hunter22 twice: hunter22", ["hunter22"]) == "you sent *** twice: ***"


def test_excerpt_is_bounded_and_redacted(faults: dict[str, ModuleType]) -> None:
    module = faults["get_thing"]
    content = b'{"token": "' + b"t" * 10_000_000 + b'"}'
    excerpt = module._excerpt(content, [])
    assert excerpt == repr('{"token": "***"') + " (truncated)"


def test_sync_and_async_functions_take_the_same_arguments(faults: dict[str, ModuleType]) -> None:
    for module in faults.values():
        name = next(n for n in module.__all__ if n.islower() and not n.endswith("_async"))
        sync = inspect.signature(getattr(module, name)).parameters
        twin = inspect.signature(getattr(module, name + "_async")).parameters
        assert list(sync) == list(twin)
        for parameter in ("timeout", "max_steps", "max_response_bytes", "max_retry_delay"):
            if parameter in sync:
                assert sync[parameter].default == twin[parameter].default
        assert sync["max_response_bytes"].default == module.DEFAULT_MAX_RESPONSE_BYTES
