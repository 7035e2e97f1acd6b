""" "Did you mean": a close query that finds much more than the one typed.

Tried only when a search finds little. Candidates replace one term (or one of its words)
with a word of the index one character away (replaced, added, dropped or two swapped), as
Whoosh's corrector finds them in the body lexicon among the words with the same first
character (as Lucene's spell checker does by default), so a word is compared with those
words, not with the whole lexicon. Those words are read from the term table once per
segment and character, and compared without a full edit-distance table. Traditional
characters, full-width forms and the synonyms in `data/synonyms.txt` need no suggestion:
every query already searches them.

A query of Latin letters alone that spells Chinese text in pinyin or initials, an index
term (`yshj`, `ying shang huan jing`), the start of a title or heading (`tdgl`), a word of
one (`aqsc`) or a run of such words and terms (`yingshang huanjing youhua`), is searched as
typed first: it may be an English word or part of a document number. Only when the text
finds far more is the text searched instead.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from search.cache import BoundedCache
from search.complete import Completer, Spelled
from search.query.compile import CompiledQuery, compile_query, content_words
from search.query.language import parse
from search.rank.knobs import FEW_HITS
from search.rank.ranking import Segments, matching_docs
from search.text.normalize import normalize
from search.text.pinyin import has_chinese, spellings
from search.text.segmenter import fast_segmenter

MAX_WORDS_TRIED = 4
# A question of many words that found answers by its important words needs no correction.
SHORT_QUERY_WORDS = 4
COMMON = 3  # a word found in this many sections is a word, not a typo (行凶 is not 行政)
# A word of the segmenter's dictionary (jieba's, with the domain words) is a word of the
# language, however rare in the index: 买房 is not a slip for 买方. False: not asked.
DICTIONARY_WORDS = True
GAIN = 2  # the suggestion must find at least this many times as many hits
SUGGESTIONS_PER_WORD = 3
MAX_CANDIDATES = 4  # queries tried (each is a search)
PASSAGE_CHARS = 6  # a run this long found as it is was copied, not mistyped
# The term a query spells in pinyin must find this many times as many sections as the
# letters typed (and at least one), so that a word found as typed stays as typed.
PINYIN_GAIN = 10

# Latin letters -> the Chinese text they spell among the index's terms (`pinyin_term`
# of search.results.ShardGroup).
Spelling = Callable[[str], str | None]

# Body words by (segment, first character). A segment never changes, so entries stay right.
_WORDS_BY_FIRST: BoundedCache[tuple[str, str], tuple[tuple[str, float], ...]] = BoundedCache(512)


def worth_suggesting(compiled: CompiledQuery, text: str, full_matches: int, hits: int) -> bool:
    """Look for a better query when few sections match the whole query and either few were
    found at all, or the query is short and only its relaxed form found more (a typo in one
    of two words, say). Not for a passage copied from a document and found as it is: its
    rare words are the ends of words it cut (务人 of 义务人), not typos."""
    if not compiled.words or full_matches >= FEW_HITS:
        return False
    if full_matches and _passage(text):
        return False
    return hits < FEW_HITS or len(compiled.words) <= SHORT_QUERY_WORDS


def _passage(text: str) -> bool:
    """One run of text (no spaces, so no separate terms) long enough to have been copied."""
    run = text.strip()
    return len(run) >= PASSAGE_CHARS and not any(c.isspace() for c in run)


def _words_to_try(text: str) -> list[str]:
    """The words of `text` a suggestion may replace, in the query's order: not a word of
    the language (looked up by each shard too, so none reads its close words), and none
    with a digit in it: a number (国务院令第588号) is what the reader means, and another
    one edit away (58号) is another document, not a correction."""
    folded = normalize(text)
    words: dict[str, None] = {}
    for clause in parse(text):
        if clause.negated:
            continue
        for term in clause.terms:
            if not term.exact:
                words.update(dict.fromkeys((term.text, *content_words(term.text))))
    return [
        w
        for w in words
        if 2 <= len(w) <= 12
        and w in folded
        and not any(c.isdigit() for c in w)
        and not _word_of_the_language(w)
    ]


@dataclass(frozen=True)
class SuggestionCounts:
    """One shard's part of a suggestion: for the words a suggestion may replace, how many
    sections hold each and, for those rare there, the body words one edit away with their
    frequencies; or, once the candidates are known, how many sections each finds there."""

    sections: dict[str, int] = field(default_factory=dict)
    close: dict[str, dict[str, float]] = field(default_factory=dict)
    found: list[int] = field(default_factory=list)


def suggestion_counts(place: Place, text: str, candidates: list[str] | None) -> SuggestionCounts:
    """A shard's words for `text`'s suggestion (`candidates` None), or the sections each of
    the `candidates` finds on it under the search's filters."""
    searcher, narrow, segments = place
    if candidates is not None:
        found = [
            len(narrow(matching_docs(searcher, compile_query(c).strict, segments)))
            for c in candidates
        ]
        return SuggestionCounts(found=found)
    sections = {w: searcher.doc_frequency("body", w) for w in _words_to_try(text)}
    # A word common on one shard is common in the collection: never replaced.
    close = {w: _frequencies([searcher], w) for w, n in sections.items() if n < COMMON}
    return SuggestionCounts(sections=sections, close=close)


@dataclass(frozen=True)
class Candidates:
    """Queries a suggestion may be, the `preferred` first: those of a homophone."""

    queries: list[str]
    preferred: int = 0


def _candidates(
    parts: Sequence[SuggestionCounts], text: str, spelled: Spelling | None = None
) -> Candidates:
    """Queries to try, from the words of every shard (their counts summed) and, with
    `spelled`, the index term each rare word's pinyin spells."""
    folded = normalize(text)
    tried = [w for w in _words_to_try(text) if sum(p.sections[w] for p in parts) < COMMON]
    # A word typed with a pinyin input method and the wrong character of the same sound
    # (政府信息工开 for 公开) is the commonest slip in Chinese: tried first.
    homophones = [
        folded.replace(word, other)
        for word in (tried[:MAX_WORDS_TRIED] if spelled else [])
        if (other := _homophone(word, spelled)) is not None
    ]
    # Each candidate costs a search: those whose new word is the most frequent go first.
    # A single character is not what somebody meant by two or more (对主, a run cut
    # mid-word, is not 对).
    scored: list[tuple[float, str]] = []
    for word in tried[:MAX_WORDS_TRIED]:
        frequency: dict[str, float] = {}
        for part in parts:
            for other, weight in part.close[word].items():
                frequency[other] = frequency.get(other, 0.0) + weight
        scored.extend(
            (count, folded.replace(word, better))
            for better, count in _most_frequent(frequency)
            if len(better) > 1
        )
    scored.sort(key=lambda item: -item[0])
    homophones = list(dict.fromkeys(homophones))[:MAX_CANDIDATES]
    others = [candidate for _, candidate in scored if candidate not in homophones]
    queries = list(dict.fromkeys(homophones + others))[:MAX_CANDIDATES]
    return Candidates(queries, len(homophones))


def _word_of_the_language(word: str) -> bool:
    return DICTIONARY_WORDS and bool(fast_segmenter().has_word(word))


def _homophone(word: str, spelled: Spelling | None) -> str | None:
    """The index term of `word`'s sound (its full pinyin, no tones) and length, if it is
    another word."""
    if spelled is None or not has_chinese(word):
        return None
    other = spelled(spellings(word)[0])
    return other if other and other != word and len(other) == len(word) else None


def close_words(searcher: Searcher, word: str) -> list[tuple[str, float]]:
    """Body words one edit from `word` with its first character, the most frequent first,
    each with its frequency (total weight, as Whoosh counts it): what Whoosh's corrector
    suggests with maxdist=1, prefix=1."""
    return _close_words([searcher], word)


def _close_words(searchers: Sequence[Searcher], word: str) -> list[tuple[str, float]]:
    """close_words over the segments of every shard's searcher."""
    return _most_frequent(_frequencies(searchers, word))


def _frequencies(searchers: Sequence[Searcher], word: str) -> dict[str, float]:
    """Body words one edit from `word` with its first character, with their frequencies
    summed over the segments of every searcher."""
    frequency: dict[str, float] = {}
    for searcher in searchers:
        for reader, _offset in searcher.reader().leaf_readers():
            for other, weight in _words_starting(reader, word[0]):
                if one_edit_apart(other, word):
                    frequency[other] = frequency.get(other, 0.0) + weight
    return frequency


def _most_frequent(frequency: dict[str, float]) -> list[tuple[str, float]]:
    """The SUGGESTIONS_PER_WORD most frequent words, the most frequent first."""
    found = {w: f or 1 for w, f in frequency.items()}
    # Whoosh's choice among equally frequent words: the last in text order
    best = heapq.nlargest(SUGGESTIONS_PER_WORD, found, key=lambda w: (found[w], w))
    return [(w, found[w]) for w in sorted(best, key=lambda w: (-found[w], w))]


def _words_starting(reader: Any, first: str) -> tuple[tuple[str, float], ...]:
    """The body words of a segment that start with `first`, with their frequencies."""

    def read() -> tuple[tuple[str, float], ...]:
        prefixed = reader.iter_prefix("body", first)  # in term order: no lookups
        return tuple((b.decode("utf-8"), info.weight()) for b, info in prefixed)

    return _WORDS_BY_FIRST.get_or_compute((reader.segment().segment_id(), first), read)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by exactly one edit: a character replaced, added or
    dropped, or two neighbours swapped (Damerau-Levenshtein distance 1)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) != len(b):
        short, long_ = (a, b) if len(a) < len(b) else (b, a)
        cut = next(
            (i for i, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y), len(short)
        )
        return short[cut:] == long_[cut + 1 :]
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(differ) == 1:
        return True
    first, second = differ[0], differ[-1]
    return (
        len(differ) == 2 and second == first + 1 and (a[first], a[second]) == (b[second], b[first])
    )


# A shard's searcher, its filters' `narrow` and the segments its search scored on.
Place = tuple[Searcher, Callable[[np.ndarray], np.ndarray], Segments | None]


def suggest(
    places: Sequence[Place], text: str, found: int, spelled: Spelling | None = None
) -> str | None:
    """The candidate that finds the most sections (under the same filters), if it finds
    clearly more than `found`. The words of every shard make the candidates (with
    `spelled`, a rare word's homophone among the index's terms too), and each is counted
    on every shard (one index is one place)."""
    parts = [suggestion_counts(place, text, None) for place in places]
    candidates = _candidates(parts, text, spelled)
    counted = [suggestion_counts(place, text, candidates.queries) for place in places]
    return best_suggestion(candidates, counted, found)


def suggestion_candidates(
    parts: Sequence[SuggestionCounts], text: str, spelled: Spelling | None = None
) -> Candidates:
    """The queries to try, from every shard's words (`suggestion_counts` without
    candidates) and, with `spelled`, their homophones."""
    return _candidates(parts, text, spelled)


def best_suggestion(
    candidates: Candidates, counted: Sequence[SuggestionCounts], found: int
) -> str | None:
    """The candidate that finds the most sections over every shard's counts, if it finds
    clearly more than `found`: a preferred one (a homophone) if any does."""
    totals = [
        (sum(part.found[number] for part in counted), candidate)
        for number, candidate in enumerate(candidates.queries)
    ]
    enough = max(found * GAIN, 1)
    for group in (totals[: candidates.preferred], totals[candidates.preferred :]):
        if group:
            count, best = max(group, key=lambda item: item[0])  # the first of equals
            if count >= enough:
                return best
    return None


def pinyin_readings(completers: Sequence[Completer], text: str) -> list[str]:
    """The Chinese texts that `text`, Latin letters alone, spells in full pinyin or initials
    (`Completer.text_spelled`: the surest, then the most frequent over every shard), then
    the same letters read as other words of the same sounds; none when it spells
    nothing."""
    return spelled_readings([completer.text_spelled(text) for completer in completers])


def spelled_readings(spelled: Sequence[Spelled | None]) -> list[str]:
    """Of what each shard's completions spell, the surest (then the most frequent) and its
    other readings."""
    found = [one for one in spelled if one]
    best = max(found, key=lambda one: (one.certainty, one.count), default=None)
    if best is None:
        return []
    # every shard that reads the letters so may know other words of their sounds
    others = (other for one in found if one.text == best.text for other in one.alternatives)
    return [best.text, *dict.fromkeys(other for other in others if other != best.text)]


def worth_pinyin(typed_sections: int, term_sections: int) -> bool:
    """Whether the term spelled finds so many more sections than the letters typed that it,
    not they, is what was meant."""
    return term_sections >= max(typed_sections * PINYIN_GAIN, 1)
