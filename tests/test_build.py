"""Tests for generator.build: the IR of the seed workflows, pinned and spot-checked.

The full IR of each seed workflow (`generator.ir.dump`, spans left out) is pinned
in `tests/fixtures/build/<workflowId>.ir.txt`. After an intended change to the
build stage, review the difference and rewrite the pinned files with

    ARAZZO_GEN_UPDATE=1 .venv/bin/python -m pytest tests/test_build.py

then inspect `git diff tests/fixtures/build/` before committing the new files.

Besides the pinned text, individual facts a user relies on are asserted directly,
so a failure says what broke rather than only that the dump changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import ir
from generator.build import Project
from generator.diagnostics import Diagnostics, Level
from generator.expressions import Compare, InputRef, Lit, parse_expression, unparse

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
ARAZZO = SPECS / "amazon-connect" / "arazzo"
CHAT_DOC = ARAZZO / "amazon-connect-start-chat-and-set-attributes-workflow.yml"
TASK_DOC = ARAZZO / "amazon-connect-start-task-and-stop-workflow.yml"
PINNED = Path(__file__).resolve().parent / "fixtures" / "build"
UPDATE = os.environ.get("ARAZZO_GEN_UPDATE") == "1"

CHAT = "start-chat-and-set-attributes"
TASK = "start-task-and-stop"


class Built:
    """The seeds built by one Project, as `arazzo-gen specs/` builds them."""

    def __init__(self) -> None:
        self.diagnostics = Diagnostics()
        self.project = Project(SPECS, self.diagnostics)
        self.workflows: dict[str, ir.Workflow] = {}
        for path in (CHAT_DOC, TASK_DOC):
            for workflow in self.project.build_document(path):
                self.workflows[workflow.workflow_id] = workflow

    def step(self, workflow_id: str, step_id: str) -> ir.Step:
        return next(s for s in self.workflows[workflow_id].steps if s.step_id == step_id)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


# --- pinned IR --------------------------------------------------------------------


@pytest.mark.parametrize("workflow_id", [CHAT, TASK])
def test_ir_matches_the_pinned_dump(built: Built, workflow_id: str) -> None:
    dumped = ir.dump(built.workflows[workflow_id]) + "\n"
    pinned = PINNED / f"{workflow_id}.ir.txt"
    if UPDATE:
        pinned.write_text(dumped, encoding="utf-8", newline="\n")
    assert pinned.is_file(), f"{pinned} is missing: run with ARAZZO_GEN_UPDATE=1 to write it"
    assert dumped == pinned.read_text(
        encoding="utf-8"
    ), f"the IR of {workflow_id!r} changed; if intended, rerun with ARAZZO_GEN_UPDATE=1"


def test_ir_dump_is_stable_across_builds(built: Built) -> None:
    again = Built()
    for workflow_id, workflow in built.workflows.items():
        assert ir.dump(again.workflows[workflow_id]) == ir.dump(workflow)


# --- diagnostics ------------------------------------------------------------------


def test_seeds_build_without_errors_and_share_one_openapi_document(built: Built) -> None:
    assert set(built.workflows) == {CHAT, TASK}
    assert built.diagnostics.error_count == 0
    assert list(built.project.openapi) == [
        (SPECS / "amazon-connect" / "openapi" / "amazon-connect-openapi.yml").resolve()
    ]


@pytest.mark.parametrize(
    ("path", "line", "col"),
    [(CHAT_DOC, 83, 9), (TASK_DOC, 78, 9)],
)
def test_lenient_jsonpath_criterion_warns_ag410_at_the_criterion(
    built: Built, path: Path, line: int, col: int
) -> None:
    display = path.relative_to(REPO).as_posix()
    found = [d for d in built.diagnostics if d.span.file == display]
    assert [(d.level, d.code) for d in found] == [(Level.WARNING, "AG410")]
    [warning] = found
    assert (warning.span.line, warning.span.col) == (line, col)
    assert warning.span.pointer == "/workflows/0/steps/1/onSuccess/0/criteria/0"
    # The position is the criterion entry in the file.
    source_line = path.read_text(encoding="utf-8").splitlines()[line - 1]
    assert source_line[col - 1 :] == "context: $response.body"
    assert "'$response.body#/Contact/Id != null'" in warning.message


# --- steps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workflow_id", "expected"),
    [
        (
            CHAT,
            [
                ("startChat", "startChatContact", "POST", "/contact/chat"),
                ("confirmContact", "describeContact", "GET", "/contacts/{InstanceId}/{ContactId}"),
                (
                    "attachAttributes",
                    "updateContactAttributes",
                    "POST",
                    "/contacts/{InstanceId}/{ContactId}/attributes",
                ),
            ],
        ),
        (
            TASK,
            [
                ("startTask", "startTaskContact", "POST", "/contact/task"),
                ("confirmTask", "describeContact", "GET", "/contacts/{InstanceId}/{ContactId}"),
                ("stopTask", "stopContact", "POST", "/contacts/{InstanceId}/{ContactId}/stop"),
            ],
        ),
    ],
)
def test_steps_resolve_to_their_operations(
    built: Built, workflow_id: str, expected: list[tuple[str, str, str, str]]
) -> None:
    steps = built.workflows[workflow_id].steps
    assert [(s.step_id, s.operation_id, s.method, s.path) for s in steps] == expected


def test_base_url_uses_the_server_variable_default(built: Built) -> None:
    for workflow in built.workflows.values():
        assert workflow.base_url == "https://connect.us-east-1.amazonaws.com"


def test_path_parameters_are_filled_from_inputs_and_step_outputs(built: Built) -> None:
    step = built.step(TASK, "stopTask")
    assert [(p.name, p.location, unparse(p.value)) for p in step.params] == [  # type: ignore[arg-type]
        ("InstanceId", "path", "$inputs.instanceId"),
        ("ContactId", "path", "$steps.startTask.outputs.contactId"),
    ]
    assert set(step.declared_params) == {("InstanceId", "path"), ("ContactId", "path")}
    assert step.body is not None
    assert step.body.content_type == "application/json"


def test_jsonpath_criterion_compiles_to_a_comparison_of_the_response_body(built: Built) -> None:
    for workflow_id, step_id, action_name, target in [
        (CHAT, "confirmContact", "contactReady", "attachAttributes"),
        (TASK, "confirmTask", "taskExists", "stopTask"),
    ]:
        [action] = built.step(workflow_id, step_id).on_success
        assert (action.name, action.kind, action.step_id) == (action_name, "goto", target)
        [criterion] = action.criteria
        assert criterion.source == "$.Contact.Id != null"
        assert unparse(criterion.condition) == "$response.body#/Contact/Id != null"
        condition = criterion.condition
        assert isinstance(condition, Compare)
        assert condition.op == "!="
        assert condition.left == parse_expression("$response.body#/Contact/Id")
        assert condition.right == Lit(None)


def test_status_code_success_criteria(built: Built) -> None:
    for workflow in built.workflows.values():
        for step in workflow.steps:
            assert [unparse(c.condition) for c in step.success_criteria] == ["$statusCode == 200"]


# --- types ------------------------------------------------------------------------


def _types(outputs: tuple[ir.Output, ...]) -> dict[str, tuple[str, bool]]:
    return {o.name: (o.type.annotation(), o.required) for o in outputs}


def test_step_outputs_are_typed_from_the_response_schema(built: Built) -> None:
    assert _types(built.step(CHAT, "startChat").outputs) == {
        "contactId": ("str", True),
        "participantId": ("str", True),
        "participantToken": ("str", True),
    }
    channel = "Literal['VOICE', 'CHAT', 'TASK', 'EMAIL']"
    assert _types(built.step(CHAT, "confirmContact").outputs) == {"channel": (channel, True)}
    assert _types(built.step(TASK, "confirmTask").outputs) == {"channel": (channel, True)}


def test_workflow_outputs_take_the_types_of_step_outputs(built: Built) -> None:
    channel = "Literal['VOICE', 'CHAT', 'TASK', 'EMAIL']"
    assert _types(built.workflows[CHAT].outputs) == {
        "contactId": ("str", True),
        "participantToken": ("str", True),
        "channel": (channel, True),
    }
    assert _types(built.workflows[TASK].outputs) == {
        "contactId": ("str", True),
        "channel": (channel, True),
    }
    [channel_output] = [o for o in built.workflows[TASK].outputs if o.name == "channel"]
    assert channel_output.py_name == "channel"
    assert built.workflows[TASK].outputs_class == "StartTaskAndStopOutputs"


def test_inputs_keep_required_ness_types_and_descriptions(built: Built) -> None:
    task = {i.name: i for i in built.workflows[TASK].inputs}
    assert [(n, i.py_name, i.type.annotation(), i.required) for n, i in task.items()] == [
        ("instanceId", "instance_id", "str", True),
        ("contactFlowId", "contact_flow_id", "str", True),
        ("name", "name", "str", True),
        ("description", "description", "str", False),
    ]
    assert task["description"].description == "A description of the task."
    chat = {i.name: i for i in built.workflows[CHAT].inputs}
    assert chat["attributes"].required is False
    assert chat["attributes"].type.annotation() == "Mapping[str, str]"


def test_names_of_generated_package_module_and_function(built: Built) -> None:
    chat = built.workflows[CHAT]
    assert (chat.package, chat.module, chat.function) == (
        "amazon_connect_start_chat_and_set_attributes_workflow",
        "start_chat_and_set_attributes",
        "start_chat_and_set_attributes",
    )
    assert chat.source_file == CHAT_DOC.relative_to(REPO).as_posix()


# --- a small fixture: operationPath, qualified ids, component inputs, 201 ---------


@pytest.fixture(scope="module")
def items() -> tuple[ir.Workflow, Diagnostics]:
    diagnostics = Diagnostics()
    project = Project(PINNED, diagnostics)
    [workflow] = project.build_document(PINNED / "items.arazzo.yaml")
    return workflow, diagnostics


def test_fixture_builds_cleanly(items: tuple[ir.Workflow, Diagnostics]) -> None:
    _, diagnostics = items
    assert [d.render() for d in diagnostics] == []


def test_operation_path_and_qualified_operation_id_resolve(
    items: tuple[ir.Workflow, Diagnostics],
) -> None:
    workflow, _ = items
    assert [(s.step_id, s.operation_id, s.method, s.path) for s in workflow.steps] == [
        ("create", "createItem", "POST", "/items"),
        ("fetch", "getItem", "GET", "/items/{itemId}"),
    ]
    assert workflow.base_url == "https://api.example.test"


def test_body_content_type_defaults_to_the_operations_media_type(
    items: tuple[ir.Workflow, Diagnostics],
) -> None:
    workflow, _ = items
    body = workflow.steps[0].body
    assert body is not None
    assert body.content_type == "application/json"
    assert body.value == ir.ObjectValue((("name", InputRef("name", None)),))


def test_outputs_are_typed_from_the_response_the_criteria_test(
    items: tuple[ir.Workflow, Diagnostics],
) -> None:
    workflow, _ = items
    # `$statusCode == 201` selects the 201 response's schema.
    assert _types(workflow.steps[0].outputs) == {"itemId": ("str", True)}
    assert _types(workflow.steps[1].outputs) == {
        "kind": ("Literal['small', 'large']", True),
        "status": ("int", True),
    }


def test_component_inputs_are_followed_and_optional_inputs_stay_optional(
    items: tuple[ir.Workflow, Diagnostics],
) -> None:
    workflow, _ = items
    assert [(i.name, i.type.annotation(), i.required, i.description) for i in workflow.inputs] == [
        ("name", "str", True, "The name of the new item."),
        ("count", "int | None", False, None),
    ]
    assert _types(workflow.outputs) == {
        "itemId": ("str", True),
        "kind": ("Literal['small', 'large']", True),
        "count": ("int | None", True),
    }
