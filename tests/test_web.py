from __future__ import annotations

import gc
import html
import re
import shutil
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from whoosh.searching import Searcher

from search import highlight
from search.index import live
from search.index.build import full_build
from search.query.language import MAX_TEXT_CHARS
from web import create_app
from web.state import close_index, search_index, warm_index

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _visible_text(page: str) -> str:
    """The page as a reader sees it: titles carry <mark> where the query matches them."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_home_has_a_labelled_search_box(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<label for="q"' in page and 'name="q"' in page and 'lang="zh-CN"' in page


def test_search_page_shows_highlighted_sections(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": "扬尘污染防治"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "晋城市扬尘污染防治管理办法" in _visible_text(page)
    assert "<mark>扬尘污染防治</mark>" in page
    assert 'value="扬尘污染防治"' in page


def test_filters_narrow_the_results(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "法治", "year": "2021"}).get_data(as_text=True)
    assert "2021年度法治政府建设报告" in _visible_text(page)
    assert "2020年度法治政府建设报告" not in _visible_text(page)


def test_query_text_is_escaped(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": '<script>alert("x")</script>'}).get_data(
        as_text=True
    )
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"q": "x", "page": "zero"}, "page"),
        ({"q": "x", "year": "20xx"}, "year"),
        ({"q": "x", "sort": "popular"}, "sort"),
        ({"q": "x", "collapse": "maybe"}, "collapse"),
        ({"q": "x", "size": "1000"}, "size"),
    ],
)
def test_bad_parameters_are_400_with_a_message(
    client: FlaskClient, params: dict[str, str], named: str
) -> None:
    response = client.get("/search", query_string=params)
    assert response.status_code == 400
    assert named in response.get_data(as_text=True)


def test_missing_index_is_503_not_500(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/search", query_string={"q": "法治"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "索引尚未就绪" in page and str(tmp_path) not in page


def test_collapsed_hits_link_to_their_other_sections(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "扬尘"}).get_data(as_text=True)
    assert "找到 1 份文件" in page and "本文件还有" in page
    link = page.split('<p class="more"><a href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    inside = client.get(link).get_data(as_text=True)
    assert "个章节" in inside and "份文件" not in inside


def test_a_typo_gets_a_suggestion_link(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "营商环竟"}).get_data(as_text=True)
    assert "您是不是要找" in page and "营商环境</a>" in page


def _links(page: str, css_class: str) -> list[tuple[str, str]]:
    """(href, text) of the links inside the first element with that class."""
    block = page.split(f'class="{css_class}', 1)[1].split("</ul>", 1)[0].split("</nav>", 1)[0]
    found = re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', block, flags=re.S)
    return [(html.unescape(href), re.sub("<[^>]+>", "", text).strip()) for href, text in found]


def _hit_titles(page: str) -> list[str]:
    return re.findall(r'<li class="hit">\s*<h2><a href="[^"]*">([^<]*)</a>', page)


def test_a_facet_link_adds_the_filter_and_its_chip_removes_it(client: FlaskClient) -> None:
    everything = client.get("/search", query_string={"q": "管理"}).get_data(as_text=True)
    href, agency = _links(everything, "facet facet-agency")[0]
    narrowed = client.get("/search" + href).get_data(as_text=True)
    assert f"agency={quote(agency)}" in href
    assert set(re.findall(r'<p class="meta">([^·<]*) ·', narrowed)) == {agency}
    chips = _links(narrowed, "chips")
    assert len(chips) == 1 and agency in chips[0][1]
    restored = client.get("/search" + chips[0][0]).get_data(as_text=True)
    assert _hit_titles(restored) == _hit_titles(everything)


@pytest.mark.parametrize("name", ["agency", "year", "topic", "kind"])
def test_a_facet_has_one_label_on_its_heading_its_chip_and_the_widget(
    client: FlaskClient, name: str
) -> None:
    everything = client.get("/search", query_string={"q": ""}).get_data(as_text=True)
    label = re.findall(rf'<section class="facet facet-{name}">\s*<h2>([^<]*)</h2>', everything)
    assert label and label[0] in ("发布机构", "年份", "主题分类", "文件类型")
    href, _value = _links(everything, f"facet facet-{name}")[0]
    chip = _links(client.get("/search" + href).get_data(as_text=True), "chips")[0][1]
    assert chip.startswith(f"{label[0]}：")
    assert f'["{name}", "{label[0]}"]' in client.get("/embed.js").get_data(as_text=True)


def test_sort_switch_and_pages(client: FlaskClient) -> None:
    first = client.get("/search", query_string={"q": "管理", "size": "2"}).get_data(as_text=True)
    pages = _links(first, "pager")
    assert ("?q=%E7%AE%A1%E7%90%86&size=2&page=2", "下一页") in pages
    second = client.get("/search" + pages[-1][0]).get_data(as_text=True)
    assert 'aria-current="page">2<' in second and 'rel="prev"' in second
    assert not set(_hit_titles(first)) & set(_hit_titles(second))
    sorts = dict(
        (text, href) for href, text in re.findall(r'<a href="([^"]*)">(最新|最早)</a>', first)
    )
    assert "sort=date&" in sorts["最新"] + "&" and "page=" not in sorts["最新"]
    assert "sort=date_asc" in sorts["最早"] and "page=" not in sorts["最早"]


def test_empty_results_suggest_what_to_try(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "量子引力", "year": "2016"}).get_data(
        as_text=True
    )
    assert "没有找到匹配的章节" in page and "去掉上面的筛选条件" in page


def test_pages_advertise_their_json_twin(client: FlaskClient) -> None:
    response = client.get("/search", query_string={"q": "法治", "year": "2021"})
    link = response.headers["Link"]
    assert link.startswith("</api/search?q=") and 'rel="alternate"' in link
    twin = client.get(link[1 : link.index(">")]).get_json()
    assert twin["ok"] and {h["year"] for h in twin["hits"]} == {2021}


def test_document_page_has_metadata_contents_anchors_and_marks(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "扬尘污染防治", "size": 1}).get_json()
    hit = body["hits"][0]
    response = client.get(hit["url"].removeprefix("http://localhost").split("#")[0])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"<h1>{hit['title']}</h1>" in page
    assert '<th scope="row">发布机构</th><td>' + hit["agency"] in page
    contents = _links(page, "toc")
    assert contents and all(href.startswith("#s-") for href, _ in contents)
    assert all(f'id="{href[1:]}"' in page for href, _ in contents)
    assert "<mark>扬尘污染防治</mark>" in page and "返回检索结果" in page
    assert response.headers["Link"].startswith(f"</api/docs/{hit['doc_id']}>")
    plain = client.get(f"/docs/{hit['doc_id']}").get_data(as_text=True)
    assert "<mark>" not in plain and "返回检索结果" not in plain


def test_unknown_document_is_404(client: FlaskClient) -> None:
    assert client.get("/docs/no-such-document").status_code == 404
    assert client.get("/docs/../../etc/passwd").status_code == 404


def test_home_shows_the_collection_at_a_glance(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    figures = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))
    assert int(figures["文件"]) == len(list(CORPUS.rglob("*.txt")) + list(CORPUS.rglob("*.html")))
    assert int(figures["章节"]) > int(figures["文件"])


def test_healthz(client: FlaskClient, tmp_path: Path) -> None:
    body = client.get("/healthz").get_json()
    assert body["ok"] and body["documents"] > 0 and body["sections"] > body["documents"]
    assert body["vectors"] == 0  # nothing embedded in this index
    missing = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = missing.get("/healthz")
    assert response.status_code == 503 and "no index" in response.get_json()["error"]


def test_repeated_single_parameter_is_400(client: FlaskClient) -> None:
    response = client.get("/search?q=法治&page=1&page=2")
    assert response.status_code == 400 and "page" in response.get_data(as_text=True)


def test_markup_inside_a_document_is_shown_as_text(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.txt").write_text(
        "索 引 号: | | 主题分类: | 其他 |\n"
        "发布机构: | 某县<b>办公室</b> | 成文日期: | 2020年01月02日 |\n"
        '标 题: | 关于<script>alert("t")</script>的说明 | ||\n'
        "发文字号: | | 发布日期: | 2020年01月03日 |\n"
        '一、说明\n网页中的<script>alert("b")</script>是代码，不会执行。\n',
        encoding="utf-8",
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "ix")}).test_client()
    for url in ("/search?q=代码", "/docs/doc?q=代码"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and "<b>" not in page
        assert "&lt;script&gt;" in page


def test_the_feed_carries_each_passage_as_html_escaped_once(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.txt").write_text(
        "索 引 号: | | 主题分类: | 其他 |\n"
        "发布机构: | 某县办公室 | 成文日期: | 2020年01月02日 |\n"
        "标 题: | 关于网页代码的说明 | ||\n"
        "发文字号: | | 发布日期: | 2020年01月03日 |\n"
        "一、说明\n网页中的<script>alert(1)</script>是代码，A&B 不会执行。\n",
        encoding="utf-8",
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "ix")}).test_client()
    feed = ElementTree.fromstring(client.get("/search.atom?q=代码").get_data())
    summary = feed.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary")
    assert summary is not None and summary.get("type") == "html"
    assert summary.text == (
        "<p>一、说明 网页中的&lt;script&gt;alert(1)&lt;/script&gt;是<mark>代码</mark>，"
        "A&amp;B 不会执行。</p>"
    )


def test_pages_point_browsers_to_opensearch_and_the_feed(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "法治", "year": "2021"}).get_data(as_text=True)
    assert 'rel="search" type="application/opensearchdescription+xml"' in page
    feed = re.search(r'type="application/atom\+xml"[^>]*href="([^"]+)"', page)
    assert feed is not None
    response = client.get(html.unescape(feed.group(1)))
    assert response.mimetype == "application/atom+xml" and "2021年度" in response.get_data(
        as_text=True
    )


# Whoosh leaves the files of a segment it failed to open for the garbage collector to close.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_damaged_index_is_reported_not_a_500(tmp_path: Path) -> None:
    full_build(CORPUS, tmp_path / "ix", procs=1)
    for part in (tmp_path / "ix" / "current").resolve().iterdir():
        if part.suffix in (".trm", ".pst"):
            part.write_bytes(part.read_bytes()[:100])  # truncated, as by a full disk
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "ix")}).test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and "unreadable" in health.get_json()["error"]
    for url in ("/search?q=法治", "/docs/000_cd729ddf2f2831ef", "/embed?q=法治"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert "索引尚未就绪" in response.get_data(as_text=True)
    api = client.get("/api/search?q=法治")
    assert api.status_code == 503 and api.get_json()["error"].startswith("the search index")
    home = client.get("/")
    assert home.status_code == 200 and "索引尚未就绪" in home.get_data(as_text=True)
    gc.collect()  # close the leaked files here, under this test's warning filters


def _damage(build: Path, kind: str) -> None:
    """Damage the build's files ending with `kind` as a full disk or a stray copy might."""
    for part in build.iterdir():
        if part.name.endswith(kind):
            data = part.read_bytes()
            if kind == ".toc":
                part.write_bytes(bytes(b ^ 0x5A for b in data))  # overwritten
            else:
                part.write_bytes(data[: min(100, len(data) // 2)])  # truncated


# Whoosh leaves the files of a segment it failed to open for the garbage collector to close.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("kind", [".toc", ".agency.col", ".date.col", ".gsterms.npy"])
def test_each_kind_of_damaged_file_is_a_503(sample_index: Path, tmp_path: Path, kind: str) -> None:
    """The table of contents, a column, a flat term table: each raises its own error."""
    shutil.copytree(sample_index, tmp_path / "ix", symlinks=True)
    _damage((tmp_path / "ix" / "current").resolve(), kind)
    client = create_app({"INDEX_DIR": str(tmp_path / "ix")}).test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and "unreadable" in health.get_json()["error"]
    assert client.get("/api/search?q=法治").status_code == 503
    assert client.get("/search?q=法治").status_code == 503
    close_index(client.application)
    gc.collect()  # close the leaked files here, under this test's warning filters


def _assert_a_logged_500(client: FlaskClient, caplog: pytest.LogCaptureFixture, bug: type) -> None:
    """A search is a 500, in the API's envelope and as a page, with the traceback logged."""
    api = client.get("/api/search?q=扬尘污染防治")
    assert api.status_code == 500
    body = api.get_json()
    assert set(body) == {"ok", "error", "status", "message"} and not body["ok"]
    assert body["status"] == 500 and body["message"] == "服务器处理请求时出错，请稍后再试。"
    page = client.get("/search?q=扬尘污染防治")
    assert page.status_code == 500
    assert "<title>服务器出错 - 政府文件检索</title>" in page.get_data(as_text=True)
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is bug]
    assert [r.getMessage() for r in logged] == [
        "Exception on /api/search [GET]",
        "Exception on /search [GET]",
    ]


def test_a_bug_while_opening_the_index_is_a_500_not_a_missing_index(
    sample_index: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_columns(searcher: Searcher) -> None:
        raise TypeError("a bug in reading the columns")

    monkeypatch.setattr(live, "Columns", broken_columns)
    # Not TESTING: Flask answers an unexpected error with its 500, as in production.
    client = create_app({"INDEX_DIR": str(sample_index)}).test_client()
    _assert_a_logged_500(client, caplog, TypeError)


def test_a_bug_while_marking_passages_is_a_500_not_a_bare_passage(
    sample_index: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_postings(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in reading postings")

    monkeypatch.setattr(highlight, "segment_arrays", lambda reader: None)  # Whoosh's postings
    monkeypatch.setattr(Searcher, "postings", broken_postings)
    client = create_app({"INDEX_DIR": str(sample_index)}).test_client()
    _assert_a_logged_500(client, caplog, RuntimeError)


def test_a_worker_opens_its_index_before_the_first_request(app: Flask, tmp_path: Path) -> None:
    warm_index(app)
    with app.app_context():
        assert search_index().columns.size > 0  # columns read, without a search
    empty = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")})
    warm_index(empty)  # no index yet: the pages will say so


def test_browsing_lists_the_newest_first(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "", "size": 20}).get_json()
    dates = [hit["date"] for hit in body["hits"] if hit["date"]]
    assert body["sort"] == "date" and len(dates) > 5 and dates == sorted(dates, reverse=True)
    page = client.get("/search", query_string={"q": ""}).get_data(as_text=True)
    assert '<strong aria-current="true">最新</strong>' in page and "按相关度" not in page
    asked = client.get("/api/search", query_string={"q": "", "sort": "relevance"}).get_json()
    assert asked["sort"] == "relevance"
    searched = client.get("/search", query_string={"q": "法治"}).get_data(as_text=True)
    assert '<strong aria-current="true">按相关度</strong>' in searched


def test_a_long_query_says_it_is_searched_by_its_opening(client: FlaskClient) -> None:
    pasted = "全面推进依法行政，加快建设法治政府。" * 8  # 144 characters
    page = client.get("/search", query_string={"q": pasted}).get_data(as_text=True)
    assert f"检索词较长，只按开头（至多 {MAX_TEXT_CHARS} 个字）检索" in page
    iframe = client.get("/embed", query_string={"q": pasted}).get_data(as_text=True)
    assert "检索词较长" in iframe
    short = client.get("/search", query_string={"q": "全面推进依法行政"}).get_data(as_text=True)
    assert "检索词较长" not in short


def test_the_example_number_is_one_the_index_holds(client: FlaskClient) -> None:
    home = client.get("/").get_data(as_text=True)
    example = re.search(r"<li><code>([^<]+)</code>：按文号查找</li>", home)
    assert example is not None
    found = client.get("/api/search", query_string={"q": example.group(1)}).get_json()
    document = client.get(f"/api/docs/{found['hits'][0]['doc_id']}").get_json()["document"]
    assert document["doc_number"] == example.group(1)
    nothing = client.get("/search", query_string={"q": '"无此内容的检索词语"'}).get_data(
        as_text=True
    )
    assert f"输入完整的文号，例如 <code>{example.group(1)}</code>" in nothing
