"""Measure FAQ matching on the kept question set: accuracy, out-of-scope safety and latency.

Run: `uv run python benchmarks/faq.py [--questions FILE] [--repeat N] [--misses]`. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from knowledge.faq import FaqBase

QUESTIONS = Path(__file__).parents[1] / "tests" / "data" / "faq_questions.jsonl"


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of the values."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the set")
    parser.add_argument("--misses", action="store_true", help="list wrong and unsure answers")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    base = FaqBase.load()
    load_ms = (time.perf_counter() - started) * 1000
    items = [json.loads(line) for line in args.questions.read_text("utf-8").splitlines() if line]

    correct = confident_correct = confident_wrong = unsure = oos_confident = 0
    misses: list[dict[str, object]] = []
    in_scope = [item for item in items if item["expected"] is not None]
    for item in items:
        answer = base.ask(item["question"], item.get("language", "mn"))
        guess = answer.topic or (answer.suggestions[0] if answer.suggestions else None)
        if item["expected"] is None:
            oos_confident += answer.confidence == "confident"
            if answer.confidence != "none":
                misses.append(
                    {**item, "got": guess, "confidence": answer.confidence, "score": answer.score}
                )
            continue
        correct += guess == item["expected"]
        unsure += answer.confidence == "unsure"
        if answer.confidence == "confident":
            confident_correct += answer.topic == item["expected"]
            confident_wrong += answer.topic != item["expected"]
        if guess != item["expected"] or answer.confidence != "confident":
            misses.append(
                {**item, "got": guess, "confidence": answer.confidence, "score": answer.score}
            )

    timings: list[float] = []
    for _ in range(args.repeat):
        for item in items:
            begin = time.perf_counter_ns()
            base.ask(item["question"], item.get("language", "mn"))
            timings.append((time.perf_counter_ns() - begin) / 1e6)

    report: dict[str, object] = {
        "questions": len(items),
        "in_scope": len(in_scope),
        "out_of_scope": len(items) - len(in_scope),
        "top1_accuracy": round(correct / len(in_scope), 4),
        "confident_correct": round(confident_correct / len(in_scope), 4),
        "unsure": unsure,
        "in_scope_confident_wrong": confident_wrong,
        "out_of_scope_confident": oos_confident,
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(percentile(timings, 0.95), 3),
        "load_ms": round(load_ms, 1),
    }
    if args.misses:
        report["misses"] = misses
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
