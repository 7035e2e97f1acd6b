"""Completions while typing: what a search box offers under the first characters of a query.

Offered are document titles and section headings (kind "title"), the domain dictionary's
words and the words many sections of the index hold ("term"), both kept in the build by a
reindex (`search.index.completions`), and popular past queries ("query", given by the
caller as (text, count) pairs). Each is found by a prefix of its characters, of its full
pinyin (`yingshang`, typed with or without spaces) or of its initials (`yshj`).

A generation's table is made from its build's entries on first use and kept with that
generation's searcher, so a swapped or updated index brings a new table with the next
request. Each kind of key is a sorted list, so a prefix is a range of it, and the best
entries of a range are picked by their precomputed rank without visiting them one by one.
Past queries are few and change between calls: they are compared one by one.

A title is also found by what follows 中华人民共和国, or its issuer's 关于, in characters,
pinyin and initials. Terms that mean nothing alone are not offered: list counters (一是) and
fragments of a longer term nearly always found whole (中华人民 of 中华人民共和国).

Order: what starts with the typed characters, then what starts with them in pinyin, then in
initials; within each, past queries, then terms, then titles; then the larger count, then
the shorter text. A text offered twice is offered once, as its first kind.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import threading
import weakref
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from search.index.completions import (
    COMPLETIONS_FILE,
    PINYIN_CHARS,
    Entry,
    load_completions,
    read_entries,
)
from search.index.live import SearchIndex
from search.index.shards import ShardedIndex
from search.text.normalize import normalize
from search.text.pinyin import chinese_syllables, has_chinese, spellings, typed_pinyin
from search.text.segmenter import fast_segmenter

DEFAULT_LIMIT = 8
MAX_LIMIT = 20
KIND_ORDER = ("query", "term", "title")
# Titles are found by what follows these too: 食品安全 completes 中华人民共和国食品安全法, and
# 加强 completes 国务院关于加强…的通知.
_TITLE_LEAD = re.compile(r"^(?:中华人民共和国|.{0,12}?关于)")
_CHINESE_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_END = "\U0010ffff"  # sorts after every character: `prefix + _END` ends a prefix's range
# 一是 二是 其三 第四, 二十四, 第十条: words that count points in a list, numbers and the
# numbers of articles cited, not what anybody searches for.
_NUMERAL = "[零〇一二三四五六七八九十百千万两]+"
_ENUMERATOR = re.compile(rf"^(?:{_NUMERAL}是|[其第]?{_NUMERAL}[条款项章节]?)$")
# A term is a fragment of a longer term that starts with it when (nearly) every section
# holding it holds the longer one: 中华人民 of 中华人民共和国, not 营商 of 营商环境.
FRAGMENT_SHARE = 0.9
# Entries whose spelling starts with typed letters, looked at for the text those spell.
SPELLED_CANDIDATES = 8
# Letters split into at most this many words (a longer split is noise).
MAX_SPELLED_TERMS = 6
# Terms of one sound kept for reading letters as other words (工商, 工伤 of gongshang), and
# the other readings of a run of words a search tries (each is searched).
SOUNDS_ALIKE = 3
SPELLED_ALTERNATIVES = 3


@dataclass(frozen=True)
class Completion:
    text: str
    kind: str  # "query", "title" or "term"
    count: int  # times searched, documents or sections titled so, sections holding the term

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Spelled:
    """Chinese text that typed letters spell, and how surely: 3 for one index term, 2 for the
    start of an entry, 1 for a word of a title, 0 for a run of words."""

    text: str
    certainty: int
    count: int
    # For a run of words: the same letters read as other words of the same sound, most
    # frequent first (工伤 认定 beside 工商 认定), for the search to choose among.
    alternatives: tuple[str, ...] = ()


class _PrefixTable:
    """Keys in sorted order, each naming an entry by number; the entries under a prefix, best
    ranked first."""

    def __init__(self, keyed: list[tuple[str, int]]) -> None:
        keyed.sort()
        self.keys = [key for key, _ in keyed]
        # entries are numbered in rank order: a smaller number is a better entry
        self.ids = np.fromiter((number for _, number in keyed), np.int64, len(keyed))

    def best(self, prefix: str, n: int) -> list[int]:
        lo = bisect_left(self.keys, prefix)
        hi = bisect_left(self.keys, prefix + _END, lo)
        ids = self.ids[lo:hi]
        if hi - lo > n:
            ids = np.partition(ids, n)[:n]
        return sorted(ids.tolist())


class Completer:
    """The completion table of one index generation."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        merged: dict[str, Entry] = {}
        for entry in sorted(_meaningful(entries), key=_order):
            merged.setdefault(normalize(entry.text), entry)  # the first kind wins
        self.entries = [Completion(e.text, e.kind, e.count) for e in merged.values()]
        chars, full, initials = [], [], []
        self._terms_by_spelling: dict[str, int] = {}
        self._terms_by_pinyin: dict[str, int] = {}
        # The terms of each full pinyin, most frequent first (at most SOUNDS_ALIKE).
        self._terms_alike: dict[str, list[int]] = {}
        for number, (folded, entry) in enumerate(merged.items()):
            chars.append((folded, number))
            if entry.pinyin:
                full.append((entry.pinyin, number))
                initials.append((entry.initials, number))
                if entry.kind == "term" and len(folded) <= PINYIN_CHARS:
                    # in rank order: the first term spelled so is the most frequent
                    self._terms_by_spelling.setdefault(entry.pinyin, number)
                    self._terms_by_spelling.setdefault(entry.initials, number)
                    self._terms_by_pinyin.setdefault(entry.pinyin, number)
                    alike = self._terms_alike.setdefault(entry.pinyin, [])
                    if len(alike) < SOUNDS_ALIKE:
                        alike.append(number)
            if entry.kind == "title" and (rest := _after_lead(folded)):
                chars.append((rest, number))
                if has_chinese(rest):
                    rest_full, rest_initials = spellings(rest[:PINYIN_CHARS])
                    full.append((rest_full, number))
                    initials.append((rest_initials, number))
        self._chars = _PrefixTable(chars)
        self._pinyin = (_PrefixTable(full), _PrefixTable(initials))

    def __len__(self) -> int:
        return len(self.entries)

    def complete(
        self, text: str, limit: int = DEFAULT_LIMIT, past: Sequence[tuple[str, int]] = ()
    ) -> list[Completion]:
        """At most `limit` completions of `text` (none for a blank text), popular past
        queries `past` ((text, count) pairs) among them."""
        folded = normalize(text).strip()
        if not folded:
            return []
        key = typed_pinyin(folded)
        queries = _past_queries(past, folded, key)
        found = [c for c in queries if normalize(c.text).startswith(folded)]
        found += (self.entries[i] for i in self._chars.best(folded, limit))
        if key:
            found += queries  # those that matched by pinyin (the others are dropped as seen)
            for table in self._pinyin:
                found += (self.entries[i] for i in table.best(key, limit))
        return _distinct(found, folded, limit)

    def term_spelled(self, text: str) -> Completion | None:
        """The index term whose full pinyin or initials `text` is (`yshj` → 营商环境), the
        most frequent of those; None when `text` is not Latin letters alone, or spells none."""
        key = typed_pinyin(normalize(text))
        number = self._terms_by_spelling.get(key) if key else None
        return None if number is None else self.entries[number]

    def text_spelled(self, text: str) -> Spelled | None:
        """The Chinese text that `text`, Latin letters alone, spells in full pinyin or
        initials, the surest first: an index term (`yshj` → 营商环境); the start of the best
        entry whose spelling starts so, cut where the letters end (`aqsc` → 安全生产 of
        安全生产责任制); a word of a title or heading; the fewest such words and terms
        whose full pinyin follow one another (`yingshang huanjing youhua` → 营商环境 优化).
        None when it spells none of these."""
        key = typed_pinyin(normalize(text))
        if not key:
            return None
        term = self.term_spelled(key)
        if term is not None:
            return Spelled(term.text, 3, term.count)
        for table in self._pinyin:
            for number in table.best(key, SPELLED_CANDIDATES):
                entry = self.entries[number]
                start = _start_spelled(normalize(entry.text), key)
                if start is not None:
                    return Spelled(start, 2, entry.count)
        word = self._words.by_spelling.get(key)
        if word is not None:
            return Spelled(word[0], 1, word[1])
        return self._words.in_a_row(key)

    @functools.cached_property
    def _words(self) -> _Words:
        # Made on the first letters that spell no term nor an entry's start: segmenting
        # every title takes a moment a table made for completions need not spend.
        alike = {
            key: [_text_count(self.entries[n]) for n in numbers]
            for key, numbers in self._terms_alike.items()
            if len(numbers) > 1
        }
        return _Words(self.entries, (self._terms_by_pinyin, self._terms_by_spelling), alike)


class _Words:
    """The index terms, the words of titles and headings and the runs of two of those words,
    by their spellings: what typed letters may be made of. `terms` is the table's index
    terms by their full pinyin, and by it or their initials (the more frequent first)."""

    def __init__(
        self,
        entries: Sequence[Completion],
        terms: Sequence[dict[str, int]],
        alike: dict[str, list[tuple[str, int]]] | None = None,
    ) -> None:
        by_full, by_either = terms
        self.alike = alike or {}  # index terms of one full pinyin, most frequent first
        # initials split into words are too vague: only full pinyin is split
        self.by_pinyin = {key: _text_count(entries[n]) for key, n in by_full.items()}
        self.by_spelling = {key: _text_count(entries[n]) for key, n in by_either.items()}
        for run, count in _title_words(entries).most_common():
            # each word read as in itself, as the title's spelling reads it
            spelled = [spellings(word) for word in run]
            full, initials = ("".join(parts) for parts in zip(*spelled, strict=True))
            word = "".join(run)
            self.by_spelling.setdefault(full, (word, count))
            self.by_spelling.setdefault(initials, (word, count))
            self.by_pinyin.setdefault(full, (word, count))
        self.longest = max(map(len, self.by_pinyin), default=0)

    def in_a_row(self, key: str) -> Spelled | None:
        """The fewest words (then the most frequent) whose full pinyin make up `key`, with
        the same letters read as other terms of the same sounds as alternatives."""
        # best[i]: (words, -log frequency, the words) for the letters key[:i]
        best: list[tuple[int, float, tuple[tuple[str, int, str], ...]] | None]
        best = [(0, 0.0, ())] + [None] * len(key)
        for start in range(len(key)):
            made = best[start]
            if made is None or made[0] == MAX_SPELLED_TERMS:
                continue
            for end in range(start + 1, min(len(key), start + self.longest) + 1):
                spelling = key[start:end]
                word = self.by_pinyin.get(spelling)
                if word is None:
                    continue
                longer = (
                    made[0] + 1,
                    made[1] - math.log(word[1] + 1),
                    (*made[2], (*word, spelling)),
                )
                known = best[end]
                if known is None or longer[:2] < known[:2]:
                    best[end] = longer
        found = best[-1]
        if found is None or found[0] < 2:
            return None
        words = found[2]
        text = " ".join(w for w, _, _ in words)
        return Spelled(text, 0, min(c for _, c, _ in words), self._read_alike(words, text))

    def _read_alike(self, words: Sequence[tuple[str, int, str]], text: str) -> tuple[str, ...]:
        """The other readings of a run of words: each word may be any term of its sound;
        the most frequent together first, at most SPELLED_ALTERNATIVES."""
        options = [self.alike.get(spelling, [(word, count)]) for word, count, spelling in words]
        readings = sorted(
            itertools.product(*options),
            key=lambda reading: -sum(math.log(count + 1) for _, count in reading),
        )
        others = (" ".join(word for word, _ in reading) for reading in readings)
        return tuple(other for other in others if other != text)[:SPELLED_ALTERNATIVES]


def _text_count(completion: Completion) -> tuple[str, int]:
    return completion.text, completion.count


def _title_words(entries: Sequence[Completion]) -> Counter[tuple[str, ...]]:
    """The words (of Chinese characters, two or more) of titles and headings, and the runs
    of two such words next to each other, each with the titles holding it."""
    found: Counter[tuple[str, ...]] = Counter()
    segmenter = fast_segmenter()
    for entry in entries:
        if entry.kind != "title":
            continue
        words = [
            word if len(word) > 1 and _CHINESE_RUN.fullmatch(word) else ""
            for word in segmenter.cut(normalize(entry.text))
        ]
        pairs = [(a, b) for a, b in zip(words, words[1:], strict=False) if a and b]
        for run in {*((word,) for word in words if word), *pairs}:
            found[run] += entry.count
    return found


def _after_lead(folded: str) -> str:
    """A title without its leading 中华人民共和国 or issuer's 关于 ("" without one)."""
    lead = _TITLE_LEAD.match(folded)
    return folded[lead.end() :] if lead else ""


def _start_spelled(folded: str, key: str) -> str | None:
    """The first characters (two or more, Chinese) of `folded`, or of it after its title
    lead, whose full pinyin or initials are `key`."""
    for text in (folded, _after_lead(folded)):
        run = _CHINESE_RUN.match(text[:PINYIN_CHARS])
        if run is None:
            continue
        syllables = chinese_syllables(run.group())
        if "".join(s[:1] for s in syllables[: len(key)]) == key:
            return run.group()[: len(key)] if len(key) >= 2 else None
        spelled = ""
        for count, syllable in enumerate(syllables, start=1):
            spelled += syllable
            if spelled == key:
                return run.group()[:count] if count >= 2 else None
            if not key.startswith(spelled):
                break
    return None


def _meaningful(entries: Iterable[Entry]) -> list[Entry]:
    """`entries` without the terms that mean nothing alone: list counters and numbers (一是,
    第十条) and fragments of a longer term (中华人民 of 中华人民共和国)."""
    entries = list(entries)
    terms = sorted((normalize(e.text), e.count) for e in entries if e.kind == "term")
    texts = [text for text, _ in terms]
    counts = np.fromiter((count for _, count in terms), np.int64, len(terms))
    dropped = set()
    for position, (text, count) in enumerate(terms):
        if _ENUMERATOR.match(text):
            dropped.add(text)
            continue
        end = bisect_left(texts, text + _END, position + 1)
        longer = counts[position + 1 : end]
        if len(longer) and longer.max() >= count * FRAGMENT_SHARE:
            dropped.add(text)
    return [e for e in entries if e.kind != "term" or normalize(e.text) not in dropped]


def _order(entry: Entry | Completion) -> tuple[int, int, int, str]:
    return (KIND_ORDER.index(entry.kind), -entry.count, len(entry.text), entry.text)


def _past_queries(
    past: Sequence[tuple[str, int]], folded: str, key: str | None
) -> list[Completion]:
    """Past queries that start with `folded`, or with pinyin `key`, best first."""
    found = []
    for text, count in past:
        query = normalize(text).strip()
        matches = query.startswith(folded)
        if not matches and key and has_chinese(query):
            spelled, first_letters = spellings(query[:PINYIN_CHARS])
            matches = spelled.startswith(key) or first_letters.startswith(key)
        if matches:
            found.append(Completion(text.strip(), "query", int(count)))
    return sorted(found, key=_order)


def _distinct(found: Iterable[Completion], typed: str, limit: int) -> list[Completion]:
    """The first `limit` completions, each text once, and not the text typed itself."""
    seen = {typed}
    kept = []
    for completion in found:
        folded = normalize(completion.text)
        if folded not in seen:
            seen.add(folded)
            kept.append(completion)
            if len(kept) == limit:
                break
    return kept


# One table per searcher (one index generation), with the mtime of the entries it was made
# from: an update rewrites them just after its commit, which a searcher may see first.
_TABLES: weakref.WeakKeyDictionary[Searcher, tuple[int, Completer]] = weakref.WeakKeyDictionary()
_MAKING = threading.Lock()


def completer_of(index: SearchIndex, searcher: Searcher) -> Completer:
    """The completion table of the generation `searcher` reads (from `index.searcher()`).

    A build made before entries were kept in builds has its entries read from the index
    on first use instead (seconds on a large corpus: reindex to keep them).
    """
    stamp = _stamp(index.build)
    with _MAKING:
        kept = _TABLES.get(searcher)
        if kept is None or kept[0] != stamp:
            entries = load_completions(index.build)
            table = Completer(read_entries(searcher) if entries is None else entries)
            kept = _TABLES[searcher] = (stamp, table)
        return kept[1]


def _stamp(build: Path) -> int:
    try:
        return (build / COMPLETIONS_FILE).stat().st_mtime_ns
    except OSError:
        return 0


def complete(
    index: SearchIndex | ShardedIndex,
    text: str,
    limit: int = DEFAULT_LIMIT,
    past: Sequence[tuple[str, int]] = (),
) -> list[Completion]:
    """Completions of `text` from the live index and the popular past queries `past`."""
    if isinstance(index, ShardedIndex):
        with index.searchers() as shards:
            table = _joined_completer(shards)
        return table.complete(text, limit, past)
    with index.searcher() as searcher:
        table = completer_of(index, searcher)
    return table.complete(text, limit, past)


# The table of every shard's entries, for the generations and entries it was made from.
_JOINED: dict[tuple[tuple[int, int], ...], Completer] = {}


def _joined_completer(shards: Sequence[tuple[SearchIndex, Searcher]]) -> Completer:
    """One table of every shard's entries, their counts summed (a title or a term may be on
    several shards), as one index of the whole collection would hold them."""
    key = tuple((id(searcher), _stamp(shard.build)) for shard, searcher in shards)
    with _MAKING:
        table = _JOINED.get(key)
        if table is None:
            summed: dict[tuple[str, str], Entry] = {}
            for shard, searcher in shards:
                entries = load_completions(shard.build)
                for entry in read_entries(searcher) if entries is None else entries:
                    known = summed.get((entry.text, entry.kind))
                    count = entry.count + (known.count if known else 0)
                    summed[(entry.text, entry.kind)] = replace(entry, count=count)
            table = Completer(summed.values())
            _JOINED.clear()  # the previous generations' table goes
            _JOINED[key] = table
        return table
