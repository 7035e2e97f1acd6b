"""bench/facet_counts.py: each facet value's count against what choosing it finds."""

from __future__ import annotations

from pathlib import Path

from bench.facet_counts import gaps, keywords_of
from search.index.live import SearchIndex


def test_counts_are_checked_against_the_totals_found(sample_index: Path) -> None:
    with SearchIndex(sample_index, cache_size=0) as index:
        for text in ("管理", "扬尘 培训"):  # found whole: never relaxed, so exact
            checked, differing = gaps(index, text, values=3)
            assert checked >= 6 and differing == [], text


def test_a_questions_keywords_are_its_first_words() -> None:
    assert keywords_of("夫妻一方经营个体工商户所欠债务，谁偿还？") == "夫妻 一方"
