"""A corpus file -> Document: decoded, its header read, its body split into Sections.

A text file is a header (`search.ingest.header`) followed by the body; a portal page (.html)
is read by `search.ingest.htmlpage` into the same two parts.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path

from search.errors import IngestError
from search.ingest import headings
from search.ingest.document import Document
from search.ingest.header import SPACES, date_problems, parse_date, report_year, split_header
from search.ingest.htmlpage import parse_page
from search.ingest.kinds import derive_kind
from search.ingest.topics import derive_topic

SUFFIXES = (".txt", ".html", ".htm")

# Control characters other than tab, newline, carriage return, form feed: a sign of binary data.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or GB18030; anything else is an IngestError."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise IngestError(path, 1, "UTF-16 text is not supported; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, utf8_error.start) + 1
            raise IngestError(path, line, "not UTF-8 or GB18030 text (undecodable bytes)") from None
    binary = _BINARY.search(text)
    if binary:
        line = text.count("\n", 0, binary.start()) + 1
        raise IngestError(path, line, "binary data (control characters) in a text file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def make_doc_id(relative: Path) -> str:
    """A stable, URL-safe id: the file's path inside the corpus, without its suffix."""
    return relative.with_suffix("").as_posix()


def build_document(
    header: dict[str, str],
    body: str,
    path: Path,
    relative: Path,
    data: bytes,
    title_line: int,
    text: str = "",
) -> Document:
    """The Document of a parsed file; `text` (the whole decoded file) locates problems."""
    title = SPACES.sub(" ", header.get("title", "")).strip()
    if not title:
        raise IngestError(path, title_line, "no title (标题) in the document header")
    written = parse_date(header.get("written", ""))
    published = parse_date(header.get("published", ""))
    doc_id = make_doc_id(relative)
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    topic = header.get("topic", "").strip() or derive_topic(title)
    agency, doc_number = header.get("agency", "").strip(), header.get("doc_number", "").strip()
    return Document(
        doc_id=doc_id,
        path=relative.as_posix(),
        sha256=digest,
        size=size,
        title=title,
        agency=agency,
        topic=topic,
        kind=derive_kind(title, doc_number, agency),
        index_number=header.get("index_number", "").strip(),
        doc_number=doc_number,
        written=written,
        published=published,
        year=report_year(title, written, published),
        body=body,
        sections=headings.split_sections(doc_id, body),
        raw_header=header,
        problems=tuple(date_problems(header, text)),
    )


def read_document(path: Path, root: Path | None = None) -> Document:
    """Read one document file; raises IngestError with the path, line and reason."""
    root = root or path.parent
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(path, None, f"cannot read file: {error.strerror or error}") from None
    if not data.strip():
        raise IngestError(path, None, "empty file")
    text = decode(data, path)
    relative = path.relative_to(root)
    if path.suffix.lower() in (".html", ".htm"):
        header, body = parse_page(text)
        return build_document(header, body, path, relative, data, 1, text)
    header, body_start, header_lines = split_header(text)
    if not header:
        raise IngestError(path, 1, "no document header (索引号 | 主题分类 | ... | 标题 ...)")
    body = text[body_start:]
    return build_document(header, body, path, relative, data, max(header_lines, 1), text)


def find_documents(root: Path) -> list[Path]:
    """Every document file under `root`, in a stable order (hidden files skipped). A link
    to nothing is listed too, so that reading it reports it rather than pass it over."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in SUFFIXES
        and (p.is_file() or (p.is_symlink() and not p.exists()))
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.name.lower() != "readme.md"
    )
