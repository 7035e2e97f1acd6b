"""The search box's query language: parsed, never failing."""

from __future__ import annotations

import pytest

from search.query.language import (
    MAX_TERMS,
    MAX_TEXT_CHARS,
    Clause,
    Term,
    parse,
    searched_in_full,
)
from search.text.articles import heading_article
from search.text.synonyms import load_synonyms, synonyms_of


def test_words_phrases_exclusions_and_or() -> None:
    assert parse('营商环境 "优化 服务" -深圳 广州 OR 珠海') == (
        Clause((Term("营商环境"),)),
        Clause((Term("优化 服务", exact=True),)),
        Clause((Term("深圳"),), negated=True),
        Clause((Term("广州"), Term("珠海"))),
    )


@pytest.mark.parametrize(
    "text", ["标题:营商环境", "title:营商环境", "標題：營商環境", "TITLE:营商环境"]
)
def test_title_prefix_in_any_spelling(text: str) -> None:
    assert parse(text) == (Clause((Term("营商环境", title_only=True),)),)


def test_curly_and_corner_quotes_are_phrases() -> None:
    assert parse("“放管服”") == parse("「放管服」") == (Clause((Term("放管服", exact=True),)),)


def test_lower_case_or_is_a_word_and_operators_alone_are_ignored() -> None:
    assert [c.terms[0].text for c in parse("a or b")] == ["a", "or", "b"]
    assert parse("OR 深圳 OR") == (Clause((Term("深圳"),)),)
    # punctuation alone has nothing to look for
    assert parse("- | ||") == parse("， 、") == ()
    assert parse("营商环境 -") == (Clause((Term("营商环境"),)),)


@pytest.mark.parametrize(
    "text",
    [
        "民法典第五百零九条",
        "民法典第509条",
        "民法典 第509条",
        "民法典第５０９条",
        "民法典　第五百零九条",
        "《民法典》第509条",  # the name in title marks
        "民法典509条",  # without 第
        "民法典第五〇九条",  # digit by digit
        "民法典第509条第二款",  # a paragraph of it: the section is the article
        "《民法典》第五百零九条第一款第（二）项",
    ],
)
def test_a_cited_article_is_its_own_term_in_the_laws_numerals(text: str) -> None:
    assert parse(text) == (Clause((Term("民法典"),)), Clause((Term("第五百零九条"),)))
    assert parse(text)[1].terms[0].article


@pytest.mark.parametrize(
    ("text", "name", "article"),
    [
        ("劳动合同法第47条之一", "劳动合同法", "第四十七条之一"),
        ("人民检察院刑事诉讼规则（试行）第15条", "人民检察院刑事诉讼规则(试行)", "第十五条"),
        ("香港特别行政区基本法第82条", "香港特别行政区基本法", "第八十二条"),
        ("第1260条", None, "第一千二百六十条"),
        ("第一〇〇条", None, "第一百条"),
        ("民法典99999999999999999999条", "民法典", "第99999999999999999999条"),  # too long
        ("第一百零五条第三款", None, "第一百零五条"),  # 零五 inside a numeral with units
        ("《工伤保险条例》第十四条", "工伤保险条例", "第十四条"),
        ("依照《民法典》第509条", "民法典", "第五百零九条"),  # the name is what the marks hold
        ("实施《反外国制裁法》的规定第15条", "实施《反外国制裁法》的规定", "第十五条"),
    ],
)
def test_names_of_laws_before_an_article(text: str, name: str | None, article: str) -> None:
    expected = ([] if name is None else [name]) + [article]
    assert [clause.terms[0].text for clause in parse(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "依照本法第三条",  # this law, as its own text says it
        "一条至第三条",  # a run pasted from a law's text
        "八条或者本解释第二条规定",
        "民法典第五百零九条规定",  # the article inside a longer run
        "509条",  # a number of articles, with no law named
        "民法典第509条之规定",
        '"民法典第509条"',
        "标题:民法典第3条",
        "-民法典第3条",
    ],
)
def test_runs_that_only_mention_an_article_stay_whole(text: str) -> None:
    assert [len(clause.terms) for clause in parse(text)] == [1]
    assert not parse(text)[0].terms[0].article


def test_an_article_among_alternatives_stays_in_its_term() -> None:
    (clause,) = parse("民法典第5条 OR 刑法第20条")
    assert [term.text for term in clause.terms] == ["民法典第5条", "刑法第20条"]


@pytest.mark.parametrize(
    "text",
    [
        "阳政发〔2021〕3号",
        "阳政发[2021]3号",
        "阳政发(2021)3号",
        "阳政发（2021）3号",
        "阳政发 〔2021〕 3 号",
    ],
)
def test_document_numbers_in_any_bracket_style(text: str) -> None:
    (clause,) = parse(text)
    assert clause.terms[0].doc_number == "阳政发〔2021〕3号"


def test_a_document_number_is_looked_for_in_each_of_its_spellings() -> None:
    (clause,) = parse("法释2024年第1号")
    assert clause.terms[0].doc_numbers == (
        "法释2024年第1号",
        "法释〔2024〕1号",
        "法释〔2024〕第1号",
        "法释2024年1号",
    )
    assert parse("营商环境")[0].terms[0].doc_numbers == ()


def test_index_numbers_are_recognised_in_upper_case() -> None:
    (clause,) = parse("11140522012737611b/2016-00021")
    assert clause.terms[0].index_number == "11140522012737611B/2016-00021"
    assert parse("营商环境")[0].terms[0].index_number is None


@pytest.mark.parametrize(
    "text", ['"', '"""', "-", "标题:", "((", "\x00", "a\u202eb", "🙂", "e\u0301", "{{7*7}}", "OR"]
)
def test_any_input_parses(text: str) -> None:
    for clause in parse(text):
        assert clause.terms and all(t.text for t in clause.terms)


def test_synonyms_work_both_ways_in_groups_and_one_way_with_arrow() -> None:
    assert "科学技术局" in synonyms_of("科技局")
    assert "科技局" in synonyms_of("科学技术局")
    assert "配偶" in synonyms_of("老公")
    assert "老公" not in synonyms_of("配偶")
    assert "出租人" in synonyms_of("房东") and "房东" not in synonyms_of("出租人")
    assert all(term not in others for term, others in load_synonyms().items())


def test_a_query_counts_only_its_first_terms_and_characters() -> None:
    many = parse(" ".join(f"词{n}" for n in range(100)))
    assert sum(len(c.terms) for c in many) == MAX_TERMS
    assert many[0].terms[0].text == "词0"
    pasted = "农业科技成果转化" * 40
    (clause,) = parse(pasted)
    assert clause.terms[0].text == pasted[:MAX_TEXT_CHARS]
    spaced = parse(" ".join(["农业科技成果转化"] * 40))
    assert sum(len(t.text) for c in spaced for t in c.terms) == MAX_TEXT_CHARS


def test_a_long_term_is_cut_after_a_sentence_when_it_can_be() -> None:
    text = "本市应当定期编制农业科技成果目录" * 4 + "，并向社会公布" + "农业新品种" * 20
    (clause,) = parse(text)
    assert len(clause.terms[0].text) == text.index("，") + 1  # the comma, normalised, ends it


def test_a_query_says_whether_it_was_searched_in_full() -> None:
    assert searched_in_full("营商环境 深圳 -广州 OR")
    assert searched_in_full("营" * MAX_TEXT_CHARS)
    assert not searched_in_full("营" * (MAX_TEXT_CHARS + 1))
    terms = [f"词{n}" for n in range(MAX_TERMS)]
    assert searched_in_full(" ".join(terms)) and searched_in_full(" ".join([*terms, "，"]))
    assert not searched_in_full(" ".join([*terms, "多一个"]))


@pytest.mark.parametrize(
    ("heading", "article"),
    [
        ("第三百五十八条", "第三百五十八条"),
        ("第三百五十八条 【组织卖淫罪】", "第三百五十八条"),
        (" 第30条之一", "第三十条之一"),
        ("四十二、将刑法第三百五十八条修改为", ""),
        ("第二章 保险合同", ""),
        ("", ""),
    ],
)
def test_a_section_is_the_article_its_heading_starts_with(heading: str, article: str) -> None:
    assert heading_article(heading) == article
