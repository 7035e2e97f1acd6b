"""A portal's published page (.html): its metadata table and its article body, as plain text.

The shape portals use: a `<table>` whose cells alternate label (`索 引 号：`) and value, then
the article in a container such as `<div class="article">`, `id="zoom"` or `TRS_Editor`.
Without a known container, the text outside the table (less scripts, styles, navigation) is
the body. The `<h1>` or `<title>` stands in for a missing 标题.
"""

from __future__ import annotations

from html.parser import HTMLParser

from search.ingest.header import label_of, parse_header_cells

_CONTAINER_HINTS = ("article", "content", "zoom", "trs_editor", "main-txt", "pages_content")
_SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template"}
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "table"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self.outside: list[str] = []
        self.article: list[str] = []
        self.title = ""
        self.h1 = ""
        self._stack: list[tuple[str, bool]] = []  # (tag, opens the article container)
        self._cell: list[str] | None = None
        self._skip = 0
        self._table = 0
        self._in_article = 0
        self._in_title = False
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._text("\n")
        if tag in _VOID:
            return
        hint = " ".join(v or "" for k, v in attrs if k in ("class", "id")).lower()
        opens_article = any(h in hint for h in _CONTAINER_HINTS) and not self._in_article
        self._stack.append((tag, opens_article))
        self._in_article += opens_article
        self._skip += tag in _SKIP
        self._table += tag == "table"
        if tag in ("td", "th"):
            self._cell = []
        self._in_title |= tag == "title"
        self._in_h1 |= tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(t == tag for t, _ in self._stack):
            return
        while self._stack:
            open_tag, opened_article = self._stack.pop()
            self._in_article -= opened_article
            self._skip -= open_tag in _SKIP
            self._table -= open_tag == "table"
            if open_tag in ("td", "th") and self._cell is not None:
                self.cells.append("".join(self._cell))
                self._cell = None
            if open_tag == "title":
                self._in_title = False
            if open_tag == "h1":
                self._in_h1 = False
            if open_tag == tag:
                break
        if tag in _BLOCK:
            self._text("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
            return
        if self._in_h1:
            self.h1 += data
        if self._cell is not None:
            self._cell.append(data)
        self._text(data)

    def _text(self, data: str) -> None:
        if self._skip:
            return
        if self._in_article:
            self.article.append(data)
        elif not self._table:
            self.outside.append(data)


def _clean_lines(parts: list[str]) -> str:
    lines = ("".join(parts)).split("\n")
    return "\n".join(line.strip() for line in lines if line.strip()) + "\n"


def parse_page(html: str) -> tuple[dict[str, str], str]:
    """(header fields, body text) of a portal page."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    cells = [c for c in parser.cells if c.strip()]
    header = parse_header_cells(cells) if any(label_of(c.strip())[0] for c in cells) else {}
    if not header.get("title"):
        header["title"] = (parser.h1 or parser.title).strip()
    body = _clean_lines(parser.article) if "".join(parser.article).strip() else ""
    if not body:
        body = _clean_lines(parser.outside)
    # The page's own headline is not part of the article's text.
    headline = header["title"]
    if headline and body.startswith(headline + "\n"):
        body = body[len(headline) + 1 :]
    return header, body
