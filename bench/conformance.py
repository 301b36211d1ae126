"""Conformance: compile every entry document of the public Arazzo corpus and report.

For each entry of `../shared/arazzo-corpus/MANIFEST.json` (`ARAZZO_CORPUS` overrides
the location) the document is compiled offline, with the case's `url_map` turned
into `--source NAME=PATH` overrides exactly as `tests/corpus.py` does, so nothing
is fetched. Each entry is then:

* `generated`: no errors; every workflow became a module,
* `partial k/n`: errors, but k of the n workflows compiled cleanly on their own,
* `rejected`: errors and no module,
* `INTERNAL`: arazzo-gen raised (a bug; the traceback is printed).

Every module that was produced is written to one temporary folder (one package
per entry) and `mypy --strict` runs once over all of them; a module with mypy
errors is reported. Usage, from the repository root:

    python bench/conformance.py [--verbose] [--json]

Exit status 0 when there is no internal error and mypy is clean, else 1.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from corpus import CORPUS, Entry, entries  # noqa: E402

from generator.diagnostics import Diagnostic, Level, display_path  # noqa: E402
from generator.pipeline import compile_specs, display_root  # noqa: E402
from generator.sources import SourceOptions  # noqa: E402
from generator.write import write_tree  # noqa: E402


@dataclass
class CaseResult:
    """What compiling one corpus entry gave."""

    entry: Entry
    slug: str
    workflows: int = 0  # workflows in the document
    built: int = 0  # its workflows that compiled cleanly (not those of its Arazzo sources)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    internal: str | None = None  # the traceback, when arazzo-gen raised
    mypy: list[str] = field(default_factory=list)  # mypy error lines for its modules

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level is Level.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level is Level.WARNING]

    @property
    def error_codes(self) -> list[str]:
        return sorted({d.code for d in self.errors})

    @property
    def warning_codes(self) -> list[str]:
        return sorted({d.code for d in self.warnings})

    @property
    def status(self) -> str:
        if self.internal is not None:
            return "INTERNAL"
        if not self.errors:
            return "generated"
        if self.built:
            return f"partial {self.built}/{self.workflows}"
        return "rejected"


def compile_entry(entry: Entry, index: int, cache_dir: Path) -> CaseResult:
    """Compile one entry document offline; never raises."""
    case = re.sub(r"\W", "_", entry.case)
    slug = f"c{index:02d}_{case}"
    result = CaseResult(entry, slug, workflows=int(str(entry.manifest.get("workflows", 0))))
    sources = SourceOptions(
        cache_dir=cache_dir,
        offline=True,
        overrides=entry.overrides,
        allowed_dirs=(entry.folder.resolve(),),
    )
    try:
        compiled = compile_specs([entry.document], sources=sources)
    except Exception:  # an internal error: exactly what this script looks for
        result.internal = traceback.format_exc()
        return result
    result.diagnostics = compiled.diagnostics.sorted()
    shown = display_path(entry.document, display_root([entry.document]))
    result.built = sum(1 for w in compiled.workflows if w.source_file == shown)
    result.files = compiled.files if compiled.workflows else {}
    return result


def run_mypy(results: list[CaseResult], folder: Path) -> str:
    """Write every produced module under `folder` and type-check them all at once.

    Returns mypy's output; each result gets the error lines of its own files."""
    written = [r for r in results if r.files]
    if not written:
        return ""
    for result in written:
        write_tree(folder / result.slug, result.files)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            *(r.slug for r in written),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    by_slug = {r.slug: r for r in written}
    for line in completed.stdout.splitlines():
        slug = line.split("/", 1)[0]
        if slug in by_slug and ": error:" in line:
            by_slug[slug].mypy.append(line)
    if completed.returncode not in (0, 1) or (
        completed.returncode == 1 and not any(r.mypy for r in written)
    ):
        # mypy itself failed (crash, bad arguments): blame every module, loudly
        for result in written:
            result.mypy.append(f"mypy failed: {completed.stdout}{completed.stderr}".strip())
    return completed.stdout


@dataclass
class Report:
    results: list[CaseResult]
    mypy: str  # mypy's last line ("Success: no issues found in N source files"), or ""


def conformance(mypy: bool = True) -> Report:
    """Compile every corpus entry (and type-check what it produced)."""
    with tempfile.TemporaryDirectory(prefix="arazzo-conformance-") as tmp:
        cache = Path(tmp) / "cache"
        results = [compile_entry(e, i, cache) for i, e in enumerate(entries(), start=1)]
        output = run_mypy(results, Path(tmp) / "out") if mypy else ""
    lines = output.strip().splitlines()
    return Report(results, lines[-1] if lines else "")


def table(results: list[CaseResult]) -> str:
    rows = [("entry", "status", "errors", "warnings", "mypy")]
    for r in results:
        rows.append(
            (
                r.entry.name,
                r.status,
                " ".join(f"{c}x{n}" if n > 1 else c for c, n in _counts(r.errors)) or "-",
                " ".join(f"{c}x{n}" if n > 1 else c for c, n in _counts(r.warnings)) or "-",
                ("FAIL" if r.mypy else "ok") if r.files else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _counts(items: list[Diagnostic]) -> list[tuple[str, int]]:
    return sorted(Counter(d.code for d in items).items())


def summary(results: list[CaseResult]) -> dict[str, int]:
    statuses = Counter("partial" if r.status.startswith("partial") else r.status for r in results)
    return {
        "entries": len(results),
        "generated": statuses["generated"],
        "partial": statuses["partial"],
        "rejected": statuses["rejected"],
        "internal_errors": statuses["INTERNAL"],
        "workflows": sum(r.workflows for r in results),
        "workflows_generated": sum(r.built for r in results),
        "modules_type_checked": sum(
            1 for r in results for f in r.files if not f.endswith("__init__.py")
        ),
        "mypy_failures": sum(1 for r in results if r.mypy),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="print every diagnostic")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-mypy", action="store_true", help="skip mypy --strict")
    args = parser.parse_args()
    if not (CORPUS / "MANIFEST.json").is_file():
        print(f"corpus not found at {CORPUS} (set ARAZZO_CORPUS)", file=sys.stderr)
        return 2
    report = conformance(mypy=not args.no_mypy)
    results = report.results
    counts = summary(results)
    if args.json:
        print(
            json.dumps(
                {
                    "summary": counts,
                    "mypy": report.mypy,
                    "entries": [
                        {
                            "entry": r.entry.name,
                            "status": r.status,
                            "errors": r.error_codes,
                            "warnings": r.warning_codes,
                            "mypy": r.mypy,
                        }
                        for r in results
                    ],
                },
                indent=2,
            )
        )
    else:
        print(table(results))
        print()
        print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
        if report.mypy:
            print(f"mypy --strict: {report.mypy}")
    for r in results:
        if r.internal:
            print(f"\nINTERNAL ERROR in {r.entry.name}:\n{r.internal}", file=sys.stderr)
        for line in r.mypy:
            print(f"mypy: {line}", file=sys.stderr)
        if args.verbose and not args.json:
            for d in r.diagnostics:
                print(f"  {r.entry.name}: {d.render().splitlines()[0]}")
    failed = counts["internal_errors"] or counts["mypy_failures"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
