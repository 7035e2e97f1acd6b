"""Posting lists scored whole give exactly what Whoosh's matchers give, for every shape of
query that run_search builds, on a single segment and on several with deletions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import query as q

from search.engine import scoring as evaluate_module
from search.engine.scoring import QueryTerms, evaluate, walk
from search.index.build import full_build, update
from search.index.live import SearchIndex
from search.query.compile import compile_query
from search.rank.ranking import matching_docs

QUERIES = [
    "管理",  # one word: three word fields and three character-pair fields
    "扬尘污染防治",  # a longer word: character-pair phrases
    "扬尘 -道路",  # exclusion
    "科技 OR 创新",
    '"现代化产业"',  # exact run only
    "标题:报告",
    "人社局 法治",  # a synonym that is a phrase of words
    "阳城县教育局怎样管理校外培训机构的收费？",  # a relaxed question
    "技项目予以扶",  # text cut mid-word
    "人民政府",  # a word that is also a run of character pairs (checked only where not found)
    "中华人民共和国 规定",
]


def _compare(index: SearchIndex, query: q.Query) -> int:
    with index.searcher() as searcher:
        context = searcher.context()
        total = 0
        for leaf, _offset in searcher.leaf_searchers():
            fast = evaluate(query, leaf, context).as_dict()
            slow = walk(query, leaf, context)
            assert fast.keys() == slow.keys()
            assert all(fast[d] == pytest.approx(slow[d], rel=1e-6) for d in fast)
            total += len(fast)
    return total


@pytest.mark.parametrize("text", QUERIES)
def test_same_matches_and_scores_as_whoosh(sample_index: Path, text: str) -> None:
    compiled = compile_query(text)
    with SearchIndex(sample_index) as index:
        strict = _compare(index, compiled.strict)
        relaxed = _compare(index, compiled.relaxed) if compiled.relaxed is not None else 0
    assert strict + relaxed > 0


def test_several_segments_with_deleted_sections(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir)
    changed = next(corpus_copy.glob("samples/*dust*"))
    changed.write_text(changed.read_text("utf-8") + "\n附：扬尘管理另行规定。\n", "utf-8")
    update(corpus_copy, index_dir)  # the old sections are deleted, the new ones in a new segment
    with SearchIndex(index_dir) as index:
        with index.searcher() as searcher:
            assert len(searcher.leaf_searchers()) > 1 and searcher.reader().has_deletions()
        for text in ("扬尘", "扬尘管理", "管理 -施工"):
            assert _compare(index, compile_query(text).strict) > 0


def test_filter_fields_and_ranges_read_as_whoosh_reads_them(sample_index: Path) -> None:
    with SearchIndex(sample_index) as index:
        with index.searcher() as searcher:
            agency = searcher.stored_fields(0)["agency"]
            for query in (
                q.Term("agency", agency),
                q.Term("doc_number", "no such number", boost=50.0),
                q.NumericRange("year", 2019, 2021),
                q.NumericRange("year", 2020, None),
            ):
                found = matching_docs(searcher, query)
                assert found.tolist() == sorted(searcher.docs_for_query(query))
            assert len(matching_docs(searcher, q.Term("agency", agency))) > 0
        assert _compare(index, q.Term("agency", agency, boost=2.0)) > 0


@pytest.mark.parametrize("text", [*QUERIES, "营商环境 -罚款 -阳城"])
def test_a_query_looks_up_the_terms_whoosh_lists_for_it(text: str) -> None:
    compiled = compile_query(text)
    for query in (compiled.strict, compiled.relaxed):
        if query is not None:
            whooshs = list(dict.fromkeys(query.iter_all_terms(phrases=True)))
            assert QueryTerms.of(query).terms == whooshs


def test_a_run_is_checked_only_where_its_word_was_not_found(
    sample_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sections where 人民政府 was found as a word have the run 人民政府: their positions
    are not read (and the matches are still Whoosh's, above)."""
    checked: list[int] = []
    consecutive = evaluate_module._consecutive

    def counting(segment: Any, slices: Any, at: np.ndarray) -> np.ndarray:
        checked.append(len(at))
        return consecutive(segment, slices, at)

    monkeypatch.setattr(evaluate_module, "_consecutive", counting)
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        as_word = q.Term("body", "人民政府")
        as_run = q.Phrase("body_bigram", ["人民", "民政", "政府"])
        word = matching_docs(searcher, as_word)
        run = matching_docs(searcher, as_run)
        pairs = matching_docs(searcher, q.And([q.Term("body_bigram", w) for w in as_run.words]))
        assert len(word) > 0 and set(word) <= set(run) <= set(pairs)
        checked.clear()
        either = matching_docs(searcher, q.Or([as_word, as_run]))
    assert either.tolist() == run.tolist()
    assert sum(checked) == len(pairs) - len(word)  # those with the pairs but not the word
