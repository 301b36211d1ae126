"""Repairs of non-standard forms real documents use, where the meaning is unambiguous:
each compiles with a warning at its file:line:col naming what to write instead, and the
generated module does exactly that meaning (over real HTTP, sync and async).

* AG205: a `$ref` that points to nothing in a response schema (it only types outputs);
* AG410: `$.length >= 2` on a value the OpenAPI document types as an array;
* AG423: plain text as a workflow output;
* AG424: `$workflows.X.outputs.y` in a workflow that does not list X in dependsOn;
* AG425: `inputs: {$ref: '#/components/inputs/x'}` where that schema is a string, read
  with `$inputs.x`;
* AG426: a path parameter `order_id` where the path has `{orderId}` and the step gives it
  no value (the same name but for case, `_` and `-`).

The forms that stay ambiguous stay errors (see also tests/test_leniency.py).

Fixture: `tests/fixtures/lenient/repairs.arazzo.yaml` (+ `repairs.openapi.yaml`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from scripted_server import ScriptedServer, reply
from typecheck import assert_mypy_strict
from workflow_runner import run_workflow as run

from generator import ir
from generator.build.criteria import compile_criterion
from generator.diagnostics import Diagnostics, Level, Span
from generator.pipeline import Result, compile_specs
from generator.spec.arazzo import Criterion
from generator.write import write_tree

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lenient" / "repairs.arazzo.yaml"
ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


@pytest.fixture(scope="module")
def compiled() -> Result:
    return compile_specs([FIXTURE])


def warnings(result: Result, code: str) -> list[tuple[str, int, int, str, str]]:
    return [
        (d.span.file, d.span.line, d.span.col, d.message, d.hint)
        for d in result.diagnostics.sorted()
        if d.code == code
    ]


def test_the_repairs_compile_with_warnings_only(compiled: Result) -> None:
    assert compiled.diagnostics.error_count == 0, [
        d.render() for d in compiled.diagnostics if d.level is Level.ERROR
    ]
    assert sorted(d.code for d in compiled.diagnostics) == [
        "AG205",
        "AG205",
        "AG410",
        "AG423",
        "AG424",
        "AG425",
        "AG426",
    ]
    workflows = sorted(w.workflow_id for w in compiled.workflows)
    assert workflows == ["greet", "list-orders", "show-order", "summarize"]


def test_dangling_refs_in_a_response_schema_are_warnings_at_the_ref(compiled: Result) -> None:
    message = (
        "$ref '#/components/schemas/{}' points to nothing; it is in a response schema of "
        "GET /orders, so what step outputs read through it is typed Any"
    )
    hint = "fix the $ref; a response schema only types outputs, so generation goes on"
    assert warnings(compiled, "AG205") == [
        ("repairs.openapi.yaml", 23, 23, message.format("Order"), hint),
        ("repairs.openapi.yaml", 27, 21, message.format("Owner"), hint),
    ]
    listing = next(w for w in compiled.workflows if w.workflow_id == "list-orders")
    first, total = listing.steps[0].outputs
    # read through the missing Order schema: Any, and not required to be there
    assert (first.type.annotation(), first.required) == ("Any", False)
    assert (total.type.annotation(), total.required) == ("int", True)


def test_length_of_an_array_is_an_rfc9535_query(compiled: Result) -> None:
    assert warnings(compiled, "AG410") == [
        (
            "repairs.arazzo.yaml",
            17,
            25,
            "'$.length >= 2' is not an RFC 9535 JSONPath query (a comparison outside a "
            "filter); the OpenAPI document types $response.body#/orders as an array, so "
            "'.length' is its length: compiled as the RFC 9535 query '$[?length($) >= 2]'",
            "write '$[?length($) >= 2]'",
        )
    ]
    criterion = next(w for w in compiled.workflows if w.workflow_id == "list-orders")
    compiled_query = criterion.steps[0].success_criteria[1]
    assert isinstance(compiled_query, ir.QueryCriterion)
    assert (compiled_query.kind, compiled_query.query) == ("jsonpath", "$[?length($) >= 2]")


def test_plain_text_output_and_implicit_dependency_warnings(compiled: Result) -> None:
    assert warnings(compiled, "AG423") == [
        (
            "repairs.arazzo.yaml",
            25,
            14,
            "output 'state' is the text 'Done', not a runtime expression; it is that text "
            "on every run",
            "outputs are runtime expressions ('$steps.<id>.outputs.<name>', '$inputs.<name>', "
            "...); a text that does not depend on the run has no standard form: compute the "
            "output from the run or leave it out",
        )
    ]
    assert warnings(compiled, "AG424") == [
        (
            "repairs.arazzo.yaml",
            35,
            14,
            "'$workflows.list-orders.outputs.first' reads workflow 'list-orders', which "
            "workflow 'summarize' does not list in dependsOn; read as depending on it: "
            "'list-orders' runs first, with the inputs of the same names",
            "add it: dependsOn: [list-orders]",
        )
    ]
    summarize = next(w for w in compiled.workflows if w.workflow_id == "summarize")
    assert [c.workflow_id for c in summarize.depends_on] == ["list-orders"]


def test_an_inputs_schema_that_is_not_an_object_is_one_named_input(compiled: Result) -> None:
    ref = "#/components/inputs/greeting"
    assert warnings(compiled, "AG425") == [
        (
            "repairs.arazzo.yaml",
            38,
            7,
            f"the inputs schema {ref!r} is a string, not an object; read as one input "
            "'greeting' of that schema",
            f"write inputs: {{type: object, properties: {{greeting: {{$ref: '{ref}'}}}}}}",
        )
    ]
    greet = next(w for w in compiled.workflows if w.workflow_id == "greet")
    (greeting,) = greet.inputs
    assert (greeting.name, greeting.type.annotation(), greeting.required) == (
        "greeting",
        "str",
        False,
    )
    assert greeting.description == "The text to send."


def test_a_path_parameter_spelled_another_way_is_the_one_in_the_path(compiled: Result) -> None:
    assert warnings(compiled, "AG426") == [
        (
            "repairs.arazzo.yaml",
            57,
            13,
            "GET /orders/{orderId} declares no path parameter 'order_id'; read as "
            "'orderId', which is in its path and which the step gives no value for",
            "write name: orderId",
        )
    ]
    show = next(w for w in compiled.workflows if w.workflow_id == "show-order")
    assert [(p.name, p.location) for p in show.steps[0].params] == [("orderId", "path")]


def test_the_repaired_modules_pass_mypy_strict(compiled: Result, tmp_path: Path) -> None:
    write_tree(tmp_path / "repairs_out", compiled.files)
    assert_mypy_strict(tmp_path / "repairs_out")


# --- behaviour --------------------------------------------------------------------


@pytest.fixture
def modules(compile_workflows: Callable[[Path], dict[str, ModuleType]]) -> dict[str, ModuleType]:
    return compile_workflows(FIXTURE)


ORDERS = {"orders": [{"id": "o-1"}, {"id": "o-2", "note": 7}], "total": 2, "owner": "ann"}


@ASYNC
def test_outputs_through_a_missing_schema_and_a_constant_output(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    with ScriptedServer({"/orders": [reply(200, ORDERS)]}) as server:
        outputs = run(modules["list_orders"], "list_orders", is_async, base_url=server.base_url)
    assert outputs == {"first": "o-1", "total": 2, "state": "Done"}
    assert server.paths() == ["/orders"]


@ASYNC
def test_a_value_the_missing_schema_would_describe_may_be_absent(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    """`first` is read through the missing Order schema: nothing says it is required."""
    body = {"orders": [{"name": "no id"}, {"name": "other"}], "total": 2}
    with ScriptedServer({"/orders": [reply(200, body)]}) as server:
        outputs = run(modules["list_orders"], "list_orders", is_async, base_url=server.base_url)
    assert outputs == {"first": None, "total": 2, "state": "Done"}


@ASYNC
@pytest.mark.parametrize(
    ("orders", "holds"),
    [([], False), ([{"id": "a"}], False), ([{"id": "a"}, {"id": "b"}], True)],
    ids=["empty", "one", "two"],
)
def test_the_length_criterion_counts_the_array(
    modules: dict[str, ModuleType], is_async: bool, orders: list[Any], holds: bool
) -> None:
    module = modules["list_orders"]
    body = {"orders": orders, "total": len(orders)}
    with ScriptedServer({"/orders": [reply(200, body)]}) as server:
        if holds:
            outputs = run(module, "list_orders", is_async, base_url=server.base_url)
            assert outputs["first"] == "a"
        else:
            with pytest.raises(module.StepFailedError) as caught:
                run(module, "list_orders", is_async, base_url=server.base_url)
            assert "$.length >= 2" in str(caught.value)
    assert server.paths() == ["/orders"]


@ASYNC
def test_a_workflow_output_read_without_depends_on_runs_that_workflow_first(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    script = {"/orders": [reply(200, ORDERS)], "/summary?first=o-1": [reply(200)]}
    with ScriptedServer(script) as server:
        outputs = run(modules["summarize"], "summarize", is_async, base_url=server.base_url)
    assert server.paths() == ["/orders", "/summary?first=o-1"]
    assert outputs == {"first": "o-1"}


@ASYNC
def test_the_named_input_is_sent_and_returned(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    with ScriptedServer({"/summary?first=hi": [reply(200)]}) as server:
        outputs = run(modules["greet"], "greet", is_async, greeting="hi", base_url=server.base_url)
    assert server.paths() == ["/summary?first=hi"]
    assert outputs == {"greeting": "hi"}


@ASYNC
def test_the_renamed_path_parameter_fills_the_path(
    modules: dict[str, ModuleType], is_async: bool
) -> None:
    with ScriptedServer({"/orders/o%2F1": [reply(200)]}) as server:
        outputs = run(
            modules["show_order"], "show_order", is_async, id="o/1", base_url=server.base_url
        )
    assert server.paths() == ["/orders/o%2F1"]
    assert outputs == {"sent": "o/1"}


# --- what stays an error ------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # two names that could be it
        (
            "            value: $inputs.id\n",
            "            value: $inputs.id\n          - {name: Order-Id, in: path, value: x}\n",
        ),
        # not a path parameter
        (
            "            in: path\n            value: $inputs.id",
            "            in: query\n            value: $inputs.id",
        ),
        # not the same name
        ("          - name: order_id", "          - name: order_ids"),
    ],
    ids=["two-candidates", "in-query", "other-name"],
)
def test_a_missing_path_parameter_is_not_guessed_otherwise(
    tmp_path: Path, old: str, new: str
) -> None:
    for name in ("repairs.arazzo.yaml", "repairs.openapi.yaml"):
        text = (FIXTURE.parent / name).read_text()
        (tmp_path / name).write_text(
            text.replace(old, new) if name.endswith("arazzo.yaml") else text
        )
    assert old in (FIXTURE.parent / "repairs.arazzo.yaml").read_text()
    result = compile_specs([tmp_path / "repairs.arazzo.yaml"], render=False)
    errors = [(d.code, d.message) for d in result.diagnostics.sorted() if d.level is Level.ERROR]
    assert errors == [
        (
            "AG311",
            "step 'show' gives no value for path parameter 'orderId' of GET /orders/{orderId}",
        )
    ]
    assert "AG426" not in {d.code for d in result.diagnostics}


ARRAY = ("data",)


@pytest.mark.parametrize(
    ("condition", "query", "array"),
    [
        ("$.length == 5", "$[?length($) == 5]", ARRAY),
        ("$.length >= 1", "$[?length($) >= 1]", ARRAY),
        ("$.length > 0", "$[?length($) > 0]", ARRAY),
        ("$.items[0].length == 2", "$.items[0][?length($.items[0]) == 2]", (*ARRAY, "items", "0")),
        # the query selects the array's items, so it is exact only where the
        # comparison needs at least one: these stay errors
        ("$.length == 0", None, None),
        ("$.length < 5", None, None),
        ("$.length <= 5", None, None),
        ("$.length != 5", None, None),
        ("$.length >= 0", None, None),
        ("$.length == 'five'", None, None),
    ],
)
def test_which_length_comparisons_are_compiled(
    condition: str, query: str | None, array: tuple[str, ...] | None
) -> None:
    criterion = Criterion(condition, "$response.body#/data", "jsonpath", "/c")
    diagnostics = Diagnostics()
    paths: list[tuple[str, ...]] = []

    def arrays(path: tuple[str, ...]) -> bool:
        paths.append(path)
        return True

    found = compile_criterion(criterion, Span("f.yaml"), diagnostics, arrays=arrays)
    if query is None:
        assert found is None
        assert [d.code for d in diagnostics] == ["AG413"]
    else:
        assert isinstance(found, ir.QueryCriterion) and found.query == query
        assert [d.code for d in diagnostics] == ["AG410"]
        assert paths == [array]


def test_length_stays_an_error_unless_the_schema_says_array() -> None:
    criterion = Criterion("$.length == 5", "$response.body#/data", "jsonpath", "/c")
    for arrays in (None, lambda path: False):
        diagnostics = Diagnostics()
        found = compile_criterion(criterion, Span("f.yaml"), diagnostics, arrays=arrays)
        assert found is None
        assert [d.code for d in diagnostics] == ["AG413"]
    # a context that is not the response body: its type is not known from a schema
    other = Criterion("$.length == 5", "$inputs.items", "jsonpath", "/c")
    diagnostics = Diagnostics()
    assert compile_criterion(other, Span("f.yaml"), diagnostics, arrays=lambda p: True) is None
    assert [d.code for d in diagnostics] == ["AG413"]


def test_an_output_holding_a_dollar_stays_an_expression_error(tmp_path: Path) -> None:
    for name in ("repairs.arazzo.yaml", "repairs.openapi.yaml"):
        text = (FIXTURE.parent / name).read_text()
        (tmp_path / name).write_text(text.replace("state: Done", "state: costs $5"))
    result = compile_specs([tmp_path / "repairs.arazzo.yaml"], render=False)
    errors = [
        (d.code, d.span.line, d.message)
        for d in result.diagnostics.sorted()
        if d.level is Level.ERROR
    ]
    assert errors == [
        ("AG400", 25, "invalid runtime expression 'costs $5': a runtime expression must "
         "start with '$'"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # no component name to read it by
        (
            '    inputs:\n      $ref: "#/components/inputs/greeting"\n',
            "    inputs: {type: string}\n",
        ),
        # an object with no properties: no input at all
        (
            "      type: string\n      description: The text",
            "      type: object\n      description: x",
        ),
    ],
    ids=["inline", "object"],
)
def test_other_inputs_schemas_without_properties_stay_errors(
    tmp_path: Path, old: str, new: str
) -> None:
    for name in ("repairs.arazzo.yaml", "repairs.openapi.yaml"):
        text = (FIXTURE.parent / name).read_text()
        (tmp_path / name).write_text(text.replace(old, new))
    result = compile_specs([tmp_path / "repairs.arazzo.yaml"], render=False)
    errors = [(d.code, d.message) for d in result.diagnostics.sorted() if d.level is Level.ERROR]
    assert [code for code, _ in errors] == ["AG607", "AG607"], errors
    assert "names undeclared input 'greeting'" in errors[0][1]
    assert "AG425" not in {d.code for d in result.diagnostics}
