"""run_search(index, request) -> SearchResults: ranked sections with highlighted passages,
facet counts, one hit per document (by default) and a did-you-mean suggestion; a query
typed in pinyin or initials is searched as the Chinese term it spells when that finds far
more (`pinyin`).

Each shard of an index answers with a partial result (`search.shard`); `merge` makes one of
them, and the page's hits are read from the shards that own them. A single index is one
shard (`search_shards` with one generation).

The CLI, the pages and the JSON API all render this one object.
"""

from __future__ import annotations

import functools
import math
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol, cast, runtime_checkable

from whoosh.searching import Searcher

from search import timing
from search.complete import Completer, completer_of
from search.documents import holds_document
from search.engine.columns import FacetValue, facet_values
from search.engine.postings import PostingRuns
from search.errors import QueryError, ShardMissing
from search.facets import FACETS
from search.highlight import (
    Passage,
    Span,
    passage_html,
    passages,
    query_spans,
    whole,
    word_spans_of,
)
from search.index.live import SearchIndex
from search.index.sections import StoredSection
from search.index.shards import ShardedIndex
from search.index.versions import VersionTable, joined_versions, preference, shown_version
from search.query.compile import CompiledQuery, compile_query
from search.query.request import SearchRequest
from search.rank.knobs import FEW_HITS
from search.rank.semantic import Ranks
from search.shard import (
    Candidates,
    Generation,
    ShardResult,
    ShardRows,
    ShardSearch,
    TermStatistics,
    found_whole,
    meaning_may_rank,
    relax_words,
    shard_statistics,
    shared_ranks,
)
from search.suggest import (
    pinyin_readings,
    suggest,
    worth_pinyin,
    worth_suggesting,
)
from search.text.definitions import DefinitionTable
from search.text.pinyin import typed_pinyin

# Pages up to this size are kept in the index's result cache (bigger ones are rare and large).
CACHED_PAGE_SIZE = 20
# How many more documents than a page needs each shard answers with when versions of one law
# share a hit: enough for a page of laws with a few versions each among the first hits. The
# page's laws are those of the collection's first page × size × VERSION_DEPTH documents, so
# that they do not depend on how the documents are split into shards.
VERSION_DEPTH = 3


@dataclass(frozen=True)
class SearchHit:
    id: str
    doc_id: str
    title: str
    agency: str
    year: int | None
    topic: str
    kind: str
    date: str | None
    heading: str
    breadcrumb: list[str]
    passages: list[Passage]
    more_sections: int  # other matching sections of the same document (when collapsed)
    score: float
    # The other versions of the document's law (same title), newest first.
    versions: list[dict[str, str | None]] = field(default_factory=list)
    # How the hit was found: by the query's "words", by "meaning" alone (a question's
    # answer in other words than the question's), or by "both".
    matched: str = "words"
    doc_number: str = ""  # 发文字号 as the document writes it ("" when it has none)
    marked_title: Passage | None = None  # the title with the query's matches (None: none)

    def to_json(self) -> dict[str, Any]:
        """The hit in the API's envelope: its passages and its marked title as HTML,
        without the score."""
        fields = {k: v for k, v in asdict(self).items() if k not in ("score", "marked_title")}
        fields["passages"] = [passage_html(passage) for passage in self.passages]
        title = self.marked_title or whole(self.title, [])
        fields["title_html"] = passage_html(title)
        return fields


@dataclass(frozen=True)
class PinyinSearch:
    """A query typed in Latin letters, searched as the Chinese term it spells."""

    typed: str
    searched: str


@dataclass
class SearchResults:
    request: SearchRequest
    total: int  # documents when collapsed, else sections
    total_sections: int
    # What the pages list: `total`, but when collapsed the versions of one law count once
    # (in an index split into shards, once on each shard that holds one of them).
    total_hits: int = 0
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    relaxed: bool = False  # partial matches follow the full ones, ranked by the words found
    full_matches: int = 0  # sections that match the whole query (all of them when not relaxed)
    suggestion: str | None = None
    took_ms: float = 0.0
    pinyin: PinyinSearch | None = None  # set when the query was searched as a Chinese term
    # Shards of a cluster that did not answer: the results are those of the others.
    missing_shards: list[str] = field(default_factory=list)

    @property
    def last_page(self) -> int:
        """The last page that lists a hit (1 when none does)."""
        return max(1, math.ceil(self.total_hits / self.request.size))

    def to_json(self) -> dict[str, Any]:
        """The API's success envelope."""
        return {
            "ok": True,
            "total": self.total,
            "total_sections": self.total_sections,
            "total_hits": self.total_hits,
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
            "pinyin": asdict(self.pinyin) if self.pinyin else None,
        } | self._partial()

    def _partial(self) -> dict[str, Any]:
        """Named only in a partial answer: a complete one is the same as one index's."""
        if not self.missing_shards:
            return {}
        return {"partial": True, "missing_shards": self.missing_shards}


def _hit(  # noqa: PLR0913 - one hit's parts
    searcher: Searcher,
    docnum: int,
    score: float,
    compiled: CompiledQuery,
    words: list[Span],
    more_sections: int,
    matched: str = "words",
    title_words: list[Span] | None = None,
) -> SearchHit:
    section = StoredSection.read(searcher.stored_fields(docnum))
    spans = query_spans(section.body, words, compiled.runs, compiled.word_runs)
    _, title_runs, title_word_runs = compiled.marks_in_titles()
    title = query_spans(section.title, title_words or [], title_runs, title_word_runs)
    return SearchHit(
        id=section.id,
        doc_id=section.doc_id,
        title=section.title,
        agency=section.agency,
        year=section.year,
        topic=section.topic,
        kind=section.kind,
        date=section.date,
        heading=section.heading,
        breadcrumb=section.breadcrumb,
        passages=passages(section.body, spans),
        more_sections=more_sections,
        score=float(score),
        matched=matched,
        doc_number=section.doc_number,
        marked_title=whole(section.title, title),
    )


@runtime_checkable
class ShardsElsewhere(Protocol):
    """A sharded index whose shards answer in other processes (a cluster's): its searches
    run through its ShardGroup, its documents and completions are read as ShardedIndex's."""

    def shard_group(self, missing: Sequence[str] = ()) -> ShardGroup:
        """The shards of one search but the `missing` ones; ShardsUnavailable when the
        search cannot be answered without them."""
        ...


def run_search(index: SearchIndex | ShardedIndex, request: SearchRequest) -> SearchResults:
    """Run one search: ranked, filtered, paged hits with passages, facets and totals.

    A search within one document that the index does not have is a QueryError: nothing
    found there would read as nothing in that document matching."""
    results = _answer(index, request)
    doc_id = request.doc_id
    if doc_id and not results.total_sections and not holds_document(index, doc_id):
        raise QueryError(
            "doc", f"no document with id {doc_id!r}", f"没有编号为 {doc_id} 的文件（参数 doc）。"
        )
    return results


def _answer(index: SearchIndex | ShardedIndex, request: SearchRequest) -> SearchResults:
    started = time.perf_counter()
    if isinstance(index, ShardsElsewhere):
        return _run_elsewhere(index, request, started)
    if isinstance(index, ShardedIndex):
        return _run_on_shards(index, request, started)
    with index.searcher() as searcher:
        cached = index.results.get(request)
        if isinstance(cached, SearchResults):
            return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
        # The completion table knows the terms pinyin spells: made only when letters or a
        # did-you-mean need it (a server worker makes it before its first search anyway).
        results = search_shards(
            [Generation.of(index, searcher)], request, lambda: [completer_of(index, searcher)]
        )
        if request.size <= CACHED_PAGE_SIZE:
            index.results.put(request, results)
    results.took_ms = (time.perf_counter() - started) * 1000
    return results


def _run_elsewhere(index: ShardsElsewhere, request: SearchRequest, started: float) -> SearchResults:
    """Run a search on shards elsewhere, again without any shard that did not answer: the
    answer is then partial and names them."""
    missing: list[str] = []
    while True:
        try:
            results = search_shards(index.shard_group(missing), request)
            break
        except ShardMissing as error:
            missing.append(error.shard)
    results.missing_shards = sorted(missing)
    results.took_ms = (time.perf_counter() - started) * 1000
    return results


def _run_on_shards(index: ShardedIndex, request: SearchRequest, started: float) -> SearchResults:
    with index.searchers() as shards:
        cached = index.results.get(request)
        if isinstance(cached, SearchResults):
            return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
        generations = [Generation.of(shard, searcher) for shard, searcher in shards]
        results = search_shards(
            generations, request, lambda: [completer_of(shard, s) for shard, s in shards]
        )
        if request.size <= CACHED_PAGE_SIZE:
            index.results.put(request, results)
    results.took_ms = (time.perf_counter() - started) * 1000
    return results


def search_shards(
    shards: Sequence[Generation] | ShardGroup,
    request: SearchRequest,
    completers: Callable[[], Sequence[Completer]] = tuple,
) -> SearchResults:
    """Run one search over the shards (generations in this process, with what gives their
    `completers` when needed, or a ShardGroup) as typed, or as the Chinese term it spells in pinyin
    when it is Latin letters alone, spells a term of the shards and the term finds far
    more (`search.suggest.worth_pinyin`)."""
    if not isinstance(shards, ShardGroup):
        shards = LocalShards(shards, completers)
    results = _search_shards(shards, request)
    with timing.stage(timing.SUGGESTIONS):
        few = results.full_matches < FEW_HITS
        readings = (
            shards.pinyin_readings(request.text) if few and typed_pinyin(request.text) else []
        )
    if not readings:
        return results
    # Letters read as several words may be other words of the same sounds (gongshang
    # rending: 工商 认定 or 工伤 认定): while the reading searched finds few sections whole,
    # the next is tried, and the one that most sections hold whole wins.
    in_chinese = _search_shards(shards, replace(request, text=readings[0]))
    for reading in readings[1:]:
        if in_chinese.full_matches >= FEW_HITS:
            break
        other = _search_shards(shards, replace(request, text=reading))
        if other.full_matches > in_chinese.full_matches:
            in_chinese = other
    term = in_chinese.request.text
    if not worth_pinyin(results.total_sections, in_chinese.total_sections):
        return results
    in_chinese.request = request  # its links keep what was typed
    in_chinese.pinyin = PinyinSearch(typed=request.text, searched=term)
    return in_chinese


class ShardGroup(ABC):
    """The shards of one search, each answering its steps of the search: in this process
    (`LocalShards`) or on other machines. The steps are asked of every shard at once, so
    that shards elsewhere answer in parallel; every decision between them and the merge are
    made in `_search_shards`, the same wherever the shards are. `answer` and `hits` follow
    the shards' latest answers; results are in the order of the shards."""

    @abstractmethod
    def __len__(self) -> int:
        """How many shards."""

    @abstractmethod
    def tables(self) -> tuple[VersionTable | None, DefinitionTable | None]:
        """The versions of the laws of every shard, joined, and the definitions the shards
        compile a question with (those of every shard's laws)."""

    @abstractmethod
    def compiled(self, request: SearchRequest) -> CompiledQuery:
        """`request`'s query as every shard compiles it."""

    @abstractmethod
    def statistics(self, request: SearchRequest) -> list[TermStatistics]:
        """Each shard's own statistics for the terms `request` may be scored with."""

    def expect(self, request: SearchRequest) -> None:  # noqa: B027 - most groups need not know
        """The page `request` shows, told before the shards search: shards elsewhere may
        then send the page's likely hits with their results, sparing a call."""

    @abstractmethod
    def search(
        self, request: SearchRequest, several: bool, collection: TermStatistics | None
    ) -> list[ShardResult]:
        """Each shard's partial result, relaxed as its own full matches call for, scored with
        the `collection`'s statistics (None: its own)."""

    @abstractmethod
    def answer(
        self, shards: Sequence[int], relax: bool, ranks: Sequence[Ranks | None]
    ) -> list[ShardResult]:
        """The partial results of `shards` again, relaxed as `relax` says, fused with their
        `ranks` (None: their own)."""

    @abstractmethod
    def candidates(self, relax: bool) -> list[Candidates | None]:
        """Each shard's candidates for a question's fusion (ShardSearch.candidates)."""

    @abstractmethod
    def matching(self, doc_ids: Sequence[str]) -> list[ShardResult]:
        """Each shard's latest result with a row after its own for each of `doc_ids` that
        it matches (the document's best section, ShardSearch.matching), ranked as the
        latest result was."""

    @abstractmethod
    def hits(self, picks: Sequence[tuple[int, int]]) -> list[SearchHit]:
        """The picked rows of the shards' latest results as hits with their stored fields
        and passages, each read from the shard that found it."""

    @abstractmethod
    def suggestion(self, text: str, found: int) -> str | None:
        """A close query that finds clearly more than `found` sections (search.suggest)."""

    @abstractmethod
    def pinyin_readings(self, text: str) -> list[str]:
        """The Chinese texts that `text` spells over every shard, the surest first, then
        other readings of the same letters (search.suggest)."""

    def pinyin_term(self, text: str) -> str | None:
        """The Chinese text that `text` spells over every shard: its surest reading."""
        readings = self.pinyin_readings(text)
        return readings[0] if readings else None


class LocalShards(ShardGroup):
    """Shards in this process: one generation of each, read from its searcher."""

    def __init__(
        self,
        generations: Sequence[Generation],
        completers: Callable[[], Sequence[Completer]] = tuple,
    ) -> None:
        self.generations = list(generations)
        self._completers = completers
        self.searches: list[ShardSearch] = []

    def __len__(self) -> int:
        return len(self.generations)

    def tables(self) -> tuple[VersionTable | None, DefinitionTable | None]:
        versions = _version_table(self.generations)
        if len(self.generations) > 1:
            self.generations = _with_every_definition(self.generations)
        return versions, self.generations[0].definitions

    def compiled(self, request: SearchRequest) -> CompiledQuery:
        if self.searches and self.searches[0].request == request:
            return self.searches[0].compiled
        return compile_query(request.text, request.scope, self.generations[0].definitions)

    def statistics(self, request: SearchRequest) -> list[TermStatistics]:
        return [shard_statistics(generation, request) for generation in self.generations]

    def search(
        self, request: SearchRequest, several: bool, collection: TermStatistics | None
    ) -> list[ShardResult]:
        self.searches = [
            ShardSearch(generation, request, None, several, collection)
            for generation in self.generations
        ]
        return [search.result for search in self.searches]

    def answer(
        self, shards: Sequence[int], relax: bool, ranks: Sequence[Ranks | None]
    ) -> list[ShardResult]:
        for number, shard_ranks in zip(shards, ranks, strict=True):
            search = self.searches[number]
            search.result = search.answer(relax, shard_ranks)
        return [self.searches[number].result for number in shards]

    def matching(self, doc_ids: Sequence[str]) -> list[ShardResult]:
        for search in self.searches:
            search.result = search.result.with_rows(search.matching(doc_ids, *search.answered))
        return [search.result for search in self.searches]

    def candidates(self, relax: bool) -> list[Candidates | None]:
        return [search.candidates(relax) for search in self.searches]

    def hits(self, picks: Sequence[tuple[int, int]]) -> list[SearchHit]:
        found: dict[tuple[int, int], SearchHit] = {}
        for shard in sorted({shard for shard, _ in picks}):
            search = self.searches[shard]
            rows = [row for picked, row in picks if picked == shard]
            searcher, compiled = search.generation.searcher, search.compiled
            hits = shard_hits(searcher, compiled, search.result, rows, search.searched)
            found.update(((shard, row), hit) for row, hit in zip(rows, hits, strict=True))
        return [found[pick] for pick in picks]

    def suggestion(self, text: str, found: int) -> str | None:
        places = [(s.generation.searcher, s.filters.narrow, s.segments) for s in self.searches]
        return suggest(places, text, found, self.pinyin_term)

    @functools.cached_property
    def completers(self) -> Sequence[Completer]:
        return self._completers()

    def pinyin_readings(self, text: str) -> list[str]:
        return pinyin_readings(self.completers, text)


def _search_shards(shards: ShardGroup, request: SearchRequest) -> SearchResults:
    """Run one search over an index split into shards: every shard's partial result,
    merged, with the page's passages from the shards that own its hits. A single index is
    one shard; there is at least one.

    Several shards score with the collection's statistics, gathered from every shard first
    (BM25F's document count, the terms' document frequencies, the fields' lengths), and
    bridge a question with the definitions of every shard's laws, so that a section scores
    as in one index. Whether to relax is decided on the full matches of every shard together,
    so that all shards rank the same way; a shard that decided otherwise on its own count
    answers again.
    """
    started = time.perf_counter()
    versions, _ = shards.tables()
    shards.expect(request)
    several = len(shards) > 1
    collection: TermStatistics | None = None
    if several:
        with timing.stage(timing.SCORING):
            collection = TermStatistics.summed(shards.statistics(request))
    # Versions of one law share a hit: shards answer deeper so that a page stays full.
    grouped = versions is not None and request.collapse
    deeper = replace(request, size=request.size * VERSION_DEPTH) if grouped else request
    partials = shards.search(deeper, several, collection)
    compiled = shards.compiled(deeper)
    relax = relax_words(
        compiled,
        sum(partial.full_matches for partial in partials),
        sum(partial.full_matches_unfaceted for partial in partials),
        any(partial.by_meaning for partial in partials),
    )
    again = [n for n, partial in enumerate(partials) if partial.relaxed != relax]
    if again:
        answered = shards.answer(again, relax, [None] * len(again))
        for number, partial in zip(again, answered, strict=True):
            partials[number] = partial
    if several and meaning_may_rank(compiled) and not found_whole(compiled, relax):
        partials = _fuse_over_shards(shards, partials, relax)
    results, picks = merge(request, partials, versions)
    if grouped and versions is not None:
        picks = _shown_versions(shards, request, partials, picks, versions)
    with timing.stage(timing.PASSAGES):
        results.hits = shards.hits(picks)
    if versions is not None:
        results.hits = [_with_versions(hit, versions) for hit in results.hits]
    strict_count = results.full_matches
    if worth_suggesting(compiled, request.text, strict_count, results.total_sections):
        with timing.stage(timing.SUGGESTIONS):
            results.suggestion = shards.suggestion(request.text, strict_count)
    results.took_ms = (time.perf_counter() - started) * 1000
    return results


def _shown_versions(
    shards: ShardGroup,
    request: SearchRequest,
    partials: list[ShardResult],
    picks: list[tuple[int, int]],
    versions: VersionTable,
) -> list[tuple[int, int]]:
    """The page's picks, each showing its law's version chosen among every matching
    document, not only among those the shards' results hold: when a version the query
    prefers (`preference`) to every one they hold is not among them, the shards are asked
    once more which such versions match. Usually none is missing, and nothing is asked."""
    held = _held(partials)
    asked = _versions_to_ask(request, partials, picks, versions, held)
    if asked:
        with timing.stage(timing.COLLAPSING):
            partials = shards.matching(asked)
        held = _held(partials)
    return _shown_picks(request, partials, picks, versions, held)


def _fuse_over_shards(
    shards: ShardGroup, partials: list[ShardResult], relax: bool
) -> list[ShardResult]:
    """A question ranked by meaning too: every shard answers again, fusing its candidates
    with their ranks over every shard (`shared_ranks`), as one index fuses them. Left as
    they are when a shard has no vectors (its sections are not candidates by meaning)."""
    with timing.stage(timing.MEANING):
        candidates = shards.candidates(relax)
    if any(found is None for found in candidates):
        return partials
    ranks = shared_ranks(cast(list[Candidates], candidates))
    return shards.answer(range(len(partials)), relax, ranks)


def _version_table(generations: Sequence[Generation]) -> VersionTable | None:
    return joined_versions([generation.versions for generation in generations])


# Likewise the shards' definitions.
_every_definition: dict[tuple[DefinitionTable, ...], DefinitionTable] = {}


def _with_every_definition(generations: Sequence[Generation]) -> list[Generation]:
    """The generations, each with the definitions of every shard's laws: a question is
    compiled the same on every shard."""
    joined = joined_definitions([generation.definitions for generation in generations])
    if joined is None:
        return list(generations)
    return [replace(generation, definitions=joined) for generation in generations]


def joined_definitions(tables: Sequence[DefinitionTable | None]) -> DefinitionTable | None:
    """The definitions of every shard's laws as one table (None: some shard has none)."""
    if not all(isinstance(table, DefinitionTable) for table in tables):
        return None
    shards = cast(tuple[DefinitionTable, ...], tuple(tables))
    joined = _every_definition.get(shards)
    if joined is None:
        joined = DefinitionTable(d for table in shards for d in table.definitions)
        _every_definition.clear()  # the previous generations' go with their searchers
        _every_definition[shards] = joined
    return joined


def _with_versions(hit: SearchHit, table: VersionTable) -> SearchHit:
    others = [{"doc_id": v.doc_id, "date": v.date} for v in table.others(hit.doc_id)]
    return replace(hit, versions=others)


def merge(
    request: SearchRequest,
    partials: Sequence[ShardResult],
    versions: VersionTable | None = None,
) -> tuple[SearchResults, list[tuple[int, int]]]:
    """The shards' partial results as one, without the hits' stored fields and passages:
    totals summed (a document is on one shard, so its sections are counted once), facet
    counts summed before they are limited and marked selected; and the page's hits as
    (shard, row of its result) picks, one per law when `versions` groups them: the laws of
    the collection's first page × size × VERSION_DEPTH documents, each its best matching
    version, where the law ranks (`_shown_versions` then picks the version it shows).

    Totals and facets count documents, every version its own (each has its own date and
    agency): grouping changes only which hits a page shows."""
    results = SearchResults(
        request=request,
        total=sum(partial.total for partial in partials),
        total_sections=sum(partial.total_sections for partial in partials),
        total_hits=sum(partial.total_hits for partial in partials),
        relaxed=any(partial.relaxed for partial in partials),
        full_matches=sum(partial.full_matches for partial in partials),
    )
    with timing.stage(timing.FACETS):
        for facet in FACETS:
            counts = partials[0].facets[facet.name]
            if len(partials) > 1:
                counts = Counter()
                for partial in partials:
                    counts.update(partial.facets[facet.name])
            selection = request.selection(facet.name)
            selected = facet.selected(selection, counts) if selection else []
            results.facets[facet.name] = facet_values(facet, counts, selected)
    picks = _ordered_picks(request, partials)
    first = (request.page - 1) * request.size
    if versions is None or not request.collapse:
        return results, picks[first : first + request.size]
    # The collection's first documents are the same however they are split into shards.
    window = picks[: request.page * request.size * VERSION_DEPTH]
    return results, _one_per_law(partials, window, versions)[first : first + request.size]


def _one_per_law(
    partials: Sequence[ShardResult], picks: list[tuple[int, int]], versions: VersionTable
) -> list[tuple[int, int]]:
    """One pick per law, its best matching version's: where the law ranks."""
    laws: set[str] = set()  # each law by its newest version
    best: list[tuple[int, int]] = []
    for shard, row in picks:
        doc_id = partials[shard].doc_ids[row]
        law = next(iter(versions.versions(doc_id)), None)
        if law is None:
            best.append((shard, row))
        elif law.doc_id not in laws:
            laws.add(law.doc_id)
            best.append((shard, row))
    return best


def _held(partials: Sequence[ShardResult]) -> dict[str, tuple[int, int]]:
    """Every document the shards' results hold, with its pick."""
    return {
        doc_id: (shard, row)
        for shard, partial in enumerate(partials)
        for row, doc_id in enumerate(partial.doc_ids)
    }


def _shown_picks(
    request: SearchRequest,
    partials: Sequence[ShardResult],
    picks: list[tuple[int, int]],
    versions: VersionTable,
    held: dict[str, tuple[int, int]],
) -> list[tuple[int, int]]:
    """For each pick, the pick of the version its law shows among those the shards' results
    hold (`held`): the one the query names by year or 文号, else the newest, or the oldest
    when the results are oldest first (`shown_version`)."""
    shown: list[tuple[int, int]] = []
    for shard, row in picks:
        doc_id = partials[shard].doc_ids[row]
        matching = [v.doc_id for v in versions.versions(doc_id) if v.doc_id in held]
        oldest_first = request.sort == "date_asc"
        shown_id = shown_version(matching or [doc_id], versions, request.text, oldest_first)
        shown.append(held[shown_id])
    return shown


def _versions_to_ask(
    request: SearchRequest,
    partials: Sequence[ShardResult],
    picks: list[tuple[int, int]],
    versions: VersionTable,
    held: dict[str, tuple[int, int]],
) -> list[str]:
    """The versions of the picks' laws that the shards' results do not hold and that a hit
    would show rather than any they hold, were they to match."""
    asked: list[str] = []
    for shard, row in picks:
        doc_id = partials[shard].doc_ids[row]
        oldest_first = request.sort == "date_asc"
        for preferred in preference(doc_id, versions, request.text, oldest_first):
            if preferred in held:  # the pick's own version at the latest
                break
            asked.append(preferred)
    return asked


def _ordered_picks(
    request: SearchRequest, partials: Sequence[ShardResult]
) -> list[tuple[int, int]]:
    """The hits among the shards' first page × size, in the order of the results: by score,
    or newest first then by score (dates compare across shards); ties by doc_id, the order
    of a full build's sections in one index, then in each shard's own order (a document's
    sections are on one shard, in their order there)."""
    if len(partials) == 1:  # its hits are in that order already
        return [(0, row) for row in range(len(partials[0].docnums))]
    scores = [partial.scores.tolist() for partial in partials]
    picks = sorted(
        (
            (shard, row)
            for shard, partial in enumerate(partials)
            for row in range(len(partial.docnums))
        ),
        key=lambda pick: partials[pick[0]].doc_ids[pick[1]],
    )
    if request.sort == "date":
        picks.sort(
            key=lambda pick: (partials[pick[0]].dates[pick[1]], scores[pick[0]][pick[1]]),
            reverse=True,
        )
    elif request.sort == "date_asc":  # oldest first, undated last
        picks.sort(
            key=lambda pick: (
                not partials[pick[0]].dates[pick[1]],
                partials[pick[0]].dates[pick[1]],
                -scores[pick[0]][pick[1]],
            )
        )
    else:
        picks.sort(key=lambda pick: scores[pick[0]][pick[1]], reverse=True)
    # (sorting is stable, reversed too: ties keep the order by doc_id)
    return picks


def shard_hits(
    searcher: Searcher,
    compiled: CompiledQuery,
    result: ShardRows,
    rows: Sequence[int],
    searched: Sequence[PostingRuns] | None = None,
) -> list[SearchHit]:
    """Rows of one shard's result as hits, read from the generation that found them (with
    the `searched` segments' postings, when the search ran in this process)."""
    docnums = [int(result.docnums[row]) for row in rows]
    marked = word_spans_of(searcher, "body", docnums, compiled.words, searched)
    titles = word_spans_of(searcher, "title", docnums, compiled.marks_in_titles()[0], searched)
    return [
        _hit(
            searcher,
            docnum,
            result.scores[row],
            compiled,
            marked[docnum],
            int(result.more_sections[row]),
            result.matched[row],
            titles[docnum],
        )
        for row, docnum in zip(rows, docnums, strict=True)
    ]
