"""One search on one generation of one index: the partial result a shard answers with.

An index may be split into shards, its documents partitioned by doc_id (so all sections of
a document are on one shard). Each shard compiles, filters, scores, relaxes, re-ranks
and counts on its own generation and answers with a `ShardResult`: plain values and
arrays only, so it pickles. `search.results` merges the partial results of every shard and
asks each hit's shard for its passages; the single index is one shard through the same
merge. Over several shards, a search is scored with the collection's statistics, gathered
from every shard first (`shard_statistics`); a question's candidates by words and by
meaning are ranked over every shard (`shared_ranks`) before each shard fuses its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from whoosh import query as q
from whoosh.searching import Searcher

from search import timing
from search.engine.columns import Columns
from search.engine.docsets import Matches, member
from search.engine.scoring import TermStatistics, term_statistics
from search.facets import FACETS
from search.index.live import SearchIndex
from search.index.versions import VersionTable
from search.query.compile import CompiledQuery, build_filter, compile_query
from search.query.request import SearchRequest
from search.rank import knobs
from search.rank.authority import PriorWeighting
from search.rank.knobs import FEW_HITS, LONG_QUERY
from search.rank.ranking import best_first, matching_docs, ranked, score_all, segments_of
from search.rank.semantic import (
    Ranks,
    fuse,
    meaning_by_section,
    nearest,
    rerank,
    value_range,
    with_authority,
    with_sections,
    word_scores,
)
from search.text.definitions import DefinitionTable
from search.vectors.store import VectorStore


@dataclass(frozen=True)
class Generation:
    """What a search reads of one generation of an index: its searcher, the searcher's
    columns and the sections' vectors (from a SearchIndex, inside `searcher()`)."""

    searcher: Searcher
    columns: Columns
    vectors: VectorStore
    semantic: bool  # questions re-ranked by meaning (the `semantic` setting)
    versions: VersionTable | None = None  # the versions of each law (None: none grouped)
    definitions: DefinitionTable | None = None  # the laws' defined terms (None: no bridging)

    @classmethod
    def of(cls, index: SearchIndex, searcher: Searcher) -> Generation:
        """The generation `searcher` reads (from `index.searcher()`, still open)."""
        columns, versions, definitions = index.columns, index.versions, index.definitions
        return cls(searcher, columns, index.vectors, index.semantic, versions, definitions)


__all__ = [
    "Generation",
    "ShardResult",
    "ShardRows",
    "ShardSearch",
    "TermStatistics",
    "search_shard",
]


@dataclass(frozen=True, eq=False)
class ShardRows:
    """Hits of one shard, one row each: section numbers in the shard's generation (for
    their passages, from the same generation), documents, sort keys and other matching
    sections."""

    docnums: np.ndarray
    doc_ids: list[str]
    scores: np.ndarray  # the relevance sort's key, and the date sort's second key
    dates: list[str]  # the date sort's key ("" when none): comparable across shards
    more_sections: np.ndarray  # other matching sections of the hit's document (when collapsed)
    matched: list[str]  # how each hit was found: "words", "meaning" or "both"


@dataclass(frozen=True, eq=False)
class ShardResult(ShardRows):
    """What one shard found: its first page × size hits in its own order, with what merging
    them with other shards' needs, the raw facet counts and the totals."""

    total: int  # documents when collapsed, else sections
    # what the pages list: when collapsed, documents with the versions of a law once (the
    # laws of this shard's table: a law whose versions lie on several shards counts on each)
    total_hits: int
    total_sections: int
    full_matches: int  # sections that match the whole query
    # those of them that facet values aside, the document, dates and scope allow: what
    # decides whether the words are relaxed (`relax_words`)
    full_matches_unfaceted: int
    by_meaning: bool  # whether meaning ranks the search (`ShardSearch._meaning_ranks`)
    relaxed: bool
    facets: dict[str, Counter[Any]]  # every value's count, by facet
    # The statistics the scores were computed with (the collection's, when given); None when
    # not asked for: a single index has no statistics to make global.
    statistics: TermStatistics | None

    def with_rows(self, rows: ShardRows) -> ShardResult:
        """The result with `rows` after its own (ShardSearch.matching): its totals and
        facets stay those of the search."""
        return replace(
            self,
            docnums=np.concatenate([self.docnums, rows.docnums]),
            doc_ids=self.doc_ids + rows.doc_ids,
            scores=np.concatenate([self.scores, rows.scores]),
            dates=self.dates + rows.dates,
            more_sections=np.concatenate([self.more_sections, rows.more_sections]),
            matched=self.matched + rows.matched,
        )


@dataclass(frozen=True)
class _WordHits:
    found: Matches  # every match of the scored query
    hits: Matches  # those the filters allow
    full_matches: np.ndarray  # the sections that match the whole query, filters allowing
    unfaceted: int  # how many match it that the restrictions that are not facets allow
    relax: bool  # as asked or decided
    relaxed: bool  # ranked by the relaxed query
    scored: q.Query


@dataclass(frozen=True)
class Candidates:
    """A shard's candidates for a question's fusion: its first sections by words and its
    nearest in meaning, each list in the shard's order, with what orders them over shards."""

    word_docs: np.ndarray
    word_scores: np.ndarray
    word_similarities: np.ndarray  # of word_docs
    word_doc_ids: list[str]
    meaning_docs: np.ndarray  # the nearest, whatever facet values are chosen
    similarities: np.ndarray
    meaning_word_scores: np.ndarray  # of meaning_docs (0: not matched by words)
    meaning_doc_ids: list[str]
    ceiling: float | None  # the best word score (None: no word match)
    allowed: np.ndarray  # which of meaning_docs every filter allows
    # For each facet filtered, which of meaning_docs the other filters allow (its counts).
    facet_allowed: dict[str, np.ndarray]


def shared_ranks(candidates: Sequence[Candidates]) -> list[Ranks]:
    """Each shard's candidates chosen over every shard: the first RERANK_DEPTH by words and
    those of the DENSE_DEPTH nearest in meaning of the whole collection that the filters
    allow, ties by doc_id and then in each shard's order (as one index of the whole
    collection orders them), with the best word score of all and the ranges of both scores
    over all those candidates. Each shard fuses with these, as one index would."""
    words = _over_shards(
        [(c.word_docs, c.word_scores, c.word_doc_ids) for c in candidates], knobs.RERANK_DEPTH
    )
    closest = _over_shards(
        [(c.meaning_docs, c.similarities, c.meaning_doc_ids) for c in candidates],
        knobs.DENSE_DEPTH,
    )
    meaning = [chosen[c.allowed[chosen]] for c, chosen in zip(candidates, closest, strict=True)]
    ceiling = max((c.ceiling for c in candidates if c.ceiling is not None), default=0.0)
    word_range = value_range(
        np.concatenate(
            [c.word_scores[w] for c, w in zip(candidates, words, strict=True)]
            + [c.meaning_word_scores[m] for c, m in zip(candidates, meaning, strict=True)]
        )
    )
    similarity_range = value_range(
        np.concatenate(
            [c.word_similarities[w] for c, w in zip(candidates, words, strict=True)]
            + [c.similarities[m] for c, m in zip(candidates, meaning, strict=True)]
        )
    )
    return [
        Ranks(
            c.word_docs[words[n]],
            c.meaning_docs[meaning[n]],
            ceiling,
            word_range,
            similarity_range,
            {
                name: np.sort(c.meaning_docs[closest[n][allowed[closest[n]]]])
                for name, allowed in c.facet_allowed.items()
            },
        )
        for n, c in enumerate(candidates)
    ]


def _over_shards(
    lists: list[tuple[np.ndarray, np.ndarray, list[str]]], depth: int
) -> list[np.ndarray]:
    """For each shard, where its entries among the first `depth` of every shard's by key
    (highest first) stand in its own list, best first."""
    entries = [
        (-float(key), doc_id, order, shard)
        for shard, (_docs, keys, doc_ids) in enumerate(lists)
        for order, (key, doc_id) in enumerate(zip(keys.tolist(), doc_ids, strict=True))
    ]
    entries.sort()
    chosen: list[list[int]] = [[] for _ in lists]
    for _, _, order, shard in entries[:depth]:
        chosen[shard].append(order)
    return [np.array(orders, dtype=np.int64) for orders in chosen]


def relax_words(
    compiled: CompiledQuery, full_matches: int, unfaceted: int, by_meaning: bool
) -> bool:
    """Whether to rank by the query's words, full matches first, given how many sections
    match the whole query: `should_relax` by those the search allows with no facet value
    chosen (`unfaceted`), so that choosing a value narrows what was found and finds what
    its count said. Where the chosen values allow no full match, a search that meaning
    does not rank is relaxed too: a filter fixed by a portal's widget then finds sections
    with some of the words rather than nothing (one that meaning ranks finds the nearest,
    as its counts said)."""
    return should_relax(compiled, unfaceted) or (
        full_matches == 0 and not by_meaning and compiled.relaxed is not None
    )


def should_relax(compiled: CompiledQuery, full_matches: int) -> bool:
    """Whether to rank by the query's words, full matches first, given how many sections
    match the whole query: none, or few for a question of several words. A sentence
    without a question word or mark that some section holds whole (pasted from a law) has
    found its answer, however few hold it."""
    return compiled.relaxed is not None and (
        full_matches == 0
        or full_matches < FEW_HITS
        and compiled.asks
        and not compiled.sentence
        and len(compiled.words) >= LONG_QUERY
    )


_FACET_NAMES = frozenset(facet.name for facet in FACETS)


class _Filters:
    """The sections each filter allows, by facet name (plus the document, dates and scope
    restrictions)."""

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

    def within(self) -> np.ndarray | None:
        """The sections the restrictions that are not facets allow (the document, the dates,
        the 文号 scope), as a mask by document number (None: none applies): where a search
        looks, whichever facet values are chosen."""
        masks = [allowed for name, allowed in self.allowed.items() if name not in _FACET_NAMES]
        return np.logical_and.reduce(masks) if masks else None

    def narrow(self, docs: np.ndarray, skip: str | None = None) -> np.ndarray:
        if not any(name != skip for name in self.allowed):
            return docs
        return docs[self.allows(docs, skip)]


def search_shard(
    generation: Generation,
    request: SearchRequest,
    relax: bool | None = None,
    with_statistics: bool = True,
    collection: TermStatistics | None = None,
) -> ShardResult:
    """The partial result of `request` on one shard's generation; `relax` as decided over
    every shard (None: on this shard's own full matches); scored with the `collection`'s
    statistics (None: the shard's own)."""
    return ShardSearch(generation, request, relax, with_statistics, collection).result


def shard_statistics(generation: Generation, request: SearchRequest) -> TermStatistics:
    """The statistics round: the shard's own statistics for every term `request` may be
    scored with (its strict and its relaxed query), without scoring anything. Their sum
    over the shards (`TermStatistics.summed`) is what each shard then scores with."""
    compiled = compile_query(request.text, request.scope, generation.definitions)
    searcher = generation.searcher
    segments = [segment for segment, _ in segments_of(searcher)]
    queries = [compiled.strict] + ([compiled.relaxed] if compiled.relaxed is not None else [])
    return term_statistics(searcher, q.Or(queries), segments)  # each term once


def meaning_may_rank(compiled: CompiledQuery) -> bool:
    """Whether meaning may rank a search: a question, whatever its sort (sorted by date, it
    finds the same sections as by relevance, those near it in meaning among them). Keyword
    queries and pasted text keep the word ranking."""
    return compiled.asks


def found_whole(compiled: CompiledQuery, relax: bool) -> bool:
    """Whether a sentence without a question word or mark was found as typed (not
    relaxed): pasted from a law, the sections that hold it are its answer, and it keeps
    the word ranking as pasted text does, however near other sections are in meaning."""
    return compiled.sentence and not relax


# Whether a question's words are found while it is multiplied (off: one after the other).
OVERLAP_WORDS = True


class ShardSearch:
    """One search on one shard: its partial result, and what the shard keeps to answer the
    questions that follow it (the passages of the page's hits, a suggestion's counts)."""

    def __init__(
        self,
        generation: Generation,
        request: SearchRequest,
        relax: bool | None = None,
        with_statistics: bool = True,
        collection: TermStatistics | None = None,
    ) -> None:
        self.generation = generation
        self.request = request
        self.with_statistics = with_statistics
        self.collection = collection  # the statistics to score with (None: the shard's own)
        with timing.stage(timing.COMPILING):
            self.compiled = compile_query(request.text, request.scope, generation.definitions)
        searcher = generation.searcher
        with timing.stage(timing.FILTERS):
            self.filters = _Filters(searcher, generation.columns.size, build_filter(request))
        with timing.stage(timing.SCORING):
            # The strict and relaxed queries share their parts (and the statistics).
            self.segments = segments_of(searcher, collection)
        self._similarity: np.ndarray | None = None  # to the question, by section (once)
        self._meaning: np.ndarray | None = None  # the similarity with authority (once)
        self._closest: np.ndarray | None = None  # the nearest within (once)
        # its matches, those the filters allow, how many the restrictions but facets allow
        self._strict: tuple[Matches, np.ndarray, int] | None = None
        self._scored: dict[bool, _WordHits] = {}  # by whether relaxed
        self._words_beside_meaning(relax)
        self.result = self.answer(relax)

    def _by_meaning(self) -> bool:
        """Whether meaning ranks too: a search meaning may rank, with the semantic setting
        on."""
        return meaning_may_rank(self.compiled) and self.generation.semantic

    def _meaning_ranks(self) -> bool:
        """Whether meaning ranks the search: it may, and some section has a vector."""
        return self._by_meaning() and len(self.generation.vectors) > 0

    def _similarity_ready(self, meanwhile: Callable[[], object] | None = None) -> bool:
        """Whether candidates come by meaning from every section (DENSE_DEPTH above 0), and
        then the question's similarity to each is computed, with `meanwhile` run while it
        is multiplied; False with no vectors at all."""
        if knobs.DENSE_DEPTH <= 0:
            return False
        if self._similarity is None:
            columns, generation = self.generation.columns, self.generation
            self._similarity = meaning_by_section(
                self.request.text, columns.vector_keys, columns.live, generation.vectors, meanwhile
            )
            if self._similarity is not None:
                weighting = generation.searcher.weighting
                log_priors = weighting.log_priors if isinstance(weighting, PriorWeighting) else None
                self._meaning = with_authority(self._similarity, log_priors)
        return self._similarity is not None

    def _words_beside_meaning(self, relax: bool | None) -> None:
        """For a search meaning ranks: its words found while a helper thread multiplies the
        question with the sections' vectors, which leaves the interpreter free. The question
        is embedded first, on this thread: the model's threads take the cores it is given,
        and words found meanwhile would only wait for one."""
        # A sentence found whole keeps the word ranking: it is embedded only if relaxed.
        if not (OVERLAP_WORDS and self._by_meaning()) or self.compiled.sentence:
            return

        def words() -> None:
            with timing.stage(timing.SCORING):
                self._words(relax)

        with timing.stage(timing.MEANING):
            self._similarity_ready(words)

    def _nearest_within(self) -> np.ndarray:
        """The DENSE_DEPTH sections nearest the question in meaning within the document,
        dates and scope asked for, whatever facet values are chosen; the highest meaning
        score (the similarity with authority) first."""
        assert self._similarity is not None
        if self._closest is None:
            self._closest = nearest(
                self._similarity,
                self.filters.within(),
                knobs.DENSE_DEPTH,
                knobs.MEANING_FLOOR,
                self._meaning,
            )
        return self._closest

    def _nearest(self, skip: str | None = None) -> np.ndarray:
        """Those of the nearest sections that every filter (but `skip`) allows: facet values
        narrow what a question finds by meaning as they narrow its word matches, so that a
        value's count is what choosing it finds."""
        closest = self._nearest_within()
        return closest[self.filters.allows(closest, skip)]

    def _words(self, relax: bool | None) -> _WordHits:
        """The sections the words find that the filters allow, strict or relaxed as `relax`
        says (None: as this shard's own full matches call for); scored once each way."""
        searcher, compiled, segments = self.generation.searcher, self.compiled, self.segments
        if self._strict is None:
            found = score_all(searcher, compiled.strict, segments)
            within = self.filters.within()
            unfaceted = len(found) if within is None else int(within[found.docs].sum())
            self._strict = (found, self.filters.narrow(found.docs), unfaceted)
        found, full_matches, unfaceted = self._strict
        if relax is None:
            relax = relax_words(compiled, len(full_matches), unfaceted, self._meaning_ranks())
        relaxed = bool(relax and compiled.relaxed is not None)
        if relaxed not in self._scored:
            scored = (
                compiled.relaxed if relaxed and compiled.relaxed is not None else compiled.strict
            )
            if relaxed:
                found = score_all(searcher, scored, segments)
            keep = self.filters.allows(found.docs)
            hits = Matches(found.docs[keep], found.scores[keep])
            self._scored[relaxed] = _WordHits(
                found, hits, full_matches, unfaceted, relax, relaxed, scored
            )
        return self._scored[relaxed]

    def candidates(self, relax: bool) -> Candidates | None:
        """The shard's part of the fusion round: its first RERANK_DEPTH sections by words
        and its DENSE_DEPTH nearest in meaning, with their scores and documents; None when
        meaning does not rank this search."""
        if not (self._by_meaning() and self._similarity_ready()):
            return None
        assert self._meaning is not None
        hits, doc_labels = self._words(relax).hits, self.generation.columns.labels["doc_id"]
        codes = self.generation.columns.codes["doc_id"]
        rows = best_first(hits.scores, knobs.RERANK_DEPTH)
        closest, similarity = self._nearest_within(), self._meaning
        return Candidates(
            word_docs=hits.docs[rows],
            word_scores=hits.scores[rows],
            word_similarities=similarity[hits.docs[rows]],
            word_doc_ids=[doc_labels[c] for c in codes[hits.docs[rows]].tolist()],
            meaning_docs=closest,
            similarities=similarity[closest],
            meaning_word_scores=word_scores(hits, closest),
            meaning_doc_ids=[doc_labels[c] for c in codes[closest].tolist()],
            ceiling=float(hits.scores.max()) if len(hits) else None,
            allowed=self.filters.allows(closest),
            facet_allowed={
                name: self.filters.allows(closest, name) for name in self.filters.allowed
            },
        )

    def answer(self, relax: bool | None = None, ranks: Ranks | None = None) -> ShardResult:
        """The partial result, relaxed or not as `relax` says (None: as this shard's own
        full matches call for); a question's fusion with the `ranks` of its candidates
        over every shard (None: this shard's own)."""
        request, compiled = self.request, self.compiled
        # How the latest result was answered: relaxed or not, fused with which ranks.
        self.answered: tuple[bool | None, Ranks | None] = (relax, ranks)
        words, hits, meaning = self._ranking(relax, ranks)
        with timing.stage(timing.COLLAPSING):
            page = self._ranked_page(hits, request.page * request.size, request.collapse)
            rows, sections_per_document = self._rows(page, hits, words.hits.docs, meaning)
        with timing.stage(timing.FACETS):
            facets = self._facet_counts(words.found.docs, meaning, ranks)
        with timing.stage(timing.SCORING):
            statistics = self._statistics(words.scored) if self.with_statistics else None
        return ShardResult(
            docnums=rows.docnums,
            doc_ids=rows.doc_ids,
            scores=rows.scores,
            dates=rows.dates,
            more_sections=rows.more_sections,
            matched=rows.matched,
            total=int(np.count_nonzero(sections_per_document)) if request.collapse else len(hits),
            total_hits=self._hits_listed(sections_per_document, len(hits)),
            total_sections=len(hits),
            full_matches=len(words.full_matches),
            full_matches_unfaceted=words.unfaceted,
            by_meaning=self._meaning_ranks(),
            relaxed=bool(words.relax and compiled.relaxed is not None),
            facets=facets,
            statistics=statistics,
        )

    def _hits_listed(self, sections_per_document: np.ndarray, sections: int) -> int:
        """How many hits the pages list: sections, or when collapsed documents, the versions
        of one law once when they are grouped."""
        if not self.request.collapse:
            return sections
        documents = np.flatnonzero(sections_per_document)
        versions = self.generation.versions
        if versions is None:
            return len(documents)
        return versions.laws_among(self.generation.columns.labels["doc_id"], documents)

    def matching(
        self, doc_ids: Sequence[str], relax: bool | None = None, ranks: Ranks | None = None
    ) -> ShardRows:
        """The rows a collapsed result would have for those of `doc_ids` among this shard's
        hits (each document's best section), in the result's order, ranked as `answer`
        with `relax` and `ranks` ranks them: which versions of a law match, beyond the
        result's rows."""
        values = self.generation.columns
        words, hits, meaning = self._ranking(relax, ranks)
        with timing.stage(timing.COLLAPSING):
            wanted, labels = set(doc_ids), values.labels["doc_id"]
            found = values.codes["doc_id"][hits.docs]
            codes = [code for code in np.unique(found).tolist() if labels[code] in wanted]
            keep = np.isin(found, codes)
            page = self._ranked_page(Matches(hits.docs[keep], hits.scores[keep]), len(codes))
            return self._rows(page, hits, words.hits.docs, meaning)[0]

    def _ranked_page(self, hits: Matches, size: int, collapse: bool = True) -> np.ndarray:
        """The first `size` of `hits` in the request's order (section numbers)."""
        sort = self.request.sort
        page = ranked(
            hits,
            self.generation.columns,
            size,
            by_date=sort in ("date", "date_asc"),
            collapse=collapse,
            oldest_first=sort == "date_asc",
        )
        return np.array(page, dtype=np.int64)

    def _ranking(
        self, relax: bool | None, ranks: Ranks | None
    ) -> tuple[_WordHits, Matches, np.ndarray | None]:
        """The words' hits, the hits as ranked (with the candidates by meaning fused in, for
        a question) and those candidates (None: meaning does not rank)."""
        with timing.stage(timing.SCORING):
            words = self._words(relax)
        # Sections that match every word stay ahead of partial matches.
        ahead = words.full_matches if words.relax else None
        hits, meaning = words.hits, None
        if self._by_meaning() and not found_whole(self.compiled, words.relax):
            with timing.stage(timing.MEANING):
                hits, meaning = self._with_meaning(hits, ahead, ranks)
        return words, hits, meaning

    def _rows(
        self, page: np.ndarray, hits: Matches, by_words: np.ndarray, meaning: np.ndarray | None
    ) -> tuple[ShardRows, np.ndarray]:
        """The `page` of `hits` as rows, and how many sections of each document match."""
        values = self.generation.columns
        sections_per_document = np.bincount(
            values.codes["doc_id"][hits.docs], minlength=len(values.labels["doc_id"])
        )
        documents = values.codes["doc_id"][page]
        doc_labels, date_labels = values.labels["doc_id"], values.labels["date"]
        rows = ShardRows(
            docnums=page,
            doc_ids=[doc_labels[code] for code in documents.tolist()],
            scores=hits.scores[np.searchsorted(hits.docs, page)],
            dates=[date_labels[code] or "" for code in values.codes["date"][page].tolist()],
            more_sections=sections_per_document[documents] - 1
            if self.request.collapse
            else np.zeros(len(page), dtype=np.int64),
            matched=_how_found(page, by_words, meaning),
        )
        return rows, sections_per_document

    def _with_meaning(
        self, hits: Matches, ahead: np.ndarray | None, ranks: Ranks | None
    ) -> tuple[Matches, np.ndarray | None]:
        """The word matches with the candidates by meaning fused in (and those candidates,
        ascending), or, with no candidates by meaning, the word ranking's first re-ranked."""
        if self._similarity_ready():
            closest = self._nearest() if ranks is None else ranks.meaning_docs
            assert self._meaning is not None
            return fuse(hits, closest, self._meaning, ranks), np.sort(closest)
        columns, vectors = self.generation.columns, self.generation.vectors
        question = self.request.text
        fused = rerank(hits.docs, hits.scores, question, columns.vector_keys, vectors, ahead)
        return Matches(hits.docs, fused), None

    def _facet_counts(
        self, found: np.ndarray, meaning: np.ndarray | None, ranks: Ranks | None = None
    ) -> dict[str, Counter[Any]]:
        """Every value's count, per facet: disjunctive (each facet's own filter ignored).

        With candidates by meaning, a facet counts them too: those of the search, and
        those of the nearest that the other filters allow, so that another value's count
        holds the sections its own search would find by meaning (with `ranks`, the nearest
        over every shard)."""
        values, request, filters = self.generation.columns, self.request, self.filters
        facets: dict[str, Counter[Any]] = {}
        counted: dict[tuple[str, ...], np.ndarray] = {}  # by the filters applied
        for facet in FACETS:
            applied = tuple(other for other in filters.allowed if other != facet.name)
            if applied not in counted:  # without filters, the same for every facet
                docs = filters.narrow(found, skip=facet.name)
                if meaning is not None:
                    docs = with_sections(docs, meaning)
                    if facet.name in filters.allowed:
                        near = (
                            self._nearest(skip=facet.name)
                            if ranks is None
                            else ranks.facet_nearest[facet.name]  # the nearest over every shard
                        )
                        docs = with_sections(docs, near)
                counted[applied] = values.one_per_document(docs) if request.collapse else docs
            facets[facet.name] = values.count(facet.field, counted[applied])
        return facets

    @property
    def searched(self) -> list[Any]:
        """The segments this search read, whose postings its hits' passages read again."""
        return [segment for segment, _ in self.segments]

    def _statistics(self, scored: q.Query) -> TermStatistics:
        if self.collection is not None:
            return self.collection
        return term_statistics(self.generation.searcher, scored, self.searched)


def _how_found(page: np.ndarray, by_words: np.ndarray, meaning: np.ndarray | None) -> list[str]:
    """For each hit of `page`: found by "words", by "meaning" alone, or by "both"."""
    if meaning is None:
        return ["words"] * len(page)
    words, close = member(page, by_words), member(page, meaning)
    return [
        "both" if w and c else "words" if w else "meaning"
        for w, c in zip(words.tolist(), close.tolist(), strict=True)
    ]
