"""The app's query log: the searches of the pages, the API and the widget go in; hot and
related searches come out. Off (`query_log=off`), nothing is kept and both lists are empty.

Only a search's first page is logged, so that paging through results does not count one
query several times; a search without text (browsing by filters) is not a query and is not
logged either. The feed, the CLI and health checks are not people searching.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypeVar

from flask import Flask, current_app

from search.query.language import parse
from search.query.request import SearchRequest
from search.querylog import (
    Blocklist,
    QueryLog,
    least_asked,
    log_path,
    normalize_query,
    retention_days,
)
from search.results import SearchResults
from web.params import parameters_of

EXTENSION = "govsearch.querylog"
BLOCKLIST = "govsearch.blocklist"


class HasText(Protocol):
    @property
    def text(self) -> str: ...


T = TypeVar("T", bound=HasText)
# Not filters: they change how the hits are shown, not which are found.
NOT_FILTERS = ("q", "page", "size", "sort")
# Popular queries offered among the completions: the head of the hot list, where a query
# asked often enough to be worth offering to others lives.
PAST_QUERIES = 200


def install(app: Flask) -> None:
    """Keep the log the app's config asks for (QUERY_LOG, QUERY_LOG_DAYS, QUERY_BLOCKLIST,
    HOT_MIN_COUNT)."""
    path = log_path(str(app.config["QUERY_LOG"] or ""), app.config["INDEX_DIR"])
    blocklist = app.config["QUERY_BLOCKLIST"]
    # The completions offered while typing honour it too, with or without a log.
    app.extensions[BLOCKLIST] = Blocklist(Path(blocklist) if blocklist else None)
    app.extensions[EXTENSION] = (
        None
        if path is None
        else QueryLog(
            path,
            retention=retention_days(app.config["QUERY_LOG_DAYS"]),
            blocklist=Path(blocklist) if blocklist else None,
            least_asked=least_asked(app.config["HOT_MIN_COUNT"]),
        )
    )


def query_log(app: Flask | None = None) -> QueryLog | None:
    log: QueryLog | None = (app or current_app).extensions[EXTENSION]
    return log


def warm(app: Flask) -> None:
    """Start reading the hot list now, so that a fresh worker's first pages find it read."""
    log = query_log(app)
    if log is not None:
        log.hot()


def close_query_log(app: Flask) -> None:
    """Write what is queued and stop the writer (tests; a server keeps it until it exits)."""
    log = query_log(app)
    if log is not None:
        log.close()


def searched_text(results: SearchResults) -> str:
    """What was searched: the Chinese term when letters typed in pinyin were searched as it
    (so that hot and related searches show 营商环境, not yshj), else the text asked."""
    return results.pinyin.searched if results.pinyin else results.request.text


def log_search(asked: SearchRequest, results: SearchResults) -> None:
    """Record a search people asked for (first page, with text); never raises."""
    log = query_log()
    if log is None or asked.page != 1 or not asked.text:
        return
    # `OR` alone has letters but asks for nothing (and so finds nothing): no search to count
    if not results.total and not parse(asked.text):
        return
    params = parameters_of(asked)
    filters = {name: params.getlist(name) for name in params if name not in NOT_FILTERS}
    log.record(
        searched_text(results),
        filters,
        results.total,
        results.took_ms,
        full_matches=results.full_matches,
    )


def hot_queries(limit: int, days: int | None = None) -> list[dict[str, object]]:
    """The hot searches as [{"text", "count"}], from the log's cache."""
    log = query_log()
    if log is None:
        return []
    found = log.hot(limit) if days is None else log.hot(limit, days)
    return [{"text": text, "count": count} for text, count in found]


def related_queries(results: SearchResults, limit: int = 6) -> list[dict[str, object]]:
    """Popular past queries that share a word with what was searched, as
    [{"text", "count"}]."""
    log = query_log()
    text = searched_text(results)
    if log is None or not text:
        return []
    return [{"text": other, "count": count} for other, count in log.related(text, limit)]


def past_queries(limit: int = PAST_QUERIES) -> list[tuple[str, int]]:
    """The most asked queries that found something, (text, count), for completions: read
    from the hot list's cache, so a keystroke never waits for the database."""
    log = query_log()
    return [] if log is None else log.hot(limit)


def not_blocked(texts: list[T]) -> list[T]:
    """Those of `texts` (anything with a `text`) that the editor's block list lets through."""
    blocklist: Blocklist = current_app.extensions[BLOCKLIST]
    blocklist.refresh()
    if not blocklist.entries:
        return texts
    return [item for item in texts if not blocklist.blocks(normalize_query(item.text))]
