"""Command line: `validate`, output formats, the source-line caret, pyproject settings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
INVALID = REPO / "tests" / "fixtures" / "invalid"
UNKNOWN_OP = INVALID / "unknown-operation.arazzo.yaml"


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], prog_name="arazzo-gen")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_validate_reports_and_writes_nothing(tmp_path: Path) -> None:
    result = invoke("validate", SPECS)
    assert result.exit_code == 0
    assert "warning[AG410]" in result.stderr
    assert "2 workflow(s) valid" in result.stderr


def test_validate_fails_on_an_invalid_document() -> None:
    result = invoke("validate", UNKNOWN_OP)
    assert result.exit_code == 1
    assert "error[AG300]: unknown operationId 'createItm'" in result.stderr


def test_text_diagnostics_show_the_source_line_with_a_caret() -> None:
    result = invoke("validate", UNKNOWN_OP)
    lines = result.stderr.splitlines()
    header = next(i for i, line in enumerate(lines) if "error[AG300]" in line)
    assert lines[header + 1] == "  18 |         operationId: createItm"
    assert lines[header + 2] == "     |                      ^"
    assert lines[header + 3] == "  at /workflows/0/steps/0/operationId"
    assert lines[header + 4].startswith("  hint: did you mean 'createItem'")


def test_json_format_is_machine_readable_on_stdout() -> None:
    result = invoke("validate", UNKNOWN_OP, "--format", "json")
    assert result.exit_code == 1
    items = json.loads(result.stdout)
    assert items == [
        {
            "code": "AG300",
            "level": "error",
            "file": "unknown-operation.arazzo.yaml",
            "line": 18,
            "column": 22,
            "pointer": "/workflows/0/steps/0/operationId",
            "message": "unknown operationId 'createItm'",
            "hint": "did you mean 'createItem' or 'getItem'?",
        }
    ]


def test_github_format_annotates_the_line() -> None:
    result = invoke("validate", UNKNOWN_OP, "--format", "github")
    assert result.stdout == (
        "::error file=unknown-operation.arazzo.yaml,line=18,col=22,title=arazzo-gen AG300"
        "::unknown operationId 'createItm' (hint: did you mean 'createItem' or 'getItem'?)\n"
    )


def test_github_format_escapes_newlines_and_separators() -> None:
    from generator.diagnostics import Diagnostic, Level, Span
    from generator.report import github_command

    diagnostic = Diagnostic(Level.WARNING, "AG1", Span("a,b:c.yaml", 1, 2), "two\nlines 100%")
    assert github_command(diagnostic) == (
        "::warning file=a%2Cb%3Ac.yaml,line=1,col=2,title=arazzo-gen AG1::two%0Alines 100%25"
    )


def test_source_lines_cannot_drive_the_terminal(tmp_path: Path) -> None:
    document = tmp_path / "evil.arazzo.yaml"
    text = UNKNOWN_OP.read_text().replace("createItm", '"createItm\\e[2J\\a"')
    document.write_text(text)
    shutil.copy(INVALID / "api.openapi.yaml", tmp_path / "api.openapi.yaml")
    result = invoke("validate", document)
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b[2J\\x07" in result.stderr


def test_generate_is_the_default_command(tmp_path: Path) -> None:
    assert invoke(SPECS, "-o", tmp_path / "a", "-q").exit_code == 0
    assert invoke("generate", SPECS, "-o", tmp_path / "b", "-q").exit_code == 0
    assert (tmp_path / "a" / "__init__.py").read_bytes() == (
        tmp_path / "b" / "__init__.py"
    ).read_bytes()


def test_settings_come_from_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SPECS, tmp_path / "specs")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arazzo-gen]\nspecs = ["specs"]\noutput = "generated"\nfail-on-warning = true\n'
    )
    monkeypatch.chdir(tmp_path)
    result = invoke()
    # The seeds' AG410 warnings fail the run because the file says fail-on-warning.
    assert result.exit_code == 1
    assert "--fail-on-warning" in result.stderr
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arazzo-gen]\nspecs = ["specs"]\noutput = "generated"\n'
    )
    assert invoke("-q").exit_code == 0
    assert (tmp_path / "generated" / "__init__.py").is_file()
    assert invoke("--check").exit_code == 0


def test_unknown_pyproject_key_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.arazzo-gen]\noutptu = "x"\n')
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", SPECS)
    assert result.exit_code == 2
    assert "unknown key(s) in [tool.arazzo-gen]: outptu" in result.stderr


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("generate", "validate", "graph"):
        assert command in result.stdout


def test_pre_commit_hooks_name_real_commands() -> None:
    import yaml

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert len({hook["id"] for hook in hooks}) == len(hooks)
    for hook in hooks:
        program, command, *_ = hook["entry"].split()
        assert program == "arazzo-gen"
        assert command in main.commands  # type: ignore[attr-defined]
        assert hook["language"] == "python" and hook["pass_filenames"] is False


def test_progress_is_shown_only_to_a_person_watching(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from generator import cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    show = cli._progress(quiet=False)
    assert show is not None
    for index in range(5):
        show(index, 5, f"specs/doc{index}.arazzo.yaml")
    assert "[1/5] specs/doc0.arazzo.yaml" in terminal.getvalue()
    assert "[5/5] specs/doc4.arazzo.yaml" in terminal.getvalue()
    assert cli._progress(quiet=True) is None
    monkeypatch.setattr("sys.stderr", io.StringIO())  # not a terminal: no progress
    assert cli._progress(quiet=False) is None
