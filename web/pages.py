"""The pages for people: search box, results with facets, the document view, health."""

from __future__ import annotations

import math

from flask import Blueprint, Response, abort, g, jsonify, render_template, request, url_for

from search.documents import load_document
from search.errors import IndexMissing, QueryError
from search.facets import FACETS
from search.results import SearchResults, run_search
from search.stats import index_stats
from web.params import active_filters, changed, facet_toggle, parameters_of, search_request
from web.params import query_string as encode
from web.querylog import hot_queries, log_search, related_queries
from web.state import search_index

bp = Blueprint("pages", __name__)

FACET_LABELS = {facet.name: facet.label for facet in FACETS}
PAGE_LINKS = 9  # page numbers shown around the current one
HOME_HOT = 10  # hot searches on the home page


def _alternate(response: Response, json_url: str) -> Response:
    response.headers["Link"] = f'<{json_url}>; rel="alternate"; type="application/json"'
    return response


@bp.route("/")
def home() -> str:
    try:
        figures = index_stats(search_index())
    except IndexMissing:
        figures = None
    return render_template("home.html", figures=figures, hot=hot_queries(HOME_HOT))


@bp.route("/search")
def search() -> Response | tuple[str, int]:
    g.query = request.args.get("q", "")
    try:
        asked = search_request(request.args)
        results = run_search(search_index(), asked)
    except QueryError as error:
        return render_template("search.html", error=str(error), results=None), 400
    log_search(asked, results)
    query = encode(parameters_of(asked))
    page = render_template(
        "search.html",
        results=results,
        error=None,
        external=False,
        feed_url=url_for("widget.feed") + "?" + query,
        related=related_queries(asked.text),
        **_controls(results),
    )
    json_url = url_for("api.search") + "?" + query
    return _alternate(Response(page), json_url)


def _controls(results: SearchResults) -> dict[str, object]:
    """Links that change the search: facets, filter chips, sort, pages."""
    asked = results.request
    facets = {
        name: (FACET_LABELS[name], [(v, facet_toggle(asked, name, v)) for v in values])
        for name, values in results.facets.items()
        if values
    }
    sorts = [
        (label, changed(asked, sort=None if key == "relevance" else key), asked.sort == key)
        for key, label in (("relevance", "按相关度"), ("date", "按日期"))
    ]
    last = max(1, math.ceil(results.total / asked.size))
    first_shown = max(1, min(asked.page - PAGE_LINKS // 2, last - PAGE_LINKS + 1))
    pages = [
        (number, changed(asked, page=None if number == 1 else number))
        for number in range(first_shown, min(last, first_shown + PAGE_LINKS - 1) + 1)
    ]
    return {
        "facets": facets,
        "chips": active_filters(asked),
        "sorts": sorts,
        "pages": pages,
        "previous": changed(asked, page=asked.page - 1) if asked.page > 1 else None,
        "next": changed(asked, page=asked.page + 1) if asked.page < last else None,
        "last_page": last,
    }


@bp.route("/docs/<path:doc_id>")
def document(doc_id: str) -> Response:
    g.query = request.args.get("q", "")
    document = load_document(search_index(), doc_id, g.query)
    if document is None:
        abort(404)
    back = url_for("pages.search", q=g.query) if g.query else None
    page = render_template("document.html", document=document, back=back)
    return _alternate(Response(page), url_for("api.document", doc_id=doc_id))


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """For the load balancer: 200 with the index's figures, or 503 with the reason."""
    try:
        figures = index_stats(search_index())
    except IndexMissing as error:
        return jsonify({"ok": False, "error": str(error), "status": 503}), 503
    return jsonify(
        {
            "ok": True,
            "documents": figures["documents"],
            "sections": figures["sections"],
            "vectors": figures["vectors"],
            "updated_at": figures["updated_at"],
        }
    ), 200
