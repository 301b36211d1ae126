"""Module names: collision-free, stable when documents are added, never outside OUT."""

from __future__ import annotations

import shutil
from pathlib import Path

from generator.pipeline import compile_specs
from generator.write import write_tree

REPO = Path(__file__).resolve().parent.parent
SEED = (
    REPO / "specs" / "amazon-connect" / "arazzo" / "amazon-connect-start-task-and-stop-workflow.yml"
)
API = REPO / "specs" / "amazon-connect" / "openapi" / "amazon-connect-openapi.yml"


def make_specs(tmp_path: Path, *documents: tuple[str, str]) -> Path:
    specs = tmp_path / "specs"
    (specs / "openapi").mkdir(parents=True)
    (specs / "arazzo").mkdir()
    shutil.copy(API, specs / "openapi" / "amazon-connect-openapi.yml")
    for name, workflow_id in documents:
        text = SEED.read_text().replace(
            "workflowId: start-task-and-stop", f"workflowId: {workflow_id}"
        )
        (specs / "arazzo" / name).write_text(text)
    return specs


def test_two_documents_sharing_a_workflow_id_get_separate_modules(tmp_path: Path) -> None:
    specs = make_specs(tmp_path, ("first.arazzo.yaml", "same"), ("second.arazzo.yaml", "same"))
    result = compile_specs([specs])
    assert result.diagnostics.error_count == 0
    assert {"first/same.py", "second/same.py"} <= set(result.files)


def test_adding_a_document_does_not_rename_existing_modules(tmp_path: Path) -> None:
    before = compile_specs([make_specs(tmp_path / "a", ("zeta.arazzo.yaml", "flow"))]).files
    after = compile_specs(
        [make_specs(tmp_path / "b", ("zeta.arazzo.yaml", "flow"), ("alpha.arazzo.yaml", "flow"))]
    ).files
    assert before["zeta/flow.py"] == after["zeta/flow.py"]


def test_two_documents_with_one_file_name_are_an_error_not_a_rename(tmp_path: Path) -> None:
    specs = make_specs(tmp_path, ("x.arazzo.yaml", "one"))
    (specs / "more").mkdir()
    shutil.copy(specs / "arazzo" / "x.arazzo.yaml", specs / "more" / "x.arazzo.yaml")
    result = compile_specs([specs])
    assert [d.code for d in result.diagnostics if d.code == "AG107"] == ["AG107"]


def test_a_document_named_like_a_keyword_gets_a_package_with_an_underscore(
    tmp_path: Path,
) -> None:
    """`class` is no package name, `case` a soft keyword: `class_/`, `case_/`, no clash."""
    specs = make_specs(tmp_path, ("class.arazzo.yaml", "one"), ("case.arazzo.yaml", "two"))
    result = compile_specs([specs])
    assert result.diagnostics.error_count == 0, [d.render() for d in result.diagnostics]
    assert {"class_/one.py", "case_/two.py"} <= set(result.files)


def test_path_like_workflow_ids_stay_inside_the_output(tmp_path: Path) -> None:
    specs = make_specs(tmp_path, ("doc.arazzo.yaml", "'../../escape'"))
    result = compile_specs([specs])
    assert result.diagnostics.error_count == 0
    out = tmp_path / "out"
    write_tree(out, result.files)
    written = {p.resolve() for p in out.rglob("*") if p.is_file()}
    assert all(out.resolve() in p.parents for p in written)
    assert (out / "doc" / "escape.py").is_file()
