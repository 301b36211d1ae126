"""Conformance over the public Arazzo corpus (`bench/conformance.py`), skipped without it.

* No entry makes arazzo-gen raise, and every module it produces passes `mypy --strict`.
* Every entry whose MANIFEST says `schema_valid: true` with no `problems` is generated,
  except those in `NOT_GENERATED`, each with the codes that stop it and why: a
  deliberate "not supported yet" (gap), a defect the corpus notes list (known), or a
  genuine defect the notes miss (unlisted). The table must be exact both ways.
* Every defect MANIFEST lists (`problems`, `schema_errors`, `nonstandard_expressions`)
  and every finding of SOURCES.md is reported by a diagnostic that names it (see
  `expected_for`), except the few in `NOT_REPORTED`, each with the reason.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from corpus import CORPUS, entries

REPO = Path(__file__).resolve().parent.parent


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("conformance", REPO / "bench" / "conformance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["conformance"] = module
    spec.loader.exec_module(module)
    return module


pytestmark = pytest.mark.skipif(not entries(), reason=f"corpus not found at {CORPUS}")

GAP, KNOWN, UNLISTED = "gap", "known", "unlisted"

#: MANIFEST-clean entries that are not generated: entry -> error code -> (kind, why).
NOT_GENERATED: dict[str, dict[str, tuple[str, str]]] = {
    "redocly-local-json-server/local-json-server.arazzo.yaml": {
        "AG400": (KNOWN, "payload value $faker.number.integer(...) is Redocly's, not Arazzo"),
        "AG311": (KNOWN, "get-item-by-id-auto-inherit passes no id for GET /items/{id}"),
    },
    "erwin-operation-resolution/valid.arazzo.yaml": {
        "AG202": (
            UNLISTED,
            "GET /pets/{petId}, which step byOperationPath calls, declares no parameter "
            "petId and the step gives none, so no request URL can be built: whatever "
            "replaced {petId} (nothing, the text '{petId}', an input) would be a guess",
        ),
    },
}

#: Listed defects no diagnostic names, and why: (entry, text of the defect) -> reason.
NOT_REPORTED: dict[tuple[str, str], str] = {
    (
        "strefethen-httpbin-chained-posts/httpbin-chained-posts.arazzo.yaml",
        "$expr",
    ): "not in the document's data: the text is in a YAML comment",
}


#: Repairs that report a defect in place of its usual code: AG426 takes a path parameter
#: not in the path (AG604) as the one the step omits (AG311), and names both; AG317 takes
#: an unknown operationId (AG300) as the one that differs from it only in case.
REPAIRED_BY = {"AG604": ("AG426",), "AG311": ("AG426",), "AG300": ("AG317",)}


def expected_for(case: str, defect: str) -> tuple[str, str] | str:
    """The diagnostic code that reports a listed defect and a text its message holds;
    or, as a plain string, why no diagnostic should (the defect is not one)."""
    rules: list[tuple[str, Any]] = [
        # MANIFEST problems
        (r"step .*: operationId (\$sourceDescriptions\.\S+) not found", ("AG300", 1)),
        (r"step .*: operationId (\S+\.\S+) not found", ("AG308", 1)),
        (r"step .*: operationId (\S+) not found", ("AG300", 1)),
        (r"step .*: operationId (\S+) ambiguous", ("AG302", 1)),
        (r"source \S+ unresolved: (https?://\S+)", ("AG113", 1)),
        (r"source \S+ unresolved: (?:\S*/)?([^/\s]+)", ("AG002", 1)),
        (r"step .*: odd operationPath (\w+#/\S+)", ("AG307", 1)),
        (r"step .*: odd operationPath (.+)", ("AG303", 1)),
        (r"step .*: operationPath pointer unresolved \S+#(\S+)", ("AG304", 1)),
        (r"step .*: unknown source (\S+)", ("AG301", 1)),
        (r"id '(.+)' does not match the recommended", ("AG114", 1)),
        (r"source \S+: OpenAPI has duplicate operationIds", ("AG204", "is not unique")),
        (r"duplicate stepIds in", ("AG601", "duplicate stepId")),
        # MANIFEST schema_errors
        (r".*\('\$schema' was unexpected\)", ("AG104", "'$schema'")),
        (r".*/outputs/(\w+): None is not of type", ("AG401", 1)),
        (r".*'context' is a dependency of 'type'", ("AG412", "needs a 'context'")),
        (r".*/onSuccess/0: \{'type': 'goto'", ("AG102", "'name'")),
        (r"workflows/\d+/steps: \[", ("AG601", "duplicate stepId")),
        (
            r".*successCriteria/\d+: (\{.*'type': \{'type': 'jsonpath'|Unevaluated .*'type' was)",
            "a Criterion Expression Type Object: valid per the 1.0.1 text, which arazzo-gen "
            "follows (the 2025-10-15 JSON Schema is stricter, see SOURCES.md)",
        ),
        # nonstandard_expressions
        (r"(\$(?:response|request)\.body[./]\S+)", ("AG420", 1)),
        (r"(\$steps\.[^.\s]+\.[^.\s]+)$", ("AG420", 1)),
        (r"\$faker", ("AG400", "$faker")),
        (r"\$expr$", ("AG400", "$expr")),
        (
            r"\$steps\.\w+$",
            "the corpus lint cut a $steps expression at a space; stepIds with spaces are "
            "valid runtime expression names (ABNF name = *CHAR), and AG114 names the ids",
        ),
        # SOURCES.md findings
        (r"params/body: step .*: parameter (\S+) in:(\w+) not declared", ("AG604", 0)),
        (r"params/body: step .*: required path parameter (\S+) of .* not supplied", ("AG311", 1)),
        (r"params/body: step .*: operationPath does not end in an HTTP method", ("AG309", "")),
        (r"params/body: … \d+ total", "a count, not a defect"),
    ]
    if case.startswith("jpa-ticketmaster-discovery/") and defect.startswith("params/body"):
        # the corpus tool picked one of the five operations called `find`; the cause is
        # what arazzo-gen reports
        return "AG302", "is ambiguous"
    for pattern, expected in rules:
        match = re.match(pattern, defect)
        if match is None:
            continue
        if isinstance(expected, str):
            return expected
        code, text = expected
        if code == "AG604":
            return code, f"declares no {match.group(2)} parameter '{match.group(1)}'"
        return code, match.group(text) if isinstance(text, int) else text
    raise AssertionError(f"{case}: no rule says which diagnostic reports {defect!r}")


def listed_defects() -> Iterator[tuple[str, str]]:
    """(entry name, defect) for every defect MANIFEST and SOURCES.md list."""
    by_case: dict[str, list[Any]] = {}
    for entry in entries():
        by_case.setdefault(entry.case, []).append(entry)
        for key in ("problems", "schema_errors", "nonstandard_expressions"):
            for defect in entry.manifest.get(key) or []:  # type: ignore[attr-defined]
                yield entry.name, str(defect)
    case, document = None, None
    for line in (CORPUS / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## (\S+)$", line)
        findings = re.match(r"- Findings for `([^`]+)`:", line)
        if heading:
            case, document = heading.group(1), None
        elif findings:
            document = findings.group(1)
        elif document and case and line.startswith("  - params/body: "):
            entry = next(e for e in by_case[case] if e.document.name == Path(document).name)
            yield entry.name, line[4:]
        elif not line.startswith("  "):
            document = None


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    script = _load_script()
    report = script.conformance(mypy=True)
    assert report.mypy.startswith("Success: no issues found"), report.mypy
    return {r.entry.name: r for r in report.results}


def test_no_internal_errors_and_mypy_strict_passes(results: dict[str, Any]) -> None:
    assert [name for name, r in results.items() if r.internal] == []
    assert {name: r.mypy for name, r in results.items() if r.mypy} == {}
    assert sum(len(r.files) for r in results.values()) > 0


def test_clean_entries_are_generated_unless_listed(results: dict[str, Any]) -> None:
    clean = {
        e.name
        for e in entries()
        if e.manifest.get("schema_valid") and not e.manifest.get("problems")
    }
    assert set(NOT_GENERATED) <= clean
    for name in sorted(clean):
        result = results[name]
        if name in NOT_GENERATED:
            assert result.status != "generated", f"{name} is generated now: update the table"
            assert set(result.error_codes) == set(NOT_GENERATED[name]), name
        else:
            assert result.status == "generated", (name, result.error_codes)


def test_every_listed_defect_is_reported(results: dict[str, Any]) -> None:
    missing = []
    for name, defect in listed_defects():
        if any(name == n and text in defect for n, text in NOT_REPORTED):
            continue
        expected = expected_for(name, defect)
        if isinstance(expected, str):
            continue  # not a defect arazzo-gen reports; the rule says why
        code, text = expected
        codes = {code, *REPAIRED_BY.get(code, ())}
        diagnostics = results[name].diagnostics
        if not any(d.code in codes and text in d.message for d in diagnostics):
            missing.append((name, defect[:100], code, text))
    assert missing == []


def test_the_not_reported_table_is_still_needed(results: dict[str, Any]) -> None:
    """An entry of NOT_REPORTED that is reported now must leave the table."""
    for (name, text), _why in NOT_REPORTED.items():
        defects = [d for n, d in listed_defects() if n == name and text in d]
        assert defects, (name, text)
        expected = expected_for(name, defects[0])
        if isinstance(expected, tuple):
            code, needle = expected
            reported = any(
                d.code == code and needle in d.message for d in results[name].diagnostics
            )
            assert not reported, f"{name}: {text!r} is reported now"
