"""Real-world leniency: non-standard forms with one meaning compile, each with a warning
at its line and column that names the standard form; ambiguous ones stay errors.

Also the rule for invalid OpenAPI documents: a problem blocks generation (AG202, AG203)
only in what arazzo-gen reads for a step; elsewhere it is warning AG204.

Fixtures: `tests/fixtures/lenient/`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typecheck import assert_mypy_strict

from generator import ir
from generator.diagnostics import Level
from generator.expressions import unparse
from generator.pipeline import Result, compile_specs
from generator.write import write_tree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lenient"


def compiled(name: str, render: bool = False) -> Result:
    return compile_specs([FIXTURES / name], render=render)


def found(result: Result, code: str) -> list[tuple[str, int, int, str, str]]:
    """(file, line, col, message, hint) of each diagnostic with `code`, in order."""
    return [
        (d.span.file, d.span.line, d.span.col, d.message, d.hint)
        for d in result.diagnostics.sorted()
        if d.code == code
    ]


def levels(result: Result) -> dict[str, set[Level]]:
    by_code: dict[str, set[Level]] = {}
    for d in result.diagnostics:
        by_code.setdefault(d.code, set()).add(d.level)
    return by_code


def workflow(result: Result, workflow_id: str) -> ir.Workflow:
    return next(w for w in result.workflows if w.workflow_id == workflow_id)


def step(flow: ir.Workflow, step_id: str) -> ir.Step:
    return next(s for s in flow.steps if s.step_id == step_id)


def outputs(owner: ir.Workflow | ir.Step) -> dict[str, str]:
    return {o.name: unparse(o.value) for o in owner.outputs}


# --- runtime expressions ----------------------------------------------------------


@pytest.fixture(scope="module")
def expressions() -> Result:
    return compiled("expressions.arazzo.yaml", render=True)


def test_the_expression_fixture_compiles_with_warnings_only(expressions: Result) -> None:
    assert expressions.diagnostics.error_count == 0, [
        d.render() for d in expressions.diagnostics if d.level is Level.ERROR
    ]
    assert sorted(w.workflow_id for w in expressions.workflows) == [
        "Odd Name",
        "read-items",
        "wraps",
    ]
    assert all(found == {Level.WARNING} for found in levels(expressions).values())


def test_response_body_dot_and_slash_paths(expressions: Result) -> None:
    file = "expressions.arazzo.yaml"
    hint = "a path into the response body is a JSON pointer after '#': write "
    assert [f for f in found(expressions, "AG420") if "$response.body" in f[3]] == [
        (
            file,
            24,
            24,
            "non-standard runtime expression '$response.body.data.kind'; "
            "read as '$response.body#/data/kind'",
            hint + "'$response.body#/data/kind'",
        ),
        (
            file,
            29,
            17,
            "non-standard runtime expression '$response.body.data'; read as '$response.body#/data'",
            hint + "'$response.body#/data'",
        ),
        (
            file,
            30,
            18,
            "non-standard runtime expression '$response.body/data/items/0/id'; "
            "read as '$response.body#/data/items/0/id'",
            hint + "'$response.body#/data/items/0/id'",
        ),
    ]
    listing = step(workflow(expressions, "read-items"), "list")
    assert outputs(listing) == {
        "data": "$response.body#/data",
        "first": "$response.body#/data/items/0/id",
    }
    assert unparse(listing.success_criteria[0].condition) == "$response.body#/data/kind == 'full'"


def test_steps_without_outputs_and_dotted_output_paths(expressions: Result) -> None:
    warnings = [f for f in found(expressions, "AG420") if "$steps" in f[3]]
    assert [(line, col, message) for _, line, col, message, _ in warnings] == [
        (
            36,
            20,
            "non-standard runtime expression '$steps.list.outputs.data.items[0].id'; "
            "read as '$steps.list.outputs.data#/items/0/id'",
        ),
        (
            40,
            14,
            "non-standard runtime expression '$steps.get.token'; "
            "read as '$steps.get.outputs.token'",
        ),
        (
            41,
            14,
            "non-standard runtime expression '$steps.list.first'; "
            "read as '$steps.list.outputs.first'",
        ),
        (
            47,
            14,
            "'$steps.run.outputs.token': step 'run' declares no output 'token'; "
            "read as the output 'token' of the workflow it runs ('read-items')",
        ),
    ]
    assert warnings[0][4] == (
        "step 'list' defines output 'data', not 'data.items[0].id', and a path into an "
        "output is a JSON pointer after '#': write '$steps.list.outputs.data#/items/0/id'"
    )
    assert warnings[3][4] == "declare it on the step: outputs: {token: $outputs.token}"
    read_items = workflow(expressions, "read-items")
    value = step(read_items, "get").params[0].value
    assert unparse(value) == "$steps.list.outputs.data#/items/0/id"  # type: ignore[arg-type]
    assert outputs(read_items) == {
        "token": "$steps.get.outputs.token",
        "first": "$steps.list.outputs.first",
    }
    wraps = workflow(expressions, "wraps")
    assert outputs(step(wraps, "run")) == {"token": "$outputs.token"}
    assert outputs(wraps) == {"token": "$steps.run.outputs.token"}


def test_double_quoted_strings_in_conditions(expressions: Result) -> None:
    assert found(expressions, "AG421") == [
        (
            "expressions.arazzo.yaml",
            24,
            52,
            "string literal \"full\" in double quotes; read as 'full'",
            "strings in conditions use single quotes: write 'full'",
        )
    ]


def test_an_expression_inside_literal_text_is_sent_as_text(expressions: Result) -> None:
    assert found(expressions, "AG422") == [
        (
            "expressions.arazzo.yaml",
            22,
            27,
            "'$inputs.token' in 'Bearer $inputs.token' is literal text, not a runtime "
            "expression: it is sent as written",
            "to send its value, embed it: 'Bearer {$inputs.token}'",
        )
    ]
    header = step(workflow(expressions, "read-items"), "list").params[0]
    assert header.value == ir.Const("Bearer $inputs.token")


def test_an_anchored_javascript_regex_literal_is_translated(expressions: Result) -> None:
    assert found(expressions, "AG417") == [
        (
            "expressions.arazzo.yaml",
            26,
            24,
            "regex '/^[a-z]+$/i' is a JavaScript regex literal; read as '(?i)^[a-z]+$' "
            "(as text, its anchors between the slashes could never match)",
            "write the bare pattern with inline flags: '(?i)^[a-z]+$'",
        )
    ]
    criterion = step(workflow(expressions, "read-items"), "list").success_criteria[1]
    assert isinstance(criterion, ir.QueryCriterion)
    assert (criterion.kind, criterion.query) == ("regex", "(?i)^[a-z]+$")


def test_ids_outside_the_recommended_characters(expressions: Result) -> None:
    assert [(line, col, message) for _, line, col, message, _ in found(expressions, "AG114")] == [
        (
            48,
            17,
            "workflowId 'Odd Name' does not match [A-Za-z0-9_\\-]+, which the "
            "specification recommends; it is used as it is",
        ),
        (
            50,
            17,
            "stepId 'health check' does not match [A-Za-z0-9_\\-]+, which the "
            "specification recommends; it is used as it is",
        ),
    ]


def test_the_lenient_modules_pass_mypy_strict(expressions: Result, tmp_path: Path) -> None:
    write_tree(tmp_path / "lenient_out", expressions.files)
    assert_mypy_strict(tmp_path / "lenient_out")


# --- operations -------------------------------------------------------------------


def test_operation_reference_shorthands() -> None:
    result = compiled("operations.arazzo.yaml")
    assert result.diagnostics.error_count == 0
    file = "operations.arazzo.yaml"
    assert found(result, "AG307") == [
        (
            file,
            13,
            24,
            "operationPath 'api#/paths/~1items/get' names its source without a runtime "
            "expression; read as '{$sourceDescriptions.api.url}#/paths/~1items/get'",
            "write '{$sourceDescriptions.api.url}#/paths/~1items/get'",
        ),
        (
            file,
            15,
            24,
            "operationPath '$sourceDescriptions.api.url#/paths/~1items~1{id}/get' names its "
            "source without a runtime expression; read as "
            "'{$sourceDescriptions.api.url}#/paths/~1items~1{id}/get'",
            "write '{$sourceDescriptions.api.url}#/paths/~1items~1{id}/get'",
        ),
    ]
    assert found(result, "AG308") == [
        (
            file,
            21,
            22,
            "operationId 'api.createItem' names no operation; read as "
            "'$sourceDescriptions.api.createItem' (source 'api', operationId 'createItem')",
            "write '$sourceDescriptions.api.createItem': '<source>.<operationId>' is a "
            "Redocly shorthand, not Arazzo",
        )
    ]
    assert found(result, "AG309") == [
        (
            file,
            25,
            24,
            "operationPath '{$sourceDescriptions.api.url}#/paths/~1health' points at a path "
            "item, not an operation; read as its only operation, GET /health",
            "append the method: '{$sourceDescriptions.api.url}#/paths/~1health/get'",
        )
    ]
    steps = workflow(result, "references").steps
    assert [(s.method, s.path) for s in steps] == [
        ("GET", "/items"),
        ("GET", "/items/{id}"),
        ("POST", "/items"),
        ("GET", "/health"),
    ]


def test_an_unqualified_operation_id_with_several_sources() -> None:
    result = compiled("two-sources.arazzo.yaml")
    assert result.diagnostics.error_count == 0
    assert found(result, "AG308") == [
        (
            "two-sources.arazzo.yaml",
            16,
            22,
            "operationId 'health' is not qualified although this document has several "
            "OpenAPI sources; read as '$sourceDescriptions.api.health', the only one "
            "declaring it",
            "write '$sourceDescriptions.api.health': with several sources the "
            "specification requires the qualified form",
        )
    ]


def test_ambiguous_forms_stay_errors() -> None:
    result = compiled("errors.arazzo.yaml")
    errors = [
        (d.code, d.span.line, d.span.col, d.message)
        for d in result.diagnostics.sorted()
        if d.level is Level.ERROR
    ]
    assert [e[:3] for e in errors] == [
        ("AG400", 17, 21),
        ("AG413", 22, 25),
        ("AG304", 27, 24),
        ("AG303", 29, 24),
        ("AG300", 31, 22),
        ("AG400", 33, 35),
    ]
    assert "($faker is Redocly's test-data generator, not Arazzo" in errors[0][3]
    assert errors[1][3] == (
        "'$.length == 5' is not an RFC 9535 JSONPath query, and its '.length' is ambiguous: "
        "the length of an array (as in JavaScript) or a member named 'length'"
    )
    assert errors[2][3] == (
        "operationPath pointer '/paths/~1items' does not point to an operation: "
        "it is a path item with several (get, post)"
    )
    hint = next(d.hint for d in result.diagnostics if d.code == "AG303")
    assert hint == (
        "'POST /items' is a method and a path, not a JSON pointer; write "
        "'{$sourceDescriptions.api.url}#/paths/~1items/post'"
    )
    assert (
        errors[5][3]
        == "invalid runtime expression '$steps.list.nothing': expected '.' after 'nothing'"
    )
    assert not found(result, "AG420")  # nothing was guessed
    assert result.workflows == []


# --- invalid OpenAPI documents: what the workflow reads decides ------------------------


def _problems(result: Result) -> list[tuple[str, str, int, int, str]]:
    return [
        (d.code, str(d.level), d.span.line, d.span.col, d.span.pointer)
        for d in result.diagnostics.sorted()
        if d.code in ("AG202", "AG203", "AG204")
    ]


def test_problems_in_unused_operations_and_annotations_are_warnings() -> None:
    result = compiled("operations.arazzo.yaml")
    assert _problems(result) == [
        # the response of createItem (used) lacks its description: an annotation
        ("AG204", "warning", 38, 11, "/paths/~1items/post/responses/201/description"),
        # 'type: int' in an operation no step calls
        ("AG204", "warning", 78, 19, "/paths/~1unused~1{n}/get/parameters/0/schema/type"),
    ]
    message = next(d for d in result.diagnostics if d.code == "AG204").message
    assert message == (
        "invalid OpenAPI document, in a part no workflow uses: "
        "'description' is a required property"
    )


def test_a_problem_in_a_used_operation_is_an_error(tmp_path: Path) -> None:
    for name in ("api.openapi.yaml", "operations.arazzo.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    document = tmp_path / "operations.arazzo.yaml"
    document.write_text(
        document.read_text()
        .replace("~1items~1{id}/get", "~1unused~1{n}/get")
        .replace("name: id", "name: n")
    )
    result = compile_specs([document], render=False)
    assert _problems(result) == [
        ("AG204", "warning", 38, 11, "/paths/~1items/post/responses/201/description"),
        ("AG202", "error", 78, 19, "/paths/~1unused~1{n}/get/parameters/0/schema/type"),
    ]
    error = next(d for d in result.diagnostics if d.code == "AG202")
    assert error.message == (
        "invalid OpenAPI document: 'int' is not valid under any of the given schemas"
    )
    assert error.hint == "fix the OpenAPI document; GET /unused/{n} reads this part"
    assert result.workflows == []


def test_a_broken_ref_in_a_used_parameter_schema_is_an_error_at_the_ref(tmp_path: Path) -> None:
    """A parameter's schema decides how it is serialized: a $ref there must resolve."""
    api = (FIXTURES / "api.openapi.yaml").read_text()
    param = "          required: true\n          schema:\n            type: string\n"
    assert api.count(param) == 1
    api = api.replace(
        param,
        "          required: true\n          schema:\n"
        "            $ref: '#/components/schemas/Missing'\n",
    )
    (tmp_path / "api.openapi.yaml").write_text(api)
    document = tmp_path / "operations.arazzo.yaml"
    document.write_text((FIXTURES / "operations.arazzo.yaml").read_text())
    result = compile_specs([document], render=False)
    ref = [d for d in result.diagnostics.sorted() if d.code in ("AG203", "AG205")]
    assert [(d.code, d.span.line, d.span.col, d.message, d.hint) for d in ref] == [
        (
            "AG203",
            53,
            13,
            "$ref '#/components/schemas/Missing' points to nothing",
            "fix the $ref; GET /items/{id} reads it",
        )
    ]
    assert all(d.code != "AG202" for d in result.diagnostics)  # reported once, as AG203
    assert result.workflows == []


def test_a_broken_ref_in_a_response_schema_only_types_outputs(tmp_path: Path) -> None:
    """A response schema types step outputs and nothing else: warning AG205, and what is
    read through the $ref is `Any` (tests/test_lenient_repairs.py runs such a module)."""
    api = (FIXTURES / "api.openapi.yaml").read_text()
    api = api.replace(
        "                  token:\n                    type: string",
        ("                  token:\n                    $ref: '#/components/schemas/Missing'"),
    )
    (tmp_path / "api.openapi.yaml").write_text(api)
    document = tmp_path / "operations.arazzo.yaml"
    document.write_text((FIXTURES / "operations.arazzo.yaml").read_text())
    result = compile_specs([document], render=False)
    ref = [d for d in result.diagnostics.sorted() if d.code in ("AG203", "AG205")]
    assert [(d.code, str(d.level), d.span.line, d.span.col, d.message) for d in ref] == [
        (
            "AG205",
            "warning",
            63,
            21,
            "$ref '#/components/schemas/Missing' points to nothing; it is in a response "
            "schema of GET /items/{id}, so what step outputs read through it is typed Any",
        )
    ]
    assert result.diagnostics.error_count == 0
    assert [w.workflow_id for w in result.workflows] == ["references"]


def test_problems_found_in_the_validators_keyword_pass_are_located(tmp_path: Path) -> None:
    """Path templates against path parameters: the operation is the place."""
    api = (FIXTURES / "api.openapi.yaml").read_text().replace("  /health:", "  /health/{x}:")
    (tmp_path / "api.openapi.yaml").write_text(api)
    document = tmp_path / "operations.arazzo.yaml"
    document.write_text(
        (FIXTURES / "operations.arazzo.yaml").read_text().replace("~1health'", "~1health~1{x}'")
    )
    result = compile_specs([document], render=False)
    problems = [d for d in result.diagnostics.sorted() if d.code == "AG202"]
    assert [(d.span.line, d.span.col, d.span.pointer, d.message) for d in problems] == [
        (
            66,
            7,
            "/paths/~1health~1{x}/get",
            "invalid OpenAPI document: Path parameter 'x' for 'get' operation in "
            "'/health/{x}' was not resolved",
        )
    ]


@pytest.mark.parametrize(
    ("pattern", "query"),
    [
        ("/^[a-z]+$/i", "(?i)^[a-z]+$"),
        ("/^a\\/b$/ms", "(?ms)^a/b$"),
        ("/^abc/g", "^abc"),
        ("/api/v1/", "/api/v1/"),  # not anchored: it may mean the slashes, so kept
        ("/^abc$/y", "/^abc$/y"),  # sticky has no Python form: kept
        ("/^abc\\$/", "^abc\\$"),  # an escaped '$' anchors nothing, but '^' does
        ("/abc\\$/", "/abc\\$/"),  # ... so without '^' it is not anchored
    ],
)
def test_javascript_regex_literals(pattern: str, query: str) -> None:
    from generator.build.criteria import compile_criterion
    from generator.diagnostics import Diagnostics, Span
    from generator.spec.arazzo import Criterion

    diagnostics = Diagnostics()
    criterion = compile_criterion(
        Criterion(pattern, "$response.body", "regex", "/c"), Span("f.yaml"), diagnostics
    )
    assert isinstance(criterion, ir.QueryCriterion)
    assert criterion.query == query
    assert [d.code for d in diagnostics] == ["AG417"]


CASE_API = """openapi: 3.1.0
info: {title: pets, version: '1'}
servers: [{url: 'https://pets.example.com'}]
paths:
  /pets/{id}:
    get:
      operationId: getPet
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'200': {description: ok}}
  /pets:
    get:
      operationId: listpets
      responses: {'200': {description: ok}}
    post:
      operationId: ListPets
      responses: {'200': {description: ok}}
"""


def test_an_operation_id_in_another_case_is_the_one_operation_with_that_id(
    tmp_path: Path,
) -> None:
    """`GETPET` (and a qualified `GetPet`) is getPet; `LISTPETS` could be listpets or
    ListPets, so it stays an error."""
    (tmp_path / "pets.openapi.yaml").write_text(CASE_API)
    document = tmp_path / "lookup.arazzo.yaml"
    document.write_text(
        "arazzo: 1.0.1\ninfo: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: api, url: pets.openapi.yaml, type: openapi}]\n"
        "workflows:\n"
        "- workflowId: found\n  steps:\n"
        "  - stepId: a\n    operationId: GETPET\n"
        "    parameters: [{name: id, in: path, value: '1'}]\n"
        "  - stepId: b\n    operationId: $sourceDescriptions.api.GetPet\n"
        "    parameters: [{name: id, in: path, value: '2'}]\n"
        "- workflowId: ambiguous\n  steps:\n"
        "  - stepId: c\n    operationId: LISTPETS\n"
    )
    result = compile_specs([document], render=False)
    assert found(result, "AG317") == [
        (
            "lookup.arazzo.yaml",
            8,
            18,
            "unknown operationId 'GETPET'; read as 'getPet', the one operationId that "
            "differs from it only in case",
            "write 'getPet': operationIds are case-sensitive",
        ),
        (
            "lookup.arazzo.yaml",
            11,
            18,
            "unknown operationId '$sourceDescriptions.api.GetPet'; read as "
            "'$sourceDescriptions.api.getPet', the one operationId that differs from it "
            "only in case",
            "write '$sourceDescriptions.api.getPet': operationIds are case-sensitive",
        ),
    ]
    assert [(s.method, s.path) for s in workflow(result, "found").steps] == [
        ("GET", "/pets/{id}"),
        ("GET", "/pets/{id}"),
    ]
    errors = [(d.code, d.message) for d in result.diagnostics.sorted() if d.level is Level.ERROR]
    assert errors == [("AG300", "unknown operationId 'LISTPETS'")]
