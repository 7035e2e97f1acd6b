"""One replica of one shard: a generation of the shard's index, held for the replica's life,
answering the steps of a search (`search.results.ShardGroup`) as the coordinator asks them.

Every call carries what any replica of the shard needs to answer it (`Step`), so that a
call retried on another replica, or a replica restarted between two steps of one search,
answers as the first would have; a replica keeps its recent searches only to skip work.
The definitions of every shard's laws are large and the same for every search: a step
names them, and carries them only to a replica that does not have them yet
(`DefinitionsWanted`). Plain Python: Ray Serve runs it (`search.cluster.serving`), and
nothing here imports Ray.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path

from search.cache import BoundedCache
from search.complete import Spelled, completer_of
from search.index.live import SearchIndex
from search.index.versions import VersionTable
from search.query.compile import CompiledQuery, compile_query
from search.query.request import SearchRequest
from search.rank.semantic import Ranks
from search.results import SearchHit, shard_hits
from search.shard import (
    Candidates,
    Generation,
    ShardResult,
    ShardRows,
    ShardSearch,
    TermStatistics,
    shard_statistics,
)
from search.suggest import SuggestionCounts, suggestion_counts
from search.text.definitions import DefinitionTable

# Searches a replica keeps between the steps of each (a search takes a few steps).
RECENT_SEARCHES = 16
# Tables of definitions a replica keeps: one for each set of live shards it was asked with.
KEPT_DEFINITIONS = 4


@dataclass(frozen=True)
class SharedDefinitions:
    """The definitions of every live shard's laws, by `name` (the same table for as long as
    those shards' generations are served), with the `table` itself when the replica asked
    for it."""

    name: str
    table: DefinitionTable | None = None

    def named(self) -> SharedDefinitions:
        """The same definitions by name alone: what a step usually carries."""
        return SharedDefinitions(self.name)


class DefinitionsWanted(Exception):
    """A step names definitions this replica does not have: send the step again with the
    table (`SharedDefinitions.table`)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)  # its only argument: it pickles back as it was
        self.name = name

    def __str__(self) -> str:
        return f"send the definitions {self.name} with the step"


@dataclass(frozen=True, eq=False)
class Step:
    """What a step of one search needs on any replica: the request, whether several shards
    answer it (each then reports its statistics), the collection's statistics to score with
    and the definitions of every shard's laws."""

    key: str  # the search's, the same for each of its steps
    request: SearchRequest
    several: bool
    collection: TermStatistics | None
    definitions: SharedDefinitions | None
    # The rows of the shard's result likely on the page: their hits come with the result.
    page_rows: range = range(0)


@dataclass(frozen=True)
class ShardPage:
    """A shard's result with the hits of the step's page rows (those it has), so that a
    page's passages usually need no call of their own."""

    result: ShardResult
    hits: dict[int, SearchHit]


@dataclass(frozen=True)
class MatchingRows:
    """A shard's rows for documents asked by doc_id (ShardSearch.matching), each with its
    hit: the hit a page shows is then at hand."""

    rows: ShardRows
    hits: list[SearchHit]


@dataclass(frozen=True)
class ShardTables:
    """A shard's generation, named by its build, with its tables of law versions and of
    definitions (read once: the generation does not change), and whether meaning ranks
    its questions (the `semantic` setting on, and sections with vectors)."""

    build: str
    versions: VersionTable | None
    definitions: DefinitionTable | None
    by_meaning: bool = False


class ShardReplica:
    """The generation of the shard at `directory` that is live when the replica starts."""

    def __init__(self, directory: Path | str, semantic: bool) -> None:
        self.index = SearchIndex(directory, cache_size=0, semantic=semantic)
        with self.index.searcher() as searcher:
            # Held, never refreshed: every docnum this replica hands out stays valid.
            self.generation = Generation.of(self.index, searcher)
            self.completer = completer_of(self.index, searcher)
            by_meaning = False
            if semantic and len(self.index.vectors):
                columns = self.index.columns
                by_meaning = (
                    len(self.index.vectors.dense(columns.vector_keys, columns.live).codes) > 0
                )
            self.tables = ShardTables(
                self.index.build.name, self.index.versions, self.index.definitions, by_meaning
            )
        self._recent: BoundedCache[tuple[str, SearchRequest], ShardSearch] = BoundedCache(
            RECENT_SEARCHES
        )
        self._definitions: BoundedCache[str, DefinitionTable] = BoundedCache(KEPT_DEFINITIONS)
        # Whoosh searchers are not made for concurrent use.
        self._lock = threading.Lock()

    def _generation(self, definitions: SharedDefinitions | None) -> Generation:
        """The generation with the definitions the step names; DefinitionsWanted when this
        replica has not been sent them (it started after they were, say)."""
        if definitions is None:
            return self.generation
        table = definitions.table
        if table is None:
            table = self._definitions.get(definitions.name)
            if table is None:
                raise DefinitionsWanted(definitions.name)
        else:
            self._definitions.put(definitions.name, table)
        return replace(self.generation, definitions=table)

    def _search(self, step: Step) -> ShardSearch:
        def start() -> ShardSearch:
            generation = self._generation(step.definitions)
            return ShardSearch(generation, step.request, None, step.several, step.collection)

        return self._recent.get_or_compute((step.key, step.request), start)

    def statistics(self, step: Step) -> TermStatistics:
        with self._lock:
            return shard_statistics(self._generation(step.definitions), step.request)

    def search(self, step: Step) -> ShardPage:
        with self._lock:
            return self._page(self._search(step), step)

    def answer(self, step: Step, relax: bool, ranks: Ranks | None) -> ShardPage:
        with self._lock:
            search = self._search(step)
            search.result = search.answer(relax, ranks)
            return self._page(search, step)

    def _page(self, search: ShardSearch, step: Step) -> ShardPage:
        """The search's latest result, with the hits of the rows the page will likely show
        (their passages read from the postings the search read)."""
        result = search.result
        rows = [row for row in step.page_rows if row < len(result.docnums)]
        searcher = search.generation.searcher
        hits = shard_hits(searcher, search.compiled, result, rows, search.searched)
        return ShardPage(result, dict(zip(rows, hits, strict=True)))

    def matching(
        self, step: Step, relax: bool | None, ranks: Ranks | None, doc_ids: list[str]
    ) -> MatchingRows:
        """The rows of those of `doc_ids` the shard matches, ranked as the search's latest
        result was (`relax`, `ranks`), with their hits."""
        with self._lock:
            search = self._search(step)
            rows = search.matching(doc_ids, relax, ranks)
            every_row = range(len(rows.docnums))
            searcher = search.generation.searcher
            hits = shard_hits(searcher, search.compiled, rows, every_row, search.searched)
            return MatchingRows(rows, hits)

    def candidates(self, step: Step, relax: bool) -> Candidates | None:
        with self._lock:
            return self._search(step).candidates(relax)

    def hits(self, step: Step, result: ShardResult, rows: list[int]) -> list[SearchHit]:
        with self._lock:
            return shard_hits(self.generation.searcher, self._compiled(step), result, rows)

    def _compiled(self, step: Step) -> CompiledQuery:
        """The step's query as its search compiled it, or compiled again when this replica
        no longer holds the search."""
        search = self._recent.get((step.key, step.request))
        if search is not None:
            return search.compiled
        request, generation = step.request, self._generation(step.definitions)
        return compile_query(request.text, request.scope, generation.definitions)

    def suggestion_counts(self, step: Step, candidates: list[str] | None) -> SuggestionCounts:
        with self._lock:
            search = self._search(step)
            place = (search.generation.searcher, search.filters.narrow, search.segments)
            return suggestion_counts(place, step.request.text, candidates)

    def spelled(self, text: str) -> Spelled | None:
        with self._lock:
            return self.completer.text_spelled(text)

    def close(self) -> None:
        self.index.close()
