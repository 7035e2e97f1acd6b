"""The search pages for people: a search box and ranked, highlighted sections."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request
from markupsafe import Markup

from search.errors import IndexMissing, QueryError
from search.live import SearchIndex
from search.query import SearchRequest
from search.results import run_search

bp = Blueprint("pages", __name__)

_INDEXES: dict[str, SearchIndex] = {}


def search_index() -> SearchIndex:
    """The app's index, opened once per worker process and reused."""
    index_dir = current_app.config["INDEX_DIR"]
    if index_dir not in _INDEXES:
        _INDEXES[index_dir] = SearchIndex(index_dir)
    return _INDEXES[index_dir]


@bp.app_template_filter("passage")
def passage_filter(passage: str) -> Markup:
    # Passages are built escaped by search.highlight: only <mark> is markup in them.
    return Markup(passage)


@bp.route("/")
def home() -> str:
    return render_template("home.html")


@bp.route("/search")
def search() -> tuple[str, int] | str:
    g.query = request.args.get("q", "")
    try:
        search_request = SearchRequest.create(
            g.query,
            agencies=request.args.getlist("agency"),
            year=request.args.get("year"),
            topic=request.args.get("topic"),
            sort=request.args.get("sort"),
            page=request.args.get("page", "1"),
            size=request.args.get("size", "10"),
            collapse=request.args.get("collapse"),
            doc_id=request.args.get("doc"),
        )
        results = run_search(search_index(), search_request)
    except QueryError as error:
        return render_template("search.html", error=str(error), results=None), 400
    except IndexMissing as error:
        return render_template("search.html", error=str(error), results=None), 503
    return render_template("search.html", results=results, error=None)
