"""Legal hierarchy (效力级别) as a ranking prior.

Chinese legal databases rank a law above an administrative regulation above a local
regulation that implements it, because the higher one binds everywhere. `data/authority.tsv`
gives every kind of document (the `kind` field, `search.ingest.kinds`) a factor that
multiplies a section's score. A document that binds no one (a report, an explanation of a
policy, a notice) ranks as the lowest binding one: the prior says how far a document binds,
and a portal that publishes one level only ranks exactly as without it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import scoring

from search import config
from search.ingest.kinds import KINDS, OTHER

AUTHORITY_FILE = config.DATA_DIR / "authority.tsv"


@functools.cache
def load_authority(path: Path = AUTHORITY_FILE) -> dict[str, float]:
    """Factor by kind; ValueError when a kind has none or an unknown kind has one, so a kind
    added to the rules cannot rank by accident."""
    factors = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            kind, factor = line.split()
            factors[kind] = float(factor)
    if not all(factor > 0 for factor in factors.values()):
        # the meaning side takes their logarithm (search.rank.semantic.with_authority)
        raise ValueError(f"{path}: every factor must be above 0")
    if set(factors) != set(KINDS):
        missing, unknown = set(KINDS) - set(factors), set(factors) - set(KINDS)
        raise ValueError(
            f"{path}: kinds without a factor {sorted(missing)}, unknown {sorted(unknown)}"
        )
    return factors


def authority_factor(kind: str) -> float:
    """The factor for a kind of document (法律 … 其他); a section indexed without a kind
    (an empty value) is one of 其他."""
    factors = load_authority()
    return factors.get(kind, factors[OTHER])


def section_priors(kinds: Sequence[str], kind_codes: np.ndarray) -> np.ndarray:
    """Each section's prior, by document number, from its kind's code into `kinds`."""
    factors = [authority_factor(kind) for kind in kinds]
    return np.array(factors)[kind_codes] if factors else np.zeros(0)


class PriorWeighting(scoring.BM25F):  # type: ignore[misc]
    """BM25F, each document's score multiplied by its prior (indexed by document number)."""

    use_final = True

    def __init__(self, priors: Sequence[float] | np.ndarray, **bm25_options: Any) -> None:
        super().__init__(**bm25_options)
        self.priors = np.asarray(priors, dtype=np.float64)
        # What the meaning side adds, scaled (`search.rank.semantic.with_authority`).
        self.log_priors = np.log(self.priors).astype(np.float32)

    def final(self, searcher: Any, docnum: int, score: float) -> float:
        return score * self.priors[docnum]
