"""Known-item search: text pasted from a document must find that document.

Samples runs of 4-12 Chinese characters cut at random places from random documents of the
shared corpus (keeping runs found in at most 2 documents), searches each, and reports how
often the source document is first and in the top 10 (documents, best section each).

    python bench/known_items.py [--index DIR] [--samples 300] [--seed 7]

The index must hold the shared corpus: bench/index.py leaves one in bench/.index
(or `govsearch reindex --corpus $GOVSEARCH_SHARED/corpus/gov/docs --index bench/.index`).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.shared import shared_corpus  # noqa: E402
from search.ingest import read_report  # noqa: E402
from search.query import SearchRequest  # noqa: E402
from search.results import SearchIndex, run_search  # noqa: E402

CJK_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")
MAX_DOCS_WITH_RUN = 2


@dataclass(frozen=True)
class KnownItem:
    doc_id: str
    text: str
    holders: int  # documents whose text contains the run (1 or 2)


def sample_known_items(docs_dir: Path, samples: int, seed: int) -> list[KnownItem]:
    """Runs of 4-12 Chinese characters, each occurring in at most two documents."""
    rng = random.Random(seed)
    paths = sorted(docs_dir.glob("*.txt"))
    reports = {p: read_report(p, docs_dir) for p in paths}
    bodies = [r.body for r in reports.values()]
    items: list[KnownItem] = []
    attempts = 0
    while len(items) < samples and attempts < samples * 50:
        attempts += 1
        report = reports[rng.choice(paths)]
        runs = [m for m in CJK_RUN.finditer(report.body)]
        if not runs:
            continue
        run = rng.choice(runs)
        length = rng.randint(4, min(12, len(run.group())))
        start = rng.randint(run.start(), run.end() - length)
        text = report.body[start : start + length]
        holders = sum(text in body for body in bodies)
        if holders <= MAX_DOCS_WITH_RUN:
            items.append(KnownItem(report.doc_id, text, holders))
    return items


def document_rank(index: SearchIndex, item: KnownItem, depth: int = 100) -> int | None:
    """1-based rank of the item's document among documents (best section each)."""
    results = run_search(index, SearchRequest.create(item.text, size=depth))
    seen: list[str] = []
    for hit in results.hits:
        if hit.doc_id not in seen:
            seen.append(hit.doc_id)
        if hit.doc_id == item.doc_id:
            return seen.index(hit.doc_id) + 1
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    docs = shared_corpus()
    items = sample_known_items(docs, args.samples, args.seed)
    timings = []
    ranks = []
    with SearchIndex(args.index) as index:
        for item in items:
            started = time.perf_counter()
            ranks.append(document_rank(index, item))
            timings.append((time.perf_counter() - started) * 1000)
            if args.show_misses and ranks[-1] != 1:
                print(f"  rank {ranks[-1]}: {item.text} ({item.doc_id})")
    first = sum(r == 1 for r in ranks) / len(ranks)
    top10 = sum(r is not None and r <= 10 for r in ranks) / len(ranks)
    unique = [r for r, item in zip(ranks, items, strict=True) if item.holders == 1]
    shared = [r for r, item in zip(ranks, items, strict=True) if item.holders > 1]
    print(f"known items: {len(items)} runs of 4-12 characters (seed {args.seed})")
    print(f"  success@1  {first:.1%}   (goal >= 90%)")
    print(f"  success@10 {top10:.1%}   (goal >= 98%)")
    for label, group in (("in one document", unique), ("in two documents", shared)):
        if group:
            at1 = sum(r == 1 for r in group) / len(group)
            at10 = sum(r is not None and r <= 10 for r in group) / len(group)
            print(f"    runs {label:<17} {len(group):>4}: @1 {at1:.1%}  @10 {at10:.1%}")
    print(f"  latency p50 {statistics.median(timings):.0f} ms")


if __name__ == "__main__":
    main()
