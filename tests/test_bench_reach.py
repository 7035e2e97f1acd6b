"""bench/reach.py: how far words alone, meaning alone and either side reach, on a real
embedded index and the real bundled model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import reach, relevance
from search.rank import knobs
from tests.test_hybrid import QUESTION, _build_embedded

# The judged laws, by their titles in DOCUMENTS: the lease article answers QUESTION.
SHORT_NAMES = {"临川县民法典合同编学习读本": "读本", "临川县房屋租赁管理办法": "办法"}
ANSWER = "读本第七百二十五条"


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield _build_embedded(tmp_path_factory.mktemp("reach"))
    # The bench keeps each index it opens for the process (a worker's): close them here.
    while relevance._INDEXES:
        relevance._INDEXES.popitem()[1].close()


def test_either_side_counts_an_answer_one_side_reaches_within_the_depth() -> None:
    relevant = {"q1": {"a", "b"}, "q2": {"c"}}
    words = {"q1": ["a", "x", "b"], "q2": ["y", "z"]}
    meaning = {"q1": ["x", "y"], "q2": ["c"]}
    assert reach.share_found([words], relevant, ["q1", "q2"], 2) == pytest.approx(0.25)
    assert reach.share_found([words], relevant, ["q1", "q2"], 3) == pytest.approx(0.5)
    assert reach.share_found([meaning], relevant, ["q1", "q2"], 2) == pytest.approx(0.5)
    assert reach.share_found([words, meaning], relevant, ["q1", "q2"], 2) == pytest.approx(0.75)
    assert reach.share_found([words, meaning], relevant, ["q2"], 1) == 1.0


def test_meaning_alone_reaches_the_article_the_words_never_match(embedded: Path) -> None:
    shipped = (knobs.WORD_WEIGHT, knobs.DENSE_DEPTH)
    by_words = reach._answer(QUESTION, reach.WORDS, embedded, SHORT_NAMES, depth=150)
    by_meaning = reach._answer(QUESTION, reach.MEANING, embedded, SHORT_NAMES, depth=150)
    assert ANSWER not in by_words and "办法第五条" in by_words
    # Over two pages of MAX_SIZE, the two lease articles, each once; the unrelated laws are
    # below the meaning floor, as in a shipped search.
    assert sorted(by_meaning) == sorted([ANSWER, "办法第五条"])
    assert (knobs.WORD_WEIGHT, knobs.DENSE_DEPTH) == shipped  # the settings are put back
    relevant = {"q": {ANSWER}}
    systems = [{"q": by_words}, {"q": by_meaning}]
    assert reach.share_found(systems[:1], relevant, ["q"], 150) == 0.0
    assert reach.share_found(systems, relevant, ["q"], 2) == 1.0
