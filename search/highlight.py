"""Passages around the matches, HTML-safe.

A small pipeline in Whoosh's manner: spans (where the query matched) -> fragments (windows
cut at Chinese sentence punctuation) -> scoring (most matched characters first) -> formatting
(text escaped, matches wrapped in <mark>). Word matches come from the character offsets
stored in the index; character runs are found in the normalised text (same length as the
original, so offsets carry over). Nothing is segmented again.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

import numpy as np
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from search.engine.postings import ArrayCharacters, segment_arrays
from search.text.normalize import normalize

PASSAGE_TARGET = 120  # characters around the matches
PASSAGE_MAX = 160
MAX_PASSAGES = 3
SENTENCE_MARKS = frozenset("。！？；!?;\n")
SOFT_MARKS = frozenset("，、,：:")
REACH = 30  # characters a passage may start before its ideal start, to begin a sentence

Span = tuple[int, int]


def word_spans_of(
    searcher: Searcher, fieldname: str, docnums: Iterable[int], words: Iterable[str]
) -> dict[int, list[Span]]:
    """Character spans of `words` in each of several documents, segment by segment: from
    the flat posting files (a few small reads per word), else from Whoosh's postings."""
    ordered = sorted(set(docnums))
    words = sorted(words)
    spans: dict[int, list[Span]] = {docnum: [] for docnum in ordered}
    for leaf, offset in searcher.leaf_searchers():
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
                found = arrays.character_spans(fieldname, word.encode("utf-8"), local)
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


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, spans: list[Span], first: int) -> tuple[int, int, int]:
    """(start, end, index after last span) of a passage starting at spans[first]."""
    anchor_start = spans[first][0]
    last = first
    while last + 1 < len(spans) and spans[last + 1][1] - anchor_start <= PASSAGE_TARGET:
        last += 1
    core_start, core_end = anchor_start, spans[last][1]
    slack = max(0, PASSAGE_TARGET - (core_end - core_start))
    start = _cut_back(text, core_start, core_start - slack // 2)
    end = _cut_forward(
        text, core_end, min(len(text), start + max(PASSAGE_TARGET, core_end - start))
    )
    if end - start > PASSAGE_MAX:
        end = max(core_end, start + PASSAGE_MAX)
    return start, end, last + 1


def _cut_back(text: str, core_start: int, wanted: int) -> int:
    """A start near `wanted`: the sentence start closest to it (up to REACH earlier), else a
    clause start, else `wanted` itself; never after the first match."""
    wanted = max(0, wanted)
    lowest = max(0, wanted - REACH)
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


def format_passage(text: str, start: int, end: int, spans: list[Span]) -> str:
    """Escape text[start:end] on one line, wrapping the parts inside `spans` in <mark>, with
    an ellipsis where it cuts a sentence."""
    passage = mark(text, start, end, spans).strip().replace("\n", " ")
    prefix = "…" if start > 0 and text[start - 1] not in SENTENCE_MARKS else ""
    suffix = "…" if end < len(text) and text[end - 1] not in SENTENCE_MARKS else ""
    return prefix + passage + suffix


def mark(text: str, start: int, end: int, spans: list[Span]) -> str:
    """Escape text[start:end], wrapping the parts inside `spans` (sorted) in <mark>."""
    out = []
    cursor = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        out.append(escape(text[cursor:span_start], quote=False))
        out.append("<mark>" + escape(text[span_start:span_end], quote=False) + "</mark>")
        cursor = span_end
    out.append(escape(text[cursor:end], quote=False))
    return "".join(out)


def passages(text: str, spans: Iterable[Span], limit: int = MAX_PASSAGES) -> list[str]:
    """The `limit` best passages of `text`, best first, escaped, with the matches marked.

    With no match, the beginning of the text is the one passage.
    """
    merged = merge_spans(spans)
    if not merged:
        end = _cut_forward(text, min(len(text), 40), min(len(text), PASSAGE_TARGET))
        return [format_passage(text, 0, end, [])]
    windows = []
    index = 0
    while index < len(merged):
        start, end, index_after = _window(text, merged, index)
        # A long matched run says more than scattered short words: weigh each by its square.
        weight = sum((min(e, end) - max(s, start)) ** 2 for s, e in merged[index:index_after])
        windows.append((weight, start, end))
        index = index_after
    best = sorted(windows, key=lambda w: (-w[0], w[1]))[:limit]
    return [format_passage(text, start, end, merged) for _, start, end in best]


def marked_paragraphs(text: str, spans: Iterable[Span]) -> list[str]:
    """All of `text`, one escaped string per line, with the matches wrapped in <mark>."""
    merged = merge_spans(spans)
    paragraphs = []
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        if line.strip():
            paragraphs.append(mark(text, start, end, merged).strip())
        start = end + 1
    return paragraphs
