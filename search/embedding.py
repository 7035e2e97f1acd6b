"""`govsearch embed`: compute the vectors that the index's sections do not have yet.

Runs after a reindex (and again after each one: only new or changed sections cost time).
It holds the reindex lock, writes a shard every SHARD_SECTIONS sections, and can be stopped
at any point: what was written stays, and the next run goes on from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.facets import unsigned_column
from search.semantic import embed_texts
from search.store import open_index, reindex_lock
from search.vectors import VectorStore, remove_orphans, section_text, write_shard

BATCH = 64
SHARD_SECTIONS = 2048


@dataclass
class EmbedSummary:
    sections: int = 0  # in the index
    already: int = 0  # distinct texts that had a vector before this run
    embedded: int = 0


def embed_index(
    index_dir: Path,
    docnums: Iterable[int] | None = None,
    on_progress: Callable[[int, int], None] = lambda done, todo: None,
) -> EmbedSummary:
    """Embed every section of the live index that has no vector (or only `docnums`)."""
    with reindex_lock(index_dir):
        remove_orphans(index_dir)
        store = VectorStore(index_dir)
        store.refresh()
        summary = EmbedSummary()
        ix = open_index(index_dir)
        try:
            with ix.searcher() as searcher:
                reader = searcher.reader()
                vector_keys = unsigned_column(reader, "vector_key").tolist()
                wanted = range(searcher.doc_count_all()) if docnums is None else docnums
                section_of: dict[int, int] = {}  # each distinct text is embedded once
                for docnum in wanted:
                    if not reader.is_deleted(docnum):
                        summary.sections += 1
                        section_of.setdefault(vector_keys[docnum], docnum)
                distinct = list(section_of)
                known = store.known(distinct) if distinct else np.zeros(0, bool)
                keys = [k for k, has in zip(distinct, known, strict=True) if not has]
                # Only the sections without a vector are read.
                texts = {k: section_text(searcher.stored_fields(section_of[k])) for k in keys}
        finally:
            ix.close()
        summary.already = len(distinct) - len(keys)
        on_progress(0, len(keys))
        for start in range(0, len(keys), SHARD_SECTIONS):
            shard = keys[start : start + SHARD_SECTIONS]
            vectors = []
            for i in range(0, len(shard), BATCH):
                vectors.append(embed_texts([texts[k] for k in shard[i : i + BATCH]]))
                on_progress(start + i + len(vectors[-1]), len(keys))
            write_shard(index_dir, shard, np.concatenate(vectors))
            summary.embedded += len(shard)
        return summary
