"""A document's vote in the fusion of a question's candidates (`bench/relevance.py
--document-vote W`): measured, not shipped.

Laws answer questions in articles, and the articles of the law a question is about tend to
be found together. Here each fused candidate also gets W / (FUSION_K + r + 1), r being its
document's rank when documents are ordered by the summed fused scores (above the best word
score) of their candidates. It works on one index: over shards, a document's rank would
need every shard's candidates. Its figures in the CHANGELOG were measured with
reciprocal-rank fusion, the release before's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from search import shard
from search.engine.docsets import Matches
from search.rank.knobs import FUSION_K


def document_vote(
    scores: np.ndarray, ceiling: float, documents: np.ndarray, weight: float
) -> np.ndarray:
    """`scores` with each candidate's (those above `ceiling`: the fused ones) raised by its
    document's vote; `documents` holds the document of each score's section."""
    candidates = np.flatnonzero(scores > ceiling)
    if not len(candidates) or weight == 0:
        return scores
    votes = scores[candidates] - ceiling
    codes = documents[candidates]
    summed = np.bincount(codes, weights=votes)
    present = np.unique(codes)
    order = present[np.argsort(-summed[present], kind="stable")]
    rank = np.empty(len(summed), np.int64)
    rank[order] = np.arange(len(order))
    raised = scores.copy()
    raised[candidates] = ceiling + votes + weight / (FUSION_K + rank[codes] + 1)
    return raised


def use_document_vote(weight: float) -> None:
    """From now on in this process and the workers it forks, fused candidates get their
    document's vote with `weight`."""
    fuse_by_words_and_meaning = shard.ShardSearch._with_meaning

    def with_document_vote(self: Any, hits: Matches, ahead: Any, ranks: Any) -> Any:
        fused, meaning = fuse_by_words_and_meaning(self, hits, ahead, ranks)
        if meaning is None or not len(hits):
            return fused, meaning
        documents = self.generation.columns.codes["doc_id"][fused.docs]
        ceiling = float(hits.scores.max())
        raised = document_vote(fused.scores, ceiling, documents, weight)
        return Matches(fused.docs, raised), meaning

    shard.ShardSearch._with_meaning = with_document_vote  # type: ignore[method-assign]
