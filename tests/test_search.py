"""Search behaviour on real indexes: operators, lookups, synonyms, relaxation, facets,
collapsing, sorting, paging and passages."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh.support.levenshtein import damerau_levenshtein

from search import suggest
from search.errors import QueryError
from search.highlight import passage_html
from search.index.build import full_build
from search.index.live import SearchIndex
from search.ingest.kinds import KINDS
from search.query.compile import compile_query
from search.query.request import SearchRequest
from search.rank.authority import authority_factor, load_authority
from search.rank.knobs import FEW_HITS
from search.results import SearchHit, SearchResults, run_search
from search.suggest import close_words, one_edit_apart

TRAINING_RULES = "samples/2016_yangcheng_training_rules"
BUSINESS_NOTICE = "samples/2021_yangcheng_business_environment"


@pytest.fixture(scope="module")
def index(sample_index: Path) -> SearchIndex:
    with SearchIndex(sample_index) as live:
        yield live


def search(index: SearchIndex, text: str, **options: object) -> SearchResults:
    return run_search(index, SearchRequest.create(text, **options))  # type: ignore[arg-type]


def doc_ids(results: SearchResults) -> list[str]:
    return [hit.doc_id for hit in results.hits]


def all_sections(index: SearchIndex, text: str, **options: object) -> SearchResults:
    return search(index, text, **{"collapse": "false", "size": 100, **options})


def html(hit: SearchHit) -> list[str]:
    """The hit's passages as the pages and the API show them."""
    return [passage_html(passage) for passage in hit.passages]


def test_every_word_must_match(index: SearchIndex) -> None:
    both = all_sections(index, "扬尘 施工")
    assert both.hits and not both.relaxed
    for hit in both.hits:
        text = "".join(html(hit)) + hit.title + "".join(hit.breadcrumb)
        assert "扬尘" in text and "施工" in text


def test_quoted_phrase_needs_the_exact_run(index: SearchIndex) -> None:
    loose = all_sections(index, "营商 优化")
    exact = all_sections(index, '"优化营商环境"')
    assert 0 < exact.total < loose.total
    for hit in exact.hits:
        assert "<mark>优化营商环境</mark>" in "".join(html(hit)) or "优化营商环境" in hit.title
    assert all_sections(index, '"营商优化"').total == 0


def test_excluded_words_remove_sections(index: SearchIndex) -> None:
    everything = all_sections(index, "营商环境")
    without = all_sections(index, "营商环境 -阳城")
    assert 0 < without.total < everything.total
    assert all("阳城" not in "".join(html(h)) + h.title for h in without.hits)
    assert all_sections(index, "-营商环境").total == all_sections(index, "").total - (
        everything.total
    )


def test_or_finds_either(index: SearchIndex) -> None:
    dust, budget = all_sections(index, "扬尘"), all_sections(index, "预算")
    either = all_sections(index, "扬尘 OR 预算")
    assert {h.id for h in either.hits} == {h.id for h in dust.hits} | {h.id for h in budget.hits}


def test_title_prefix_searches_titles_only(index: SearchIndex) -> None:
    anywhere = search(index, "营商环境")
    in_title = search(index, "标题:营商环境")
    assert doc_ids(in_title) == [BUSINESS_NOTICE]
    assert anywhere.total > in_title.total
    # found by its title, the text is not marked for it
    assert any("<mark>" in passage for hit in anywhere.hits for passage in html(hit))
    assert not any("<mark>" in passage for hit in in_title.hits for passage in html(hit))
    assert compile_query("标题:营商环境 优化").words == frozenset({"优化"})


@pytest.mark.parametrize(
    "number",
    [
        "阳政发〔2021〕3号",
        "阳政发[2021]3号",
        "阳政发（2021）3号",
        "阳政发 (2021) 3 号",
        "阳政发2021年3号",
        "阳政发〔2021〕第3号",
        "阳政发2021年第3号",
    ],
)
def test_document_number_finds_its_document(index: SearchIndex, number: str) -> None:
    results = search(index, number)
    assert doc_ids(results) == [BUSINESS_NOTICE]
    # its digits are not marked wherever a 3 or a 2021 stands in the text
    assert compile_query(number).runs == ("阳政发",) and not compile_query(number).words


def test_index_number_finds_its_document(index: SearchIndex) -> None:
    assert doc_ids(search(index, "11140522012737611B/2016-00021"))[0] == TRAINING_RULES
    # a unit's code with a department's after it
    found = search(index, "11140522K03478216C405/2018-00007")
    assert doc_ids(found) == ["samples/2017_yangcheng_keji_summary"] and not found.relaxed
    # its year and serial number alone, as people copy them: that document, not the year's
    serial = search(index, "2016-00021")
    assert doc_ids(serial) == [TRAINING_RULES] and not serial.relaxed
    assert not search(index, "2016-99999").hits


@pytest.mark.parametrize("variant", ["營商環境", "营商环境", "營商環境", " 营商环境 "])
def test_script_width_and_spacing_do_not_change_results(index: SearchIndex, variant: str) -> None:
    assert doc_ids(search(index, variant)) == doc_ids(search(index, "营商环境"))


def test_synonyms_find_the_full_name_and_the_short_form(index: SearchIndex) -> None:
    short = search(index, "人社局")
    full = search(index, "人力资源和社会保障局")
    assert "samples/2021_yangcheng_renshe_fazhi" in doc_ids(short)
    assert set(doc_ids(short)) == set(doc_ids(full))


def test_a_long_question_is_relaxed_and_ranks_the_best_section(index: SearchIndex) -> None:
    results = search(index, "阳城县教育局怎样管理校外培训机构的收费？", collapse="false")
    assert results.relaxed and results.total > 0
    assert results.hits[0].doc_id == TRAINING_RULES
    assert results.hits[0].heading == "第五条"  # the article about fees


def test_full_matches_come_before_partial_ones(index: SearchIndex) -> None:
    question = "培训机构收费项目应当向社会公示吗？"
    with index.searcher() as searcher:
        strict = {
            searcher.stored_fields(docnum)["id"]
            for docnum in searcher.docs_for_query(compile_query(question).strict)
        }
    relaxed = all_sections(index, question)
    assert relaxed.relaxed and 0 < len(strict) < relaxed.total
    assert {h.id for h in relaxed.hits[: len(strict)]} == strict


def test_a_rare_real_word_is_not_corrected_to_a_common_one(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sections = [f"第{n}条 行政机关应当依法履行职责。" for n in "一二三四五六七八九十"]
    sections += ["第十一条 对持刀行凶的，依法处理。", "第十二条 行凶者应当赔偿。"]
    sections += ["第十三条 制止行凶的行为受法律保护。"]
    (corpus / "rules.txt").write_text(
        _document("法律", "某县司法局", "某县治安规定", "\n".join(sections) + "\n"), "utf-8"
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix") as live:
        assert search(live, "行凶").suggestion is None
        assert search(live, "行攻").suggestion == "行政"
        # 对 is one edit from 对主 (a run cut mid-word), but one character is not a word
        # anybody meant to type as two.
        assert search(live, "对主").suggestion is None


def test_a_number_is_never_corrected_to_another(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sections = [f"第{n}条 依照国务院令第58号，行政机关应当依法履行职责。" for n in "一二三四五六"]
    (corpus / "rules.txt").write_text(
        _document("法律", "某县司法局", "某县执法规定", "\n".join(sections) + "\n"), "utf-8"
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix", cache_size=0) as live:
        assert search(live, "国务院令第58号").full_matches
        # 588号 is one edit from 58号, a document the index has, but another number
        assert search(live, "国务院令第588号").suggestion is None
        assert search(live, "行攻 第58号").suggestion == "行政 第58号"  # words still are


def test_an_everyday_word_rare_in_the_index_is_not_taken_for_a_slip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """买房 (buying a home) is found only inside 购买房屋; 买方 (the buyer), the same sound,
    is everywhere. A word of the language is what was meant, however rare in the index."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sections = [f"第{n}条 买方应当按照约定支付价款。" for n in "一二三四五六七八九十"]
    sections += ["第十一条 承租人有权优先购买房屋。"]
    (corpus / "rules.txt").write_text(
        _document("法律", "某县住建局", "某县房屋买卖规定", "\n".join(sections) + "\n"), "utf-8"
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix", cache_size=0) as live:
        found = search(live, "买房")
        assert found.total >= 1 and found.suggestion is None
        assert search(live, "买仿").suggestion == "买方"  # not a word: a slip
        monkeypatch.setattr(suggest, "DICTIONARY_WORDS", False)  # the index alone decides
        assert search(live, "买房").suggestion == "买方"


def test_a_word_comes_before_its_characters_across_two_other_words(tmp_path: Path) -> None:
    """民政 (civil affairs) is in 人民政府's characters (人民 | 政府), which every document
    of a government repeats: the sections that say 民政 come first, and only they mark it."""
    government = "第一条 县人民政府和乡镇人民政府应当支持街道人民政府的工作。\n"
    civil = "第一条 县人民政府领导全县的优抚工作，县民政局具体负责。\n"
    documents = {
        "government": ("某县人民政府工作规则", government),
        "civil": ("某县优抚工作办法", civil),
    }
    with SearchIndex(_county_index(tmp_path, "民政", documents), cache_size=0) as live:
        found = search(live, "民政", collapse=False)
        assert [hit.doc_id for hit in found.hits] == ["civil", "government"]
        civil_hit, government_hit = found.hits
        assert "<mark>民政</mark>局" in "".join(html(civil_hit))
        assert "人民政府" in "".join(html(civil_hit))  # unmarked: not what was asked
        # Where the characters are all there is, they are what matched, and marked.
        assert "人<mark>民政</mark>府" in "".join(html(government_hit))
        # Quoted, the characters are asked for wherever they are.
        assert len(search(live, '"民政"', collapse=False).hits) == 2


def test_a_one_word_term_still_finds_its_synonyms_and_a_character_inside_words(
    tmp_path: Path,
) -> None:
    """A section that says only 人力资源和社会保障局 or 医疗保险 is found by 人社局 or 医保
    (data/synonyms.txt), and one whose 税 is part of 税务 by 税."""
    body = "第一条 县人力资源和社会保障局负责医疗保险工作。\n第二条 税由税务机关征收。\n"
    index_dir = _county_index(tmp_path, "财政", {"rules": ("某县办法", body)})
    with SearchIndex(index_dir, cache_size=0) as live:
        for query, section in (("人社局", "rules:s-0"), ("医保", "rules:s-0"), ("税", "rules:s-1")):
            found = search(live, query, collapse=False)
            assert [hit.id for hit in found.hits] == [section], query
            assert not found.relaxed


def test_one_character_finds_it_inside_any_word(tmp_path: Path) -> None:
    """税 typed alone finds the sections whose 税 is only inside words (减税降费, and 所得税
    at the end of a run) as well as the one where it is a word; quoted, 营 finds 营商环境."""
    documents = {
        "word": ("某县办法", "第一条 税由税务机关征收。\n"),
        "inside": ("某县报告", "一、落实减税降费政策，优化营商环境。\n"),
        "run_end": ("某县通知", "一、依法缴纳个人所得税。\n"),
        "none": ("某县规则", "一、加强安全生产管理。\n"),
    }
    with SearchIndex(_county_index(tmp_path, "财政", documents), cache_size=0) as live:
        found = search(live, "税", collapse=False)
        assert {hit.doc_id for hit in found.hits} == {"word", "inside", "run_end"}
        assert not found.relaxed
        marked = {hit.doc_id: "".join(html(hit)) for hit in found.hits}
        assert "减<mark>税</mark>降费" in marked["inside"]
        assert "所得<mark>税</mark>" in marked["run_end"]
        quoted = search(live, '"营"', collapse=False)
        assert [hit.doc_id for hit in quoted.hits] == ["inside"]
        assert "<mark>营</mark>商环境" in "".join(html(quoted.hits[0]))


def test_a_term_the_segmenter_cuts_into_characters_needs_them_side_by_side(
    tmp_path: Path,
) -> None:
    """须经 is no word to the segmenter (须 | 经): a section with 须 and 经 apart does not
    say it, and neither character is marked alone."""
    said = "第一条 设立分支机构，须经主管部门批准。\n"
    apart = "第一条 申请人须提交材料，经审核后发放。\n"
    documents = {"said": ("said", said), "apart": ("apart", apart)}
    with SearchIndex(_county_index(tmp_path, "工商", documents), cache_size=0) as live:
        found = search(live, "须经", collapse=False)
        assert [hit.doc_id for hit in found.hits] == ["said"]
        marked = "".join(html(found.hits[0]))
        assert "<mark>须经</mark>主管" in marked
        assert marked.count("<mark>") == 1
        assert [hit.doc_id for hit in search(live, "须经 批准", collapse=False).hits] == ["said"]
        # Relaxed, the characters still count only side by side: neither is marked alone.
        relaxed = search(live, "须经 提交 审核 发放", collapse=False)
        found = {hit.doc_id: hit for hit in relaxed.hits}
        assert relaxed.relaxed and set(found) == {"said", "apart"}
        assert "<mark>须</mark>" not in "".join(html(found["apart"]))
        assert "<mark>须经</mark>" in "".join(html(found["said"]))


def test_a_term_of_filler_characters_asks_for_its_word(tmp_path: Path) -> None:
    """我被骗了 (我|被|骗|了) asks for 骗: its fillers are no part of a run to find."""
    body = "第一条 消费者被骗的，可以向市场监督管理部门投诉。\n"
    index_dir = _county_index(tmp_path, "市场", {"fraud": ("某县办法", body)})
    with SearchIndex(index_dir, cache_size=0) as live:
        for query in ("我被骗了", "被骗了怎么办", "被骗"):
            assert [hit.doc_id for hit in search(live, query).hits] == ["fraud"], query


def test_a_word_typed_with_the_wrong_character_of_its_sound_is_corrected_to_it(
    tmp_path: Path,
) -> None:
    """政府信息工开: 工开 for 公开, as a pinyin input method types it. 政府信息工作, one
    character away too and found more often, is not what was meant."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sections = [f"第{n}条 政府信息工作应当规范有序。" for n in "一二三四五六七八九十"]
    sections += [f"第十{n}条 政府信息公开应当及时准确。" for n in "一二三"]
    (corpus / "rules.txt").write_text(
        _document("法律", "某县政府办", "某县政务规定", "\n".join(sections) + "\n"), "utf-8"
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix") as live:
        assert search(live, "政府信息工开").suggestion == "政府信息公开"
        assert search(live, "政府信息公开").suggestion is None
        assert search(live, "行攻").suggestion is None  # no sound alike, nothing one edit away


def test_a_passage_found_as_it_is_gets_no_suggestion(tmp_path: Path) -> None:
    """A copied passage's rare words are words it cut, not typos: no "did you mean"."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sections = [f"第{n}条 行政机关应当依法履行职责。" for n in "一二三四五六七八九十"]
    sections += ["第十一条 行攻的人员依法处理。"]
    sections += [f"第十{n}条 行政的人员依法处理。" for n in "二三"]
    (corpus / "rules.txt").write_text(
        _document("法律", "某县司法局", "某县管理规定", "\n".join(sections) + "\n"), "utf-8"
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix") as live:
        assert search(live, "行攻").suggestion == "行政"  # typed: a typo, most likely
        assert search(live, "行攻 人员").suggestion == "行政 人员"
        copied = search(live, "行攻的人员依法处理")
        assert copied.full_matches == 1 and copied.suggestion is None


def test_pasted_text_found_as_it_is_is_not_relaxed(index: SearchIndex) -> None:
    pasted = search(index, "建设单位应当将扬尘污染防治费用列入工程造价", collapse="false")
    assert not pasted.relaxed and pasted.total == pasted.full_matches == 1
    assert pasted.suggestion is None
    assert "<mark>" in html(pasted.hits[0])[0]


def test_a_short_query_with_a_typo_gets_a_suggestion(index: SearchIndex) -> None:
    typo = search(index, "营商环竟")
    assert typo.suggestion == "营商环境"
    assert search(index, "营商环境").suggestion is None


def test_filters_and_facets_count_the_whole_result_set(index: SearchIndex) -> None:
    results = search(index, "工作", size=1)
    sections = all_sections(index, "工作")
    assert results.total == len({h.doc_id for h in sections.hits})
    agency_counts = {f.value: f.count for f in results.facets["agency"]}
    expected: dict[str, set[str]] = {}
    for hit in sections.hits:
        expected.setdefault(hit.agency, set()).add(hit.doc_id)
    assert agency_counts == {agency: len(docs) for agency, docs in expected.items()}
    years = [f.value for f in results.facets["year"]]
    assert years == sorted(years, reverse=True)


def test_facets_of_a_filter_keep_the_other_values_and_mark_the_selected(
    index: SearchIndex,
) -> None:
    unfiltered = search(index, "工作")
    filtered = search(index, "工作", agencies=["县科学技术局"])
    agencies = {f.value: (f.count, f.selected) for f in filtered.facets["agency"]}
    assert agencies["县科学技术局"][1] is True
    assert {f.value for f in filtered.facets["agency"]} == {
        f.value for f in unfiltered.facets["agency"]
    }
    assert filtered.total == agencies["县科学技术局"][0]
    assert sum(f.count for f in filtered.facets["year"]) == filtered.total
    chosen = search(index, "工作", year="2019-2021")
    assert {f.value for f in chosen.facets["year"] if f.selected} == {2019, 2020, 2021}


def test_collapse_gives_one_hit_per_document_with_the_rest_counted(index: SearchIndex) -> None:
    collapsed = search(index, "扬尘", size=100)
    assert len(doc_ids(collapsed)) == len(set(doc_ids(collapsed))) == collapsed.total
    top = collapsed.hits[0]
    inside = search(index, "扬尘", doc_id=top.doc_id, size=100)
    assert not inside.request.collapse
    assert top.more_sections == inside.total - 1 > 0
    assert inside.hits[0].id == top.id  # the best section represents its document
    assert collapsed.total_sections == all_sections(index, "扬尘").total


def test_within_a_document_nothing_found_is_empty_and_an_unknown_document_an_error(
    index: SearchIndex,
) -> None:
    known = search(index, "扬尘", size=1).hits[0].doc_id
    assert search(index, "量子计算机", doc_id=known).total == 0
    with pytest.raises(QueryError) as raised:
        search(index, "扬尘", doc_id=known + "-gone")
    assert raised.value.parameter == "doc" and known + "-gone" in raised.value.explanation


def test_sort_by_date_newest_first(index: SearchIndex) -> None:
    results = search(index, "工作", sort="date", size=100)
    dates = [hit.date or "" for hit in results.hits]
    assert dates == sorted(dates, reverse=True) and len(set(dates)) > 3
    assert {h.id for h in results.hits} == {h.id for h in search(index, "工作", size=100).hits}


def test_pages_are_disjoint_and_add_up_to_the_total(index: SearchIndex) -> None:
    whole = all_sections(index, "工作")
    pages = [all_sections(index, "工作", page=p, size=7) for p in (1, 2, 3)]
    ids = [h.id for page in pages for h in page.hits]
    assert ids == [h.id for h in whole.hits][:21]
    assert all(page.total == whole.total for page in pages)
    beyond = search(index, "工作", page=50)
    assert beyond.hits == [] and beyond.total == whole_documents(whole)


def whole_documents(results: SearchResults) -> int:
    return len({h.doc_id for h in results.hits})


def test_passage_is_the_sentence_with_the_matches(index: SearchIndex) -> None:
    results = search(index, "扬尘 工程造价", size=1)
    assert html(results.hits[0]) == [
        "第五条 建设单位应当将<mark>扬尘</mark>污染防治费用列入<mark>工程造价</mark>，"
        "并在施工承包合同中明确施工单位的<mark>扬尘</mark>污染防治责任。"
    ]


HEADER = """索 引 号: | 000000001/2024-00001 | 主题分类: | 人事 |
发布机构: | 测试县人力资源和社会保障局 | 成文日期: | 2024年01月02日 |
标 题: | 测试县人力资源和社会保障局关于网页代码的说明 | ||
发文字号: | 测人社发〔2024〕1号 | 发布日期: | 2024年01月03日 |
"""


def test_synonyms_and_markup_in_passages(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text(
        HEADER + "一、说明\n本局即测试县人力资源和社会保障局，网页中的<script>alert(1)</script>"
        "是代码，不会执行。\n",
        encoding="utf-8",
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix") as live:
        [hit] = search(live, "人社局 代码").hits
    assert html(hit) == [
        "一、说明 本局即测试县<mark>人力资源和社会保障局</mark>，网页中的&lt;script&gt;alert(1)"
        "&lt;/script&gt;是<mark>代码</mark>，不会执行。"
    ]


def _county_index(tmp_path: Path, topic: str, documents: dict[str, tuple[str, str]]) -> Path:
    """An index of the county government's `documents` (name -> title, body) on `topic`."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, (title, body) in documents.items():
        (corpus / f"{name}.txt").write_text(_document(topic, "某县人民政府", title, body), "utf-8")
    full_build(corpus, tmp_path / "ix", procs=1)
    return tmp_path / "ix"


def _document(topic: str, agency: str, title: str, body: str) -> str:
    return (
        f"索 引 号: | | 主题分类: | {topic} |\n"
        f"发布机构: | {agency} | 成文日期: | 2020年01月02日 |\n"
        f"标 题: | {title} | ||\n"
        "发文字号: | | 发布日期: | 2020年01月03日 |\n" + body
    )


def test_a_national_law_ranks_above_a_local_regulation_with_the_same_words(
    tmp_path: Path,
) -> None:
    article = "第十条 物业服务人应当按照约定提供物业服务，业主应当按照约定支付物业费。\n"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "local.txt").write_text(
        _document("地方性法规/山东", "山东省人民代表大会常务委员会", "山东省物业管理条例", article),
        encoding="utf-8",
    )
    # the kind decides, not the portal's topic: a law filed under another topic is a law
    (corpus / "national.txt").write_text(
        _document("城乡建设", "全国人民代表大会常务委员会", "物业管理法", article), encoding="utf-8"
    )
    (corpus / "report.txt").write_text(
        _document("城乡建设", "某县住房和城乡建设局", "某县物业管理工作报告", article),
        encoding="utf-8",
    )
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix") as live:
        results = search(live, "业主不交物业费怎么办？")
    assert doc_ids(results) == ["national", "local", "report"]
    assert [hit.kind for hit in results.hits] == ["法律", "地方性法规", "工作报告"]
    # a report binds no one: it ranks as the lowest binding kind, below every regulation
    scores = {hit.doc_id: hit.score for hit in results.hits}
    for doc_id, kind in (("local", "地方性法规"), ("report", "工作报告")):
        assert scores[doc_id] == pytest.approx(scores["national"] * authority_factor(kind))
    assert authority_factor("工作报告") == authority_factor("规范性文件")


def test_every_kind_has_an_authority_factor(tmp_path: Path) -> None:
    factors = load_authority()
    assert set(factors) == set(KINDS)
    hierarchy = ["法律", "行政法规", "部门规章", "地方性法规", "规范性文件"]
    assert [factors[k] for k in hierarchy] == sorted((factors[k] for k in hierarchy), reverse=True)
    assert authority_factor("") == factors["其他"]  # a section indexed without a kind
    table = tmp_path / "authority.tsv"
    table.write_text("法律\t1.0\n行政法规\t0.8\n", encoding="utf-8")
    with pytest.raises(ValueError, match="kinds without a factor"):
        load_authority(table)
    table.write_text("".join(f"{kind}\t{0 if kind == '其他' else 1}\n" for kind in KINDS), "utf-8")
    with pytest.raises(ValueError, match="above 0"):  # its logarithm weighs meaning
        load_authority(table)


def test_topic_filter_keeps_only_that_topic(index: SearchIndex) -> None:
    everything = search(index, "管理", size=100)
    education = search(index, "管理", topic="教育", size=100)
    assert education.hits and {h.topic for h in education.hits} == {"教育"}
    assert [h.id for h in education.hits] == [h.id for h in everything.hits if h.topic == "教育"]
    topics = {f.value: f for f in education.facets["topic"]}
    assert topics["教育"].selected and topics["教育"].count == education.total
    assert len(topics) > 1  # the other topics stay listed, with their counts


@pytest.mark.parametrize("question", ["什么是扬尘？", "扬尘是什么", "请问扬尘污染怎么办？"])
def test_a_question_about_one_thing_finds_it(index: SearchIndex, question: str) -> None:
    results = search(index, question)
    assert results.total and results.hits[0].doc_id == "samples/2018_jincheng_dust_measures"


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("行政", "行攻", True),  # replaced
        ("营商环境", "营商环", True),  # dropped
        ("营商环", "营商环境", True),  # added
        ("营环商境", "营商环境", True),  # swapped neighbours
        ("营商环境", "营商环境", False),  # the same word
        ("环营商境", "营商环境", False),  # two edits
        ("行政", "行政处罚", False),
    ],
)
def test_one_edit_apart_is_damerau_levenshtein_distance_one(a: str, b: str, close: bool) -> None:
    assert one_edit_apart(a, b) is close
    assert (damerau_levenshtein(a, b) == 1) is close


def test_close_words_are_whooshs_corrections(index: SearchIndex) -> None:
    with index.searcher() as searcher:
        corrector = searcher.corrector("body")
        tried = 0
        for word in ("行攻", "营商环镜", "扬尘污", "科技项", "管里"):
            assert not searcher.doc_frequency("body", word)  # a typo: never its own correction
            whooshs = corrector.suggest(word, limit=3, maxdist=1, prefix=1)
            assert [w for w, _ in close_words(searcher, word)] == whooshs
            tried += bool(whooshs)
        assert tried >= 2


def _law(folder: Path, name: str, title: str, articles: dict[str, str]) -> None:
    header = (
        "索 引 号: | | 主题分类: | 法律 |\n发布机构: | 全国人民代表大会 | 成文日期: | |\n"
        f"标 题: | {title} | ||\n发文字号: | 发布日期: | 2020年05月28日 |\n"
    )
    body = "\n".join(f"{heading} {text}" for heading, text in articles.items())
    (folder / name).write_text(header + body + "\n", "utf-8")


def test_a_cited_article_comes_before_the_sections_that_cite_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _law(
        corpus,
        "code.txt",
        "中华人民共和国民法典 合同编",
        {
            "第五百零八条": "本编对合同的效力没有规定的，适用本法第一编第六章的有关规定。",
            "第五百零九条": "当事人应当按照约定全面履行自己的义务。",
            "第五百一十条": "合同生效后，当事人就质量、价款等内容没有约定的，可以协议补充。",
        },
    )
    _law(
        corpus,
        "reading.txt",
        "最高人民法院关于合同履行的解释",
        {
            "第一条": "当事人违反民法典第五百零九条规定的义务的，人民法院应当依法处理。",
            "第五百零九条": "本解释自公布之日起施行，民法典另有规定的除外。",
        },
    )
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        for typed in (
            "民法典第五百零九条",
            "民法典第509条",
            "民法典 第５０９条",
            "《民法典》第五〇九条第一款",
            "民法典509条",
        ):
            first = search(index, typed).hits[0]
            assert (first.doc_id, first.heading) == ("code", "第五百零九条"), typed
        # the article alone: every law's article of that number, before a citation of it
        headings = [hit.heading for hit in all_sections(index, "第509条").hits]
        assert headings[:2] == ["第五百零九条", "第五百零九条"] and "第一条" in headings


def test_an_articles_number_in_pieces_finds_no_other_article(tmp_path: Path) -> None:
    """Where the law cited is not in the index, its article's number in pieces (九条 of
    第五百零九条) must not find every 第九条 of another regulation; where a relaxed search
    has other words, the article still ranks whole, as the section it is."""
    dust = "第九条 施工单位应当采取扬尘防治措施。\n第十条 运输车辆应当密闭。\n"
    code = (
        "第五百零九条 当事人应当按照约定全面履行自己的义务。\n"
        "第五百一十条 合同生效后，当事人就质量约定不明确的，可以协议补充。\n"
    )
    documents = {"dust": ("某县扬尘防治办法", dust), "code": ("中华人民共和国民法典", code)}
    with SearchIndex(
        _county_index(tmp_path, "环境", {"dust": documents["dust"]}), cache_size=0
    ) as live:
        found = search(live, "民法典第509条", collapse=False)
        assert not found.hits, [hit.id for hit in found.hits]
    other = tmp_path / "with-code"
    other.mkdir()
    with SearchIndex(_county_index(other, "环境", documents), cache_size=0) as live:
        relaxed = search(live, "民法典第509条 约定 质量", collapse=False)
        assert relaxed.relaxed
        assert relaxed.hits[0].id == "code:s-0"  # the article, though 质量 is in 第五百一十条


def test_a_law_cited_by_its_short_name_is_the_one_titled_so(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # its article sits deeper (a chapter's section), which alone would rank it lower
    _law(
        corpus,
        "insurance.txt",
        "中华人民共和国保险法",
        {
            "第二章": "保险合同",
            "第二节": "人身保险合同",
            "第四十五条": "因被保险人故意犯罪导致其伤残或者死亡的，保险人不承担给付保险金的责任。",
        },
    )
    # holds the short name in its title
    _law(
        corpus,
        "social.txt",
        "中华人民共和国社会保险法",
        {"第四十五条": "失业人员符合下列条件的，从失业保险基金中领取失业保险金。"},
    )
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        for typed in ("保险法第四十五条", "保险法 第45条"):
            assert doc_ids(search(index, typed)) == ["insurance", "social"], typed
        assert doc_ids(search(index, "中华人民共和国保险法第45条")) == ["insurance"]
        assert doc_ids(search(index, "社会保险法第45条")) == ["social"]


# 中华人民共和国刑法 and two of its amendments, from the shared corpus
CRIMINAL_LAW = "01985_8f3afb1c3f278282.txt"
AMENDMENTS = ("01992_529d31744beac168.txt", "01989_dc86f78136fd7da3.txt")


def test_a_cited_article_comes_before_headings_that_only_mention_it(
    shared_corpus: Path, tmp_path: Path
) -> None:
    """An amendment heads its items with the article they change (四十二、将刑法第三百五十八条
    修改为): such a heading holds the citation whole, and its text the article's new words,
    but it is not the article."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (CRIMINAL_LAW, *AMENDMENTS):
        (corpus / name).symlink_to(shared_corpus / name)
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        for typed in ("刑法第三百五十八条", "刑法第358条", "《刑法》第358条第一款", "刑法358条"):
            hits = search(index, typed).hits
            assert (hits[0].title, hits[0].heading) == ("中华人民共和国刑法", "第三百五十八条")
            assert {hit.heading[:3] for hit in hits[1:3]} == {"四十八", "四十二"}, typed


def test_a_query_that_is_a_documents_name_finds_that_document_first(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    code = {"第一条": "为了惩罚犯罪，保护人民，制定本法。", "第二条": "刑法的任务是惩罚犯罪。"}
    _law(corpus, "code.txt", "中华人民共和国刑法", code)
    # say 刑法 more often, in titles that hold the name but are not it
    amending = {"一、": "将刑法第一百九十九条修改为：刑法另有规定的，依照刑法。"}
    for part in "一二三":
        _law(corpus, f"amend-{part}.txt", f"中华人民共和国刑法修正案（{part}）", amending)
    reading = {"第一条": "刑法第一条所称犯罪，依照刑法认定。"}
    _law(corpus, "reading.txt", "最高人民法院关于适用《中华人民共和国刑法》的解释", reading)
    _law(
        corpus,
        "civil.txt",
        "中华人民共和国民法典 合同编",
        {"第四百六十四条": "合同是民事法律关系的协议。"},
    )
    _law(
        corpus,
        "civil-reading.txt",
        "最高人民法院关于适用《中华人民共和国民法典》合同编的解释",
        {"第一条": "人民法院依照民法典第四百六十四条的规定认定合同，民法典另有规定的除外。"},
    )
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        for typed in ("刑法", "《刑法》", "中华人民共和国刑法", "刑法 犯罪"):
            assert doc_ids(search(index, typed))[0] == "code", typed
        assert doc_ids(search(index, "民法典"))[0] == "civil"  # a part of the code
        assert "code" not in doc_ids(search(index, "刑法修正案"))
        assert doc_ids(search(index, '"刑法"'))[0] != "code"  # a quoted run is only its text


def test_a_pasted_sentence_found_whole_is_not_relaxed_but_a_question_is(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _law(
        corpus,
        "labour.txt",
        "某市劳动用工条例",
        {
            "第九条": "用人单位违法解除劳动合同，劳动者要求继续履行的，用人单位应当继续履行。",
            "第十条": "劳动者提前三十日以书面形式通知用人单位，可以解除劳动合同。",
        },
    )
    _law(
        corpus,
        "other.txt",
        "某市工资支付条例",
        {
            "第三条": "用人单位应当按时足额支付劳动者工资，不得克扣。",
        },
    )
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        pasted = search(index, "用人单位违法解除劳动合同，劳动者要求继续履行的")
        assert not pasted.relaxed and pasted.total_sections == 1
        assert pasted.hits[0].heading == "第九条"
        asked = search(index, "用人单位违法解除劳动合同，劳动者能要求继续履行吗")
        assert asked.relaxed and asked.total_sections == 3


def test_choosing_a_facet_value_finds_what_its_count_said(tmp_path: Path) -> None:
    """A question that enough sections hold whole is not relaxed when a value with few of
    them is chosen: the value's count is what choosing it finds. Where a fixed value (a
    portal's widget) allows no section with every word, its sections with some are found."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    whole, part = "农村宅基地审批手续由乡镇人民政府办理。", "农村宅基地实行一户一宅。"
    documents = [("甲县人民政府", whole)] * FEW_HITS + [("乙县人民政府", whole)]
    documents += [("乙县人民政府", part)] * 2 + [("丙县人民政府", part)]
    for number, (agency, body) in enumerate(documents):
        title = f"关于农村住房建设的通知（{number + 1}）"
        document = _document("城乡建设", agency, title, body + "\n")
        (corpus / f"d{number}.txt").write_text(document, "utf-8")
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    question = "农村宅基地审批手续怎么办？"
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        everywhere = search(index, question)
        assert not everywhere.relaxed
        counts = {value.value: value.count for value in everywhere.facets["agency"]}
        assert counts == {"甲县人民政府": FEW_HITS, "乙县人民政府": 1}
        chosen = search(index, question, agency="乙县人民政府")
        assert not chosen.relaxed and chosen.total == 1
        fixed = search(index, question, agency="丙县人民政府")
        assert fixed.relaxed and fixed.total == 1 and fixed.full_matches == 0


# Two laws of the shared corpus (反间谍法 in two versions), the regulations that implement
# them, and a province's measures: every article of these cites its law by its full title.
NAMED_LAWS = {
    "中华人民共和国反间谍法": ("02729_a7037a5f980132dc.txt", "02730_fddbccc833935e6a.txt"),
    "中华人民共和国食品安全法": ("02817_8bd31adb97a64cc0.txt",),
}
CITING_NAMED_LAWS = (
    "02997_a11a2a6de81e904a.txt",  # 中华人民共和国反间谍法实施细则
    "03497_c0b80413acc9b00f.txt",  # 中华人民共和国食品安全法实施条例
    "00182_4a6a8b9ff14b81de.txt",  # 上海市实施《中华人民共和国食品安全法》办法
)


def test_a_law_typed_by_its_full_title_comes_before_what_cites_it(
    shared_corpus: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (*CITING_NAMED_LAWS, *(f for files in NAMED_LAWS.values() for f in files)):
        (corpus / name).symlink_to(shared_corpus / name)
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        for title in NAMED_LAWS:
            for typed in (title, title.removeprefix("中华人民共和国"), f"《{title}》"):
                assert search(index, typed).hits[0].title == title, typed
