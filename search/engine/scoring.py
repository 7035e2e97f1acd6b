"""Whoosh query trees scored as whole posting lists in numpy, for the shapes run_search builds.

Whoosh scores a match by walking a tree of matchers one document at a time, several method
calls per node per document, in pure Python, after decoding each posting block from a
pickle. Here a term's postings are slices of the segment's flat posting arrays
(`search.engine.postings`), scored with the same BM25F formula all at once; phrases are checked on
the positions, and OR, AND and exclusion are array operations. A part that only matters at
some documents (every part of an AND after the rarest, an exclusion) is evaluated at those
documents only. The scores equal Whoosh's own (the tests compare them on real queries);
shapes not handled here, and segments without flat arrays, fall back to Whoosh's matcher
for that subtree only.

This reads the codec's length table, and scores like Whoosh 2.7.4's BM25F, which is why
Whoosh is pinned to that exact version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from math import log
from typing import Any

import numpy as np
from whoosh import query as q
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from search.cache import BoundedCache
from search.engine.codec import BYTE_LENGTHS, CachedLengthsReader
from search.engine.docsets import NOTHING, Matches, Scores, intersection, member, rows_of, union
from search.engine.exclusion import Without
from search.engine.fields import BIGRAM_FIELD_OF
from search.engine.postings import (
    AMBIGUOUS,
    SegmentArrays,
    segment_arrays,
    stores_positions,
    term_keys,
)
from search.text.analysis import CJK

CJK_RUN = re.compile(f"[{CJK}]+")


@dataclass(frozen=True)
class QueryTerms:
    """The terms a query looks up, each once, with their keys in the flat arrays (the same
    in every segment, so computed once per query)."""

    terms: list[tuple[str, str | bytes]]
    keys: np.ndarray

    @classmethod
    def of(cls, query: q.Query) -> QueryTerms:
        found: dict[tuple[str, str | bytes], None] = {}
        _gather_terms(query, found)
        terms = list(found)
        return cls(terms, term_keys([(fieldname, _utf8(text)) for fieldname, text in terms]))


def _gather_terms(query: q.Query, found: dict[tuple[str, str | bytes], None]) -> None:
    """Whoosh's iter_all_terms(phrases=True), without a generator per node."""
    if isinstance(query, q.Term):
        found[(query.fieldname, query.text)] = None
    elif type(query) is q.Phrase:
        for word in query.words:
            if word is not None:
                found[(query.fieldname, word)] = None
    elif isinstance(query, q.CompoundQuery):
        for sub in query.subqueries:
            _gather_terms(sub, found)
    elif isinstance(query, Without):
        _gather_terms(query.a, found)
        _gather_terms(query.b, found)
    else:
        found.update(dict.fromkeys(query.iter_all_terms(phrases=True)))


@dataclass(frozen=True)
class TermStatistics:
    """What BM25F reads of a collection for a query's terms: its documents, the terms'
    document frequencies and the fields' lengths. A shard's own, or the sums of every
    shard's, so that a section scores on its shard as in one index of the whole collection."""

    documents: int  # sections, deleted ones included, as BM25F's idf counts them
    frequencies: dict[tuple[str, str | bytes], int]  # (field, term) -> sections holding it
    field_lengths: dict[str, int]  # field -> its length in tokens, over every section

    @classmethod
    def summed(cls, parts: Iterable[TermStatistics]) -> TermStatistics:
        """The statistics of the collection the `parts` partition."""
        documents = 0
        frequencies: dict[tuple[str, str | bytes], int] = {}
        lengths: dict[str, int] = {}
        for part in parts:
            documents += part.documents
            for term, count in part.frequencies.items():
                frequencies[term] = frequencies.get(term, 0) + count
            for name, length in part.field_lengths.items():
                lengths[name] = lengths.get(name, 0) + length
        return cls(documents, frequencies, lengths)

    def average_length(self, fieldname: str) -> float:
        """The field's average length, as Whoosh's searcher computes it."""
        return self.field_lengths[fieldname] / (self.documents or 1)

    @property
    def average_lengths(self) -> dict[str, float]:
        return {name: self.average_length(name) for name in self.field_lengths}

    def idf(self, fieldname: str, text: str | bytes) -> float | None:
        """Whoosh's idf of the term over the collection; None for a term not gathered."""
        frequency = self.frequencies.get((fieldname, text))
        if frequency is None:
            return None
        return log(self.documents / (frequency + 1)) + 1


def term_statistics(searcher: Searcher, query: q.Query, segments: list[Segment]) -> TermStatistics:
    """The statistics of `searcher`'s own index for the terms `query` looks up."""
    frequencies = document_frequencies(query, segments)
    fields = {name for name, _ in frequencies}
    lengths = {name: int(searcher.field_length(name)) for name in fields}
    return TermStatistics(searcher.doc_count_all(), frequencies, lengths)


@dataclass(frozen=True)
class _FieldScoring:
    """What BM25F needs of a field, the same for each of its terms in a segment."""

    boost: float  # applied to the number of positions the flat arrays hold
    scorable: bool
    k1: float
    norms: np.ndarray  # BM25's length part, by length byte
    lengths: np.ndarray  # each document's length byte


class Segment:
    """What scoring needs of one segment: its flat arrays (each run read once per query),
    field lengths and deletions."""

    def __init__(
        self, leaf: Searcher, context: Any, statistics: TermStatistics | None = None
    ) -> None:
        self.leaf = leaf
        self.context = context
        # The collection's statistics to score with (None: the segment's own index's).
        self.statistics = statistics
        self.reader = leaf.reader()
        self.arrays: SegmentArrays | None = segment_arrays(self.reader)
        self.size = self.reader.doc_count_all()
        self._found: dict[tuple[str, str | bytes], tuple[int, int, int] | None] = {}
        self._read: dict[tuple[str, int], np.ndarray] = {}
        # Matches of OR and AND parts over the whole segment, before their boost, by their
        # list of parts: a question's relaxed query holds its strict one (boosted, its
        # parts shared), so scoring both reads and combines those parts only once.
        self._combined: dict[tuple[type, int], tuple[list[q.Query], Matches]] = {}
        self._scoring: dict[str, _FieldScoring] = {}

    @cached_property
    def alive(self) -> np.ndarray | None:
        """Which documents are not deleted, by document number (None: all of them)."""
        if not self.reader.has_deletions():
            return None
        alive = np.ones(self.size, dtype=bool)
        alive[list(self.reader.segment().deleted_docs())] = False
        return alive

    def lengths(self, fieldname: str) -> np.ndarray:
        """Each document's length byte in the field (0 for a field without lengths)."""
        perdoc = getattr(self.reader, "_perdoc", None)
        raw = None
        if isinstance(perdoc, CachedLengthsReader):
            raw = perdoc.field_lengths(fieldname)
        return np.frombuffer(raw or bytes(self.size), dtype=np.uint8)

    def without_deleted(self, found: Matches) -> Matches:
        """`found` without deleted documents. Parts are scored with them (as if they were
        not deleted: a deleted document cannot change a live one's score) and they are left
        out once, here, rather than from every term's postings."""
        if self.alive is None or not len(found):
            return found
        keep = self.alive[found.docs]
        return Matches(found.docs[keep], found.scores[keep])

    def docs(self, start: int, end: int) -> np.ndarray:
        """A run of the flat document numbers (int64), read once per query."""
        return self._run("docs", start, end)

    def weights(self, start: int, end: int) -> np.ndarray:
        return self._run("weights", start, end)

    def positions(self, start: int, end: int) -> np.ndarray:
        return self._run("positions", start, end)

    def _run(self, kind: str, start: int, end: int) -> np.ndarray:
        # By where the run starts: the start of a term's postings read whole serves too
        # (the passages want the counts of a term's first postings).
        key = (kind, start)
        found = self._read.get(key)
        if found is None or len(found) < end - start:
            assert self.arrays is not None
            found = self._read[key] = getattr(self.arrays, kind)(start, end)
        return found if len(found) == end - start else found[: end - start]

    def postings(self, fieldname: str, text: str | bytes) -> tuple[int, int, int] | None:
        """Where the term's postings are in the flat arrays (see SegmentArrays.find)."""
        key = (fieldname, text)
        if key not in self._found:  # a term is looked up several times in one query
            assert self.arrays is not None
            self._found[key] = self.arrays.find(fieldname, _utf8(text))
        return self._found[key]

    def document_frequency(self, fieldname: str, text: str | bytes) -> int:
        """How many documents of the segment hold the term, deleted ones included (as
        Whoosh's idf counts them)."""
        found = self.postings(fieldname, text) if self.arrays is not None else AMBIGUOUS
        if found == AMBIGUOUS:
            return int(self.reader.doc_frequency(fieldname, text))
        return 0 if found is None else found[1] - found[0]

    def look_up(self, wanted: QueryTerms) -> None:
        """Find the terms in the flat arrays at once (see SegmentArrays.find_all)."""
        if self.arrays is None:
            return
        new = [i for i, term in enumerate(wanted.terms) if term not in self._found]
        found = self.arrays.find_all(wanted.keys[new])
        self._found.update(zip([wanted.terms[i] for i in new], found, strict=True))

    def evaluate(self, query: q.Query, terms: QueryTerms | None = None) -> Matches:
        """Every document of the segment that matches `query` (whose `terms` are given when
        known), with its score."""
        self.look_up(terms or QueryTerms.of(query))
        return self.without_deleted(_evaluate(query, self, None))

    def scoring(self, fieldname: str) -> _FieldScoring | None:
        """The field's BM25F constants; None when the searcher does not score with BM25F."""
        found = self._scoring.get(fieldname)
        if found is None:
            weighting = self.context.weighting
            if type(weighting).scorer is not BM25F.scorer:
                return None
            field = self.leaf.schema[fieldname]
            # BM25F's own statistics, as its scorer reads them: the average length from the
            # whole index (or the whole collection).
            if self.statistics is not None and fieldname in self.statistics.field_lengths:
                average = self.statistics.average_length(fieldname) or 1
            else:
                average = self.leaf.get_parent().avg_field_length(fieldname) or 1
            k1, b = weighting.K1, weighting._field_B.get(fieldname, weighting.B)
            found = self._scoring[fieldname] = _FieldScoring(
                boost=field.format.field_boost if stores_positions(field.format) else 1.0,
                scorable=field.scorable,
                k1=k1,
                norms=_norms(k1, b, average),
                lengths=self.lengths(fieldname),
            )
        return found

    def idf(self, fieldname: str, text: str | bytes) -> float:
        """The term's idf: from the collection's statistics when given, else from the whole
        index (the parent searcher caches it per term)."""
        if self.statistics is not None:
            found = self.statistics.idf(fieldname, text)
            if found is not None:
                return found
        return float(self.leaf.get_parent().idf(fieldname, text))

    def combined(
        self, query: q.Query, within: np.ndarray | None, combine: Callable[[], Matches]
    ) -> Matches:
        """`combine()`, the unboosted matches of an OR or AND, kept when over the whole
        segment (see _combined)."""
        if within is not None:
            return combine()
        key = (type(query), id(query.subqueries))
        known = self._combined.get(key)
        if known is None:  # (the parts are kept with it, so their id is not reused)
            known = self._combined[key] = (query.subqueries, combine())
        return known[1]


def document_frequencies(
    query: q.Query, segments: list[Segment]
) -> dict[tuple[str, str | bytes], int]:
    """Each term `query` looks up, with how many documents of `segments` hold it (the
    terms were looked up when the query was scored on them, so this reads no postings)."""
    found: dict[tuple[str, str | bytes], None] = {}
    _gather_terms(query, found)
    return {
        (fieldname, text): sum(s.document_frequency(fieldname, text) for s in segments)
        for fieldname, text in found
    }


def _utf8(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def evaluate(query: q.Query, leaf: Searcher, context: Any) -> Matches:
    """Every document of one segment that matches `query`, with its score."""
    return Segment(leaf, context).evaluate(query)


def _evaluate(query: q.Query, segment: Segment, within: np.ndarray | None) -> Matches:
    """The matches of `query` among `within` (ascending document numbers; None: all)."""
    if within is not None and not len(within):
        return NOTHING
    if segment.arrays is not None:
        if isinstance(query, q.Term):
            return _term(query, segment, within)
        if type(query) is q.Phrase:
            return _phrase(query, segment, within)
    if type(query) is q.Or and query.scale is None and not query.minmatch:
        parts = query.subqueries
        return segment.combined(
            query, within, lambda: union(_alternatives(parts, segment, within), segment.size)
        ).boosted(query.boost)
    if type(query) is q.And:
        parts = query.subqueries
        return segment.combined(query, within, lambda: _and(parts, segment, within)).boosted(
            query.boost
        )
    if isinstance(query, Without):
        kept = _evaluate(query.a, segment, within)
        if len(kept):
            dropped = _evaluate(query.b, segment, kept.docs)
            keep = ~member(kept.docs, dropped.docs, segment.size)
            kept = Matches(kept.docs[keep], kept.scores[keep])
        return kept
    if isinstance(query, type(q.NullQuery)):
        return NOTHING
    if type(query) is q.Every and query.fieldname in (None, "", "*"):
        return _every(query, segment, within)
    return _fallback(query, segment, within)


def walk(query: q.Query, leaf: Searcher, context: Any) -> Scores:
    """Whoosh's own way: its matcher, one document at a time."""
    scores: Scores = {}
    matcher = query.matcher(leaf, context)
    while matcher.is_active():
        scores[matcher.id()] = matcher.score()
        matcher.next()
    return scores


def _probe(query: q.Query, leaf: Searcher, context: Any, docnums: list[int]) -> Scores:
    """The scores of `query` at `docnums` (ascending) only, by Whoosh's matcher."""
    scores: Scores = {}
    matcher = query.matcher(leaf, context)
    for docnum in docnums:
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                break
        if matcher.id() == docnum:
            scores[docnum] = matcher.score()
    return scores


def _every(query: q.Every, segment: Segment, within: np.ndarray | None) -> Matches:
    """Every document, scored by the query's boost (as Whoosh's ListMatcher does)."""
    docs = np.arange(segment.size, dtype=np.int64) if within is None else within
    return Matches(docs, np.full(len(docs), float(query.boost)))


def _alternatives(
    parts: list[q.Query], segment: Segment, within: np.ndarray | None
) -> list[Matches]:
    """The matches of each part of an OR. A word is looked for both as a word and as a run
    of character pairs (in the bigram field indexed from the same text); every section
    where the word was found has the run, so only the others' positions are checked."""
    words_found: dict[tuple[str, str], np.ndarray] = {}
    found = []
    for part in parts:
        if type(part) is q.Phrase and len(part.words) > 1:
            run = part.words[0] + "".join(word[-1:] for word in part.words[1:])
            surely = words_found.get((part.fieldname, run))
            found.append(_phrase(part, segment, within, surely))
            continue
        matches = _evaluate(part, segment, within)
        if type(part) is q.Term and part.fieldname in BIGRAM_FIELD_OF and _is_run(part.text):
            words_found[(BIGRAM_FIELD_OF[part.fieldname], part.text)] = matches.docs
        found.append(matches)
    return found


def _is_run(text: object) -> bool:
    """Chinese characters only, two or more: a word whose bigrams are consecutive."""
    return isinstance(text, str) and len(text) > 1 and CJK_RUN.fullmatch(text) is not None


def _and(parts: list[q.Query], segment: Segment, within: np.ndarray | None) -> Matches:
    """Every part must match: the rarest is evaluated first, each next one only at the
    documents still in the running (a common word next to a rare one costs little)."""
    parts = sorted(parts, key=lambda part: _estimate(part, segment))
    found = _evaluate(parts[0], segment, within)
    for part in parts[1:]:
        if not len(found):
            return NOTHING
        more = _evaluate(part, segment, found.docs)
        keep = np.searchsorted(found.docs, more.docs)  # more.docs is a subset of found.docs
        found = Matches(more.docs, found.scores[keep] + more.scores)
    return found


def _estimate(query: q.Query, segment: Segment) -> int:
    """About how many documents `query` matches, from posting counts: an upper bound for
    OR, the rarest part for AND and phrases."""
    if isinstance(query, q.Term):
        return _frequency(segment, query.fieldname, query.text)
    if type(query) is q.Phrase:
        return min(_frequency(segment, query.fieldname, word) for word in query.words)
    if type(query) is q.Or:
        return sum(_estimate(sub, segment) for sub in query.subqueries)
    if type(query) is q.And:
        return min((_estimate(sub, segment) for sub in query.subqueries), default=0)
    if isinstance(query, Without):
        return _estimate(query.a, segment)
    if isinstance(query, type(q.NullQuery)):
        return 0
    return segment.size


def _frequency(segment: Segment, fieldname: str, text: str | bytes) -> int:
    if segment.arrays is None:
        return int(segment.reader.doc_frequency(fieldname, text))
    found = segment.postings(fieldname, text)
    if found is None:
        return 0
    return found[1] - found[0] if found != AMBIGUOUS else segment.size


# BM25's length part for each stored length byte, by (K1, B, average length).
_NORMS: BoundedCache[tuple[float, float, float], np.ndarray] = BoundedCache(1024)


def _norms(k1: float, b: float, average: float) -> np.ndarray:
    return _NORMS.get_or_compute(
        (k1, b, average),
        lambda: np.array([k1 * ((1 - b) + b * (length or 1) / average) for length in BYTE_LENGTHS]),
    )


@dataclass(frozen=True)
class _Slice:
    """A term's postings, possibly narrowed to some documents: `rows` index into its slice
    of the segment's arrays (None: all of them)."""

    start: int
    end: int
    first_position: int
    rows: np.ndarray | None

    def docs(self, segment: Segment) -> np.ndarray:
        """The document numbers (int64; not to be changed: they may be the segment's own)."""
        docs = segment.docs(self.start, self.end)
        return docs if self.rows is None else docs[self.rows]

    def weights(self, segment: Segment, boost: float) -> np.ndarray:
        """The weights times `boost` (a new float64 array)."""
        weights = segment.weights(self.start, self.end)
        stored = weights if self.rows is None else weights[self.rows]
        return np.multiply(stored, boost, dtype=np.float64)


def _slice(
    segment: Segment, fieldname: str, text: str | bytes, within: np.ndarray | None
) -> _Slice | None:
    """The term's postings among `within`; None when the flat arrays cannot say."""
    found = segment.postings(fieldname, text)
    if found == AMBIGUOUS:
        return None
    if found is None:
        return _Slice(0, 0, 0, None)
    start, end, first_position = found
    rows = None
    if within is not None:
        rows = rows_of(segment.docs(start, end), within, segment.size)
    return _Slice(start, end, first_position, rows)


def _scored(segment: Segment, term: q.Term, part: _Slice) -> Matches | None:
    """Scores of a term's postings, as Whoosh's scorer gives them (BM25F for text, the
    weight for fields that are not scored); None for other weightings."""
    if part.end == part.start or (part.rows is not None and not len(part.rows)):
        return NOTHING
    field = segment.scoring(term.fieldname)
    if field is None:
        return None
    docs = part.docs(segment)
    weights = part.weights(segment, field.boost)  # the arrays hold the number of positions
    if not field.scorable:  # Whoosh's WeightScorer
        scores = weights * term.boost
    else:
        # The idf of the whole index or collection, without the per-segment term lookup
        # Whoosh's scorer also makes, for a quality bound not used here.
        idf = segment.idf(term.fieldname, term.text)
        # BM25: idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average)); a field
        # without lengths reads as byte 0, which Whoosh's scorer takes as length 1, as here.
        scale = term.boost * idf * (field.k1 + 1)
        scores = scale * weights / (weights + field.norms[field.lengths[docs]])
    return Matches(docs, scores)


def _fallback(query: q.Query, segment: Segment, within: np.ndarray | None) -> Matches:
    if within is not None:
        return Matches.of(_probe(query, segment.leaf, segment.context, within.tolist()))
    return Matches.of(walk(query, segment.leaf, segment.context))


def _term(term: q.Term, segment: Segment, within: np.ndarray | None) -> Matches:
    part = _slice(segment, term.fieldname, term.text, within)
    scored = _scored(segment, term, part) if part is not None else None
    return _fallback(term, segment, within) if scored is None else scored


def _phrase(
    phrase: q.Phrase,
    segment: Segment,
    within: np.ndarray | None,
    surely: np.ndarray | None = None,
) -> Matches:
    """Whoosh's Phrase (slop 1): the words at consecutive positions; scored as the sum of
    the words' scores, times the phrase's boost. Documents in `surely` (ascending) are known
    to have the phrase, so their positions are not checked."""
    field = segment.leaf.schema[phrase.fieldname]
    if (
        segment.arrays is None
        or phrase.slop != 1
        or len(phrase.words) < 2
        or not stores_positions(field.format)
    ):
        return _fallback(phrase, segment, within)
    # The documents that have every word, rarest word first.
    words = sorted(phrase.words, key=lambda w: _frequency(segment, phrase.fieldname, w))
    common = within
    for word in words:
        part = _slice(segment, phrase.fieldname, word, common)
        if part is None:
            return _fallback(phrase, segment, within)
        common = part.docs(segment)
        if not len(common):
            return NOTHING
    assert common is not None
    slices = []  # each word's rows for those documents
    for word in phrase.words:
        found = segment.postings(phrase.fieldname, word)
        assert found is not None and found != AMBIGUOUS
        start, end, first_position = found
        rows = rows_of(segment.docs(start, end), common, segment.size)  # it has them all
        slices.append(_Slice(start, end, first_position, rows))
    if surely is None:
        matched = np.zeros(len(common), dtype=bool)
    else:
        matched = member(common, surely, segment.size)
    unknown = np.flatnonzero(~matched)
    if len(unknown):
        matched[unknown[_consecutive(segment, slices, unknown)]] = True
    kept = np.flatnonzero(matched)  # indexes into common
    if not len(kept):
        return NOTHING
    total = np.zeros(len(kept))
    for word, part in zip(phrase.words, slices, strict=True):
        assert part.rows is not None
        part = _Slice(part.start, part.end, part.first_position, part.rows[kept])
        scored = _scored(segment, q.Term(phrase.fieldname, word), part)
        if scored is None:
            return _fallback(phrase, segment, within)
        total += scored.scores
    return Matches(common[kept], total * phrase.boost)


def _consecutive(segment: Segment, slices: list[_Slice], at: np.ndarray) -> np.ndarray:
    """Which of the documents at `at` (indexes into the slices' rows) have the words at
    consecutive positions, as a boolean mask.

    Each word's positions in those documents are keyed (document index, position - offset):
    a key found for every word is a place where the phrase starts. The keys come out in
    ascending order (a posting's positions ascend), so they are joined by merging."""
    starts: np.ndarray | None = None
    for offset, part in enumerate(slices):
        assert part.rows is not None
        rows = part.rows[at]
        every_count = segment.weights(part.start, part.end).astype(np.int64)
        ends = np.cumsum(every_count)  # of each posting's positions, from the term's first
        counts = every_count[rows]
        firsts = (ends - every_count)[rows]
        # Only the stretch of positions that holds these documents' (rows are ascending).
        low = int(firsts[0])
        first = part.first_position
        stored = segment.positions(first + low, first + int(ends[rows[-1]]))
        firsts -= low
        gathered = int(counts.sum())
        if len(counts) == gathered:  # once in each document (a title, mostly)
            owner, index = np.arange(len(at), dtype=np.int64), firsts
        else:
            owner = np.repeat(np.arange(len(at), dtype=np.int64), counts)
            # The i-th position gathered is at its posting's first, plus i less the number
            # gathered before that posting.
            index = np.arange(gathered) + (firsts - (np.cumsum(counts) - counts))[owner]
        keys = (owner << 32) | (stored[index].astype(np.int64) + len(slices) - offset)
        starts = keys if starts is None else intersection(starts, keys)
        if not len(starts):
            break
    found = np.zeros(len(at), dtype=bool)
    if starts is not None:
        found[starts >> 32] = True
    return found
