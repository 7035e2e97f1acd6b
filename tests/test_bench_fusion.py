"""bench/fusion.py: the convex combination of a question's word scores and similarities."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bench import fusion
from search.engine.docsets import Matches

# Sections 0-5 match the words (section 5 best); sections 6 and 7 only by meaning.
HITS = Matches(np.arange(6), np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
SIMILARITY = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.95, -np.inf], np.float32)
NEAREST = np.array([6, 0, 1])


@pytest.fixture
def weight() -> Iterator[list[float | None]]:
    fusion._SIMILARITY[0] = SIMILARITY
    yield fusion._WORD_WEIGHT
    fusion._WORD_WEIGHT[0] = None
    fusion._SIMILARITY[0] = None


def _order(matches: Matches) -> list[int]:
    return matches.docs[np.argsort(-matches.scores, kind="stable")].tolist()


def test_the_word_weight_moves_the_order_from_meaning_to_words(
    weight: list[float | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fusion, "RERANK_DEPTH", 6)
    weight[0] = 1.0
    assert _order(fusion.convex_fuse(HITS, NEAREST)) == [5, 4, 3, 2, 1, 0, 6]
    weight[0] = 0.0
    assert _order(fusion.convex_fuse(HITS, NEAREST)) == [6, 0, 1, 2, 3, 4, 5]
    # Evenly: section 0 (second by meaning, last by words) 0.5 / 6 + 0.5 * 0.5 / 0.55 leads
    # sections 5 (first by words, 0.5 + 0) and 6 (first by meaning, 0 + 0.5).
    weight[0] = 0.5
    fused = fusion.convex_fuse(HITS, NEAREST)
    assert _order(fused)[:2] == [0, 1] and set(_order(fused)[-2:]) == {5, 6}
    assert fused.scores.min() > HITS.scores.max()  # every candidate above the word scores


def test_candidates_stay_above_the_other_hits_and_no_weight_fuses_reciprocal_ranks(
    weight: list[float | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fusion, "RERANK_DEPTH", 2)  # candidates: 4, 5 by words; 6, 0, 1
    weight[0] = 0.0
    order = _order(fusion.convex_fuse(HITS, NEAREST))
    assert order[:5] == [6, 0, 1, 4, 5] and order[5:] == [3, 2]
    # No weight: the shipped reciprocal ranks (k 10) over all six word hits: 0 (sixth by
    # words, second by meaning: 1/16 + 1/12) and 1 (1/15 + 1/13) lead 5 and 6 (first on one
    # side each, 1/11), then 4 (1/12).
    weight[0] = None
    assert _order(fusion.convex_fuse(HITS, NEAREST))[:5] == [0, 1, 5, 6, 4]


def test_each_depth_tries_every_way_and_the_shipped_depth_is_not_tried_twice() -> None:
    shipped = fusion.knobs.DENSE_DEPTH
    settings = fusion._settings([0.3, 0.7], [shipped, 2 * shipped])
    assert next(iter(settings)) == fusion.SHIPPED and settings[fusion.SHIPPED] == (None, shipped)
    assert sorted(settings.values(), key=str) == sorted(
        [(None, shipped), (0.3, shipped), (0.7, shipped)]
        + [(None, 2 * shipped), (0.3, 2 * shipped), (0.7, 2 * shipped)],
        key=str,
    )
