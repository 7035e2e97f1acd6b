"""Every match of a query scored in one pass, then ordered, collapsed and paged in Python.

Totals and facets need every matching section anyway, so the postings are walked once, each
match scored as it goes (BM25F, times the document's prior), instead of once to count and
again to rank. Ordering, one-per-document collapsing and date sorting then work on plain
dicts and the index's columns.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import numpy as np
from whoosh import query as q
from whoosh.searching import Searcher

from search.authority import PriorWeighting
from search.evaluate import Scores, evaluate
from search.facets import DocValues


def score_all(searcher: Searcher, query: q.Query) -> Scores:
    """The score of every section that matches `query` (deleted ones never match)."""
    context = searcher.context()
    docs, scores = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    for leaf, offset in searcher.leaf_searchers():
        found = evaluate(query, leaf, context)
        docs.append(found.docs + offset)
        scores.append(found.scores)
    every_doc, every_score = np.concatenate(docs), np.concatenate(scores)
    weighting = searcher.weighting
    if isinstance(weighting, PriorWeighting):
        every_score *= weighting.priors[every_doc]
    elif weighting.use_final:
        pairs = zip(every_doc.tolist(), every_score.tolist(), strict=True)
        every_score = np.array([weighting.final(searcher, d, s) for d, s in pairs])
    return dict(zip(every_doc.tolist(), every_score.tolist(), strict=True))


def ranked(
    scores: Scores,
    docs: Iterable[int],
    values: DocValues,
    count: int,
    by_date: bool = False,
    collapse: bool = False,
) -> list[int]:
    """The first `count` of `docs` by score (or newest first, then by score), ties by
    document number; with `collapse`, only each document's best section."""
    if collapse:
        doc_ids = values.columns["doc_id"]
        best: dict[str, int] = {}
        for docnum in docs:
            doc_id = doc_ids[docnum]
            held = best.get(doc_id)
            if held is None or (scores[docnum], -docnum) > (scores[held], -held):
                best[doc_id] = docnum
        docs = best.values()
    if by_date:
        # Newest first (a stable sort keeps the score order within a date); "" sorts last.
        dates = values.columns["date"]
        ordered = sorted(docs, key=lambda d: (-scores[d], d))
        ordered.sort(key=dates.__getitem__, reverse=True)
        return ordered[:count]
    return heapq.nsmallest(count, docs, key=lambda d: (-scores[d], d))
