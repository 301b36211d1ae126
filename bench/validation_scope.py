"""Benchmark: validating a large OpenAPI document whole vs. in scope.

Builds an OpenAPI document of N operations (each with its own component schema, like
the 10 MB document of tests/test_bounds.py), then times, in one run, openapi-spec-validator
over the whole document and over the scope of the one path item a workflow calls
(`generator.spec.validation.scoped_data`), and prints both and their ratio. Usage:

    python bench/validation_scope.py [--operations 570]   # about 1 MB
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from test_bounds import big_openapi  # noqa: E402

from generator.diagnostics import Diagnostics  # noqa: E402
from generator.load import Loader  # noqa: E402
from generator.spec.validation import Validation, validator_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=570)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "api.openapi.yaml"
        text = big_openapi(args.operations)
        path.write_text(text, encoding="utf-8")
        diagnostics = Diagnostics()
        doc = Loader(path.parent, diagnostics).load(path)
        assert doc is not None
        validator = validator_for(doc, diagnostics)
        assert validator is not None
        validation = Validation(doc, validator, Loader(path.parent, diagnostics), None)
        timings = {}
        for name, item in (("whole", None), ("scope", f"/things{args.operations - 1}/{{thingId}}")):
            started = time.perf_counter()
            validation.problems(item)  # text None: never cached
            timings[name] = time.perf_counter() - started
    size = len(text) / 2**20
    print(f"{args.operations} operations, {size:.2f} MB")
    print(f"whole document: {timings['whole']:.2f} s")
    print(f"one path item's scope: {timings['scope']:.3f} s")
    print(f"ratio: {timings['whole'] / timings['scope']:.0f}x")


if __name__ == "__main__":
    main()
