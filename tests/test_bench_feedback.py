"""bench/feedback.py: the three ways of widening a question, each on a real embedded index of
a few documents and the real bundled model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as q

from bench import feedback
from search.index.live import SearchIndex
from search.query import compile as compiling
from search.rank.semantic import meaning_by_section
from search.vectors.model import question_vector
from tests.test_hybrid import DOCUMENTS, _build_embedded

QUESTION = "房东把房子卖了，租客还能继续住吗？"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_embedded(tmp_path_factory.mktemp("feedback"))


@pytest.fixture
def index(embedded: Path) -> Iterator[SearchIndex]:
    with SearchIndex(embedded, cache_size=0) as opened:
        yield opened


def _words(query: q.Query | None) -> set[str]:
    assert query is not None
    return {text for field, text in query.iter_all_terms() if field == "body"}


def test_added_words_reach_a_questions_relaxed_query_only(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = compiling.compile_query(QUESTION)
    excluding = compiling.compile_query(QUESTION + " -商标")
    monkeypatch.setattr(compiling, "_relaxed", feedback._relaxed_with(compiling._relaxed))
    assert compiling.compile_query(QUESTION) == shipped  # nothing added: the same queries
    monkeypatch.setattr(feedback, "_EXPANSION", [("所有权", 0.4)])
    widened = compiling.compile_query(QUESTION)
    assert widened.strict == shipped.strict  # a question whose words all match ranks by them
    assert _words(widened.relaxed) - _words(shipped.relaxed) == {"所有权"}
    # nothing is added beside an exclusion, which added words would get around
    assert compiling.compile_query(QUESTION + " -商标") == excluding


def test_vector_feedback_moves_the_question_toward_its_nearest_only_when_on(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feedback, "FEEDBACK_SECTIONS", 1)
    with index.searcher():
        columns, vectors = index.columns, index.vectors
        args = (QUESTION, columns.vector_keys, columns.live, vectors)
        shipped = meaning_by_section(*args)
        assert shipped is not None
        unmoved = feedback._meaning_with_feedback(*args)
        assert unmoved is not None and np.array_equal(unmoved, shipped)
        monkeypatch.setattr(feedback, "_VECTOR_FEEDBACK", [True])
        moved = feedback._meaning_with_feedback(*args)
    assert moved is not None and moved.shape == shipped.shape and moved.dtype == shipped.dtype
    assert np.array_equal(np.isfinite(moved), np.isfinite(shipped))
    nearest = int(np.argmax(shipped))
    assert moved[nearest] > shipped[nearest]  # toward the nearest section
    others = np.isfinite(shipped) & (np.arange(len(shipped)) != nearest)
    assert (moved[others] - shipped[others]).max() < moved[nearest] - shipped[nearest]


def test_word_feedback_adds_the_found_sections_words_not_the_questions(
    index: SearchIndex,
) -> None:
    index.semantic = False
    added = feedback.word_feedback(index, "房东出租房子要签合同吗？")
    assert added
    assert not set(added) & set(compiling.content_words("房东出租房子要签合同吗？"))
    bodies = "".join(document[3] + document[0] for document in DOCUMENTS.values())
    assert all(word in bodies for word in added)


def test_term_neighbours_are_the_collections_words_nearest_the_question(
    embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feedback, "MIN_SECTIONS", 1)  # four one-section documents
    monkeypatch.setattr(feedback, "COMMON_SHARE", 1.0)
    monkeypatch.setattr(feedback, "_TERMS", {})
    feedback.load_terms(embedded, {}, tmp_path / "work")
    assert (tmp_path / "work" / "vectors.npy").is_file()  # kept for the next run
    vocabulary = list(feedback._TERMS["vocabulary"])
    question = "房子卖给别人了"
    found = feedback.term_neighbours(question)
    assert found and len(found) <= feedback.EXPANSION_TERMS["term neighbours"]
    assert all(word in vocabulary and word not in question for word in found)
    # nearest first; a word too common to tell is never added
    products = feedback._TERMS["vectors"] @ question_vector(question)
    similarity = dict(zip(vocabulary, products.tolist(), strict=True))
    assert [similarity[w] for w in found] == sorted((similarity[w] for w in found), reverse=True)
    nearest = found[0]
    monkeypatch.setitem(feedback._TERMS, "usable", np.array([w != nearest for w in vocabulary]))
    assert nearest not in feedback.term_neighbours(question)
