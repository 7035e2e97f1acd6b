"""Ranking quality on STARD: questions from the public, judged against law articles.

Runs the dev questions in $GOVSEARCH_SHARED/bench/stard against an index of the shared
corpus, maps each hit (a section) to short law name + article number through laws.tsv, and
prints Recall@10, Recall@100, MRR@10 and nDCG@10, then known-item success@1/@10.

    python bench/relevance.py [--index DIR] [--limit N] [--show N] [--skip-known-items]
                              [--embed-candidates] [--split dev]

Questions are re-ranked by meaning where the index has section vectors (`govsearch embed`;
bench/embed.py measures how long the whole shared corpus takes: hours).
--embed-candidates embeds just the sections the questions can reach first (the first 100
of each, which is all the re-ranking looks at), so the figures are the same as with every
section embedded. GOVSEARCH_SEMANTIC=off measures the word ranking alone.

The index must hold the shared corpus: bench/index.py leaves one in bench/.index
(or `govsearch reindex --corpus $GOVSEARCH_SHARED/corpus/gov/docs --index bench/.index`).
"""

from __future__ import annotations

import argparse
import heapq
import math
import multiprocessing
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.known_items import (  # noqa: E402
    print_known_items,
    sample_known_items,
    score_known_items,
)
from bench.shared import shared_corpus, shared_dir  # noqa: E402
from search.embedding import embed_index  # noqa: E402
from search.live import SearchIndex  # noqa: E402
from search.query import MAX_SIZE, SearchRequest, compile_query  # noqa: E402
from search.ranking import score_all  # noqa: E402
from search.results import SearchHit, run_search  # noqa: E402
from search.semantic import RERANK_DEPTH  # noqa: E402

ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?")


@dataclass(frozen=True)
class Stard:
    questions: dict[str, str]
    relevant: dict[str, set[str]]
    short_names: dict[str, str]  # full law title -> short name used in the judgements


def load_stard(folder: Path, split: str = "dev") -> Stard:
    if not (folder / f"queries_{split}.tsv").is_file():
        sys.exit(f"STARD {split} data not found in {folder}: set GOVSEARCH_SHARED")
    questions = dict(_rows(folder / f"queries_{split}.tsv", 2))
    relevant: defaultdict[str, set[str]] = defaultdict(set)
    for qid, _zero, article, grade in _rows(folder / f"qrels_{split}.tsv", 4):
        if int(grade) > 0:
            relevant[qid].add(article)
    short_names = dict(_rows(folder / "laws.tsv", 2)[1:])
    return Stard(questions, dict(relevant), short_names)


def _rows(path: Path, width: int) -> list[list[str]]:
    lines = path.read_text("utf-8").splitlines()
    return [line.split("\t")[:width] for line in lines if line.strip()]


def article_of(hit: SearchHit, short_names: dict[str, str]) -> str | None:
    """`民法典第五十六条` for a section of that article, None for anything else."""
    law = short_names.get(hit.title) or short_names.get(hit.title.split(" ")[0])
    if law is None:
        return None
    for label in (hit.heading, *reversed(hit.breadcrumb)):
        match = ARTICLE.match(label or "")
        if match:
            return law + match.group()
    return None


def ranked_articles(index: SearchIndex, question: str, short_names: dict[str, str]) -> list[str]:
    """Distinct articles of the first 100 sections, in rank order; a hit outside the judged
    laws takes a rank too."""
    request = SearchRequest.create(question, size=MAX_SIZE, collapse=False)
    ranked: dict[str, None] = {}
    for hit in run_search(index, request).hits:
        ranked[article_of(hit, short_names) or f"other:{hit.id}"] = None
    return list(ranked)


def scores(ranked: list[str], relevant: set[str]) -> dict[str, float]:
    first = next((i for i, a in enumerate(ranked[:10], 1) if a in relevant), None)
    gains = sum(1 / math.log2(i + 1) for i, a in enumerate(ranked[:10], 1) if a in relevant)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    return {
        "Recall@10": len(relevant & set(ranked[:10])) / len(relevant),
        "Recall@100": len(relevant & set(ranked[:100])) / len(relevant),
        "MRR@10": 1 / first if first else 0.0,
        "nDCG@10": gains / ideal,
    }


_INDEXES: dict[Path, SearchIndex] = {}


def _answer(question: str, short_names: dict[str, str], index_dir: Path) -> tuple[list[str], float]:
    if index_dir not in _INDEXES:  # one per worker process
        _INDEXES[index_dir] = SearchIndex(index_dir)
    index = _INDEXES[index_dir]
    started = time.perf_counter()
    ranked = ranked_articles(index, question, short_names)
    return ranked, (time.perf_counter() - started) * 1000


def embed_candidates(index_dir: Path, questions: list[str]) -> None:
    """Vectors for the first RERANK_DEPTH sections of each question (by words)."""
    docnums: set[int] = set()
    with SearchIndex(index_dir, cache_size=0) as index:
        for question in questions:
            compiled = compile_query(question)
            with index.searcher() as searcher:
                # the strict query ranks when it finds enough, the relaxed one otherwise
                for query in (compiled.strict, compiled.relaxed):
                    if query is not None:
                        scores = score_all(searcher, query).as_dict()
                        docnums.update(heapq.nlargest(RERANK_DEPTH, scores, key=scores.__getitem__))
    started = time.perf_counter()
    summary = embed_index(index_dir, sorted(docnums))
    print(
        f"embedded {summary.embedded} sections ({summary.already} had vectors) "
        f"in {time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--limit", type=int, default=0, help="first N questions only")
    parser.add_argument("--show", type=int, default=0, help="print N missed questions")
    parser.add_argument("--skip-known-items", action="store_true")
    parser.add_argument("--procs", type=int, default=2, help="worker processes")
    parser.add_argument("--embed-candidates", action="store_true")
    parser.add_argument("--split", default="dev", help="queries_SPLIT.tsv, qrels_SPLIT.tsv")
    args = parser.parse_args()
    stard = load_stard(shared_dir() / "bench" / "stard", args.split)
    questions = [(qid, text) for qid, text in stard.questions.items() if qid in stard.relevant]
    if args.limit:
        questions = questions[: args.limit]
    if args.embed_candidates:
        # In a process of its own: the model's OpenMP threads do not survive the fork of the
        # question workers below (a forked child that embeds would wait for them forever).
        embedder = multiprocessing.get_context("spawn").Process(
            target=embed_candidates, args=(args.index, [text for _qid, text in questions])
        )
        embedder.start()
        embedder.join()
    totals: defaultdict[str, list[float]] = defaultdict(list)
    empty, latencies, misses = 0, [], []
    jobs = [(text, stard.short_names, args.index) for _qid, text in questions]
    with multiprocessing.get_context("fork").Pool(args.procs) as pool:
        answers = pool.starmap(_answer, jobs, chunksize=4)
    for (qid, text), (ranked, took_ms) in zip(questions, answers, strict=True):
        latencies.append(took_ms)
        empty += not ranked
        for name, value in scores(ranked, stard.relevant[qid]).items():
            totals[name].append(value)
        if totals["MRR@10"][-1] == 0:
            misses.append((text, sorted(stard.relevant[qid]), ranked[:3]))
    print(f"STARD {args.split}: {len(questions)} questions, {empty} answered by nothing")
    for name, values in totals.items():
        print(f"  {name:<11} {statistics.fmean(values):.3f}")
    print(f"  latency p50 {statistics.median(latencies):.0f} ms (one page of 100 sections)")
    for text, wanted, got in misses[: args.show]:
        print(f"  miss: {text}\n        wanted {wanted}\n        got    {got}")
    with SearchIndex(args.index) as index:
        if not args.skip_known_items:
            sample = sample_known_items(shared_corpus(), 300, 7)
            print_known_items(score_known_items(index, sample.items), sample, 7)


if __name__ == "__main__":
    main()
