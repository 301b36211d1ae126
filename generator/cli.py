"""Command line: parse options, run the pipeline, print diagnostics, set the exit code.

Exit codes: 0 success; 1 errors in the documents, or drift with `--check`;
2 usage errors (click's own); 3 an internal error (a bug in arazzo-gen).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from generator.diagnostics import Diagnostics, Level


def _report(diagnostics: Diagnostics, quiet: bool) -> None:
    for diagnostic in diagnostics.sorted():
        if quiet and diagnostic.level is Level.WARNING:
            continue
        click.echo(diagnostic.render(), err=True)
    errors, warnings = diagnostics.error_count, diagnostics.warning_count
    if errors or (warnings and not quiet):
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the generated package to.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the output would change.")
@click.option("--fail-on-warning", is_flag=True, help="Exit 1 when there are warnings.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.version_option(package_name="arazzo-gen")
def main(
    specs: tuple[Path, ...], out: Path, check: bool, fail_on_warning: bool, quiet: bool
) -> None:
    """Compile the Arazzo documents in SPECS (files or folders) to Python modules in OUT."""
    from generator.pipeline import compile_specs
    from generator.write import compare, write_tree

    try:
        result = compile_specs(list(specs))
    except Exception as exc:  # a bug in arazzo-gen, never in the user's documents
        if os.environ.get("ARAZZO_GEN_DEBUG"):
            raise
        click.echo(
            f"arazzo-gen: internal error: {type(exc).__name__}: {exc}\n"
            "  nothing was written; please report this with the documents that caused it "
            "(set ARAZZO_GEN_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(3)
    warnings_fail = fail_on_warning and result.diagnostics.warning_count > 0
    _report(result.diagnostics, quiet and not warnings_fail)
    if result.diagnostics.error_count:
        click.echo("nothing written: fix the errors above", err=True)
        sys.exit(1)
    if warnings_fail:
        click.echo("nothing written: --fail-on-warning and there are warnings", err=True)
        sys.exit(1)
    if check:
        drift = compare(out, result.files)
        if drift:
            sys.stdout.writelines(drift.diff)
            for relative in drift.added:
                click.echo(f"would add {out / relative}", err=True)
            click.echo(f"{out} is out of date: run arazzo-gen without --check", err=True)
            sys.exit(1)
        return
    written = write_tree(out, result.files)
    if not quiet:
        click.echo(
            f"{len(result.workflows)} workflow(s), {len(written)} file(s) written to {out}",
            err=True,
        )
