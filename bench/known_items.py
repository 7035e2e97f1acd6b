"""Known-item search: text pasted from a document must find that document.

Samples runs of 4-12 Chinese characters cut at random places from random documents of the
shared corpus, keeping only runs found in at most 2 documents (the script prints how many
it dropped), searches each, and reports how often the source document is first and in the
top 10 (documents, best section each): strictly, and counting the document found when
the hit is another version of its law (same title, another 发布日期; the hit lists it).

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
from search.index.live import SearchIndex  # noqa: E402
from search.ingest.read import read_document  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402

CJK_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")
MAX_DOCS_WITH_RUN = 2


@dataclass(frozen=True)
class KnownItem:
    doc_id: str
    text: str
    holders: int  # documents whose text contains the run (1 or 2)
    holder_ids: tuple[str, ...] = ()  # those documents, the source among them


@dataclass(frozen=True)
class KnownItemSample:
    items: list[KnownItem]
    cut: int  # runs cut from documents, kept or not
    dropped: int  # of those, runs found in more than MAX_DOCS_WITH_RUN documents


def sample_known_items(docs_dir: Path, samples: int, seed: int) -> KnownItemSample:
    """Runs of 4-12 Chinese characters, each occurring in at most two documents.

    A run found in more documents is dropped and another cut: such text (a standard clause,
    a phrase every report uses) points to no one document to find.
    """
    rng = random.Random(seed)
    paths = sorted(docs_dir.glob("*.txt"))
    reports = {p: read_document(p, docs_dir) for p in paths}
    bodies = [(r.doc_id, r.body) for r in reports.values()]
    items: list[KnownItem] = []
    cut = attempts = 0
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
        cut += 1
        holder_ids = tuple(doc_id for doc_id, body in bodies if text in body)
        if len(holder_ids) <= MAX_DOCS_WITH_RUN:
            items.append(KnownItem(report.doc_id, text, len(holder_ids), holder_ids))
    return KnownItemSample(items, cut, cut - len(items))


def document_rank(
    index: SearchIndex, item: KnownItem, depth: int = 100, versions: bool = False
) -> int | None:
    """1-based rank of the item's document among the hits (one per law); with `versions`,
    a hit that is another version of the document's law counts as the document."""
    return document_ranks(index, item, depth)[1 if versions else 0]


def document_ranks(
    index: SearchIndex, item: KnownItem, depth: int = 100
) -> tuple[int | None, int | None]:
    """The item's document's rank strictly, and counting another version of its law."""
    return _ranks(index, item, depth)[:2]


def _ranks(
    index: SearchIndex, item: KnownItem, depth: int = 100
) -> tuple[int | None, int | None, int | None]:
    """The item's document's rank strictly, counting another version of its law, and the
    rank of the first hit (or version) that is any document holding the run."""
    results = run_search(index, SearchRequest.create(item.text, size=depth))
    strict = with_versions = any_holder = None
    holders = set(item.holder_ids) or {item.doc_id}
    for rank, hit in enumerate(results.hits, 1):
        if hit.doc_id == item.doc_id:
            strict = rank
        shown = {hit.doc_id, *(v["doc_id"] for v in hit.versions)}
        if item.doc_id in shown and with_versions is None:
            with_versions = rank
        if shown & holders and any_holder is None:
            any_holder = rank
    return strict, with_versions, any_holder


@dataclass(frozen=True)
class KnownItemScores:
    at1: float
    at10: float
    by_holders: dict[int, tuple[int, float, float]]  # holders -> (runs, @1, @10)
    latencies_ms: list[float]
    # Counting the document found when the hit is another version of its law.
    versions_at1: float = 0.0
    versions_at10: float = 0.0
    # Counting any document that holds the run (a run in two documents names neither alone).
    any_holder_at1: float = 0.0


def score_known_items(index: SearchIndex, items: list[KnownItem]) -> KnownItemScores:
    ranks, version_ranks, holder_ranks, latencies = [], [], [], []
    for item in items:
        started = time.perf_counter()
        strict, with_versions, any_holder = _ranks(index, item)
        latencies.append((time.perf_counter() - started) * 1000)
        ranks.append(strict)
        version_ranks.append(with_versions)
        holder_ranks.append(any_holder)
    groups: dict[int, list[int | None]] = {}
    for rank, item in zip(ranks, items, strict=True):
        groups.setdefault(item.holders, []).append(rank)
    return KnownItemScores(
        at1=_share(ranks, 1),
        at10=_share(ranks, 10),
        by_holders={h: (len(g), _share(g, 1), _share(g, 10)) for h, g in sorted(groups.items())},
        latencies_ms=latencies,
        versions_at1=_share(version_ranks, 1),
        versions_at10=_share(version_ranks, 10),
        any_holder_at1=_share(holder_ranks, 1),
    )


def _share(ranks: list[int | None], depth: int) -> float:
    return sum(r is not None and r <= depth for r in ranks) / max(len(ranks), 1)


def print_known_items(scores: KnownItemScores, sample: KnownItemSample, seed: int) -> None:
    runs = len(sample.items)
    print(f"known items: {runs} runs of 4-12 characters (seed {seed})")
    print(
        f"  sampled: runs cut at random places from random documents, kept only when found "
        f"in at most {MAX_DOCS_WITH_RUN} documents\n"
        f"  ({sample.dropped} of {sample.cut} runs cut were dropped, found in "
        f"{MAX_DOCS_WITH_RUN + 1} or more)"
    )
    print(f"  success@1  {scores.at1:.1%}   (goal >= 90%)")
    print(f"  success@10 {scores.at10:.1%}   (goal >= 98%)")
    print(
        f"  with versions (the hit another version of the document's law): "
        f"@1 {scores.versions_at1:.1%}  @10 {scores.versions_at10:.1%}"
    )
    print(f"  a document holding the run (or a version of one) first: {scores.any_holder_at1:.1%}")
    for holders, (count, at1, at10) in scores.by_holders.items():
        label = "in one document" if holders == 1 else f"in {holders} documents"
        print(f"    runs {label:<17} {count:>4}: @1 {at1:.1%}  @10 {at10:.1%}")
    print(f"  latency p50 {statistics.median(scores.latencies_ms):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    sample = sample_known_items(shared_corpus(), args.samples, args.seed)
    items = sample.items
    with SearchIndex(args.index) as index:
        if args.show_misses:
            for item in items:
                rank = document_rank(index, item)
                if rank != 1:
                    print(f"  rank {rank}: {item.text} ({item.doc_id})")
        scores = score_known_items(index, items)
    print_known_items(scores, sample, args.seed)


if __name__ == "__main__":
    main()
