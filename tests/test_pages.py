"""What the pages say and show: the document's whole heading hierarchy and nested contents,
Chinese wherever a reader looks (notices, bad parameters, error pages, figures), the favicon."""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from search.index.build import full_build
from web import create_app, milliseconds

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


def test_a_long_document_links_past_its_contents(client: FlaskClient) -> None:
    page = client.get(SEED, query_string={"q": "科技创新"}).get_data(as_text=True)
    skip = re.search(r'<p class="skip-links">(.*?)</p>', page)
    assert skip is not None and page.index("skip-links") < page.index('class="toc"')
    anchors = re.findall(r'href="#([^"]+)"', skip.group(1))
    assert anchors[0] == "doc-text" and 'id="doc-text"' in page
    # the first matching section, the first section marked on the page
    first_marked = re.search(r'<section id="([^"]+)" class="doc-section matched"', page)
    assert first_marked is not None and anchors[1:] == [first_marked.group(1)]
    plain = client.get(SEED).get_data(as_text=True)
    assert "跳到正文" in plain and "跳到第一处匹配" not in plain


def test_matches_in_a_heading_stay_marked(client: FlaskClient) -> None:
    page = client.get(SEED, query_string={"q": "法治"}).get_data(as_text=True)
    assert re.search(r'<h2 class="doc-heading level-1">三、2021年<mark>法治</mark>', page)


def test_the_relaxed_notice_agrees_with_the_full_matches(client: FlaskClient) -> None:
    question = "科技局如何开展法治宣传教育活动？"
    figures = client.get("/api/search", query_string={"q": question}).get_json()
    assert figures["relaxed"] and figures["full_matches"] == 2
    page = client.get("/search", query_string={"q": question}).get_data(as_text=True)
    assert "没有同时包含全部词语" not in page
    assert "只有 2 个章节同时包含全部词语" in page
    none = client.get("/search", query_string={"q": "管理 不存在的词汇啊"}).get_data(as_text=True)
    assert "没有同时包含全部词语的章节" in none
    # relaxed and still nothing: no results "below" to speak of
    figures = client.get("/api/search", query_string={"q": "business environment"}).get_json()
    assert figures["relaxed"] and figures["total"] == 0
    nothing = client.get("/search", query_string={"q": "business environment"})
    assert "没有找到匹配的章节" in (page := nothing.get_data(as_text=True))
    assert "包含全部词语" not in page


def _message(page: str) -> str:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', page, flags=re.S)[0]


def _is_chinese(text: str) -> bool:
    """Chinese sentences: no run of three English letters but a parameter's name or value."""
    names = r"\b(page|size|sort|collapse|year|topic|doc|relevance|date_asc|date|true|false)\b"
    return not re.search(r"[A-Za-z]{3,}", re.sub(names, "", text))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "法治", "page": "0"}, "页码应为 1 到 10000 之间的整数（参数 page）。"),
        ({"q": "法治", "page": "two"}, "页码应为 1 到 10000 之间的整数（参数 page）。"),
        ({"q": "法治", "size": "500"}, "每页条数应为 1 到 100 之间的整数（参数 size）。"),
        ({"q": "法治", "sort": "newest"}, "排序方式（sort）只能是"),
        ({"q": "法治", "year": "twenty"}, "年份应写成 2020 这样的一年"),
        ({"q": "法治", "year": "2020-2018"}, "年份范围应前小后大"),
        ({"q": "法治", "collapse": "maybe"}, "只能是 true 或 false"),
        ({"q": "x" * 501}, "检索词最多 500 个字"),
        ({"q": "法治", "doc": "x9-1"}, "没有编号为 x9-1 的文件（参数 doc）。"),
    ],
)
def test_a_bad_parameter_is_explained_in_chinese_on_the_pages(
    client: FlaskClient, query: dict[str, str], expected: str
) -> None:
    for path in ("/search", "/embed"):
        response = client.get(path, query_string=query)
        message = _message(response.get_data(as_text=True))
        assert response.status_code == 400 and expected in message and _is_chinese(message)
    api = client.get("/api/search", query_string=query).get_json()
    assert not api["ok"] and re.search("[A-Za-z]{4,}", api["error"])  # English, for developers


def test_a_parameter_given_twice_is_explained_in_chinese(client: FlaskClient) -> None:
    page = client.get("/search?q=a&q=b").get_data(as_text=True)
    assert _message(page) == "参数 q 只能给一次。"
    page = client.get("/search?q=a&topic=x&topic=y").get_data(as_text=True)
    assert _message(page) == "筛选条件“主题分类”只能选一个（参数 topic）。"


def _app_with_failing_routes(sample_index: Path) -> Flask:
    app = create_app({"TESTING": False, "INDEX_DIR": str(sample_index)})

    def broken() -> str:
        raise RuntimeError("a bug")

    def too_large() -> str:
        abort(413)

    app.add_url_rule("/broken", view_func=broken)
    app.add_url_rule("/too-large", view_func=too_large)
    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("get", "/no-such-page", 404, "页面不存在"),
        ("get", "/docs/no-such-document", 404, "页面不存在"),
        ("post", "/search", 405, "请求方式不支持"),
        ("get", "/too-large", 413, "请求内容过大"),
        ("get", "/broken", 500, "服务器出错"),
    ],
)
def test_error_pages_speak_chinese(
    sample_index: Path, method: str, path: str, status: int, title: str
) -> None:
    client = _app_with_failing_routes(sample_index).test_client()
    response = getattr(client, method)(path)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert f"<title>{title} - 政府文件检索</title>" in page
    assert _is_chinese(_message(page)) and "requested URL" not in page
    if path.startswith("/no-such"):
        api = client.get("/api" + path)
        assert api.status_code == 404 and "not found" in api.get_json()["error"]


def test_home_says_the_years_in_chinese(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "distinct" not in page
    assert "2016–2024 年" in page and "共 9 个年份" in page


def test_a_cached_answer_does_not_claim_zero_milliseconds(client: FlaskClient) -> None:
    client.get("/search", query_string={"q": "营商环境"})
    cached = client.get("/search", query_string={"q": "营商环境"}).get_data(as_text=True)
    assert "（0 毫秒）" not in cached and re.search(r"（(不到 1|\d+) 毫秒）", cached)
    assert milliseconds(0.04) == "不到 1 毫秒" and milliseconds(0.0) == "不到 1 毫秒"
    assert milliseconds(12.4) == "12 毫秒"


def test_every_page_has_a_favicon(client: FlaskClient) -> None:
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO
    with client.get("/static/favicon.svg") as drawing:
        assert drawing.status_code == 200 and drawing.mimetype == "image/svg+xml"
    for path in ("/", "/search?q=法治", SEED, "/no-such-page", "/embed?q=法治"):
        page = client.get(path).get_data(as_text=True)
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page


def test_back_to_the_results_keeps_their_filters_sort_and_page(client: FlaskClient) -> None:
    results = "/search?q=%E7%AE%A1%E7%90%86&agency=%E9%98%B3%E5%9F%8E%E5%8E%BF&sort=date&page=2"

    def back_link(referrer: str | None) -> str | None:
        headers = {"Referer": referrer} if referrer else {}
        page = client.get(SEED, query_string={"q": "管理"}, headers=headers)
        found = re.search(r'<p class="back"><a href="([^"]*)">', page.get_data(as_text=True))
        return html.unescape(found.group(1)) if found else None

    assert back_link("http://localhost" + results) == results
    # From elsewhere (another site, the widget's page, nowhere): the search by its words.
    plain = "/search?q=%E7%AE%A1%E7%90%86"
    assert back_link("http://portal.example" + results) == plain
    assert back_link("http://localhost/embed?q=%E7%AE%A1%E7%90%86&page=2") == plain
    assert back_link(None) == plain


def _empty_state(client: FlaskClient, **params: str) -> str:
    page = client.get("/search", query_string=params).get_data(as_text=True)
    found = re.search(r'<div class="empty">(.*?)</div>', page, re.S)
    assert found, params
    return re.sub(r"\s+", " ", found.group(1))


def test_the_empty_state_answers_what_was_asked(client: FlaskClient) -> None:
    # A full document number that no document has: said so, not how to type one.
    number = _empty_state(client, q="国办发〔2017〕47号")
    assert "没有找到文号为 <strong>国办发〔2017〕47号</strong> 的文件" in number
    assert "输入完整的文号" not in number
    index_number = _empty_state(client, q="11140522mb1234567x/2021-00001")
    assert "没有找到索引号为 <strong>11140522MB1234567X/2021-00001</strong> 的文件" in index_number
    # A number with words, or excluded: no document may lack it, so the usual advice.
    for query in ("国办发〔2017〕47号 量子纠缠望远镜", "-国办发〔2017〕47号 量子纠缠望远镜"):
        assert "没有找到匹配的章节" in _empty_state(client, q=query), query
    # Words that match nothing: how to ask otherwise, a document number among the ways.
    words = _empty_state(client, q="量子纠缠望远镜")
    assert "没有找到匹配的章节" in words and "输入完整的文号" in words
    # Nothing to look for (marks, OR): said so, and how to browse instead.
    for query in ("，。！", "OR", '"" -'):
        wordless = _empty_state(client, q=query)
        assert "没有可以查找的字词" in wordless and "没有找到匹配的章节" not in wordless, query
        assert "浏览全部文件" in wordless
    # A page past the last: how many there are, and a link to the last.
    total = client.get("/api/search", query_string={"q": "管理"}).get_json()["total"]
    last = -(-total // 10)
    beyond = _empty_state(client, q="管理", page=str(last + 5))
    assert f"这次检索的结果只有 {last} 页" in beyond
    assert f'<a href="?q=%E7%AE%A1%E7%90%86{f"&amp;page={last}" if last > 1 else ""}">' in beyond


def test_more_sections_of_a_document_match_only_when_something_was_asked(
    client: FlaskClient,
) -> None:
    browsed = client.get("/search").get_data(as_text=True)
    searched = client.get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    assert re.search(r"本文件还有 \d+ 个章节</a>", browsed)
    assert re.search(r"本文件还有 \d+ 个章节匹配</a>", searched)
