"""bench/fusion.py: the reciprocal ranks of the release before, beside the shipped fusion."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from bench import fusion
from search.engine.docsets import Matches
from search.rank import knobs

# Sections 0-5 match the words (section 5 best); sections 6 and 7 only by meaning.
HITS = Matches(np.arange(6), np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
SIMILARITY = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.95, -np.inf], np.float32)
NEAREST = np.array([6, 0, 1])


@pytest.fixture
def reciprocal() -> Iterator[list[bool]]:
    yield fusion._RECIPROCAL_RANKS
    fusion._RECIPROCAL_RANKS[0] = False


def _order(matches: Matches) -> list[int]:
    return matches.docs[np.argsort(-matches.scores, kind="stable")].tolist()


def test_reciprocal_ranks_give_a_one_sided_find_one_vote(
    reciprocal: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(knobs, "WORD_WEIGHT", 0.5)
    reciprocal[0] = True
    # k 10 over all six word hits: 0 (sixth by words, second by meaning: 1/16 + 1/12) and
    # 1 (1/15 + 1/13) lead 5 and 6 (first on one side each, 1/11), then 4 (1/12).
    fused = fusion.fuse_as_set(HITS, NEAREST, SIMILARITY)
    assert _order(fused)[:5] == [0, 1, 5, 6, 4]
    assert fused.scores.min() > HITS.scores.max()
    # The shipped fusion (at 0.3) weighs how far ahead a score is: 6, the nearest by a
    # margin (0.7 * 1), leads 0 (0.3 / 6 + 0.7 * 0.91), and 5 (0.3 * 1) falls to the end.
    reciprocal[0] = False
    monkeypatch.setattr(knobs, "WORD_WEIGHT", 0.3)
    shipped = _order(fusion.fuse_as_set(HITS, NEAREST, SIMILARITY))
    assert shipped[:2] == [6, 0] and shipped[-1] == 5


def test_reciprocal_ranks_keep_the_other_hits_below(
    reciprocal: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(knobs, "RERANK_DEPTH", 2)  # candidates: 4, 5 by words; 6, 0, 1
    reciprocal[0] = True
    order = _order(fusion.fuse_as_set(HITS, NEAREST, SIMILARITY))
    assert set(order[:5]) == {0, 1, 4, 5, 6} and order[5:] == [3, 2]


def test_each_depth_tries_every_way_and_the_shipped_way_once() -> None:
    shipped_weight, shipped_depth = knobs.WORD_WEIGHT, knobs.DENSE_DEPTH
    settings = fusion._settings([0.2, shipped_weight], [shipped_depth, 2 * shipped_depth])
    assert next(iter(settings)) == fusion.SHIPPED
    assert settings[fusion.SHIPPED] == (shipped_weight, shipped_depth)
    deeper = 2 * shipped_depth
    assert sorted(settings.values(), key=str) == sorted(
        [(shipped_weight, shipped_depth), (None, shipped_depth), (0.2, shipped_depth)]
        + [(None, deeper), (0.2, deeper), (shipped_weight, deeper)],
        key=str,
    )
