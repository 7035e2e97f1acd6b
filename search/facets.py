"""The facets, declared once: each row says how one filter of a search is asked for, checked,
spelled in a URL, counted and applied.

Everything about a facet is derived from its row here: the keywords of
`SearchRequest.create`, the engine's filters and counts, the URL parameters of the pages and
the API, the pages' and the widget's labels, the options of `govsearch search` and the
parameters and schemas of the OpenAPI document. Adding a facet is one row (and its field in
the index's schema).

A facet's selection is a tuple: the chosen values of a term facet (at most one unless it is
repeatable), or the (low, high) bounds of a range facet, either of them None when open.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from search.errors import QueryError
from search.text.normalize import normalize

Value = str | int
Selection = tuple[Any, ...]

MIN_YEAR, MAX_YEAR = 1900, 2200  # a year outside is a column's missing value, not a year
FACET_LIMIT = 50  # values per facet, most frequent first; selected values always shown
_YEAR = re.compile(r"^\s*(\d{4})\s*(?:(-|–|~|—|至|到)\s*(\d{4})?)?\s*$")


def parse_terms(name: str, raws: Sequence[Any]) -> Selection:
    """The distinct values given, stripped, in their order (blank ones left out)."""
    return tuple(dict.fromkeys(str(raw).strip() for raw in raws if raw and str(raw).strip()))


def format_terms(selection: Selection) -> list[str]:
    return [str(value) for value in selection]


def selected_terms(selection: Selection, counted: Iterable[Value]) -> list[Value]:
    return list(selection)


def parse_year(value: Any, name: str = "year") -> tuple[int | None, int | None]:
    """`2020` -> (2020, 2020); `2018-2020` -> (2018, 2020); `2018-` -> (2018, None)."""
    if value is None or str(value).strip() == "":
        return None, None
    match = _YEAR.match(normalize(str(value)))
    if not match:
        raise QueryError(
            name, f"expected a year like 2020 or a range like 2018-2020, got {value!r}"
        )
    low = int(match.group(1))
    if not match.group(2):
        return low, low
    high = int(match.group(3)) if match.group(3) else None
    if high is not None and high < low:
        raise QueryError(name, f"range runs backwards: {value!r}")
    return low, high


def parse_years(name: str, raws: Sequence[Any]) -> Selection:
    """A year or a range of years (the last given), as (low, high); () for none."""
    bounds = parse_year(raws[-1] if raws else None, name)
    return () if bounds == (None, None) else bounds


def format_range(selection: Selection) -> list[str]:
    low, high = selection
    return [str(low) if low == high else f"{low or ''}-{high or ''}"]


def selected_years(selection: Selection, counted: Iterable[Value]) -> list[Value]:
    """The years of the range: every one of a closed range of at most fifty, else those
    among the counted values."""
    low, high = selection
    if low is not None and high is not None:
        return list(range(low, high + 1)) if high - low <= 50 else []
    return [y for y in counted if isinstance(y, int) and y and (low or 0) <= y <= (high or 9999)]


def is_year(value: Value) -> bool:
    return isinstance(value, int) and MIN_YEAR <= value <= MAX_YEAR


def is_present(value: Value) -> bool:
    """A value, not a column's missing one (empty text)."""
    return value not in ("", None, b"")


@dataclass(frozen=True)
class Facet:
    """One filter of a search and the facet that counts its values."""

    name: str  # the URL parameter, the API's key, the CLI's --option
    field: str  # the index field it filters and counts
    label: str  # for people, on the pages and in the widget
    help: str  # for the CLI's --help and the OpenAPI document
    keyword: str  # of SearchRequest.create (the name is accepted too)
    repeatable: bool = False
    # Raw values (as given, all of a repeated parameter) -> selection; raises QueryError.
    parse: Callable[[str, Sequence[Any]], Selection] = parse_terms
    # A selection -> the parameter's values in a URL.
    format: Callable[[Selection], list[str]] = format_terms
    # A selection and the values counted -> the values shown as selected.
    selected: Callable[[Selection, Iterable[Value]], list[Value]] = selected_terms
    # Whether a value read from the column is a value (not the column's missing one).
    present: Callable[[Value], bool] = is_present
    # Terms: any of the selected values; range: low <= value <= high (numbers).
    filter_by: Literal["terms", "range"] = "terms"
    # The facet's values most frequent first, or by value, highest first (newest years).
    order: Literal["count", "value"] = "count"
    example: str = ""  # a value, for the OpenAPI document

    def chips(self, selection: Selection) -> list[tuple[str, Selection]]:
        """(value shown, the selection left without it): one removable chip each."""
        if self.repeatable:
            return [(str(v), tuple(o for o in selection if o != v)) for v in selection]
        return [(self.format(selection)[0], ())]


FACETS: tuple[Facet, ...] = (
    Facet(
        name="agency",
        field="agency",
        label="发布机构",
        help="Only this publishing agency (repeatable).",
        keyword="agencies",
        repeatable=True,
        example="阳城县人民政府",
    ),
    Facet(
        name="year",
        field="year",
        label="年份",
        help="A year (2020) or a range (2018-2020, 2018-).",
        keyword="year",
        parse=parse_years,
        format=format_range,
        selected=selected_years,
        present=is_year,
        filter_by="range",
        order="value",
        example="2018-2020",
    ),
    Facet(
        name="topic",
        field="topic",
        label="主题分类",
        help="Only this topic (主题分类).",
        keyword="topic",
        example="营商环境",
    ),
    Facet(
        name="kind",
        field="kind",
        label="文件类型",
        help="Only this kind of document: 法律, 行政法规, 司法解释, 部门规章, 地方性法规, "
        "规范性文件, 政策解读, 工作报告, 工作总结, 通知公告 or 其他 (repeatable).",
        keyword="kinds",
        repeatable=True,
        example="地方性法规",
    ),
)


def facet_named(name: str) -> Facet:
    """The facet whose parameter (or keyword) is `name`; KeyError if there is none."""
    for facet in FACETS:
        if name in (facet.name, facet.keyword):
            return facet
    raise KeyError(name)


def facet_of_field(field: str) -> Facet | None:
    return next((facet for facet in FACETS if facet.field == field), None)


def raw_values(value: Any) -> list[Any]:
    """A keyword's value as the list of raw values a facet parses (a URL parameter may
    repeat, a CLI option be given several times)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v is not None]
    return [value]
