"""Unit: the diagnostics collection says (and counts) each problem once."""

from __future__ import annotations

from generator.diagnostics import Diagnostics, Level, Span


def test_a_problem_found_twice_is_said_and_counted_once() -> None:
    diagnostics = Diagnostics()
    span = Span("api.yaml", 3, 5, "/paths/~1pets")
    for _ in range(2):  # e.g. the OpenAPI validator's schema pass, then through a $ref
        diagnostics.error("AG202", span, "invalid OpenAPI document: x", "fix it")
    diagnostics.error("AG202", span, "invalid OpenAPI document: y", "fix it")
    diagnostics.warning("AG202", span, "invalid OpenAPI document: x", "fix it")
    assert diagnostics.error_count == 2
    assert diagnostics.warning_count == 1
    assert len(diagnostics) == len(diagnostics.sorted()) == 3
    assert [d.level for d in diagnostics] == [Level.ERROR, Level.ERROR, Level.WARNING]
