"""Facet counts and per-document counts over a whole result set.

The values of the filter fields (and each section's document) are read from the index's
columns once per searcher (that is, per index generation) into arrays of small integer
codes indexed by document number, so counting a result set of any size is one `bincount`,
not a lookup per hit.
Facets are disjunctive: the agency counts ignore the agency filter (but honour the others),
so a user can see and add more agencies; likewise for year and topic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.searching import Searcher

from search.facets import FACET_LIMIT, FACETS, Facet, facet_of_field, is_present

FACET_FIELDS = tuple(dict.fromkeys(facet.field for facet in FACETS))


@dataclass(frozen=True)
class FacetValue:
    value: str | int
    count: int
    selected: bool


class Columns:
    """Column values by document number for one searcher (facet fields, doc_id and date),
    each value also as a small integer code (so a result set is counted with one
    `bincount`), and each section's vector key."""

    def __init__(self, searcher: Searcher) -> None:
        reader = searcher.reader()
        self.labels: dict[str, list[Any]] = {}
        self.codes: dict[str, np.ndarray] = {}
        for name in dict.fromkeys((*FACET_FIELDS, "doc_id", "date")):
            coded: dict[Any, int] = {}  # each distinct value once, not once per section
            parts = [
                np.fromiter((coded.setdefault(v, len(coded)) for v in _plain(values)), np.int64)
                for values in _stored_values(reader, name)
            ]
            self.codes[name] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            # (distinct stored values are distinct values: the field only decodes them)
            self.labels[name] = [reader.schema[name].from_column_value(v) for v in coded]
        self.size = len(self.codes["doc_id"])
        self.live = _live_sections(reader, self.size)
        if reader.has_deletions():
            self._number_documents_by_live_sections()
        # Dates as ranks: newest sorts highest, and a missing date ("") below every date.
        order = sorted(range(len(self.labels["date"])), key=self.labels["date"].__getitem__)
        rank_of_code = np.empty(len(order), dtype=np.int64)
        rank_of_code[order] = np.arange(len(order))
        self.date_rank = rank_of_code[self.codes["date"]] if order else self.codes["date"]
        undated = np.array([not is_present(v) for v in self.labels["date"]], dtype=bool)
        self.date_missing = undated[self.codes["date"]]
        self.vector_keys = unsigned_column(reader, "vector_key")

    def _number_documents_by_live_sections(self) -> None:
        """Number documents in the order of their first live section, so that the runs of
        a result set ascend by code (see document_runs) even after an update deleted a
        document's sections and added them again at the end."""
        live = self.live
        codes = self.codes["doc_id"]
        first = np.full(len(self.labels["doc_id"]), self.size)
        np.minimum.at(first, codes[live], np.flatnonzero(live))
        order = np.argsort(first, kind="stable")
        renumbered = np.empty(len(order), dtype=np.int64)
        renumbered[order] = np.arange(len(order))
        self.codes["doc_id"] = renumbered[codes]
        self.labels["doc_id"] = [self.labels["doc_id"][code] for code in order.tolist()]

    def live_values(self, name: str) -> list[Any]:
        """The distinct values of the column among live sections (deleted ones left out)."""
        codes = np.unique(self.codes[name][self.live])
        facet = facet_of_field(name)
        present = facet.present if facet else is_present
        return [v for v in (self.labels[name][c] for c in codes.tolist()) if present(v)]

    def value(self, name: str, docnum: int) -> Any:
        """The column's value for one section."""
        return self.labels[name][self.codes[name][docnum]]

    def count(self, name: str, docs: np.ndarray) -> Counter[Any]:
        """How many of `docs` have each value of the column."""
        counts = np.bincount(self.codes[name][docs], minlength=len(self.labels[name]))
        labels = self.labels[name]
        return Counter({labels[code]: int(counts[code]) for code in np.flatnonzero(counts)})

    def one_per_document(self, docs: np.ndarray) -> np.ndarray:
        """The first section of each document among `docs`, in their order."""
        codes = self.codes["doc_id"][docs]
        starts = document_runs(codes)
        if starts is not None:
            return docs[starts]
        _, first = np.unique(codes, return_index=True)
        return docs[np.sort(first)]


def _live_sections(reader: Any, size: int) -> np.ndarray:
    """A mask of the sections that are not deleted, by document number."""
    live = np.ones(size, dtype=bool)
    for leaf, offset in reader.leaf_readers():
        if leaf.has_deletions():
            gone = np.fromiter(leaf.segment().deleted_docs(), dtype=np.int64)
            live[offset + gone] = False
    return live


def unsigned_column(reader: Any, name: str) -> np.ndarray:
    """A column of 64-bit unsigned numbers as one array, by document number (COLUMN stores
    values as they are)."""
    parts = [np.asarray(values, dtype=np.uint64) for values in _stored_values(reader, name)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def _plain(values: np.ndarray | list[Any]) -> list[Any]:
    """Python values (labels go out as JSON, which has no numpy numbers)."""
    return values.tolist() if isinstance(values, np.ndarray) else values


# struct's typecodes that numpy reads with the same size (not "l": 4 bytes there, 8 here)
_FIXED_SIZE_NUMBERS = frozenset("bBhHiIqQfd")


def _stored_values(reader: Any, name: str) -> Iterator[np.ndarray | list[Any]]:
    """Each segment's column values as stored (before the field decodes them), by document
    number. Numbers and byte strings are read as the one block of bytes each segment holds
    them in: Whoosh's reader reads and unpacks them one at a time, a file read per value,
    and the first search of each index generation would wait for all of them."""
    for leaf, _offset in reader.leaf_readers():
        column = leaf.column_reader(name, translate=False)
        count = leaf.doc_count_all()
        if type(column) is NumericColumn.Reader and column._typecode in _FIXED_SIZE_NUMBERS:
            stored = np.dtype(">" + column._typecode)
            values = np.full(count, column._default, dtype=stored.newbyteorder("="))
            block = column._dbfile.get(column._basepos, column._count * stored.itemsize)
            values[: column._count] = np.frombuffer(block, dtype=stored)  # then the default
            yield values
        elif type(column) is VarBytesColumn.Reader:
            lengths, offsets = column._lengths, column._offsets
            end = offsets[-1] + lengths[-1] if count else 0  # values are stored in order
            block = column._dbfile.get(column._basepos, end)
            yield [block[o : o + n] for o, n in zip(offsets, lengths, strict=True)]
        else:
            yield list(column)


def document_runs(codes: np.ndarray) -> np.ndarray | None:
    """Where each run of equal codes starts, if no code comes back after its run (None
    otherwise). A document's sections are indexed one after another, so in ascending
    document numbers they form one run each: found in one pass, without sorting the result
    set by document."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    runs = codes[starts]
    # Codes are numbered in the order of live sections, so the runs' codes ascend: the
    # sort is a check for other code arrays.
    if np.all(runs[1:] > runs[:-1]) or len(np.unique(runs)) == len(runs):
        return starts
    return None


def facet_values(facet: Facet, counts: Counter[Any], selected: Iterable[Any]) -> list[FacetValue]:
    """Values with their counts, most frequent first (or by value, highest first)."""
    chosen = set(selected)
    present = [(v, n) for v, n in counts.items() if facet.present(v) and n > 0]
    if facet.order == "value":
        present.sort(key=lambda item: item[0], reverse=True)
    else:
        present.sort(key=lambda item: (-item[1], str(item[0])))
    shown = present[:FACET_LIMIT]
    shown_values = {v for v, _ in shown}
    shown += [(v, counts.get(v, 0)) for v in chosen if v not in shown_values]
    return [FacetValue(v, n, v in chosen) for v, n in shown]
