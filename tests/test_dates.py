"""Ranges of 发布日期, the oldest-first order, the search scope and 高级检索, on every surface:
the engine, the JSON API and its OpenAPI document, the pages, the feed, the widget, the CLI."""

from __future__ import annotations

import datetime
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from conftest import CORPUS
from flask import Flask
from flask.testing import FlaskClient

from search.cli import cli
from search.documents import load_document
from search.errors import QueryError
from search.index.build import full_build
from search.index.live import SearchIndex
from search.query.language import compose, parse
from search.query.request import SearchRequest
from search.results import SearchResults, run_search
from search.text.pinyin import spellings
from web import create_app
from web.pages import months_before

UNDATED = "标 题: | 扬尘治理补充通知 | ||\n一、总体要求\n各单位加强扬尘治理和管理，洒水降尘。\n"


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's corpus plus one notice without any date."""
    root = tmp_path_factory.mktemp("dated")
    shutil.copytree(CORPUS, root / "corpus")
    (root / "corpus" / "samples" / "zz_undated.txt").write_text(UNDATED, "utf-8")
    assert not full_build(root / "corpus", root / "index", procs=1).failed
    return root / "index"


@pytest.fixture(scope="module")
def live(dated_index: Path) -> Iterator[SearchIndex]:
    with SearchIndex(dated_index) as index:
        yield index


@pytest.fixture
def dated_client(dated_index: Path) -> FlaskClient:
    app: Flask = create_app({"TESTING": True, "INDEX_DIR": str(dated_index)})
    return app.test_client()


def _search(live: SearchIndex, text: str = "", **options: object) -> SearchResults:
    return run_search(live, SearchRequest.create(text, size=100, **options))  # type: ignore[arg-type]


# --- the engine ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high"),
    [("2020-01-20", "2021-03-05"), ("2021-01-01", None), (None, "2018-06-08"), ("2019-04-15",) * 2],
)
def test_a_date_range_keeps_exactly_the_documents_dated_within_it(
    live: SearchIndex, low: str | None, high: str | None
) -> None:
    everything = _search(live)
    expected = sorted(
        hit.doc_id
        for hit in everything.hits
        if hit.date and (low or "") <= hit.date <= (high or "9999")
    )
    kept = _search(live, date_from=low, date_to=high)
    assert expected and sorted(hit.doc_id for hit in kept.hits) == expected
    assert kept.total == len(expected)
    # the facets count only what the range keeps
    assert sum(value.count for value in kept.facets["agency"]) == len(expected)
    years = {hit.year for hit in kept.hits}
    assert {value.value for value in kept.facets["year"]} == years


def test_the_range_includes_both_ends_and_the_undated_never_match(live: SearchIndex) -> None:
    one_day = _search(live, date_from="2021-03-05", date_to="2021-03-05")
    assert [hit.date for hit in one_day.hits] == ["2021-03-05"]
    titles = [hit.title for hit in _search(live, "扬尘", date_to="2100-01-01").hits]
    assert titles and "扬尘治理补充通知" not in titles
    assert "扬尘治理补充通知" in [hit.title for hit in _search(live, "扬尘").hits]


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"date_from": "2021-02-30"}, "from"),
        ({"date_to": "2021-13-01"}, "to"),
        ({"date_from": "2021-2-3"}, "from"),
        ({"date_to": "明天"}, "to"),
        ({"date_from": "20210301"}, "from"),
        ({"date_from": "2022-01-01", "date_to": "2021-12-31"}, "from"),
        ({"scope": "body"}, "scope"),
        ({"sort": "oldest"}, "sort"),
    ],
)
def test_a_bad_date_scope_or_sort_names_its_parameter(
    options: dict[str, str], parameter: str
) -> None:
    with pytest.raises(QueryError) as raised:
        SearchRequest.create("管理", **options)  # type: ignore[arg-type]
    assert raised.value.parameter == parameter


def test_full_width_digits_are_a_date() -> None:
    asked = SearchRequest.create("", date_from="２０２１－０３－０１")
    assert asked.dates == ("2021-03-01", None)


@pytest.mark.parametrize("collapse", [True, False])
def test_newest_and_oldest_first_with_the_undated_last(live: SearchIndex, collapse: bool) -> None:
    newest = _search(live, "管理", sort="date", collapse=collapse).hits
    oldest = _search(live, "管理", sort="date_asc", collapse=collapse).hits
    for hits, descending in ((newest, True), (oldest, False)):
        dates = [hit.date for hit in hits]
        assert None in dates and dates[-1] is None, dates  # the undated notice, last
        dated = [d for d in dates if d]
        assert len(dated) > 3 and dated == sorted(dated, reverse=descending)
        assert dates.index(None) == len(dated)  # no undated hit among the dated ones
    assert {h.id for h in newest} == {h.id for h in oldest}


def test_title_scope_looks_only_in_titles(live: SearchIndex) -> None:
    # 扶持 is in the body of 000_cd729ddf2f2831ef, not in any title
    assert _search(live, "扶持").total > 0
    assert _search(live, "扶持", scope="title").total == 0
    in_titles = _search(live, "办法", scope="title").hits
    assert in_titles and all("办法" in hit.title for hit in in_titles)
    assert len(in_titles) < _search(live, "办法").total


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("阳政发〔2021〕3号", "阳政发〔2021〕3号"),
        ("阳政发[2021]3号", "阳政发〔2021〕3号"),
        ("阳政发 (2021) 3 号", "阳政发〔2021〕3号"),
        ("2021-3", "阳政发〔2021〕3号"),
        ("阳政发〔2021〕", "阳政发〔2021〕3号"),
        ("2019/8号", "阳市监发〔2019〕8号"),
        ("8号", "阳市监发〔2019〕8号"),
        ("晋市环发", "晋市环发〔2018〕12号"),
        ("阳政发2021年3号", "阳政发〔2021〕3号"),  # the year followed by 年
        ("阳政发〔2021〕第3号", "阳政发〔2021〕3号"),  # the number after 第
        ("阳政发2021年第3号", "阳政发〔2021〕3号"),
    ],
)
def test_number_scope_finds_a_document_number_whole_or_in_part(
    live: SearchIndex, typed: str, number: str
) -> None:
    found = _search(live, typed, scope="number")
    assert found.total == 1
    document = load_document(live, found.hits[0].doc_id)
    assert document is not None and document.metadata()["doc_number"] == number


def test_number_scope_does_not_find_a_number_inside_a_longer_one(live: SearchIndex) -> None:
    # 晋市环发〔2018〕12号 holds "2号" but not the number 2
    assert _search(live, "2号", scope="number").total == 0
    assert _search(live, "营商环境", scope="number").total == 0
    assert _search(live, "营商环境").total > 0


# --- the query of an advanced search ------------------------------------------------------


def test_compose_builds_the_query_language() -> None:
    text = compose("营商环境 优化", "政务 服务", "深圳 广州", "征求意见")
    assert text == '营商环境 优化 "政务 服务" 深圳 OR 广州 -征求意见'
    clauses = parse(text)
    assert [[t.text for t in c.terms] for c in clauses] == [
        ["营商环境"],
        ["优化"],
        ["政务 服务"],
        ["深圳", "广州"],
        ["征求意见"],
    ]
    assert clauses[2].terms[0].exact and clauses[4].negated
    # syntax typed into a field of plain words is not syntax
    assert compose('"a -b OR c', "", "", "") == "a b c"
    assert compose() == ""


# --- the JSON API and its OpenAPI document --------------------------------------------------


def test_api_echoes_and_applies_the_new_parameters(dated_client: FlaskClient) -> None:
    body = dated_client.get(
        "/api/search", query_string={"from": "2020-01-01", "to": "2021-12-31", "sort": "date_asc"}
    ).get_json()
    assert body["ok"] and body["sort"] == "date_asc"
    dates = [hit["date"] for hit in body["hits"]]
    assert dates == sorted(dates) and all("2020-01-01" <= d <= "2021-12-31" for d in dates)
    numbered = dated_client.get("/api/search?q=2019-8&scope=number").get_json()
    assert numbered["total"] == 1


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"from": "2021-02-30"}, "from"),
        ({"to": "someday"}, "to"),
        ({"from": "2022-01-01", "to": "2021-01-01"}, "from"),
        ({"from": ["2021-01-01", "2021-02-01"]}, "from"),
        ({"scope": "full"}, "scope"),
        ({"sort": "date_desc"}, "sort"),
    ],
)
def test_api_errors_name_the_parameter(
    dated_client: FlaskClient, params: dict[str, str], parameter: str
) -> None:
    response = dated_client.get("/api/search", query_string={"q": "管理", **params})
    body = response.get_json()
    assert response.status_code == 400 and body["parameter"] == parameter
    assert body["error"].startswith(parameter + ":")


def test_openapi_describes_the_new_parameters(dated_client: FlaskClient) -> None:
    spec = dated_client.get("/api/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert parameters["sort"]["schema"]["enum"] == ["relevance", "date", "date_asc"]
    assert parameters["scope"]["schema"]["enum"] == ["all", "title", "number"]
    assert parameters["from"]["schema"]["format"] == "date"
    assert parameters["to"]["schema"]["format"] == "date"
    response_sort = spec["components"]["schemas"]["SearchResponse"]["properties"]["sort"]
    assert response_sort["enum"] == ["relevance", "date", "date_asc"]


# --- the pages -------------------------------------------------------------------------------


def _page(client: FlaskClient, **params: str) -> str:
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_chips_show_the_range_and_the_scope_and_remove_them(dated_client: FlaskClient) -> None:
    page = _page(
        dated_client, q="管理", **{"from": "2020-01-01", "to": "2021-12-31"}, scope="title"
    )
    assert "发布日期：2020-01-01 至 2021-12-31" in page
    assert "检索范围：标题" in page
    assert 'href="?q=%E7%AE%A1%E7%90%86&amp;scope=title" aria-label="去掉筛选：发布日期' in page
    assert (
        'href="?q=%E7%AE%A1%E7%90%86&amp;from=2020-01-01&amp;to=2021-12-31" '
        'aria-label="去掉筛选：检索范围 标题"' in page
    )
    assert '<option value="title" selected>标题</option>' in page  # the box keeps the scope
    assert "发布日期：2021-01-01 起" in _page(dated_client, **{"from": "2021-01-01"})
    assert "发布日期：至 2018-12-31" in _page(dated_client, to="2018-12-31")


def test_date_presets_count_back_from_today(dated_client: FlaskClient) -> None:
    today = datetime.date.today()
    page = _page(dated_client, q="管理", sort="date")
    week = (today - datetime.timedelta(days=7)).isoformat()
    month, year = months_before(today, 1).isoformat(), months_before(today, 12).isoformat()
    assert f'<a href="?q=%E7%AE%A1%E7%90%86&amp;sort=date&amp;from={week}">一周内</a>' in page
    assert f'<a href="?q=%E7%AE%A1%E7%90%86&amp;sort=date&amp;from={month}">一月内</a>' in page
    assert f'<a href="?q=%E7%AE%A1%E7%90%86&amp;sort=date&amp;from={year}">一年内</a>' in page
    assert '<strong aria-current="true">不限</strong>' in page
    chosen = _page(dated_client, q="管理", **{"from": year})
    assert '<strong aria-current="true">一年内</strong>' in chosen
    # the custom range is a plain GET form that keeps the other parameters
    assert '<input type="hidden" name="q" value="管理"><input type="hidden" name="sort"' in page
    assert '<input type="date" id="date-from" name="from" value="">' in page


def test_months_before_keeps_the_day_or_the_month_end() -> None:
    assert months_before(datetime.date(2024, 3, 31), 1) == datetime.date(2024, 2, 29)
    assert months_before(datetime.date(2024, 1, 15), 1) == datetime.date(2023, 12, 15)
    assert months_before(datetime.date(2024, 2, 29), 12) == datetime.date(2023, 2, 28)


def test_a_bad_date_on_a_page_is_a_400_naming_it(dated_client: FlaskClient) -> None:
    response = dated_client.get("/search", query_string={"q": "管理", "to": "2021-02-30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "截止日期应为真实的日期，写作 年-月-日（如 2021-03-01）" in page
    assert "（参数 to）" in page


def test_sort_links_offer_relevance_newest_and_oldest(dated_client: FlaskClient) -> None:
    page = _page(dated_client, q="管理", sort="date_asc")
    assert '<a href="?q=%E7%AE%A1%E7%90%86&amp;sort=date">最新</a>' in page
    assert '<strong aria-current="true">最早</strong>' in page
    assert '<a href="?q=%E7%AE%A1%E7%90%86">按相关度</a>' in page


def test_every_page_links_to_advanced_search(dated_client: FlaskClient) -> None:
    for url in ("/", "/search?q=管理", "/advanced"):
        assert 'href="/advanced">高级检索</a>' in dated_client.get(url).get_data(as_text=True)


def test_advanced_form_lists_the_index_agencies_and_topics(dated_client: FlaskClient) -> None:
    page = dated_client.get("/advanced").get_data(as_text=True)
    assert '<option value="阳城县人民政府">阳城县人民政府</option>' in page
    assert '<select id="adv-topic" name="topic">' in page
    assert '<input id="adv-from" name="from" type="date"' in page
    assert '<select id="adv-year"' not in page  # a range facet: the date range stands for it
    kind_select = page.split('id="adv-kind"')[1].split("</select>")[0]
    kinds = re.findall(r'<option value="([^"]+)">', kind_select)
    assert len(kinds) > 2 and kinds == sorted(kinds, key=lambda kind: spellings(kind)[0])


def test_advanced_search_lands_on_the_results_with_every_choice(
    dated_client: FlaskClient,
) -> None:
    form = {
        "go": "1", "all": "营商环境", "phrase": "", "any": "深圳 阳城", "none": "征求意见",
        "scope": "all", "agency": "阳城县人民政府", "topic": "", "from": "2021-01-01", "to": "",
    }  # fmt: skip
    response = dated_client.get("/advanced", query_string=form)
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == "/search"
    assert parse_qs(target.query) == {
        "q": ["营商环境 深圳 OR 阳城 -征求意见"],
        "from": ["2021-01-01"],
        "agency": ["阳城县人民政府"],
    }
    page = dated_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "发布机构：阳城县人民政府" in page and "发布日期：2021-01-01 起" in page
    assert "找到 1 份文件" in page


def test_an_empty_or_bad_advanced_form_comes_back_with_a_message(
    dated_client: FlaskClient,
) -> None:
    empty = dated_client.get("/advanced", query_string={"go": "1", "all": " ", "scope": "all"})
    assert empty.status_code == 400 and "请至少填写一项检索条件" in empty.get_data(as_text=True)
    bad = dated_client.get("/advanced", query_string={"go": "1", "all": "x", "from": "2021-02-30"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "起始日期应为真实的日期" in page and "（参数 from）" in page
    assert 'value="x"' in page  # what was typed is kept


# --- the feed, the widget, the CLI ------------------------------------------------------------


def test_the_feed_keeps_the_range(dated_client: FlaskClient) -> None:
    feed = dated_client.get("/search.atom", query_string={"from": "2023-01-01"})
    text = feed.get_data(as_text=True)
    assert feed.status_code == 200
    kept = dated_client.get("/api/search?from=2023-01-01").get_json()["total"]
    everything = dated_client.get("/api/search").get_json()["total"]
    assert 0 < text.count("<entry>") == kept < everything
    bad = dated_client.get("/search.atom", query_string={"from": "2023-02-30"})
    assert bad.status_code == 400 and bad.get_data(as_text=True).startswith("from:")


def test_the_widget_takes_a_fixed_range_and_offers_the_scopes(dated_client: FlaskClient) -> None:
    script = dated_client.get("/embed.js").get_data(as_text=True)
    assert 'var FILTERS = ["from", "to"];' in script
    assert 'var SCOPES = [["all", "全文"], ["title", "标题"], ["number", "文号"]];' in script
    frame = dated_client.get("/embed", query_string={"q": "管理", "from": "2024-01-01"})
    assert frame.status_code == 200
    assert dated_client.get("/embed?scope=nowhere").status_code == 400


def test_cli_takes_from_to_scope_and_oldest_first(dated_index: Path) -> None:
    args = ["search", "", "--from", "2020-01-01", "--to", "2021-12-31", "--sort", "date_asc"]
    result = CliRunner().invoke(cli, [*args, "--json", "--index", str(dated_index)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    dates = [hit["date"] for hit in body["hits"]]
    assert body["sort"] == "date_asc" and dates == sorted(dates) and len(dates) == 4
    numbered = CliRunner().invoke(
        cli, ["search", "阳政发(2021)3号", "--scope", "number", "--index", str(dated_index)]
    )
    assert numbered.exit_code == 0 and numbered.output.startswith("1 document,")
    bad = CliRunner().invoke(
        cli, ["search", "x", "--to", "2021-02-30", "--index", str(dated_index)]
    )
    assert bad.exit_code == 2 and "--to" in bad.output and "real date" in bad.output
