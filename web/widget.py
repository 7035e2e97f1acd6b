"""Search on other sites: the embeddable widget, an iframe page, OpenSearch and Atom feeds."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, g, render_template, request, url_for

from search.errors import QueryError
from search.facets import DATE_RANGE, FACETS, SCOPE
from search.query.request import SearchRequest
from search.results import run_search
from web.params import changed, parameters_of, query_string, search_request
from web.querylog import hot_queries, log_search
from web.state import search_index

bp = Blueprint("widget", __name__)

FEED_SIZE = 20
WIDGET_HOT = 8  # hot searches offered by a widget with no query
# [parameter, label] of each facet; those ordered by value (years: a short line of numbers)
# come first, above the long names.
WIDGET_FACETS = [
    [facet.name, facet.label] for facet in sorted(FACETS, key=lambda f: f.order != "value")
]


@bp.get("/embed.js")
def script() -> Response:
    """The widget: `<div data-govsearch>` + this script on any page (see README)."""
    # A template, so that the widget's search box takes the service's query limit.
    body = render_template(
        "widget.js",
        facets=WIDGET_FACETS,
        filters=list(DATE_RANGE.parameters),
        scopes=[list(choice) for choice in SCOPE.choices],
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"  # a public, credential-free script
    # Portals load it on every page view: checked each time, a 304 while it is unchanged.
    response.cache_control.no_cache = True
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get("/embed")
def frame() -> tuple[str, int] | str:
    """The results alone, for an <iframe>; links open in the top window."""
    g.query = request.args.get("q", "")
    try:
        asked = search_request(request.args)
        results = run_search(search_index(), asked)
    except QueryError as error:
        return render_template("widget.html", error=error.explanation, results=None), 400
    log_search(asked, results)
    hot = [] if asked.text else hot_queries(WIDGET_HOT)
    # a query searched as the term it spells in pinyin links to the search as typed (quoted)
    as_typed = changed(asked, q=f'"{results.pinyin.typed}"') if results.pinyin else None
    return render_template(
        "widget.html",
        results=results,
        error=None,
        external=True,
        # the full page at its own page size, from its first page
        all_results=_results_page(replace(asked, page=1, size=SearchRequest.size)),
        as_typed=as_typed,
        hot=hot,
    )


def _results_page(asked: SearchRequest) -> str:
    """The service's own results page for the same search, as an absolute URL."""
    return url_for("pages.search", _external=True) + "?" + query_string(parameters_of(asked))


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    body = render_template("opensearch.xml")
    return Response(body, mimetype="application/opensearchdescription+xml")


@bp.get("/search.atom")
def feed() -> Response | tuple[Response, int]:
    """Newest first: follow a search (with its filters) in a feed reader."""
    g.query = request.args.get("q", "")
    try:
        asked = search_request(request.args)
        results = run_search(
            search_index(),  # the same search, newest first
            replace(asked, sort="date", page=1, size=FEED_SIZE, collapse=True, doc_id=None),
        )
    except QueryError as error:
        return Response(str(error), status=400, mimetype="text/plain"), 400
    page = _results_page(asked)
    body = render_template("feed.atom.xml", results=results, page_url=page, feed_url=request.url)
    return Response(body, mimetype="application/atom+xml")
