"""Golden: regenerating `specs/` reproduces the committed `generated/` byte for byte,
and the committed output passes `mypy --strict` and `ruff check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typecheck import assert_mypy_strict

from generator.pipeline import compile_specs

REPO = Path(__file__).resolve().parent.parent
GENERATED = REPO / "generated"


def committed_files() -> dict[str, str]:
    return {
        path.relative_to(GENERATED).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(GENERATED.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def test_regenerating_specs_reproduces_generated_exactly() -> None:
    result = compile_specs([REPO / "specs"])

    assert result.diagnostics.error_count == 0
    assert sorted(result.files) == sorted(committed_files())
    for relative, text in result.files.items():
        assert text == committed_files()[relative], f"generated/{relative} is stale"


def test_output_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = compile_specs([REPO / "specs"])
    assert result.files == committed_files()


def test_generated_code_passes_mypy_strict() -> None:
    assert_mypy_strict(REPO / "generated")


def test_generated_code_passes_ruff() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "generated"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_generated_modules_import_only_stdlib_and_httpx() -> None:
    import ast

    allowed = set(sys.stdlib_module_names) | {"httpx", "__future__"}
    for relative, text in committed_files().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{relative} imports {roots - allowed}"


def test_generated_header_names_the_source_by_relative_path() -> None:
    text = committed_files()["amazon_connect_start_task_and_stop_workflow/start_task_and_stop.py"]
    assert "specs/amazon-connect/arazzo/amazon-connect-start-task-and-stop-workflow.yml" in text
    assert str(REPO) not in text


def test_no_eval_exec_or_compile_anywhere() -> None:
    """Neither the generator nor its output runs code from text."""
    import ast

    forbidden = {"eval", "exec", "compile", "__import__"}
    files = [*sorted((REPO / "generator").rglob("*.py")), *sorted(GENERATED.rglob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in forbidden, f"{path}:{node.lineno} calls {node.func.id}"


def test_fixture_modules_pass_mypy_strict_and_ruff(tmp_path: Path) -> None:
    """Every feature the behaviour fixtures use (retries, calls, several APIs...) type-checks."""
    from generator.write import write_tree

    result = compile_specs([REPO / "tests" / "fixtures" / "behaviour"])
    assert result.diagnostics.error_count == 0, [d.render() for d in result.diagnostics]
    write_tree(tmp_path / "fixtures_out", result.files)
    for command in (
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "fixtures_out"],
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
         str(REPO / "pyproject.toml"), "fixtures_out"],
    ):  # fmt: skip
        completed = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_fixture_modules_have_no_unreachable_statements() -> None:
    """No statement follows a `return`, `raise`, `continue` or `break` in its block (as
    one would after an action that is always taken)."""
    import ast
    import itertools

    result = compile_specs([REPO / "tests" / "fixtures" / "behaviour"])
    ends = (ast.Return, ast.Raise, ast.Continue, ast.Break)
    found = []
    for name, text in sorted(result.files.items()):
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(text)):
            for block in ("body", "orelse", "finalbody"):
                statements = getattr(node, block, None)
                if not isinstance(statements, list):
                    continue
                for before, after in itertools.pairwise(statements):
                    if isinstance(before, ends) and isinstance(after, ast.stmt):
                        found.append(f"{name}:{after.lineno}")
    assert found == []
