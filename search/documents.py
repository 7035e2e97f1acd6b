"""Whole documents and single sections read back from the index, for the document page and
the API. Every section is stored with its document's metadata, so nothing else is read.

A heading with nothing under it but further headings (一、 directly followed by （一）, a
chapter directly followed by its first article) is no section of its own: it lives only in the
breadcrumbs of the sections under it, and the document's outline is rebuilt from those.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from search.highlight import Passage, Span, paragraphs, query_spans, word_spans_of
from search.index.live import SearchIndex
from search.index.sections import StoredSection
from search.index.shards import ShardedIndex
from search.index.versions import Version, joined_versions
from search.ingest.headings import parse_heading
from search.query.compile import compile_query

# Characters between a run-in heading and the text after it on the same line.
_AFTER_HEADING = "。；;：:！？!?，, \u3000"


@dataclass(frozen=True)
class HeadingView:
    """A heading of the outline: one of the section's ancestors, or the section's own."""

    text: str
    level: int  # 1 for the outermost heading
    anchor: str  # its id on the document's page
    own: bool  # the section's own heading (drawn inside the section, with its matches)

    @property
    def tag(self) -> str:
        """`h2` for the outermost level (the title is the h1), down to `h6`."""
        return f"h{min(self.level + 1, 6)}"


@dataclass(frozen=True)
class SectionView:
    id: str
    anchor: str  # `s-12`: the fragment that addresses the section on its document's page
    ordinal: int
    heading: str
    breadcrumb: list[str]
    text: str
    paragraphs: list[Passage] = field(default_factory=list)  # one per line, with the matches
    matches: int = 0  # matched spans (0 without a query)
    opens: list[HeadingView] = field(default_factory=list)  # headings that begin here
    title: Passage | None = None  # the own heading's words, when the text begins with them
    body: list[Passage] = field(default_factory=list)  # the paragraphs after the title


@dataclass(frozen=True)
class OutlineEntry:
    """One line of a document's table of contents, with the headings under it."""

    heading: HeadingView
    matches: int
    children: list[OutlineEntry] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    title: str
    agency: str
    topic: str
    kind: str
    year: int | None
    date: str | None
    written: str | None
    published: str | None
    doc_number: str
    index_number: str
    sections: list[SectionView]
    # the other versions of the document's law (same title, another 发布日期), newest first
    versions: tuple[Version, ...] = ()

    def newer_versions(self) -> list[Version]:
        """The other versions published after this one: this one is not the law in force."""
        return [v for v in self.versions if v.date and self.date and v.date > self.date]

    def outline(self) -> list[OutlineEntry]:
        """The headings as a tree, in reading order, with the matches of each own heading's
        section."""
        roots: list[OutlineEntry] = []
        path: list[OutlineEntry] = []
        for section in self.sections:
            for heading in section.opens:
                entry = OutlineEntry(heading, section.matches if heading.own else 0)
                del path[heading.level - 1 :]
                (path[-1].children if path else roots).append(entry)
                path.append(entry)
        return roots

    def metadata(self) -> dict[str, Any]:
        """The header fields, for the API and the metadata table."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "agency": self.agency,
            "topic": self.topic,
            "kind": self.kind,
            "year": self.year,
            "date": self.date,
            "written": self.written,
            "published": self.published,
            "doc_number": self.doc_number,
            "index_number": self.index_number,
            "versions": [{"doc_id": v.doc_id, "date": v.date} for v in self.versions],
        }


def anchor_of(section_id: str) -> str:
    """`<doc_id>:s-12` -> `s-12`."""
    return section_id.rsplit(":", 1)[-1]


def holds_document(index: SearchIndex | ShardedIndex, doc_id: str) -> bool:
    """Whether the index has a section of the document `doc_id`."""
    shard = index.owner(doc_id) if isinstance(index, ShardedIndex) else index
    with shard.searcher() as searcher:
        return next(iter(searcher.document_numbers(doc_id=doc_id)), None) is not None


def load_document(
    index: SearchIndex | ShardedIndex, doc_id: str, query: str = ""
) -> DocumentView | None:
    """The document's metadata and sections in reading order, the matches of `query` marked;
    None when no document has that id."""
    versions = other_versions(index, doc_id)
    if isinstance(index, ShardedIndex):
        index = index.owner(doc_id)
    with index.searcher() as searcher:
        found = [
            (docnum, StoredSection.read(searcher.stored_fields(docnum)))
            for docnum in searcher.document_numbers(doc_id=doc_id)
        ]
        if not found:
            return None
        found.sort(key=lambda item: item[1].ordinal)
        compiled = compile_query(query) if query.strip() else None
        words = (
            word_spans_of(searcher, "body", [d for d, _ in found], compiled.words)
            if compiled is not None
            else {}
        )
        sections = []
        previous: list[str] = []
        for docnum, stored in found:
            spans: list[Span] = []
            if compiled is not None:
                body, runs = stored.body, compiled.runs
                spans = query_spans(body, words[docnum], runs, compiled.word_runs)
            sections.append(_with_headings(_section(stored, spans), previous))
            previous = stored.breadcrumb
    return replace(_document(found[0][1], sections), versions=versions)


def other_versions(index: SearchIndex | ShardedIndex, doc_id: str) -> tuple[Version, ...]:
    """The other versions of the document's law over the whole index, newest first (a law's
    versions may be on different shards)."""
    tables = []
    for shard in index.shards if isinstance(index, ShardedIndex) else [index]:
        with shard.searcher():
            tables.append(shard.versions)
    table = joined_versions(tables)
    return tuple(table.others(doc_id)) if table is not None else ()


def load_section(index: SearchIndex | ShardedIndex, section_id: str) -> DocumentView | None:
    """The one section with that id, inside its document's metadata; None when unknown."""
    # `<doc_id>:s-12`: on its document's shard
    owner = index.owner(section_id.rsplit(":", 1)[0]) if isinstance(index, ShardedIndex) else index
    with owner.searcher() as searcher:
        stored = searcher.document(id=section_id)
    if stored is None:
        return None
    section = StoredSection.read(stored)
    document = _document(section, [_section(section, [])])
    return replace(document, versions=other_versions(index, section.doc_id))


def _section(stored: StoredSection, spans: list[Span]) -> SectionView:
    return SectionView(
        id=stored.id,
        anchor=anchor_of(stored.id),
        ordinal=stored.ordinal,
        heading=stored.heading,
        breadcrumb=stored.breadcrumb,
        text=stored.body,
        paragraphs=paragraphs(stored.body, spans),
        matches=len(spans),
    )


def _with_headings(section: SectionView, previous: list[str]) -> SectionView:
    """The section with the headings that begin at it (those of its breadcrumb that the
    section before it did not have) and its own heading parted from its text."""
    crumbs = section.breadcrumb
    shared = 0
    while shared < min(len(crumbs), len(previous)) and crumbs[shared] == previous[shared]:
        shared += 1
    title, body = _split_title(section)
    if title is not None:  # its own heading starts it, even after a namesake sibling
        shared = min(shared, len(crumbs) - 1)
    opens = []
    for level in range(shared + 1, len(crumbs) + 1):
        own = level == len(crumbs) and title is not None
        anchor = section.anchor if own else f"{section.anchor}-h{level}"
        opens.append(HeadingView(crumbs[level - 1], level, anchor, own))
    return replace(section, opens=opens, title=title, body=body)


def _split_title(section: SectionView) -> tuple[Passage | None, list[Passage]]:
    """(the own heading's words, the paragraphs after them) when the section's text begins
    with its heading, else (None, all the paragraphs). A run-in heading (`1、开展宣传。一是…`,
    `第三条 通过…`) is parted from the rest of its line."""
    if not section.heading or not section.paragraphs:
        return None, section.paragraphs
    first, *rest = section.paragraphs
    parsed = parse_heading(first.text, inside_article=False)
    if parsed is None or parsed.text != section.heading:
        return None, section.paragraphs
    after = parsed.length
    while after < len(first.text) and first.text[after] in _AFTER_HEADING:
        after += 1
    remainder = [_slice(first, after, len(first.text))] if after < len(first.text) else []
    return _slice(first, 0, parsed.length), remainder + rest


def _slice(passage: Passage, start: int, end: int) -> Passage:
    """passage.text[start:end] as a passage of its own, the matches inside it kept."""
    marks = tuple(
        (max(s, start) - start, min(e, end) - start)
        for s, e in passage.marks
        if max(s, start) < min(e, end)
    )
    return Passage(
        start=passage.start + start,
        end=passage.start + end,
        text=passage.text[start:end],
        marks=marks,
    )


def _document(stored: StoredSection, sections: list[SectionView]) -> DocumentView:
    return DocumentView(
        doc_id=stored.doc_id,
        title=stored.title,
        agency=stored.agency,
        topic=stored.topic,
        kind=stored.kind,
        year=stored.year,
        date=stored.date,
        written=stored.written,
        published=stored.published,
        doc_number=stored.doc_number,
        index_number=stored.index_number,
        sections=sections,
    )
