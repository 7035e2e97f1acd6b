"""Whoosh's W3 codec with field lengths read once per segment, and a faster posting pool.

Whoosh 2.7.4 looks up a document's field length once per posting, both while writing a
segment and while scoring, each time through a column read (and, for fields without
lengths, a file-exists check). Reading each length column once into memory removes that
cost; the on-disk format is unchanged. The codec class is recorded in the index's table
of contents, so this module path must stay importable (renaming it needs a full rebuild).

The posting pool writes its sorted runs in pickled blocks of many postings instead of one
pickle per posting, which is what made Whoosh's external sort slow; memory stays bounded.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from itertools import islice
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool


class CachedLengthsReader(W3PerDocReader):  # type: ignore[misc]
    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        cache: dict[str, list[int] | None] = self.__dict__.setdefault("_length_cache", {})
        if fieldname not in cache:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            cache[fieldname] = None if reader is None else [byte_to_length(b) for b in reader]
        lengths = cache[fieldname]
        if lengths is None or docnum >= len(lengths):
            return default
        return lengths[docnum] or default


class GovCodec(W3Codec):  # type: ignore[misc]
    def per_document_reader(self, storage: Any, segment: Any) -> CachedLengthsReader:
        return CachedLengthsReader(storage, segment)


RUN_BLOCK = 50_000  # postings per pickled block


class BlockPostingPool(PostingPool):  # type: ignore[misc]
    """Whoosh's posting pool, but sorted runs are pickled in blocks, not posting by posting."""

    def _write_run(self, f: Any, items: Any) -> None:
        iterator = iter(items)
        while block := list(islice(iterator, RUN_BLOCK)):
            pickle.dump(block, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator[Any]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    block = pickle.load(f)
                except EOFError:
                    return
                yield from block
        finally:
            f.close()
            self._remove_run(path)
