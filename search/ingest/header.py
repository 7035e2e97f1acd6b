"""A document's header: `|`-separated label/value cells, their labels, dates and year.

The labels may contain spaces (`索 引 号`, `标 题`); portal pages give the same cells from
their metadata table (`search.ingest.htmlpage`).
"""

from __future__ import annotations

import re
from datetime import date

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
SPACES = re.compile(r"[\s\u3000]+")
_DATE = re.compile(r"(\d{4})\s*[年\-./]\s*(\d{1,2})\s*[月\-./]\s*(\d{1,2})")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


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
    name = LABELS.get(SPACES.sub("", parts[0]))
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
