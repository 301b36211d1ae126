"""Tests for the `arazzo-gen` command: exit codes, diagnostics, what is (not) written.

Most cases run the click command in-process (`CliRunner`); a few run the
installed `arazzo-gen` script as a real subprocess, which also covers the
console-script entry point, real stdout/stderr and hash-seed independence.

The documents under `tests/fixtures/invalid/` each contain exactly one mistake
and otherwise reference the small valid OpenAPI document `api.openapi.yaml` there.

Compiling the seeds takes about half a second (black formats every module), so
in-process runs after the first share one compilation per distinct set of
inputs (`_reuse_compilations`). The happy-path fixture and the subprocess runs
always compile for real, and the subprocess test checks that two real runs agree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator import pipeline
from generator.cli import main

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
GENERATED = REPO / "generated"
INVALID = Path(__file__).resolve().parent / "fixtures" / "invalid"

CHAT_PACKAGE = "amazon_connect_start_chat_and_set_attributes_workflow"
TASK_PACKAGE = "amazon_connect_start_task_and_stop_workflow"
EXPECTED_FILES = [
    ".arazzo-gen-manifest.json",
    "__init__.py",
    f"{CHAT_PACKAGE}/__init__.py",
    f"{CHAT_PACKAGE}/start_chat_and_set_attributes.py",
    f"{TASK_PACKAGE}/__init__.py",
    f"{TASK_PACKAGE}/start_task_and_stop.py",
]
SEED_WARNINGS = [
    "specs/amazon-connect/arazzo/amazon-connect-start-chat-and-set-attributes-workflow.yml"
    ":83:9: warning[AG410]",
    "specs/amazon-connect/arazzo/amazon-connect-start-task-and-stop-workflow.yml"
    ":78:9: warning[AG410]",
]


_COMPILED: dict[tuple[object, ...], pipeline.Result] = {}
_compile_specs = pipeline.compile_specs


@pytest.fixture(autouse=True)
def _reuse_compilations(monkeypatch: pytest.MonkeyPatch) -> None:
    def compile_once(specs: list[Path], **options: Any) -> pipeline.Result:
        options.pop("progress", None)
        key = (*(p.resolve() for p in specs), repr(sorted(options.items())))
        if key not in _COMPILED:
            _COMPILED[key] = _compile_specs(specs, **options)
        return _COMPILED[key]

    monkeypatch.setattr(pipeline, "compile_specs", compile_once)


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="arazzo-gen")
    # Only the deliberate `sys.exit` of the command may end it, never a crash.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative, `/`-separated) with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*")}


def age(root: Path) -> None:
    """Set every mtime a day back, so any rewrite shows up as a changed mtime."""
    for path in root.rglob("*"):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 86_400 * 10**9))


def fresh_copy(tmp_path: Path) -> Path:
    out = tmp_path / "generated"
    shutil.copytree(GENERATED, out, ignore=shutil.ignore_patterns("__pycache__"))
    age(out)
    return out


@pytest.fixture(scope="module")
def happy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Result, Path]]:
    """`arazzo-gen specs/ -o <tmp>/out` run from the repository, with umask 022.

    Module-scoped fixtures are set up before the autouse `_reuse_compilations`,
    so this run compiles for real.
    """
    assert pipeline.compile_specs is _compile_specs
    out = tmp_path_factory.mktemp("happy") / "out"
    cwd = Path.cwd()
    umask = os.umask(0o022)
    try:
        os.chdir(REPO)
        result = invoke("specs/", "-o", out)
    finally:
        os.chdir(cwd)
        os.umask(umask)
    yield result, out


# --- happy path -------------------------------------------------------------------


def test_generates_the_committed_tree_byte_for_byte(happy: tuple[Result, Path]) -> None:
    result, out = happy
    assert result.exit_code == 0, result.stderr
    assert list(tree(out)) == EXPECTED_FILES
    assert tree(out) == tree(GENERATED)


def test_success_reports_warnings_and_a_summary_on_stderr(happy: tuple[Result, Path]) -> None:
    result, out = happy
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert [line for line in lines if "warning[" in line] == [
        f"{w}: '$.Contact.Id != null' is not an RFC 9535 JSONPath query (a comparison outside "
        "a filter); compiled as the simple condition '$response.body#/Contact/Id != null'"
        for w in SEED_WARNINGS
    ]
    assert "0 error(s), 2 warning(s)" in lines
    assert lines[-1] == f"2 workflow(s), 6 file(s) written, 0 removed in {out}"


def test_written_files_respect_the_umask(happy: tuple[Result, Path]) -> None:
    _, out = happy
    modes = {name: (out / name).stat().st_mode & 0o777 for name in EXPECTED_FILES}
    assert modes == dict.fromkeys(EXPECTED_FILES, 0o644)


def test_rerun_rewrites_nothing(tmp_path: Path) -> None:
    out = fresh_copy(tmp_path)
    before = mtimes(out)
    result = invoke(SPECS, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "2 workflow(s), 0 file(s) written, 0 removed in" in result.stderr
    assert mtimes(out) == before


# --- --check ----------------------------------------------------------------------


def test_check_passes_on_an_up_to_date_tree_and_writes_nothing(tmp_path: Path) -> None:
    out = fresh_copy(tmp_path)
    before = mtimes(out)
    result = invoke(SPECS, "-o", out, "--check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert mtimes(out) == before
    assert tree(out) == tree(GENERATED)


def test_check_reports_an_edited_file_as_a_diff_and_leaves_it_alone(tmp_path: Path) -> None:
    out = fresh_copy(tmp_path)
    relative = f"{TASK_PACKAGE}/start_task_and_stop.py"
    edited = out / relative
    original = edited.read_text(encoding="utf-8")
    assert "DEFAULT_TIMEOUT: Final = 30.0\n" in original
    edited.write_text(original.replace("= 30.0\n", "= 5.0\n"), encoding="utf-8")
    age(out)
    before = mtimes(out)

    result = invoke(SPECS, "-o", out, "--check")

    assert result.exit_code == 1
    diff = result.stdout.splitlines()
    assert diff[:2] == [f"--- a/{relative}", f"+++ b/{relative}"]
    assert "-DEFAULT_TIMEOUT: Final = 5.0" in diff
    assert "+DEFAULT_TIMEOUT: Final = 30.0" in diff
    assert [line for line in diff if line.startswith("--- ")] == [f"--- a/{relative}"]
    assert f"{out} is out of date: run arazzo-gen without --check" in result.stderr
    assert "would add" not in result.stderr
    # Nothing was rewritten, the edit is still there.
    assert mtimes(out) == before
    assert "DEFAULT_TIMEOUT: Final = 5.0\n" in edited.read_text(encoding="utf-8")


@pytest.mark.parametrize("create", [True, False], ids=["empty-dir", "missing-dir"])
def test_check_against_an_empty_output_lists_every_file_it_would_add(
    tmp_path: Path, create: bool
) -> None:
    out = tmp_path / "out"
    if create:
        out.mkdir()
    result = invoke(SPECS, "-o", out, "--check")
    assert result.exit_code == 1
    would_add = [line for line in result.stderr.splitlines() if line.startswith("would add ")]
    assert would_add == [f"would add {out / name}" for name in EXPECTED_FILES]
    assert result.stdout == ""
    if create:
        assert list(out.iterdir()) == []
    else:
        assert not out.exists()


# --- invalid documents ------------------------------------------------------------

#: (fixture, code, line, column, text the position points at)
INVALID_CASES = [
    ("unknown-operation.arazzo.yaml", "AG300", 18, 22, "createItm"),
    ("missing-goto-target.arazzo.yaml", "AG603", 28, 13, "name: next"),
    ("malformed.arazzo.yaml", "AG001", 12, 7, "- stepId: create"),
    ("missing-source.arazzo.yaml", "AG002", 7, 10, "./no-such-api.openapi.yaml"),
    ("unknown-step-output.arazzo.yaml", "AG610", 30, 13, "name: itemId"),
    ("undeclared-input.arazzo.yaml", "AG607", 20, 13, "name: itemId"),
]


@pytest.mark.parametrize(
    ("name", "code", "line", "col", "at"), INVALID_CASES, ids=[c[0] for c in INVALID_CASES]
)
def test_invalid_document_fails_with_a_positioned_diagnostic(
    tmp_path: Path, name: str, code: str, line: int, col: int, at: str
) -> None:
    source_line = (INVALID / name).read_text(encoding="utf-8").splitlines()[line - 1]
    assert source_line[col - 1 :].startswith(at), "the fixture and the expected position disagree"
    out = tmp_path / "out"

    result = invoke(INVALID / name, "-o", out)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"\n{name}:{line}:{col}: error[{code}]: " in "\n" + result.stderr
    assert result.stderr.splitlines()[-1] == "nothing written: fix the errors above"
    assert not out.exists()


def test_messages_name_what_is_wrong(tmp_path: Path) -> None:
    out = tmp_path / "out"
    messages = {
        "unknown-operation.arazzo.yaml": [
            "unknown operationId 'createItm'",
            "hint: did you mean 'createItem'",
        ],
        "missing-goto-target.arazzo.yaml": ["targets unknown step 'fetchItem'"],
        "missing-source.arazzo.yaml": ["cannot load no-such-api.openapi.yaml: file not found"],
        "unknown-step-output.arazzo.yaml": ["step 'create' defines no output 'id'", "itemId"],
        "undeclared-input.arazzo.yaml": ["names undeclared input 'z'"],
        "malformed.arazzo.yaml": ["malformed YAML"],
    }
    for name, expected in messages.items():
        stderr = invoke(INVALID / name, "-o", out).stderr
        for text in expected:
            assert text in stderr, (name, stderr)
    assert not out.exists()


def test_every_document_is_reported_in_one_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(INVALID, "-o", out)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if ": error[" in line]
    for name, code, line, col, _ in INVALID_CASES:
        assert f"invalid/{name}:{line}:{col}: error[{code}]: " in "\n".join(errors)
    # Sorted by file name, then position.
    assert errors == sorted(errors, key=lambda e: e.split(":")[0])
    assert not out.exists()


def test_an_error_in_one_document_stops_all_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(SPECS, INVALID / "undeclared-input.arazzo.yaml", "-o", out)
    assert result.exit_code == 1
    assert "error[AG607]" in result.stderr
    assert not out.exists()


def test_a_missing_source_is_reported_once(tmp_path: Path) -> None:
    result = invoke(INVALID / "missing-source.arazzo.yaml", "-o", tmp_path / "out")
    assert "error[AG002]" in result.stderr
    assert "1 error(s), 0 warning(s)" in result.stderr.splitlines()


# --- warnings ---------------------------------------------------------------------


def test_fail_on_warning_fails_on_the_seed_warnings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(SPECS, "-o", out, "--fail-on-warning")
    assert result.exit_code == 1
    for warning in SEED_WARNINGS:
        assert warning in result.stderr
    assert "0 error(s), 2 warning(s)" in result.stderr
    assert not out.exists()


def test_quiet_hides_warnings_and_still_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(SPECS, "-o", out, "-q")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == ""
    assert tree(out) == tree(GENERATED)


def test_quiet_fail_on_warning_still_says_why_it_failed(tmp_path: Path) -> None:
    result = invoke(SPECS, "-o", tmp_path / "out", "-q", "--fail-on-warning")
    assert result.exit_code == 1
    assert "AG410" in result.stderr or "warning" in result.stderr


# --- usage ------------------------------------------------------------------------


def test_nonexistent_specs_path_is_a_diagnostic(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(tmp_path / "no-such-specs", "-o", out)
    assert result.exit_code == 1
    assert "no-such-specs: error[AG003]: no such file or folder" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["specs"], "missing option '-o' / '--output' (or set [tool.arazzo-gen] output)"),
        (["-o", "out"], "name at least one SPECS file or folder (or set [tool.arazzo-gen] specs)"),
        (["specs", "-o", "out", "--no-such-flag"], "No such option '--no-such-flag'"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.startswith("Usage: arazzo-gen generate [OPTIONS] [SPECS]...")
    assert not (tmp_path / "out").exists()


def test_output_path_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "a-file"
    out.write_text("keep me", encoding="utf-8")
    result = invoke(SPECS, "-o", out)
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "keep me"


# --- the installed script, as a subprocess ----------------------------------------


def _script() -> Path:
    found = shutil.which("arazzo-gen") or str(Path(sys.executable).parent / "arazzo-gen")
    script = Path(found)
    if not script.is_file():
        pytest.skip("the arazzo-gen console script is not installed")
    return script


def _run(
    *args: str | Path, hash_seed: str = "0", cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [str(_script()), *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr
    return done


def test_subprocess_output_is_identical_across_hash_seeds_and_directories(
    tmp_path: Path,
) -> None:
    # Run from the repository with a relative path, and from elsewhere with an
    # absolute one: shown paths (and so the output) must not change.
    first = _run("specs/", "-o", tmp_path / "a", hash_seed="1")
    second = _run(SPECS, "-o", "b", hash_seed="4242", cwd=tmp_path)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert tree(tmp_path / "a") == tree(tmp_path / "b") == tree(GENERATED)
    # Diagnostics come out in the same order too.
    assert first.stderr.replace(str(tmp_path / "a"), "OUT") == second.stderr.replace(
        "in b\n", "in OUT\n"
    )


def test_subprocess_reports_an_error_without_a_traceback(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _run(INVALID / "malformed.arazzo.yaml", "-o", out)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(
        "malformed.arazzo.yaml:12:7: error[AG001]: cannot load document: malformed YAML"
    )
    assert not out.exists()
