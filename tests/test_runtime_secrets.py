"""Behaviour: the generated runtime is discreet. Secrets (authorization headers, cookies,
API keys in headers and query strings and the caller's `params`, tokens and passwords in
request and response bodies) never reach an error message, a repr, a traceback or a log
record emitted while a workflow runs, whichever logger emits it and at any level.

Each test runs a workflow of `fixtures/faults/faults.arazzo.yaml` over real HTTP against a
`FaultServer` on 127.0.0.1 (tests/fault_server.py), sync and async, in bounded time.
"""

from __future__ import annotations

import json
import logging
import traceback
from types import ModuleType

import httpx
import pytest
from fault_server import (
    ASYNC,
    TIMEOUT,
    FaultServer,
    attempt,
    compile_faults,
    failure,
    hang,
    json_reply,
    respond,
)


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    """The fixture's modules, compiled once for the whole file."""
    return compile_faults(tmp_path_factory, "_arazzo_secrets")


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


# --- discreet: the caller's query parameters -----------------------------------------------------

PARAMS = {"key": "PARAMS-KEY-s3cr3t", "tenant": "acme"}


@ASYNC
def test_params_are_sent_with_every_request_and_never_shown(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """`params` travel in every request's query (after the step's own) and their values
    are secrets whatever their names: the server's echo of one is redacted too."""
    module = faults["login"]
    token = json_reply(200, {"access_token": SECRETS["access_token"]})
    denied = json_reply(401, {"message": f"unknown key {PARAMS['key']} for tenant acme"})
    with FaultServer([token, denied]) as server:
        outcome = attempt(
            module, is_async, **LOGIN, params=PARAMS, base_url=server.base_url, timeout=2.0
        )
    error = failure(outcome, module.StepFailedError)
    assert [r.target for r in server.requests] == [
        "/token?key=PARAMS-KEY-s3cr3t&tenant=acme",
        "/me?key=PARAMS-KEY-s3cr3t&tenant=acme",
    ]
    assert_discreet(shown(error))
    # every value of params is a secret, whatever its name (of four characters or more)
    assert error.excerpt == repr('{"message": "unknown key *** for tenant ***"}')


@ASYNC
def test_params_with_odd_characters_are_encoded_and_redacted_as_sent(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    params = {"api key": "K&Y=s3cr3t/+ \u00e9"}
    with FaultServer([hang]) as server:
        outcome = attempt(
            module, is_async, params=params, base_url=server.base_url, timeout=TIMEOUT
        )
    error = failure(outcome, module.StepTimeoutError)
    assert server.requests[0].target == "/thing?api%20key=K%26Y%3Ds3cr3t%2F%2B%20%C3%A9"
    assert error.url == server.base_url + "/thing?api%20key=***"
    assert_discreet(shown(error))


@ASYNC
def test_a_query_parameter_of_the_step_wins_over_params(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    module = faults["get_thing"]
    with FaultServer([json_reply(200, {"value": "ok"})]) as server:
        outcome = attempt(
            module, is_async, api_key="mine", params={"api_key": "theirs", "x": "1"},
            base_url=server.base_url,
        )  # fmt: skip
    assert outcome.value == {"value": "ok"}, outcome
    assert server.requests[0].target == "/thing?api_key=mine&x=1"


@ASYNC
def test_the_params_of_the_callers_client_do_not_replace_the_steps_query(
    faults: dict[str, ModuleType], is_async: bool
) -> None:
    """httpx puts a client's `params` in place of the query of the URL it is given: the
    runtime keeps the step's parameters and adds the client's after them."""
    module = faults["get_thing"]
    client = (httpx.AsyncClient if is_async else httpx.Client)(params={"sig": "c1"})
    with FaultServer([json_reply(200, {"value": "ok"})]) as server:
        outcome = attempt(module, is_async, api_key="mine", client=client, base_url=server.base_url)
    assert outcome.value == {"value": "ok"}, outcome
    assert server.requests[0].target == "/thing?api_key=mine&sig=c1"


# --- discreet: log records ---------------------------------------------------------------------


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record captured, as a handler prints it (tracebacks included) and as its
    bare message."""
    return caplog.text + "\n".join(r.getMessage() for r in caplog.records)


def request_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """httpx's INFO record of each request."""
    return [r.getMessage() for r in caplog.records if r.name == "httpx"]


@ASYNC
def test_no_log_record_shows_a_secret_of_an_auth_flow(
    faults: dict[str, ModuleType], is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A password grant with the caller's Authorization and Cookie headers and `params`:
    the token response also sets a cookie; the next step sends the token and fails.
    Everything httpx and httpcore log down to DEBUG (request lines, response header
    lists, failures) is captured at the root logger, and no secret shows."""
    module = faults["login"]
    token = json_reply(
        200,
        {"access_token": SECRETS["access_token"], "refresh_token": SECRETS["refresh_token"]},
        Set_Cookie=f"sid={SECRETS['set_cookie']}; HttpOnly",
    )
    echo = json_reply(500, {"got": f"Bearer {SECRETS['access_token']}"}, X_Debug_Token="abcdef")
    with caplog.at_level(logging.DEBUG), FaultServer([token, echo]) as server:
        outcome = attempt(
            module, is_async, **LOGIN, headers=CALLER_SECRETS, params={"api_key": PARAMS["key"]},
            base_url=server.base_url, timeout=2.0,
        )  # fmt: skip
    failure(outcome, module.StepFailedError)
    assert_discreet(logged(caplog))
    assert request_lines(caplog) == [
        f'HTTP Request: POST {server.base_url}/token?api_key=*** "HTTP/1.1 200 Whatever"',
        f'HTTP Request: GET {server.base_url}/me?api_key=*** "HTTP/1.1 500 Whatever"',
    ]
    headers = [
        r.getMessage()
        for r in caplog.records
        if "receive_response_headers.complete" in r.getMessage()
    ]
    assert len(headers) == 2 and "(b'Set-Cookie', b'***')" in headers[0]
    assert "(b'X-Debug-Token', b'***')" in headers[1]
    assert "(b'Content-Type', b'application/json')" in headers[0]  # the rest is shown
    # the generated module itself logs nothing
    assert not [r for r in caplog.records if r.name.startswith("_arazzo_secrets")]
    assert server.requests[1].headers["authorization"] == "Bearer " + SECRETS["access_token"]


@ASYNC
def test_a_token_received_in_a_body_is_redacted_wherever_it_is_sent_later(
    faults: dict[str, ModuleType], is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The second step sends the token in a query parameter with a plain name (`q`):
    the run learned it from the token response, so the request line, the error and
    the server's echo of it all show *** instead."""
    module = faults["login_then_search"]
    token = json_reply(200, {"access_token": SECRETS["access_token"], "token_type": "bearer"})
    echo = json_reply(404, {"message": f"nothing found for {SECRETS['access_token']}"})
    with caplog.at_level(logging.DEBUG), FaultServer([token, echo]) as server:
        outcome = attempt(
            module, is_async, client_secret=SECRETS["client_secret"],
            base_url=server.base_url, timeout=2.0,
        )  # fmt: skip
    error = failure(outcome, module.StepFailedError)
    assert server.requests[1].target == "/thing?q=" + SECRETS["access_token"]
    assert error.step_id == "search"
    assert error.excerpt == repr('{"message": "nothing found for ***"}')
    assert_discreet(shown(error))
    assert_discreet(logged(caplog))
    assert request_lines(caplog)[1].startswith(f"HTTP Request: GET {server.base_url}/thing?q=***")


@ASYNC
def test_a_timed_out_request_logs_no_secret(
    faults: dict[str, ModuleType], is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    module = faults["get_thing"]
    with caplog.at_level(logging.DEBUG), FaultServer([hang]) as server:
        outcome = attempt(
            module, is_async, api_key=SECRETS["api_key"], headers=CALLER_SECRETS,
            params={"sig": PARAMS["key"]}, base_url=server.base_url, timeout=TIMEOUT,
        )  # fmt: skip
    error = failure(outcome, module.StepTimeoutError)
    assert error.url == server.base_url + "/thing?api_key=***&sig=***"
    assert_discreet(shown(error))
    assert_discreet(logged(caplog))
    assert any("receive_response_headers.failed" in r.getMessage() for r in caplog.records)


@ASYNC
def test_an_invalid_header_value_is_not_logged(
    faults: dict[str, ModuleType], is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """httpcore logs h11's error, which quotes the invalid value, before the runtime
    sees it."""
    module = faults["get_thing"]
    value = f"Bearer {SECRETS['authorization']}\r\nX-Injected: 1"
    with caplog.at_level(logging.DEBUG), FaultServer([json_reply(200, {})]) as server:
        outcome = attempt(
            module, is_async, headers={"Authorization": value}, base_url=server.base_url,
            timeout=TIMEOUT,
        )  # fmt: skip
    failure(outcome, module.StepRequestError)
    failed = [
        r.getMessage() for r in caplog.records if "send_request_headers.failed" in r.getMessage()
    ]
    assert failed and "Illegal header value" in failed[0]
    assert_discreet(logged(caplog))


def test_logging_is_left_as_it_was_and_records_outside_a_run_are_untouched(
    faults: dict[str, ModuleType], caplog: pytest.LogCaptureFixture
) -> None:
    """The runtime adds one filter (once, however many runs) to the loggers that record
    requests, and changes no level, handler or propagation; the filter touches only
    records emitted while one of this module's workflows runs."""
    module = faults["get_thing"]
    names = ["", "httpx", "httpcore.http11", "httpcore.connection"]

    def configuration() -> list[tuple[int, list[logging.Handler], bool, bool]]:
        loggers = [logging.getLogger(name) for name in names]
        return [(g.level, list(g.handlers), g.propagate, g.disabled) for g in loggers]

    before = configuration()
    with FaultServer([json_reply(200, {"value": "ok"})]) as server:
        for _ in range(3):
            assert attempt(module, False, base_url=server.base_url).value == {"value": "ok"}
    assert configuration() == before
    for name in module._LOGGERS:
        assert logging.getLogger(name).filters.count(module._LOG_FILTER) == 1
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info("outside a run: %s", "token=abcdef")
    assert [r.getMessage() for r in caplog.records] == ["outside a run: token=abcdef"]


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
