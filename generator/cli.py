"""Command line: parse options, run the pipeline, report, set the exit code.

    arazzo-gen [generate] SPECS... -o OUT [--check] [--fail-on-warning] [-q] [-v]
    arazzo-gen validate SPECS... [--format text|json|github]
    arazzo-gen graph SPEC [--workflow ID] [--format mermaid|dot]

`generate` is the default command. Options may also come from `[tool.arazzo-gen]`
in pyproject.toml (see `config.py`); flags win. Exit codes: 0 success; 1 errors
in the documents, or drift with `--check`; 2 usage errors; 3 an internal error
(a bug in arazzo-gen).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from generator.config import ConfigError, FileConfig, load_config

if TYPE_CHECKING:
    from generator.pipeline import Result
    from generator.sources import SourceOptions

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
_F = TypeVar("_F", bound=Callable[..., Any])


class _DefaultGroup(click.Group):
    """A group whose first argument, when it names no command, starts `generate`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("-h", "--help", "--version")
        ):
            args = ["generate", *args]
        return super().parse_args(ctx, args)


@dataclass(frozen=True)
class Reporting:
    """How diagnostics are shown."""

    fmt: str
    quiet: bool
    fail_on_warning: bool


def _config() -> FileConfig:
    try:
        return load_config(Path.cwd())
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _specs(given: tuple[Path, ...], config: FileConfig) -> list[Path]:
    specs = list(given) or list(config.specs)
    if not specs:
        raise click.UsageError(
            "name at least one SPECS file or folder (or set [tool.arazzo-gen] specs)"
        )
    return specs


def _internal_error(exc: Exception) -> NoReturn:
    if os.environ.get("ARAZZO_GEN_DEBUG"):
        raise exc
    click.echo(
        f"arazzo-gen: internal error: {type(exc).__name__}: {exc}\n"
        "  nothing was written; please report this with the documents that caused it "
        "(set ARAZZO_GEN_DEBUG=1 for a traceback)",
        err=True,
    )
    sys.exit(EXIT_INTERNAL)


def _run(specs: list[Path], render: bool, quiet: bool, sources: SourceOptions) -> Result:
    from generator.pipeline import compile_specs

    try:
        return compile_specs(specs, render=render, progress=_progress(quiet), sources=sources)
    except Exception as exc:  # a bug in arazzo-gen, never in the user's documents
        _internal_error(exc)


def _progress(quiet: bool) -> Callable[[int, int, str], None] | None:
    """Progress on stderr for larger trees, only when a person is watching."""
    if quiet or not sys.stderr.isatty():
        return None

    def show(index: int, count: int, name: str) -> None:
        if count >= 5:
            click.echo(f"\r\x1b[K[{index + 1}/{count}] {name[-60:]}", err=True, nl=False)
            if index + 1 == count:
                click.echo("\r\x1b[K", err=True, nl=False)

    return show


def _report(result: Result, reporting: Reporting, to_stderr: bool = True) -> bool:
    """Print the diagnostics; True when the run must fail because of them."""
    from generator.diagnostics import Level
    from generator.report import render, summary

    diagnostics = result.diagnostics
    fails = diagnostics.error_count > 0 or (
        reporting.fail_on_warning and diagnostics.warning_count > 0
    )
    shown = [
        d
        for d in diagnostics.sorted()
        if not (reporting.quiet and not fails and d.level is Level.WARNING)
    ]
    text = render(shown, reporting.fmt, result.texts)
    if text:
        click.echo(text, err=to_stderr, nl=False)
    if reporting.fmt == "text" and (diagnostics.error_count or (shown and not reporting.quiet)):
        click.echo(summary(diagnostics.error_count, diagnostics.warning_count), err=True)
    return fails


def _format_option(default: str = "text") -> Callable[[Any], Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json", "github"]),
        default=None,
        help=f"How to print diagnostics (default: {default}; 'github' annotates pull requests).",
    )


def _common(function: _F) -> _F:
    """The reporting options `generate` and `validate` share."""
    for option in (
        click.option(
            "--fail-on-warning", is_flag=True, default=None, help="Exit 1 when there are warnings."
        ),
        click.option("-q", "--quiet", is_flag=True, help="Print errors only."),
        _format_option(),
    ):
        function = option(function)
    return function


def _source_flags(function: _F) -> _F:
    """Options for where source documents come from (`generate`, `validate`, `graph`)."""
    for option in (
        click.option(
            "--offline",
            is_flag=True,
            default=None,
            help="Use only cached copies of http(s) source documents; fetch nothing.",
        ),
        click.option(
            "--source",
            "source_overrides",
            multiple=True,
            metavar="NAME=PATH",
            help="Load source description NAME from PATH instead of its url (repeatable).",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(path_type=Path, file_okay=False),
            default=None,
            help="Cache folder (default: $ARAZZO_GEN_CACHE_DIR, else ~/.cache/arazzo-gen).",
        ),
        click.option(
            "--allow-dir",
            "allow_dirs",
            multiple=True,
            type=click.Path(path_type=Path, file_okay=False),
            help="Also let documents reference local files in DIR (repeatable).",
        ),
    ):
        function = option(function)
    return function


def _source_options(
    config: FileConfig,
    offline: bool | None,
    overrides: tuple[str, ...],
    cache_dir: Path | None,
    allow_dirs: tuple[Path, ...] = (),
) -> SourceOptions:
    from generator.cache import default_cache_dir
    from generator.sources import SourceOptions, parse_overrides

    try:
        given = {**config.sources, **parse_overrides(overrides)}
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--source'") from None
    folder = cache_dir or config.cache_dir
    if folder is not None:  # the memo of validation and formatting follows it too
        os.environ["ARAZZO_GEN_CACHE_DIR"] = str(folder.resolve())
    return SourceOptions(
        cache_dir=(folder or default_cache_dir()).resolve(),
        offline=bool(offline if offline is not None else config.offline),
        overrides=given,
        allowed_dirs=tuple(p.resolve() for p in (*config.allow_dirs, *allow_dirs)),
    )


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arazzo-gen")
def main() -> None:
    """Compile Arazzo workflows to typed, standalone Python modules.

    Without a command, runs `generate`.
    """


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the generated package to.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the output would change.")
@click.option("-v", "--verbose", is_flag=True, help="List every file written.")
@_common
@_source_flags
def generate(
    specs: tuple[Path, ...],
    out: Path | None,
    check: bool,
    verbose: bool,
    fail_on_warning: bool | None,
    quiet: bool,
    fmt: str | None,
    offline: bool | None,
    source_overrides: tuple[str, ...],
    cache_dir: Path | None,
    allow_dirs: tuple[Path, ...],
) -> None:
    """Compile the Arazzo documents in SPECS (files or folders) to Python modules in OUT."""
    config = _config()
    out = out or config.output
    if out is None:
        raise click.UsageError("missing option '-o' / '--output' (or set [tool.arazzo-gen] output)")
    if out.exists() and not out.is_dir():
        raise click.UsageError(f"output {out} exists and is not a folder")
    reporting = Reporting(
        fmt or config.format or "text", quiet, bool(fail_on_warning or config.fail_on_warning)
    )
    sources = _source_options(config, offline, source_overrides, cache_dir, allow_dirs)
    result = _run(_specs(specs, config), render=True, quiet=quiet, sources=sources)
    if _report(result, reporting):
        reason = (
            "fix the errors above"
            if result.diagnostics.error_count
            else "--fail-on-warning and there are warnings"
        )
        click.echo(f"nothing written: {reason}", err=True)
        sys.exit(EXIT_FAILED)
    if check:
        _check(out, result)
    else:
        _write(out, result, quiet, verbose)


def _check(out: Path, result: Result) -> None:
    from generator.write import WriteError, compare

    try:
        drift = compare(out, result.files)
    except WriteError as exc:
        click.echo(f"cannot check {out}:\n{exc}", err=True)
        sys.exit(EXIT_FAILED)
    if drift.interrupted:
        click.echo(f"{out} holds an interrupted run; running arazzo-gen will repair it", err=True)
    if not drift:
        return
    sys.stdout.writelines(drift.diff)
    for relative in drift.added:
        click.echo(f"would add {out / relative}", err=True)
    for relative in drift.removed:
        click.echo(f"would remove {out / relative}", err=True)
    click.echo(f"{out} is out of date: run arazzo-gen without --check", err=True)
    sys.exit(EXIT_FAILED)


def _write(out: Path, result: Result, quiet: bool, verbose: bool) -> None:
    from generator.write import WriteError, write_tree

    try:
        done = write_tree(out, result.files)
    except WriteError as exc:
        click.echo(f"nothing written to {out}:\n{exc}", err=True)
        sys.exit(EXIT_FAILED)
    except OSError as exc:
        click.echo(f"writing {out} failed, the previous tree is kept: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    for relative in done.edited:
        click.echo(f"warning: {out / relative} had been edited by hand; regenerated", err=True)
    if verbose:
        for relative in done.written:
            click.echo(f"wrote {out / relative}", err=True)
        for relative in done.removed:
            click.echo(f"removed {out / relative}", err=True)
    if not quiet:
        click.echo(
            f"{len(result.workflows)} workflow(s), {len(done.written)} file(s) written, "
            f"{len(done.removed)} removed in {out}",
            err=True,
        )


@main.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
@_common
@_source_flags
def validate(
    specs: tuple[Path, ...],
    fail_on_warning: bool | None,
    quiet: bool,
    fmt: str | None,
    offline: bool | None,
    source_overrides: tuple[str, ...],
    cache_dir: Path | None,
    allow_dirs: tuple[Path, ...],
) -> None:
    """Run every check on SPECS and print the diagnostics; write nothing."""
    config = _config()
    reporting = Reporting(
        fmt or config.format or "text", quiet, bool(fail_on_warning or config.fail_on_warning)
    )
    sources = _source_options(config, offline, source_overrides, cache_dir, allow_dirs)
    result = _run(_specs(specs, config), render=False, quiet=quiet, sources=sources)
    fails = _report(result, reporting, to_stderr=reporting.fmt == "text")
    if not fails and not quiet and reporting.fmt == "text":
        click.echo(f"{len(result.workflows)} workflow(s) valid", err=True)
    sys.exit(EXIT_FAILED if fails else EXIT_OK)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--workflow", "workflow_id", help="Only this workflowId.")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid")
@_source_flags
def graph(
    spec: Path,
    workflow_id: str | None,
    fmt: str,
    offline: bool | None,
    source_overrides: tuple[str, ...],
    cache_dir: Path | None,
    allow_dirs: tuple[Path, ...],
) -> None:
    """Print the step graph of the workflows in SPEC (Mermaid or Graphviz DOT)."""
    from generator.graph import render_graphs

    sources = _source_options(_config(), offline, source_overrides, cache_dir, allow_dirs)
    result = _run([spec], render=False, quiet=True, sources=sources)
    if _report(result, Reporting("text", True, False)):
        sys.exit(EXIT_FAILED)
    workflows = [w for w in result.workflows if workflow_id in (None, w.workflow_id)]
    if not workflows:
        known = ", ".join(w.workflow_id for w in result.workflows) or "none"
        raise click.UsageError(f"no workflow {workflow_id!r} in {spec} (workflows: {known})")
    click.echo(render_graphs(workflows, fmt), nl=False)  # type: ignore[arg-type]


if __name__ == "__main__":  # pragma: no cover
    main()
