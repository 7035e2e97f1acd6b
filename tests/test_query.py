from __future__ import annotations

from pathlib import Path

import pytest
from test_evaluate import QUERIES
from whoosh import query as q

from search.errors import QueryError
from search.facets import parse_year
from search.index.live import SearchIndex
from search.query import compile as query_module
from search.query.compile import (
    MAX_RUN_CHARS,
    bigram_runs,
    compile_query,
    content_words,
    join_run,
    precise_words,
)
from search.query.language import Clause, Term, parse
from search.query.request import SearchRequest
from search.results import run_search


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020", (2020, 2020)),
        ("2018-2020", (2018, 2020)),
        ("２０１８—２０２０", (2018, 2020)),
        ("2018至2020", (2018, 2020)),
        ("2018-", (2018, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_years_and_ranges(value: str | None, expected: tuple[int | None, int | None]) -> None:
    assert parse_year(value) == expected


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"year": "20x"}, "year"),
        ({"year": "2020-2018"}, "year"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"size": 101}, "size"),
        ({"text": "字" * 501}, "q"),
    ],
)
def test_invalid_values_name_their_parameter(kwargs: dict[str, object], parameter: str) -> None:
    arguments: dict[str, object] = {"text": "法治", **kwargs}
    with pytest.raises(QueryError) as caught:
        SearchRequest.create(**arguments)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter


def test_terms_split_on_spaces_and_keep_quoted_text_whole() -> None:
    assert parse('营商环境 "现代化 产业"\u3000ＰＭ２．５') == (
        Clause((Term("营商环境"),)),
        Clause((Term("现代化 产业", exact=True),)),
        Clause((Term("pm2.5"),)),
    )


def test_a_run_is_looked_for_by_its_first_characters() -> None:
    (run,) = bigram_runs("农业科技成果转化" * 10)
    assert join_run(run) == ("农业科技成果转化" * 10)[:MAX_RUN_CHARS]


def test_bigram_runs_drop_a_lone_character_at_a_cut_edge() -> None:
    assert bigram_runs("技项目予以扶") == (("技项", "项目", "目予", "予以", "以扶"),)
    assert bigram_runs("县，2021年") == (("2021",),)
    assert bigram_runs("局") == (("局",),)


def test_queries_keep_the_stop_list_their_process_started_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert precise_words("营商的环境") == ("营商", "环境")
    custom = tmp_path / "stop.txt"
    custom.write_text("环境\n", "utf-8")
    monkeypatch.setenv("GOVSEARCH_STOPWORDS", str(custom))
    assert precise_words("营商的环境") == ("营商", "环境")  # as the index dropped them


def test_content_words_drop_question_words_and_lone_characters() -> None:
    assert content_words("什么是扒窃？") == ("扒窃",)
    assert content_words("被邻居家的狗咬伤怎么办") == ("邻居家", "咬伤")
    # with nothing longer, the lone characters are all the question has
    assert content_words("狗咬人") == ("狗", "咬", "人")


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("夫妻一方经营个体工商户所欠债务，谁偿还？", True),
        ("如何起诉已注销的个体工商户", True),
        ("物业费要交吗", True),
        ("营商环境 深圳", False),
        ("建设单位应当将扬尘污染防治费用列入", False),
        ("优化营商环境。", False),
        ("组织协调 情况 要求", False),  # filler words are not questions
        ("他们 有利于", False),
        ("他们有什么权利", True),
        # grammar without punctuation: a one-character filler word among three words or more
        ("房东把房子卖了", True),
        ("我被公司辞退", True),
        ("给予行政处分", False),  # 给予 is a word, not 给
        ("被保险人的权利", False),
        ("被征地农民社会保障", False),  # 被 opens the law's own terms
        ("劳动合同 -我 解除 试用期", False),  # an excluded word is no grammar of the query
        ('"房东把房子卖了"', False),  # quoted: a run of characters
    ],
)
def test_questions_are_told_from_keywords_and_pasted_text(text: str, asks: bool) -> None:
    assert compile_query(text).asks is asks


def test_filters_narrow_without_reordering(sample_index: Path) -> None:
    with SearchIndex(sample_index) as index:
        everything = run_search(index, SearchRequest.create("工作", size=100))
        filtered = run_search(index, SearchRequest.create("工作", year="2019-2021", size=100))
        agencies = run_search(
            index,
            SearchRequest.create("工作", agencies=["县科学技术局", "阳城县财政局"], size=100),
        )
    assert everything.total == len(everything.hits)  # the whole result set is on the page
    kept = [h.id for h in everything.hits if h.year is not None and 2019 <= h.year <= 2021]
    assert [h.id for h in filtered.hits] == kept and kept
    assert {h.agency for h in agencies.hits} == {"县科学技术局", "阳城县财政局"}
    assert agencies.total == sum(
        h.agency in ("县科学技术局", "阳城县财政局") for h in everything.hits
    )


def test_empty_text_browses_and_punctuation_finds_nothing(sample_index: Path) -> None:
    with SearchIndex(sample_index) as index:
        browse = run_search(index, SearchRequest.create("", year="2016"))
        nothing = run_search(index, SearchRequest.create("！！，。"))
    assert browse.total > 0 and {h.year for h in browse.hits} == {2016}
    assert nothing.total == 0 and nothing.hits == []


def test_characters_that_show_nothing_are_not_searched(sample_index: Path) -> None:
    """Copied from a web page, a zero-width space, a joiner or a byte order mark would
    split the words around it while the reader sees none."""
    with SearchIndex(sample_index) as index:
        plain = run_search(index, SearchRequest.create("营商环境"))
        for pasted in (
            "营商\u200b环境",
            "\ufeff营商环境",
            "营\u200d商环\u00ad境\u200b",
            "营商\u2066环境",
        ):
            asked = SearchRequest.create(pasted)
            assert asked.text == "营商环境"
            assert [h.id for h in run_search(index, asked).hits] == [h.id for h in plain.hits]
        invisible = run_search(index, SearchRequest.create("\u200b\u2060"))
        assert invisible.total == run_search(index, SearchRequest.create("")).total > 0


@pytest.mark.parametrize(
    "text",
    [
        *QUERIES,
        "营商环境 优化 -罚款",
        "标题:报告 科技 OR 创新",
        '"扬尘" 防治 管理',
        "国发〔2021〕3号",
        "人社局",
    ],
)
def test_queries_normalise_as_whoosh_normalises_them(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our normalisation (no deep copies) builds the very queries Whoosh's builds."""
    ours = compile_query(text)
    monkeypatch.setattr(query_module, "normalized", lambda query: query.normalize())
    whooshs = compile_query(text)
    assert ours.strict == whooshs.strict
    assert ours.relaxed == whooshs.relaxed
    assert ours.strict is not q.NullQuery
