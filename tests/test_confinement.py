"""A document can make arazzo-gen read local files only in the allowed folders.

A spec is untrusted text: its source urls and `$ref`s must not make the generator
open, and show lines of, files elsewhere on the machine. Allowed are the current
directory, each SPECS folder (a file's folder), each `--source` file's folder and
each `--allow-dir`; anything else is refused unopened (AG003) at the url or `$ref`
that names it. Here every outside file holds a sentinel that must never be shown.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_bounds import ARAZZO, OPENAPI

from generator.cli import main

SENTINEL = "SENTINEL-outside-file-3f9c"
#: An outside file that is a (broken) OpenAPI document, so a read of it would show lines.
OUTSIDE = f"openapi: 3.1.0\ninfo: {{title: {SENTINEL}, version: 1}}\npaths: [{SENTINEL}]\n"


def _layout(tmp_path: Path, arazzo: str = ARAZZO, openapi: str = OPENAPI) -> Path:
    """specs/ with the documents, and outside/ beside it with files nothing may read."""
    specs, outside = tmp_path / "specs", tmp_path / "outside"
    specs.mkdir()
    outside.mkdir()
    (outside / "api.openapi.yaml").write_text(OUTSIDE, encoding="utf-8")
    (outside / "schemas.yaml").write_text(f"Thing: {{type: object, title: {SENTINEL}}}\n")
    (specs / "api.openapi.yaml").write_text(openapi, encoding="utf-8")
    (specs / "flow.arazzo.yaml").write_text(arazzo, encoding="utf-8")
    return specs


def _generate(specs: Path, *options: str) -> Result:
    return CliRunner().invoke(main, [str(specs), "-o", str(specs.parent / "out"), *options])


def _assert_refused(result: Result, specs: Path, where: str) -> None:
    output = result.output
    assert result.exit_code == 1, output
    assert "error[AG003]" in output and where in output, output
    assert "refused to read" in output and "--allow-dir" in output, output
    assert SENTINEL not in output, output
    assert "Traceback" not in output
    assert not (specs.parent / "out").exists()


def _source_url(url: str) -> str:
    return ARAZZO.replace("url: ./api.openapi.yaml", f"url: {url}")


@pytest.mark.parametrize(
    "url",
    ["../outside/api.openapi.yaml", "{outside}/api.openapi.yaml"],
    ids=["relative", "absolute"],
)
def test_a_source_url_outside_is_refused(tmp_path: Path, url: str) -> None:
    specs = _layout(tmp_path, _source_url(url.format(outside=tmp_path / "outside")))
    _assert_refused(_generate(specs), specs, "flow.arazzo.yaml:4:")


def test_a_file_url_outside_is_not_read(tmp_path: Path) -> None:
    specs = _layout(tmp_path, _source_url(f"file://{tmp_path / 'outside' / 'api.openapi.yaml'}"))
    result = _generate(specs)
    assert result.exit_code == 1 and SENTINEL not in result.output, result.output
    assert "flow.arazzo.yaml:4:" in result.output and "Traceback" not in result.output


def test_an_openapi_ref_outside_is_refused(tmp_path: Path) -> None:
    openapi = OPENAPI.replace(
        '{$ref: "#/components/schemas/Thing"}', "{$ref: '../outside/schemas.yaml#/Thing'}"
    )
    specs = _layout(tmp_path, openapi=openapi)
    _assert_refused(_generate(specs), specs, "api.openapi.yaml:")


def test_a_symlink_that_leads_outside_is_refused(tmp_path: Path) -> None:
    specs = _layout(tmp_path, _source_url("./linked.openapi.yaml"))
    os.symlink(tmp_path / "outside" / "api.openapi.yaml", specs / "linked.openapi.yaml")
    _assert_refused(_generate(specs), specs, "flow.arazzo.yaml:4:")


def test_a_symlinked_document_outside_is_not_opened_when_searching(tmp_path: Path) -> None:
    specs = _layout(tmp_path)
    outside = tmp_path / "outside" / "other.arazzo.yaml"
    outside.write_text(ARAZZO.replace("title:", f"summary: {SENTINEL}\n  title:", 1))
    os.symlink(outside, specs / "other.arazzo.yaml")
    result = _generate(specs)
    assert result.exit_code == 0, result.output
    assert "specs/other.arazzo.yaml: warning[AG121]: not read: a symlink leads it outside" in (
        result.output
    )
    assert f"--allow-dir {outside.parent}" in result.output
    assert SENTINEL not in result.output
    assert sorted(p.name for p in (specs.parent / "out").iterdir() if p.is_dir()) == ["flow"]


def test_an_allowed_folder_may_be_referenced(tmp_path: Path) -> None:
    openapi = OPENAPI.replace(
        '{$ref: "#/components/schemas/Thing"}', "{$ref: '../outside/schemas.yaml#/Thing'}"
    )
    specs = _layout(tmp_path, openapi=openapi)
    (tmp_path / "outside" / "schemas.yaml").write_text("Thing: {type: object}\n")
    result = _generate(specs, "--allow-dir", str(tmp_path / "outside"))
    assert result.exit_code == 0, result.output
    assert (specs.parent / "out" / "flow" / "read.py").is_file()


def test_a_source_override_file_is_allowed_with_its_folder(tmp_path: Path) -> None:
    specs = _layout(tmp_path)
    (tmp_path / "outside" / "api.openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    result = _generate(specs, "--source", f"api={tmp_path / 'outside' / 'api.openapi.yaml'}")
    assert result.exit_code == 0, result.output


def test_allow_dirs_can_be_set_in_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    openapi = OPENAPI.replace(
        '{$ref: "#/components/schemas/Thing"}', "{$ref: '../outside/schemas.yaml#/Thing'}"
    )
    specs = _layout(tmp_path, openapi=openapi)
    (tmp_path / "outside" / "schemas.yaml").write_text("Thing: {type: object}\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.arazzo-gen]\nallow-dirs = ["../outside"]\n')
    monkeypatch.chdir(project)
    result = _generate(specs)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("where", ["source url", "$ref"])
def test_a_nul_in_a_path_is_an_error_not_a_crash(tmp_path: Path, where: str) -> None:
    if where == "source url":
        specs = _layout(tmp_path, _source_url('"./api\\0.openapi.yaml"'))
    else:
        nul_ref = '{$ref: "schemas\\0.yaml#/Thing"}'
        specs = _layout(
            tmp_path, openapi=OPENAPI.replace('{$ref: "#/components/schemas/Thing"}', nul_ref)
        )
    result = _generate(specs)
    assert result.exit_code == 1, result.output
    assert "error[AG002]" in result.output and "not a usable file path" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
