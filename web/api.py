"""The JSON API: the same SearchResults as the pages, one envelope for success and error.

GET /api/search?q=...     ranked hits, facets, totals (the page's parameters)
GET /api/suggest?q=...    completions of what is being typed (characters, pinyin, initials)
GET /api/docs/<doc_id>    a document's metadata and sections
GET /api/sections/<id>    one section with its document's metadata
GET /api/hot?limit=10     the most asked queries that found something (the query log)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from search.complete import complete
from search.documents import DocumentView, anchor_of, load_document, load_section
from search.errors import QueryError
from search.results import run_search
from web.openapi import openapi_document
from web.params import SEARCH_PARAMS, check_known, search_request, suggest_request
from web.querylog import hot_queries, log_search, not_blocked, past_queries, related_queries
from web.state import search_index

bp = Blueprint("api", __name__, url_prefix="/api")
BLOCKED_SPARE = 4  # completions asked beyond the limit, for the block list to take


def error_response(
    status: int, message: str, parameter: str | None = None, explanation: str = ""
) -> Response:
    """The error envelope: {"ok": false, "error", "status"} (+ "parameter" when one is bad,
    and "message", the same in Chinese for a portal's readers)."""
    body: dict[str, Any] = {"ok": False, "error": message, "status": status}
    if parameter:
        body["parameter"] = parameter
    if explanation:
        body["message"] = explanation
    response = jsonify(body)
    response.status_code = status
    return response


@bp.errorhandler(QueryError)
def _bad_parameter(error: QueryError) -> Response:
    return error_response(400, str(error), error.parameter, error.explanation)


def hit_url(doc_id: str, section_id: str, query: str) -> str:
    """The section on its document's page, the query's matches marked."""
    params = {"q": query} if query else {}
    return url_for(
        "pages.document", doc_id=doc_id, _anchor=anchor_of(section_id), _external=True, **params
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(request.host_url.rstrip("/")))


@bp.get("/search")
def search() -> Response:
    check_known(request.args, SEARCH_PARAMS)
    asked = search_request(request.args)
    results = run_search(search_index(), asked)
    log_search(asked, results)
    body = results.to_json()
    marked = results.pinyin.searched if results.pinyin else asked.text
    for hit in body["hits"]:
        hit["url"] = hit_url(hit["doc_id"], hit["id"], marked)
    body["related"] = related_queries(results)
    return jsonify(body)


@bp.get("/suggest")
def suggest() -> Response:
    check_known(request.args, ("q", "limit"))
    text, limit = suggest_request(request.args)
    past = past_queries()
    # A few more than asked, so that the block list taking some still leaves `limit`.
    found = complete(search_index(), text, limit + BLOCKED_SPARE, past=past) if text else []
    completions = not_blocked(found)[:limit]
    return jsonify({"ok": True, "suggestions": [c.to_json() for c in completions]})


def _document_json(document: DocumentView) -> dict[str, Any]:
    return {
        **document.metadata(),
        "url": url_for("pages.document", doc_id=document.doc_id, _external=True),
        "sections": [
            {
                "id": s.id,
                "anchor": s.anchor,
                "heading": s.heading,
                "breadcrumb": s.breadcrumb,
                "text": s.text,
                "url": url_for(
                    "pages.document", doc_id=document.doc_id, _anchor=s.anchor, _external=True
                ),
            }
            for s in document.sections
        ],
    }


@bp.get("/docs/<path:doc_id>")
def document(doc_id: str) -> Response:
    found = load_document(search_index(), doc_id)
    if found is None:
        return error_response(
            404, f"no document with id {doc_id!r}", None, f"没有编号为 {doc_id} 的文件。"
        )
    return jsonify({"ok": True, "document": _document_json(found)})


@bp.get("/sections/<path:section_id>")
def section(section_id: str) -> Response:
    found = load_section(search_index(), section_id)
    if found is None:
        return error_response(
            404, f"no section with id {section_id!r}", None, f"没有编号为 {section_id} 的章节。"
        )
    document = _document_json(found)
    return jsonify({"ok": True, "section": document.pop("sections")[0], "document": document})


HOT_LIMIT = (1, 50)
HOT_DAYS = (1, 365)


def _bounded(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.strip().isdigit() or not low <= int(raw) <= high:
        raise QueryError(name, f"must be a whole number between {low} and {high}, got {raw!r}")
    return int(raw)


@bp.get("/hot")
def hot() -> Response:
    """The most asked queries of the last `days` days that found something."""
    check_known(request.args, ("limit", "days"))
    limit = _bounded("limit", 10, *HOT_LIMIT)
    days = _bounded("days", 30, *HOT_DAYS)
    return jsonify({"ok": True, "queries": hot_queries(limit, days)})
