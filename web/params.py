"""Query-string parameters -> SearchRequest, and the links that change one of them.

The pages, the API and the widget read the same parameters through `search_request`, so a bad
value gets the same named error everywhere; facet, sort and page links are built here so
that templates only loop.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes, urlencode

from werkzeug.datastructures import MultiDict

from search.complete import DEFAULT_LIMIT, MAX_LIMIT
from search.engine.columns import FacetValue
from search.errors import QueryError
from search.facets import DATE_RANGE, FACETS, SCOPE, facet_named
from search.query.request import MAX_QUERY_CHARS, SearchRequest
from search.text.normalize import without_invisible

# Parameters given once; a facet's are all passed on, for SearchRequest to check.
SINGLE_PARAMS = ("q", "sort", "page", "size", "collapse", "doc", *DATE_RANGE.parameters, SCOPE.name)


def check_text(query_string: bytes) -> None:
    """Raise QueryError naming the first parameter of a raw query string whose name or
    value is not UTF-8 once percent-decoded: the server would otherwise keep its bytes
    percent-encoded (%ED%A0%80) and search for that text."""
    for pair in query_string.split(b"&"):
        name, _, value = (part.replace(b"+", b" ") for part in pair.partition(b"="))
        try:
            unquote_to_bytes(name).decode("utf-8")
            unquote_to_bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            shown = unquote_to_bytes(name).decode("utf-8", "replace")
            raise QueryError(
                shown,
                "is not UTF-8 text: percent-encode the UTF-8 bytes of the text",
                f"参数 {shown} 的值不是有效的 UTF-8 文字，请检查链接。",
            ) from None


# What /api/search reads: the single parameters and every facet's.
SEARCH_PARAMS = (*SINGLE_PARAMS, *(facet.name for facet in FACETS))


def check_known(args: MultiDict[str, str], known: tuple[str, ...]) -> None:
    """Raise QueryError naming the first parameter of `args` not in `known`: a program that
    misspells a filter (`agnecy=`) would otherwise get every document, unfiltered, and
    never know. A name that starts with `_` passes: scripts add one to defeat caches
    (jQuery's `_=1700000000000`)."""
    for name in args:
        if name not in known and not name.startswith("_"):
            raise QueryError(
                name,
                f"is not a parameter of this request; known: {', '.join(known)}",
                f"参数 {name} 不是本接口的参数，可用的参数有：{'、'.join(known)}。",
            )


def _single(args: MultiDict[str, str], name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise QueryError(
            name, f"given {len(values)} times; give it once", f"参数 {name} 只能给一次。"
        )
    return values[0] if values else None


def search_request(args: MultiDict[str, str]) -> SearchRequest:
    """Validate the query string; raises QueryError naming the bad parameter."""
    single = {name: _single(args, name) for name in SINGLE_PARAMS}
    facets = {f.name: args.getlist(f.name) for f in FACETS}
    return SearchRequest.create(
        single["q"] or "",
        sort=single["sort"],
        page=single["page"] or 1,
        size=single["size"] or 10,
        collapse=single["collapse"],
        doc_id=single["doc"],
        date_from=single[DATE_RANGE.parameters[0]],
        date_to=single[DATE_RANGE.parameters[1]],
        scope=single[SCOPE.name],
        **facets,
    )


def suggest_request(args: MultiDict[str, str]) -> tuple[str, int]:
    """The text and limit of a request for completions; raises QueryError naming the bad
    parameter."""
    text = without_invisible(_single(args, "q") or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("q", f"at most {MAX_QUERY_CHARS} characters, got {len(text)}")
    raw = _single(args, "limit")
    if raw is None:
        return text, DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise QueryError("limit", f"must be a whole number, got {raw!r}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    return text, limit


def parameters_of(asked: SearchRequest) -> MultiDict[str, str]:
    """The parameters that reproduce `asked`, defaults left out (a shareable URL)."""
    args: MultiDict[str, str] = MultiDict()
    if asked.text:
        args.add("q", asked.text)
    for name, selection in asked.filters:
        for value in facet_named(name).format(selection):
            args.add(name, value)
    if asked.sort != asked.default_sort:
        args.add("sort", asked.sort)
    if asked.page != 1:
        args.add("page", str(asked.page))
    if asked.size != 10:
        args.add("size", str(asked.size))
    if not asked.collapse and asked.doc_id is None:
        args.add("collapse", "false")
    if asked.doc_id:
        args.add("doc", asked.doc_id)
    for name, bound in zip(DATE_RANGE.parameters, asked.dates, strict=True):
        if bound:
            args.add(name, bound)
    if asked.scope != SCOPE.default:
        args.add(SCOPE.name, asked.scope)
    return args


def query_string(args: MultiDict[str, str]) -> str:
    return urlencode(list(args.items(multi=True)))


def changed(asked: SearchRequest, **values: Any) -> str:
    """The query string of `asked` with some parameters replaced (None removes one);
    any change but the page's goes back to page 1."""
    args = parameters_of(asked)
    if "page" not in values:
        args.pop("page", None)
    for name, value in values.items():
        args.poplist(name)
        if value is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            args.add(name, str(item))
    return query_string(args)


def facet_toggle(asked: SearchRequest, name: str, facet: FacetValue) -> str:
    """The query string that adds this facet value as a filter, or removes it if selected."""
    if facet_named(name).repeatable:
        values = [v for v in asked.selection(name) if v != facet.value]
        if not facet.selected:
            values.append(str(facet.value))
        return changed(asked, **{name: values})
    return changed(asked, **{name: None if facet.selected else facet.value})


def active_filters(asked: SearchRequest) -> list[tuple[str, str, str]]:
    """(label, value, query string without it) for each filter in force: removable chips."""
    chips = []
    for name, selection in asked.filters:
        facet = facet_named(name)
        for shown, rest in facet.chips(selection):
            without = facet.format(rest) if rest else None
            chips.append((facet.label, shown, changed(asked, **{name: without})))
    if asked.doc_id:
        chips.append(("文件", asked.doc_id, changed(asked, doc=None)))
    if any(asked.dates):
        no_dates = dict.fromkeys(DATE_RANGE.parameters)
        chips.append((DATE_RANGE.label, DATE_RANGE.shown(asked.dates), changed(asked, **no_dates)))
    if asked.scope != SCOPE.default:
        chips.append((SCOPE.label, SCOPE.label_of(asked.scope), changed(asked, scope=None)))
    return chips
