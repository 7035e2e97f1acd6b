"""Completions while typing, and queries typed in pinyin or initials: the table, real indexes
built from small corpora, the API, the pages and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from search.cli import cli
from search.complete import Completer, Spelled, complete
from search.index.build import full_build, update
from search.index.completions import COMPLETIONS_FILE, entry, heading_text
from search.index.live import SearchIndex
from search.index.store import live_build
from search.query.request import SearchRequest
from search.results import run_search
from search.text.pinyin import spellings, typed_pinyin
from web import create_app

TYPED_FORMS = ["yingshanghuanjing", "ying shang huan jing", "yshj", "YSHJ", "Ying Shang"]


def _document(title: str, body: str, number: str = "") -> str:
    return (
        "索 引 号: | 000000000000000000/2021-00001 | 主题分类: | 综合政务 |\n"
        "发布机构: | 阳城县人民政府 | 成文日期: | 2021年03月02日 |\n"
        f"标 题: | {title} | ||\n"
        f"发文字号: | {number} | 发布日期: | 2021年03月05日 |\n"
        f"{body}\n"
    )


def _build(corpus: Path, index_dir: Path, documents: dict[str, str]) -> SearchIndex:
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (corpus / name).write_text(text, "utf-8")
    summary = full_build(corpus, index_dir)
    assert not summary.failed, summary.failed
    return SearchIndex(index_dir, semantic=False)


BUSINESS = {
    "a.txt": _document(
        "关于优化营商环境的通知",
        "一、总体要求\n持续优化营商环境，提升政务服务效能。\n"
        "（二）政务服务\n推行一网通办，营商环境评价每年开展。",
    ),
    "b.txt": _document("营商环境评价办法", "第一章 总则\n第一条 为评价营商环境，制定本办法。"),
}


def test_spellings_of_text_and_of_what_is_typed() -> None:
    assert spellings("营商环境") == ("yingshanghuanjing", "yshj")
    assert spellings("银行行政") == ("yinhangxingzheng", "yhxz")  # readings in their words
    assert spellings("2021年 报告") == ("2021nianbaogao", "2021nbg")
    assert typed_pinyin(" Ying shang'huan ") == "yingshanghuan"
    for not_pinyin in ("营商", "pm2.5", "阳政发〔2021〕3号", ""):
        assert typed_pinyin(not_pinyin) is None


def test_heading_numbers_are_dropped() -> None:
    cases = {
        "（二）优化营商环境": "优化营商环境",
        "一、总体要求": "总体要求",
        "第三章 法律责任": "法律责任",
        "1.全面推行": "全面推行",
        "2021年工作回顾": "2021年工作回顾",
        "第一千零四十五条 亲属": "亲属",
    }
    assert {heading: heading_text(heading) for heading in cases} == cases


def _table() -> Completer:
    return Completer(
        [
            entry("营商环境", "term", 300),
            entry("营商", "term", 400),
            entry("营业执照", "term", 800),
            entry("营商环境评价办法", "title", 2),
            entry("优化营商环境的通知", "title", 1),
            entry("营商环境", "title", 5),  # a heading that is also a term: offered once
            entry("应急管理", "term", 50),
            entry("yshj平台", "title", 1),  # letters that start the same as initials
        ]
    )


def test_characters_before_pinyin_then_kinds_counts_and_length() -> None:
    table = _table()
    texts = [c.text for c in table.complete("营商")]
    assert texts == ["营商环境", "营商环境评价办法"]  # not what was typed; terms first
    assert [c.text for c in table.complete("营")] == [
        "营业执照",
        "营商",
        "营商环境",
        "营商环境评价办法",
    ]
    assert [c.kind for c in table.complete("营商")] == ["term", "title"]
    # the letters themselves first, then what they spell in pinyin, then in initials
    assert [c.text for c in table.complete("yshj")] == ["yshj平台", "营商环境", "营商环境评价办法"]
    assert [c.text for c in table.complete("ying")] == [
        "营业执照",
        "营商",
        "营商环境",
        "应急管理",
        "营商环境评价办法",
    ]
    assert table.complete("ying", limit=2) == table.complete("ying")[:2]
    assert table.complete("   ") == [] and table.complete("") == []


def test_titles_are_found_after_their_issuer() -> None:
    table = Completer(
        [
            entry("中华人民共和国食品安全法", "title", 1),
            entry("国务院关于加强食品安全工作的决定", "title", 1),
            entry("食品", "term", 9),
        ]
    )
    assert [c.text for c in table.complete("食品安全")] == ["中华人民共和国食品安全法"]
    assert [c.text for c in table.complete("加强食品")] == ["国务院关于加强食品安全工作的决定"]
    assert [c.text for c in table.complete("国务院")] == ["国务院关于加强食品安全工作的决定"]


def test_past_queries_come_first_and_match_by_pinyin_too() -> None:
    table = _table()
    past = [("营商环境便利度", 3), ("营商环境评价", 9), ("扬尘", 40), ("营商环境", 7)]
    found = table.complete("营商环", past=past)
    assert [(c.text, c.kind, c.count) for c in found] == [
        ("营商环境评价", "query", 9),
        ("营商环境", "query", 7),  # a past query and a term: offered once, as a query
        ("营商环境便利度", "query", 3),
        ("营商环境评价办法", "title", 2),
    ]
    by_initials = [c.text for c in table.complete("yshj", past=past)]
    assert by_initials[:4] == ["yshj平台", "营商环境评价", "营商环境", "营商环境便利度"]


def test_an_index_term_spelled_in_pinyin() -> None:
    table = _table()
    for typed in TYPED_FORMS[:4]:
        spelled = table.term_spelled(typed)
        assert spelled is not None and spelled.text == "营商环境", typed
    assert table.term_spelled("yingshanghuan") is None  # a prefix spells no whole term
    assert table.term_spelled("营商环境") is None


def test_letters_spell_the_start_of_an_entry_or_a_run_of_terms() -> None:
    table = Completer(
        [
            entry("营商环境", "term", 300),
            entry("优化", "term", 100),
            entry("有话", "term", 2),  # youhua too, rarer
            entry("安全", "term", 90),
            entry("生产", "term", 80),
            entry("市场", "term", 200),  # sc too, more frequent than 生产
            entry("安全生产责任制规定", "title", 1),
            entry("中华人民共和国个人信息保护法", "title", 1),
        ]
    )
    for typed in ("aqsc", "anquanshengchan", "anquan shengchan"):
        assert table.text_spelled(typed) == Spelled("安全生产", 2, 1), typed
    for typed in ("grxxbh", "gerenxinxibaohu"):  # after 中华人民共和国
        assert table.text_spelled(typed) == Spelled("个人信息保护", 2, 1), typed
    # a run of terms, with the same letters read as the rarer term of one of its sounds
    assert table.text_spelled("yingshang huanjing youhua") == Spelled(
        "营商环境 优化", 0, 100, ("营商环境 有话",)
    )
    assert table.text_spelled("yshj") == Spelled("营商环境", 3, 300)
    # initials split into terms are too vague (yshjyh), and a prefix cut mid-syllable or
    # to one character spells nothing
    for spells_nothing in ("yshjyh", "anqua", "an", "data", "营商"):
        assert table.text_spelled(spells_nothing) is None, spells_nothing


def test_letters_read_as_the_words_that_sections_hold_together(tmp_path: Path) -> None:
    """gongshang rending: 工商 is the commoner word of the sound gongshang, but sections
    hold 工伤 with 认定; the search takes the reading that sections hold whole."""
    articles = "一二三四五六七八九十"
    commerce = "".join(f"第{n}条 工商、税务等部门依法登记。\n" for n in articles)
    injury = "".join(f"第{n}条 工伤职工依法享受待遇。\n" for n in articles[:6])
    decided = "".join(f"第{n}条 认定结果应当公开。\n" for n in articles[:6])
    documents = {
        "a.txt": _document("某县工商登记办法", commerce),
        "b.txt": _document("某县工伤保险办法", injury + "第七条 工伤认定由社会保险部门负责。"),
        "c.txt": _document("某县认定规则", decided),
    }
    with _build(tmp_path / "corpus", tmp_path / "ix", documents) as index:
        found = run_search(index, SearchRequest.create("gongshangrending"))
    assert found.pinyin is not None and found.pinyin.searched == "工伤 认定"
    assert [hit.doc_id for hit in found.hits] == ["b"]


def test_a_title_is_found_by_the_pinyin_of_what_follows_its_lead() -> None:
    table = Completer(
        [
            entry("中华人民共和国食品安全法", "title", 1),
            entry("国务院关于加强食品安全工作的决定", "title", 1),
        ]
    )
    for typed in ("shipinanquanfa", "shipin anquan", "spaqf"):
        assert [c.text for c in table.complete(typed)] == ["中华人民共和国食品安全法"], typed
    assert [c.text for c in table.complete("jiaqiang shipin")] == [
        "国务院关于加强食品安全工作的决定"
    ]


def test_list_counters_and_fragments_are_not_offered() -> None:
    table = Completer(
        [
            entry("中华人民", "term", 100),  # nearly always 中华人民共和国
            entry("中华人民共和国", "term", 98),
            entry("营商", "term", 400),  # often alone
            entry("营商环境", "term", 300),
            entry("一是", "term", 50),
            entry("三是", "term", 40),
            entry("第十", "term", 40),
            entry("二十四", "term", 40),
            entry("第十条", "term", 40),
            entry("一款", "term", 40),
            entry("一网通办", "term", 9),
            entry("一次", "term", 8),
        ]
    )
    assert [c.text for c in table.complete("中华")] == ["中华人民共和国"]
    assert [c.text for c in table.complete("营")] == ["营商", "营商环境"]
    assert [c.text for c in table.complete("一")] == ["一网通办", "一次"]
    assert table.complete("三") == [] and table.complete("第") == []
    assert table.complete("二") == []


SAFETY = {
    "s.txt": _document(
        "应急管理局2022年安全生产工作总结",
        "一、工作开展情况\n全年开展安全生产检查十二次。\n二、下一步打算\n"
        "持续优化营商环境，落实安全生产责任制。",
    ),
}


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("aqsc", "安全生产"),  # a word of a title, in initials
        ("anquanshengchan", "安全生产"),
        ("anquan shengchan", "安全生产"),
        ("yingshang huanjing youhua", "营商环境 优化"),  # a term and a word of a title
    ],
)
def test_letters_that_spell_words_of_titles_find_them(
    tmp_path: Path, typed: str, searched: str
) -> None:
    documents = {**BUSINESS, **SAFETY}
    with _build(tmp_path / "corpus", tmp_path / "index", documents) as index:
        results = run_search(index, SearchRequest.create(typed))
        assert results.pinyin is not None and results.pinyin.searched == searched
        assert results.total >= 1 and results.request.text == typed


@pytest.fixture(scope="module")
def business(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    root = tmp_path_factory.mktemp("business")
    with _build(root / "corpus", root / "index", BUSINESS) as index:
        yield index


@pytest.mark.parametrize("typed", TYPED_FORMS[:3])
def test_each_form_suggests_and_finds_the_term(business: SearchIndex, typed: str) -> None:
    assert complete(business, typed)[0].text == "营商环境"
    results = run_search(business, SearchRequest.create(typed))
    as_chinese = run_search(business, SearchRequest.create("营商环境"))
    assert results.pinyin is not None
    assert (results.pinyin.typed, results.pinyin.searched) == (typed, "营商环境")
    assert [h.id for h in results.hits] == [h.id for h in as_chinese.hits] != []
    assert results.request.text == typed  # links keep what was typed
    assert "<mark>营商环境</mark>" in results.to_json()["hits"][0]["passages"][0]
    assert results.to_json()["pinyin"] == {"typed": typed, "searched": "营商环境"}


def test_headings_and_titles_are_completed(business: SearchIndex) -> None:
    found = {(c.text, c.kind) for c in complete(business, "营商环境", limit=20)}
    assert ("营商环境评价办法", "title") in found
    assert {c.text for c in complete(business, "政务")} >= {"政务服务"}  # （二）政务服务
    assert not any(c.text.startswith("（") for c in complete(business, "（", limit=20))


def test_quoted_letters_are_searched_as_typed(business: SearchIndex) -> None:
    results = run_search(business, SearchRequest.create('"yshj"'))
    assert results.pinyin is None and results.total == 0


def test_letters_found_as_typed_stay_as_typed(tmp_path: Path) -> None:
    """A word of Latin letters (here a code name) that finds sections is searched as it is,
    though it is also the initials of a term."""
    documents = {
        **BUSINESS,
        "c.txt": _document("YSHJ平台上线", "一、概况\nYSHJ平台是全县统一的政务平台。"),
    }
    index = _build(tmp_path / "corpus", tmp_path / "index", documents)
    with index:
        results = run_search(index, SearchRequest.create("yshj"))
        assert results.pinyin is None and results.total == 1
        assert results.hits[0].title == "YSHJ平台上线"


def test_the_table_follows_reindexes(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    index = _build(corpus, index_dir, BUSINESS)
    with index:
        assert [c.text for c in complete(index, "扬尘")] == []
        (corpus / "d.txt").write_text(
            _document("扬尘污染防治办法", "一、扬尘治理\n加强扬尘污染防治。"), "utf-8"
        )
        update(corpus, index_dir)  # an update in place rewrites the build's entries
        assert "扬尘污染防治办法" in [c.text for c in complete(index, "扬尘")]
        (corpus / "d.txt").write_text(_document("路灯管理办法", "一、总则\n路灯。"), "utf-8")
        full_build(corpus, index_dir)  # a new build, swapped in
        assert [c.text for c in complete(index, "扬尘")] == []
        assert "路灯管理办法" in [c.text for c in complete(index, "ldgl")]


def test_an_index_built_without_entries_reads_them_from_itself(tmp_path: Path) -> None:
    index = _build(tmp_path / "corpus", tmp_path / "index", BUSINESS)
    with index:
        (live_build(tmp_path / "index") / COMPLETIONS_FILE).unlink()
        assert complete(index, "yshj")[0].text == "营商环境"


def test_the_entries_are_kept_in_the_build(business: SearchIndex) -> None:
    kept = json.loads((business.build / COMPLETIONS_FILE).read_text("utf-8"))["entries"]
    assert ["营商环境", "term", 3, "yingshanghuanjing", "yshj"] in kept


@pytest.fixture
def client(business: SearchIndex) -> FlaskClient:
    app = create_app({"TESTING": True, "INDEX_DIR": str(business.index_dir)})
    return app.test_client()


def test_api_suggest(client: FlaskClient) -> None:
    body = client.get("/api/suggest", query_string={"q": "yshj", "limit": "1"}).get_json()
    assert body == {
        "ok": True,
        "suggestions": [{"text": "营商环境", "kind": "term", "count": 3}],
    }
    assert client.get("/api/suggest?q=").get_json() == {"ok": True, "suggestions": []}
    zero_width = {"q": "y\u200bshj", "limit": "1"}
    assert client.get("/api/suggest", query_string=zero_width).get_json() == body
    assert len(client.get("/api/suggest?q=ying").get_json()["suggestions"]) <= 8


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("q=yshj&limit=0", "limit"),
        ("q=yshj&limit=21", "limit"),
        ("q=yshj&limit=many", "limit"),
        ("q=yshj&limit=3&limit=4", "limit"),
        ("q=" + "营" * 1000, "q"),
    ],
)
def test_api_suggest_names_a_bad_parameter(client: FlaskClient, query: str, parameter: str) -> None:
    response = client.get("/api/suggest?" + query)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter


def test_api_search_says_it_searched_pinyin(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "ying shang huan jing"}).get_json()
    assert body["pinyin"] == {"typed": "ying shang huan jing", "searched": "营商环境"}
    assert body["total"] == 2
    plain = client.get("/api/search", query_string={"q": "营商环境"}).get_json()
    assert plain["pinyin"] is None
    wide = client.get("/api/search", query_string={"q": "ｙｓｈｊ"}).get_json()
    assert wide["pinyin"] == {"typed": "ｙｓｈｊ", "searched": "营商环境"}
    assert wide["total"] == 2


def test_the_query_languages_or_is_not_pinyin() -> None:
    assert typed_pinyin("OR") is None and typed_pinyin("ying OR shang") is None
    assert typed_pinyin("or") == "or" and typed_pinyin("Ｙing ｓhang") == "yingshang"


def test_results_page_notice_links_to_the_search_as_typed(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "yshj"}).get_data(as_text=True)
    assert "已按拼音 <strong>yshj</strong> 搜索 <strong>营商环境</strong>" in page
    assert '<a href="?q=%22yshj%22">仍按 yshj 搜索</a>' in page
    assert "/docs/a?q=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83#" in page  # marks the term
    hit = client.get("/api/search?q=yshj").get_json()["hits"][0]
    assert "?q=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83#" in hit["url"]
    as_typed = client.get("/search", query_string={"q": '"yshj"'}).get_data(as_text=True)
    assert "已按拼音" not in as_typed and "没有找到匹配的章节" in as_typed


def test_iframe_page_says_it_searched_pinyin(client: FlaskClient) -> None:
    page = client.get("/embed", query_string={"q": "yshj"}).get_data(as_text=True)
    assert "已按拼音 <strong>yshj</strong> 搜索 <strong>营商环境</strong>" in page
    assert '<a href="?q=%22yshj%22">仍按 yshj 搜索</a>' in page


def test_pages_carry_the_combobox_and_work_without_it(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<ul id="q-suggestions"' in page and 'src="/suggest.js"' in page
    assert '<form class="searchbox" action="/search" method="get"' in page  # no script needed
    with client.get("/suggest.js") as script:
        assert script.mimetype == "text/javascript"
        assert "attachCombobox" in script.get_data(as_text=True)
    assert (
        client.get("/suggest.js", headers={"If-None-Match": script.headers["ETag"]}).status_code
        == 304
    )
    widget = client.get("/embed.js").get_data(as_text=True)
    assert "attachCombobox" in widget and "/api/suggest" in widget


def test_cli_search_and_suggest_in_pinyin(business: SearchIndex) -> None:
    runner = CliRunner()
    index = str(business.index_dir)
    for typed in TYPED_FORMS[:3]:
        result = runner.invoke(cli, ["search", typed, "--index", index])
        assert result.exit_code == 0, result.output
        assert f"Searched 营商环境, which {typed} spells in pinyin" in result.output
        assert "2 documents" in result.output
        found = runner.invoke(cli, ["suggest", typed, "--index", index])
        assert found.exit_code == 0 and found.output.splitlines()[0] == "营商环境\tterm\t3"
    as_json = runner.invoke(cli, ["search", "yshj", "--json", "--index", index])
    assert json.loads(as_json.output)["pinyin"]["searched"] == "营商环境"
