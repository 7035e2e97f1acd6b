"""Sets of a segment's document numbers as ascending arrays, with their scores: membership,
intersection and union done as array operations, each by whichever method the sizes make
cheapest (a binary search per document, a map of the segment, or a merge)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Scores = dict[int, float]  # document number -> score
DENSE = 32  # two sets of documents this many times smaller than the segment are looked up


@dataclass(frozen=True)
class Matches:
    """Matching documents of one segment (ascending, distinct) and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)

    def as_dict(self) -> Scores:
        return dict(zip(self.docs.tolist(), self.scores.tolist(), strict=True))

    @classmethod
    def of(cls, scores: Scores) -> Matches:
        docs = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
        values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        order = np.argsort(docs)
        return cls(docs[order], values[order])

    def boosted(self, boost: float) -> Matches:
        return self if boost == 1.0 else Matches(self.docs, self.scores * boost)


NOTHING = Matches(np.zeros(0, dtype=np.int64), np.zeros(0))


def member(docs: np.ndarray, among: np.ndarray, size: int = 0) -> np.ndarray:
    """Which of `docs` (ascending) are in `among` (ascending), as a boolean mask. With the
    `size` of the segment they are document numbers of, many of them are marked on a map of
    the segment instead of each looked up (a binary search per document, and a cache miss
    per step, costs more once there are thousands)."""
    if not len(among) or not len(docs):
        return np.zeros(len(docs), dtype=bool)
    if size and min(len(docs), len(among)) * DENSE > size:
        marked = np.zeros(size, dtype=bool)
        marked[among] = True
        return marked[docs]
    at = np.searchsorted(among, docs)
    np.minimum(at, len(among) - 1, out=at)  # (clip() checks its dtype's limits each call)
    return among[at] == docs


def rows_of(docs: np.ndarray, among: np.ndarray, size: int) -> np.ndarray:
    """The indexes of those of `docs` (ascending) that are in `among` (ascending), both
    document numbers of a segment of `size`: looked up from whichever side is shorter."""
    if len(among) < len(docs) and len(among) * DENSE <= size:
        wanted = among.astype(docs.dtype)
        at = np.searchsorted(docs, wanted)
        np.minimum(at, len(docs) - 1, out=at)
        return at[docs[at] == wanted]
    return np.flatnonzero(member(docs, among, size))


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values in both `a` and `b` (each ascending and distinct): the shorter looked up
    in the longer when it is much shorter, else both merged in one pass (a stable sort of
    two ascending runs is a merge) and the values found twice kept."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if not len(short):
        return short
    if len(short) * np.log2(len(long) + 1) < 4 * (len(short) + len(long)):
        return short[member(short, long)]
    merged = np.concatenate((short, long))
    merged.sort(kind="stable")
    return merged[:-1][merged[1:] == merged[:-1]]


def union(parts: list[Matches], size: int) -> Matches:
    """Every document of `parts` (of a segment of `size`), its scores added."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return NOTHING
    if len(parts) == 1:
        return parts[0]
    total = sum(len(part) for part in parts)
    if total * 8 > size:  # dense: a pass over the segment is cheaper than sorting
        sums = np.zeros(size)
        hit = np.zeros(size, dtype=bool)
        for part in parts:
            sums[part.docs] += part.scores  # a part's documents are distinct
            hit[part.docs] = True
        docs = np.flatnonzero(hit)
        return Matches(docs, sums[docs])
    # Sparse: the parts' ascending runs merged (a stable sort of runs is a merge), each
    # document's scores added in the parts' order, as the dense pass adds them.
    docs = np.concatenate([part.docs for part in parts])
    order = np.argsort(docs, kind="stable")
    docs = docs[order]
    firsts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    scores = np.add.reduceat(np.concatenate([part.scores for part in parts])[order], firsts)
    return Matches(docs[firsts], scores)
