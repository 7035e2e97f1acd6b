"""One search, validated: the text, the filters, the order and the page asked for.

Built from raw values (a URL's parameters, the CLI's options) by `SearchRequest.create`,
which raises a QueryError naming the bad parameter; everything downstream may trust it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from search.errors import QueryError
from search.facets import DATE_RANGE, FACETS, SCOPE, Bounds, Selection, facet_named, raw_values
from search.text.normalize import without_invisible

MAX_SIZE = 100
MAX_PAGE = 10_000
MAX_QUERY_CHARS = 500
# Newest first, oldest first: documents without a date come last in both.
SORTS = ("relevance", "date", "date_asc")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class SearchRequest:
    """One search, validated: build it with `SearchRequest.create`."""

    text: str
    # (facet name, selection) for each facet of search.facets in force, in the table's order
    filters: tuple[tuple[str, Selection], ...] = ()
    sort: str = "relevance"
    page: int = 1
    size: int = 10
    collapse: bool = True  # one hit per document
    doc_id: str | None = None  # only the sections of this document
    dates: Bounds = (None, None)  # the range of 发布日期 kept (search.facets.DATE_RANGE)
    scope: str = "all"  # where the words are looked for (search.facets.SCOPE)

    @classmethod
    def create(  # noqa: PLR0913 - one keyword per search parameter
        cls,
        text: str = "",
        sort: str | None = None,
        page: int | str = 1,
        size: int | str = 10,
        collapse: bool | str | None = None,
        doc_id: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        scope: str | None = None,
        **facet_values: Any,
    ) -> SearchRequest:
        """Validate raw values; raises QueryError naming the bad parameter.

        Each facet of search.facets is a keyword, by its name or its `keyword` (`agencies=`,
        `year=`, `topic=`): one raw value, or a list of them for a repeatable one.
        `date_from` and `date_to` bound 发布日期 (YYYY-MM-DD, inclusive); `scope` is all,
        title or number.
        """
        text = without_invisible(text or "").strip()
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(
                "q",
                f"query is longer than {MAX_QUERY_CHARS} characters",
                f"检索词最多 {MAX_QUERY_CHARS} 个字，请缩短后再试。",
            )
        filters = _filters(facet_values)
        doc_id = doc_id.strip() if doc_id and doc_id.strip() else None
        sort = (sort or "").strip().lower() or default_sort(text, doc_id)
        if sort not in SORTS:
            raise QueryError(
                "sort",
                f"must be one of {', '.join(SORTS)}, got {sort!r}",
                f"排序方式（sort）只能是 {'、'.join(SORTS)} 之一。",
            )
        return cls(
            text=text,
            filters=filters,
            sort=sort,
            page=_bounded_int("page", page, 1, MAX_PAGE),
            size=_bounded_int("size", size, 1, MAX_SIZE),
            # Listing one document's sections never collapses them into one.
            collapse=_flag("collapse", collapse, default=True) and doc_id is None,
            doc_id=doc_id,
            dates=DATE_RANGE.parse(date_from, date_to),
            scope=SCOPE.parse(scope),
        )

    @property
    def default_sort(self) -> str:
        return default_sort(self.text, self.doc_id)

    def selection(self, name: str) -> Selection:
        """What the facet `name` is asked to keep: () when it is not a filter."""
        return dict(self.filters).get(name, ())


def default_sort(text: str, doc_id: str | None) -> str:
    """The order when none is asked for. Browsing (no text) has no relevance to order by:
    newest first, as portals list; one document's sections stay in reading order."""
    return "date" if not text and doc_id is None else "relevance"


def _filters(facet_values: dict[str, Any]) -> tuple[tuple[str, Selection], ...]:
    by_name: dict[str, Selection] = {}
    for keyword, value in facet_values.items():
        try:
            facet = facet_named(keyword)
        except KeyError:
            raise TypeError(
                f"SearchRequest.create() got an unexpected keyword {keyword!r}"
            ) from None
        raws = raw_values(value)
        if len(raws) > 1 and not facet.repeatable:
            raise QueryError(
                facet.name,
                f"given {len(raws)} times; give it once",
                f"筛选条件“{facet.label}”只能选一个。",
            )
        by_name[facet.name] = facet.parse(facet.name, raws)
    return tuple((facet.name, by_name[facet.name]) for facet in FACETS if by_name.get(facet.name))


def _bounded_int(name: str, value: int | str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise QueryError(
            name, f"must be a whole number, got {value!r}", _between_explained(name, low, high)
        ) from None
    if not low <= number <= high:
        raise QueryError(
            name,
            f"must be between {low} and {high}, got {number}",
            _between_explained(name, low, high),
        )
    return number


def _between_explained(name: str, low: int, high: int) -> str:
    what = {"page": "页码", "size": "每页条数"}.get(name, f"参数 {name}")
    return f"{what}应为 {low} 到 {high} 之间的整数。"


def _flag(name: str, value: bool | str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise QueryError(
        name, f"must be true or false, got {value!r}", f"参数 {name} 只能是 true 或 false。"
    )
