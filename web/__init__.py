"""Flask front end: thin; parses the request, calls search/, renders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response as WSGIResponse

from search import config
from search.errors import IndexMissing, QueryError
from search.highlight import Passage, passage_html
from search.query.language import MAX_TEXT_CHARS, searched_in_full
from search.query.request import MAX_QUERY_CHARS
from web import cors, limits, params, querylog, security, state
from web.state import NO_INDEX_MESSAGE, NO_INDEX_PAGE_MESSAGE

RETRY_AFTER_NO_INDEX = 30  # seconds
# Set by the server on a request it refused before reading all of it (refused_response).
REFUSED_STATUS = "govsearch.refused_status"
# Errors the server answers before the app sees the request: (for the API, for the pages).
REFUSED_MESSAGES = {
    414: (
        f"the URL is too long: a query has at most {MAX_QUERY_CHARS} characters",
        f"网址过长，无法处理：检索词最多 {MAX_QUERY_CHARS} 个字，请缩短后再试。",
    ),
    431: ("the request's headers are too large", "请求头过大，无法处理。"),
}
# What the error page says for each status, and the JSON API's `message` beside its English.
PAGE_MESSAGES = {
    400: ("请求有误", "请求的格式不正确，请检查网址后再试。"),
    403: ("禁止访问", "没有访问这个页面的权限。"),
    404: ("页面不存在", "没有找到这个页面或文件，它可能已被删除或网址有误。请返回首页重新检索。"),
    405: ("请求方式不支持", "这个网址不支持这种请求方式。"),
    413: ("请求内容过大", "提交的内容过大，无法处理。"),
    414: ("网址过长", "网址过长，无法处理。"),
    429: ("请求过于频繁", "请求过于频繁，请稍等片刻再试。"),
    431: ("请求头过大", "请求头过大，无法处理。"),
    500: ("服务器出错", "服务器处理请求时出错，请稍后再试。"),
    503: ("服务暂不可用", NO_INDEX_PAGE_MESSAGE),
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then GOVSEARCH_* settings, then `test_config` overrides."""
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable
    app.config.from_mapping(
        INDEX_DIR=str(config.get_path("index")),
        CORS_ORIGINS=cors.allowed_origins(),
        RESULT_CACHE=config.get("result_cache"),
        RATE_LIMIT=config.get("rate_limit"),
        PROXY_HOPS=config.get("proxy_hops"),
        SEMANTIC=config.get("semantic"),
        QUERY_LOG=config.get("query_log"),
        QUERY_LOG_DAYS=config.get("query_log_days"),
        QUERY_BLOCKLIST=config.get("query_blocklist"),
        HOT_MIN_COUNT=config.get("hot_min_count"),
    )
    if test_config:
        app.config.update(test_config)
    app.config["INDEX_DIR"] = str(Path(app.config["INDEX_DIR"]))
    app.jinja_env.globals["max_query_chars"] = MAX_QUERY_CHARS  # the search boxes' maxlength
    # a long query (a pasted paragraph) is searched by its opening: the pages say so
    app.jinja_env.globals["searched_in_full"] = searched_in_full
    app.jinja_env.globals["max_text_chars"] = MAX_TEXT_CHARS
    app.jinja_env.filters["passage"] = passage_markup
    app.jinja_env.filters["milliseconds"] = milliseconds
    if isinstance(app.config["CORS_ORIGINS"], str):
        app.config["CORS_ORIGINS"] = cors.allowed_origins(app.config["CORS_ORIGINS"])

    state.install(app)
    querylog.install(app)

    from web import api, pages, widget

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(widget.bp)
    cors.install(app)
    security.install(app)
    limits.install(app)
    hops = int(app.config["PROXY_HOPS"] or 0)
    if hops:  # the client's address and the public host come from the proxies' headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.before_request
    def _refused_by_server() -> None:
        if status := request.environ.get(REFUSED_STATUS):
            abort(status)
        params.check_text(request.query_string)

    @app.errorhandler(QueryError)
    def _bad_parameter(error: QueryError) -> tuple[str, int]:
        # The API's blueprint answers its own in JSON; this is every other page's.
        title, _ = _page_title_and_message(400)
        page = render_template("error.html", status=400, title=title, message=error.explanation)
        return page, 400

    @app.errorhandler(IndexMissing)
    def _no_index(error: IndexMissing) -> tuple[Response | str, int, dict[str, str]]:
        # The reason (paths included) is for /healthz and the logs, not for the public.
        app.logger.warning("search unavailable: %s", str(error))
        retry = {"Retry-After": str(RETRY_AFTER_NO_INDEX)}
        if request.path.startswith("/api/"):
            return (
                api.error_response(503, NO_INDEX_MESSAGE, None, NO_INDEX_PAGE_MESSAGE),
                503,
                retry,
            )
        return error_page(503), 503, retry

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | tuple[str, int]:
        status = error.code or 500
        if not request.path.startswith("/api/"):
            return error_page(status), status
        message = error.description or error.name
        if status == 429:
            message = f"too many requests ({message}): retry after the Retry-After header's seconds"
        if status in REFUSED_MESSAGES:
            message = REFUSED_MESSAGES[status][0]
        return api.error_response(status, message, None, page_message(status))

    return app


def _page_title_and_message(status: int) -> tuple[str, str]:
    title, message = PAGE_MESSAGES.get(status, ("请求未能完成", "请求未能完成，请稍后再试。"))
    if status in REFUSED_MESSAGES:
        message = REFUSED_MESSAGES[status][1]
    return title, message


def page_message(status: int) -> str:
    """What went wrong, in Chinese, for a reader: the error page's sentence, which the
    API's error also carries (`message`) for a portal to show."""
    return _page_title_and_message(status)[1]


def error_page(status: int) -> str:
    """The styled error page for `status`, in Chinese."""
    title, message = _page_title_and_message(status)
    return render_template("error.html", status=status, title=title, message=message)


def milliseconds(took_ms: float) -> str:
    """How long a search took, for the pages: a cached answer takes well under a
    millisecond, which rounding would show as 0."""
    return "不到 1 毫秒" if took_ms < 1 else f"{took_ms:.0f} 毫秒"


def passage_markup(passage: Passage) -> Markup:
    """A passage (or a document's paragraph) for a template: the text escaped by
    `passage_html`, so only its <mark> is markup."""
    return Markup(passage_html(passage))


def refused_response(app: Flask, path: str, status: int) -> WSGIResponse:
    """The app's own answer (JSON envelope on /api/, else the error page) to a request the
    server refused before reading it all, such as one whose request line is too long.

    `path` is the requested path as far as the server read it; only the path decides between
    the envelope and the page, the rest of the request being unknown.
    """
    environ = EnvironBuilder(path=path).get_environ()
    environ[REFUSED_STATUS] = status
    return WSGIResponse.from_app(app, environ, buffered=True)
