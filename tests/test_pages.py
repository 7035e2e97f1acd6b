"""What the pages show: the document's whole heading hierarchy and nested contents."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

from flask.testing import FlaskClient

from search.index.build import full_build
from web import create_app

SEED = "/docs/000_cd729ddf2f2831ef"
REGULATION = "/docs/samples/2019_yangcheng_enforcement_rules"
# A regulation of the shared corpus: seven chapters of articles.
SHARED_REGULATION = "00462_875f6efda75f4f32"
HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6")


class _Outline(HTMLParser):
    """The document page's headings (tag, text) in the article, and its contents as a tree
    of (text, href, children) read from the nested lists of the toc."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.contents: list[tuple[str, str, list]] = []  # type: ignore[type-arg]
        self._heading: tuple[str, list[str]] | None = None
        self._in_toc = False
        self._levels: list[list[tuple[str, str, list]]] = []  # type: ignore[type-arg]
        self._link: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "nav" and found.get("class") == "toc":
            self._in_toc = True
        elif self._in_toc and tag == "ol":
            parent = self._levels[-1][-1][2] if self._levels else self.contents
            self._levels.append(parent)
        elif self._in_toc and tag == "a":
            self._link = (found.get("href") or "", [])
        elif (
            not self._in_toc and tag in HEADING_TAGS and "doc-heading" in (found.get("class") or "")
        ):
            self._heading = (tag, [])

    def handle_endtag(self, tag: str) -> None:
        if self._in_toc and tag == "ol":
            self._levels.pop()
            self._in_toc = bool(self._levels)
        elif self._in_toc and tag == "a" and self._link is not None:
            href, text = self._link
            self._levels[-1].append(("".join(text).strip(), href, []))
            self._link = None
        elif self._heading is not None and tag == self._heading[0]:
            self.headings.append((tag, "".join(self._heading[1]).strip()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link[1].append(data)
        if self._heading is not None:
            self._heading[1].append(data)


def outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    return parser


def titles(tree: list) -> list[str]:  # type: ignore[type-arg]
    return [text for text, _href, _children in tree]


def entry(tree: list, text: str) -> list:  # type: ignore[type-arg]
    """The children of the contents entry `text`."""
    return next(children for found, _href, children in tree if found == text)


def test_a_report_shows_every_level_of_its_headings(client: FlaskClient) -> None:
    page = client.get(SEED).get_data(as_text=True)
    read = outline(page)
    # 一、 and 二、 hold nothing but their sub-headings: they used to be left out
    assert ("h2", "一、主要举措和成效") in read.headings
    assert ("h2", "二、党政主要负责人履行推进法治建设第一责任人职责情况") in read.headings
    assert ("h3", "(二)带头学习,加大法治宣传教育力度") in read.headings
    assert ("h4", "1、开展宣传教育活动") in read.headings
    assert [tag for tag, text in read.headings if text.startswith("三、")] == ["h2"]
    # the heading is not repeated as the first line of its text
    assert page.count("1、开展宣传教育活动") == 2  # the contents and the heading
    assert "<p>一方面局党组" in page


def test_a_reports_contents_nest_by_level_and_link_to_the_headings(client: FlaskClient) -> None:
    page = client.get(SEED).get_data(as_text=True)
    tree = outline(page).contents
    assert titles(tree) == [
        "一、主要举措和成效",
        "二、党政主要负责人履行推进法治建设第一责任人职责情况",
        "三、2021年法治政府建设的主要安排",
    ]
    second = entry(tree, "二、党政主要负责人履行推进法治建设第一责任人职责情况")
    assert len(second) == 4
    assert titles(entry(second, "(二)带头学习,加大法治宣传教育力度")) == [
        "1、开展宣传教育活动",
        "2、开展科技政策法规宣传",
    ]
    hrefs = re.findall(r'<nav class="toc".*?</nav>', page, flags=re.S)[0]
    for href in re.findall(r'href="#([^"]+)"', hrefs):
        assert page.count(f'id="{href}"') == 1


def test_a_regulation_shows_chapters_and_sections_above_its_articles(
    client: FlaskClient,
) -> None:
    page = client.get(REGULATION).get_data(as_text=True)
    read = outline(page)
    assert ("h2", "第一章 总则") in read.headings
    assert ("h2", "第二章 公示内容") in read.headings
    assert ("h3", "第一节 事前公开") in read.headings
    assert ("h4", "第三条") in read.headings
    assert titles(read.contents) == ["第一章 总则", "第二章 公示内容", "第三章 附则"]
    chapter = entry(read.contents, "第二章 公示内容")
    assert titles(chapter) == ["第一节 事前公开", "第二节 事中公示", "第三节 事后公开"]
    assert titles(entry(chapter, "第一节 事前公开")) == ["第三条", "第四条"]
    assert "<p>通过县政府门户网站" in page


def test_a_regulation_of_the_shared_corpus_has_its_chapters(
    shared_corpus: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(shared_corpus / f"{SHARED_REGULATION}.txt", corpus)
    full_build(corpus, tmp_path / "index", procs=1)
    app = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "index")})
    page = app.test_client().get(f"/docs/{SHARED_REGULATION}").get_data(as_text=True)
    read = outline(page)
    chapters = [text for tag, text in read.headings if tag == "h2"]
    assert len(chapters) == 7 and chapters[0] == "第一章 总则" and chapters[-1] == "第七章 附则"
    assert titles(read.contents) == chapters
    assert titles(entry(read.contents, "第一章 总则"))[:2] == ["第一条", "第二条"]


def test_matches_in_a_heading_stay_marked(client: FlaskClient) -> None:
    page = client.get(SEED, query_string={"q": "法治"}).get_data(as_text=True)
    assert re.search(r'<h2 class="doc-heading level-1">三、2021年<mark>法治</mark>', page)
