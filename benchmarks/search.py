"""Benchmark practice search against a rapidfuzz WRatio baseline; print JSON.

For 1,000, 10,000 and 100,000 practices (the 62 labelled test practices mixed
into synthetic ones generated from their vocabulary), measure per-query p50
and p95 latency and recall@3 over the labelled queries, for
:class:`knowledge.search.SearchIndex` and for
``process.extract(query, full_texts, scorer=fuzz.WRatio, limit=3)``. The
baseline gets its texts lowercased and stripped of punctuation once up front
(``utils.default_process``), which helps it and costs nothing per query.

The held-out queries (``tests/data/search_heldout.jsonl``: English, synonym and
place-and-topic queries written apart from the index's tuning) are reported as
recall@3 by kind at every size; ``--baseline REF`` also measures the search of a git
revision (its ``knowledge/`` package, run in a process of its own) on the same corpora:
latency, processor time and recall by kind, before the sizes of this revision.
Processor time per query is reported beside wall time: on a shared machine the wall
time also counts waiting for a core.

Run: ``uv run python benchmarks/search.py [--sizes 1000,10000,100000] [--baseline main]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parents[1]
# Set by the baseline run: a directory holding another revision's `knowledge` package.
KNOWLEDGE_ROOT = os.environ.get("SEARCH_BENCH_KNOWLEDGE")
sys.path.insert(0, str(ROOT))
if KNOWLEDGE_ROOT:
    sys.path.insert(0, KNOWLEDGE_ROOT)

from knowledge.search import SearchDocument, SearchIndex  # noqa: E402
from tests.support.search_data import load  # noqa: E402


def to_document(record: dict[str, Any]) -> SearchDocument:
    """Turn a practice record into a document, with the fields this revision knows."""
    known = {item.name for item in dataclasses.fields(SearchDocument)}
    values = {**record, "tags": tuple(record.get("tags", ()))}
    return SearchDocument(**{name: value for name, value in values.items() if name in known})


FIELDS = ("title", "problem", "solution", "results")
SEED = 20240605
# Baseline queries per size: WRatio over 100k texts takes over a second per
# query, so the larger corpora get a fixed random subsample of the labelled
# queries (the same one for both engines' subsample figures).
BASELINE_QUERIES = {1_000: None, 10_000: 40, 100_000: 12}
CYRILLIC = "абвгдеёжзийклмноөпрстуүфхцчшэюя"


class Generator:
    """Make synthetic practices from the real ones' words, field by field."""

    def __init__(self, practices: list[dict], rng: random.Random) -> None:
        """Learn each field's word frequencies and lengths from the real practices."""
        self.rng = rng
        self.words: dict[str, list[str]] = {}
        self.weights: dict[str, list[int]] = {}
        self.lengths: dict[str, list[int]] = {}
        for name in FIELDS:
            counts: Counter[str] = Counter()
            lengths = []
            for record in practices:
                tokens = record[name].replace(",", " ").replace(".", " ").split()
                counts.update(tokens)
                lengths.append(len(tokens))
            self.words[name] = sorted(counts)
            self.weights[name] = [counts[word] for word in self.words[name]]
            self.lengths[name] = lengths
        self.categories = sorted({p["category"] for p in practices})
        self.districts = sorted({p["district"] for p in practices})

    def _mutate(self, word: str) -> str:
        """Change one letter, so that the corpus grows a long tail of rare words."""
        position = self.rng.randrange(len(word))
        return word[:position] + self.rng.choice(CYRILLIC) + word[position + 1 :]

    def _field(self, name: str) -> str:
        """Draw one field's text: real words by real frequency, some varied."""
        length = max(2, self.rng.choice(self.lengths[name]) + self.rng.randint(-2, 2))
        words = self.rng.choices(self.words[name], weights=self.weights[name], k=length)
        return " ".join(self._mutate(w) if self.rng.random() < 0.02 else w for w in words)

    def practice(self, number: int) -> SearchDocument:
        """Return synthetic practice number `number`."""
        return SearchDocument(
            id=f"s{number}",
            title=self._field("title").capitalize(),
            problem=self._field("problem"),
            solution=self._field("solution"),
            results=self._field("results"),
            district=self.rng.choice(self.districts),
            category=self.rng.choice(self.categories),
            status="approved",
            year=self.rng.randint(2018, 2025),
        )


def full_text(doc: SearchDocument) -> str:
    """Join a practice's fields the way the baseline sees it."""
    return " ".join((doc.title, doc.problem, doc.solution, doc.results, " ".join(doc.tags)))


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run_ours(
    index: SearchIndex, queries: list[dict], cpu: list[float] | None = None
) -> tuple[list[float], list[bool]]:
    """Time our search per query; return latencies (ms) and top-3 hits.

    ``cpu`` collects each query's processor time (ms) too: on a shared machine the wall
    time also counts the waits for a core.
    """
    latencies, found = [], []
    for query in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        hits = index.search(query["query"], limit=3).hits
        latencies.append((time.perf_counter() - start) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - start_cpu) * 1000)
        found.append(query["expected"] in {hit.id for hit in hits})
    return latencies, found


def run_baseline(
    texts: list[str], ids: list[str], queries: list[dict]
) -> tuple[list[float], list[bool]]:
    """Time the WRatio baseline per query; return latencies (ms) and top-3 hits."""
    latencies, found = [], []
    for query in queries:
        start = time.perf_counter()
        best = process.extract(
            utils.default_process(query["query"]), texts, scorer=fuzz.WRatio, limit=3
        )
        latencies.append((time.perf_counter() - start) * 1000)
        found.append(query["expected"] in {ids[index] for _, _, index in best})
    return latencies, found


def recall_by_kind(index: SearchIndex, queries: list[dict]) -> dict[str, float]:
    """Return recall@3 of the held-out queries per kind."""
    found: dict[str, list[bool]] = {}
    for query in queries:
        hits = index.search(query["query"], limit=3).hits
        found.setdefault(query["kind"], []).append(query["expected"] in {hit.id for hit in hits})
    return {kind: round(sum(values) / len(values), 4) for kind, values in found.items()}


def summary(latencies: list[float], found: list[bool]) -> dict:
    """Summarise one engine's run."""
    return {
        "queries": len(latencies),
        "p50_ms": round(statistics.median(latencies), 3),
        "p95_ms": round(percentile(latencies, 0.95), 3),
        "recall_at_3": round(sum(found) / len(found), 4),
    }


def make_corpus(
    size: int, practices: list[dict]
) -> tuple[random.Random, list[SearchDocument], list[SearchDocument]]:
    """Return the seeded generator state, the corpus of `size` practices and its synthetic part."""
    rng = random.Random(SEED + size)
    generator = Generator(practices, rng)
    real = [to_document(p) for p in practices]
    synthetic = [generator.practice(n) for n in range(size - len(real))]
    corpus = synthetic + real
    rng.shuffle(corpus)
    return rng, corpus, synthetic


def ours_only(size: int, practices: list[dict], queries: list[dict], heldout: list[dict]) -> dict:
    """Measure this revision's search alone on a corpus of `size` practices."""
    _, corpus, _ = make_corpus(size, practices)
    index = SearchIndex()
    for doc in corpus:
        index.add(doc)
    cpu: list[float] = []
    latency, found = run_ours(index, queries, cpu)
    heldout_latency, _ = run_ours(index, heldout, cpu)
    return {
        "practices": size,
        "ours": summary(latency, found),
        "ours_heldout_recall_at_3": recall_by_kind(index, heldout),
        "ours_all_queries_p95_ms": round(percentile(latency + heldout_latency, 0.95), 3),
        "ours_all_queries_cpu_p50_ms": round(statistics.median(cpu), 3),
        "ours_all_queries_cpu_p95_ms": round(percentile(cpu, 0.95), 3),
    }


def bench_size(size: int, practices: list[dict], queries: list[dict], heldout: list[dict]) -> dict:
    """Build a corpus of `size` practices and measure both engines on it."""
    rng, corpus, synthetic = make_corpus(size, practices)

    start = time.perf_counter()
    index = SearchIndex()
    for doc in corpus:
        index.add(doc)
    build_s = time.perf_counter() - start

    # Writes stay cheap at any size: edit and re-add a sample of practices.
    edits = rng.sample(synthetic, min(500, len(synthetic)))
    start = time.perf_counter()
    for doc in edits:
        index.update(
            SearchDocument(
                id=doc.id,
                title=doc.title + " шинэчилсэн",
                problem=doc.problem,
                solution=doc.solution,
                results=doc.results,
                district=doc.district,
                category=doc.category,
                status=doc.status,
                year=doc.year,
            )
        )
    update_ms = (time.perf_counter() - start) * 1000 / len(edits)

    cpu: list[float] = []
    ours_latency, ours_found = run_ours(index, queries, cpu)
    heldout_latency, _ = run_ours(index, heldout, cpu)

    sample_size = BASELINE_QUERIES.get(size)
    sampled = queries
    if sample_size is not None and sample_size < len(queries):
        sampled = random.Random(SEED).sample(queries, sample_size)
    texts = [utils.default_process(full_text(doc)) for doc in corpus]
    ids = [str(doc.id) for doc in corpus]
    base_latency, base_found = run_baseline(texts, ids, sampled)
    ours_sampled_latency, ours_sampled_found = run_ours(index, sampled)

    result = {
        "practices": size,
        "vocabulary": index.vocabulary_size,
        "build_s": round(build_s, 2),
        "update_ms_per_practice": round(update_ms, 3),
        "ours": summary(ours_latency, ours_found),
        "ours_heldout_recall_at_3": recall_by_kind(index, heldout),
        "ours_all_queries_p95_ms": round(percentile(ours_latency + heldout_latency, 0.95), 3),
        "ours_all_queries_cpu_p50_ms": round(statistics.median(cpu), 3),
        "ours_all_queries_cpu_p95_ms": round(percentile(cpu, 0.95), 3),
        "baseline_wratio": summary(base_latency, base_found),
        "ours_on_baseline_queries": summary(ours_sampled_latency, ours_sampled_found),
        "baseline_queries_subsampled": sampled is not queries,
    }
    result["p95_ratio_ours_to_baseline"] = round(
        result["ours_on_baseline_queries"]["p95_ms"] / result["baseline_wratio"]["p95_ms"], 4
    )
    return result


def labelled_only(practices: list[dict], queries: list[dict], heldout: list[dict]) -> dict:
    """Measure recall@3 over the labelled practices alone (what a baseline run reports)."""
    index = SearchIndex()
    for record in practices:
        index.add(to_document(record))
    _, found = run_ours(index, queries)
    return {
        "labelled_recall_at_3": round(sum(found) / len(found), 4),
        "heldout_recall_at_3": recall_by_kind(index, heldout),
    }


def baseline(ref: str, sizes: str) -> dict:
    """Measure the search of git revision `ref` in a separate process (alone, no WRatio)."""
    with tempfile.TemporaryDirectory() as directory:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "knowledge"], check=True, capture_output=True
        ).stdout
        archive_path = Path(directory) / "knowledge.tar"
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as tar:
            tar.extractall(directory, filter="data")
        output = subprocess.run(
            [sys.executable, __file__, "--ours-only", "--sizes", sizes],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "SEARCH_BENCH_KNOWLEDGE": directory},
        ).stdout
    result: dict = json.loads(output)
    return result


def main() -> None:
    """Run the benchmark for each size and print the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--baseline", metavar="REF", help="also measure this git revision")
    parser.add_argument(
        "--labelled-only", action="store_true", help="only recall over the labelled practices"
    )
    parser.add_argument(
        "--ours-only", action="store_true", help="only this revision's search, no WRatio"
    )
    args = parser.parse_args()
    practices = load("practices.jsonl")
    queries = load("search_queries.jsonl")
    heldout = load("search_heldout.jsonl")
    sizes = [int(size) for size in args.sizes.split(",") if size]
    if args.labelled_only:
        print(json.dumps(labelled_only(practices, queries, heldout), indent=2))
        return
    if args.ours_only:
        result = {
            "labelled_practices_only": labelled_only(practices, queries, heldout),
            "sizes": [ours_only(size, practices, queries, heldout) for size in sizes],
        }
        print(json.dumps(result, indent=2))
        return
    report: dict = {
        "labelled_queries": len(queries),
        "heldout_queries": len(heldout),
        "real_practices": len(practices),
        "seed": SEED,
        "baseline": "process.extract(query, texts, scorer=fuzz.WRatio, limit=3), "
        "texts and query passed through utils.default_process",
        "labelled_practices_only": labelled_only(practices, queries, heldout),
    }
    if args.baseline:
        report[f"baseline_{args.baseline}"] = baseline(args.baseline, args.sizes)
    report["sizes"] = [bench_size(size, practices, queries, heldout) for size in sizes]
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
