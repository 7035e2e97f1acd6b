from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from search import highlight
from search.cli import terminal_passage
from search.engine.postings import SegmentArrays
from search.highlight import (
    Passage,
    merge_spans,
    paragraphs,
    passage_html,
    passages,
    run_spans,
    word_spans_of,
)
from search.index.live import SearchIndex
from search.query.compile import compile_query
from search.query.request import SearchRequest
from search.rank.ranking import score_all, segments_of
from search.results import run_search
from search.text.normalize import normalize

TEXT = (
    "第一条 为了规范管理，制定本办法。"
    "第二条 本办法所称<script>标签</script>，是指网页中的代码。"
    "第三条 各单位应当按照规定报送统计数据，不得虚报、瞒报。"
)


def test_matches_are_marked_and_everything_else_escaped() -> None:
    start = TEXT.index("<script>")
    [passage] = map(passage_html, passages(TEXT, [(start, start + len("<script>"))], limit=1))
    assert "<mark>&lt;script&gt;</mark>标签&lt;/script&gt;" in passage
    assert "<script>" not in passage.replace("<mark>&lt;script&gt;</mark>", "")


def test_passage_is_cut_at_sentence_punctuation() -> None:
    start = TEXT.index("统计数据")
    assert list(map(passage_html, passages(TEXT, [(start, start + 4)]))) == [
        "第二条 本办法所称&lt;script&gt;标签&lt;/script&gt;，"
        "是指网页中的代码。第三条 各单位应当按照规定报送<mark>统计数据</mark>，不得虚报、瞒报。"
    ]


def test_best_passage_first_long_runs_weigh_more() -> None:
    text = ("甲" * 150) + "科技" + ("乙" * 150) + "科技项目扶持" + ("丙" * 150) + "科技"
    spans = run_spans(text, ["科技项目扶持"]) + run_spans(text, ["科技"])
    result = list(map(passage_html, passages(text, spans, limit=2)))
    assert "<mark>科技项目扶持</mark>" in result[0]
    assert "<mark>科技</mark>" in result[1]


def test_runs_are_found_in_the_normalised_text() -> None:
    assert run_spans("政府資訊公開", ["资讯"]) == [(2, 4)]
    assert merge_spans([(5, 8), (0, 2), (1, 3), (8, 9)]) == [(0, 3), (5, 9)]


def test_no_match_gives_the_opening_of_the_text() -> None:
    assert list(map(passage_html, passages("第一句。第二句。", []))) == ["第一句。第二句。"]


def test_passage_offsets_point_at_the_section_text_and_the_matches() -> None:
    text = TEXT + "其他内容。" * 40 + TEXT
    words = ["<script>", "统计数据", "规范管理"]
    found = passages(text, run_spans(text, words))
    assert len(found) == 2 and found[1].start > len(TEXT)
    for passage in found:
        assert text[passage.start : passage.end] == passage.text
        for start, end in passage.marks:
            assert passage.text[start:end] in words
            assert text[passage.start + start : passage.start + end] == passage.text[start:end]
    assert {p.text[s:e] for p in found for s, e in p.marks} == set(words)


def test_passages_leave_out_whitespace_at_their_ends_unless_matched() -> None:
    text = "  第一段 \n\n 第二段有关键词\u3000\n关键词 在前"
    lines = paragraphs(text, run_spans(text, ["关键词"]))
    assert [(p.start, p.end, p.text, p.marks) for p in lines] == [
        (2, 5, "第一段", ()),
        (9, 16, "第二段有关键词", ((4, 7),)),
        (18, 24, "关键词 在前", ((0, 3),)),
    ]
    assert not any(p.cut_before or p.cut_after for p in lines)
    spaced = Passage(start=0, end=3, text=" 词 ", marks=((0, 1),))
    assert passage_html(spaced) == "<mark> </mark>词 "


def test_html_formatter_escapes_the_text_once_and_marks_the_matches() -> None:
    text = "第一条 A&B 与 &lt;已转义&gt; 不同，<b>粗体</b>仍是文字。"
    spans = run_spans(text, ["<b>粗体</b>", "&lt;"])
    [passage] = passages(text, spans)
    assert passage.text == text  # data: the text as the document has it
    assert passage_html(passage) == (
        "第一条 A&amp;B 与 <mark>&amp;lt;</mark>已转义&amp;gt; 不同，"
        "<mark>&lt;b&gt;粗体&lt;/b&gt;</mark>仍是文字。"
    )


def test_terminal_formatter_draws_the_text_as_it_is() -> None:
    text = "前文，A&B <b>粗体</b> &lt;原样&gt;\n下一行，后文没有句号"
    head, start = text.index("A"), text.index("<b>")
    passage = Passage(
        start=head,
        end=len(text),
        text=text[head:],
        marks=((start - head, start - head + len("<b>粗体</b>")),),
        cut_before=True,
        cut_after=True,
    )
    assert terminal_passage(passage, colour=False) == (
        "…A&B 【<b>粗体</b>】 &lt;原样&gt; 下一行，后文没有句号…"
    )
    assert terminal_passage(passage, colour=True) == (
        "…A&B \x1b[1;33m<b>粗体</b>\x1b[0m &lt;原样&gt; 下一行，后文没有句号…"
    )
    assert passage_html(passage) == (
        "…A&amp;B <mark>&lt;b&gt;粗体&lt;/b&gt;</mark> &amp;lt;原样&amp;gt; 下一行，后文没有句号…"
    )


def test_spans_of_many_documents_equal_spans_of_each(sample_index: Path) -> None:
    words = ["管理", "扬尘", "科技"]
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        docnums = list(range(searcher.doc_count_all()))
        together = word_spans_of(searcher, "body", reversed(docnums), words)
        for docnum in docnums:
            alone = word_spans_of(searcher, "body", [docnum], words)[docnum]
            assert together[docnum] == alone
        assert sum(map(len, together.values())) > 20


def test_spans_from_the_flat_files_equal_whooshs_and_cover_the_words(
    sample_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = ["管理", "扬尘", "科技", "应当", "没有这个词"]  # the last in no segment
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        docnums = list(range(searcher.doc_count_all()))
        flat = word_spans_of(searcher, "body", docnums, words)
        monkeypatch.setattr(highlight, "segment_arrays", lambda reader: None)
        assert word_spans_of(searcher, "body", docnums, words) == flat
        marked = 0
        for docnum, spans in flat.items():
            body = normalize(searcher.stored_fields(docnum)["body"])
            for start, end in spans:
                assert body[start:end] in words
                marked += 1
        assert marked > 20


def test_spans_read_with_the_searchs_segments_equal_spans_read_afresh(
    sample_index: Path,
) -> None:
    words = ["管理", "应当", "科技", "没有这个词"]
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        segments = segments_of(searcher)
        found = score_all(searcher, compile_query("管理").strict, segments)
        docnums = found.docs.tolist()
        searched = [segment for segment, _ in segments]
        afresh = word_spans_of(searcher, "body", docnums, words)
        assert word_spans_of(searcher, "body", docnums, words, searched) == afresh
        assert sum(map(len, afresh.values())) > 20


def test_a_search_reads_each_run_of_postings_once(
    sample_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The passages' words were mostly read by the search that found them: their document
    numbers and counts are not read from the files again."""
    read: dict[str, list[tuple[int, int, int]]] = {"docs": [], "weights": []}
    for kind, runs in read.items():
        original = getattr(SegmentArrays, kind)

        def noted(
            arrays: SegmentArrays, start: int, end: int, runs: Any = runs, original: Any = original
        ) -> np.ndarray:
            runs.append((id(arrays), start, end))
            return original(arrays, start, end)

        monkeypatch.setattr(SegmentArrays, kind, noted)
    with SearchIndex(sample_index, cache_size=0) as index:
        results = run_search(index, SearchRequest.create("管理"))
    assert any("<mark>" in passage_html(p) for hit in results.hits for p in hit.passages)
    for kind, runs in read.items():
        again = [
            (arrays, start, end)
            for number, (arrays, start, end) in enumerate(runs)
            if any(
                other == arrays and first <= start and end <= last
                for other, first, last in runs[:number]
            )
        ]
        assert not again, kind


def test_passages_never_show_the_same_text_twice() -> None:
    # One long sentence of clauses after its heading: the second passage would start at a
    # clause before the first one's end (cut at PASSAGE_MAX, no sentence mark near).
    text = (
        "(一)做好科技支撑,持续创优营商环境\n"
        "根据县委、县政府统一部署,我单位作为包容普惠创新二级指标创新创业活跃度牵头部门,"
        "为备战优化营商环境省考工作,专门成立工作领导组,选派专人负责工作,完成文件、网页、"
        "平台截图、实景照片、数据清单等各类资料的收集整理,在规定时间内对指标涉及到的各类"
        "文件、数据等资料进行了如实提供和填报,圆满完成营商环境省考任务。"
    )
    found = passages(text, run_spans(text, ["营商环境"]))
    assert len(found) == 2
    shown = sorted((p.start, p.end) for p in found)
    assert all(end <= start for (_, end), (start, _) in zip(shown, shown[1:], strict=False))
    marked = [(p.start + s, p.start + e) for p in found for s, e in p.marks]
    assert all(text[s:e] == "营商环境" for s, e in marked)  # no match cut in two
    assert len(marked) == text.count("营商环境")
