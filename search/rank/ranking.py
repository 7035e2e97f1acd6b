"""Every match of a query scored in one pass, then ordered, collapsed and paged in numpy.

Totals and facets need every matching section anyway, so the postings are read once, each
match scored as it goes (BM25F, times the document's prior), instead of once to count and
again to rank. Ordering, one-per-document collapsing and date sorting then work on the
arrays of matches and the index's columns (as codes).
"""

from __future__ import annotations

import numpy as np
from whoosh import query as q
from whoosh.searching import Searcher

from search.engine.columns import Columns, document_runs
from search.engine.docsets import Matches
from search.engine.scoring import QueryTerms, Segment, TermStatistics
from search.rank.authority import PriorWeighting

Segments = list[tuple[Segment, int]]  # each with its first document number


def segments_of(searcher: Searcher, statistics: TermStatistics | None = None) -> Segments:
    """The searcher's segments, to score several queries of one search with: what one
    query found in them (its terms, postings, parts) serves the next. With `statistics`,
    BM25F reads the collection's instead of the searcher's own (a shard's)."""
    context = searcher.context()
    return [
        (Segment(leaf, context, statistics), offset) for leaf, offset in searcher.leaf_searchers()
    ]


def _matches(searcher: Searcher, query: q.Query, segments: Segments | None = None) -> Matches:
    docs, scores = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    terms = QueryTerms.of(query)
    for segment, offset in segments if segments is not None else segments_of(searcher):
        found = segment.evaluate(query, terms)
        docs.append(found.docs + offset)
        scores.append(found.scores)
    return Matches(np.concatenate(docs), np.concatenate(scores))


def score_all(searcher: Searcher, query: q.Query, segments: Segments | None = None) -> Matches:
    """Every section that matches `query` (deleted ones never match), with its score;
    `segments` (from segments_of) when the search scores more than one query."""
    found = _matches(searcher, query, segments)
    weighting = searcher.weighting
    if isinstance(weighting, PriorWeighting):
        return Matches(found.docs, found.scores * weighting.priors[found.docs])
    if weighting.use_final:
        pairs = zip(found.docs.tolist(), found.scores.tolist(), strict=True)
        return Matches(found.docs, np.array([weighting.final(searcher, d, s) for d, s in pairs]))
    return found


def matching_docs(
    searcher: Searcher, query: q.Query, segments: Segments | None = None
) -> np.ndarray:
    """The sections that match `query` (ascending), for filters and counts: nothing is
    ranked. A range (of years, say) is read as the terms it covers."""
    if isinstance(query, q.NumericRange):
        query = query.simplify(searcher.reader())
    if isinstance(query, q.ConstantScoreQuery):
        query = query.child
    if isinstance(query, q.MultiTerm):
        terms = query.expanded_terms(searcher.reader())
        query = q.Or([q.Term(fieldname, text) for fieldname, text in terms])
    return _matches(searcher, query, segments).docs


def best_first(scores: np.ndarray, count: int) -> np.ndarray:
    """The indexes of the `count` highest of `scores`, highest first, ties in index order
    (the order of document numbers), without sorting the rest."""
    if count >= len(scores):
        return np.argsort(-scores, kind="stable")
    at = len(scores) - count
    cut = np.partition(scores, at)[at]
    rows = np.flatnonzero(scores >= cut)  # ties at the cut may make these a few more
    return rows[np.argsort(-scores[rows], kind="stable")][:count]


def ranked(
    hits: Matches,
    values: Columns,
    count: int,
    by_date: bool = False,
    collapse: bool = False,
    oldest_first: bool = False,
) -> list[int]:
    """The first `count` of `hits` by score (or by date, newest first or with
    `oldest_first` oldest first, then by score; undated last either way), ties by document
    number; with `collapse`, only each document's best section."""
    if by_date:
        rank = values.date_rank[hits.docs]
        # The lowest rank is the missing date's: last when newest come first, and put last
        # by the leading key when oldest do.
        keys: tuple[np.ndarray, ...]
        if oldest_first:
            keys = (-hits.scores, rank, values.date_missing[hits.docs])
        else:
            keys = (-hits.scores, -rank)
        # hits.docs is ascending, so lexsort's stability leaves ties in document order.
        docs = hits.docs[np.lexsort(keys)]
        return (values.one_per_document(docs) if collapse else docs)[:count].tolist()
    if not collapse:
        return hits.docs[best_first(hits.scores, count)].tolist()
    starts = document_runs(values.codes["doc_id"][hits.docs])
    if starts is not None and len(starts):
        return _best_of_each_run(hits, starts, count)
    # The best sections until `count` documents are among them: a document's best section
    # comes before its others, so the first `count` documents seen are the answer.
    depth = count * 4
    while True:
        docs = values.one_per_document(hits.docs[best_first(hits.scores, depth)])
        if len(docs) >= count or depth >= len(hits):
            return docs[:count].tolist()
        depth *= 4


def _best_of_each_run(hits: Matches, starts: np.ndarray, count: int) -> list[int]:
    """The best section of each document (one run of `hits` each, from `starts`), the first
    `count` documents by it: in one pass over the matches, however few documents the best
    sections belong to. Ties go to the earliest section, as in the order of all sections."""
    scores = hits.scores
    best = np.maximum.reduceat(scores, starts)
    lengths = np.diff(np.append(starts, len(scores)))
    at_best = np.flatnonzero(scores == np.repeat(best, lengths))
    run = np.searchsorted(starts, at_best, side="right") - 1
    first_best = at_best[np.append(True, run[1:] != run[:-1])]
    return hits.docs[first_best[best_first(best, count)]].tolist()  # type: ignore[no-any-return]
