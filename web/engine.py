"""The app's index, opened once per worker process and reused by every blueprint."""

from __future__ import annotations

from flask import Flask, current_app

from search.errors import IndexMissing
from search.index.live import SearchIndex
from search.vectors.model import model, semantic_on

_INDEXES: dict[str, SearchIndex] = {}


def search_index() -> SearchIndex:
    """The live index of the app's INDEX_DIR; it follows reindex swaps without a restart.

    Raises IndexMissing when there is no index yet.
    """
    index_dir = current_app.config["INDEX_DIR"]
    if index_dir not in _INDEXES:
        cache_size = int(current_app.config["RESULT_CACHE"])
        _INDEXES[index_dir] = SearchIndex(index_dir, cache_size=cache_size)
    return _INDEXES[index_dir]


def close_indexes() -> None:
    """Close every index this process opened (tests; a server keeps them until it exits)."""
    for index in _INDEXES.values():
        index.close()
    _INDEXES.clear()


def warm_index(app: Flask) -> None:
    """Open the index, read its columns and load the embedding model now, not in the first
    requests (about a second each in a fresh worker). No index yet is fine: the pages say so."""
    with app.app_context():
        try:
            with search_index().searcher():
                pass
        except IndexMissing:
            return
    if semantic_on():
        model().query("政府信息公开")
