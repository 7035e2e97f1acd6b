"""`govsearch embed`: compute the vectors that the index's sections do not have yet.

Runs after a reindex (and again after each one: only new or changed sections cost time).
It reads the live index without a lock and computes without one, so a reindex can run at the
same time; each shard of SHARD_SECTIONS vectors is added under the vectors lock, which is
held for that write alone (two embeds at once neither clash nor store a text twice). When a
pass is done it looks at the live index again and embeds what a reindex added meanwhile, up
to MAX_PASSES passes. It can be stopped at any point: what was written stays, and the next
run goes on from there. Once every section has a vector of the current model, the vectors of
other models are removed.

The vectors are computed in this process (`embed_in_batches`) or by whatever `Embedder` the
caller passes (`search.vectors.processes`: processes of one engine thread each;
`search.cluster.embedding`: the nodes of a Ray cluster); everything else, what to embed and
how it is stored, is the same whoever computes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from search.engine.columns import unsigned_column
from search.index.store import open_index
from search.vectors.model import embed_texts, section_text
from search.vectors.store import (
    VectorStore,
    commit_shard,
    file_unrecorded_shards,
    model_folder,
    remove_orphans,
    remove_other_models,
    vectors_lock,
)

# Texts handed to the model at once: it sorts them by length and runs those of like length
# together, so that a larger batch wastes less on padding (bench/embed.py, batch=N).
BATCH = 1024
SHARD_SECTIONS = 2048
# A pass after the first only embeds what a reindex added during the one before; a reindex
# running back to back with every pass is the only way to need more.
MAX_PASSES = 5

# Computes the vectors of some texts, in their order, calling `advance` with how many are
# done as it goes (for the progress bar).
Embedder = Callable[[list[str], Callable[[int], None]], np.ndarray]


@dataclass
class EmbedSummary:
    sections: int = 0  # in the index, at the last look
    distinct: int = 0  # distinct texts among them (identical sections share a vector)
    already: int = 0  # distinct texts that had a vector before this run
    embedded: int = 0  # vectors this run added
    added_meanwhile: int = 0  # distinct texts a reindex added while this run went on
    missing: int = 0  # distinct texts still without a vector when it stopped
    model: str = ""  # the folder of the current model's vectors
    filed: int = 0  # shards from before the model was recorded, filed under it
    removed: dict[str, int] = field(default_factory=dict)  # other models' shards, by folder


@dataclass
class _Pass:
    sections: int  # sections looked at
    distinct: int  # distinct texts among them
    texts: dict[int, str]  # text of each key without a vector


def _unembedded(index_dir: Path, store: VectorStore, docnums: Iterable[int] | None) -> _Pass:
    """The sections of the live index (or `docnums` of it) whose text has no vector."""
    store.refresh()
    ix = open_index(index_dir)
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            vector_keys = unsigned_column(reader, "vector_key").tolist()
            wanted = range(searcher.doc_count_all()) if docnums is None else docnums
            sections = 0
            section_of: dict[int, int] = {}  # each distinct text is embedded once
            for docnum in wanted:
                if not reader.is_deleted(docnum):
                    sections += 1
                    section_of.setdefault(vector_keys[docnum], docnum)
            distinct = list(section_of)
            known = store.known(distinct) if distinct else np.zeros(0, bool)
            keys = [k for k, has in zip(distinct, known, strict=True) if not has]
            # Only the sections without a vector are read.
            texts = {k: section_text(searcher.stored_fields(section_of[k])) for k in keys}
    finally:
        ix.close()
    return _Pass(sections, len(distinct), texts)


class _Counter:
    """Progress over every pass: the work to do grows when a later pass finds more."""

    def __init__(self, on_progress: Callable[[int, int], None]) -> None:
        self.on_progress = on_progress
        self.done = 0
        self.todo = 0

    def add_work(self, count: int) -> None:
        self.todo += count
        self.on_progress(self.done, self.todo)

    def advance(self, count: int) -> None:
        self.done += count
        self.on_progress(self.done, self.todo)


def embed_in_batches(texts: list[str], advance: Callable[[int], None]) -> np.ndarray:
    """The vectors of `texts`, computed in this process BATCH at a time."""
    vectors = []
    for i in range(0, len(texts), BATCH):
        vectors.append(embed_texts(texts[i : i + BATCH]))
        advance(len(vectors[-1]))
    return np.concatenate(vectors)


def _embed_texts(
    index_dir: Path, store: VectorStore, texts: dict[int, str], counter: _Counter, embed: Embedder
) -> int:
    """Embed and add `texts` shard by shard; how many vectors were added."""
    keys, added = list(texts), 0
    for start in range(0, len(keys), SHARD_SECTIONS):
        shard = keys[start : start + SHARD_SECTIONS]
        store.refresh()  # another embed may have done some of them since
        todo = [k for k, has in zip(shard, store.known(shard), strict=True) if not has]
        counter.advance(len(shard) - len(todo))
        if todo:
            vectors = embed([texts[k] for k in todo], counter.advance)
            added += commit_shard(index_dir, todo, vectors)
    return added


def embed_index(
    index_dir: Path,
    docnums: Iterable[int] | None = None,
    on_progress: Callable[[int, int], None] = lambda done, todo: None,
    embed: Embedder = embed_in_batches,
) -> EmbedSummary:
    """Embed every section of the live index that has no vector (or only `docnums`, in one
    pass over the generation it opens), including sections a reindex adds meanwhile; `embed`
    computes the vectors."""
    index_dir = Path(index_dir)
    open_index(index_dir).close()  # no index: nothing to tidy either
    summary = EmbedSummary(model=model_folder(index_dir).name)
    with vectors_lock(index_dir):
        remove_orphans(index_dir)
        summary.filed = file_unrecorded_shards(index_dir)
    store = VectorStore(index_dir)
    counter = _Counter(on_progress)
    docnums = None if docnums is None else list(docnums)  # read again by the last look
    passes = 1 if docnums is not None else MAX_PASSES
    for number in range(passes):
        found = _unembedded(index_dir, store, docnums)
        summary.sections = found.sections
        summary.distinct = found.distinct
        if number == 0:
            summary.already = found.distinct - len(found.texts)
        else:
            summary.added_meanwhile += len(found.texts)
        if not found.texts:
            break
        counter.add_work(len(found.texts))
        summary.embedded += _embed_texts(index_dir, store, found.texts, counter, embed)
    else:
        summary.missing = len(_unembedded(index_dir, store, docnums).texts)
    if docnums is None and not summary.missing:
        with vectors_lock(index_dir):
            summary.removed = remove_other_models(index_dir)
    return summary
