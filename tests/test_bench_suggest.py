"""The completion benchmark's popular past queries: real texts of the table, asked as a hot
list is, and read back through a real query log."""

from __future__ import annotations

from bench.suggest import asked_counts, past_texts, popular_queries
from search.complete import Completion

TERMS = [Completion(f"术语{i}", "term", 100 - i) for i in range(40)]
TITLES = [Completion(f"国务院关于第{i}项工作的通知", "title", 1) for i in range(20)]
LONG_TITLE = Completion("国务院办公厅关于" + "进一步" * 10 + "的意见", "title", 1)
ENTRIES = TERMS + TITLES + [LONG_TITLE]


def test_past_texts_are_distinct_texts_of_the_table_the_same_for_a_seed() -> None:
    texts = past_texts(ENTRIES, 30, seed=18)
    assert len(texts) == len(set(texts)) == 30
    assert set(texts) <= {e.text for e in TERMS + TITLES}  # a long title is not asked
    assert any(t.startswith("术语") for t in texts)
    assert texts == past_texts(ENTRIES, 30, seed=18)
    assert texts != past_texts(ENTRIES, 30, seed=19)


def test_past_texts_stop_at_what_the_table_holds() -> None:
    assert sorted(past_texts(ENTRIES, 500, seed=1)) == sorted(e.text for e in TERMS + TITLES)


def test_asked_counts_fall_as_one_over_rank() -> None:
    assert asked_counts(5, top=600) == [600, 300, 200, 150, 120]
    assert asked_counts(400, top=600)[-1] == 2


def test_popular_queries_are_the_hot_list_of_a_log_that_recorded_them() -> None:
    past = popular_queries(ENTRIES, 10, seed=18)
    texts = past_texts(ENTRIES, 10, seed=18)
    assert past == list(zip(texts, asked_counts(10), strict=True))
