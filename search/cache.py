"""One bounded, thread-safe least-recently-used cache, for every cache of the engine.

Each cache says how many entries it keeps; the least recently used entry goes first when a
new one would pass that bound. A size of 0 keeps nothing (a cache turned off). Server workers
may search from several threads, so every operation takes the cache's lock; a value being
computed is not held under it, so two threads asking for the same missing key at once may
both compute it (the second result replaces the first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()  # a cached value may be None


class BoundedCache(Generic[K, V]):
    """At most `size` values by key, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value kept for `key` (now the most recently used), else `default`."""
        with self._lock:
            found = self._entries.get(key, _MISSING)
            if found is _MISSING:
                return default
            self._entries.move_to_end(key)
            return found  # type: ignore[return-value]

    def put(self, key: K, value: V) -> None:
        """Keep `value` for `key`, dropping the least recently used entries past the bound."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The value kept for `key`, else `compute()`, kept for the next time."""
        with self._lock:
            found = self._entries.get(key, _MISSING)
            if found is not _MISSING:
                self._entries.move_to_end(key)
                return found  # type: ignore[return-value]
        value = compute()
        self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:  # never a count caught between an insertion and its eviction
            return len(self._entries)
