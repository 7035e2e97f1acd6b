"""How a question's two rankings are best combined: the shipped reciprocal-rank fusion beside
a convex combination of the two scores, on both STARD halves in one run.

    python bench/fusion.py --index DIR [--weights 0.3,0.5,0.7] [--depths 100,200] [--procs 2]

The shipped fusion gives each candidate (the first RERANK_DEPTH sections by words and the
DENSE_DEPTH nearest in meaning) a vote of 1 / (FUSION_K + rank + 1) from each ranking that
found it: a section only one side found has only that side's vote, and the size of the
scores is lost. A convex combination (Bruch, Gai and Ingber, "An analysis of fusion functions
for hybrid retrieval", 2023) scores every candidate on both sides instead: W times its word
score plus (1 - W) times its similarity to the question, each scaled to 0..1 over the
candidates (min-max; a section the words did not match has word score 0, and every section
has a similarity, as the question is multiplied with them all). The candidates stay the
shipped ones, above every other hit, so that Recall@100 moves only by their order; with
`--depths`, each way is also tried with that many nearest sections as candidates (shipped:
DENSE_DEPTH), which is what Recall@100 can gain from meaning.

Each way is switched on in process, per question, as relevance.py switches its modes. The
index needs every section embedded (`govsearch embed`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import relevance  # noqa: E402
from bench.feedback import print_changed, rank_by_every_system  # noqa: E402
from bench.shared import shared_dir  # noqa: E402
from search import shard  # noqa: E402
from search.engine.docsets import Matches, member  # noqa: E402
from search.rank import knobs, semantic  # noqa: E402
from search.rank.knobs import RERANK_DEPTH  # noqa: E402
from search.rank.ranking import best_first  # noqa: E402
from search.rank.semantic import Ranks  # noqa: E402
from search.vectors.store import VectorStore  # noqa: E402

SHIPPED = "hybrid (shipped)"
_WORD_WEIGHT: list[float | None] = [None]  # None: the shipped fusion
_SIMILARITY: list[np.ndarray | None] = [None]  # the question's, by section, as last computed


def _kept_similarity(
    question: str,
    vector_keys: np.ndarray,
    live: np.ndarray,
    store: VectorStore,
    meanwhile: Callable[[], object] | None = None,
) -> np.ndarray | None:
    """search.rank.semantic.meaning_by_section, its answer kept for the fusion."""
    found = semantic.meaning_by_section(question, vector_keys, live, store, meanwhile)
    _SIMILARITY[0] = found
    return found


def _scaled(values: np.ndarray) -> np.ndarray:
    """`values` to 0..1 (all 1 when they are equal)."""
    low, high = float(values.min()), float(values.max())
    return np.ones_like(values) if high <= low else (values - low) / (high - low)


def convex_fuse(hits: Matches, meaning: np.ndarray, ranks: Ranks | None = None) -> Matches:
    """search.rank.semantic.fuse, or with a word weight set, the candidates ordered by the
    convex combination of their scaled word scores and similarities (one index: no `ranks`)."""
    weight, similarity = _WORD_WEIGHT[0], _SIMILARITY[0]
    if weight is None or similarity is None or ranks is not None:
        return semantic.fuse(hits, meaning, ranks)
    word_top = hits.docs[best_first(hits.scores, RERANK_DEPTH)]
    ceiling = float(hits.scores.max()) if len(hits) else 0.0
    candidates = np.union1d(word_top, meaning)
    words = np.zeros(len(candidates))
    matched = member(candidates, hits.docs)
    words[matched] = hits.scores[np.searchsorted(hits.docs, candidates[matched])]
    near = similarity[candidates].astype(np.float64)
    near[~np.isfinite(near)] = near[np.isfinite(near)].min() if np.isfinite(near).any() else 0
    combined = weight * _scaled(words) + (1 - weight) * _scaled(near)
    extra = np.sort(meaning)
    extra = extra[~member(extra, hits.docs)]
    at = np.searchsorted(hits.docs, extra)
    docs, scores = np.insert(hits.docs, at, extra), np.insert(hits.scores, at, 0.0)
    scores[np.searchsorted(docs, candidates)] = ceiling + 1 + combined
    return Matches(docs, scores)


def _answer(
    question: str,
    system: str,
    settings: dict[str, tuple[float | None, int]],
    index_dir: Path,
    short_names: dict[str, str],
) -> list[str]:
    index = relevance._index(index_dir)
    relevance.set_mode(index, "hybrid")
    shipped_depth = knobs.DENSE_DEPTH
    _WORD_WEIGHT[0], knobs.DENSE_DEPTH = settings[system]
    try:
        return relevance.ranked_articles(index, question, short_names)
    finally:
        _WORD_WEIGHT[0], knobs.DENSE_DEPTH = None, shipped_depth
        _SIMILARITY[0] = None


def _settings(weights: list[float], depths: list[int]) -> dict[str, tuple[float | None, int]]:
    """Each system's word weight (None: reciprocal ranks) and nearest depth, by label; the
    shipped one first."""
    settings: dict[str, tuple[float | None, int]] = {SHIPPED: (None, knobs.DENSE_DEPTH)}
    for depth in depths:
        nearest = "" if depth == knobs.DENSE_DEPTH else f", {depth} nearest"
        if nearest:
            settings[f"hybrid{nearest}"] = (None, depth)
        settings |= {f"hybrid, convex W={w}{nearest}": (w, depth) for w in weights}
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--weights", default="0.3,0.5,0.7", help="word weights W to try")
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
    # Both are looked up by name when a search runs: a renamed one must not go unnoticed.
    assert callable(shard.fuse) and callable(shard.meaning_by_section)
    shard.fuse = convex_fuse
    shard.meaning_by_section = _kept_similarity
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
