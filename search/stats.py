"""Figures about an open index: what it holds, how big it is, when and how fast it was built."""

from __future__ import annotations

import re
from typing import Any

from search.index.live import SearchIndex
from search.index.shards import ShardedIndex
from search.index.store import live_build, read_build_info
from search.text.normalize import DOC_NUMBER

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def index_stats(index: SearchIndex | ShardedIndex) -> dict[str, Any]:
    """The index's figures; a sharded index's in total, and each shard's under "shards"."""
    if isinstance(index, ShardedIndex):
        return _sharded_stats(index)
    build = live_build(index.index_dir)
    info = read_build_info(build)
    with index.searcher() as searcher:
        # From the columns of live sections: the term lists keep the values of deleted
        # sections until their segments merge.
        values = _live_values(index)
        figures: dict[str, Any] = {
            "documents": len(values["doc_id"]),
            "sections": searcher.doc_count(),
            **_value_figures(values),
            # distinct section texts with an embedding (`govsearch embed`)
            "vectors": len(index.vectors),
        }
    size = sum(f.stat().st_size for f in build.iterdir() if f.is_file())
    figures["index_size_mb"] = round(size / 1e6, 1)
    figures["build_seconds"] = info.get("build_seconds")
    figures["built_at"] = info.get("built_at")
    figures["updated_at"] = info.get("updated_at", info.get("built_at"))
    figures["location"] = str(build)
    return figures


def _live_values(index: SearchIndex) -> dict[str, set[Any]]:
    """The values of live sections, by column (inside `index.searcher()`)."""
    columns = index.columns
    return {name: set(columns.live_values(name)) for name in ("doc_id", "agency", "year", "topic")}


def _value_figures(values: dict[str, set[Any]]) -> dict[str, Any]:
    years = sorted(int(y) for y in values["year"])
    return {
        "agencies": len(values["agency"]),
        "years": f"{years[0]}-{years[-1]} ({len(years)} distinct)" if years else "none",
        # the same for the pages, which say it in their own words
        "first_year": years[0] if years else None,
        "last_year": years[-1] if years else None,
        "distinct_years": len(years),
        "topics": len(values["topic"]),
    }


def _sharded_stats(index: ShardedIndex) -> dict[str, Any]:
    shards = [index_stats(shard) for shard in index.shards]
    values: dict[str, set[Any]] = {}
    with index.searchers() as opened:
        for shard, _ in opened:
            for name, found in _live_values(shard).items():
                values.setdefault(name, set()).update(found)
    figures: dict[str, Any] = {
        "documents": sum(shard["documents"] for shard in shards),
        "sections": sum(shard["sections"] for shard in shards),
        **_value_figures(values),
        "vectors": sum(shard["vectors"] for shard in shards),
        "index_size_mb": round(sum(shard["index_size_mb"] for shard in shards), 1),
        "build_seconds": sum(shard["build_seconds"] or 0 for shard in shards),
        "built_at": max((shard["built_at"] or "" for shard in shards), default="") or None,
        "updated_at": max((shard["updated_at"] or "" for shard in shards), default="") or None,
        "location": str(index.index_dir),
        "shards": shards,
    }
    return figures


def example_doc_number(index: SearchIndex | ShardedIndex) -> str | None:
    """A 发文字号 the index holds, of its latest year, for the pages to show as an example of
    a search by number (the sample corpus's would find nothing in another index)."""
    shards = index.shards if isinstance(index, ShardedIndex) else [index]
    numbers: list[str] = []
    for shard in shards:
        with shard.searcher() as searcher:
            numbers += [
                term.decode("utf-8")
                for term in searcher.lexicon("doc_number")
                if DOC_NUMBER.fullmatch(term.decode("utf-8"))
            ]
    # the latest year, then the shortest: an example easy to read
    return min(numbers, key=lambda number: (-_year_of(number), len(number), number), default=None)


def _year_of(number: str) -> int:
    year = _YEAR.search(number)
    return int(year.group()) if year else 0
