"""The kind tabs above the results (全部 · 法律法规 · 规范性文件 · 报告 …): each a group of
document kinds with its count and the link that shows only those kinds.

The counts come from the kind facet's counts, which ignore the kind filter (facets are
disjunctive), so the other tabs keep their counts while one is selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from search.engine.columns import FacetValue
from search.ingest.kinds import KIND_TABS
from search.query.request import SearchRequest
from web.params import changed

ALL_KINDS = "全部"


@dataclass(frozen=True)
class KindTab:
    label: str
    count: int
    link: str  # query string
    current: bool


def kind_tabs(asked: SearchRequest, counted: Sequence[FacetValue]) -> list[KindTab]:
    """全部 and a tab per group of KIND_TABS; the current one is the group whose kinds are
    exactly the ones selected (全部 when none is)."""
    counts = {str(value.value): value.count for value in counted}
    selected = set(asked.selection("kind"))
    tabs = [KindTab(ALL_KINDS, sum(counts.values()), changed(asked, kind=None), not selected)]
    for label, kinds in KIND_TABS:
        tabs.append(
            KindTab(
                label,
                sum(counts.get(kind, 0) for kind in kinds),
                changed(asked, kind=list(kinds)),
                selected == set(kinds),
            )
        )
    return tabs
