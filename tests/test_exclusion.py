"""Excluding documents: the set difference, whatever the order of the posting lists."""

from __future__ import annotations

from itertools import permutations
from pathlib import Path

from whoosh import query as q

from search.engine.exclusion import Without
from search.index.live import SearchIndex


def test_without_is_the_set_difference(sample_index: Path) -> None:
    words = ["营商环境", "阳城", "工作", "扬尘", "预算", "第一条", "科技"]
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        for kept, dropped in permutations(words, 2):
            a = q.Or([q.Term("body", kept), q.Term("title_bigram", kept[:2])])
            b = q.Or([q.Term("title", dropped), q.Term("title_bigram", dropped[:2])])
            expected = set(searcher.docs_for_query(a)) - set(searcher.docs_for_query(b))
            assert set(searcher.docs_for_query(Without(a, b))) == expected, (kept, dropped)
            ranked = searcher.search(Without(a, b), limit=5)
            assert {hit.docnum for hit in ranked} <= expected


def test_whoosh_and_not_alone_would_keep_an_excluded_document(sample_index: Path) -> None:
    # The case Without exists for: the excluded list starts before the kept one.
    a = q.Or([q.Term("body", "营商环境"), q.Term("title", "营商环境")])
    b = q.Term("title_bigram", "阳城")
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        kept = set(searcher.docs_for_query(a)) - set(searcher.docs_for_query(b))
        assert set(searcher.docs_for_query(q.AndNot(a, b))) != kept
        assert set(searcher.docs_for_query(Without(a, b))) == kept
