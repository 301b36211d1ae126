"""Benchmark: how long `arazzo-gen specs/ -o generated/ --check` takes as a whole process.

Runs each command several times in one go and prints the median wall time and its
ratio to a bare `python -c pass` measured in the same run (machines are noisy, so
compare ratios from one run, not seconds across runs). Usage:

    python bench/cli_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def arazzo_gen() -> list[str]:
    script = shutil.which("arazzo-gen") or str(Path(sys.executable).parent / "arazzo-gen")
    return [script]


def median_seconds(command: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as cache:
        warm = {**os.environ, "ARAZZO_GEN_CACHE_DIR": cache}
        cold = {**os.environ, "ARAZZO_GEN_NO_CACHE": "1"}
        check = [*arazzo_gen(), "specs/", "-o", "generated/", "--check", "-q"]
        subprocess.run(check, cwd=REPO, env=warm, check=True, capture_output=True)  # fill cache
        cases = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"], warm),
            ("python -c 'import httpx'", [sys.executable, "-c", "import httpx"], warm),
            ("arazzo-gen --version", [*arazzo_gen(), "--version"], warm),
            ("arazzo-gen specs/ -o generated/ --check (warm cache)", check, warm),
            ("arazzo-gen specs/ -o generated/ --check (no cache)", check, cold),
            (
                "arazzo-gen validate specs/ (warm cache)",
                [*arazzo_gen(), "validate", "specs/", "-q"],
                warm,
            ),
        ]
        results = [(name, median_seconds(command, runs, env)) for name, command, env in cases]
    baseline = results[0][1]
    print(f"median of {runs} runs each")
    for name, seconds in results:
        print(f"{seconds * 1000:8.0f} ms  {seconds / baseline:6.1f}x baseline  {name}")


if __name__ == "__main__":
    main()
