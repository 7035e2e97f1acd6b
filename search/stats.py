"""Figures about an open index: what it holds, how big it is, when and how fast it was built."""

from __future__ import annotations

from typing import Any

from search.index.live import SearchIndex
from search.index.store import live_build, read_build_info


def index_stats(index: SearchIndex) -> dict[str, Any]:
    build = live_build(index.index_dir)
    info = read_build_info(build)
    with index.searcher() as searcher:
        # From the columns of live sections: the term lists keep the values of deleted
        # sections until their segments merge.
        values = index.columns
        years = sorted(int(y) for y in values.live_values("year"))
        figures: dict[str, Any] = {
            "documents": len(values.live_values("doc_id")),
            "sections": searcher.doc_count(),
            "agencies": len(values.live_values("agency")),
            "years": f"{years[0]}-{years[-1]} ({len(years)} distinct)" if years else "none",
            # the same for the pages, which say it in their own words
            "first_year": years[0] if years else None,
            "last_year": years[-1] if years else None,
            "distinct_years": len(years),
            "topics": len(values.live_values("topic")),
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
