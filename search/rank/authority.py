"""Legal hierarchy (效力级别) as a ranking prior.

Chinese legal databases rank a law above an administrative regulation above a local
regulation that implements it, because the higher one binds everywhere. `data/authority.tsv`
gives each kind of document (the 主题分类 topic, or its part before `/`) a factor that
multiplies a section's score; kinds not listed (most portal documents: reports, notices)
keep 1.0, so a portal that publishes no regulations ranks exactly as without it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import scoring

from search import config

AUTHORITY_FILE = config.DATA_DIR / "authority.tsv"


@functools.cache
def load_authority(path: Path = AUTHORITY_FILE) -> dict[str, float]:
    factors = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            kind, factor = line.split()
            factors[kind] = float(factor)
    return factors


def authority_factor(topic: str) -> float:
    """The factor for a topic such as `地方性法规/山东`: its own entry, else its kind's."""
    factors = load_authority()
    if topic in factors:
        return factors[topic]
    return factors.get(topic.split("/", 1)[0], 1.0)


def section_priors(topics: Sequence[str], topic_codes: np.ndarray) -> np.ndarray:
    """Each section's prior, by document number, from its topic's code into `topics`."""
    factors = [authority_factor(topic) for topic in topics]
    return np.array(factors)[topic_codes] if factors else np.zeros(0)


class PriorWeighting(scoring.BM25F):  # type: ignore[misc]
    """BM25F, each document's score multiplied by its prior (indexed by document number)."""

    use_final = True

    def __init__(self, priors: Sequence[float] | np.ndarray, **bm25_options: Any) -> None:
        super().__init__(**bm25_options)
        self.priors = np.asarray(priors, dtype=np.float64)

    def final(self, searcher: Any, docnum: int, score: float) -> float:
        return score * self.priors[docnum]
