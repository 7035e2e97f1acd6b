"""How far each side of a question's ranking reaches: the share of STARD's answers among the
first K sections by words alone, by meaning alone (the nearest sections, authority weighed
as the meaning side weighs it), and by either side, on both halves in one run.

    python bench/reach.py --index DIR [--depths 100,200,300] [--procs 2]

A question's candidates are the first RERANK_DEPTH sections by words and the DENSE_DEPTH
nearest in meaning; a fusion only orders them. An answer that neither side proposes is
never among the first 100, whatever the fusion: "either side" at the shipped depths is the
ceiling of the shipped Recall@100, and at deeper ones what a longer candidate list could
offer a fusion that ranked it well enough. The shipped Recall@100 is printed beside them.

The index needs every section embedded (`govsearch embed`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import relevance  # noqa: E402
from bench.feedback import rank_by_every_system  # noqa: E402
from bench.shared import shared_dir  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.request import MAX_SIZE, SearchRequest  # noqa: E402
from search.rank import knobs  # noqa: E402
from search.results import run_search  # noqa: E402

WORDS = "words alone"
MEANING = "meaning alone"
SHIPPED = "shipped hybrid"
EITHER = "either side"


def ranked_deep(
    index: SearchIndex, question: str, short_names: dict[str, str], depth: int
) -> list[str]:
    """Distinct articles of the first `depth` sections (relevance.ranked_articles, page by
    page: a page holds at most MAX_SIZE)."""
    ranked: dict[str, None] = {}
    for page in range(1, -(-depth // MAX_SIZE) + 1):
        request = SearchRequest.create(question, size=MAX_SIZE, page=page, collapse=False)
        for hit in run_search(index, request).hits:
            article = relevance.article_of(hit.title, hit.heading, hit.breadcrumb, short_names)
            ranked[article or f"other:{hit.id}"] = None
    return list(ranked)


def _answer(
    question: str, system: str, index_dir: Path, short_names: dict[str, str], depth: int
) -> list[str]:
    index = relevance._index(index_dir)
    if system == WORDS:
        relevance.set_mode(index, "words")
        return ranked_deep(index, question, short_names, depth)
    relevance.set_mode(index, "hybrid")
    if system == SHIPPED:
        return relevance.ranked_articles(index, question, short_names)
    # The meaning side's own order: the fusion with no weight on the words, over the
    # `depth` nearest (the word side's candidates, less similar, come after them).
    shipped_weight, shipped_depth = knobs.WORD_WEIGHT, knobs.DENSE_DEPTH
    knobs.WORD_WEIGHT, knobs.DENSE_DEPTH = 0.0, depth
    try:
        return ranked_deep(index, question, short_names, depth)
    finally:
        knobs.WORD_WEIGHT, knobs.DENSE_DEPTH = shipped_weight, shipped_depth


def share_found(
    rankings: list[dict[str, list[str]]],
    relevant: dict[str, set[str]],
    qids: list[str],
    depth: int,
) -> float:
    """The mean over `qids` of the share of a question's relevant articles among the first
    `depth` of any of `rankings`."""
    return statistics.fmean(
        len(relevant[q] & {a for ranking in rankings for a in ranking[q][:depth]})
        / len(relevant[q])
        for q in qids
    )


def print_reach(
    systems: dict[str, dict[str, list[str]]],
    relevant: dict[str, set[str]],
    halves: dict[str, list[str]],
    depths: list[int],
) -> None:
    print(f"{'share of answers among the first K':<36}{'half':<10}", end="")
    print("".join(f"{f'K={depth}':>9}" for depth in depths))
    rows = {WORDS: [systems[WORDS]], MEANING: [systems[MEANING]], EITHER: []}
    rows[EITHER] = rows[WORDS] + rows[MEANING]
    for label, rankings in rows.items():
        for half, qids in halves.items():
            figures = [share_found(rankings, relevant, qids, depth) for depth in depths]
            print(f"{label:<36}{half:<10}" + "".join(f"{f:>9.3f}" for f in figures))
            label = ""
    shown = knobs.RERANK_DEPTH
    print(f"\n{SHIPPED} (Recall@{shown}: its first {shown} sections)")
    for half, qids in halves.items():
        print(f"{'':<36}{half:<10}{share_found([systems[SHIPPED]], relevant, qids, shown):>9.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--depths", default="100,200,300", help="first K sections, K of each")
    parser.add_argument("--procs", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    try:
        depths = sorted({int(depth) for depth in args.depths.split(",")})
    except ValueError:
        parser.error(f"--depths takes whole numbers: not {args.depths!r}")
    if depths[0] < 1:
        parser.error("--depths must be at least 1")
    stard = relevance.load_stard(shared_dir() / "bench" / "stard")
    questions = [(qid, text) for qid, text in stard.questions.items() if qid in stard.relevant]
    tuning, checking = relevance.split_questions(qid for qid, _text in questions)
    answer = partial(_answer, index_dir=args.index, short_names=stard.short_names, depth=depths[-1])
    systems = rank_by_every_system(
        args.index, args.procs, answer, questions, [WORDS, MEANING, SHIPPED]
    )
    print(f"STARD dev: {len(questions)} questions; {len(tuning)} tuning, {len(checking)} checking")
    halves = {"tuning": tuning, "checking": checking, "all": [qid for qid, _ in questions]}
    print_reach(systems, stard.relevant, halves, depths)


if __name__ == "__main__":
    main()
