"""Behaviour: the generated runtime stays bounded when the server misbehaves.

Each test runs a workflow of `fixtures/faults/faults.arazzo.yaml`, over real HTTP, against
a `FaultServer` on 127.0.0.1 (tests/fault_server.py): it hangs, resets connections, answers
500 or 429, sends invalid or endless bodies, or drips them. Every case must end in the
documented typed error (or a successful retry) within `MAX_SECONDS`, sync and async.
tests/test_runtime_secrets.py checks that secrets never show.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import socket
import tracemalloc
import zlib
from types import ModuleType
from typing import Any

import httpx
import pytest
from fault_server import (
    ASYNC,
    TIMEOUT,
    FaultServer,
    answered_slowly,
    attempt,
    compile_faults,
    drip,
    endless,
    failure,
    hang,
    json_reply,
    reset,
    respond,
)


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    """The fixture's modules, compiled once for the whole file."""
    return compile_faults(tmp_path_factory, "_arazzo_faults")


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
def test_a_retry_after_header_wins_over_retry_after_in_the_document(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """The document asks for 30 s (capped to 3 s here); the server's Retry-After: 1 wins."""
    module = faults["get_thing_retrying"]
    script = [json_reply(503, {}, Retry_After="1"), json_reply(200, {"value": "ok"})]
    with FaultServer(script) as server:
        outcome = attempt(
            module, is_async, base_url=server.base_url, timeout=TIMEOUT, max_retry_delay=3.0
        )
    assert outcome.value == {"value": "ok"}, outcome
    assert 1.0 <= outcome.seconds < 2.5
    assert len(server.requests) == 2


@ASYNC
def test_a_huge_error_body_gives_a_bounded_excerpt(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    body = b"<html>" + b"Internal error. " * 200_000 + b"</html>"  # 3.2 MB
    with FaultServer([respond(500, body, Content_Type="text/html")]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=2.0)
    error = failure(outcome, module.StepFailedError)
    assert error.excerpt == repr(body[:500].decode()) + " (truncated)"
    assert len(str(error)) < 800


@ASYNC
def test_an_output_of_the_step_a_failure_action_ended_on_says_so(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """`giveUp` (type end) ends the workflow when `me` fails; its output cannot be read."""
    module = faults["give_up"]
    script = [json_reply(200, {"value": "ok"}), json_reply(503, {"message": "busy"})]
    with FaultServer(script) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    error = failure(outcome, module.StepNotRunError)
    assert str(error) == (
        "workflow 'give-up': step 'me' failed (HTTP 503: success criterion not met: "
        "$statusCode == 200) and failure action 'giveUp' ended the workflow, so the outputs "
        "of 'me' are not available"
    )
    assert error.step_id == "me"
    assert isinstance(error.__cause__, module.StepFailedError)
    assert error.__cause__.step_id == "me" and error.__cause__.status_code == 503
    assert error.__cause__.excerpt == repr('{"message": "busy"}')
    assert len(server.requests) == 2


@ASYNC
def test_a_retry_that_reads_no_response_answers_a_reset_connection(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """`again` (no criteria) retries after the reset; `busy` ($statusCode == 503) cannot."""
    module = faults["retry_when_reset"]
    waits: list[float] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    sleep = wait if is_async else waits.append
    with FaultServer([reset, json_reply(200, {"value": "ok"})]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT, sleep=sleep)
    assert outcome.value == {"value": "ok"}
    assert (len(server.requests), waits) == (2, [0.1])  # retryAfter: no Retry-After header
    with FaultServer([reset]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT, sleep=sleep)
    assert failure(outcome, module.StepRequestError).step_id == "fetch"  # its limit spent
    assert len(server.requests) == 2


@ASYNC
def test_an_end_that_answers_a_reset_connection_says_so(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["give_up"]
    with FaultServer([json_reply(200, {"value": "ok"}), reset]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    error = failure(outcome, module.StepNotRunError)
    assert str(error) == (
        "workflow 'give-up': step 'me' failed (no response: StepRequestError) and failure "
        "action 'giveUp' ended the workflow, so the outputs of 'me' are not available"
    )
    assert isinstance(error.__cause__, module.StepRequestError)
    assert len(server.requests) == 2


@ASYNC
def test_an_output_of_a_step_a_failure_action_skipped_says_why(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["give_up"]
    with FaultServer([json_reply(500, {})]) as server:
        outcome = attempt(module, is_async, base_url=server.base_url, timeout=TIMEOUT)
    error = failure(outcome, module.StepNotRunError)
    assert str(error) == (
        "workflow 'give-up': step 'me' did not run: step 'fetch' failed (HTTP 500: success "
        "criterion not met: $statusCode == 200) and failure action 'giveUp' ended the "
        "workflow first, so the outputs of 'me' are not available"
    )
    assert error.step_id == "me" and error.__cause__.step_id == "fetch"
    assert len(server.requests) == 1


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


def test_sync_and_async_functions_take_the_same_arguments(faults: dict[str, ModuleType]) -> None:
    for module in faults.values():
        name = next(n for n in module.__all__ if n.islower() and not n.endswith("_async"))
        sync = inspect.signature(getattr(module, name)).parameters
        twin = inspect.signature(getattr(module, name + "_async")).parameters
        assert list(sync) == list(twin)
        runtime = ("headers", "params", "timeout", "max_steps", "max_response_bytes")
        for parameter in (*runtime, "max_retry_delay"):
            if parameter in sync:
                assert sync[parameter].default == twin[parameter].default
        assert sync["max_response_bytes"].default == module.DEFAULT_MAX_RESPONSE_BYTES
