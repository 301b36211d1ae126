"""Behaviour: parameter serialization and request bodies, as a server receives them.

The documents under `tests/fixtures/requests/` are compiled once per module and
their workflows run, sync and async, against a recording HTTP server on
127.0.0.1. Every assertion is on the raw request line, headers or body bytes the
server saw; expected values follow OpenAPI 3.1's "Style Examples" table (a
parameter named `color` there is named after its style here, e.g. `m` or `fn`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from generator.diagnostics import Level
from generator.pipeline import compile_specs
from generator.write import write_tree

FIXTURES = Path(__file__).parent / "fixtures" / "requests"

BLUE = "blue"
COLORS = ["blue", "black", "brown"]
RGB = {"R": 100, "G": 200, "B": 150}
RESERVED = "a/b?c#d e%f,é&=+[x]!$'()*;:@%41"
ENCODED = "a%2Fb%3Fc%23d%20e%25f%2C%C3%A9%26%3D%2B%5Bx%5D%21%24%27%28%29%2A%3B%3A%40%2541"


# --- a recording server -------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    method: str
    target: str  # the raw request target: path and query, as sent
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str | None:
        return self.target.split("?", 1)[1] if "?" in self.target else None

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(found) <= 1, f"{name} sent {len(found)} times: {found}"
        return found[0] if found else None


class Recorder:
    """Answers 200 `{}` to everything and keeps what it received (bounded)."""

    MAX_REQUESTS = 1000
    MAX_BODY = 1 << 20

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                del format, args

            def _record(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), owner.MAX_BODY)
                body = self.rfile.read(length)
                with owner._lock:
                    if len(owner.received) < owner.MAX_REQUESTS:
                        owner.received.append(
                            Received(self.command, self.path, list(self.headers.items()), body)
                        )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _record

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def last(self) -> Received:
        assert self.received, "the server received no request"
        return self.received[-1]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.stop()


@pytest.fixture
def server(recorder: Recorder) -> Recorder:
    recorder.received.clear()
    return recorder


# --- compiling the fixtures once ------------------------------------------------------


def compile_document(document: Path, out: Path) -> dict[str, ModuleType]:
    result = compile_specs([document])
    errors = [d.render() for d in result.diagnostics if d.level is Level.ERROR]
    assert not errors, errors
    write_tree(out, result.files)
    modules = {}
    for workflow in result.workflows:
        path = out / workflow.package / f"{workflow.module}.py"
        name = f"_arazzo_requests_{workflow.package}_{workflow.module}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        modules[workflow.module] = module
    return modules


@pytest.fixture(scope="module")
def params(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return compile_document(FIXTURES / "params.arazzo.yaml", tmp_path_factory.mktemp("params"))


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    return compile_document(FIXTURES / "bodies.arazzo.yaml", tmp_path_factory.mktemp("bodies"))


def run(module: ModuleType, is_async: bool, **arguments: Any) -> Any:
    """Run the module's workflow function (or its async twin)."""
    name = next(n for n in module.__all__ if n.islower() and not n.endswith("_async"))
    if is_async:
        return asyncio.run(getattr(module, name + "_async")(**arguments))
    return getattr(module, name)(**arguments)


MODES = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


# --- path parameters ------------------------------------------------------------------

# /p/{s}/{sx}/{l}/{lx}/{m}/{mx}: simple, label and matrix, without and with explode
PATH_CASES = {
    "primitive": (BLUE, "/p/blue/blue/.blue/.blue/;m=blue/;mx=blue"),
    "array": (
        COLORS,
        "/p/blue,black,brown/blue,black,brown/.blue,black,brown/.blue.black.brown"
        "/;m=blue,black,brown/;mx=blue;mx=black;mx=brown",
    ),
    "object": (
        RGB,
        "/p/R,100,G,200,B,150/R=100,G=200,B=150/.R,100,G,200,B,150/.R=100.G=200.B=150"
        "/;m=R,100,G,200,B,150/;R=100;G=200;B=150",
    ),
    "empty string": ("", "/p///%2E/%2E/;m/;mx"),  # '.' alone would be a dot-segment
    "dot segment": ("..", "/p/%2E%2E/%2E%2E/.../.../;m=../;mx=.."),
    "number": (5, "/p/5/5/.5/.5/;m=5/;mx=5"),
    "boolean": (True, "/p/true/true/.true/.true/;m=true/;mx=true"),
    "reserved characters": (
        RESERVED,
        f"/p/{ENCODED}/{ENCODED}/.{ENCODED}/.{ENCODED}/;m={ENCODED}/;mx={ENCODED}",
    ),
    "array with reserved characters": (
        ["a,b", "c/d"],
        "/p/a%2Cb,c%2Fd/a%2Cb,c%2Fd/.a%2Cb,c%2Fd/.a%2Cb.c%2Fd/;m=a%2Cb,c%2Fd/;mx=a%2Cb;mx=c%2Fd",
    ),
}


@MODES
@pytest.mark.parametrize("case", list(PATH_CASES))
def test_path_styles_follow_the_openapi_table(
    params: dict[str, ModuleType], server: Recorder, is_async: bool, case: str
) -> None:
    value, expected = PATH_CASES[case]
    run(params["path_styles"], is_async, value=value, base_url=server.base_url)
    assert (server.last().method, server.last().target) == ("GET", expected)


@MODES
def test_a_missing_path_value_fails_before_sending(
    params: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = params["path_styles"]
    with pytest.raises(module.WorkflowError, match="path parameter 's' has no value") as caught:
        run(module, is_async, value=None, base_url=server.base_url)
    assert caught.value.step_id == "get"
    assert server.received == []


@MODES
def test_a_nested_value_cannot_be_serialized(
    params: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = params["path_styles"]
    with pytest.raises(module.WorkflowError, match="parameter 's' holds a list"):
        run(module, is_async, value=[[1]], base_url=server.base_url)
    assert server.received == []


# --- query, header and cookie parameters -----------------------------------------------

QUERY_CASES = {
    "form primitive": ({"f": BLUE}, "f=blue"),
    "form array": ({"f": COLORS}, "f=blue&f=black&f=brown"),
    "form object": ({"f": RGB}, "R=100&G=200&B=150"),
    "form no explode primitive": ({"fn": BLUE}, "fn=blue"),
    "form no explode array": ({"fn": COLORS}, "fn=blue,black,brown"),
    "form no explode object": ({"fn": RGB}, "fn=R,100,G,200,B,150"),
    # RFC 6570's undefined values leave the parameter out (OpenAPI 3.1.1 Appendix C.4.3)
    "form empty array": ({"fn": [], "f": []}, ""),
    "form empty object": ({"fn": {}, "f": {}}, ""),
    "form only null items and members": ({"fn": [None], "f": {"b": None}}, ""),
    "delimited empty": ({"sd": [], "pd": {}}, ""),
    "empty string is a value": ({"fn": "", "f": [""]}, "f=&fn="),
    "spaceDelimited array": ({"sd": COLORS}, "sd=blue%20black%20brown"),
    "spaceDelimited object": ({"sd": RGB}, "sd=R%20100%20G%20200%20B%20150"),
    "pipeDelimited array": ({"pd": COLORS}, "pd=blue%7Cblack%7Cbrown"),
    "pipeDelimited object": ({"pd": RGB}, "pd=R%7C100%7CG%7C200%7CB%7C150"),
    "deepObject": ({"do": RGB}, "do%5BR%5D=100&do%5BG%5D=200&do%5BB%5D=150"),
    "reserved characters encoded": ({"f": RESERVED}, f"f={ENCODED}"),
    "allowReserved": ({"ar": RESERVED}, "ar=a/b?c%23d%20e%25f,%C3%A9%26%3D%2B%5Bx%5D!$'()*;:@%41"),
    "allowReserved pipeDelimited": ({"arp": ["a/b", "c,d"]}, "arp=a/b%7Cc,d"),
    "JSON content": ({"js": {"a": [1, "x y"]}}, "js=%7B%22a%22%3A%5B1%2C%22x%20y%22%5D%7D"),
    "None items and members left out": (
        {"f": [1, None, 2], "fn": {"a": None, "b": False}},
        "f=1&f=2&fn=b,false",
    ),
    "in document order": ({"pd": [1, 2], "f": "x"}, "f=x&pd=1%7C2"),
}


@MODES
@pytest.mark.parametrize("case", list(QUERY_CASES))
def test_query_styles_follow_the_openapi_table(
    params: dict[str, ModuleType], server: Recorder, is_async: bool, case: str
) -> None:
    inputs, expected = QUERY_CASES[case]
    run(params["query_styles"], is_async, base_url=server.base_url, **inputs)
    target = "/q?" + expected if expected else "/q"
    assert (server.last().method, server.last().target) == ("GET", target)


@MODES
def test_omitted_optional_inputs_leave_their_parameters_out(
    params: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    run(params["query_styles"], is_async, base_url=server.base_url)
    received = server.last()
    assert received.target == "/q"
    assert received.header("X-S") is None and received.header("X-E") is None
    assert received.header("Cookie") is None


@MODES
def test_text_content_parameters_are_the_value_as_text(
    params: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = params["text_content"]
    run(module, is_async, t="a b/c", note=True, base_url=server.base_url)
    received = server.last()
    assert received.target == "/text-param/a%20b%2Fc"  # then encoded as a path segment
    assert received.header("X-Note") == "true"
    run(module, is_async, t=2.5, base_url=server.base_url)
    assert server.last().target == "/text-param/2.5"
    assert server.last().header("X-Note") is None  # left out
    server.received.clear()
    with pytest.raises(module.WorkflowError, match="parameter 't' holds a dict"):
        run(module, is_async, t={"a": 1}, base_url=server.base_url)
    assert server.received == []


def test_deep_object_needs_an_object(params: dict[str, ModuleType], server: Recorder) -> None:
    module = params["query_styles"]
    with pytest.raises(module.WorkflowError, match="deepObject parameter 'do' needs an object"):
        run(module, False, do=COLORS, base_url=server.base_url)
    assert server.received == []


HEADER_CASES = {
    "primitive": ({"xs": BLUE}, "X-S", "blue"),
    "array": ({"xs": COLORS}, "X-S", "blue,black,brown"),
    "object": ({"xs": RGB}, "X-S", "R,100,G,200,B,150"),
    "exploded object": ({"xe": RGB}, "X-E", "R=100,G=200,B=150"),
    "not percent-encoded": ({"xs": "a b/c%d"}, "X-S", "a b/c%d"),
    "spaces around are not part of it": ({"xs": " \ta b\t "}, "X-S", "a b"),
    "empty array left out": ({"xs": [], "xe": {"R": None}}, "X-S", None),
}


@MODES
@pytest.mark.parametrize("case", list(HEADER_CASES))
def test_header_parameters_use_style_simple(
    params: dict[str, ModuleType], server: Recorder, is_async: bool, case: str
) -> None:
    inputs, name, expected = HEADER_CASES[case]
    run(params["query_styles"], is_async, base_url=server.base_url, **inputs)
    assert server.last().header(name) == expected


def test_a_header_value_must_be_visible_ascii(
    params: dict[str, ModuleType], server: Recorder
) -> None:
    module = params["query_styles"]
    with pytest.raises(module.WorkflowError, match="header 'X-S' can only hold visible ASCII"):
        run(module, False, xs="caf\u00e9", base_url=server.base_url)
    with pytest.raises(module.WorkflowError):
        run(module, False, xs="a\r\nInjected: 1", base_url=server.base_url)
    assert server.received == []


@MODES
def test_a_step_header_replaces_the_callers_whatever_the_case(
    params: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    run(
        params["query_styles"],
        is_async,
        xs="mine",
        headers={"x-s": "caller", "Authorization": "Bearer t"},
        base_url=server.base_url,
    )
    received = server.last()
    assert received.header("X-S") == "mine"  # sent once
    assert received.header("Authorization") == "Bearer t"


COOKIE_CASES = {
    "primitive": ({"c": BLUE}, "c=blue"),
    "array": ({"c": COLORS}, "c=blue; c=black; c=brown"),
    "object": ({"c": RGB}, "R=100; G=200; B=150"),
    "no explode array": ({"cn": COLORS}, "cn=blue,black,brown"),
    "no explode object": ({"cn": RGB}, "cn=R,100,G,200,B,150"),
    "percent-encoded": ({"c": "a b;c=é"}, "c=a%20b%3Bc%3D%C3%A9"),
    "two parameters": ({"c": 1, "cn": [2, 3]}, "c=1; cn=2,3"),
    "empty array and object left out": ({"c": [], "cn": {}}, None),
}


@MODES
@pytest.mark.parametrize("case", list(COOKIE_CASES))
def test_cookie_parameters_go_into_one_cookie_header(
    params: dict[str, ModuleType], server: Recorder, is_async: bool, case: str
) -> None:
    inputs, expected = COOKIE_CASES[case]
    run(params["query_styles"], is_async, base_url=server.base_url, **inputs)
    assert server.last().header("Cookie") == expected


@MODES
def test_cookie_parameters_merge_with_the_callers_cookie_header(
    params: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    run(
        params["query_styles"],
        is_async,
        c="new",
        headers={"cookie": "session=abc; c=old"},
        base_url=server.base_url,
    )
    assert server.last().header("Cookie") == "session=abc; c=new"


def test_cookie_parameters_merge_with_the_clients_cookie_jar(
    params: dict[str, ModuleType], server: Recorder
) -> None:
    with httpx.Client(cookies={"jar": "1"}) as client:
        run(params["query_styles"], False, c="x", client=client, base_url=server.base_url)
        run(params["query_styles"], False, client=client, base_url=server.base_url)
    with_param, without = server.received
    assert with_param.header("Cookie") == "jar=1; c=x"
    assert without.header("Cookie") == "jar=1"


@MODES
def test_literal_and_template_parameter_values(
    params: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = params["literal_params"]
    run(module, is_async, sid="1", token="t0k", base_url=server.base_url)
    received = server.last()
    assert received.target == (
        "/items/.5;id=3,4"
        "?filter%5Bcolor%5D=red&filter%5Bsize%5D=2&filter%5Bon%5D=true&tags=a%7Cb%20c"
    )
    assert received.header("X-Token") == "Bearer t0k"
    assert received.header("Cookie") == "session=s-1"

    run(module, is_async, sid="2", base_url=server.base_url)  # token left out
    assert server.last().header("X-Token") is None
    assert server.last().header("Cookie") == "session=s-2"


# --- bodies -----------------------------------------------------------------------------


@MODES
def test_json_text_template(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = bodies["json_template"]
    run(module, is_async, pet_id="7", quantity=3, base_url=server.base_url)
    received = server.last()
    assert (received.method, received.target) == ("POST", "/body")
    assert received.header("Content-Type") == "application/json"
    assert received.body == (
        b'{"petOrder": {"petId": "7", "label": "pet-7 \\"quoted\\" caf\\u00e9", '
        b'"quantity": 3, "status": "placed", "complete": false, "ratio": 1.5, '
        b'"tags": [3, "x", null]}}'
    )

    run(module, is_async, pet_id="8", quantity=1, coupon="SAVE", base_url=server.base_url)
    order = json.loads(server.last().body)["petOrder"]
    assert order["couponCode"] == "SAVE" and order["petId"] == "8" and order["quantity"] == 1


@MODES
def test_replacements_are_folded_into_the_payload(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = bodies["json_replacements"]
    run(module, is_async, v=9, base_url=server.base_url)
    assert json.loads(server.last().body) == {
        "a": {"x/y": 9, "t~n": "lit"},  # ~1 and ~0 escapes
        "items": [10, 2, 9],  # an index, then '-' appends
        "keep": "k",  # the optional input was left out: the payload keeps its value
        "new": {"deep": True},  # a missing member is added
        "tag": "tag-9",
    }
    run(module, is_async, v=1, maybe="m", base_url=server.base_url)
    sent = json.loads(server.last().body)
    assert (sent["keep"], sent["tag"], sent["label"]) == ("m", "tag-1", "m")
    # the three from the first one fed by an optional input on run when the request is built
    assert inspect.getsource(module._send_request).count("_replace(") == 3


@MODES
def test_replacements_at_run_time_leave_the_callers_value_alone(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = bodies["runtime_replacements"]
    doc = {"id": 0, "list": ["a"], "other": {"x": 1}}
    run(module, is_async, doc=doc, v=5, base_url=server.base_url)
    assert json.loads(server.last().body) == {
        "id": 5,
        "list": ["first", "z"],
        "other": {"x": 1},
    }
    assert doc == {"id": 0, "list": ["a"], "other": {"x": 1}}

    with pytest.raises(module.WorkflowError, match="no location '/list/-'"):
        run(module, False, doc={"id": 1}, v=5, base_url=server.base_url)


@MODES
def test_content_type_defaults_to_the_operations_json_variant(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    run(bodies["vendor_default"], is_async, base_url=server.base_url)
    received = server.last()
    assert received.header("Content-Type") == "application/vnd.api+json"
    assert received.body == b'{"a": 1}'


@MODES
def test_form_urlencoded_object(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    run(bodies["form_object"], is_async, name="a b&c=", n=3, base_url=server.base_url)
    received = server.last()
    assert received.header("Content-Type") == "application/x-www-form-urlencoded"
    assert received.body == (
        b"name=a+b%26c%3D&tags=x&tags=y+z&n=3&flag=true&obj=%7B%22k%22%3A%22v%22%7D"
    )


@MODES
def test_form_urlencoded_template(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    run(bodies["form_template"], is_async, name="a b&c=/é", n=2, base_url=server.base_url)
    assert server.last().body == b"grant_type=code&client_id=a+b%26c%3D%2F%C3%A9&n=2"


@MODES
def test_multipart_form_data(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    data = b"\x00\x01binary\xff"
    run(bodies["multipart"], is_async, name="Zoë", n=4, file=data, base_url=server.base_url)
    received = server.last()
    content_type = received.header("Content-Type") or ""
    prefix = "multipart/form-data; boundary="
    assert content_type.startswith(prefix)
    boundary = content_type[len(prefix) :].encode()
    assert len(boundary) == 32
    assert received.body == b"".join(
        [
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="name"\r\n\r\n',
            "Zoë".encode() + b"\r\n",
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="meta"\r\n',
            b'Content-Type: application/json\r\n\r\n{"k": 1}\r\n',
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="n"\r\n\r\n4\r\n',
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="file"',
            b"\r\nContent-Type: application/octet-stream\r\n\r\n" + data + b"\r\n",
            b"--" + boundary + b"--\r\n",
        ]
    )


@MODES
def test_text_template_in_the_declared_charset(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    run(bodies["text_template"], is_async, name="Zoë", n=2, base_url=server.base_url)
    received = server.last()
    assert received.header("Content-Type") == "text/plain; charset=iso-8859-1"
    assert received.body == b"Hello Zo\xeb, 2 times"


@MODES
def test_xml_template_escapes_values(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    run(bodies["xml_template"], is_async, name='<Tom & "J">', n=1, base_url=server.base_url)
    received = server.last()
    assert received.header("Content-Type") == "application/xml"
    assert received.body == (
        b'<pet id="1">\n  <name>&lt;Tom &amp; &quot;J&quot;&gt;</name>\n</pet>\n'
    )


XML_ORDER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- an order -->\n'
    '<p:order xmlns:p="urn:orders" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    "id=\"{id}\" note='{note}'>\n"
    '  <p:item sku="{sku}"><p:qty>{qty}</p:qty><p:name>{name}</p:name></p:item>\n'
    '  <p:item sku="b"><p:qty >{qty}</p:qty ></p:item>\n'
    '  <p:owner xsi:type="p:Person">{owner}</p:owner>\n'
    "</p:order>\n"
)


@MODES
def test_xpath_replacements_set_element_text_and_attributes(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = bodies["xml_replacements"]
    name = "</p:name><evil a=\"1\"/> & 'quoted' é"
    run(module, is_async, sku="a&b", id=7, qty=3, name=name, base_url=server.base_url)
    received = server.last()
    assert received.header("Content-Type") == "application/xml"
    # everything but the targets is sent as written (declaration, comment, prefixes,
    # the QName in xsi:type, quotes); values are XML text, never markup
    expected = XML_ORDER.format(
        id="7",
        note="keep",  # the optional input was left out: the payload keeps its value
        sku="a&amp;b",
        qty="3",
        name="&lt;/p:name&gt;&lt;evil a=&quot;1&quot;/&gt; &amp; &apos;quoted&apos; é",
        owner="<first>x</first>",
    )
    assert received.body.decode() == expected

    run(module, is_async, sku="s", id=1, qty=2, name="n", owner="Ann", note="a\tb\nc",
        base_url=server.base_url)  # fmt: skip
    expected = XML_ORDER.format(
        id="1", note="a&#9;b&#10;c", sku="s", qty="2", name="n", owner="by Ann"
    )
    assert server.last().body.decode() == expected


@MODES
def test_xpath_replacements_on_a_document_given_at_run_time(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    module = bodies["xml_document_replacements"]
    doc = '<d:doc xmlns:d="urn:d"><d:value>old</d:value><d:value/></d:doc>'
    run(module, is_async, doc=doc, v="<new>", base_url=server.base_url)
    assert server.last().body == (
        b'<d:doc xmlns:d="urn:d"><d:value>&lt;new&gt;</d:value>'
        b"<d:value>&lt;new&gt;</d:value></d:doc>"
    )
    server.received.clear()
    with pytest.raises(module.WorkflowError, match=r"'/Q\{urn:d\}doc/\*:value' selects nothing"):
        run(module, is_async, doc='<doc xmlns="urn:other"/>', v="x", base_url=server.base_url)
    not_xml = "cannot be applied: the payload is not well-formed XML"
    with pytest.raises(module.WorkflowError, match=not_xml):
        run(module, is_async, doc="<d:doc", v="x", base_url=server.base_url)
    with pytest.raises(module.WorkflowError, match=r"\$inputs.v holds '\\x00'"):
        run(module, is_async, doc=doc, v="a\x00", base_url=server.base_url)
    assert server.received == []


def test_a_missing_template_value_fails_before_sending(
    bodies: dict[str, ModuleType], server: Recorder
) -> None:
    module = bodies["xml_template"]
    with pytest.raises(module.WorkflowError, match=r"needs \$inputs.name, which has no value"):
        run(module, False, name=None, n=1, base_url=server.base_url)
    assert server.received == []


@MODES
def test_octet_stream_sends_the_bytes(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    data = bytes(range(256))
    run(bodies["octet"], is_async, file=data, base_url=server.base_url)
    received = server.last()
    assert received.header("Content-Type") == "application/octet-stream"
    assert received.body == data


@MODES
def test_any_other_media_type_is_sent_as_the_bytes_given(
    bodies: dict[str, ModuleType], server: Recorder, is_async: bool
) -> None:
    data = b"%PDF-1.7\n\x00\xff binary"
    run(bodies["pdf"], is_async, file=data, base_url=server.base_url)
    received = server.last()
    assert received.header("Content-Type") == "application/pdf"  # the operation's only type
    assert received.body == data


def test_binary_inputs_are_typed_as_bytes(bodies: dict[str, ModuleType]) -> None:
    signature = inspect.signature(bodies["octet"].octet)
    assert signature.parameters["file"].annotation == "bytes"


# --- the generated code -------------------------------------------------------------------


def test_compiled_fixtures_pass_mypy_strict_and_ruff(
    params: dict[str, ModuleType], bodies: dict[str, ModuleType]
) -> None:
    """Every request helper is used by some fixture module, so all of them are checked."""
    modules = [*params.values(), *bodies.values()]
    folders = sorted({str(Path(m.__file__ or "").parent) for m in modules})
    for tool in (["mypy", "--strict", "--no-incremental"], ["ruff", "check", "--no-cache"]):
        command = [sys.executable, "-m", *tool, *folders]
        checked = subprocess.run(command, capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr


# --- what does not compile -----------------------------------------------------------------

# pointer under /workflows/N/steps/0 -> (code, message)
GENERATION_ERRORS = {
    "0/steps/0/parameters/0": (
        "AG500",
        "parameter 'x' written as 'application/xml' (OpenAPI 'content') is not supported yet",
    ),
    "0/steps/0/parameters/2": (
        "AG316",
        "parameter 't' is written as 'text/plain' (OpenAPI 'content'), which cannot hold an "
        "object or array",
    ),
    "0/steps/0/parameters/1": (
        "AG500",
        "spaceDelimited parameter 'se' with explode: true (undefined by OpenAPI) "
        "is not supported yet",
    ),
    "1/steps/0/parameters/0": (
        "AG316",
        "parameter 'do' (query, style deepObject) cannot be serialized: "
        "a deepObject parameter needs an object",
    ),
    "1/steps/0/parameters/1": (
        "AG316",
        "parameter 'f' (query, style form) cannot be serialized: "
        "the items of an array parameter must be strings, numbers or booleans",
    ),
    "1/steps/0/parameters/2": ("AG316", "'X-Bad Name' is not a valid header name"),
    "1/steps/0/parameters/3": ("AG316", "'a=b' is not a valid cookie name"),
    "2/steps/0/requestBody/payload": (
        "AG314",
        "the JSON payload text is not valid JSON at line 1, column 7 of the text: "
        "expected a JSON value, found '}'",
    ),
    "3/steps/0/requestBody/payload": (
        "AG500",
        "an embedded expression in a member name of a JSON payload written as text "
        "is not supported yet",
    ),
    "4/steps/0/requestBody/replacements/0/target": (
        "AG315",
        "replacement target '/a/b[' is not a valid XPath 3.1 expression: "
        "unexpected end of source (err:XPST0003)",
    ),
    "4/steps/0/requestBody/replacements/1/target": (
        "AG315",
        "replacement target '/a/q:c' is not a valid XPath 3.1 expression: "
        "prefix 'q' is not declared (err:XPST0081)",
    ),
    "4/steps/0/requestBody/replacements/2/target": (
        "AG315",
        "replacement target '/a/missing' selects nothing in the payload",
    ),
    "4/steps/0/requestBody/replacements/3/target": (
        "AG315",
        "replacement target '/a/b/text()' selects a text node, not an element or attribute",
    ),
    "4/steps/0/requestBody/replacements/4/target": (
        "AG315",
        "replacement target '/a/b[. = $v]' reads variable $v, which nothing binds",
    ),
    "4/steps/0/requestBody/replacements/5/target": (
        "AG315",
        "replacement target 'count(/a/b)' selects a value '1' (int), not an element or "
        "attribute",
    ),
    "5/steps/0/requestBody/replacements/0/target": (
        "AG315",
        "replacement target '/items/5' is not in the payload: "
        "index 5 is past the end of an array of 1 items",
    ),
    "5/steps/0/requestBody/replacements/1/target": (
        "AG315",
        "replacement target 'items' is not a JSON Pointer: "
        "a JSON Pointer is empty or starts with '/'",
    ),
    "5/steps/0/requestBody/replacements/2/target": (
        "AG315",
        "replacement target '/name/first' is not in the payload: "
        "the payload has a string where 'first' should be",
    ),
    "6/steps/0/requestBody/replacements/0": (
        "AG607",
        "'$inputs.undeclared' names undeclared input 'undeclared'",
    ),
    "7/steps/0/requestBody/payload": (
        "AG500",
        "a 'application/pdf' payload that is not a string is not supported yet",
    ),
    "8/steps/0/requestBody/payload": (
        "AG500",
        "a 'text/plain' payload that is not a string (a template with {$...} values) "
        "is not supported yet",
    ),
    "9/steps/0/requestBody/payload": (
        "AG500",
        "a 'multipart/form-data' payload that is not an object (one part per member) "
        "is not supported yet",
    ),
    "10/steps/0/requestBody": (
        "AG500",
        "the charset of 'text/plain; charset=no-such-charset' is not supported yet",
    ),
    "11/steps/0/requestBody/replacements": (
        "AG315",
        "replacements need a JSON or XML payload; this one is text (text/plain), "
        "which no target can point into",
    ),
    "12/steps/0/requestBody/payload/{$inputs.k}": (
        "AG500",
        "an embedded expression in the member name '{$inputs.k}' is not supported yet",
    ),
}


def test_unsupported_and_invalid_requests_are_reported_at_generation_time() -> None:
    result = compile_specs([FIXTURES / "errors.arazzo.yaml"])
    found = {
        d.span.pointer: (d.code, d.message) for d in result.diagnostics if d.level is Level.ERROR
    }
    assert found == {f"/workflows/{k}": v for k, v in GENERATION_ERRORS.items()}
    assert result.workflows == []  # no module for any of them
