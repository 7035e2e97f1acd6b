"""run_search(index, request) -> SearchResults: ranked sections with highlighted passages,
facet counts, one hit per document (by default) and a did-you-mean suggestion.

The CLI, the pages and the JSON API all render this one object.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from whoosh import query as q
from whoosh.searching import Searcher

from search.engine.columns import Columns, FacetValue, facet_values
from search.engine.docsets import Matches
from search.facets import FACETS
from search.highlight import Passage, Span, passage_html, passages, run_spans, word_spans_of
from search.index.live import SearchIndex
from search.index.sections import StoredSection
from search.query.compile import CompiledQuery, build_filter, compile_query
from search.query.request import SearchRequest
from search.rank.knobs import FEW_HITS, LONG_QUERY
from search.rank.ranking import matching_docs, ranked, score_all, segments_of
from search.rank.semantic import rerank
from search.suggest import suggest, worth_suggesting
from search.vectors.store import VectorStore

# Pages up to this size are kept in the index's result cache (bigger ones are rare and large).
CACHED_PAGE_SIZE = 20


@dataclass(frozen=True)
class SearchHit:
    id: str
    doc_id: str
    title: str
    agency: str
    year: int | None
    topic: str
    date: str | None
    heading: str
    breadcrumb: list[str]
    passages: list[Passage]
    more_sections: int  # other matching sections of the same document (when collapsed)
    score: float

    def to_json(self) -> dict[str, Any]:
        """The hit in the API's envelope: its passages as HTML, without the score."""
        fields = {k: v for k, v in asdict(self).items() if k != "score"}
        fields["passages"] = [passage_html(passage) for passage in self.passages]
        return fields


@dataclass
class SearchResults:
    request: SearchRequest
    total: int  # documents when collapsed, else sections
    total_sections: int
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    relaxed: bool = False  # partial matches follow the full ones, ranked by the words found
    full_matches: int = 0  # sections that match the whole query (all of them when not relaxed)
    suggestion: str | None = None
    took_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The API's success envelope."""
        return {
            "ok": True,
            "total": self.total,
            "total_sections": self.total_sections,
            "page": self.request.page,
            "size": self.request.size,
            "collapse": self.request.collapse,
            "sort": self.request.sort,
            "relaxed": self.relaxed,
            "full_matches": self.full_matches,
            "took_ms": round(self.took_ms, 1),
            "hits": [hit.to_json() for hit in self.hits],
            "facets": {
                name: [asdict(value) for value in values] for name, values in self.facets.items()
            },
            "suggestion": self.suggestion,
        }


def _hit(  # noqa: PLR0913 - one hit's parts
    searcher: Searcher,
    docnum: int,
    score: float,
    compiled: CompiledQuery,
    words: list[Span],
    more_sections: int,
) -> SearchHit:
    section = StoredSection.read(searcher.stored_fields(docnum))
    spans = words + run_spans(section.body, compiled.runs)
    return SearchHit(
        id=section.id,
        doc_id=section.doc_id,
        title=section.title,
        agency=section.agency,
        year=section.year,
        topic=section.topic,
        date=section.date,
        heading=section.heading,
        breadcrumb=section.breadcrumb,
        passages=passages(section.body, spans),
        more_sections=more_sections,
        score=float(score),
    )


class _Filters:
    """The sections each filter allows, by facet name (plus the document restriction)."""

    def __init__(self, searcher: Searcher, size: int, parts: dict[str, q.Query]) -> None:
        self.allowed: dict[str, np.ndarray] = {}
        for name, part in parts.items():
            allowed = np.zeros(size, dtype=bool)
            allowed[matching_docs(searcher, part)] = True
            self.allowed[name] = allowed

    def allows(self, docs: np.ndarray, skip: str | None = None) -> np.ndarray:
        """Which of `docs` every filter (but `skip`) allows, as a boolean mask."""
        keep = np.ones(len(docs), dtype=bool)
        for name, allowed in self.allowed.items():
            if name != skip:
                keep &= allowed[docs]
        return keep

    def narrow(self, docs: np.ndarray, skip: str | None = None) -> np.ndarray:
        if not any(name != skip for name in self.allowed):
            return docs
        return docs[self.allows(docs, skip)]


def run_search(index: SearchIndex, request: SearchRequest) -> SearchResults:
    """Run one search: ranked, filtered, paged hits with passages, facets and totals."""
    started = time.perf_counter()
    with index.searcher() as searcher:
        cached = index.results.get(request)
        if isinstance(cached, SearchResults):
            return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
        results = _search(searcher, index.columns, index.vectors, request, index.semantic)
        if request.size <= CACHED_PAGE_SIZE:
            index.results.put(request, results)
    results.took_ms = (time.perf_counter() - started) * 1000
    return results


def _search(
    searcher: Searcher,
    values: Columns,
    vectors: VectorStore,
    request: SearchRequest,
    semantic: bool,
) -> SearchResults:
    compiled = compile_query(request.text)
    filters = _Filters(searcher, values.size, build_filter(request))
    segments = segments_of(searcher)  # the strict and relaxed queries share their parts
    found = score_all(searcher, compiled.strict, segments)
    full_matches = filters.narrow(found.docs)
    strict_count = len(full_matches)
    relaxed = compiled.relaxed is not None and (
        strict_count == 0
        or strict_count < FEW_HITS
        and compiled.asks
        and len(compiled.words) >= LONG_QUERY
    )
    if relaxed:
        found = score_all(searcher, compiled.relaxed, segments)
    keep = filters.allows(found.docs)
    hits = Matches(found.docs[keep], found.scores[keep])
    if compiled.asks and request.sort == "relevance" and semantic:
        # Sections that match every word stay ahead of partial matches.
        ahead = full_matches if relaxed else None
        fused = rerank(hits.docs, hits.scores, request.text, values.vector_keys, vectors, ahead)
        hits = Matches(hits.docs, fused)
    sections_per_document = np.bincount(
        values.codes["doc_id"][hits.docs], minlength=len(values.labels["doc_id"])
    )
    results = SearchResults(
        request=request,
        total=int(np.count_nonzero(sections_per_document)) if request.collapse else len(hits),
        total_sections=len(hits),
        relaxed=relaxed,
        full_matches=strict_count,
    )
    counted: dict[tuple[str, ...], np.ndarray] = {}  # by the filters applied
    for facet in FACETS:
        name = facet.name
        applied = tuple(other for other in filters.allowed if other != name)
        if applied not in counted:  # without filters, the same for every facet
            docs = filters.narrow(found.docs, skip=name)
            counted[applied] = values.one_per_document(docs) if request.collapse else docs
        counts = values.count(facet.field, counted[applied])
        selection = request.selection(name)
        selected = facet.selected(selection, counts) if selection else []
        results.facets[name] = facet_values(facet, counts, selected)
    first = (request.page - 1) * request.size
    page = ranked(
        hits,
        values,
        first + request.size,
        by_date=request.sort == "date",
        collapse=request.collapse,
    )[first:]
    page_scores = hits.scores[np.searchsorted(hits.docs, page)].tolist()
    marked = word_spans_of(searcher, "body", page, compiled.words)
    results.hits = [
        _hit(
            searcher,
            docnum,
            score,
            compiled,
            marked[docnum],
            int(sections_per_document[values.codes["doc_id"][docnum]]) - 1
            if request.collapse
            else 0,
        )
        for docnum, score in zip(page, page_scores, strict=True)
    ]
    if worth_suggesting(compiled, request.text, strict_count, results.total_sections):
        results.suggestion = suggest(searcher, request.text, filters.narrow, strict_count, segments)
    return results
