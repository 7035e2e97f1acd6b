"""Split a document body into sections by its heading hierarchy.

Regulations: 第X编 > 第X章 > 第X节 > 第X条 (each article is a section, and the numbered
items inside an article stay in it). Reports: 一、 > （一） > 1、 / 1. > （1）. Text before
the first heading is the preamble (empty heading). A heading with nothing under it but
further headings (一、 directly followed by （一）, a table of contents) gives no section of
its own but stays in the breadcrumb of what follows. A section longer than MAX_SECTION
characters (some old reports run for pages without a heading) is cut at paragraph ends
into parts that keep its heading and breadcrumb, so that a hit points at a passage a reader
can take in.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from search.ingest.document import Section

CN_NUM = "一二三四五六七八九十百千零〇两"
# A report-style heading ends at its first sentence mark, and is short.
MAX_HEADING = 50
MAX_SECTION = 1500  # characters; a longer section is cut at paragraph ends into parts
MAX_ITEM_HEADING = 25
_SENTENCE_END = re.compile(r"[。；;：:！？!?]")

# (rank, pattern); a lower rank is higher in the hierarchy.
_REGULATION = re.compile(rf"^第[{CN_NUM}\d]+(编|分编|章|节|条)(?:之[{CN_NUM}\d]+)?")
_REGULATION_RANK = {"编": 0, "分编": 1, "章": 2, "节": 3, "条": 4}
ARTICLE_RANK = 4
_REPORT = (
    (5, re.compile(rf"^[{CN_NUM}]+[、，]")),
    (6, re.compile(rf"^[（(][{CN_NUM}]+[）)]")),
    (7, re.compile(r"^\d{1,3}(?:[、]|[.．](?!\d))")),
    (8, re.compile(r"^[（(]\d{1,3}[）)]")),
)


class Heading(NamedTuple):
    rank: int
    text: str
    length: int  # characters of the (stripped) line that the heading takes


def _regulation_heading(line: str) -> Heading | None:
    match = _REGULATION.match(line)
    if not match:
        return None
    rank = _REGULATION_RANK[match.group(1)]
    if rank == ARTICLE_RANK:  # the article's own words are its text, not its heading
        return Heading(rank, match.group(0), match.end())
    # "第一章  总 则" -> "第一章 总则": typesetting spaces are not part of the name.
    name = re.sub(r"[\s\u3000]+", "", line[match.end() :])
    return Heading(rank, f"{match.group(0)} {name}".strip(), len(line))


def _report_heading(line: str) -> Heading | None:
    for rank, pattern in _REPORT:
        if pattern.match(line):
            end = _SENTENCE_END.search(line)
            text = line[: end.start()] if end else line
            if len(text) > MAX_HEADING:
                return None
            if end and not line[end.end() :].strip() and len(text) > MAX_ITEM_HEADING:
                return None  # one long numbered sentence: a list item, not a heading
            return Heading(rank, text.rstrip(), len(text))
    return None


def parse_heading(line: str, inside_article: bool) -> Heading | None:
    """The heading a line starts with, if any; numbered items inside an article are not."""
    stripped = line.strip()
    if not stripped:
        return None
    heading = _regulation_heading(stripped)
    if heading is None and not inside_article:
        heading = _report_heading(stripped)
    return heading


def paragraph_parts(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of the parts of body[start:end]: the whole when it is short, else runs of
    whole paragraphs (lines) of at most MAX_SECTION characters, so that a long report
    without headings still yields sections a reader can take in (a longer paragraph stays
    whole)."""
    parts = []
    part_start = offset = start
    for line in body[start:end].splitlines(keepends=True):
        if offset > part_start and offset + len(line) - part_start > MAX_SECTION:
            parts.append((part_start, offset))
            part_start = offset
        offset += len(line)
    parts.append((part_start, end))
    return parts


class _Open(NamedTuple):
    heading: str
    breadcrumb: tuple[str, ...]
    start: int
    content_start: int  # after the heading itself


def split_sections(doc_id: str, body: str) -> tuple[Section, ...]:
    """The sections of `body`, in order, each with heading, breadcrumb, text and offsets."""
    sections: list[Section] = []
    stack: list[Heading] = []

    def close(current: _Open, end: int) -> None:
        if not body[current.content_start : end].strip():  # nothing under it but headings
            return
        for part_start, part_end in paragraph_parts(body, current.start, end):
            raw = body[part_start:part_end]
            text = raw.strip()
            if not text:
                continue
            start = part_start + len(raw) - len(raw.lstrip())
            ordinal = len(sections)
            sections.append(
                Section(
                    id=f"{doc_id}:s-{ordinal}",
                    doc_id=doc_id,
                    ordinal=ordinal,
                    heading=current.heading,
                    breadcrumb=current.breadcrumb,
                    text=text,
                    start=start,
                    end=start + len(text),
                )
            )

    current = _Open("", (), 0, 0)  # the preamble
    offset = 0
    for line in body.splitlines(keepends=True):
        inside_article = any(h.rank == ARTICLE_RANK for h in stack)
        heading = parse_heading(line, inside_article)
        if heading is not None:
            close(current, offset)
            while stack and stack[-1].rank >= heading.rank:
                stack.pop()
            stack.append(heading)
            lead = len(line) - len(line.lstrip())
            current = _Open(
                heading.text, tuple(h.text for h in stack), offset, offset + lead + heading.length
            )
        offset += len(line)
    close(current, offset)
    return tuple(sections)
