"""SearchRequest (validated, frozen) -> Whoosh query + filter.

User text is never handed to a query parser as syntax: it is normalised and split into
chunks (by whitespace; a quoted part is one chunk). Each chunk must match, either as words
(every jieba word of it, in the title, body or headings) or as a run of characters (the
bigram fields, as a phrase), so that text pasted from a document is found even when it was
cut in the middle of a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import query as q

from search.analysis import CJK, bigram_tokens, load_stopwords, word_tokens
from search.errors import QueryError
from search.normalize import normalize

MAX_SIZE = 100
MAX_QUERY_CHARS = 500
_YEAR = re.compile(r"^\s*(\d{4})\s*(?:(-|–|~|—|至|到)\s*(\d{4})?)?\s*$")
_CHUNK = re.compile(r'"([^"]+)"|“([^”]+)”|(\S+)')

# Relative weight of evidence in each field; a match in the title or the section's headings
# says more about the section than one in its running text.
FIELD_BOOSTS = {"body": 1.0, "title": 2.0, "breadcrumb": 1.5}
# A run of characters found exactly is stronger evidence than the same words found apart.
BIGRAM_FIELD_BOOSTS = {"body_bigram": 3.0, "title_bigram": 6.0, "breadcrumb_bigram": 4.5}


@dataclass(frozen=True)
class SearchRequest:
    """One search, validated: build it with `SearchRequest.create`."""

    text: str
    agencies: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    topic: str | None = None
    page: int = 1
    size: int = 10

    @classmethod
    def create(
        cls,
        text: str,
        agencies: tuple[str, ...] | list[str] = (),
        year: str | int | None = None,
        topic: str | None = None,
        page: int | str = 1,
        size: int | str = 10,
    ) -> SearchRequest:
        """Validate raw values; raises QueryError naming the bad parameter."""
        text = text.strip()
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError("q", f"query is longer than {MAX_QUERY_CHARS} characters")
        year_from, year_to = parse_year(year)
        return cls(
            text=text,
            agencies=tuple(a.strip() for a in agencies if a and a.strip()),
            year_from=year_from,
            year_to=year_to,
            topic=topic.strip() if topic and topic.strip() else None,
            page=_bounded_int("page", page, 1, 10_000),
            size=_bounded_int("size", size, 1, MAX_SIZE),
        )


def _bounded_int(name: str, value: int | str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise QueryError(name, f"must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise QueryError(name, f"must be between {low} and {high}, got {number}")
    return number


def parse_year(value: str | int | None) -> tuple[int | None, int | None]:
    """`2020` -> (2020, 2020); `2018-2020` -> (2018, 2020); `2018-` -> (2018, None)."""
    if value is None or str(value).strip() == "":
        return None, None
    match = _YEAR.match(normalize(str(value)))
    if not match:
        raise QueryError(
            "year", f"expected a year like 2020 or a range like 2018-2020, got {value!r}"
        )
    low = int(match.group(1))
    if not match.group(2):
        return low, low
    high = int(match.group(3)) if match.group(3) else None
    if high is not None and high < low:
        raise QueryError("year", f"range runs backwards: {value!r}")
    return low, high


@dataclass(frozen=True)
class Chunk:
    """One part of the query that must match: its words and its character runs."""

    text: str
    words: tuple[str, ...]
    runs: tuple[tuple[str, ...], ...]  # bigram chains, each a phrase


def split_chunks(text: str) -> list[Chunk]:
    """The chunks of a query: whitespace-separated parts, a quoted part as one."""
    stopwords = load_stopwords()
    chunks = []
    for match in _CHUNK.finditer(normalize(text)):
        part = next(g for g in match.groups() if g)
        words = tuple(dict.fromkeys(w for w, *_ in word_tokens(part, False, stopwords)))
        runs = bigram_runs(part)
        if words or runs:
            chunks.append(Chunk(part, words, runs))
    return chunks


def bigram_runs(text: str) -> tuple[tuple[str, ...], ...]:
    """Bigram tokens of `text` grouped into chains of adjacent bigrams (each one phrase).

    A single character at either end of the text is dropped when there is more: it is
    probably the cut end of a longer run, which the index holds only as bigrams.
    """
    runs: list[list[str]] = []
    last_pos = None
    for token, pos, _start, _end in bigram_tokens(text):
        if runs and last_pos is not None and pos == last_pos + 1 and len(token) == 2:
            runs[-1].append(token)
        else:
            runs.append([token])
        last_pos = pos if len(token) == 2 else None
    if len(runs) > 1:
        for edge in (0, -1):
            if len(runs[edge]) == 1 and len(runs[edge][0]) == 1 and _is_cjk(runs[edge][0]):
                runs.pop(edge)
    return tuple(tuple(r) for r in runs)


def _is_cjk(token: str) -> bool:
    return bool(re.fullmatch(f"[{CJK}]", token))


def _words_query(words: tuple[str, ...]) -> q.Query:
    return q.And(
        [
            q.Or([q.Term(name, word, boost=boost) for name, boost in FIELD_BOOSTS.items()])
            for word in words
        ]
    )


def _run_query(fieldname: str, run: tuple[str, ...], boost: float) -> q.Query:
    if len(run) == 1:
        return q.Term(fieldname, run[0], boost=boost)
    return q.Phrase(fieldname, list(run), boost=boost)


def _runs_query(runs: tuple[tuple[str, ...], ...]) -> q.Query:
    return q.Or(
        [
            q.And([_run_query(name, run, boost) for run in runs])
            for name, boost in BIGRAM_FIELD_BOOSTS.items()
        ]
    )


def chunk_query(chunk: Chunk) -> q.Query:
    alternatives = []
    if chunk.words:
        alternatives.append(_words_query(chunk.words))
    if chunk.runs:
        alternatives.append(_runs_query(chunk.runs))
    return q.Or(alternatives)


def build_query(text: str, chunks: list[Chunk]) -> q.Query:
    """The Whoosh query for a request's chunks.

    No text at all browses everything (the filters still apply); text with nothing to
    search for in it (only punctuation) finds nothing rather than everything.
    """
    if not chunks:
        return q.Every() if not text.strip() else q.NullQuery
    return q.And([chunk_query(c) for c in chunks])


def build_filter(request: SearchRequest) -> q.Query | None:
    """Agency, year and topic restrictions; they narrow the hits without scoring them."""
    parts: list[q.Query] = []
    if request.agencies:
        parts.append(q.Or([q.Term("agency", a) for a in request.agencies]))
    if request.year_from is not None or request.year_to is not None:
        parts.append(q.NumericRange("year", request.year_from, request.year_to))
    if request.topic:
        parts.append(q.Term("topic", request.topic))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else q.And(parts)


def highlight_targets(chunks: list[Chunk]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(words to mark, character runs to mark) in the passages."""
    words = frozenset(w for c in chunks for w in c.words)
    runs = tuple(_join_run(run) for c in chunks for run in c.runs)
    return words, runs


def _join_run(run: tuple[str, ...]) -> str:
    """Chain of overlapping bigrams back to its text: 营商 商环 环境 -> 营商环境."""
    return run[0] + "".join(token[-1] for token in run[1:])
