"""The one bounded cache: least recently used out first, never past its bound, safe in threads."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest

from search.cache import BoundedCache


def test_the_least_recently_used_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(3)
    for number, key in enumerate("abc"):
        cache.put(key, number)
    assert cache.get("a") == 0  # read: now "b" is the oldest
    cache.put("d", 3)
    assert "b" not in cache and [cache.get(k) for k in "acd"] == [0, 2, 3]
    cache.get_or_compute("c", lambda: 99)  # a hit counts as a use too: "a" is the oldest now
    cache.put("e", 4)
    assert "a" not in cache and len(cache) == 3


def test_it_never_holds_more_than_its_bound() -> None:
    cache: BoundedCache[int, int] = BoundedCache(5)
    for number in range(100):
        cache.put(number, number)
        assert len(cache) <= 5
    assert [cache.get(n) for n in range(95, 100)] == list(range(95, 100))
    cache.clear()
    assert len(cache) == 0 and cache.get(99) is None


def test_size_zero_keeps_nothing() -> None:
    cache: BoundedCache[str, int] = BoundedCache(0)
    cache.put("a", 1)
    assert cache.get_or_compute("b", lambda: 2) == 2
    assert len(cache) == 0


def test_none_is_a_value_it_keeps() -> None:
    cache: BoundedCache[str, None] = BoundedCache(2)
    computed: list[str] = []
    for _ in range(3):
        assert cache.get_or_compute("field", lambda: computed.append("field")) is None
    assert computed == ["field"] and "field" in cache
    assert cache.get("missing", None) is None


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Threads switch every microsecond, so that unguarded updates would interleave."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("frequent_thread_switches")
def test_threads_sharing_it_keep_it_bounded_and_consistent() -> None:
    cache: BoundedCache[int, int] = BoundedCache(64)
    errors: list[str] = []
    start = threading.Barrier(4)

    def work(offset: int) -> None:
        start.wait()
        for number in range(20_000):
            key = (number * 7 + offset) % 200
            value = cache.get_or_compute(key, lambda key=key: key * key)  # type: ignore[misc]
            if value != key * key:
                errors.append(f"{key} -> {value}")
            if number % 97 == 0:
                cache.put(key, key * key)
            if len(cache) > 64:
                errors.append(f"{len(cache)} entries")

    def guarded(offset: int) -> None:
        try:
            work(offset)
        except Exception as error:  # a thread's error would otherwise only be printed
            errors.append(repr(error))

    threads = [threading.Thread(target=guarded, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(cache) == 64
