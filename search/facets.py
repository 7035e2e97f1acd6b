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

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from search.errors import QueryError
from search.ingest.kinds import KINDS
from search.text.normalize import normalize

Value = str | int
Selection = tuple[Any, ...]

MIN_YEAR, MAX_YEAR = 1900, 2200  # a year outside is a column's missing value, not a year
FACET_LIMIT = 50  # values per facet, most frequent first; selected values always shown
_YEAR = re.compile(r"^\s*(\d{4})\s*(?:(-|–|~|—|至|到)\s*(\d{4})?)?\s*$")


def parse_terms(name: str, raws: Sequence[Any]) -> Selection:
    """The distinct values given, stripped, in their order (blank ones left out)."""
    return tuple(dict.fromkeys(str(raw).strip() for raw in raws if raw and str(raw).strip()))


def parse_kinds(name: str, raws: Sequence[Any]) -> Selection:
    """The kinds given (parse_terms); raises QueryError for one that is not a kind, which
    would only ever find nothing."""
    kinds = parse_terms(name, raws)
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        listed = ", ".join(KINDS)
        raise QueryError(
            name,
            f"{unknown[0]!r} is not a kind; one of {listed}",
            f"文件类型“{unknown[0]}”不存在，可选：{'、'.join(KINDS)}。",
        )
    return kinds


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
            name,
            f"expected a year like 2020 or a range like 2018-2020, got {value!r}",
            "年份应写成 2020 这样的一年，或 2018-2020 这样的范围。",
        )
    low = int(match.group(1))
    if not match.group(2):
        return low, low
    high = int(match.group(3)) if match.group(3) else None
    if high is not None and high < low:
        raise QueryError(
            name, f"range runs backwards: {value!r}", "年份范围应前小后大，例如 2018-2020。"
        )
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
    choices: tuple[str, ...] = ()  # every value there can be, where they are few and fixed

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
        help=f"Only this kind of document: {', '.join(KINDS[:-1])} or {KINDS[-1]} (repeatable).",
        keyword="kinds",
        repeatable=True,
        parse=parse_kinds,
        choices=KINDS,
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


# --- beside the facets: the range of 发布日期 and the search scope -------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Bounds = tuple[str | None, str | None]  # (from, to) as YYYY-MM-DD, either None when open


@dataclass(frozen=True)
class DateRange:
    """The range of 发布日期 a search keeps (the `date` field, YYYY-MM-DD), both ends
    included, either open: two URL parameters, two CLI options, one removable chip. Not
    counted like a facet (a value per day would say little)."""

    field: str
    label: str
    parameters: tuple[str, str]  # the URL's from= and to=, the CLI's --from and --to
    keywords: tuple[str, str]  # of SearchRequest.create
    bound_labels: tuple[str, str]  # each end, for people
    helps: tuple[str, str]  # for the CLI's --help and the OpenAPI document
    example: tuple[str, str]

    def parse(self, low: Any, high: Any) -> Bounds:
        """Raw ends -> (from, to); raises QueryError naming the end that is not a real date,
        or `from` when it comes after `to`."""
        bounds = (
            self._parse_end(self.parameters[0], self.bound_labels[0], low),
            self._parse_end(self.parameters[1], self.bound_labels[1], high),
        )
        if bounds[0] and bounds[1] and bounds[0] > bounds[1]:
            raise QueryError(
                self.parameters[0],
                f"{bounds[0]} is after {self.parameters[1]} {bounds[1]}",
                f"{self.bound_labels[0]} {bounds[0]} 晚于{self.bound_labels[1]} {bounds[1]}，"
                "请对调或改正",
            )
        return bounds

    @staticmethod
    def _parse_end(name: str, label: str, raw: Any) -> str | None:
        if raw is None or str(raw).strip() == "":
            return None
        text = normalize(str(raw)).strip()
        try:
            if not _ISO_DATE.match(text):
                raise ValueError(text)
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            raise QueryError(
                name,
                f"expected a real date as YYYY-MM-DD, got {raw!r}",
                f"{label}应为真实的日期，写作 年-月-日（如 2021-03-01），收到 {raw!r}",
            ) from None

    def shown(self, bounds: Bounds) -> str:
        """The range for people: 2021-01-01 至 2021-06-30, 2021-01-01 起, 至 2021-06-30."""
        low, high = bounds
        if low and high:
            return low if low == high else f"{low} 至 {high}"
        return f"{low} 起" if low else f"至 {high}"


DATE_RANGE = DateRange(
    field="date",
    label="发布日期",
    parameters=("from", "to"),
    keywords=("date_from", "date_to"),
    bound_labels=("起始日期", "截止日期"),
    helps=(
        "Published on or after this day (YYYY-MM-DD).",
        "Published on or before this day (YYYY-MM-DD).",
    ),
    example=("2021-01-01", "2021-12-31"),
)


@dataclass(frozen=True)
class Scope:
    """Where a query's words are looked for: everywhere, in titles, or in 文号."""

    name: str  # the URL parameter, the API's key, the CLI's --option
    label: str
    choices: tuple[tuple[str, str], ...]  # (value, label for people); the first is the default
    help: str

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    @property
    def default(self) -> str:
        return self.choices[0][0]

    def parse(self, raw: Any) -> str:
        """A scope's value; raises QueryError naming the parameter for any other."""
        value = str(raw or "").strip().lower() or self.default
        if value not in self.values:
            choices = "、".join(f"{v}（{label}）" for v, label in self.choices)
            raise QueryError(
                self.name,
                f"must be one of {', '.join(self.values)}, got {raw!r}",
                f"检索范围只能是 {choices}，收到 {raw!r}",
            )
        return value

    def label_of(self, value: str) -> str:
        return dict(self.choices)[value]


SCOPE = Scope(
    name="scope",
    label="检索范围",
    choices=(("all", "全文"), ("title", "标题"), ("number", "文号")),
    help="Where the words are looked for: all (title, headings, text), title, or number "
    "(发文字号, whole or in part: 国办发〔2017〕47号, 2017-47).",
)
