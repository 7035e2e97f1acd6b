"""Sets of document numbers: every method (binary search, a map of the segment, a merge)
gives what Python's sets give, whatever the sizes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from search.engine.docsets import Matches, intersection, member, rows_of, union

SIZE = 2_000  # small enough that a few hundred documents are "dense" (see DENSE)


def _docs(draw: st.DrawFn, most: int) -> np.ndarray:
    count = draw(st.integers(0, most))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return np.sort(rng.choice(SIZE, count, replace=False)).astype(np.int64)


@st.composite
def two_sets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    # From a handful to most of the segment, so that both methods are taken.
    return _docs(draw, draw(st.sampled_from([5, 60, 1500]))), _docs(draw, 1500)


@settings(max_examples=150, deadline=None)
@given(two_sets())
def test_membership_and_rows_are_those_of_sets(pair: tuple[np.ndarray, np.ndarray]) -> None:
    docs, among = pair
    wanted = set(among.tolist())
    expected = [d in wanted for d in docs.tolist()]
    assert member(docs, among).tolist() == expected
    assert member(docs, among, SIZE).tolist() == expected
    assert rows_of(docs.astype(np.uint32), among, SIZE).tolist() == [
        i for i, found in enumerate(expected) if found
    ]


@settings(max_examples=150, deadline=None)
@given(two_sets())
def test_intersection_is_that_of_sets(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    keys_a, keys_b = (a << 32) | 7, (b << 32) | 7  # as phrase keys are: large, ascending
    expected = sorted(set(keys_a.tolist()) & set(keys_b.tolist()))
    assert intersection(keys_a, keys_b).tolist() == expected
    assert intersection(keys_b, keys_a).tolist() == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(two_sets(), min_size=1, max_size=4))
def test_a_union_adds_each_documents_scores(pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    parts = [Matches(docs, docs * 0.5 + 1.0) for pair in pairs for docs in pair]
    expected: dict[int, float] = {}
    for part in parts:
        for doc, score in zip(part.docs.tolist(), part.scores.tolist(), strict=True):
            expected[doc] = expected.get(doc, 0.0) + score
    found = union(parts, SIZE)
    assert found.docs.tolist() == sorted(expected)
    assert found.scores.tolist() == [expected[d] for d in sorted(expected)]
