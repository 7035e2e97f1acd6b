"""Figures about an open index: what it holds, how big it is, when and how fast it was built."""

from __future__ import annotations

from typing import Any

from search.live import SearchIndex
from search.store import live_build, read_build_info


def index_stats(index: SearchIndex) -> dict[str, Any]:
    build = live_build(index.index_dir)
    info = read_build_info(build)
    with index.searcher() as searcher:
        reader = searcher.reader()
        years = sorted(int(y) for y in _values(reader, "year", numeric=True))
        figures: dict[str, Any] = {
            "documents": sum(1 for _ in reader.lexicon("doc_id")),
            "sections": searcher.doc_count(),
            "agencies": sum(1 for _ in reader.lexicon("agency")),
            "years": f"{years[0]}-{years[-1]} ({len(years)} distinct)" if years else "none",
            "topics": sum(1 for _ in reader.lexicon("topic")),
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


def _values(reader: Any, fieldname: str, numeric: bool = False) -> list[Any]:
    """Distinct values of a field (full-precision terms only for numeric fields)."""
    field = reader.schema[fieldname]
    if not numeric:
        return [t.decode("utf-8") for t in reader.lexicon(fieldname)]
    values = []
    for term in reader.lexicon(fieldname):
        if term[0] == 0:  # shift 0: the exact value, not a range-search prefix
            values.append(field.from_bytes(term))
    return values
