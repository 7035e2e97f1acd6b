"""Flask front end: thin; parses the request, calls search/, renders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from search import config
from search.errors import IndexMissing
from search.query import MAX_QUERY_CHARS
from web import cors, limits, security

NO_INDEX_MESSAGE = "the search index is being built or rebuilt; try again shortly"
NO_INDEX_PAGE_MESSAGE = "检索服务暂不可用：索引正在建立或重建，请稍后再试。"
RETRY_AFTER_NO_INDEX = 30  # seconds


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
    )
    if test_config:
        app.config.update(test_config)
    app.config["INDEX_DIR"] = str(Path(app.config["INDEX_DIR"]))
    app.jinja_env.globals["max_query_chars"] = MAX_QUERY_CHARS  # the search boxes' maxlength
    if isinstance(app.config["CORS_ORIGINS"], str):
        app.config["CORS_ORIGINS"] = cors.allowed_origins(app.config["CORS_ORIGINS"])

    from web import api, embed, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(embed.bp)
    cors.install(app)
    security.install(app)
    limits.install(app)
    hops = int(app.config["PROXY_HOPS"] or 0)
    if hops:  # the client's address and the public host come from the proxies' headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.errorhandler(IndexMissing)
    def _no_index(error: IndexMissing) -> tuple[Response | str, int, dict[str, str]]:
        # The reason (paths included) is for /healthz and the logs, not for the public.
        app.logger.warning("search unavailable: %s", str(error))
        retry = {"Retry-After": str(RETRY_AFTER_NO_INDEX)}
        if request.path.startswith("/api/"):
            return api.error_response(503, NO_INDEX_MESSAGE), 503, retry
        page = render_template("error.html", status=503, message=NO_INDEX_PAGE_MESSAGE)
        return page, 503, retry

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response | tuple[str, int]:
        status = error.code or 500
        message = error.description or error.name
        if status == 429:
            message = f"too many requests ({message}): retry after the Retry-After header's seconds"
        if request.path.startswith("/api/"):
            return api.error_response(status, message)
        return render_template("error.html", status=status, message=message), status

    return app
