"""The live index of a directory, as a long-running process sees it.

One searcher is kept and refreshed per search (segment files are opened again only when
the index changed), so a request does not reopen every segment file; when a full rebuild has
swapped in a new build, the next search opens that build instead, without a restart. The
files of a replaced build, or of segments merged away, are closed then: their disk space
comes back once a reindex deletes them. Column values for facets, and recent results,
are kept per generation of the index: both are dropped the moment the index
changes.

Only a missing or damaged index is reported as missing (IndexMissing); any other error
while opening it is a bug, and goes up as itself.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from search.cache import BoundedCache
from search.engine.columns import Columns
from search.errors import IndexMissing
from search.index.definitions import read_definitions
from search.index.store import DAMAGED_INDEX_ERRORS, live_build, open_index
from search.index.versions import VersionTable
from search.rank.authority import PriorWeighting, section_priors
from search.rank.knobs import BM25_OPTIONS, DEFINITION_WEIGHT
from search.text.definitions import DefinitionTable
from search.vectors.model import semantic_on
from search.vectors.store import VectorStore

# Results of this many recent searches are kept: portal traffic repeats its popular queries.
RESULT_CACHE_SIZE = 256


class SearchIndex:
    def __init__(
        self,
        index_dir: Path | str,
        cache_size: int = RESULT_CACHE_SIZE,
        semantic: bool | None = None,
        definitions: bool = True,
    ) -> None:
        """The live index of `index_dir`. `semantic`: re-rank questions by meaning (default:
        the `semantic` setting, read now and kept for the index's life). `definitions`: a
        question also looks for the defined terms its words describe (DEFINITION_WEIGHT)."""
        self.index_dir = Path(index_dir)
        self.semantic = semantic_on() if semantic is None else semantic
        self.use_definitions = definitions and DEFINITION_WEIGHT > 0
        # Recent results by request, for the current generation: use inside `searcher()`,
        # which clears it whenever the index or its vectors change.
        self.results: BoundedCache[Hashable, object] = BoundedCache(cache_size)
        self.build = live_build(self.index_dir)
        self.ix: whoosh_index.Index = open_index(self.index_dir)
        # section embeddings, when computed (a stand-in model's while `embed` upgrades them)
        self.vectors = VectorStore(self.index_dir, stand_ins=True)
        self._searcher: Searcher | None = None
        self._values: Columns | None = None
        self._versions: VersionTable | None = None  # read on first use, once per generation
        self._definitions: DefinitionTable | None = None  # likewise
        # Whoosh searchers are not made for concurrent use; a server worker runs one search
        # at a time anyway (the GIL), so threads take turns.
        self._lock = threading.Lock()

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """The current searcher (do not close it)."""
        with self._lock:
            yield self._current()

    def _current(self) -> Searcher:
        try:
            return self._open_current()
        except DAMAGED_INDEX_ERRORS as error:
            reason = f"unreadable: {error}"
        # Raised outside the handler: the original traceback (and the files of the segment
        # Whoosh failed to open, held by its frames) is not kept alive by the new error.
        self.close()
        raise IndexMissing(self.index_dir, reason)

    def _open_current(self) -> Searcher:
        if self.vectors.refresh():  # new vectors change how questions rank
            self.results.clear()
        build = live_build(self.index_dir)
        if build != self.build:
            fresh = open_index(self.index_dir)
            self.close()
            self.ix, self.build = fresh, build
        # refresh() returns the same searcher while the index is unchanged, so the columns
        # and priors are read again only when it changed.
        fresh = self.ix.searcher() if self._searcher is None else self._refreshed(self._searcher)
        if fresh is not self._searcher or self._values is None:
            self._searcher, self._values = fresh, None  # closed by close() if the rest fails
            self._versions = self._definitions = None
            self._values = Columns(fresh)
            priors = section_priors(self._values.labels["kind"], self._values.codes["kind"])
            fresh.weighting = PriorWeighting(priors, **BM25_OPTIONS)
            self.results.clear()
        return fresh

    @staticmethod
    def _refreshed(searcher: Searcher) -> Searcher:
        """The searcher of the index's latest generation, the readers of the segments it no
        longer uses closed: Whoosh closes only one of them (it keys the readers it could
        reuse by generation, which all of a generation's segments share), leaving the others'
        files, deleted by a merge, to the garbage collector."""
        fresh = searcher.refresh()
        if fresh is not searcher:
            kept = {id(reader) for reader, _ in fresh.reader().leaf_readers()}
            for reader, _ in searcher.reader().leaf_readers():
                if id(reader) not in kept and not reader.is_closed:
                    reader.close()
        return fresh

    @property
    def columns(self) -> Columns:
        """Facet and document columns of the current searcher (inside `searcher()`)."""
        assert self._values is not None, "use inside `with index.searcher()`"
        return self._values

    @property
    def versions(self) -> VersionTable:
        """The versions of each law in the current searcher (inside `searcher()`)."""
        if self._versions is None:
            assert self._searcher is not None, "use inside `with index.searcher()`"
            self._versions = VersionTable.read(self._searcher, self.columns)
        return self._versions

    @property
    def definitions(self) -> DefinitionTable | None:
        """The definitions of the current searcher's laws (inside `searcher()`); None when
        questions do not look for defined terms."""
        if not self.use_definitions:
            return None
        if self._definitions is None:
            assert self._searcher is not None, "use inside `with index.searcher()`"
            self._definitions = read_definitions(self._searcher)
        return self._definitions

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._values = None
        self._versions = self._definitions = None
        self.ix.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
