"""run_search(index, request) -> SearchResults: ranked sections with highlighted passages.

The CLI, the pages and the JSON API all render this one object.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.searching import Hit, Searcher

from search.highlight import passages, run_spans, word_spans
from search.query import (
    SearchRequest,
    build_filter,
    build_query,
    highlight_targets,
    split_chunks,
)
from search.schema import BREADCRUMB_SEPARATOR
from search.store import live_build, open_index


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
    score: float


@dataclass
class SearchResults:
    request: SearchRequest
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    took_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The API's success envelope."""
        return {
            "ok": True,
            "total": self.total,
            "page": self.request.page,
            "size": self.request.size,
            "took_ms": round(self.took_ms, 1),
            "hits": [{k: v for k, v in asdict(hit).items() if k != "score"} for hit in self.hits],
        }


class SearchIndex:
    """The live index of a directory; follows a full rebuild's swap without a restart.

    Each searcher reads the latest commit (incremental updates show at once); when a full
    rebuild has swapped in a new build, the next searcher opens that build instead.
    """

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.build = live_build(self.index_dir)
        self.ix: whoosh_index.Index = open_index(self.index_dir)

    def searcher(self) -> Searcher:
        build = live_build(self.index_dir)
        if build != self.build:
            fresh = open_index(self.index_dir)
            self.ix.close()
            self.ix, self.build = fresh, build
        return self.ix.searcher()

    def close(self) -> None:
        self.ix.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hit(searcher: Searcher, hit: Hit, words: frozenset[str], runs: tuple[str, ...]) -> SearchHit:
    stored = hit.fields()
    body = stored.get("body", "")
    spans = word_spans(searcher, "body", hit.docnum, words) + run_spans(body, runs)
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
        score=float(hit.score or 0.0),
    )


def run_search(index: SearchIndex, request: SearchRequest) -> SearchResults:
    """Run one search: ranked, filtered, paged sections with highlighted passages."""
    started = time.perf_counter()
    chunks = split_chunks(request.text)
    query = build_query(request.text, chunks)
    words, runs = highlight_targets(chunks)
    with index.searcher() as searcher:
        page = searcher.search_page(
            query, request.page, pagelen=request.size, filter=build_filter(request)
        )
        results = SearchResults(request=request, total=page.total)
        results.hits = [_hit(searcher, hit, words, runs) for hit in page]
    results.took_ms = (time.perf_counter() - started) * 1000
    return results
