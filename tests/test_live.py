"""The live index: kept open, following updates and swaps, its result cache kept current."""

from __future__ import annotations

import os
from pathlib import Path

from search.cache import BoundedCache
from search.index.build import full_build, update
from search.index.live import SearchIndex
from search.index.store import live_build
from search.query.request import SearchRequest
from search.results import run_search

NEW_DOCUMENT = (
    "索 引 号: | | 主题分类: | 科技创新 |\n"
    "发布机构: | 县科学技术局 | 成文日期: | 2024年01月02日 |\n"
    "标 题: | 关于量子通信试点的通知 | ||\n一、总体要求\n开展量子通信试点工作。\n"
)


def test_repeated_searches_come_from_the_cache_until_the_index_changes(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir)
    request = SearchRequest.create("量子通信试点")
    with SearchIndex(index_dir) as live:
        first = run_search(live, request)
        again = run_search(live, request)
        assert first.total == again.total == 0 and len(live.results) == 1
        assert again is not first  # a copy, with its own timing

        (corpus_copy / "new.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
        update(corpus_copy, index_dir)  # in place: the same build, a new segment
        assert run_search(live, request).total == 1

        (corpus_copy / "new.txt").unlink()
        full_build(corpus_copy, index_dir)  # a new build swapped in
        assert run_search(live, request).total == 0


def test_big_pages_are_not_cached(sample_index: Path) -> None:
    with SearchIndex(sample_index) as live:
        run_search(live, SearchRequest.create("管理", size=100))
        assert len(live.results) == 0
    with SearchIndex(sample_index, cache_size=0) as uncached:
        run_search(uncached, SearchRequest.create("管理"))
        assert len(uncached.results) == 0


def test_result_cache_drops_the_least_recently_used() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the oldest
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3


def _deleted_files_held(index_dir: Path) -> list[str]:
    """Files under `index_dir` this process holds open or mapped that are deleted."""
    names = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            names.append(os.readlink(fd))
        except OSError:  # closed meanwhile
            continue
    names += Path("/proc/self/maps").read_text().splitlines()
    return [name for name in names if str(index_dir) in name and name.endswith(" (deleted)")]


def test_segments_merged_away_by_updates_are_let_go(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir)
    samples = sorted((corpus_copy / "samples").glob("20*.txt"))
    with SearchIndex(index_dir) as live:
        for number in range(7):  # enough updates for Whoosh to merge segments
            sample = samples[number % len(samples)]
            (corpus_copy / f"copy{number}.txt").write_bytes(sample.read_bytes())
            update(corpus_copy, index_dir)
            assert run_search(live, SearchRequest.create("管理")).total > 0
        assert len(list(live_build(index_dir).glob("*.trm"))) < 8  # some were merged
        assert _deleted_files_held(index_dir) == []
