"""Questions in everyday words find the law's defined terms through the law's definitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.index.build import full_build
from search.index.live import SearchIndex
from search.query.request import SearchRequest
from search.results import SearchResults, run_search
from search.text.definitions import Definition, DefinitionTable, definitions_in

LAW_HEADER = (
    "索 引 号: | | 主题分类: | 法律 |\n"
    "发布机构: | 全国人民代表大会常务委员会 | 成文日期: | 2020年01月02日 |\n"
    "标 题: | {title} | ||\n"
    "发文字号: | | 发布日期: | 2020年01月03日 |\n"
)
LAWS = {
    "labour": (
        "中华人民共和国劳动保障法",
        "第一条 本法所称竞业限制，是指劳动者离职以后一定期限内不得到竞争对手单位工作。\n"
        "第二条 本法所称用人单位，是指企业、个体经济组织。\n"
        "第三条 本法所称劳动者，是指与单位建立劳动关系的自然人。\n",
    ),
    # uses the defined term, and none of the question's words
    "contract": (
        "中华人民共和国职工合同法",
        "第九条 公司可以与职工约定竞业限制，并按月给予经济补偿。\n",
    ),
}
QUESTION = "离职以后能到竞争对手单位工作吗？"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("definitions")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, (title, body) in LAWS.items():
        (corpus / f"{name}.txt").write_text(LAW_HEADER.format(title=title) + body, "utf-8")
    full_build(corpus, root / "ix", procs=1)
    return root / "ix"


def sections(index_dir: Path, text: str, definitions: bool) -> SearchResults:
    with SearchIndex(index_dir, semantic=False, definitions=definitions) as index:
        return run_search(index, SearchRequest.create(text, collapse=False, size=100))


def test_a_question_finds_the_section_that_uses_the_term_its_words_define(
    index_dir: Path,
) -> None:
    bridged = sections(index_dir, QUESTION, definitions=True)
    plain = sections(index_dir, QUESTION, definitions=False)
    assert "contract" in [hit.doc_id for hit in bridged.hits]
    assert "contract" not in [hit.doc_id for hit in plain.hits]
    # the definition itself, holding the question's words, stays first
    assert bridged.hits[0].id == plain.hits[0].id
    assert (bridged.hits[0].doc_id, bridged.hits[0].heading) == ("labour", "第一条")


@pytest.mark.parametrize("text", ["竞争对手 单位", "离职 竞争对手 工作", "竞业限制"])
def test_a_keyword_query_is_unchanged(index_dir: Path, text: str) -> None:
    bridged = sections(index_dir, text, definitions=True)
    plain = sections(index_dir, text, definitions=False)
    assert [(h.id, h.score) for h in bridged.hits] == [(h.id, h.score) for h in plain.hits]


def test_definition_sentences_are_read_in_their_usual_forms() -> None:
    text = (
        "第二条 本条例所称经营者，是指从事商品生产的自然人；（一）消费者，是指购买商品的人。"
        "前款所称保险事故是指海上事故。第一款所称善意，是指不知道。"
    )
    assert definitions_in(text) == [
        ("经营者", "从事商品生产的自然人"),
        ("消费者", "购买商品的人"),
        ("保险事故", "海上事故"),
    ]


def test_a_definition_is_found_by_what_the_question_describes_not_a_word_in_passing() -> None:
    table = DefinitionTable(
        [
            Definition("竞业限制", frozenset({"离职", "竞争对手", "单位", "工作"})),
            Definition("劳动者", frozenset({"单位", "劳动", "关系", "自然人"})),
            Definition("用人单位", frozenset({"企业", "单位", "组织"})),
        ]
    )
    assert table.terms_for(["离职", "竞争对手", "单位"], 3, 2, 0.5) == ["竞业限制"]
    # one shared word is not enough, nor two that carry little of the question's weight
    assert table.terms_for(["单位", "自然人"], 3, 2, 0.5) == ["劳动者"]
    assert table.terms_for(["单位", "企业", "报酬", "加班", "年假"], 3, 2, 0.5) == []
    assert table.terms_for(["竞业限制", "离职", "竞争对手"], 3, 2, 0.5) == []
