"""run_search(index, request) -> SearchResults: ranked sections with highlighted passages,
facet counts, one hit per document (by default) and a did-you-mean suggestion.

The CLI, the pages and the JSON API all render this one object.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from whoosh import query as q
from whoosh import sorting
from whoosh.searching import Hit, Searcher

from search.facets import FACET_FIELDS, FacetValue, facet_values
from search.highlight import passages, run_spans, word_spans
from search.live import SearchIndex
from search.query import FEW_HITS, CompiledQuery, SearchRequest, build_filter, compile_query
from search.schema import BREADCRUMB_SEPARATOR
from search.suggest import suggest, worth_suggesting

# When requiring every word finds nothing, or finds little (FEW_HITS) for a question of this
# many words, rank by the words instead, full matches first. Text pasted from a document is
# not relaxed when found: the sections that contain it are the answer.
LONG_QUERY = 3


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
    passages: list[str]
    more_sections: int  # other matching sections of the same document (when collapsed)
    score: float


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
            "hits": [{k: v for k, v in asdict(hit).items() if k != "score"} for hit in self.hits],
            "facets": {
                name: [asdict(value) for value in values] for name, values in self.facets.items()
            },
            "suggestion": self.suggestion,
        }


def _hit(searcher: Searcher, hit: Hit, compiled: CompiledQuery, more_sections: int) -> SearchHit:
    stored = hit.fields()
    body = stored.get("body", "")
    spans = word_spans(searcher, "body", hit.docnum, compiled.words) + run_spans(
        body, compiled.runs
    )
    breadcrumb = stored.get("breadcrumb", "")
    return SearchHit(
        id=stored["id"],
        doc_id=stored["doc_id"],
        title=stored.get("title", ""),
        agency=stored.get("agency", ""),
        year=stored.get("year"),
        topic=stored.get("topic", ""),
        date=stored.get("date") or None,
        heading=stored.get("heading", ""),
        breadcrumb=breadcrumb.split(BREADCRUMB_SEPARATOR) if breadcrumb else [],
        passages=passages(body, spans),
        more_sections=more_sections,
        score=hit.score if isinstance(hit.score, float) else 0.0,
    )


class _Filters:
    """The docs each filter allows, by facet name (plus the document restriction)."""

    def __init__(self, searcher: Searcher, parts: dict[str, q.Query]) -> None:
        self.allowed = {name: set(searcher.docs_for_query(part)) for name, part in parts.items()}

    def narrow(self, docs: set[int], skip: str | None = None) -> set[int]:
        for name, allowed in self.allowed.items():
            if name != skip:
                docs = docs & allowed
        return docs


def _selected(request: SearchRequest, name: str, counts: dict[Any, int]) -> list[Any]:
    if name == "agency":
        return list(request.agencies)
    if name == "topic":
        return [request.topic] if request.topic else []
    low, high = request.year_from, request.year_to
    if low is None and high is None:
        return []
    if low is not None and high is not None:
        return list(range(low, high + 1)) if high - low <= 50 else []
    return [y for y in counts if isinstance(y, int) and y and (low or 0) <= y <= (high or 9999)]


def _ordering(request: SearchRequest) -> Any:
    if request.sort == "date":
        return sorting.MultiFacet([sorting.FieldFacet("date", reverse=True), sorting.ScoreFacet()])
    return None


def run_search(index: SearchIndex, request: SearchRequest) -> SearchResults:
    """Run one search: ranked, filtered, paged hits with passages, facets and totals."""
    started = time.perf_counter()
    compiled = compile_query(request.text)
    with index.searcher() as searcher:
        values = index.doc_values
        filter_parts = build_filter(request)
        filters = _Filters(searcher, filter_parts)
        query = compiled.strict
        matched = set(searcher.docs_for_query(query))
        strict_count = len(filters.narrow(matched))
        relaxed = compiled.relaxed is not None and (
            strict_count == 0
            or strict_count < FEW_HITS and compiled.asks and len(compiled.words) >= LONG_QUERY
        )
        if relaxed:
            query = compiled.relaxed
            matched = set(searcher.docs_for_query(query))
        hits = filters.narrow(matched)
        per_document = values.count("doc_id", hits)
        results = SearchResults(
            request=request,
            total=len(per_document) if request.collapse else len(hits),
            total_sections=len(hits),
            relaxed=relaxed,
            full_matches=strict_count,
        )
        for name in FACET_FIELDS:
            docs = filters.narrow(matched, skip=name)
            if request.collapse:
                docs = set(values.one_per_document(docs))
            counts = values.count(name, docs)
            selected = _selected(request, name, counts)
            results.facets[name] = facet_values(counts, selected, by_value=name == "year")
        ranked = q.And(
            [query, *(q.ConstantScoreQuery(part, 0.0) for part in filter_parts.values())]
        )
        results.hits = _page(searcher, ranked, hits, request, compiled, per_document)
        if worth_suggesting(compiled, strict_count, results.total_sections):
            results.suggestion = suggest(searcher, request.text, filters.narrow, strict_count)
    results.took_ms = (time.perf_counter() - started) * 1000
    return results


def _page(
    searcher: Searcher,
    query: q.Query,
    hits: set[int],
    request: SearchRequest,
    compiled: CompiledQuery,
    per_document: dict[str, int],
) -> list[SearchHit]:
    first = (request.page - 1) * request.size
    if not hits or first >= len(hits):
        return []
    found = searcher.search(
        query,
        limit=first + request.size,
        sortedby=_ordering(request),
        collapse="doc_id" if request.collapse else None,
        # The filters are part of `query` (scoring nothing): Whoosh's collapsing is bypassed
        # when a filter set is passed. Block-quality skipping and collapsing do not mix either.
        optimize=not request.collapse,
    )
    page = []
    for hit in found[first : first + request.size]:
        others = per_document.get(hit["doc_id"], 1) - 1 if request.collapse else 0
        page.append(_hit(searcher, hit, compiled, others))
    return page
