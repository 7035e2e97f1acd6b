"""bench/document_vote.py: a fused candidate raised by its document's rank."""

from __future__ import annotations

import numpy as np
import pytest

from bench.document_vote import document_vote
from search.rank.knobs import FUSION_K


def test_the_document_with_most_votes_lifts_its_sections_and_no_other_hit() -> None:
    ceiling = 1.0
    # sections 0, 2, 3 of document 0; 1 of document 1: candidates. 4 of document 2: not one.
    scores = np.array([1.09, 1.095, 1.05, 1.04, 0.5])
    documents = np.array([0, 1, 0, 0, 2])

    raised = document_vote(scores, ceiling, documents, 1.0)

    assert np.argmax(scores) == 1 and np.argmax(raised) == 0  # 0's document leads
    assert raised[0] - scores[0] == pytest.approx(1 / (FUSION_K + 1))  # first document
    assert raised[1] - scores[1] == pytest.approx(1 / (FUSION_K + 2))  # second
    assert raised[4] == scores[4]
    assert np.array_equal(document_vote(scores, ceiling, documents, 0.0), scores)
