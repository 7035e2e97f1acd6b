"""How a question's two rankings are best combined: the shipped convex combination of the
two scores beside the reciprocal-rank fusion of the release before and other word weights,
on both STARD halves in one run.

    python bench/fusion.py --index DIR [--weights 0.2,0.4] [--depths 100,200] [--procs 2]

A question's candidates are the first RERANK_DEPTH sections by words and the DENSE_DEPTH
nearest in meaning. The shipped fusion (Bruch, Gai and Ingber, "An analysis of fusion
functions for hybrid retrieval", 2023) scores each on both sides: WORD_WEIGHT times its word
score plus the rest times its similarity to the question, each scaled to 0..1 over the
candidates (a section the words did not match scores 0 by words; every section has a
similarity, as the question is multiplied with them all). Reciprocal ranks, as shipped
before, give each candidate 1 / (FUSION_K + rank + 1) from each ranking that found it: a
section only one side found has only that side's vote, and how far ahead a score is, is lost.
The candidates are the same either way, above every other hit, so Recall@100 moves only by
their order; with `--depths`, each way is also tried with that many nearest sections as
candidates, which is what Recall@100 can gain from meaning.

Each way is switched on in process, per question, as relevance.py switches its modes. The
index needs every section embedded (`govsearch embed`).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import relevance  # noqa: E402
from bench.feedback import print_changed, rank_by_every_system  # noqa: E402
from bench.shared import shared_dir  # noqa: E402
from search import shard  # noqa: E402
from search.engine.docsets import Matches  # noqa: E402
from search.rank import knobs, semantic  # noqa: E402
from search.rank.ranking import best_first  # noqa: E402
from search.rank.semantic import Ranks  # noqa: E402

SHIPPED = f"hybrid (shipped: convex W={knobs.WORD_WEIGHT})"
RECIPROCAL = "reciprocal ranks"
_RECIPROCAL_RANKS = [False]  # whether the question is fused by reciprocal ranks


def reciprocal_rank_fuse(hits: Matches, meaning: np.ndarray) -> Matches:
    """The release before's fusion on one index: the candidates ordered above every other
    hit by the sum of 1 / (FUSION_K + rank + 1) from each ranking that found them."""
    word_top = hits.docs[best_first(hits.scores, knobs.RERANK_DEPTH)]
    ceiling = float(hits.scores.max()) if len(hits) else 0.0
    candidates = np.union1d(word_top, meaning)
    votes = np.zeros(len(candidates))
    for ranking in (word_top, meaning):
        votes[np.searchsorted(candidates, ranking)] += 1 / (
            knobs.FUSION_K + 1 + np.arange(len(ranking))
        )
    return semantic.candidates_first(hits, candidates, ceiling + votes)


def fuse_as_set(
    hits: Matches, meaning: np.ndarray, similarity: np.ndarray, ranks: Ranks | None = None
) -> Matches:
    """search.rank.semantic.fuse, or reciprocal ranks when the question's system says so
    (one index: no `ranks`)."""
    if _RECIPROCAL_RANKS[0] and ranks is None:
        return reciprocal_rank_fuse(hits, meaning)
    return semantic.fuse(hits, meaning, similarity, ranks)


def _answer(
    question: str,
    system: str,
    settings: dict[str, tuple[float | None, int]],
    index_dir: Path,
    short_names: dict[str, str],
) -> list[str]:
    index = relevance._index(index_dir)
    relevance.set_mode(index, "hybrid")
    shipped_weight, shipped_depth = knobs.WORD_WEIGHT, knobs.DENSE_DEPTH
    weight, knobs.DENSE_DEPTH = settings[system]
    _RECIPROCAL_RANKS[0] = weight is None
    knobs.WORD_WEIGHT = shipped_weight if weight is None else weight
    try:
        return relevance.ranked_articles(index, question, short_names)
    finally:
        knobs.WORD_WEIGHT, knobs.DENSE_DEPTH = shipped_weight, shipped_depth
        _RECIPROCAL_RANKS[0] = False


def _settings(weights: list[float], depths: list[int]) -> dict[str, tuple[float | None, int]]:
    """Each system's word weight (None: reciprocal ranks) and nearest depth, by label; the
    shipped one first."""
    shipped_depth = knobs.DENSE_DEPTH
    settings: dict[str, tuple[float | None, int]] = {SHIPPED: (knobs.WORD_WEIGHT, shipped_depth)}
    for depth in depths:
        nearest = "" if depth == shipped_depth else f", {depth} nearest"
        settings[f"{RECIPROCAL}{nearest}"] = (None, depth)
        for weight in weights:
            if (weight, depth) not in settings.values():
                settings[f"convex W={weight}{nearest}"] = (weight, depth)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--weights", default="0.2,0.4", help="other word weights W to try")
    parser.add_argument(
        "--depths", default=str(knobs.DENSE_DEPTH), help="nearest sections as candidates"
    )
    parser.add_argument("--procs", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    settings = _settings(
        [float(w) for w in args.weights.split(",")], [int(d) for d in args.depths.split(",")]
    )
    stard = relevance.load_stard(shared_dir() / "bench" / "stard")
    questions = [(qid, text) for qid, text in stard.questions.items() if qid in stard.relevant]
    tuning, checking = relevance.split_questions(qid for qid, _text in questions)
    # Looked up by name when a search runs: a renamed one must not go unnoticed.
    assert callable(shard.fuse)
    shard.fuse = fuse_as_set
    answer = partial(
        _answer, settings=settings, index_dir=args.index, short_names=stard.short_names
    )
    systems = rank_by_every_system(args.index, args.procs, answer, questions, list(settings))
    print(f"STARD dev: {len(questions)} questions; {len(tuning)} tuning, {len(checking)} checking")
    halves = {"tuning": tuning, "checking": checking, "all": [qid for qid, _ in questions]}
    relevance.print_figures(systems, stard.relevant, halves)
    references = {label: SHIPPED for label in settings if label != SHIPPED}
    print_changed(systems, stard.relevant, halves, references)


if __name__ == "__main__":
    main()
