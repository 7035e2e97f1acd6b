"""One search, validated: the text, the filters, the order and the page asked for.

Built from raw values (a URL's parameters, the CLI's options) by `SearchRequest.create`,
which raises a QueryError naming the bad parameter; everything downstream may trust it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.errors import QueryError
from search.text.normalize import normalize

MAX_SIZE = 100
MAX_PAGE = 10_000
MAX_QUERY_CHARS = 500
SORTS = ("relevance", "date")
_YEAR = re.compile(r"^\s*(\d{4})\s*(?:(-|–|~|—|至|到)\s*(\d{4})?)?\s*$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class SearchRequest:
    """One search, validated: build it with `SearchRequest.create`."""

    text: str
    agencies: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    topic: str | None = None
    sort: str = "relevance"
    page: int = 1
    size: int = 10
    collapse: bool = True  # one hit per document
    doc_id: str | None = None  # only the sections of this document

    @classmethod
    def create(  # noqa: PLR0913 - one keyword per search parameter
        cls,
        text: str = "",
        agencies: tuple[str, ...] | list[str] = (),
        year: str | int | None = None,
        topic: str | None = None,
        sort: str | None = None,
        page: int | str = 1,
        size: int | str = 10,
        collapse: bool | str | None = None,
        doc_id: str | None = None,
    ) -> SearchRequest:
        """Validate raw values; raises QueryError naming the bad parameter."""
        text = (text or "").strip()
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError("q", f"query is longer than {MAX_QUERY_CHARS} characters")
        year_from, year_to = parse_year(year)
        sort = (sort or "relevance").strip().lower()
        if sort not in SORTS:
            raise QueryError("sort", f"must be one of {', '.join(SORTS)}, got {sort!r}")
        doc_id = doc_id.strip() if doc_id and doc_id.strip() else None
        return cls(
            text=text,
            agencies=tuple(dict.fromkeys(a.strip() for a in agencies if a and a.strip())),
            year_from=year_from,
            year_to=year_to,
            topic=topic.strip() if topic and topic.strip() else None,
            sort=sort,
            page=_bounded_int("page", page, 1, MAX_PAGE),
            size=_bounded_int("size", size, 1, MAX_SIZE),
            # Listing one document's sections never collapses them into one.
            collapse=_flag("collapse", collapse, default=True) and doc_id is None,
            doc_id=doc_id,
        )


def _bounded_int(name: str, value: int | str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise QueryError(name, f"must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise QueryError(name, f"must be between {low} and {high}, got {number}")
    return number


def _flag(name: str, value: bool | str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise QueryError(name, f"must be true or false, got {value!r}")


def parse_year(value: str | int | None) -> tuple[int | None, int | None]:
    """`2020` -> (2020, 2020); `2018-2020` -> (2018, 2020); `2018-` -> (2018, None)."""
    if value is None or str(value).strip() == "":
        return None, None
    match = _YEAR.match(normalize(str(value)))
    if not match:
        raise QueryError(
            "year", f"expected a year like 2020 or a range like 2018-2020, got {value!r}"
        )
    low = int(match.group(1))
    if not match.group(2):
        return low, low
    high = int(match.group(3)) if match.group(3) else None
    if high is not None and high < low:
        raise QueryError("year", f"range runs backwards: {value!r}")
    return low, high
