"""Query-string parameters -> SearchRequest, and the links that change one of them.

The page, the API and the embed read the same parameters through `search_request`, so a bad
value gets the same named error everywhere; facet, sort and page links are built here so
that templates only loop.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from search.engine.columns import FacetValue
from search.errors import QueryError
from search.facets import FACETS, facet_named
from search.query.request import SearchRequest

# Parameters of a search, in the order links spell them; only repeatable facets may repeat.
SEARCH_PARAMS = ("q", *(f.name for f in FACETS), "sort", "page", "size", "collapse", "doc")
REPEATABLE = frozenset(f.name for f in FACETS if f.repeatable)


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise QueryError(name, f"given {len(values)} times; give it once")
    return values[0] if values else None


def search_request(args: MultiDict[str, str]) -> SearchRequest:
    """Validate the query string; raises QueryError naming the bad parameter."""
    single = {name: _single(args, name) for name in SEARCH_PARAMS if name not in REPEATABLE}
    facets = {f.name: args.getlist(f.name) if f.repeatable else single[f.name] for f in FACETS}
    return SearchRequest.create(
        single["q"] or "",
        sort=single["sort"],
        page=single["page"] or 1,
        size=single["size"] or 10,
        collapse=single["collapse"],
        doc_id=single["doc"],
        **facets,
    )


def state(request: SearchRequest) -> MultiDict[str, str]:
    """The parameters that reproduce `request`, defaults left out (a shareable URL)."""
    args: MultiDict[str, str] = MultiDict()
    if request.text:
        args.add("q", request.text)
    for name, selection in request.filters:
        for value in facet_named(name).format(selection):
            args.add(name, value)
    if request.sort != "relevance":
        args.add("sort", request.sort)
    if request.page != 1:
        args.add("page", str(request.page))
    if request.size != 10:
        args.add("size", str(request.size))
    if not request.collapse and request.doc_id is None:
        args.add("collapse", "false")
    if request.doc_id:
        args.add("doc", request.doc_id)
    return args


def query_string(args: MultiDict[str, str]) -> str:
    return urlencode(list(args.items(multi=True)))


def changed(request: SearchRequest, **values: Any) -> str:
    """The query string of `request` with some parameters replaced (None removes one);
    any change but the page's goes back to page 1."""
    args = state(request)
    if "page" not in values:
        args.pop("page", None)
    for name, value in values.items():
        args.poplist(name)
        if value is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            args.add(name, str(item))
    return query_string(args)


def facet_toggle(request: SearchRequest, name: str, facet: FacetValue) -> str:
    """The query string that adds this facet value as a filter, or removes it if selected."""
    if facet_named(name).repeatable:
        values = [v for v in request.selection(name) if v != facet.value]
        if not facet.selected:
            values.append(str(facet.value))
        return changed(request, **{name: values})
    return changed(request, **{name: None if facet.selected else facet.value})


def active_filters(request: SearchRequest) -> list[tuple[str, str, str]]:
    """(label, value, query string without it) for each filter in force: removable chips."""
    chips = []
    for name, selection in request.filters:
        facet = facet_named(name)
        for shown, rest in facet.chips(selection):
            without = facet.format(rest) if rest else None
            chips.append((facet.label, shown, changed(request, **{name: without})))
    if request.doc_id:
        chips.append(("文件", request.doc_id, changed(request, doc=None)))
    return chips
