"""Whoosh query trees scored as whole posting lists, for the shapes run_search builds.

Whoosh scores a match by walking a tree of matchers one document at a time, several method
calls per node per document, in pure Python: with six fields per term (three word fields,
three character-pair fields) that walk is most of a search's time. Here a term's postings
are read a block at a time and scored with the same BM25F formula, phrases are checked on
the decoded positions, and OR, AND and exclusion become dictionary operations; a part far
commoner than the documents still in the running is only probed at those, by Whoosh's
matcher. The scores equal Whoosh's own (the tests compare them on real queries); shapes not
handled here fall back to Whoosh's matcher for that subtree only.

This reads Whoosh 2.7.4's posting blocks and the codec's length table directly, which is
why Whoosh is pinned to that exact version.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from whoosh import query as q
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25FScorer
from whoosh.searching import Searcher

from search.codec import BYTE_LENGTHS, CachedLengthsReader
from search.exclusion import Without

Scores = dict[int, float]  # document number -> score


def evaluate(query: q.Query, leaf: Searcher, context: Any) -> Scores:
    """The score of every document of one segment that matches `query`."""
    if isinstance(query, q.Term):
        return _term(query, leaf, context)
    if type(query) is q.Phrase:
        return _phrase(query, leaf, context)
    if type(query) is q.Or and query.scale is None and not query.minmatch:
        parts = [evaluate(sub, leaf, context) for sub in query.subqueries]
        return _boosted(_union(parts), query)
    if type(query) is q.And:
        return _boosted(_and(query.subqueries, leaf, context), query)
    if isinstance(query, Without):
        kept = evaluate(query.a, leaf, context)
        if kept:
            dropped = _at(query.b, leaf, context, kept)
            kept = {d: s for d, s in kept.items() if d not in dropped}
        return kept
    if isinstance(query, type(q.NullQuery)):
        return {}
    return walk(query, leaf, context)


def walk(query: q.Query, leaf: Searcher, context: Any) -> Scores:
    """Whoosh's own way: its matcher, one document at a time."""
    scores: Scores = {}
    matcher = query.matcher(leaf, context)
    while matcher.is_active():
        scores[matcher.id()] = matcher.score()
        matcher.next()
    return scores


def _boosted(scores: Scores, query: q.Query) -> Scores:
    boost = query.boost
    return scores if boost == 1.0 else {d: s * boost for d, s in scores.items()}


def _union(parts: list[Scores]) -> Scores:
    parts.sort(key=len, reverse=True)
    if not parts:
        return {}
    total = dict(parts[0])
    get = total.get
    for part in parts[1:]:
        for docnum, score in part.items():
            total[docnum] = get(docnum, 0.0) + score
    return total


# An AND part whose postings are this many times the candidates left is only probed at the
# candidates (Whoosh's matcher skips whole blocks it has no use for) instead of read whole.
SPARSE_RATIO = 8


def _and(parts: list[q.Query], leaf: Searcher, context: Any) -> Scores:
    """Every part must match: the rarest is read first, and the others are read whole only
    while the documents left are not much fewer than their postings (a rare word next to a
    common one costs the rare word's postings, not the common one's)."""
    reader = leaf.reader()
    parts = sorted(parts, key=lambda part: _estimate(part, reader))
    found = evaluate(parts[0], leaf, context)
    for part in parts[1:]:
        if not found:
            return {}
        more = _at(part, leaf, context, found)
        found = {d: score + more[d] for d, score in found.items() if d in more}
    return found


def _at(query: q.Query, leaf: Searcher, context: Any, candidates: Scores) -> Scores:
    """The scores of `query` at least at `candidates` (more documents may come back): read
    whole, or probed at each candidate when that is cheaper. A probe costs each of the
    query's posting lists a step per candidate."""
    leaves = sum(1 for _ in query.leaves()) or 1
    if len(candidates) * leaves * SPARSE_RATIO < _estimate(query, leaf.reader()):
        return _probe(query, leaf, context, sorted(candidates))
    return evaluate(query, leaf, context)


def _estimate(query: q.Query, reader: Any) -> int:
    """About how many documents `query` matches, from document frequencies: an upper bound
    for OR, the rarest part for AND and phrases."""
    if isinstance(query, q.Term):
        return int(reader.doc_frequency(query.fieldname, query.text))
    if type(query) is q.Phrase:
        return min(int(reader.doc_frequency(query.fieldname, w)) for w in query.words)
    if type(query) is q.Or:
        return sum(_estimate(sub, reader) for sub in query.subqueries)
    if type(query) is q.And:
        return min((_estimate(sub, reader) for sub in query.subqueries), default=0)
    if isinstance(query, Without):
        return _estimate(query.a, reader)
    if isinstance(query, type(q.NullQuery)):
        return 0
    return reader.doc_count_all()


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


def _term(term: q.Term, leaf: Searcher, context: Any) -> Scores:
    read = _postings(term, leaf, context, positions=False)
    return walk(term, leaf, context) if read is None else read[0]


def _phrase(phrase: q.Phrase, leaf: Searcher, context: Any) -> Scores:
    """Whoosh's Phrase (slop 1): the words at consecutive positions; scored as the sum of
    the words' scores, times the phrase's boost."""
    field = leaf.schema[phrase.fieldname]
    if phrase.slop != 1 or len(phrase.words) < 2 or not field.format.supports("positions"):
        return walk(phrase, leaf, context)
    words = []
    for word in phrase.words:
        read = _postings(q.Term(phrase.fieldname, word), leaf, context, positions=True)
        if read is None:
            return walk(phrase, leaf, context)
        if not read[0]:
            return {}
        words.append(read)
    by_size = sorted([scores for scores, _ in words], key=len)
    common = set(by_size[0]).intersection(*by_size[1:])
    decode = field.format.decode_positions
    found: Scores = {}
    for docnum in common:
        starts = set(decode(words[0][1][docnum]))
        for offset, (_, values) in enumerate(words[1:], 1):
            following = set(decode(values[docnum]))
            starts = {p for p in starts if p + offset in following}
            if not starts:
                break
        if starts:
            found[docnum] = sum(scores[docnum] for scores, _ in words) * phrase.boost
    return found


def _postings(
    term: q.Term, leaf: Searcher, context: Any, positions: bool
) -> tuple[Scores, dict[int, bytes]] | None:
    """(score of each document, and its encoded positions if asked) for one term, read a
    block at a time; None when the term's postings are not of the kind handled here."""
    reader = leaf.reader()
    try:
        raw = reader.postings(term.fieldname, term.text)
    except TermNotFound:
        return {}, {}
    deleted: frozenset[int] = frozenset()
    if isinstance(raw, FilterMatcher) and raw._exclude:
        deleted, raw = frozenset(raw._ids), raw.child
    scorer = context.weighting.scorer(leaf, term.fieldname, term.text)
    perdoc = getattr(reader, "_perdoc", None)
    if not (
        isinstance(raw, W3LeafMatcher)
        and isinstance(scorer, BM25FScorer)
        and isinstance(perdoc, CachedLengthsReader)
    ):
        return None
    segment = reader.segment().segment_id()
    read = _read(raw, (segment, term.fieldname, term.text), positions)
    # One length byte a document (the codec pads them to the segment's size); a field
    # without lengths reads as byte 0, which Whoosh's scorer takes as length 1, as here.
    lengths = perdoc.field_lengths(term.fieldname) or bytes(reader.doc_count_all())
    # BM25: idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average)), the length
    # part looked up by the stored length byte.
    k1, b, average = scorer.K1, scorer.B, scorer.avgfl
    scale = term.boost * scorer.idf * (k1 + 1)
    norms = [k1 * ((1 - b) + b * (length or 1) / average) for length in BYTE_LENGTHS]
    scores: Scores = {
        docnum: scale * weight / (weight + norms[lengths[docnum]])
        for docnum, weight in zip(read.ids, read.weights, strict=True)
    }
    values: dict[int, bytes] = {}
    if positions and read.values is not None:
        values = dict(zip(read.ids, read.values, strict=True))
    for docnum in deleted.intersection(scores):
        del scores[docnum]
    return scores, values


@dataclass(frozen=True)
class _Postings:
    ids: array[int]
    weights: array[float]
    values: tuple[bytes, ...] | None  # encoded positions, when they were asked for
    size: int  # bytes held, about


# Decoded posting lists by (segment, field, term). A segment never changes once written, so
# an entry is right for as long as its segment exists; deletions are applied on each use.
# Bounded in bytes: common words recur across queries, and decoding their blocks (a
# compressed pickle each) is most of what reading them costs.
POSTINGS_CACHE_BYTES = 64_000_000
_POSTINGS: OrderedDict[tuple[str, str, str], _Postings] = OrderedDict()
_held = 0
_lock = threading.Lock()


def _read(raw: W3LeafMatcher, key: tuple[str, str, str], positions: bool) -> _Postings:
    global _held
    with _lock:
        found = _POSTINGS.get(key)
        if found is not None and (found.values is not None or not positions):
            _POSTINGS.move_to_end(key)
            return found
    ids: array[int] = array("I")
    weights: array[float] = array("f")
    values: list[bytes] = []
    while raw.is_active():
        if raw._ids is None:
            raw._read_ids()
        if raw._weights is None:
            raw._read_weights()
        ids.extend(raw._ids)
        weights.extend(raw._weights)
        if positions:
            if raw._values is None:
                raw._read_values()
            values.extend(raw._values)
        raw._next_block()
    size = 8 * len(ids) + sum(len(value) + 41 for value in values)
    read = _Postings(ids, weights, tuple(values) if positions else None, size)
    with _lock:
        previous = _POSTINGS.pop(key, None)
        _held -= previous.size if previous is not None else 0
        if read.size <= POSTINGS_CACHE_BYTES // 4:  # one huge list does not flush the rest
            _POSTINGS[key] = read
            _held += read.size
        while _held > POSTINGS_CACHE_BYTES and _POSTINGS:
            _held -= _POSTINGS.popitem(last=False)[1].size
    return read
