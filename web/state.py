"""The app's state, in `app.extensions["govsearch"]`: its search settings, read once by
`create_app`, and its live index, opened once per worker process and reused by every
blueprint."""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask, current_app

from search.complete import completer_of
from search.errors import IndexMissing
from search.index.live import SearchIndex
from search.index.shards import ShardedIndex, open_search_index, read_tables
from search.vectors.model import model, semantic_on

# What the API and the pages say while there is no index (the reason, with its paths, is for
# /healthz and the logs).
NO_INDEX_MESSAGE = (
    "the search index is not ready (not built yet, being rebuilt or unreadable); try again shortly"
)
NO_INDEX_PAGE_MESSAGE = "检索服务暂不可用：索引尚未就绪，请稍后再试。"
EXTENSION = "govsearch"


class AppState:
    """The settings a search needs, fixed when the app is made, and the index they open.

    The index is opened on first use in each process: gunicorn forks its workers, and an
    index opened before the fork (its files, its searcher's lock) is not the worker's own.
    """

    def __init__(
        self,
        index_dir: str,
        result_cache: int,
        semantic: bool,
        cluster: dict[str, Any] | None = None,
    ) -> None:
        self.index_dir = index_dir
        self.result_cache = result_cache
        self.semantic = semantic
        self.cluster = cluster  # ClusterIndex's settings: its shards answer on a Ray cluster
        self._index: SearchIndex | ShardedIndex | None = None
        self._opened_by = 0  # the process that opened it
        self._lock = threading.Lock()

    def index(self) -> SearchIndex | ShardedIndex:
        """The live index (a sharded directory's shards, searched together); raises
        IndexMissing when there is none yet, or its shards do not analyse text alike (tried
        again next time)."""
        with self._lock:
            if self._index is not None and self._opened_by != os.getpid():
                self._index.close()  # the parent's: this closes only this process's handles
                self._index = None
            if self._index is None:
                self._index = self._open()
                self._opened_by = os.getpid()
            return self._index

    def _open(self) -> SearchIndex | ShardedIndex:
        if self.cluster is None:
            return open_search_index(
                self.index_dir, cache_size=self.result_cache, semantic=self.semantic
            )
        # Only a cluster's server imports Ray.
        from search.cluster.serving import ClusterIndex

        return ClusterIndex(self.index_dir, semantic=self.semantic, **self.cluster)

    def close(self) -> None:
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None


def install(app: Flask) -> None:
    """Keep the app's state, from its config (read once here: later changes to the
    environment do not reach a running app)."""
    app.extensions[EXTENSION] = AppState(
        index_dir=app.config["INDEX_DIR"],
        result_cache=int(app.config["RESULT_CACHE"]),
        semantic=semantic_on(app.config["SEMANTIC"]),
        cluster=app.config.get("CLUSTER"),
    )


def app_state(app: Flask) -> AppState:
    state: AppState = app.extensions[EXTENSION]
    return state


def search_index() -> SearchIndex | ShardedIndex:
    """The live index of the current app; it follows reindex swaps without a restart.

    Raises IndexMissing when there is no index yet.
    """
    return app_state(current_app).index()


def close_index(app: Flask) -> None:
    """Close the index the app opened in this process (tests; a server keeps it until it
    exits)."""
    app_state(app).close()


def warm_index(app: Flask) -> None:
    """Open the index, read its columns, its table of law versions, its laws' definitions and
    its completion table, gather its section vectors into one matrix and load the embedding
    model now, so that a fresh worker's first requests do not wait for them. No index yet is
    fine: the pages say so."""
    try:
        index = app_state(app).index()
        read_tables(index)
        shards = index.shards if isinstance(index, ShardedIndex) else [index]
        for shard in shards:
            with shard.searcher() as searcher:
                completer_of(shard, searcher)  # made before anybody types
                if app_state(app).semantic and len(shard.vectors):
                    shard.vectors.dense(shard.columns.vector_keys, shard.columns.live)
    except IndexMissing:
        return
    if app_state(app).semantic:
        model().query("政府信息公开")
