"""Document file -> Report (header metadata) -> Sections (heading path, text, offsets).

A corpus file has a header of `|`-separated label/value cells (the labels may contain
spaces: `索 引 号`, `标 题`) followed by the body. Portal pages (.html) are read by
`search.ingest.htmlpage` into the same two parts.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from search.errors import IngestError
from search.ingest import headings
from search.ingest.topics import derive_topic

SUFFIXES = (".txt", ".html", ".htm")

# Header labels as they appear once spaces are removed, and the field each one fills.
LABELS = {
    "索引号": "index_number",
    "主题分类": "topic",
    "发布机构": "agency",
    "成文日期": "written",
    "标题": "title",
    "发文字号": "doc_number",
    "发布日期": "published",
}
_COLON = re.compile(r"[:：]")
_SPACES = re.compile(r"[\s\u3000]+")
_DATE = re.compile(r"(\d{4})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# Control characters other than tab, newline, carriage return, form feed: a sign of binary data.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


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
class Report:
    doc_id: str
    path: str
    sha256: str
    size: int  # bytes of the file
    title: str
    agency: str
    topic: str
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


def parse_date(value: str) -> str | None:
    """`2021年01月04日`, `2021-1-4`, `2021.01.04` -> `2021-01-04`; None if not a real date."""
    match = _DATE.search(value)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None


DATE_LABELS = {"written": "成文日期", "published": "发布日期"}


def date_problems(header: dict[str, str], text: str) -> list[tuple[int | None, str]]:
    """(line, reason) for each header date that is filled in but is not a real date."""
    problems: list[tuple[int | None, str]] = []
    for name, label in DATE_LABELS.items():
        value = header.get(name, "").strip()
        if value and parse_date(value) is None:
            label_at = re.search(r"[\s\u3000]*".join(label), text)
            at = text.find(value, label_at.end() if label_at else 0)
            line = text.count("\n", 0, at) + 1 if at >= 0 else None
            problems.append(
                (line, f"{label} {value!r} is not a date (like 2021年01月04日); left out")
            )
    return problems


def label_of(cell: str) -> tuple[str | None, str]:
    """(field name, inline value) if `cell` starts with a header label, else (None, cell)."""
    parts = _COLON.split(cell, maxsplit=1)
    name = LABELS.get(_SPACES.sub("", parts[0]))
    if name is None:
        return None, cell
    return name, parts[1].strip() if len(parts) > 1 else ""


def parse_header_cells(cells: list[str]) -> dict[str, str]:
    """Label/value pairs from a flat list of header cells; a label's value is the next cell."""
    header: dict[str, str] = {}
    current: str | None = None
    for raw in cells:
        cell = raw.strip().strip("\u3000")
        name, inline = label_of(cell)
        if name is not None:
            current = name
            header.setdefault(name, inline)
        elif current is not None and cell and not header.get(current):
            header[current] = cell
    return header


def split_header(text: str) -> tuple[dict[str, str], int, int]:
    """(header fields, offset where the body starts, number of header lines)."""
    cells: list[str] = []
    offset = 0
    lines = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped:
            if not cells:  # blank lines before the header
                offset += len(line)
                lines += 1
                continue
            break
        line_cells = stripped.split("|")
        if not any(label_of(c.strip())[0] for c in line_cells):
            break
        cells.extend(line_cells)
        offset += len(line)
        lines += 1
    return parse_header_cells(cells), offset, lines


def report_year(title: str, written: str | None, published: str | None) -> int | None:
    """The year a report covers when its title names it, else the year of writing/publication."""
    match = _TITLE_YEAR.search(title)
    if match:
        return int(match.group(1))
    for iso in (written, published):
        if iso:
            return int(iso[:4])
    return None


def make_doc_id(relative: Path) -> str:
    """A stable, URL-safe id: the file's path inside the corpus, without its suffix."""
    return relative.with_suffix("").as_posix()


def build_report(
    header: dict[str, str],
    body: str,
    path: Path,
    relative: Path,
    data: bytes,
    title_line: int,
    text: str = "",
) -> Report:
    """The Report of a parsed file; `text` (the whole decoded file) locates problems."""
    title = _SPACES.sub(" ", header.get("title", "")).strip()
    if not title:
        raise IngestError(path, title_line, "no title (标题) in the document header")
    written = parse_date(header.get("written", ""))
    published = parse_date(header.get("published", ""))
    doc_id = make_doc_id(relative)
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    topic = header.get("topic", "").strip() or derive_topic(title)
    return Report(
        doc_id=doc_id,
        path=relative.as_posix(),
        sha256=digest,
        size=size,
        title=title,
        agency=header.get("agency", "").strip(),
        topic=topic,
        index_number=header.get("index_number", "").strip(),
        doc_number=header.get("doc_number", "").strip(),
        written=written,
        published=published,
        year=report_year(title, written, published),
        body=body,
        sections=headings.split_sections(doc_id, body),
        raw_header=header,
        problems=tuple(date_problems(header, text)),
    )


def read_report(path: Path, root: Path | None = None) -> Report:
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
        from search.ingest.htmlpage import parse_page

        header, body = parse_page(text)
        return build_report(header, body, path, relative, data, 1, text)
    header, body_start, header_lines = split_header(text)
    if not header:
        raise IngestError(path, 1, "no document header (索引号 | 主题分类 | ... | 标题 ...)")
    body = text[body_start:]
    return build_report(header, body, path, relative, data, max(header_lines, 1), text)


def find_documents(root: Path) -> list[Path]:
    """Every document file under `root`, in a stable order (hidden files skipped)."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.name.lower() != "readme.md"
    )
