"""Bad input stays bounded: a clear diagnostic, nothing written, limited time and memory.

The cases that could exhaust the machine (alias bombs, deep nesting, `$ref` cycles,
large or binary files...) run the real command line in a subprocess, so its peak
memory can be measured. A small wrapper process starts `arazzo-gen generate` under a
hard address-space limit and a timeout (so a regression fails the test instead of
the machine) and reports its wall time and `ru_maxrss` from
`getrusage(RUSAGE_CHILDREN)`. Every such case must finish within `MAX_SECONDS` of
wall time (interpreter start-up included) and `MAX_RSS_MB` of peak memory, exit
with 1 and a diagnostic, and leave the output folder empty.

A ~10 MB generated OpenAPI document must load (with line and column marks for
every node) and be indexed within the same bounds; validating it takes far longer
(openapi-spec-validator), which is recorded as an expected failure with timings.

Wrong types at every level of an Arazzo document are checked in-process: for each
fixed field of each object of the specification (as used in
`fixtures/hostile/every-field.arazzo.yaml`), the value is replaced by values of
other JSON types, and a diagnostic must point at that field's line.

Last, the loader itself: it must read every YAML file of the repository exactly as
PyYAML's safe loader does (it builds data from the event stream instead), and
refuse what JSON data cannot hold.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.diagnostics import Level
from generator.load import LoadError, join_pointer, parse_text, split_pointer
from generator.pipeline import compile_specs

REPO = Path(__file__).resolve().parent.parent

#: Bounds every subprocess case must stay within (wall time includes start-up).
MAX_SECONDS = 5.0
#: A ~10 MB document is read, marked and indexed in ~3 s on an idle machine; CI shares cores.
MAX_SECONDS_TEN_MEGABYTES = 10.0
MAX_RSS_MB = 500
#: Hard limits of the wrapper: a runaway case is stopped instead of the machine.
_HARD_TIMEOUT = 20.0
_HARD_ADDRESS_SPACE = 3 * 2**30

_WRAPPER = textwrap.dedent("""
    import json, resource, subprocess, sys, time
    command, cwd, timeout, address_space = json.loads(sys.argv[1])

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, preexec_fn=limit
        )
        code, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        code, stdout, stderr = None, str(exc.stdout or ""), str(exc.stderr or "")
    seconds = time.perf_counter() - start
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps([code, stdout, stderr, seconds, rss_kb]))
    """)


@dataclass(frozen=True)
class Run:
    exit_code: int | None  # None: killed at the hard timeout
    stdout: str
    stderr: str
    seconds: float
    rss_mb: float

    def describe(self) -> str:
        return (
            f"exit {self.exit_code} after {self.seconds:.2f} s, peak {self.rss_mb:.0f} MB\n"
            f"stdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-3000:]}"
        )


def measured(command: list[str], cwd: Path, hard_timeout: float = _HARD_TIMEOUT) -> Run:
    """Run `command` in a fresh wrapper process; its wall time and peak memory."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("ARAZZO_GEN_DEBUG", None)
    argument = json.dumps([command, str(cwd), hard_timeout, _HARD_ADDRESS_SPACE])
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, argument],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=hard_timeout + 30,
    )
    code, stdout, stderr, seconds, rss_kb = json.loads(done.stdout)
    return Run(code, stdout, stderr, seconds, rss_kb / 1024)


def arazzo_gen(*args: str | Path) -> list[str]:
    return [sys.executable, "-c", "from generator.cli import main; main()", *map(str, args)]


def assert_in_bounds(run: Run) -> None:
    """No crash, and within the time and memory bounds."""
    print(f"measured: exit {run.exit_code}, {run.seconds:.2f} s, {run.rss_mb:.0f} MB")  # -rP
    output = run.stdout + run.stderr
    assert run.exit_code in (0, 1), run.describe()
    assert "Traceback" not in output and "internal error" not in output, run.describe()
    assert run.seconds < MAX_SECONDS, run.describe()
    assert run.rss_mb < MAX_RSS_MB, run.describe()


def assert_bounded_failure(run: Run, out: Path, *expected: str) -> None:
    """Exit 1 with diagnostics (each `expected` text shown), nothing written, in bounds."""
    assert_in_bounds(run)
    output = run.stdout + run.stderr
    assert run.exit_code == 1, run.describe()
    assert "error[AG" in output, run.describe()
    for text in expected:
        assert text in output, run.describe()
    assert not out.exists() or not any(out.iterdir()), "nothing may be written"


def run_generate(document: Path, tmp_path: Path, hard_timeout: float = _HARD_TIMEOUT) -> Run:
    command = arazzo_gen("generate", document, "-o", tmp_path / "out")
    return measured(command, tmp_path, hard_timeout)


def generate_bounded(document: Path, tmp_path: Path, *expected: str) -> Run:
    run = run_generate(document, tmp_path)
    assert_bounded_failure(run, tmp_path / "out", *expected)
    return run


# --- documents --------------------------------------------------------------------

OPENAPI = """\
openapi: 3.1.0
info: {title: Bounds, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: A thing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
components:
  schemas:
    Thing:
      type: object
      properties:
        id: {type: string}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: Bounds, version: "1"}
sourceDescriptions:
  - {name: api, url: ./api.openapi.yaml, type: openapi}
workflows:
  - workflowId: read
    inputs:
      type: object
      required: [id]
      properties:
        id: {type: string}
    steps:
      - stepId: read
        operationId: getThing
        parameters:
          - {name: id, in: path, value: $inputs.id}
        outputs:
          id: $response.body#/id
    outputs:
      id: $steps.read.outputs.id
"""


def write_pair(folder: Path, arazzo: str = ARAZZO, openapi: str = OPENAPI) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "api.openapi.yaml").write_text(openapi, encoding="utf-8")
    document = folder / "flow.arazzo.yaml"
    document.write_text(arazzo, encoding="utf-8")
    return document


def billion_laughs(levels: int, fan: int = 9, key: str = "lol") -> str:
    """A YAML alias bomb: `levels` anchors, each a list of `fan` aliases of the last."""
    lines = [f"{key}0: &{key}0 [" + ", ".join(['"lol"'] * fan) + "]"]
    for level in range(1, levels):
        lines.append(
            f"{key}{level}: &{key}{level} [" + ", ".join([f"*{key}{level - 1}"] * fan) + "]"
        )
    return "\n".join(lines) + "\n"


def indented(text: str, prefix: str) -> str:
    return textwrap.indent(text, prefix)


def test_the_base_documents_are_valid(tmp_path: Path) -> None:
    result = compile_specs([write_pair(tmp_path)], render=False)
    assert not [d.render() for d in result.diagnostics if d.level is Level.ERROR]


# --- alias bombs ------------------------------------------------------------------


def test_billion_laughs_in_the_arazzo_document(tmp_path: Path) -> None:
    bomb = "x-bomb:\n" + indented(billion_laughs(9), "  ")
    document = write_pair(tmp_path, ARAZZO + bomb)
    generate_bounded(document, tmp_path, "flow.arazzo.yaml:", "nodes")


def test_billion_laughs_in_the_openapi_document(tmp_path: Path) -> None:
    bomb = "x-bomb:\n" + indented(billion_laughs(9), "  ")
    document = write_pair(tmp_path, openapi=OPENAPI + bomb)
    generate_bounded(document, tmp_path, "api.openapi.yaml", "nodes")


def test_billion_laughs_reached_through_a_ref(tmp_path: Path) -> None:
    # Only a `$ref` of the OpenAPI document names the bomb, so it is read while the
    # OpenAPI document is validated.
    (tmp_path / "bomb.yaml").write_text(
        billion_laughs(9) + "Thing: {type: object}\n", encoding="utf-8"
    )
    openapi = OPENAPI.replace("#/components/schemas/Thing", "./bomb.yaml#/Thing")
    document = write_pair(tmp_path, openapi=openapi)
    generate_bounded(document, tmp_path, "bomb.yaml", "nodes")


def test_alias_bomb_just_under_the_node_budget(tmp_path: Path) -> None:
    # About 660,000 nodes once expanded: under the million-node budget, but a 1 KB
    # file must not become that much data for the later stages (and the OpenAPI
    # validator, at some 10 s per MB) to walk.
    bomb = "x-bomb:\n" + indented(billion_laughs(6), "  ")
    document = write_pair(tmp_path, openapi=OPENAPI + bomb)
    generate_bounded(document, tmp_path, "api.openapi.yaml", "YAML aliases expand")


def test_long_keys_under_deep_nesting_do_not_multiply_into_pointers(tmp_path: Path) -> None:
    # Every node's JSON pointer repeats the keys above it: 90 levels of 1000-character
    # keys over 3000 leaves would be 270 MB of pointer text from a 100 KB file.
    key = "k" * 1000
    leaves = "{" + ", ".join(f"leaf{i}: {i}" for i in range(3000)) + "}"
    text = "x-deep: " + ("{" + key + ": ") * 90 + leaves + "}" * 90 + "\n"
    document = write_pair(tmp_path, ARAZZO + text)
    generate_bounded(document, tmp_path, "flow.arazzo.yaml:21:", "paths to this document")


# --- $ref cycles --------------------------------------------------------------------


def _openapi_with_schemas(schemas: str, response_ref: str = "#/components/schemas/A") -> str:
    thing = "    Thing:\n      type: object\n      properties:\n        id: {type: string}\n"
    return OPENAPI.replace("#/components/schemas/Thing", response_ref).replace(
        thing, indented(textwrap.dedent(schemas), "    ")
    )


@pytest.mark.parametrize(
    "schemas",
    [
        pytest.param("A: {$ref: '#/components/schemas/A'}\n", id="self"),
        pytest.param(
            "A: {$ref: '#/components/schemas/B'}\nB: {$ref: '#/components/schemas/A'}\n",
            id="mutual",
        ),
        pytest.param(
            "A: {$ref: '#/components/schemas/B'}\n"
            "B: {$ref: '#/components/schemas/C'}\n"
            "C: {$ref: '#/components/schemas/A'}\n",
            id="three",
        ),
    ],
)
def test_ref_cycles_between_openapi_schemas(schemas: str, tmp_path: Path) -> None:
    document = write_pair(tmp_path, openapi=_openapi_with_schemas(schemas))
    generate_bounded(document, tmp_path, "api.openapi.yaml")


def test_ref_cycle_through_path_items(tmp_path: Path) -> None:
    openapi = OPENAPI.replace(
        "paths:\n",
        "paths:\n  /a: {$ref: '#/paths/~1b'}\n  /b: {$ref: '#/paths/~1a'}\n",
    )
    document = write_pair(tmp_path, openapi=openapi)
    generate_bounded(document, tmp_path, "api.openapi.yaml")


def test_recursive_schema_with_wide_unions_is_typed_in_bounded_time(tmp_path: Path) -> None:
    # Each level of A offers A again ten times: typing the step output must not walk
    # 10**depth branches. The document may be accepted or refused, within bounds.
    branches = ", ".join(["{$ref: '#/components/schemas/A'}"] * 10)
    schemas = f"A: {{oneOf: [{branches}, {{type: string}}]}}\n"
    arazzo = ARAZZO.replace("id: $response.body#/id", "id: $response.body")
    document = write_pair(tmp_path, arazzo, _openapi_with_schemas(schemas))
    assert_in_bounds(run_generate(document, tmp_path, hard_timeout=MAX_SECONDS + 1))


@pytest.mark.parametrize(
    "components",
    [
        pytest.param("a: {$ref: '#/components/inputs/a'}\n", id="self"),
        pytest.param(
            "a: {$ref: '#/components/inputs/b'}\nb: {$ref: '#/components/inputs/a'}\n",
            id="mutual",
        ),
        pytest.param(
            "a:\n  type: object\n  properties:\n    id: {$ref: '#/components/inputs/c'}\n"
            "c: {$ref: '#/components/inputs/c'}\n",
            id="property",
        ),
    ],
)
def test_ref_cycles_in_arazzo_inputs(components: str, tmp_path: Path) -> None:
    arazzo = ARAZZO.replace(
        "    inputs:\n      type: object\n      required: [id]\n"
        "      properties:\n        id: {type: string}\n",
        "    inputs: {$ref: '#/components/inputs/a'}\n",
    )
    arazzo += "components:\n  inputs:\n" + indented(components, "    ")
    document = write_pair(tmp_path, arazzo)
    generate_bounded(document, tmp_path, "flow.arazzo.yaml:", "$ref")


# --- deep nesting -------------------------------------------------------------------


def _flow_nesting(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [200, 10_000, 1_000_000])
def test_deep_nesting_in_an_extension_of_the_arazzo_document(depth: int, tmp_path: Path) -> None:
    # A million open brackets once crashed libyaml's recursive composer (SIGSEGV).
    document = write_pair(tmp_path, ARAZZO + f"x-deep: {_flow_nesting(depth)}\n")
    generate_bounded(document, tmp_path, "flow.arazzo.yaml:21:", "nesting deeper than")


@pytest.mark.parametrize("depth", [200, 10_000])
def test_deep_nesting_in_a_json_openapi_document(depth: int, tmp_path: Path) -> None:
    deep = '{"type": "array", "items": ' * depth + '{"type": "string"}' + "}" * depth
    text = json.dumps(yaml.safe_load(OPENAPI), indent=1).replace(
        '"schemas": {', '"schemas": {\n"Deep": ' + deep + ","
    )
    (tmp_path / "api.openapi.json").write_text(text, encoding="utf-8")
    document = write_pair(tmp_path, ARAZZO.replace("api.openapi.yaml", "api.openapi.json"))
    generate_bounded(document, tmp_path, "api.openapi.json", "nesting deeper than")


def _with_payload(payload: str) -> str:
    return ARAZZO.replace(
        "        outputs:\n          id: $response.body#/id\n",
        "        outputs:\n          id: $response.body#/id\n"
        "        requestBody:\n          contentType: application/json\n"
        f"          payload: {payload}\n",
    )


@pytest.mark.parametrize("depth", [150, 10_000])
def test_deep_nesting_in_a_request_payload(depth: int, tmp_path: Path) -> None:
    # Emitted as nested dict displays, 200 levels would pass black but not CPython's
    # parser ("too many nested parentheses"); the loader's depth limit keeps them out.
    document = write_pair(tmp_path, _with_payload("{a: " * depth + "1" + "}" * depth))
    generate_bounded(document, tmp_path, "flow.arazzo.yaml:", "nesting deeper than")


def test_the_deepest_payload_the_loader_accepts_compiles(tmp_path: Path) -> None:
    depth = 100 - 7  # the payload itself is 6 levels down, its innermost value one more
    document = write_pair(tmp_path, _with_payload("{a: " * depth + "1" + "}" * depth))
    run = run_generate(document, tmp_path)
    assert_in_bounds(run)
    assert run.exit_code == 0, run.describe()


@pytest.mark.parametrize(
    "depth",
    [
        pytest.param(20, id="20"),
        pytest.param(200, id="200"),
        pytest.param(10_000, id="10000"),
    ],
)
def test_deep_parentheses_in_a_condition(depth: int, tmp_path: Path) -> None:
    condition = "(" * depth + "$statusCode == 200" + ")" * depth
    arazzo = ARAZZO.replace(
        "        outputs:\n          id: $response.body#/id\n",
        "        outputs:\n          id: $response.body#/id\n"
        f"        successCriteria:\n          - condition: '{condition}'\n",
    )
    document = write_pair(tmp_path, arazzo)
    run = run_generate(document, tmp_path)
    assert_in_bounds(run)  # compiled, or refused with a diagnostic


# --- files that are not text, or not what they claim ------------------------------


def _binary_cases() -> dict[str, bytes]:
    rng = random.Random(20240229)
    return {
        "random": bytes(rng.randrange(256) for _ in range(64 * 1024)),
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16,
        "latin-1": ARAZZO.replace("title: Bounds", "title: Caf\u00e9 Bounds").encode("latin-1"),
        "utf-16": ARAZZO.encode("utf-16"),
        "nul": ARAZZO.encode() + b"\x00\n",
    }


@pytest.mark.parametrize("kind", list(_binary_cases()))
def test_binary_and_non_utf8_files_named_yaml(kind: str, tmp_path: Path) -> None:
    write_pair(tmp_path)
    document = tmp_path / "flow.arazzo.yaml"
    document.write_bytes(_binary_cases()[kind])
    generate_bounded(document, tmp_path, "flow.arazzo.yaml")


@pytest.mark.parametrize("kind", ["random", "png", "latin-1"])
def test_binary_openapi_document(kind: str, tmp_path: Path) -> None:
    document = write_pair(tmp_path)
    data = (
        _binary_cases()[kind]
        if kind != "latin-1"
        else OPENAPI.replace("title: Bounds", "title: Caf\u00e9").encode("latin-1")
    )
    (tmp_path / "api.openapi.yaml").write_bytes(data)
    generate_bounded(document, tmp_path, "api.openapi.yaml", "not UTF-8")


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "fifo.yaml", "."])
def test_source_urls_naming_devices_pipes_and_folders(target: str, tmp_path: Path) -> None:
    if target == "fifo.yaml":
        os.mkfifo(tmp_path / "fifo.yaml")
    document = write_pair(tmp_path, ARAZZO.replace("./api.openapi.yaml", target))
    generate_bounded(document, tmp_path, "flow.arazzo.yaml:")


@pytest.mark.parametrize("target", ["/dev/zero", "fifo.yaml"])
def test_refs_naming_devices_and_pipes(target: str, tmp_path: Path) -> None:
    if target == "fifo.yaml":
        os.mkfifo(tmp_path / "fifo.yaml")
    openapi = OPENAPI.replace("#/components/schemas/Thing", f"{target}#/Thing")
    document = write_pair(tmp_path, openapi=openapi)
    generate_bounded(document, tmp_path, "api.openapi.yaml")


# --- numbers that cost more than they look ---------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("1" * 5000, id="5000-digit-int"),
        pytest.param("1" + ":00" * 300_000, id="sexagesimal-int"),
        pytest.param(".nan", id="nan"),
        pytest.param("-.inf", id="infinity"),
        pytest.param("1.0e+999", id="overflowing-float"),
    ],
)
def test_numbers_yaml_cannot_hold_in_json(value: str, tmp_path: Path) -> None:
    arazzo = ARAZZO.replace(
        "        outputs:\n          id: $response.body#/id\n",
        "        outputs:\n          id: $response.body#/id\n"
        f"        requestBody:\n          contentType: application/json\n"
        f"          payload: {{n: {value}}}\n",
    )
    document = write_pair(tmp_path, arazzo)
    generate_bounded(document, tmp_path, "flow.arazzo.yaml:")


@pytest.mark.parametrize(
    "value", ["1" * 5000, "NaN", "-Infinity", "1e999"], ids=["5000-digits", "nan", "inf", "1e999"]
)
def test_numbers_json_cannot_hold(value: str, tmp_path: Path) -> None:
    data = yaml.safe_load(ARAZZO)
    data["x-number"] = "NUMBER"
    write_pair(tmp_path)  # for its OpenAPI document
    document = tmp_path / "flow.arazzo.json"
    document.write_text(json.dumps(data, indent=1).replace('"NUMBER"', value), encoding="utf-8")
    generate_bounded(document, tmp_path, "flow.arazzo.json:")


# --- duplicate keys ---------------------------------------------------------------


def test_duplicate_keys_in_yaml(tmp_path: Path) -> None:
    arazzo = ARAZZO.replace(
        "  - workflowId: read\n", "  - workflowId: read\n    workflowId: again\n"
    )
    document = write_pair(tmp_path, arazzo)
    generate_bounded(document, tmp_path, "flow.arazzo.yaml:7:5:", "duplicate key 'workflowId'")


def test_duplicate_keys_in_json(tmp_path: Path) -> None:
    write_pair(tmp_path)
    text = json.dumps(yaml.safe_load(ARAZZO), indent=2).replace(
        '"workflowId": "read",', '"workflowId": "read",\n      "workflowId": "again",'
    )
    document = tmp_path / "flow.arazzo.json"
    document.write_text(text, encoding="utf-8")
    line = text.splitlines().index('      "workflowId": "again",') + 1
    generate_bounded(document, tmp_path, f"flow.arazzo.json:{line}:", "duplicate key")


def test_duplicate_keys_in_the_openapi_document(tmp_path: Path) -> None:
    openapi = OPENAPI.replace("      operationId: getThing\n", "      operationId: getThing\n" * 2)
    document = write_pair(tmp_path, openapi=openapi)
    generate_bounded(document, tmp_path, "api.openapi.yaml:8:7:", "duplicate key 'operationId'")


# --- a large OpenAPI document -----------------------------------------------------

_BIG_PATH = """\
  /things{i}/{{thingId}}:
    get:
      operationId: getThing{i}
      summary: Read thing number {i}.
      parameters:
        - name: thingId
          in: path
          required: true
          schema: {{type: string}}
        - name: verbose
          in: query
          schema: {{type: boolean}}
      responses:
        "200":
          description: Thing {i}.
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/Thing{i}"}}
        "404":
          description: No such thing.
"""
_BIG_SCHEMA = (
    "    Thing{i}:\n      type: object\n      required: [id]\n      properties:\n"
    + "".join(
        f"        field{j}:\n          type: string\n"
        f"          description: Field {j} of thing number {{i}}, as text.\n"
        for j in range(12)
    )
    + "        id: {{type: string}}\n"
)


def big_openapi(operations: int) -> str:
    head = (
        'openapi: 3.1.0\ninfo: {title: Big, version: "1"}\nservers: [{url: "http://127.0.0.1:9"}]\n'
    )
    paths = "".join(_BIG_PATH.format(i=i) for i in range(operations))
    schemas = "".join(_BIG_SCHEMA.format(i=i) for i in range(operations))
    return head + "paths:\n" + paths + "components:\n  schemas:\n" + schemas


@pytest.fixture(scope="module")
def ten_megabytes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    text = big_openapi(5600)
    assert 9.5 * 2**20 < len(text) < 11 * 2**20, len(text)
    (folder / "api.openapi.yaml").write_text(text, encoding="utf-8")
    arazzo = ARAZZO.replace("operationId: getThing", "operationId: getThing5599").replace(
        "{name: id, in: path", "{name: thingId, in: path"
    )
    (folder / "flow.arazzo.yaml").write_text(arazzo, encoding="utf-8")
    return folder


_LOAD_AND_INDEX = """
import sys
from pathlib import Path
from generator.diagnostics import Diagnostics
from generator.load import Loader
from generator.spec.openapi import Resolver, _operations

path = Path(sys.argv[1])
diagnostics = Diagnostics()
loader = Loader(path.parent, diagnostics)
doc = loader.load(path)
assert doc is not None, [d.render() for d in diagnostics]
operations = list(_operations(doc, Resolver(loader), diagnostics))
assert len(operations) == int(sys.argv[2]) and not diagnostics.items
print(len(doc.marks))
"""


def test_a_ten_megabyte_openapi_document_loads_and_is_indexed_within_bounds(
    ten_megabytes: Path,
) -> None:
    # Reading, line and column marks for every node, and the operation index: the
    # stages arazzo-gen itself runs. (Before the loader was rewritten to build from
    # YAML events this took about 12 s and 430 MB.)
    command = [sys.executable, "-c", _LOAD_AND_INDEX, "api.openapi.yaml", "5600"]
    run = measured(command, ten_megabytes)
    print(f"measured: exit {run.exit_code}, {run.seconds:.2f} s, {run.rss_mb:.0f} MB")  # -rP
    assert run.exit_code == 0, run.describe()
    assert run.seconds < MAX_SECONDS_TEN_MEGABYTES, run.describe()
    assert run.rss_mb < MAX_RSS_MB, run.describe()


def test_a_ten_megabyte_openapi_document_validates_within_bounds(ten_megabytes: Path) -> None:
    # Validated whole, this document took 113 s and 250 MB (openapi-spec-validator 0.9
    # needs about 10 s per MB); above 512 KiB only the scope of each path item a step
    # calls is validated (generator/spec/validation.py).
    command = arazzo_gen("validate", "flow.arazzo.yaml")
    run = measured(command, ten_megabytes, hard_timeout=MAX_SECONDS_TEN_MEGABYTES + 5)
    print(f"measured: exit {run.exit_code}, {run.seconds:.2f} s, {run.rss_mb:.0f} MB")  # -rP
    assert run.exit_code == 0, run.describe()
    assert "1 workflow(s) valid" in run.stdout + run.stderr, run.describe()
    assert run.seconds < MAX_SECONDS_TEN_MEGABYTES, run.describe()
    assert run.rss_mb < MAX_RSS_MB, run.describe()


def test_a_large_document_still_reports_problems_in_what_steps_use(tmp_path: Path) -> None:
    """In scope: a bad schema the called operation reaches is an error at its line; a
    bad schema nothing reaches is not looked for (no AG204 for a large document)."""
    text = (
        big_openapi(60)
        .replace("    Thing59:\n      type: object\n", "    Thing59:\n      type: objekt\n")
        .replace("    Thing3:\n      type: object\n", "    Thing3:\n      type: objekt\n")
    )
    big = text + "".join(_BIG_SCHEMA.format(i=f"Padding{i}") for i in range(4000))
    assert len(big) > 512 * 1024 and big.count("objekt") == 2
    arazzo = ARAZZO.replace("operationId: getThing", "operationId: getThing59").replace(
        "{name: id, in: path", "{name: thingId, in: path"
    )
    document = write_pair(tmp_path, arazzo, big)
    result = compile_specs([document], render=False)
    found = [(d.code, d.span.line) for d in result.diagnostics]
    line = big.splitlines().index("    Thing59:") + 2  # its `type: objekt`
    # (the schema pass and the Schema Object check each say why)
    assert found and set(found) == {("AG202", line)}, [d.render() for d in result.diagnostics]


# --- a wrong type at every level of an Arazzo document -----------------------------

EVERY_FIELD = Path(__file__).resolve().parent / "fixtures" / "hostile" / "every-field.arazzo.yaml"

# Values of the wrong JSON type for each kind of field.
_WRONG: dict[str, list[Any]] = {
    "string": [7, ["x"], {"x": 1}, None, True],
    "object": ["x", [1], 7, None],
    "array": ["x", {"a": 1}, 7, None],
    "schema": ["x", [1], 7, None],
    "number": ["x", [1], None],
    "integer": ["x", 1.5, None],
    "expression": [7, {"a": 1}, None],
    "string or object": [7, ["x"], True],
}

_WF = "/workflows/0"
_STEP = f"{_WF}/steps/0"
# Every fixed field of every object of the Arazzo 1.0.1 specification, as used in
# every-field.arazzo.yaml: (JSON pointer, kind).
FIELDS: list[tuple[str, str]] = [
    ("", "object"),
    ("/arazzo", "string"),
    ("/info", "object"),
    ("/sourceDescriptions", "array"),
    ("/workflows", "array"),
    ("/components", "object"),
    # Info
    ("/info/title", "string"),
    ("/info/summary", "string"),
    ("/info/description", "string"),
    ("/info/version", "string"),
    # Source Description
    ("/sourceDescriptions/0", "object"),
    ("/sourceDescriptions/0/name", "string"),
    ("/sourceDescriptions/0/url", "string"),
    ("/sourceDescriptions/0/type", "string"),
    # Workflow
    (_WF, "object"),
    (f"{_WF}/workflowId", "string"),
    (f"{_WF}/summary", "string"),
    (f"{_WF}/description", "string"),
    (f"{_WF}/inputs", "schema"),
    (f"{_WF}/dependsOn", "array"),
    (f"{_WF}/dependsOn/0", "string"),
    (f"{_WF}/steps", "array"),
    (f"{_WF}/successActions", "array"),
    (f"{_WF}/failureActions", "array"),
    (f"{_WF}/outputs", "object"),
    (f"{_WF}/outputs/thingId", "expression"),
    (f"{_WF}/parameters", "array"),
    # Parameter, and a Reusable Object in a parameter list
    (f"{_WF}/parameters/0", "object"),
    (f"{_WF}/parameters/0/name", "string"),
    (f"{_WF}/parameters/0/in", "string"),
    (f"{_WF}/parameters/1", "object"),
    (f"{_WF}/parameters/1/reference", "string"),
    # Success and Failure Action Objects (and Reusable ones) at the workflow level
    (f"{_WF}/successActions/0", "object"),
    (f"{_WF}/successActions/0/name", "string"),
    (f"{_WF}/successActions/0/type", "string"),
    (f"{_WF}/successActions/1/reference", "string"),
    (f"{_WF}/failureActions/0", "object"),
    (f"{_WF}/failureActions/0/name", "string"),
    (f"{_WF}/failureActions/0/type", "string"),
    (f"{_WF}/failureActions/1/reference", "string"),
    # Step
    (_STEP, "object"),
    (f"{_STEP}/stepId", "string"),
    (f"{_STEP}/description", "string"),
    (f"{_STEP}/operationId", "string"),
    (f"{_WF}/steps/1/operationPath", "string"),
    (f"{_WF}/steps/2/workflowId", "string"),
    (f"{_WF}/steps/1/parameters", "array"),
    (f"{_WF}/steps/1/parameters/0", "object"),
    (f"{_WF}/steps/1/parameters/0/name", "string"),
    (f"{_WF}/steps/1/parameters/0/in", "string"),
    (f"{_STEP}/requestBody", "object"),
    (f"{_STEP}/successCriteria", "array"),
    (f"{_STEP}/onSuccess", "array"),
    (f"{_STEP}/onFailure", "array"),
    (f"{_STEP}/outputs", "object"),
    (f"{_STEP}/outputs/thingId", "expression"),
    # Request Body and Payload Replacement
    (f"{_STEP}/requestBody/contentType", "string"),
    (f"{_STEP}/requestBody/replacements", "array"),
    (f"{_STEP}/requestBody/replacements/0", "object"),
    (f"{_STEP}/requestBody/replacements/0/target", "string"),
    # Criterion and Criterion Expression Type
    (f"{_STEP}/successCriteria/0", "object"),
    (f"{_STEP}/successCriteria/0/condition", "string"),
    (f"{_STEP}/successCriteria/1/context", "string"),
    (f"{_STEP}/successCriteria/1/type", "string or object"),
    (f"{_STEP}/successCriteria/1/type/type", "string"),
    (f"{_STEP}/successCriteria/1/type/version", "string"),
    # Success Action
    (f"{_STEP}/onSuccess/0", "object"),
    (f"{_STEP}/onSuccess/0/name", "string"),
    (f"{_STEP}/onSuccess/0/type", "string"),
    (f"{_STEP}/onSuccess/0/stepId", "string"),
    (f"{_STEP}/onSuccess/1/workflowId", "string"),
    (f"{_STEP}/onSuccess/0/criteria", "array"),
    (f"{_STEP}/onSuccess/0/criteria/0", "object"),
    # Failure Action
    (f"{_STEP}/onFailure/0", "object"),
    (f"{_STEP}/onFailure/0/name", "string"),
    (f"{_STEP}/onFailure/0/type", "string"),
    (f"{_STEP}/onFailure/0/retryAfter", "number"),
    (f"{_STEP}/onFailure/0/retryLimit", "integer"),
    (f"{_STEP}/onFailure/0/criteria", "array"),
    (f"{_STEP}/onFailure/1/stepId", "string"),
    (f"{_STEP}/onFailure/2/workflowId", "string"),
    # Components
    ("/components/inputs", "object"),
    ("/components/inputs/thing", "schema"),
    ("/components/parameters", "object"),
    ("/components/parameters/trace", "object"),
    ("/components/parameters/trace/name", "string"),
    ("/components/parameters/trace/in", "string"),
    ("/components/successActions", "object"),
    ("/components/successActions/finish", "object"),
    ("/components/successActions/finish/name", "string"),
    ("/components/successActions/finish/type", "string"),
    ("/components/failureActions", "object"),
    ("/components/failureActions/giveUp", "object"),
    ("/components/failureActions/giveUp/name", "string"),
    ("/components/failureActions/giveUp/type", "string"),
]


def _set(data: Any, pointer: str, value: Any) -> Any:
    """`data` with the value at `pointer` replaced (the root itself for "")."""
    if not pointer:
        return value
    *parents, last = split_pointer(pointer)
    node = data
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        assert last in node, pointer
        node[last] = value
    return data


@pytest.fixture(scope="module")
def every_field() -> Any:
    return yaml.safe_load(EVERY_FIELD.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("pointer", "kind"), FIELDS, ids=[p or "/" for p, _ in FIELDS])
def test_a_wrong_type_is_reported_at_the_field(
    pointer: str, kind: str, every_field: Any, tmp_path: Path
) -> None:
    shutil.copy(EVERY_FIELD.parent / "api.openapi.yaml", tmp_path / "api.openapi.yaml")
    for number, wrong in enumerate(_WRONG[kind]):
        data = _set(copy.deepcopy(every_field), pointer, wrong)
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=1000)
        document = tmp_path / f"wrong{number}.arazzo.yaml"
        document.write_text(text, encoding="utf-8")
        line = parse_text(text, is_json=False)[1][pointer][0]
        result = compile_specs([document], render=False)  # must not raise
        errors = [
            d
            for d in result.diagnostics
            if d.level is Level.ERROR and d.span.file.endswith(document.name)
        ]
        assert any(
            d.span.line == line for d in errors
        ), f"{pointer} = {wrong!r} (line {line}): " + "; ".join(
            d.render().splitlines()[0] for d in errors
        )


# --- the loader itself: limits and equivalence with PyYAML's safe loader ----------


def _plain(value: Any) -> Any:
    """What `yaml.safe_load` gives, as the loader's JSON-like data (keys as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        pytest.skip("dates stay text in the loader's data")
    return value


def _pointers(value: Any, pointer: str = "") -> Iterator[str]:
    yield pointer
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _pointers(item, join_pointer(pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _pointers(item, join_pointer(pointer, index))


_YAML_FILES = sorted(
    p
    for folder in (REPO / "specs", REPO / "tests" / "fixtures")
    for p in folder.rglob("*.y*ml")
    if "invalid" not in p.parts and "malformed" not in p.name
)


@pytest.mark.parametrize("path", _YAML_FILES, ids=[p.name for p in _YAML_FILES])
def test_the_loader_reads_what_the_safe_loader_reads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        pytest.skip("not YAML")
    data, marks = parse_text(text, is_json=False)
    assert data == _plain(expected)
    assert set(_pointers(data)) <= set(marks)  # every node has a line and column


def test_aliases_are_copied_with_the_anchors_marks() -> None:
    text = "a: &x {k: [1, 2]}\nb: *x\nc: [*x, &y s, *y]\nd: {*y : 1}\n"
    data, marks = parse_text(text, is_json=False)
    assert data == {
        "a": {"k": [1, 2]},
        "b": {"k": [1, 2]},
        "c": [{"k": [1, 2]}, "s", "s"],
        "d": {"s": 1},
    }
    assert data["b"] is not data["a"]  # copies: nothing later can change both
    assert marks["/b/k/1"] == marks["/a/k/1"] == (1, 15)
    assert marks["/c/0/k"] == (1, 11)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: &x [1, *x]\n", "recursive YAML alias", 1),
        ("a: *nope\n", "undefined alias", 1),
        ("a: &x 1\nb: &x 2\n", "duplicate YAML anchor", 2),
        ("a: &x [1]\nb: {*x : 1}\n", "mapping keys must be plain scalars", 1),
        ("a: 1\n---\nb: 2\n", "malformed YAML", 2),
        ("a: " + "9" * 1001 + "\n", "integer longer than", 1),
        ("a: 1" + ":00" * 500 + "\n", "integer longer than", 1),
        ("a: .nan\n", "not a JSON number", 1),
        ("a:\n  b: -.inf\n", "not a JSON number", 2),
        ("? " + "1" * 2000 + "\n: x\n", "integer longer than", 1),
    ],
)
def test_the_loader_refuses(text: str, message: str, line: int) -> None:
    with pytest.raises(LoadError) as refused:
        parse_text(text, is_json=False)
    assert message in refused.value.message
    assert refused.value.line == line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": [-Infinity]}', "-Infinity is not a JSON number"),
        ('{"a": 1e400}', "too large"),
        ('{"a": ' + "1" * 1001 + "}", "integer longer than"),
        ('{"' + "k" * 1100 + '": ' + "[" * 150 + "]" * 150 + "}", "nesting deeper than"),
    ],
)
def test_the_loader_refuses_json(text: str, message: str) -> None:
    with pytest.raises(LoadError) as refused:
        parse_text(text, is_json=True)
    assert message in refused.value.message


def test_a_duplicate_json_key_is_reported_where_it_is() -> None:
    with pytest.raises(LoadError) as refused:
        parse_text('{\n  "a": 1,\n  "b": {"c": 1,\n        "c": 2}\n}\n', is_json=True)
    assert "duplicate key 'c'" in refused.value.message
    assert (refused.value.line, refused.value.col) == (4, 9)


def test_json_too_deep_for_yaml_keeps_its_position() -> None:
    text = '{"a":\n ' + "[" * 150 + "]" * 150 + "}"
    with pytest.raises(LoadError) as refused:
        parse_text(text, is_json=True)
    assert "nesting deeper than" in refused.value.message and refused.value.line == 2


def test_a_long_chain_of_refs_in_arazzo_inputs_is_followed_once(tmp_path: Path) -> None:
    # 20,000 inputs each a $ref to the next: checking each chain from every link
    # separately would take 200 million steps.
    count = 20_000
    links = "".join(f"    c{i}: {{$ref: '#/components/inputs/c{i + 1}'}}\n" for i in range(count))
    links += f"    c{count}: {{$ref: '#/components/inputs/nowhere'}}\n"
    arazzo = ARAZZO.replace(
        "    inputs:\n      type: object\n      required: [id]\n"
        "      properties:\n        id: {type: string}\n",
        "    inputs: {$ref: '#/components/inputs/c0'}\n",
    )
    document = write_pair(tmp_path, arazzo + "components:\n  inputs:\n" + links)
    generate_bounded(document, tmp_path, "points to nothing")


def test_many_diagnostics_on_a_large_document_are_reported_in_bounded_time(
    tmp_path: Path,
) -> None:
    unknown = "".join(f"    field{i}: {i}\n" for i in range(20_000))  # AG104 warnings
    arazzo = ARAZZO.replace("  - workflowId: read\n", "  - workflowId: read\n" + unknown)
    document = write_pair(tmp_path, arazzo)
    run = measured(arazzo_gen("validate", document), tmp_path, hard_timeout=MAX_SECONDS + 1)
    assert_in_bounds(run)
