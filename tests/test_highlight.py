from __future__ import annotations

from pathlib import Path

import pytest

from search import highlight
from search.highlight import merge_spans, passages, run_spans, word_spans_of
from search.index.live import SearchIndex
from search.text.normalize import normalize

TEXT = (
    "第一条 为了规范管理，制定本办法。"
    "第二条 本办法所称<script>标签</script>，是指网页中的代码。"
    "第三条 各单位应当按照规定报送统计数据，不得虚报、瞒报。"
)


def test_matches_are_marked_and_everything_else_escaped() -> None:
    start = TEXT.index("<script>")
    [passage] = passages(TEXT, [(start, start + len("<script>"))], limit=1)
    assert "<mark>&lt;script&gt;</mark>标签&lt;/script&gt;" in passage
    assert "<script>" not in passage.replace("<mark>&lt;script&gt;</mark>", "")


def test_passage_is_cut_at_sentence_punctuation() -> None:
    start = TEXT.index("统计数据")
    assert passages(TEXT, [(start, start + 4)]) == [
        "第二条 本办法所称&lt;script&gt;标签&lt;/script&gt;，"
        "是指网页中的代码。第三条 各单位应当按照规定报送<mark>统计数据</mark>，不得虚报、瞒报。"
    ]


def test_best_passage_first_long_runs_weigh_more() -> None:
    text = ("甲" * 150) + "科技" + ("乙" * 150) + "科技项目扶持" + ("丙" * 150) + "科技"
    spans = run_spans(text, ["科技项目扶持"]) + run_spans(text, ["科技"])
    result = passages(text, spans, limit=2)
    assert "<mark>科技项目扶持</mark>" in result[0]
    assert "<mark>科技</mark>" in result[1]


def test_runs_are_found_in_the_normalised_text() -> None:
    assert run_spans("政府資訊公開", ["资讯"]) == [(2, 4)]
    assert merge_spans([(5, 8), (0, 2), (1, 3), (8, 9)]) == [(0, 3), (5, 9)]


def test_no_match_gives_the_opening_of_the_text() -> None:
    assert passages("第一句。第二句。", []) == ["第一句。第二句。"]


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
