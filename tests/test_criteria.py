"""Criteria: simple conditions, regex, JSONPath and XPath, from document to behaviour.

* Behaviour: `tests/fixtures/criteria/criteria.arazzo.yaml` is compiled at test time
  and each workflow runs, sync and async, against a small HTTP server on 127.0.0.1
  whose replies decide which criteria hold: whether a step fails (and with which
  message) and which success action is taken (which requests are made).
* The Python text compiled for the simple condition grammar, operator by operator.
* The runtime's loose comparison and query helpers, called directly.
* Generation-time errors, with their exact file:line:col, for invalid regexes,
  JSONPath queries, XPath expressions and expression type versions.
* `mypy --strict` and `ruff` on modules that use regex, JSONPath and XPath criteria.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typecheck import assert_mypy_strict

from generator import ir
from generator.build.criteria import singular_path
from generator.diagnostics import Level
from generator.emit import pyexpr
from generator.expressions import parse_condition
from generator.pipeline import compile_specs
from generator.write import write_tree

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "criteria"
CRITERIA = FIXTURES / "criteria.arazzo.yaml"
INVALID = FIXTURES / "invalid.arazzo.yaml"

Compile = Callable[[Path], dict[str, ModuleType]]
BOTH = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


# --- a small HTTP server -----------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Api:
    """Answers each path with the reply set for it (200 and no body by default) and
    records the paths asked for, in order."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.paths: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def json(self, path: str, payload: Any, status: int = 200, **headers: str) -> None:
        headers = {"Content-Type": "application/json", **headers}
        self.replies[path] = Reply(status, json.dumps(payload).encode(), headers)

    def text(self, path: str, text: str, content_type: str, status: int = 200) -> None:
        self.replies[path] = Reply(status, text.encode(), {"Content-Type": content_type})

    def __enter__(self) -> Api:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 5  # seconds a connection may stay silent

        def do_GET(self) -> None:
            api.paths.append(self.path)
            reply = api.replies.get(self.path, Reply())
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[Api]:
    with Api() as server:
        yield server


@pytest.fixture
def modules(compile_workflows: Compile) -> dict[str, ModuleType]:
    return compile_workflows(CRITERIA)


def run(module: ModuleType, is_async: bool, api: Api, **arguments: Any) -> Any:
    function = next(name for name in module.__all__ if name + "_async" in module.__all__)
    arguments = {"base_url": api.base_url, "timeout": 5.0, **arguments}
    if is_async:
        return asyncio.run(getattr(module, function + "_async")(**arguments))
    return getattr(module, function)(**arguments)


def failure(module: ModuleType, is_async: bool, api: Api, **arguments: Any) -> Any:
    with pytest.raises(module.StepFailedError) as caught:
        run(module, is_async, api, **arguments)
    return caught.value


# --- regex -------------------------------------------------------------------------


@BOTH
def test_regex_on_a_header_chooses_the_goto(
    modules: dict[str, ModuleType], api: Api, is_async: bool
) -> None:
    api.json("/items/7", {"name": "WIDGET-1", "count": 3}, **{"X-Tier": "gold"})

    assert run(modules["regex_routing"], is_async, api, item_id="7") == {}
    assert api.paths == ["/items/7", "/gold"]


@BOTH
def test_regex_is_case_sensitive_without_an_inline_flag(
    modules: dict[str, ModuleType], api: Api, is_async: bool
) -> None:
    api.json("/items/7", {"name": "widget", "count": 3}, **{"X-Tier": "GOLD"})

    run(modules["regex_routing"], is_async, api, item_id="7")
    assert api.paths == ["/items/7"]  # '^gold$' did not match 'GOLD'; ^\d+$ matched 3: end


@BOTH
@pytest.mark.parametrize(
    ("content_type", "holds"),
    [("text/plain", True), ("text/plain; charset=utf-8", True), ("application/json", False)],
)
def test_a_text_body_is_its_text_even_when_it_parses_as_json(
    modules: dict[str, ModuleType], api: Api, is_async: bool, content_type: str, holds: bool
) -> None:
    """`1.50` as text/plain is the text "1.50"; as JSON it is the number 1.5."""
    api.text("/plain", "1.50", content_type)

    if holds:
        assert run(modules["text_body"], is_async, api) == {"text": "1.50"}
    else:
        assert failure(modules["text_body"], is_async, api).reason == (
            "success criterion not met: ^1\\.50$"
        )


@BOTH
def test_regex_on_a_number_matches_its_json_text(
    modules: dict[str, ModuleType], api: Api, is_async: bool
) -> None:
    api.json("/items/7", {"name": "Widget", "count": "many"})

    run(modules["regex_routing"], is_async, api, item_id="7")
    assert api.paths == ["/items/7", "/plain"]  # no action matched: the next step


@BOTH
@pytest.mark.parametrize(
    ("status", "payload", "reason"),
    [
        (200, {"name": "Gadget"}, "success criterion not met: (?i)^widget\\b"),
        (200, {"title": "Widget"}, "success criterion not met: (?i)^widget\\b"),  # missing
        (200, {"name": "widgets"}, "success criterion not met: (?i)^widget\\b"),  # \b
        (404, {"name": "Widget"}, "success criterion not met: ^200$"),
    ],
    ids=["other-name", "missing-name", "word-boundary", "status"],
)
def test_regex_success_criteria_fail_the_step(
    modules: dict[str, ModuleType],
    api: Api,
    is_async: bool,
    status: int,
    payload: Any,
    reason: str,
) -> None:
    api.json("/items/7", payload, status=status)

    error = failure(modules["regex_routing"], is_async, api, item_id="7")
    assert (error.step_id, error.status_code, error.reason) == ("fetch", status, reason)
    assert api.paths == ["/items/7"]


# --- jsonpath ----------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize(
    ("payload", "paths"),
    [
        ({"items": [{"id": 1, "status": "ready", "priority": 9}]}, ["/items", "/escalate"]),
        ({"items": [{"id": 1, "status": "ready"}], "meta": {"done": None}}, ["/items"]),
        ({"items": [{"id": 1, "status": "ready"}], "meta": {"done!": 1}}, ["/items", "/plain"]),
        ({"items": [{"id": 0, "status": "x"}, {"status": "ready", "priority": 6}]}, None),
    ],
    ids=["filter-goto", "null-node-end", "no-node-next", "second-item"],
)
def test_jsonpath_criteria_choose_the_action(
    modules: dict[str, ModuleType],
    api: Api,
    is_async: bool,
    payload: Any,
    paths: list[str] | None,
) -> None:
    api.json("/items", payload)

    run(modules["jsonpath_routing"], is_async, api)
    assert api.paths == (paths or ["/items", "/escalate"])


@BOTH
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({"items": [{"status": "ready"}]}, "$.items[0].id"),
        ({"items": []}, "$.items[0].id"),
        ({"items": [{"id": 1, "status": "Ready"}]}, "$.items[?@.status == 'ready']"),
        ("not json at all", "$.items[0].id"),
    ],
    ids=["no-id", "no-items", "filter-is-case-sensitive", "text-body"],
)
def test_jsonpath_success_criteria_fail_the_step(
    modules: dict[str, ModuleType], api: Api, is_async: bool, reply: Any, reason: str
) -> None:
    if isinstance(reply, str):
        api.text("/items", reply, "text/plain")
    else:
        api.json("/items", reply)

    error = failure(modules["jsonpath_routing"], is_async, api)
    assert (error.step_id, error.reason) == ("list", "success criterion not met: " + reason)
    assert api.paths == ["/items"]


# --- xpath -------------------------------------------------------------------------

_XML = '<?xml version="1.0" encoding="UTF-8"?><report><status>ok</status>{}</report>'


@BOTH
@pytest.mark.parametrize(
    ("extra", "paths"),
    [
        ("<error code='1'/>", ["/report", "/escalate"]),
        ("<summary final='true'/>", ["/report"]),
        ("<summary final='false'/>", ["/report", "/plain"]),
        ("", ["/report", "/plain"]),
    ],
    ids=["errors-goto", "final-end", "not-final-next", "bare-next"],
)
def test_xpath_criteria_choose_the_action(
    modules: dict[str, ModuleType], api: Api, is_async: bool, extra: str, paths: list[str]
) -> None:
    api.text("/report", _XML.format(extra), "application/xml")

    run(modules["xpath_routing"], is_async, api)
    assert api.paths == paths


@BOTH
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_XML.replace("ok", "failed").format(""), "application/xml"),
        (json.dumps({"report": {"status": "ok"}}), "application/json"),
        ("<report><status>ok</status>", "application/xml"),  # not well-formed
        ("", "application/xml"),
    ],
    ids=["other-status", "json-body", "malformed-xml", "empty-body"],
)
def test_xpath_on_anything_but_a_matching_xml_body_fails_the_step(
    modules: dict[str, ModuleType], api: Api, is_async: bool, body: str, content_type: str
) -> None:
    api.text("/report", body, content_type)

    error = failure(modules["xpath_routing"], is_async, api)
    assert (error.step_id, error.reason) == (
        "report",
        "success criterion not met: /report/status = 'ok'",
    )
    assert api.paths == ["/report"]


# --- simple conditions over HTTP ---------------------------------------------------

_ITEM = {"tier": "gold", "count": 5, "flags": [{"name": "a"}, {"name": "B"}]}
_TIER = "$response.body#/tier == 'GOLD' || $response.body#/tier == 'silver'"
_COUNT = "$response.body#/count >= $inputs.minimum"


@BOTH
@pytest.mark.parametrize(
    ("item", "headers", "paths"),
    [
        (_ITEM, {"X-Count": "10"}, ["/items/7", "/gold"]),  # '10' > 5; 'B' == 'b'
        (_ITEM, {"X-Count": "5"}, ["/items/7"]),  # not > 5; missing == null: end
        (_ITEM, {"X-Count": "ten"}, ["/items/7"]),  # not a number: not ordered
        ({**_ITEM, "archived": True}, {}, ["/items/7", "/plain"]),
        ({**_ITEM, "archived": "true"}, {}, ["/items/7"]),  # a string is not `true`
        ({**_ITEM, "tier": "SILVER", "count": "3"}, {}, ["/items/7"]),  # '3' >= 3
        ({**_ITEM, "missing": 0}, {}, ["/items/7", "/plain"]),  # 0 is not null
    ],
    ids=["goto", "end", "header-not-numeric", "archived", "string-true", "loose", "zero"],
)
def test_simple_conditions_choose_the_action(
    modules: dict[str, ModuleType],
    api: Api,
    is_async: bool,
    item: dict[str, Any],
    headers: dict[str, str],
    paths: list[str],
) -> None:
    api.json("/items/7", item, **headers)

    run(modules["simple_routing"], is_async, api, item_id="7", minimum=3)
    assert api.paths == paths


@BOTH
@pytest.mark.parametrize(
    ("status", "item", "reason"),
    [
        (201, _ITEM, "$statusCode == 200"),
        (200, {**_ITEM, "tier": "bronze"}, _TIER),
        (200, {"count": 5}, _TIER),
        (200, {**_ITEM, "count": 2}, _COUNT),
        (200, {**_ITEM, "count": "2"}, _COUNT),
        (200, {**_ITEM, "count": None}, _COUNT),
    ],
    ids=["status", "tier", "no-tier", "count", "count-text", "count-null"],
)
def test_simple_success_criteria_fail_the_step(
    modules: dict[str, ModuleType],
    api: Api,
    is_async: bool,
    status: int,
    item: dict[str, Any],
    reason: str,
) -> None:
    api.json("/items/7", item, status=status)

    error = failure(modules["simple_routing"], is_async, api, item_id="7", minimum=3)
    assert (error.step_id, error.reason) == ("fetch", "success criterion not met: " + reason)
    assert api.paths == ["/items/7"]


# --- the Python text of simple conditions ------------------------------------------

NAMES = pyexpr.Names(
    inputs={"x": "x", "minimum": "minimum"},
    steps={"s": "s"},
    outputs={("s", "o"): "o"},
    optional_inputs=frozenset(),
    next_step={},
)

_BODY_A = "_pointer(body, ('a',))"
COMPILED = [
    # the status code against a number: plain Python, both orders, every operator
    ("$statusCode == 200", "response.status_code == 200"),
    ("$statusCode != 200", "response.status_code != 200"),
    ("$statusCode < 300", "response.status_code < 300"),
    ("$statusCode <= 299", "response.status_code <= 299"),
    ("$statusCode > 199", "response.status_code > 199"),
    ("$statusCode >= 200", "response.status_code >= 200"),
    ("300 > $statusCode", "response.status_code < 300"),
    ("200 <= $statusCode", "response.status_code >= 200"),
    ("$statusCode == '201'", "response.status_code == 201"),  # a numeric string, loosely
    ("$statusCode == 2.5e2", "response.status_code == 250.0"),
    ("$statusCode == 'abc'", "_compare(response.status_code, '==', 'abc')"),
    ("$statusCode == null", "_compare(response.status_code, '==', None)"),
    # null and booleans against parsed JSON: identity
    ("$response.body#/a == null", f"{_BODY_A} is None"),
    ("null != $response.body#/a", f"{_BODY_A} is not None"),
    ("$response.body#/a == true", f"{_BODY_A} is True"),
    ("false != $response.body#/a", f"{_BODY_A} is not False"),
    ("$response.body == null", "body is None"),
    ("$response.header.X-Id == null", "response.headers.get('X-Id') is None"),
    ("$inputs.x#/a == null", "_pointer(state.x, ('a',)) is None"),
    # typed values go through _compare, so mypy --strict accepts the module
    ("$response.header.X-Id == true", "_compare(response.headers.get('X-Id'), '==', True)"),
    ("$inputs.x == null", "_compare(state.x, '==', None)"),
    (
        "$steps.s.outputs.o == false",
        "_compare(_ran(state.s, 's')['o'], '==', False)",
    ),
    # everything else: _compare, in the order written
    ("$response.body#/a == 'x'", f"_compare({_BODY_A}, '==', 'x')"),
    ("'X' != $response.body#/a", f"_compare('X', '!=', {_BODY_A})"),
    ("$response.body#/a < 1.5", f"_compare({_BODY_A}, '<', 1.5)"),
    ("$response.body#/a <= -2", f"_compare({_BODY_A}, '<=', -2)"),
    ("$response.body#/a > 'm'", f"_compare({_BODY_A}, '>', 'm')"),
    ("$response.body#/a >= $inputs.minimum", f"_compare({_BODY_A}, '>=', state.minimum)"),
    ("'it''s' == $response.body#/a", f"_compare(\"it's\", '==', {_BODY_A})"),
    ("$url == 'http://x'", "_compare(str(response.url), '==', 'http://x')"),
    ("$method == 'post'", "_compare(response.request.method, '==', 'post')"),
    ("1 == 1", "_compare(1, '==', 1)"),
    # negation: inverted where exact, `not` elsewhere, never `not not`
    ("!($statusCode == 200)", "response.status_code != 200"),
    ("!($statusCode < 300)", "response.status_code >= 300"),
    ("!(300 > $statusCode)", "response.status_code >= 300"),
    ("!($response.body#/a == null)", f"{_BODY_A} is not None"),
    ("!($response.body#/a == 'x')", f"not _compare({_BODY_A}, '==', 'x')"),
    ("!($response.body#/a < 1)", f"not _compare({_BODY_A}, '<', 1)"),
    ("!$response.body#/a", f"not {_BODY_A}"),
    ("!!$response.body#/a", f"bool({_BODY_A})"),
    ("!!!$response.body#/a", f"not {_BODY_A}"),
    # bare values and literals: truthiness
    ("$response.body#/a", f"bool({_BODY_A})"),
    ("true", "True"),
    ("!true", "False"),
    ("null", "False"),
    ("!'text'", "False"),
    # precedence: ! binds tightest, then comparisons, &&, ||; parentheses group
    (
        "$response.body#/a && $response.body#/b || $response.body#/c",
        "((bool(_pointer(body, ('a',))) and bool(_pointer(body, ('b',)))) "
        "or bool(_pointer(body, ('c',))))",
    ),
    (
        "$response.body#/a || $response.body#/b && $response.body#/c",
        "(bool(_pointer(body, ('a',))) or "
        "(bool(_pointer(body, ('b',))) and bool(_pointer(body, ('c',)))))",
    ),
    (
        "$response.body#/a && ($response.body#/b || $response.body#/c)",
        "(bool(_pointer(body, ('a',))) and "
        "(bool(_pointer(body, ('b',))) or bool(_pointer(body, ('c',)))))",
    ),
    (
        "!$response.body#/a && $response.body#/b",
        "(not _pointer(body, ('a',)) and bool(_pointer(body, ('b',))))",
    ),
    (
        "!($response.body#/a && $response.body#/b)",
        "not (bool(_pointer(body, ('a',))) and bool(_pointer(body, ('b',))))",
    ),
    (
        "$statusCode == 200 && !$response.body#/a",
        f"(response.status_code == 200 and not {_BODY_A})",
    ),
    (
        "($statusCode == 200) == ($response.body#/ok == true)",
        "_compare((response.status_code == 200), '==', (_pointer(body, ('ok',)) is True))",
    ),
    # indexes and properties fold into one pointer where the value has one
    (
        "$response.body#/items[0].name == 'x'",
        "_compare(_pointer(body, ('items', '0', 'name')), '==', 'x')",
    ),
    ("$response.body[0] == 1", "_compare(_pointer(body, ('0',)), '==', 1)"),
    ("($response.body#/a).b == 1", "_compare(_pointer(body, ('a', 'b')), '==', 1)"),
    ("$inputs.x[0].y == 1", "_compare(_pointer(state.x, ('0', 'y')), '==', 1)"),
    (
        "$steps.s.outputs.o[1] == 1",
        "_compare(_pointer(_ran(state.s, 's')['o'], ('1',)), '==', 1)",
    ),
    (
        "$response.header.X[0] == 1",
        "_compare(_pointer(response.headers.get('X'), ('0',)), '==', 1)",
    ),
    ("$response.body#/a[2] == null", "_pointer(body, ('a', '2')) is None"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "python"), COMPILED, ids=[text for text, _ in COMPILED])
def test_simple_condition_compiles_to(text: str, python: str) -> None:
    assert pyexpr.condition(parse_condition(text), NAMES) == python


def test_compare_is_only_included_where_used(modules: dict[str, ModuleType]) -> None:
    simple = Path(modules["simple_routing"].__file__ or "").read_text(encoding="utf-8")
    regex = Path(modules["regex_routing"].__file__ or "").read_text(encoding="utf-8")
    assert "def _compare(" in simple and "import re\n" in simple
    assert "def _compare(" not in regex  # only regexes and status codes there
    assert "jsonpath_rfc9535" not in regex and "elementpath" not in regex


# --- the runtime helpers -----------------------------------------------------------

LOOSE = [
    ("abc", "==", "ABC", True),
    ("Straße", "==", "STRASSE", True),  # case folding, not just lower()
    ("a", "<", "B", True),
    ("10", "<", "9", True),  # two strings compare as strings
    (10, "==", "10", True),  # a number and a numeric string compare as numbers
    ("10", ">", 9, True),
    ("1e3", "==", 1000, True),
    ("-0.5", "<", 0, True),
    ("0x10", "==", 16, False),  # not JSON number syntax
    (" 5", "==", 5, False),
    ("", "==", 0, False),
    ("x", "<", 1, False),
    ("x", "!=", 1, True),
    (1.5, ">=", 1, True),
    (2, "<=", 2.0, True),
    (1, "==", True, False),  # booleans equal only booleans
    (0, "==", False, False),
    (True, "==", True, True),
    (True, ">", False, False),  # and are not ordered
    (None, "==", None, True),
    (None, "!=", 0, True),
    (None, "<", 1, False),
    (None, ">=", None, False),
    ([1, 2], "==", [1, 2], True),
    ({"a": 1}, "!=", {"a": 2}, True),
    ([1], "<", [2], False),
    ({"a": "X"}, "==", {"a": "x"}, False),  # only top-level strings ignore case
    ([True], "==", [1], False),  # booleans equal only booleans inside arrays too
    ({"a": [0]}, "==", {"a": [False]}, False),
    ({"a": [None, 1.0]}, "==", {"a": [None, 1]}, True),
    ([1, 2], "==", [1, 2, 3], False),
]


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (("items", "1"), "b"),
        (("items", "01"), None),
        (("items", "0"), "a"),
        (("items", "-1"), None),
    ],
)
def test_a_json_pointer_array_index_has_no_leading_zero(
    modules: dict[str, ModuleType], tokens: tuple[str, ...], expected: Any
) -> None:
    """RFC 6901: `01` is no array index, so `#/items/01` reads no value."""
    assert modules["simple_routing"]._pointer({"items": ["a", "b"]}, tokens) == expected


@pytest.mark.parametrize(("left", "op", "right", "expected"), LOOSE)
def test_loose_comparison(
    modules: dict[str, ModuleType], left: Any, op: str, right: Any, expected: bool
) -> None:
    assert modules["simple_routing"]._compare(left, op, right) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("^200$", 200, True),
        ("^true$", True, True),
        ("^null$", None, False),  # a missing value never matches
        ('^\\{"a":\\[1,2\\]\\}$', {"a": [1, 2]}, True),  # compact JSON
        ("^é$", "é", True),
        ("b", "abc", True),  # searched, not matched from the start
    ],
)
def test_regex_search_of_values(
    modules: dict[str, ModuleType], pattern: str, value: Any, expected: bool
) -> None:
    import re

    assert modules["regex_routing"]._regex_search(re.compile(pattern), value) is expected


@pytest.mark.parametrize(
    ("value", "path", "expected"),
    [
        ({"a": [1, 2]}, ("a", -1), True),
        ({"a": [1, 2]}, ("a", 2), False),
        ({"a": [1, 2]}, ("a", -3), False),
        ({"a": None}, ("a",), True),  # a node whose value is null
        ({"0": 1}, (0,), False),  # an index selects only from arrays
        ([1], ("0",), False),  # a name only from objects
        ("text", (), True),  # the root
        ("text", ("a",), False),
        (None, (), False),  # a missing value (a header not sent) has no root
    ],
)
def test_singular_jsonpath_lookup(
    modules: dict[str, ModuleType], value: Any, path: tuple[str | int, ...], expected: bool
) -> None:
    assert modules["jsonpath_routing"]._has_node(value, path) is expected


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("$", ()),
        ("$.a.b_2[0]", ("a", "b_2", 0)),
        ("$['a b'][\"c\"][-1]", ("a b", "c", -1)),
        ("$.a[01]", None),  # invalid: the library reports it
        ("$.a[ 0]", None),  # valid, but left to the library
        ("$.a[*]", None),
        ("$..a", None),
        ("$.é", None),
        ("$['a\\'b']", None),
        (f"$[{2**53}]", None),
    ],
)
def test_singular_paths_are_read_without_the_library(
    query: str, path: tuple[str | int, ...] | None
) -> None:
    assert singular_path(query) == path


def test_xpath_and_jsonpath_helpers_never_raise(modules: dict[str, ModuleType]) -> None:
    xpath, jsonpath = modules["xpath_routing"], modules["jsonpath_routing"]
    selector = next(v for k, v in vars(xpath).items() if k.startswith("_XPATH_"))
    for value in (
        None,
        1,
        {"a": 1},
        "",
        "<a>",
        "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    ):
        assert xpath._xpath_holds(selector, value) is False
    query = next(v for k, v in vars(jsonpath).items() if k.startswith("_JSONPATH_"))
    for value in (None, 1, "text", [], {"items": "x"}):
        assert jsonpath._jsonpath_selects(query, value) is False
    import jsonpath_rfc9535

    root = jsonpath_rfc9535.compile("$")
    assert jsonpath._jsonpath_selects(root, "") is True
    assert jsonpath._jsonpath_selects(root, None) is False  # a missing value: no document


# --- generation-time checks --------------------------------------------------------

EXPECTED_DIAGNOSTICS = [
    "invalid.arazzo.yaml:16:20: error[AG414]: invalid regex 'ab(c': "
    "missing ), unterminated subpattern at position 2",
    'invalid.arazzo.yaml:19:25: error[AG414]: invalid regex "it\'s [a-": '
    "unterminated character set at position 5",
    "invalid.arazzo.yaml:22:23: error[AG414]: invalid regex '\\\\d+)': "
    "unbalanced parenthesis at position 3",
    "invalid.arazzo.yaml:24:7: error[AG412]: a regex criterion needs a 'context'",
    "invalid.arazzo.yaml:26:26: error[AG400]: invalid runtime expression '$response.bdy': "
    "'$response.' must be followed by header. or body",
    "invalid.arazzo.yaml:30:18: warning[AG417]: regex '/^[0-9a-f]+$/i' is a JavaScript regex "
    "literal; read as '(?i)^[0-9a-f]+$' (as text, its anchors between the slashes could never "
    "match)",
    "invalid.arazzo.yaml:36:33: error[AG413]: invalid JSONPath query '$.items[?@.a ==]': "
    "unexpected end of expression",
    "invalid.arazzo.yaml:39:22: error[AG411]: draft-goessner-dispatch-jsonpath-00 query "
    "'$[?length(@.items) > 0]' is outside the part of that draft arazzo-gen compiles "
    "(the part RFC 9535 shares): function length() is RFC 9535 only",
    "invalid.arazzo.yaml:43:39: error[AG411]: unknown jsonpath version 'rfc9535'",
    "invalid.arazzo.yaml:46:23: error[AG415]: invalid XPath 3.1 expression "
    "'/report/status[': unexpected end of source (err:XPST0003)",
    "invalid.arazzo.yaml:50:36: error[AG411]: unknown xpath version 'xpath-31'",
    "invalid.arazzo.yaml:52:37: error[AG415]: XPath expression 'count(//a) > 0 and $missing' "
    "reads variable $missing, which nothing binds",
    "invalid.arazzo.yaml:54:63: error[AG402]: invalid condition "
    "\"$statusCode == 200 && $response.body#/state = 'done'\": "
    "'=' is not an operator; did you mean '=='?",
    "invalid.arazzo.yaml:55:7: warning[AG410]: \"$.state == 'done'\" is not a JSONPath query "
    "(a comparison outside a filter); compiled as the simple condition "
    "'$response.body#/state == 'done''",
]


def test_invalid_criteria_are_reported_at_the_exact_character() -> None:
    result = compile_specs([INVALID], render=False)
    found = [d.render().split("\n")[0] for d in result.diagnostics.sorted()]
    assert found == EXPECTED_DIAGNOSTICS
    assert result.files == {}  # a workflow with errors produces no module


def test_positions_in_json_strings_count_escapes(tmp_path: Path) -> None:
    (tmp_path / "api.openapi.yaml").write_bytes((FIXTURES / "api.openapi.yaml").read_bytes())
    criteria = [
        {"context": "$response.body", "type": "regex", "condition": 'é"\\d(x'},
        {"context": "$response.body", "type": "jsonpath", "condition": '$[?@.a == "é" &&]'},
    ]
    document = {
        "arazzo": "1.0.1",
        "info": {"title": "JSON", "version": "1"},
        "sourceDescriptions": [{"name": "api", "url": "./api.openapi.yaml", "type": "openapi"}],
        "workflows": [
            {
                "workflowId": "w",
                "steps": [{"stepId": "s", "operationId": "getPlain", "successCriteria": criteria}],
            }
        ],
    }
    text = json.dumps(document, indent=1)  # é is written \u00e9; the quote and backslash escaped
    (tmp_path / "doc.arazzo.json").write_text(text, encoding="utf-8")
    lines = text.split("\n")
    regex_line = next(i for i, line in enumerate(lines, 1) if "(x" in line)
    query_line = next(i for i, line in enumerate(lines, 1) if "&&]" in line)

    result = compile_specs([tmp_path / "doc.arazzo.json"], render=False)
    found = [(d.code, d.span.line, d.span.col) for d in result.diagnostics.sorted()]
    assert found == [
        ("AG414", regex_line, lines[regex_line - 1].index("(x") + 1),
        ("AG413", query_line, lines[query_line - 1].index("&&]") + 3),
    ]


@pytest.mark.parametrize(
    ("library", "code"), [("jsonpath_rfc9535", "AG416"), ("elementpath", "AG416")]
)
def test_a_missing_library_is_an_error_naming_the_extra(
    library: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # `import` now raises ImportError
    result = compile_specs([CRITERIA], render=False)
    errors = [d for d in result.diagnostics if d.level is Level.ERROR]
    extra = "jsonpath" if library == "jsonpath_rfc9535" else "xpath"
    assert errors and {d.code for d in errors} == {code}
    assert all(f"arazzo-gen[{extra}]" in d.hint for d in errors)


def test_seed_leniency_is_unchanged() -> None:
    """`$.Contact.Id != null` still compiles to the comparison it means, with AG410."""
    result = compile_specs([REPO / "tests" / "fixtures" / "behaviour" / "branching.arazzo.yaml"])
    lenient = [d for d in result.diagnostics if d.code == "AG410"]
    assert lenient and all(d.level is Level.WARNING for d in lenient)
    text = "\n".join(result.files.values())
    assert 'if _pointer(body, ("Contact", "Id")) is not None:' in text


def test_query_criteria_in_the_ir_and_graph() -> None:
    result = compile_specs([CRITERIA], render=False)
    workflow = next(w for w in result.workflows if w.workflow_id == "jsonpath-routing")
    criteria = workflow.steps[0].success_criteria
    assert all(isinstance(c, ir.QueryCriterion) for c in criteria)
    assert [c.describe() for c in criteria] == [
        "jsonpath '$.items[0].id' on $response.body",
        "jsonpath \"$.items[?@.status == 'ready']\" on $response.body",
    ]
    assert [getattr(c, "path", None) for c in criteria] == [("items", 0, "id"), None]


# --- the generated modules type-check and lint -------------------------------------


def test_modules_with_regex_jsonpath_and_xpath_pass_mypy_strict_and_ruff(
    tmp_path: Path,
) -> None:
    result = compile_specs([CRITERIA])
    assert result.diagnostics.error_count == 0
    out = tmp_path / "out"
    write_tree(out, result.files)
    text = "\n".join(result.files.values())
    for needed in ("import jsonpath_rfc9535", "import elementpath", "re.compile("):
        assert needed in text
    assert_mypy_strict(out)
    ruff = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            str(REPO / "pyproject.toml"),
            "out",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
