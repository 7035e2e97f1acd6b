"""The app's index, opened once per worker process and reused by every blueprint."""

from __future__ import annotations

from flask import current_app

from search.live import SearchIndex

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
