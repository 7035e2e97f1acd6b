"""The pages for people: search box, results with facets and date ranges, the document view,
高级检索 (a form that builds the query language), health."""

from __future__ import annotations

import calendar
import datetime
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from search.documents import load_document
from search.errors import IndexMissing, QueryError
from search.facets import DATE_RANGE, FACETS, SCOPE
from search.index.shards import ShardedIndex
from search.query.language import compose, parse
from search.query.request import SearchRequest
from search.results import SearchResults, run_search
from search.stats import example_doc_number, index_stats
from search.text.pinyin import spellings
from web.params import active_filters, changed, facet_toggle, parameters_of, search_request
from web.params import query_string as encode
from web.querylog import hot_queries, log_search, related_queries
from web.state import NO_INDEX_PAGE_MESSAGE, search_index
from web.tabs import kind_tabs

bp = Blueprint("pages", __name__)

FACET_LABELS = {facet.name: facet.label for facet in FACETS}
PAGE_LINKS = 9  # page numbers shown around the current one
SORT_LABELS = (("relevance", "按相关度"), ("date", "最新"), ("date_asc", "最早"))
HOME_HOT = 10  # hot searches on the home page


def _alternate(response: Response, json_url: str) -> Response:
    response.headers["Link"] = f'<{json_url}>; rel="alternate"; type="application/json"'
    return response


@bp.route("/")
def home() -> str:
    try:
        figures = index_stats(search_index())
        example = example_doc_number(search_index())
    except IndexMissing:
        figures, example = None, None
    return render_template(
        "home.html", figures=figures, hot=hot_queries(HOME_HOT), example_number=example
    )


@bp.route("/search")
def search() -> Response | tuple[str, int]:
    g.query = request.args.get("q", "")
    g.scope = request.args.get(SCOPE.name, SCOPE.default)
    try:
        asked = search_request(request.args)
        results = run_search(search_index(), asked)
    except QueryError as error:
        return render_template("search.html", error=error.explanation, results=None), 400
    log_search(asked, results)
    query = encode(parameters_of(asked))
    page = render_template(
        "search.html",
        results=results,
        error=None,
        external=False,
        feed_url=url_for("widget.feed") + "?" + query,
        related=related_queries(results),
        example_number=example_doc_number(search_index()) if not results.total else None,
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
        (label, changed(asked, sort=None if key == asked.default_sort else key), asked.sort == key)
        for key, label in SORT_LABELS
        if asked.text or key != "relevance"  # browsing has no relevance to order by
    ]
    last = results.last_page
    first_shown = max(1, min(asked.page - PAGE_LINKS // 2, last - PAGE_LINKS + 1))
    pages = [
        (number, changed(asked, page=None if number == 1 else number))
        for number in range(first_shown, min(last, first_shown + PAGE_LINKS - 1) + 1)
    ]
    pinyin = results.pinyin
    return {
        # the same search with the letters quoted, which searches them as typed
        "as_typed": changed(asked, q=f'"{pinyin.typed}"') if pinyin else None,
        "facets": facets,
        "chips": active_filters(asked),
        "sorts": sorts,
        "pages": pages,
        "previous": changed(asked, page=asked.page - 1) if asked.page > 1 else None,
        "next": changed(asked, page=asked.page + 1) if asked.page < last else None,
        "last_page": last,
        "last_link": changed(asked, page=None if last == 1 else last),
        "first_link": changed(asked, page=None),
        **_date_controls(asked, datetime.date.today()),
        "kind_tabs": kind_tabs(asked, results.facets.get("kind", [])),
        "number_asked": _number_asked(asked.text),
        # marks, symbols or OR alone (which find nothing): say so, rather than suggest
        # other words
        "nothing_to_search": bool(asked.text) and not results.total and not parse(asked.text),
    }


def _number_asked(text: str) -> tuple[str, str] | None:
    """("文号" or "索引号", the number) when the query is a document or index number alone:
    the empty state then says that no document has it, not how to type one."""
    clauses = parse(text)
    if len(clauses) != 1 or clauses[0].negated or len(clauses[0].terms) != 1:
        return None
    [term] = clauses[0].terms
    if term.index_number:
        return "索引号", term.index_number
    return ("文号", term.text) if term.doc_number else None


@bp.route("/docs/<path:doc_id>")
def document(doc_id: str) -> Response:
    g.query = request.args.get("q", "")
    document = load_document(search_index(), doc_id, g.query)
    if document is None:
        abort(404)
    back = _results_came_from() or (url_for("pages.search", q=g.query) if g.query else None)
    page = render_template("document.html", document=document, back=back)
    return _alternate(Response(page), url_for("api.document", doc_id=doc_id))


def _results_came_from() -> str | None:
    """The results page this request came from (its filters, sort and page with it), when
    the browser says so: pages send their address to their own site alone."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc != request.host or came_from.path != url_for("pages.search"):
        return None
    return urlunsplit(("", "", came_from.path, came_from.query, ""))


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers and feed readers ask for it at the root, whatever the pages link to."""
    static = current_app.static_folder or ""
    return send_from_directory(static, "favicon.ico", max_age=86400)


@bp.get("/suggest.js")
def suggest_script() -> Response:
    """The search box's completions (a template: it shares the widget's combobox)."""
    response = Response(render_template("suggest.js"), mimetype="text/javascript")
    response.cache_control.no_cache = True  # revalidated: a 304 while unchanged
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.route("/healthz")
def healthz() -> tuple[Response, int]:
    """For the load balancer: 200 with the index's figures, or 503 with the reason."""
    try:
        figures = index_stats(search_index())
    except IndexMissing as error:
        reason = {"ok": False, "error": str(error), "status": 503, "message": NO_INDEX_PAGE_MESSAGE}
        return jsonify(reason), 503
    return jsonify(
        {
            "ok": True,
            "documents": figures["documents"],
            "sections": figures["sections"],
            "vectors": figures["vectors"],
            "updated_at": figures["updated_at"],
        }
    ), 200


# --- the range of 发布日期 and 高级检索 ------------------------------------------------------

# (label, months back) of the presets; each sets only `from`, counted back from today.
DATE_PRESETS = (("一周内", None), ("一月内", 1), ("一年内", 12))


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def _date_controls(asked: SearchRequest, today: datetime.date) -> dict[str, object]:
    """The presets as links (不限 removes the range) and the custom range form's fields."""
    low_name, high_name = DATE_RANGE.parameters
    presets = [("不限", changed(asked, **{low_name: None, high_name: None}), not any(asked.dates))]
    for label, months in DATE_PRESETS:
        start = (
            today - datetime.timedelta(days=7) if months is None else months_before(today, months)
        )
        link = changed(asked, **{low_name: start.isoformat(), high_name: None})
        presets.append((label, link, asked.dates == (start.isoformat(), None)))
    kept = parameters_of(asked)
    for name in (low_name, high_name, "page"):
        kept.poplist(name)
    return {
        "date_presets": presets,
        "date_kept": list(kept.items(multi=True)),
        "date_range": DATE_RANGE,
        "date_bounds": asked.dates,
    }


ADVANCED_WORDS = (
    ("all", "包含全部词语", "空格隔开，如：营商环境 优化"),
    ("phrase", "包含完整短语", "如：优化营商环境"),
    ("any", "包含任意词语", "空格隔开，如：深圳 广州"),
    ("none", "不包含词语", "空格隔开，如：征求意见"),
)


@bp.route("/advanced")
def advanced() -> WerkzeugResponse | tuple[str, int]:
    """高级检索: a form whose answer is the ordinary query language, shown on /search."""
    args = request.args
    if "go" not in args:
        return render_template("advanced.html", **_advanced_form(MultiDict())), 200
    text = compose(*(args.get(name, "") for name, *_ in ADVANCED_WORDS))
    target: MultiDict[str, str] = MultiDict()
    if text:
        target.add("q", text)
    for name in (SCOPE.name, *DATE_RANGE.parameters, *(f.name for f in FACETS)):
        for value in args.getlist(name):
            if value.strip() and not (name == SCOPE.name and value == SCOPE.default):
                target.add(name, value.strip())
    if not target:
        message = "请至少填写一项检索条件。"
        return render_template("advanced.html", message=message, **_advanced_form(args)), 400
    try:
        search_request(target)
    except QueryError as error:
        return render_template(
            "advanced.html", message=error.explanation, **_advanced_form(args)
        ), 400
    return redirect(url_for("pages.search") + "?" + encode(target), code=303)


def _by_pinyin(value: str) -> tuple[str, str]:
    """Chinese readers look a name up in a list by its pinyin, as in a dictionary."""
    return spellings(value)[0], value


def _advanced_form(args: MultiDict[str, str]) -> dict[str, object]:
    """The form's fields, filled with `args`: words, scope, a select for each facet whose
    values are terms (from the index), and the date range."""
    terms = [facet for facet in FACETS if facet.filter_by == "terms"]
    try:
        index = search_index()
        found: dict[str, set[str]] = {f.name: set() for f in terms}
        for shard in index.shards if isinstance(index, ShardedIndex) else [index]:
            with shard.searcher():
                for f in terms:
                    found[f.name].update(map(str, shard.columns.live_values(f.field)))
        values = {name: sorted(texts, key=_by_pinyin) for name, texts in found.items()}
    except IndexMissing:
        values = {}
    selects = [(facet, values.get(facet.name, [])) for facet in terms]
    return {
        "words": ADVANCED_WORDS,
        "scope": SCOPE,
        "selects": selects,
        "date_range": DATE_RANGE,
        "filled": args,
    }


@bp.app_context_processor
def _search_box() -> dict[str, object]:
    """What the search box of every page offers beside the words: the scopes."""
    return {"search_scope": SCOPE}
