"""Versions of one law: the documents of an index that carry the same title.

A law is published again when it is amended or revised (《北京市审计条例》 of 2017 and of
2023); each version is its own document with its own 发布日期. Documents are versions of
one law when their titles agree once normalised, without spaces and without notes in
brackets at the end such as （2018年修正） or （试行）. A note that only numbers the part
(（二）, as in 刑法修正案（二）) names another document, not a version, and is kept. An
amendment (修正案) is never a version of another, even of the same title (宪法修正案（1988年）
and 宪法修正案（2018年） amend different articles).

The table is read once per index generation from each document's first section.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from whoosh.searching import Searcher

from search.engine.columns import Columns
from search.text.normalize import normalize_doc_number
from search.text.titles import law_name

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_AMENDMENT = re.compile(r"修正案(?:\([^()]*\))?$")


def _law_key(title: str, doc_id: str) -> str:
    """The key of the document's law in a table: its name, or for an amendment the
    document itself (a key no other document has)."""
    name = law_name(title)
    return f"{name}\x1f{doc_id}" if _AMENDMENT.search(name) else name


@dataclass(frozen=True)
class Version:
    doc_id: str
    date: str | None
    doc_number: str  # in one spelling (normalize_doc_number), "" when none

    def named_by(self, text: str, years: set[str]) -> bool:
        """Whether a query names this version: its year, or its 文号."""
        if self.date and self.date[:4] in years:
            return True
        return bool(self.doc_number) and self.doc_number in normalize_doc_number(text)


def _newest_first(versions: Iterable[Version]) -> list[Version]:
    """Newest first, undated last; ties by doc_id so the order is the same on every run."""
    ordered = sorted(versions, key=lambda version: version.doc_id)
    return sorted(ordered, key=lambda version: version.date or "", reverse=True)


class VersionTable:
    """Every law by name with its versions newest first, and the laws of several versions
    by the doc_id of any of them."""

    def __init__(self, laws: dict[str, list[Version]]) -> None:
        self._laws = {name: _newest_first(versions) for name, versions in laws.items()}
        self._law: dict[str, list[Version]] = {}
        self._law_number: dict[str, int] = {}  # of each document of a law of several versions
        several = (versions for versions in self._laws.values() if len(versions) > 1)
        for number, versions in enumerate(several):
            for version in versions:
                self._law[version.doc_id] = versions
                self._law_number[version.doc_id] = number

    @classmethod
    def read(cls, searcher: Searcher, columns: Columns) -> VersionTable:
        """The table of one generation: each live document's title, date and 文号."""
        codes = columns.codes["doc_id"]
        live = np.flatnonzero(columns.live)
        _, first = np.unique(codes[live], return_index=True)
        laws: defaultdict[str, list[Version]] = defaultdict(list)
        for docnum in live[first].tolist():
            stored = searcher.stored_fields(docnum)
            number = stored.get("doc_number", "")
            version = Version(
                stored["doc_id"], stored.get("date") or None, normalize_doc_number(number)
            )
            laws[_law_key(stored.get("title", ""), version.doc_id)].append(version)
        return cls(laws)

    @classmethod
    def joined(cls, tables: Iterable[VersionTable]) -> VersionTable:
        """The table of an index split into shards, from each shard's (a law's versions
        may be on different shards)."""
        laws: defaultdict[str, list[Version]] = defaultdict(list)
        for table in tables:
            for name, versions in table._laws.items():
                laws[name].extend(versions)
        return cls(laws)

    def laws_among(self, doc_labels: Sequence[str], codes: np.ndarray) -> int:
        """How many laws the documents of `codes` (into `doc_labels`, the doc_id column's
        labels) are, each law of several versions counted once."""
        numbers = [self._law_number.get(doc_labels[code]) for code in codes.tolist()]
        laws = [number for number in numbers if number is not None]
        return len(numbers) - len(laws) + len(set(laws))

    def versions(self, doc_id: str) -> list[Version]:
        """Every version of the document's law, its own included, newest first (empty when
        it has no other)."""
        return self._law.get(doc_id, [])

    def others(self, doc_id: str) -> list[Version]:
        """The other versions of the document's law, newest first."""
        return [version for version in self.versions(doc_id) if version.doc_id != doc_id]


# The shards' tables joined, for the generations they were read from: joined again only
# when a shard's generation changes, not on every search or document page.
_joined: dict[tuple[VersionTable, ...], VersionTable] = {}


def joined_versions(tables: Sequence[VersionTable | None]) -> VersionTable | None:
    """The shards' tables of law versions as one (None: some shard groups none)."""
    if not all(isinstance(table, VersionTable) for table in tables):
        return None
    shards = cast(tuple[VersionTable, ...], tuple(tables))
    if len(shards) == 1:
        return shards[0]
    joined = _joined.get(shards)
    if joined is None:
        joined = VersionTable.joined(shards)
        _joined.clear()  # the previous generations' tables go with their searchers
        _joined[shards] = joined
    return joined


def preference(
    doc_id: str, table: VersionTable, text: str, oldest_first: bool = False
) -> list[str]:
    """The versions of the document's law (doc_ids) in the order a hit prefers to show
    them: those the query names by year or 文号, then the others, each newest first (oldest
    first when the results are, so that a hit shows the version whose date placed it)."""
    versions = table.versions(doc_id)
    if not versions:  # most documents: one version
        return []
    if oldest_first:
        versions = versions[::-1]
    years = set(_YEAR.findall(text))
    named = [version for version in versions if version.named_by(text, years)]
    return [version.doc_id for version in named + [v for v in versions if v not in named]]


def shown_version(
    candidates: list[str], table: VersionTable, text: str, oldest_first: bool = False
) -> str:
    """Which of a law's matching versions (`candidates`, doc_ids) a hit shows: the one the
    query names by year or 文号, else the newest (the oldest, `oldest_first`)."""
    wanted = set(candidates)
    preferred = preference(candidates[0], table, text, oldest_first)
    return next((doc_id for doc_id in preferred if doc_id in wanted), candidates[0])
