"""Hostile documents: spec text reaches a generated module only as data.

Every case starts from the valid pair in `tests/fixtures/hostile/` (an Arazzo
document and its OpenAPI document), puts a payload into one field that can reach
generated source, and runs the real command line on it. Whatever the payload:

* generation succeeds, or fails with diagnostics (exit code 1, nothing written),
  never with an internal error or a traceback;
* every emitted file parses, its top-level statements are only the kinds the
  template writes, no more of each than the valid base has, and it calls nothing
  the base module does not (and never `eval`, `exec`, `compile`, `__import__`,
  `open`, `os.system`...);
* importing the module and running its workflow against a local server never
  creates the SENTINEL file the payloads try to create.

A second group compiles documents whose names are chosen to collide with each
other, with Python keywords and with the module's own names, and checks the
generated signatures and namespaces.
"""

from __future__ import annotations

import ast
import asyncio
import copy
import dataclasses
import functools
import importlib.util
import inspect
import json
import keyword
import re
import sys
import threading
import typing
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import main

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
#: Parameters every workflow function has besides its inputs (at least these; the
#: tests take the full list from the module generated from the base document).
RUNTIME_PARAMETERS = ("client", "base_url", "headers", "params", "timeout", "max_steps")
SOFT_KEYWORDS = frozenset({*keyword.softkwlist, "_", "case", "match", "type"})
#: Functions a generated module must never call, whatever it is fed: by bare name...
BANNED_NAMES = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "__import__",
        "open",
        "breakpoint",
        "input",
        "getattr",
        "setattr",
        "globals",
        "locals",
        "vars",
    }
)
#: ...and as attributes of anything (`os.system`, `subprocess.Popen`, `builtins.eval`).
BANNED_ATTRIBUTES = frozenset({"system", "popen", "Popen", "spawnv", "execv", "eval", "exec"})
#: Statement kinds `templates/module.py.jinja` writes at the top level (no `if`).
TOP_LEVEL_KINDS = (
    ast.Import,
    ast.ImportFrom,
    ast.Assign,
    ast.AnnAssign,
    ast.ClassDef,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
)

# The payloads. `{S}` is replaced by the path of the SENTINEL file in tmp_path.
PAYLOADS = {
    # Ends a """ string and runs code, ends a '...' string and calls open(); ''' too;
    # braces, % and $ for format-string mishaps; a trailing backslash that would
    # escape a closing quote.
    "quotes": (
        '"""; __import__(\'os\').system(\'touch {S}\'); """ '
        "'); open('{S}','w'); (' ''' {{x}} {0} %s %(x)s ${x} # \\"
    ),
    # Line breaks of every kind before code, NUL, invisible and bidi characters, a
    # PEP 263 coding comment, braces, and a trailing double quote.
    "line-breaks": (
        "a\nimport os; os.system('touch {S}')\r\n#\rb\x00c\u2028d\u2029e\x85f"
        '\u202eg\u2066h\u2069\ufeffi\x0b\x0c\x1b # -*- coding: utf-7 -*- }}{{\\"'
    ),
}


def payload(name: str, sentinel: Path) -> str:
    return PAYLOADS[name].replace("{S}", str(sentinel))


# --- documents ----------------------------------------------------------------------


@functools.cache
def _base_texts() -> tuple[str, str]:
    return tuple(  # type: ignore[return-value]
        json.dumps(yaml.safe_load((HOSTILE / name).read_text(encoding="utf-8")))
        for name in ("base.arazzo.yaml", "api.openapi.yaml")
    )


def base_documents() -> tuple[dict[str, Any], dict[str, Any]]:
    """Fresh copies of the valid base Arazzo and OpenAPI documents."""
    arazzo, openapi = _base_texts()
    return json.loads(arazzo), json.loads(openapi)


def write_documents(
    folder: Path,
    arazzo: dict[str, Any],
    openapi: dict[str, Any],
    name: str = "hostile",
    fmt: str = "json",
) -> Path:
    """Write both documents as JSON (which can hold any string, even lone surrogates)
    or as YAML (every non-printable character escaped in double quotes)."""
    folder.mkdir(parents=True, exist_ok=True)

    def dump(data: dict[str, Any]) -> str:
        if fmt == "json":
            return json.dumps(data)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=2**20)

    (folder / f"api.openapi.{fmt}").write_text(dump(openapi), encoding="utf-8")
    arazzo["sourceDescriptions"][0]["url"] = f"./api.openapi.{fmt}"
    document = folder / f"{name}.arazzo.{fmt}"
    document.write_text(dump(arazzo), encoding="utf-8")
    return document


def workflow(arazzo: dict[str, Any]) -> dict[str, Any]:
    return typing.cast("dict[str, Any]", arazzo["workflows"][0])


def step(arazzo: dict[str, Any], index: int) -> dict[str, Any]:
    return typing.cast("dict[str, Any]", workflow(arazzo)["steps"][index])


def create_op(openapi: dict[str, Any]) -> dict[str, Any]:
    return typing.cast("dict[str, Any]", openapi["paths"]["/things"]["post"])


def get_op(openapi: dict[str, Any]) -> dict[str, Any]:
    return typing.cast("dict[str, Any]", openapi["paths"]["/things/{thingId}"]["get"])


def referenceable(name: str) -> bool:
    """Whether `$inputs.<name>` / `$steps.x.outputs.<name>` can name it (ASCII, no '#')."""
    return bool(name) and all("\x01" <= ch <= "\x7f" for ch in name) and "#" not in name


def pointer_token(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


def condition_string(text: str) -> str:
    """`text` as a single-quoted literal of the simple condition syntax."""
    return "'" + text.replace("'", "''") + "'"


# Each mutator puts the payload into one field (and keeps references consistent where
# the document needs them), so the field reaches the emitter when the payload allows.
Mutator = Callable[[dict[str, Any], dict[str, Any], str], None]


def _info(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    arazzo["info"].update(title=text, summary=text, description=text)


def _workflow_id(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    workflow(arazzo)["workflowId"] = text


def _workflow_text(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    workflow(arazzo).update(summary=text, description=text)


def _step_id(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    step(arazzo, 0)["stepId"] = text
    step(arazzo, 1)["onSuccess"][1]["stepId"] = text  # the goto target
    step(arazzo, 1)["parameters"][0]["value"] = "$inputs.thingName"
    workflow(arazzo)["outputs"]["thingId"] = "$steps.read.outputs.tag"


def _step_description(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    step(arazzo, 0)["description"] = text
    step(arazzo, 1)["description"] = text


def _input_name(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    properties = workflow(arazzo)["inputs"]["properties"]
    properties[text] = properties.pop("thingKind")
    kind = f"$inputs.{text}" if referenceable(text) else "small"
    step(arazzo, 0)["requestBody"]["payload"]["kind"] = kind


def _input_description(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    workflow(arazzo)["inputs"]["properties"]["thingName"]["description"] = text


def _input_default_and_enum(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    properties = workflow(arazzo)["inputs"]["properties"]
    properties["thingName"]["default"] = text
    properties["thingKind"].update(enum=[text, "small"], default=text)


def _path_parameter_name(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    item = openapi["paths"].pop("/things/{thingId}")
    openapi["paths"]["/things/{" + text + "}"] = item
    item["get"]["parameters"][0]["name"] = text
    step(arazzo, 1)["parameters"][0]["name"] = text


def _path_parameter_name_in_one_segment(
    arazzo: dict[str, Any], openapi: dict[str, Any], text: str
) -> None:
    # A template name (and a parameter name) cannot hold "/", "{", "}", "#" or "?".
    _path_parameter_name(arazzo, openapi, "".join(ch for ch in text if ch not in "/{}#?"))


def _header_token_name(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    # Header names are tokens (RFC 9110): keep the payload's token characters, quotes too.
    _header_name(arazzo, openapi, _token(text))


def _query_parameter_name(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    get_op(openapi)["parameters"][1]["name"] = text
    step(arazzo, 1)["parameters"][1]["name"] = text


def _header_name(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    get_op(openapi)["parameters"][2]["name"] = text
    step(arazzo, 1)["parameters"][2]["name"] = text


def _parameter_values(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    for parameter in step(arazzo, 1)["parameters"]:
        parameter["value"] = text


def _template_value(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    step(arazzo, 1)["parameters"][1]["value"] = "q-{$inputs.thingName}-" + text


def _operation_path(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    openapi["paths"]["/" + text] = openapi["paths"].pop("/things")


def _operation_path_without_templates(
    arazzo: dict[str, Any], openapi: dict[str, Any], text: str
) -> None:
    # Braces would declare path parameters the operation does not have; '#' and '?'
    # would end the path of a URL.
    _operation_path(arazzo, openapi, "".join(ch for ch in text if ch not in "{}#?"))


def _operation_text(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    for operation in (create_op(openapi), get_op(openapi)):
        operation.update(summary=text, description=text)
    openapi["info"].update(title=text, description=text)


def _server_url(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    openapi["servers"] = [{"url": text}, {"url": "http://127.0.0.1:9/" + text}]


def _response_enum(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    for operation, status in ((create_op(openapi), "201"), (get_op(openapi), "200")):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        schema["properties"]["kind"]["enum"] = ["small", text, "large"]


def _output_pointer(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    step(arazzo, 1)["outputs"]["tag"] = "$response.body#/tags/" + pointer_token(text)
    step(arazzo, 0)["outputs"]["raw"] = "$response.body#/" + pointer_token(text) + "/x"


def _condition_literal(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    literal = condition_string(text)
    step(arazzo, 1)["successCriteria"][1]["condition"] = f"$response.body#/kind != {literal}"
    criteria = step(arazzo, 1)["onSuccess"][1]["criteria"]
    criteria[0]["condition"] = f"$response.body#/kind == {literal}"


def _jsonpath_criterion(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    step(arazzo, 1)["successCriteria"].append(
        {
            "context": "$response.body",
            "type": "jsonpath",
            "condition": f"$.kind != {condition_string(text)}",
        }
    )


def _output_names(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    outputs = step(arazzo, 0)["outputs"]
    outputs[text] = outputs.pop("thingId")
    reference = f"$steps.create.outputs.{text}" if referenceable(text) else "$inputs.thingName"
    step(arazzo, 1)["parameters"][0]["value"] = reference
    workflow(arazzo)["outputs"] = {text: reference, "tag": "$steps.read.outputs.tag"}


def _payload(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    body = step(arazzo, 0)["requestBody"]["payload"]
    body[text] = text
    body["nested"] = {text: [text, {text: text}]}
    body["note"] = text


def _action_names(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    for number, action in enumerate(step(arazzo, 1)["onSuccess"]):
        action["name"] = text + str(number)  # action names must be unique


def _operation_id(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    create_op(openapi)["operationId"] = text
    step(arazzo, 0)["operationId"] = text


def _source_name(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    arazzo["sourceDescriptions"][0]["name"] = text


def _content_type(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    step(arazzo, 0)["requestBody"]["contentType"] = f'application/json; x="{text}"'


TCHARS = "!#$%&'*+-.^_`|~"


def _token(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in TCHARS))


def _response_header(arazzo: dict[str, Any], openapi: dict[str, Any], text: str) -> None:
    step(arazzo, 1)["outputs"]["header"] = "$response.header." + _token(text)


MUTATORS: dict[str, Mutator] = {
    "info": _info,
    "workflowId": _workflow_id,
    "workflow summary+description": _workflow_text,
    "stepId": _step_id,
    "step description": _step_description,
    "input name": _input_name,
    "input description": _input_description,
    "input default+enum": _input_default_and_enum,
    "path parameter name": _path_parameter_name,
    "path parameter name in one segment": _path_parameter_name_in_one_segment,
    "query parameter name": _query_parameter_name,
    "header name": _header_name,
    "header name of token characters": _header_token_name,
    "parameter values": _parameter_values,
    "template value": _template_value,
    "operation path": _operation_path,
    "operation path without templates": _operation_path_without_templates,
    "operation summary+description": _operation_text,
    "server url": _server_url,
    "response enum": _response_enum,
    "output pointer": _output_pointer,
    "condition literal": _condition_literal,
    "jsonpath criterion": _jsonpath_criterion,
    "output names": _output_names,
    "payload keys+values": _payload,
    "action names": _action_names,
    "operationId": _operation_id,
    "source description name": _source_name,
    "contentType": _content_type,
    "response header name": _response_header,
}


# --- running the command line -----------------------------------------------------


@dataclasses.dataclass
class Generated:
    exit_code: int
    output: str
    files: dict[str, str]  # relative path -> text of every .py file written


def generate(document: Path, out: Path) -> Generated:
    """`arazzo-gen generate DOCUMENT -o OUT`, in-process; it may fail only with diagnostics."""
    result = CliRunner().invoke(
        main, ["generate", str(document), "-o", str(out), "-q"], prog_name="arazzo-gen"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert result.exit_code in (0, 1), result.output
    files = {
        p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("*.py"))
    }
    if result.exit_code == 1:
        assert "error[" in result.output, result.output
        assert not files, "a run with errors must write nothing"
    else:
        assert files
    return Generated(result.exit_code, result.output, files)


# --- what a generated module may contain ------------------------------------------


def called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return f"<{type(func).__name__}>"


def called_names(tree: ast.Module) -> set[str]:
    return {called_name(node) for node in ast.walk(tree) if isinstance(node, ast.Call)}


def defined_names(tree: ast.Module) -> list[str]:
    """Names bound by the module's top-level statements, in order (imports excluded)."""
    names: list[str] = []
    for statement in tree.body:
        if isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(statement.name)
        elif isinstance(statement, ast.Assign):
            names += [t.id for t in statement.targets if isinstance(t, ast.Name)]
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.append(statement.target.id)
    return names


@dataclasses.dataclass(frozen=True)
class Profile:
    """The shape of the module generated from the valid base document."""

    kinds: Counter[str]
    calls: frozenset[str]
    runtime_parameters: tuple[str, ...]  # the function's parameters that are not inputs
    names: tuple[str, ...]  # the module's top-level names


def check_structure(source: str, base: Profile | None = None) -> ast.Module:
    """The generated module parses and has only the statements the template writes."""
    tree = ast.parse(source)
    body = tree.body
    assert body, "empty module"
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    assert isinstance(body[0].value.value, str), "the module must start with its docstring"
    for statement in body[1:]:
        assert isinstance(statement, TOP_LEVEL_KINDS), ast.dump(statement)[:300]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in BANNED_NAMES, ast.unparse(node)[:300]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in BANNED_ATTRIBUTES, ast.unparse(node)[:300]
        if isinstance(node, ast.Name):
            assert node.id not in ("os", "subprocess", "__builtins__"), ast.unparse(node)
    names = defined_names(tree)
    duplicates = [name for name, n in Counter(names).items() if n > 1]
    assert not duplicates, f"top-level names defined twice: {duplicates}"
    for name in names:
        assert name.isidentifier() and not keyword.iskeyword(name), name
    if base is not None:
        kinds = Counter(type(s).__name__ for s in body)
        assert kinds <= base.kinds, f"more statements than the base module: {kinds - base.kinds}"
        unexpected = called_names(tree) - base.calls - set(names)
        assert not unexpected, f"calls the base module does not make: {sorted(unexpected)}"
    return tree


# --- importing and running ----------------------------------------------------------

_MODULE_NUMBERS = count()


def import_file(path: Path) -> ModuleType:
    name = f"_arazzo_hostile_{next(_MODULE_NUMBERS)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look annotations up through sys.modules
    spec.loader.exec_module(module)
    return module


def workflow_functions(module: ModuleType) -> list[str]:
    """The sync workflow function(s) a module exports."""
    return [
        name
        for name in module.__all__
        if name[0].islower() and not name.endswith("_async") and callable(getattr(module, name))
    ]


def required_arguments(function: Callable[..., Any]) -> dict[str, Any]:
    return {
        name: "widget"
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.default is inspect.Parameter.empty and name != "base_url"
    }


@dataclasses.dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.server.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
        data = json.dumps({"id": "thing-1", "kind": "small", "tags": {"colour": "red"}}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[Recorded]
    client: httpx.Client  # shared by the sync runs, so each run skips making one


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    """A 127.0.0.1 server that answers every request 200 (201 for POST) with a thing."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    httpd.client = httpx.Client()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield httpd
    finally:
        httpd.client.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def base_url(httpd: _Server) -> str:
    host, port = httpd.server_address[:2]
    return f"http://{host!s}:{port}"


def run_everything(
    out: Path, generated: Generated, httpd: _Server, *, both: bool = False
) -> list[str]:
    """Import every generated module and run its workflow (`both`: sync and async).

    Returns what each run ended with; hostile values may well make a request fail,
    but nothing may run that the document did not describe.
    """
    outcomes = []
    for relative in generated.files:
        if relative.endswith("__init__.py"):
            continue
        module = import_file(out / relative)
        for name in workflow_functions(module):
            for is_async in (False, True) if both else (False,):
                function = getattr(module, name + ("_async" if is_async else ""))
                arguments = required_arguments(function)
                arguments.update(base_url=base_url(httpd), timeout=5.0)
                if not is_async:
                    arguments["client"] = httpd.client
                try:
                    result = function(**arguments)
                    if is_async:
                        result = asyncio.run(result)
                    outcomes.append("ok")
                except Exception as exc:  # a refused request is fine; code is not
                    outcomes.append(type(exc).__name__)
    return outcomes


# --- the base ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_profile(tmp_path_factory: pytest.TempPathFactory) -> Profile:
    folder = tmp_path_factory.mktemp("base")
    arazzo, openapi = base_documents()
    generated = generate(write_documents(folder, arazzo, openapi), folder / "out")
    assert generated.exit_code == 0, generated.output
    tree = check_structure(generated.files["hostile/make_thing.py"])
    [function] = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "make_thing"
    ]
    runtime = tuple(
        a.arg for a in function.args.kwonlyargs if a.arg not in ("thing_name", "thing_kind")
    )
    assert set(RUNTIME_PARAMETERS) <= set(runtime)
    return Profile(
        Counter(type(s).__name__ for s in tree.body),
        frozenset(called_names(tree)),
        runtime,
        tuple(defined_names(tree)),
    )


def test_the_base_documents_compile_and_run(tmp_path: Path, server: _Server) -> None:
    arazzo, openapi = base_documents()
    out = tmp_path / "out"
    generated = generate(write_documents(tmp_path, arazzo, openapi), out)
    assert generated.exit_code == 0, generated.output
    assert run_everything(out, generated, server, both=True) == ["ok", "ok"]


# --- Part 1: payloads in every field ----------------------------------------------


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
@pytest.mark.parametrize("field", list(MUTATORS))
def test_payload_in_a_field_never_becomes_code(
    field: str, kind: str, tmp_path: Path, server: _Server, base_profile: Profile
) -> None:
    sentinel = tmp_path / "SENTINEL"
    text = payload(kind, sentinel)
    arazzo, openapi = base_documents()
    MUTATORS[field](arazzo, openapi, text)
    out = tmp_path / "out"
    generated = generate(write_documents(tmp_path / "specs", arazzo, openapi), out)
    assert not sentinel.exists()
    for relative, source in generated.files.items():
        if relative.endswith("__init__.py"):
            check_package_init(source)
        else:
            check_structure(source, base_profile)
    if generated.exit_code == 0:
        run_everything(out, generated, server)
    assert not sentinel.exists(), "a payload ran"


def check_package_init(source: str) -> None:
    tree = ast.parse(source)
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
    assert isinstance(tree.body[0].value, ast.Constant)


# Fields whose payload must come back out of the generated module exactly.

EXTRA = "x'''y" + '"""z\\'  # both triple quotes, and a trailing backslash


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_workflow_id_and_step_ids_round_trip_as_data(
    fmt: str, tmp_path: Path, server: _Server
) -> None:
    sentinel = tmp_path / "SENTINEL"
    arazzo, openapi = base_documents()
    texts = [payload(kind, sentinel) for kind in sorted(PAYLOADS)] + [EXTRA]
    workflow(arazzo)["workflowId"] = texts[0]
    _step_id(arazzo, openapi, texts[1])
    step(arazzo, 1)["stepId"] = texts[2]
    del workflow(arazzo)["outputs"]
    out = tmp_path / "out"
    generated = generate(write_documents(tmp_path / "specs", arazzo, openapi, fmt=fmt), out)
    assert generated.exit_code == 0, generated.output
    [relative] = [r for r in generated.files if not r.endswith("__init__.py")]
    module = import_file(out / relative)
    assert texts[0] == module.WORKFLOW_ID
    assert list(module._STEPS) == [texts[1], texts[2]]
    assert typing.get_args(module._StepId) == (texts[1], texts[2])
    [function] = workflow_functions(module)
    assert getattr(module, function)(thing_name="widget", base_url=base_url(server)) == {}
    assert not sentinel.exists()


def test_a_hostile_file_name_reaches_the_modules_only_as_text(
    tmp_path: Path, server: _Server
) -> None:
    # The document's path is named in the docstrings of its package and modules, and
    # its name becomes the package name. File names may hold quotes and line breaks.
    sentinel = tmp_path / "SENTINEL"
    name = f"x\"\"\"\n__import__('os').system('touch {sentinel.name}')\n'''\u202e#{{}}"
    arazzo, openapi = base_documents()
    out = tmp_path / "out"
    document = write_documents(tmp_path / "specs", arazzo, openapi, name=name)
    generated = generate(document, out)
    assert generated.exit_code == 0, generated.output
    [package] = {Path(relative).parts[0] for relative in generated.files if "/" in relative}
    assert package.isidentifier() and not keyword.iskeyword(package)
    for relative, source in generated.files.items():
        if relative == "__init__.py":
            ast.parse(source)  # the root package: only the package names
        elif relative.endswith("__init__.py"):
            check_package_init(source)
        else:
            check_structure(source)
    run_everything(out, generated, server)
    assert not sentinel.exists() and not (tmp_path / "specs" / sentinel.name).exists()


def test_enum_values_and_server_url_round_trip_as_data(tmp_path: Path) -> None:
    sentinel = tmp_path / "SENTINEL"
    arazzo, openapi = base_documents()
    texts = [payload(kind, sentinel) for kind in sorted(PAYLOADS)] + [EXTRA]
    workflow(arazzo)["inputs"]["properties"]["thingKind"]["enum"] = texts
    for operation, status in ((create_op(openapi), "201"), (get_op(openapi), "200")):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        schema["properties"]["kind"]["enum"] = texts
    openapi["servers"] = [{"url": "http://127.0.0.1:9/" + texts[0]}]
    step(arazzo, 1)["outputs"]["kind"] = "$response.body#/kind"
    workflow(arazzo)["outputs"]["kind"] = "$steps.read.outputs.kind"
    out = tmp_path / "out"
    generated = generate(write_documents(tmp_path / "specs", arazzo, openapi), out)
    assert generated.exit_code == 0, generated.output
    module = import_file(out / "hostile" / "make_thing.py")
    assert "http://127.0.0.1:9/" + texts[0] == module.DEFAULT_BASE_URL
    hints = typing.get_type_hints(module.make_thing)
    assert set(typing.get_args(typing.get_args(hints["thing_kind"])[0])) == set(texts)
    output_hints = typing.get_type_hints(module.MakeThingOutputs)
    assert set(typing.get_args(output_hints["kind"])) == set(texts)
    assert not sentinel.exists()


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_parameter_and_payload_values_are_sent_exactly(
    fmt: str, tmp_path: Path, server: _Server
) -> None:
    sentinel = tmp_path / "SENTINEL"
    text = payload("quotes", sentinel) + payload("line-breaks", sentinel)
    arazzo, openapi = base_documents()
    _payload(arazzo, openapi, text)
    step(arazzo, 1)["parameters"][0]["value"] = text  # path
    step(arazzo, 1)["parameters"][1]["value"] = text  # query
    out = tmp_path / "out"
    generated = generate(write_documents(tmp_path / "specs", arazzo, openapi, fmt=fmt), out)
    assert generated.exit_code == 0, generated.output
    module = import_file(out / "hostile" / "make_thing.py")
    server.requests.clear()
    module.make_thing(thing_name="widget", base_url=base_url(server))
    create, read = server.requests[-2:]
    assert create.body[text] == text
    assert create.body["nested"] == {text: [text, {text: text}]}
    assert read.path.startswith("/things/") and "?" in read.path
    segment, query = read.path.removeprefix("/things/").split("?", 1)
    assert httpx.URL("http://x/?" + query).params["verbose"] == text
    assert segment == httpx.URL("http://x/" + segment).raw_path.decode().lstrip("/")
    assert "/" not in segment  # the value is one percent-encoded segment
    assert not sentinel.exists()


# --- identifiers from adversarial names -------------------------------------------

ADVERSARIAL_NAMES = [
    "class",
    "type",
    "match",
    "case",
    "_",
    "__",
    "None",
    "True",
    "self",
    "httpx",
    "json",
    "dataclasses",
    "quote",
    "state",
    "step",
    "response",
    "request",
    "http",
    "client",
    "base_url",
    "baseUrl",
    "headers",
    "params",
    "timeout",
    "max_steps",
    "StepFailedError",
    "WorkflowError",
    "_State",
    "__import__",
    "__debug__",
    "fooBar",
    "foo_bar",
    "foo-bar",
    "FOO_BAR",
    "2fa",
    "",
    "\ufb01le",  # the "fi" ligature: NFKC makes it "file"
    "file",
    "\uff43lient",  # fullwidth c + "lient": NFKC makes it "client"
    "\u0441lient",  # Cyrillic es: a different (valid) identifier
    "print",
    "str",
]


def _assert_good_names(names: list[str]) -> None:
    for name in names:
        assert name.isidentifier(), name
        assert not keyword.iskeyword(name) and name not in SOFT_KEYWORDS, name
        assert name != "__debug__", name
        assert unicodedata.normalize("NFKC", name) == name, name
    normalized = [unicodedata.normalize("NFKC", n) for n in names]
    assert len(set(normalized)) == len(normalized), names


REQUIRED = ["thingName", "class", "client", "__import__"]


def _adversarial_inputs_document(folder: Path) -> Path:
    arazzo, openapi = base_documents()
    properties = {name: {"type": "string"} for name in ADVERSARIAL_NAMES}
    properties["thingName"] = {"type": "string"}
    workflow(arazzo)["inputs"] = {
        "type": "object",
        "required": REQUIRED,
        "properties": properties,
    }
    step(arazzo, 0)["requestBody"]["payload"] = {
        name: f"$inputs.{name}" for name in properties if referenceable(name)
    }
    return write_documents(folder, arazzo, openapi)


def test_input_names_become_distinct_safe_parameters(
    tmp_path: Path, server: _Server, base_profile: Profile
) -> None:
    runtime = list(base_profile.runtime_parameters)
    out = tmp_path / "out"
    generated = generate(_adversarial_inputs_document(tmp_path / "specs"), out)
    assert generated.exit_code == 0, generated.output
    check_structure(generated.files["hostile/make_thing.py"])
    module = import_file(out / "hostile" / "make_thing.py")
    for function in (module.make_thing, module.make_thing_async):
        parameters = inspect.signature(function).parameters
        names = list(parameters)
        _assert_good_names(names)
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
        assert len(names) == len(ADVERSARIAL_NAMES) + 1 + len(runtime)
        assert names[-len(runtime) :] == runtime
        assert parameters["client"].default is None
        assert parameters["headers"].default is None
        assert parameters["params"].default is None
        assert parameters["base_url"].default == module.DEFAULT_BASE_URL
        assert parameters["timeout"].default == module.DEFAULT_TIMEOUT
        assert parameters["max_steps"].default == module.DEFAULT_MAX_STEPS
        for reserved in ("state", "step", "response", "request", "http", "httpx", "json"):
            assert reserved not in names
    # The module's own names are untouched by the inputs.
    assert module.httpx is httpx and module.json is json
    assert issubclass(module.StepFailedError, module.WorkflowError)
    assert dataclasses.is_dataclass(module._State)
    _assert_good_names([f.name for f in dataclasses.fields(module._State)])
    for name in module.__all__:
        assert hasattr(module, name), name
    # Every input arrives under its own name: renaming never mixes two of them up.
    parameters = list(inspect.signature(module.make_thing).parameters)[: -len(runtime)]
    arguments = {name: f"value-{index}" for index, name in enumerate(parameters)}
    server.requests.clear()
    module.make_thing(**arguments, base_url=base_url(server))
    sent = server.requests[0].body
    declared = [*ADVERSARIAL_NAMES, "thingName"]
    ordered = [n for n in declared if n in REQUIRED] + [n for n in declared if n not in REQUIRED]
    for name, parameter in zip(ordered, parameters, strict=True):
        if referenceable(name):
            assert sent[name] == arguments[parameter], (name, parameter)


def _step_ids_document(folder: Path, ids: list[str]) -> Path:
    arazzo, openapi = base_documents()
    steps = []
    for step_id in ids:
        steps.append(
            {
                "stepId": step_id,
                "operationId": "getThing",
                "parameters": [{"name": "thingId", "in": "path", "value": "$inputs.thingName"}],
                "successCriteria": [{"condition": "$statusCode == 200"}],
                "outputs": {"kind": "$response.body#/kind"},
            }
        )
    workflow(arazzo)["steps"] = steps
    workflow(arazzo)["outputs"] = {"last": f"$steps.{ids[-1]}.outputs.kind"}
    return write_documents(folder, arazzo, openapi)


STEP_IDS = [
    "class",
    "_",
    "request",
    "response",
    "state",
    "outputs",
    "STEPS",
    "State",
    "StepId",
    "Next",
    "count_step",
    "StepFailedError",
    "__import__",
    "make_thing",
    "fooBar",
    "foo-bar",
    "\ufb01le",
    "file",
    "retries",  # fields of _State
    "ended",
]


def test_step_ids_become_distinct_safe_functions(
    tmp_path: Path, server: _Server, base_profile: Profile
) -> None:
    # Step functions are `_<step>_request` / `_<step>_response`: any runtime helper of
    # that form (or `_<Step>Outputs`) names a step id that would collide with it.
    shaped = (re.fullmatch(r"_(\w+?)(?:_request|_response|Outputs)", n) for n in base_profile.names)
    clashing = [
        m.group(1) for m in shaped if m and m.group(1) not in ("create", "read", "Create", "Read")
    ]
    ids = STEP_IDS + [i for i in clashing if i not in STEP_IDS]
    out = tmp_path / "out"
    generated = generate(_step_ids_document(tmp_path / "specs", ids), out)
    assert generated.exit_code == 0, generated.output
    check_structure(generated.files["hostile/make_thing.py"])
    module = import_file(out / "hostile" / "make_thing.py")
    assert list(module._STEPS) == ids
    functions = [f for pair in module._STEPS.values() for f in pair]
    assert len(set(functions)) == 2 * len(ids)
    _assert_good_names([f.__name__ for f in functions])
    assert dataclasses.is_dataclass(module._State)
    assert module.StepFailedError.__mro__[1] is module.WorkflowError
    server.requests.clear()
    outputs = module.make_thing(thing_name="t", base_url=base_url(server))
    assert outputs == {"last": "small"}
    assert len(server.requests) == len(ids)


def test_step_output_classes_of_similar_step_ids_are_distinct(tmp_path: Path) -> None:
    # 'a-b' (py_name a_b_2) and 'a_b2' both PascalCase to AB2.
    out = tmp_path / "out"
    generated = generate(_step_ids_document(tmp_path / "specs", ["a_b", "a-b", "a_b2"]), out)
    assert generated.exit_code == 0, generated.output
    check_structure(generated.files["hostile/make_thing.py"])  # no name defined twice


def test_field_names_never_shadow_names_that_annotations_use(tmp_path: Path) -> None:
    arazzo, openapi = base_documents()
    shadowing = ["str", "int", "float", "bool", "list", "dict", "Any", "Literal", "Mapping"]
    properties = workflow(arazzo)["inputs"]["properties"]
    properties.update({name: {"type": "string"} for name in shadowing})
    step(arazzo, 1)["outputs"].update(dict.fromkeys(shadowing, "$response.body#/kind"))
    workflow(arazzo)["outputs"].update({name: f"$steps.read.outputs.{name}" for name in shadowing})
    out = tmp_path / "out"
    generated = generate(write_documents(tmp_path / "specs", arazzo, openapi), out)
    assert generated.exit_code == 0, generated.output
    tree = check_structure(generated.files["hostile/make_thing.py"])
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields = {
            s.target.id
            for s in node.body
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
        }
        used = {
            n.id
            for s in node.body
            if isinstance(s, ast.AnnAssign)
            for n in ast.walk(s.annotation)
            if isinstance(n, ast.Name)
        }
        assert not fields & used, f"class {node.name}: fields shadow {sorted(fields & used)}"


def test_output_names_become_distinct_safe_keys(tmp_path: Path, server: _Server) -> None:
    arazzo, openapi = base_documents()
    names = ["class", "items", "get", "keys", "thingId", "thing_id", "json", "_", "__import__"]
    step(arazzo, 1)["outputs"] = dict.fromkeys(names, "$response.body#/kind")
    workflow(arazzo)["outputs"] = {name: f"$steps.read.outputs.{name}" for name in names}
    out = tmp_path / "out"
    generated = generate(write_documents(tmp_path / "specs", arazzo, openapi), out)
    assert generated.exit_code == 0, generated.output
    check_structure(generated.files["hostile/make_thing.py"])
    module = import_file(out / "hostile" / "make_thing.py")
    keys = list(typing.get_type_hints(module.MakeThingOutputs))
    _assert_good_names(keys)
    assert len(keys) == len(names)
    outputs = module.make_thing(thing_name="t", base_url=base_url(server))
    assert list(outputs) == keys and set(outputs.values()) == {"small"}


WORKFLOW_IDS = [
    "httpx",
    "json",
    "StepFailedError",
    "class",
    "match",
    "_State",
    "make-thing",
    "make_thing",
    "__import__",
    "quote",
    "",
]


def test_workflow_ids_become_distinct_modules_that_shadow_nothing(
    tmp_path: Path, server: _Server
) -> None:
    arazzo, openapi = base_documents()
    template = workflow(arazzo)
    arazzo["workflows"] = []
    for workflow_id in WORKFLOW_IDS:
        entry = copy.deepcopy(template)
        entry["workflowId"] = workflow_id
        arazzo["workflows"].append(entry)
    out = tmp_path / "out"
    generated = generate(write_documents(tmp_path / "specs", arazzo, openapi), out)
    assert generated.exit_code == 0, generated.output
    modules = [r for r in generated.files if not r.endswith("__init__.py")]
    assert len(modules) == len(WORKFLOW_IDS)
    stems = [Path(r).stem for r in modules]
    _assert_good_names(stems)
    seen_ids = []
    for relative in modules:
        check_structure(generated.files[relative])
        module = import_file(out / relative)
        [function] = workflow_functions(module)
        _assert_good_names([function, function + "_async"])
        assert function == Path(relative).stem
        assert module.httpx is httpx and module.json is json
        assert isinstance(module.StepFailedError, type)
        assert issubclass(module.StepFailedError, module.WorkflowError)
        assert dataclasses.is_dataclass(module._State)
        assert callable(module.quote)
        seen_ids.append(module.WORKFLOW_ID)
        outputs = getattr(module, function)(thing_name="t", base_url=base_url(server))
        assert outputs == {"thing_id": "thing-1", "tag": "red"}
    assert sorted(seen_ids) == sorted(WORKFLOW_IDS)


# --- property: random text in a few fields, end to end ------------------------------

SPEC_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(['"', "'", "\\", "\n", "\r", "\x00", "\u2028", "\x85", "{", "#", "$"]),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    summary=SPEC_TEXT,
    step_id=SPEC_TEXT,
    constant=SPEC_TEXT,
    literal=SPEC_TEXT,
    token=SPEC_TEXT,
)
def test_random_spec_text_never_changes_the_module_shape(
    tmp_path_factory: pytest.TempPathFactory,
    base_profile: Profile,
    summary: str,
    step_id: str,
    constant: str,
    literal: str,
    token: str,
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    arazzo, openapi = base_documents()
    _workflow_text(arazzo, openapi, summary)
    _step_id(arazzo, openapi, step_id)
    step(arazzo, 0)["requestBody"]["payload"]["note"] = constant
    _condition_literal(arazzo, openapi, literal)
    step(arazzo, 1)["outputs"]["tag"] = "$response.body#/tags/" + pointer_token(token)
    generated = generate(write_documents(folder, arazzo, openapi), folder / "out")
    for relative, source in generated.files.items():
        if relative.endswith("__init__.py"):
            check_package_init(source)
        else:
            check_structure(source, base_profile)
