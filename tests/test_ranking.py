"""One scoring pass gives Whoosh's own scores; ordering, collapsing and date sorting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import query as q

from search.engine import scoring as evaluate
from search.engine.columns import document_runs
from search.engine.docsets import Matches
from search.index.build import full_build, update
from search.index.live import SearchIndex
from search.query.compile import compile_query, normalized
from search.rank.ranking import Segments, best_first, ranked, score_all, segments_of
from search.vectors.model import section_text, text_key


@pytest.fixture
def index(sample_index: Path) -> Iterator[SearchIndex]:
    with SearchIndex(sample_index) as live:
        yield live


def test_scores_are_whooshs_own(index: SearchIndex) -> None:
    query = compile_query("管理 工作").strict
    with index.searcher() as searcher:
        scores = score_all(searcher, query).as_dict()
        whoosh = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
    assert scores.keys() == whoosh.keys() and len(scores) > 10
    assert all(scores[d] == pytest.approx(whoosh[d]) for d in scores)


def test_order_collapse_and_date(index: SearchIndex) -> None:
    with index.searcher() as searcher:
        found = score_all(searcher, compile_query("管理").strict)
        values = index.columns
    scores = found.as_dict()
    docs = set(scores)
    by_score = ranked(found, values, len(docs))
    assert [scores[d] for d in by_score] == sorted(scores.values(), reverse=True)
    assert ranked(found, values, 3) == by_score[:3]

    doc_of = [values.value("doc_id", d) for d in range(values.size)]
    collapsed = ranked(found, values, len(docs), collapse=True)
    assert len(collapsed) == len({doc_of[d] for d in docs})
    # each document is represented by its best section, in the order of those sections
    assert collapsed == [d for d in by_score if d in set(collapsed)]
    for docnum in collapsed:
        same = [d for d in docs if doc_of[d] == doc_of[docnum]]
        assert scores[docnum] == max(scores[d] for d in same)

    dates = [values.value("date", d) for d in range(values.size)]
    newest = ranked(found, values, len(docs), by_date=True)
    assert [dates[d] for d in newest] == sorted((dates[d] for d in docs), reverse=True)
    for a, b in zip(newest, newest[1:], strict=False):
        if dates[a] == dates[b]:
            assert scores[a] >= scores[b]


def test_the_first_few_are_the_start_of_the_whole_order(index: SearchIndex) -> None:
    with index.searcher() as searcher:
        found = score_all(searcher, compile_query("管理").strict)
        values = index.columns
    everything = ranked(found, values, len(found))
    documents = ranked(found, values, len(found), collapse=True)
    assert len(documents) > 3
    for count in (1, 2, 3, len(documents) - 1):
        assert ranked(found, values, count) == everything[:count]
        assert ranked(found, values, count, collapse=True) == documents[:count]


def test_best_first_keeps_ties_in_document_order() -> None:
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    assert best_first(scores, 2).tolist() == [1, 2]
    assert best_first(scores, 4).tolist() == [1, 2, 4, 3]
    assert best_first(scores, 10).tolist() == [1, 2, 4, 3, 0]


@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 3000), levels=st.integers(1, 50))
def test_best_first_is_the_head_of_a_full_sort(seed: int, size: int, levels: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, levels, size).astype(float) / levels  # few levels: many ties
    everything = np.argsort(-scores, kind="stable").tolist()
    for count in {1, 10, 100, size - 1, size}:
        if count > 0:
            assert best_first(scores, count).tolist() == everything[:count]


def test_one_per_document_in_any_order(index: SearchIndex) -> None:
    """The first section of each document, whether the sections come in document order
    (one run per document) or not."""
    with index.searcher():
        values = index.columns
    codes = values.codes["doc_id"]

    def expected(docs: np.ndarray) -> list[int]:
        seen: set[int] = set()
        return [d for d in docs.tolist() if not (codes[d] in seen or seen.add(codes[d]))]

    every = np.arange(len(codes))
    assert document_runs(codes[every]) is not None  # a document's sections are together
    rng = np.random.default_rng(3)
    for docs in (every, np.sort(rng.choice(every, 40, replace=False)), rng.permutation(every)):
        assert values.one_per_document(docs).tolist() == expected(docs)
    assert document_runs(np.array([1, 1, 2, 1])) is None
    assert document_runs(np.array([1, 1, 2, 3, 3])).tolist() == [0, 2, 3]
    # runs not in code order (a document indexed again after others): still one run each
    assert document_runs(np.array([3, 3, 1, 2, 2])).tolist() == [0, 2, 3]
    assert document_runs(np.array([3, 1, 3])) is None


@pytest.mark.parametrize("text", ["管理", "工作 要求", "科技 OR 创新", "第三条"])
def test_collapsed_order_is_each_documents_best_section_by_score(
    index: SearchIndex, text: str
) -> None:
    with index.searcher() as searcher:
        values = index.columns
        found = score_all(searcher, compile_query(text).strict)
    codes = values.codes["doc_id"]
    by_score = found.docs[np.lexsort((found.docs, -found.scores))]  # ties: document order
    seen: set[int] = set()
    expected = [d for d in by_score.tolist() if not (codes[d] in seen or seen.add(codes[d]))]
    assert len(expected) > 1
    for count in (1, 3, 10, len(expected) + 5):
        assert ranked(found, values, count, collapse=True) == expected[:count]


@pytest.mark.parametrize(
    "text", ["阳城县教育局怎样管理校外培训机构的收费？", "扬尘污染防治 道路", "怎样防治扬尘污染？"]
)
def test_a_relaxed_query_reuses_what_its_strict_query_scored(
    index: SearchIndex, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scored after the strict query on the same segments, the relaxed query (which holds
    it) scores exactly as alone, without scoring the strict query's terms again."""
    compiled = compile_query(text)
    assert compiled.relaxed is not None
    assert normalized(compiled.strict) is compiled.strict  # already normal: kept as it is
    scored: list[q.Term] = []
    score_term = evaluate._term
    monkeypatch.setattr(
        evaluate, "_term", lambda term, *rest: scored.append(term) or score_term(term, *rest)
    )

    def terms_scored(query: q.Query, segments: Segments | None = None) -> tuple[Matches, int]:
        scored.clear()
        return score_all(searcher, query, segments), len(scored)

    with index.searcher() as searcher:
        alone, relaxed_terms = terms_scored(compiled.relaxed)
        segments = segments_of(searcher)
        _, strict_terms = terms_scored(compiled.strict, segments)
        shared, shared_terms = terms_scored(compiled.relaxed, segments)
    assert len(alone) > 0 and strict_terms > 0
    assert np.array_equal(shared.docs, alone.docs)
    assert np.array_equal(shared.scores, alone.scores)
    assert shared_terms == relaxed_terms - strict_terms


def test_after_an_update_documents_still_form_ascending_runs(
    corpus_copy: Path, tmp_path: Path
) -> None:
    """An update deletes a changed document's sections and adds them again at the end:
    documents are numbered by their live sections, so runs still ascend, and the columns
    read as Whoosh reads them."""
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir, procs=1)
    first = next(corpus_copy.glob("samples/*dust*"))  # not the last document indexed
    first.write_text(first.read_text("utf-8") + "\n附：扬尘管理另行规定。\n", "utf-8")
    update(corpus_copy, index_dir)
    with SearchIndex(index_dir) as live, live.searcher() as searcher:
        reader = searcher.reader()
        assert reader.has_deletions() and len(searcher.leaf_searchers()) == 2
        values = live.columns
        alive = np.array(sorted(reader.all_doc_ids()))
        runs = document_runs(values.codes["doc_id"][alive])
        assert runs is not None
        assert np.all(np.diff(values.codes["doc_id"][alive][runs]) > 0)
        for name in ("agency", "year", "topic", "doc_id", "date"):
            stored = list(reader.column_reader(name))
            assert len(set(stored)) > 1
            read = [values.value(name, d) for d in range(values.size)]
            assert [(type(v), v) for v in read] == [(type(v), v) for v in stored]
        keys = list(reader.column_reader("vector_key"))
        assert values.vector_keys.tolist() == keys
        texts = [section_text(searcher.stored_fields(d)) for d in alive.tolist()]
        assert values.vector_keys[alive].tolist() == [text_key(t) for t in texts]
