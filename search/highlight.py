"""Passages around the matches, as spans: where each passage lies and where its matches are.

A small pipeline in Whoosh's manner: spans (where the query matched) -> fragments (windows
cut at Chinese sentence punctuation) -> scoring (most matched characters first) -> `Passage`
records (offsets, no markup). Formatting is left to the edges: `passage_html` for the pages
and the JSON API (text escaped, matches wrapped in <mark>), the CLI's own terminal colours.
Word matches come from the character offsets stored in the index; character runs are found
in the normalised text (same length as the original, so offsets carry over). Nothing is
segmented again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from search.engine.postings import ArrayCharacters, PostingRuns, segment_arrays
from search.text.normalize import normalize

PASSAGE_TARGET = 120  # characters around the matches
PASSAGE_MAX = 160
MAX_PASSAGES = 3
SENTENCE_MARKS = frozenset("。！？；!?;\n")
SOFT_MARKS = frozenset("，、,：:")
REACH = 30  # characters a passage may start before its ideal start, to begin a sentence
ELLIPSIS = "…"

Span = tuple[int, int]


def word_spans_of(
    searcher: Searcher,
    fieldname: str,
    docnums: Iterable[int],
    words: Iterable[str],
    searched: Sequence[PostingRuns] | None = None,
) -> dict[int, list[Span]]:
    """Character spans of `words` in each of several documents, segment by segment: from
    the flat posting files (a few small reads per word), else from Whoosh's postings.
    `searched`: the segments of the search that found the documents, in the searcher's
    order (search.rank.ranking.segments_of), whose postings read so far serve again."""
    ordered = sorted(set(docnums))
    words = sorted(words)
    spans: dict[int, list[Span]] = {docnum: [] for docnum in ordered}
    for number, (leaf, offset) in enumerate(searcher.leaf_searchers()):
        size = leaf.reader().doc_count_all()
        local = np.array([d - offset for d in ordered if offset <= d < offset + size], np.int64)
        if not len(local):
            continue
        arrays = segment_arrays(leaf.reader())
        if not isinstance(leaf.schema[fieldname].format, ArrayCharacters):
            arrays = None  # the flat files hold no offsets for this field
        for word in words:
            found = None
            if arrays is not None:
                runs = searched[number] if searched is not None else None
                found = arrays.character_spans(fieldname, word.encode("utf-8"), local, runs)
            if found is None:
                found = _whoosh_spans(leaf, fieldname, local.tolist(), word)
            for docnum, characters in found:
                spans[docnum + offset].extend(characters)
    return spans


def _whoosh_spans(
    leaf: Searcher, fieldname: str, docnums: list[int], word: str
) -> list[tuple[int, list[Span]]]:
    """The same from Whoosh's postings: one pass along the word's, in document order."""
    try:
        matcher = leaf.postings(fieldname, word)
    except TermNotFound:  # the word is not in this segment
        return []
    found = []
    for docnum in docnums:
        # Check activity first: a matcher whose postings are all in deleted documents fails
        # on `supports`.
        if not matcher.is_active():
            break
        matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum and matcher.supports("characters"):
            characters = matcher.value_as("characters")
            found.append((docnum, [(start, end) for _, start, end in characters]))
    return found


def run_spans(text: str, runs: Iterable[str]) -> list[Span]:
    """Character spans of every occurrence of each (normalised) run in `text`."""
    folded = normalize(text)
    spans: list[Span] = []
    for run in runs:
        start = folded.find(run)
        while start != -1:
            spans.append((start, start + len(run)))
            start = folded.find(run, start + 1)
    return spans


def query_spans(
    text: str, words: list[Span], runs: Iterable[str], word_runs: Iterable[str]
) -> list[Span]:
    """Where `text` shows a query's matches: its words (`words`, from the index), its `runs`
    of characters, and each of `word_runs` (a term that is one word) as characters only if
    the index holds that word nowhere in the text: there the characters are how it matched,
    elsewhere they would mark 民政 inside 人民政府."""
    as_words = {normalize(text[start:end]) for start, end in words}
    strays = [run for run in word_runs if run not in as_words]
    return words + run_spans(text, [*runs, *strays])


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, spans: list[Span], first: int, floor: int) -> tuple[int, int, int]:
    """(start, end, index after last span) of a passage starting at spans[first], never
    before `floor` (where the passage before it ended: no text is shown twice). A match
    that its end would cut is taken in whole."""
    anchor_start = spans[first][0]
    last = first
    while last + 1 < len(spans) and spans[last + 1][1] - anchor_start <= PASSAGE_TARGET:
        last += 1
    core_start, core_end = anchor_start, spans[last][1]
    slack = max(0, PASSAGE_TARGET - (core_end - core_start))
    start = _cut_back(text, core_start, core_start - slack // 2, floor)
    end = _cut_forward(
        text, core_end, min(len(text), start + max(PASSAGE_TARGET, core_end - start))
    )
    if end - start > PASSAGE_MAX:
        end = max(core_end, start + PASSAGE_MAX)
    while last + 1 < len(spans) and spans[last + 1][0] < end:
        last += 1
        end = max(end, spans[last][1])
    return start, end, last + 1


def _cut_back(text: str, core_start: int, wanted: int, floor: int = 0) -> int:
    """A start near `wanted` and not before `floor`: the sentence start closest to it (up
    to REACH earlier), else a clause start, else `wanted` itself; never after the first
    match."""
    wanted = max(floor, wanted)
    lowest = max(floor, wanted - REACH)
    for marks in (SENTENCE_MARKS, SOFT_MARKS):
        starts = [i for i in range(lowest, core_start + 1) if i == 0 or text[i - 1] in marks]
        if starts:
            return min(starts, key=lambda i: abs(i - wanted))
    return wanted


def _cut_forward(text: str, core_end: int, wanted: int) -> int:
    """An end at or before `wanted`, after a sentence mark if one is there, else `wanted`."""
    for i in range(wanted - 1, core_end - 1, -1):
        if text[i] in SENTENCE_MARKS:
            return i + 1
    return wanted


@dataclass(frozen=True)
class Passage:
    """A stretch of a section's text and the matches in it: data, not markup.

    `start` and `end` are offsets in the section's text, so `text` is `section[start:end]`
    (whitespace at either end left out, unless matched). `marks` are the matches as
    (start, end) offsets relative to `text`, sorted and apart: `text[s:e]` is what matched,
    and `start + s` its place in the section. `cut_before` and `cut_after` say the passage
    begins or ends inside a sentence, where a formatter shows an ellipsis.
    """

    start: int
    end: int
    text: str
    marks: tuple[Span, ...] = ()
    cut_before: bool = False
    cut_after: bool = False

    def pieces(self) -> Iterator[tuple[str, bool]]:
        """(text, matched) runs to draw, in order, on one line: an ellipsis where the passage
        cuts a sentence, line breaks as spaces. Each formatter draws them in its own way."""
        if self.cut_before:
            yield ELLIPSIS, False
        cursor = 0
        for start, end in self.marks:
            if cursor < start:
                yield self.text[cursor:start].replace("\n", " "), False
            yield self.text[start:end].replace("\n", " "), True
            cursor = end
        if cursor < len(self.text):
            yield self.text[cursor:].replace("\n", " "), False
        if self.cut_after:
            yield ELLIPSIS, False


def passage_html(passage: Passage) -> str:
    """The passage as HTML: its text escaped, only the matches' <mark> is markup."""
    return "".join(
        f"<mark>{escape(text, quote=False)}</mark>" if matched else escape(text, quote=False)
        for text, matched in passage.pieces()
    )


def _passage(text: str, start: int, end: int, spans: list[Span], cut: bool) -> Passage:
    """text[start:end] with the parts inside `spans` (sorted) as its marks, whitespace at
    either end left out unless matched; with `cut`, whether it cuts a sentence at either end."""
    marks = [(max(s, start), min(e, end)) for s, e in spans]
    marks = [(s, e) for s, e in marks if s < e]
    first = marks[0][0] if marks else end
    trimmed_start = start
    while trimmed_start < first and text[trimmed_start].isspace():
        trimmed_start += 1
    last = marks[-1][1] if marks else trimmed_start
    trimmed_end = end
    while trimmed_end > last and text[trimmed_end - 1].isspace():
        trimmed_end -= 1
    return Passage(
        start=trimmed_start,
        end=trimmed_end,
        text=text[trimmed_start:trimmed_end],
        marks=tuple((s - trimmed_start, e - trimmed_start) for s, e in marks),
        cut_before=cut and start > 0 and text[start - 1] not in SENTENCE_MARKS,
        cut_after=cut and end < len(text) and text[end - 1] not in SENTENCE_MARKS,
    )


def whole(text: str, spans: Iterable[Span]) -> Passage:
    """All of a short `text` (a title) as one passage, with its matches marked."""
    return _passage(text, 0, len(text), merge_spans(spans), cut=False)


def passages(text: str, spans: Iterable[Span], limit: int = MAX_PASSAGES) -> list[Passage]:
    """The `limit` best passages of `text`, best first, with the matches in each.

    With no match, the beginning of the text is the one passage.
    """
    merged = merge_spans(spans)
    if not merged:
        end = _cut_forward(text, min(len(text), 40), min(len(text), PASSAGE_TARGET))
        return [_passage(text, 0, end, [], cut=True)]
    windows = []
    index = end = 0
    while index < len(merged):
        start, end, index_after = _window(text, merged, index, floor=end)
        # A long matched run says more than scattered short words: weigh each by its square.
        weight = sum((min(e, end) - max(s, start)) ** 2 for s, e in merged[index:index_after])
        windows.append((weight, start, end))
        index = index_after
    best = sorted(windows, key=lambda w: (-w[0], w[1]))[:limit]
    return [_passage(text, start, end, merged, cut=True) for _, start, end in best]


def paragraphs(text: str, spans: Iterable[Span]) -> list[Passage]:
    """All of `text`, one passage per line that is not blank, with the matches in each."""
    merged = merge_spans(spans)
    found = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        if line.strip():
            found.append(_passage(text, start, end, merged, cut=False))
        start = end + 1
    return found
