"""The one stored-section record: what the index holds for a section, written and read here.

A section is stored with its document's metadata, so a hit or a document page needs nothing
else. `section_fields` is the writing direction (the Whoosh document for a Document's
Section); `StoredSection.read` the reading one (the record back from a section's stored
fields). The empty values the writer leaves out come back as "" (None for dates), the
breadcrumb as its list of headings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from search.ingest.document import Document, Section
from search.text.articles import heading_article
from search.text.normalize import index_serial, normalize_doc_number
from search.text.titles import short_name
from search.vectors.model import section_text, text_key

BREADCRUMB_SEPARATOR = " › "
SOURCE_SEPARATOR = "\x1f"  # between a file's path and its content hash in `source`


@dataclass(frozen=True)
class StoredSection:
    """A section as read back from the index, with its document's metadata."""

    id: str
    doc_id: str
    path: str
    ordinal: int
    start: int  # character offsets of the section in its document's body
    end: int
    title: str
    body: str
    heading: str
    breadcrumb: list[str]  # headings from the outermost down, the section's own last
    agency: str
    topic: str
    kind: str
    index_number: str
    doc_number: str  # as the document writes it (indexed in one spelling)
    written: str | None
    published: str | None
    date: str | None
    year: int | None

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> StoredSection:
        """The record from a section's stored fields (`searcher.stored_fields(docnum)`)."""
        breadcrumb = stored.get("breadcrumb", "")
        return cls(
            id=stored["id"],
            doc_id=stored["doc_id"],
            path=stored.get("path", ""),
            ordinal=stored.get("ordinal", 0),
            start=stored.get("start", 0),
            end=stored.get("end", 0),
            title=stored.get("title", ""),
            body=stored.get("body", ""),
            heading=stored.get("heading", ""),
            breadcrumb=breadcrumb.split(BREADCRUMB_SEPARATOR) if breadcrumb else [],
            agency=stored.get("agency", ""),
            topic=stored.get("topic", ""),
            kind=stored.get("kind", ""),
            index_number=stored.get("index_number", ""),
            doc_number=stored.get("doc_number", ""),
            written=stored.get("written") or None,
            published=stored.get("published") or None,
            date=stored.get("date") or None,
            year=stored.get("year"),
        )


def section_fields(document: Document, section: Section) -> dict[str, Any]:
    """The Whoosh document for one section."""
    fields: dict[str, Any] = {
        "id": section.id,
        "doc_id": document.doc_id,
        "path": document.path,
        "source": document.path + SOURCE_SEPARATOR + document.sha256,
        "ordinal": section.ordinal,
        "start": section.start,
        "end": section.end,
        "title": document.title,
        "title_bigram": document.title,
        "body": section.text,
        "body_bigram": section.text,
        "heading": section.heading,
        "breadcrumb": BREADCRUMB_SEPARATOR.join(section.breadcrumb),
        "breadcrumb_bigram": BREADCRUMB_SEPARATOR.join(section.breadcrumb),
        "agency": document.agency,
        "topic": document.topic,
        "kind": document.kind,
        "index_number": document.index_number,
        "index_serial": index_serial(document.index_number),
        "written": document.written or "",
        "published": document.published or "",
        "date": document.date or "",
        "name": short_name(document.title),
        "article": heading_article(section.heading),
    }
    if document.doc_number:
        fields["doc_number"] = normalize_doc_number(document.doc_number)
        fields["_stored_doc_number"] = document.doc_number
    if document.year is not None:
        fields["year"] = document.year
    fields["vector_key"] = text_key(section_text(fields))
    return {k: v for k, v in fields.items() if v != "" or k in ("heading", "breadcrumb")}
