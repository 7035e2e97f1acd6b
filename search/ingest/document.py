"""What ingest makes of a file: a Document (its header's metadata and body) and its Sections."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    id: str
    doc_id: str
    ordinal: int
    heading: str
    breadcrumb: tuple[str, ...]
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: str
    sha256: str
    size: int  # bytes of the file
    title: str
    agency: str
    topic: str
    kind: str  # 法律, 行政法规, ..., 其他 (search.ingest.kinds)
    index_number: str
    doc_number: str
    written: str | None
    published: str | None
    year: int | None
    body: str
    sections: tuple[Section, ...] = field(default_factory=tuple)
    raw_header: dict[str, str] = field(default_factory=dict)
    # (line, reason) of what was read but left out: the document is indexed without it
    problems: tuple[tuple[int | None, str], ...] = ()

    @property
    def date(self) -> str | None:
        """The date the document is known by: publication, else when it was written."""
        return self.published or self.written
