"""Known-item search: text pasted from a document must find that document.

Samples runs of 4-12 Chinese characters cut at random places from random documents of the
shared corpus, keeping only runs found in at most 2 documents (the script prints how many
it dropped), searches each, and reports how often the source document is first and in the
top 10 (documents, best section each): strictly, and counting the document found when
the hit is another version of its law (same title, another 发布日期; the hit lists it).

A run that two documents hold names neither alone, so no ranking finds every source first.
The script also prints the most any ranking could reach from the run alone: for each run,
the chance that the sampler cut it from each holder (documents are drawn alike, then one
of their runs of Chinese characters, so a holder with fewer runs more likely gave it), the
likelier holder put first.

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
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.shared import shared_corpus  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.index.versions import VersionTable  # noqa: E402
from search.ingest.read import read_document  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402

SHORTEST_RUN, LONGEST_RUN = 4, 12  # characters of a pasted run
CJK_RUN = re.compile(rf"[\u4e00-\u9fff]{{{SHORTEST_RUN},}}")
MAX_DOCS_WITH_RUN = 2


@dataclass(frozen=True)
class KnownItem:
    doc_id: str
    text: str
    holders: int  # documents whose text contains the run (1 or 2)
    holder_ids: tuple[str, ...] = ()  # those documents, the source among them
    # for each holder, the chance that the sampler, having drawn it, cuts exactly this text
    holder_chances: tuple[float, ...] = ()


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
    body_of = dict(bodies)
    items: list[KnownItem] = []
    cut = attempts = 0
    while len(items) < samples and attempts < samples * 50:
        attempts += 1
        report = reports[rng.choice(paths)]
        runs = [m for m in CJK_RUN.finditer(report.body)]
        if not runs:
            continue
        run = rng.choice(runs)
        length = rng.randint(SHORTEST_RUN, min(LONGEST_RUN, len(run.group())))
        start = rng.randint(run.start(), run.end() - length)
        text = report.body[start : start + length]
        cut += 1
        holder_ids = tuple(doc_id for doc_id, body in bodies if text in body)
        if len(holder_ids) <= MAX_DOCS_WITH_RUN:
            chances = tuple(cut_chance(body_of[doc_id], text) for doc_id in holder_ids)
            items.append(KnownItem(report.doc_id, text, len(holder_ids), holder_ids, chances))
    return KnownItemSample(items, cut, cut - len(items))


def cut_chance(body: str, text: str) -> float:
    """The chance that `sample_known_items`, having drawn the document of this body, cuts
    exactly `text` from it: one of its runs of Chinese characters drawn alike, a length
    drawn alike up to the run's, and a start alike within the run."""
    runs = CJK_RUN.findall(body)
    if not runs or not SHORTEST_RUN <= len(text) <= LONGEST_RUN:
        return 0.0
    chance = 0.0
    for run in runs:
        if len(run) < len(text):
            continue
        lengths = min(LONGEST_RUN, len(run)) - SHORTEST_RUN + 1
        starts = len(run) - len(text) + 1
        chance += _occurrences(run, text) / (lengths * starts)
    return chance / len(runs)


def _occurrences(run: str, text: str) -> int:
    """Places `text` starts in `run`, overlapping ones included."""
    count, start = 0, run.find(text)
    while start >= 0:
        count, start = count + 1, run.find(text, start + 1)
    return count


def best_possible(items: list[KnownItem], versions: VersionTable) -> tuple[float, float]:
    """Success@1 of the ranking that puts first the holder likelier to have given each run
    (strictly, and counting a hit for every version of its law): the most any ranking can
    reach from the run's text alone. Items without chances count as their source found."""
    strict = with_versions = 0.0
    for item in items:
        chances = dict(zip(item.holder_ids, item.holder_chances, strict=True))
        total = sum(chances.values())
        if not total:
            strict, with_versions = strict + 1, with_versions + 1
            continue
        by_law: defaultdict[str, float] = defaultdict(float)
        for doc_id, chance in chances.items():
            law = min((v.doc_id for v in versions.versions(doc_id)), default=doc_id)
            by_law[law] += chance
        strict += max(chances.values()) / total
        with_versions += max(by_law.values()) / total
    count = max(len(items), 1)
    return strict / count, with_versions / count


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
    # The most any ranking could reach from the run alone (`best_possible`), strictly and
    # counting versions; None when the items carry no chances.
    best_at1: tuple[float, float] | None = None


def score_known_items(index: SearchIndex, items: list[KnownItem]) -> KnownItemScores:
    ranks, version_ranks, holder_ranks, latencies = [], [], [], []
    for item in items:
        started = time.perf_counter()
        strict, with_versions, any_holder = _ranks(index, item)
        latencies.append((time.perf_counter() - started) * 1000)
        ranks.append(strict)
        version_ranks.append(with_versions)
        holder_ranks.append(any_holder)
    best = None
    if any(item.holder_chances for item in items):
        with index.searcher():
            best = best_possible(items, index.versions)
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
        best_at1=best,
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
    if scores.best_at1 is not None:
        strict, with_versions = scores.best_at1
        print(
            f"  the most any ranking could reach from the run alone (the likelier holder "
            f"first): @1 {strict:.1%}, with versions {with_versions:.1%}"
        )
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
