"""Whole documents and single sections read back from the index, for the document page and
the API. Every section is stored with its document's metadata, so nothing else is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search.highlight import Passage, Span, paragraphs, run_spans, word_spans_of
from search.index.live import SearchIndex
from search.index.sections import StoredSection
from search.query.compile import compile_query


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
        }


def anchor_of(section_id: str) -> str:
    """`<doc_id>:s-12` -> `s-12`."""
    return section_id.rsplit(":", 1)[-1]


def load_document(index: SearchIndex, doc_id: str, query: str = "") -> DocumentView | None:
    """The document's metadata and sections in reading order, the matches of `query` marked;
    None when no document has that id."""
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
        for docnum, stored in found:
            spans: list[Span] = []
            if compiled is not None:
                spans = words[docnum] + run_spans(stored.body, compiled.runs)
            sections.append(_section(stored, spans))
    return _document(found[0][1], sections)


def load_section(index: SearchIndex, section_id: str) -> DocumentView | None:
    """The one section with that id, inside its document's metadata; None when unknown."""
    with index.searcher() as searcher:
        stored = searcher.document(id=section_id)
    if stored is None:
        return None
    section = StoredSection.read(stored)
    return _document(section, [_section(section, [])])


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
