"""Measure how long the quick commands take from process start to exit.

Runs `python -m bot --help`, `faq ask` and `practices search` (against a migrated SQLite
database in a temporary folder) several times each, interleaved, and prints the median and
fastest wall time and the median CPU time of each as JSON. `uv run` adds its own start-up
on top (about 0.1 s here). `--source DIR` measures another checkout of the code (e.g. an
export of main) with the same interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "--help": ["--help"],
    "faq ask": ["faq", "ask", "Сайн туршлага гэж юу вэ"],
    "practices search": ["practices", "search", "хог ангилах"],
}


def run(arguments: list[str], folder: Path, environment: dict[str, str]) -> tuple[float, float]:
    """Run the command line once; return its wall time and CPU time in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=folder,
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--runs", type=int, default=7)
    options.add_argument("--source", type=Path, help="the checkout to measure (default: this)")
    args = options.parse_args()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if args.source is not None:
        environment["PYTHONPATH"] = str(args.source.resolve())
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        run(["db", "upgrade"], folder, environment)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):
            for name, arguments in COMMANDS.items():
                times[name].append(run(arguments, folder, environment))
    print(
        json.dumps(
            {
                name: {
                    "median_s": round(statistics.median(w for w, _ in samples), 3),
                    "fastest_s": round(min(w for w, _ in samples), 3),
                    "cpu_median_s": round(statistics.median(c for _, c in samples), 3),
                }
                for name, samples in times.items()
            }
            | {"load_average": os.getloadavg()[0], "runs": args.runs}
        )
    )


if __name__ == "__main__":
    main()
