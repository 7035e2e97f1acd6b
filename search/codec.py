"""Whoosh's W3 codec with field lengths read once per segment, and a faster posting pool.

Whoosh 2.7.4 looks up a document's field length once per posting, both while writing a
segment and while scoring, each time through a column read (and, for fields without
lengths, a file-exists check). Reading each length column once into memory removes that
cost; the on-disk format is unchanged. The codec class is recorded in the index's table
of contents, so this module path must stay importable (renaming it needs a full rebuild).

The posting pool groups postings by term as they arrive, so only terms are sorted and merged,
not every posting, which is what made Whoosh's external sort slow; memory stays bounded.
"""

from __future__ import annotations

import heapq
import pickle
from collections import OrderedDict
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3FieldWriter,
    W3PerDocReader,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length

from search.postings import PostingArraysWriter

RUN_BLOCK = 2_000  # terms per pickled block of a spilled run
INLINE_POSTINGS = 8  # posting lists shorter than this live in the term's entry


# A segment's field lengths never change, so they are shared by every reader of it in the
# process (a server opens a new searcher per request). Bounded: old segments fall out.
_LENGTHS: OrderedDict[tuple[str, str], bytes | None] = OrderedDict()
_LENGTHS_KEPT = 256
BYTE_LENGTHS = [byte_to_length(b) for b in range(256)]


class CachedLengthsReader(W3PerDocReader):  # type: ignore[misc]
    def field_lengths(self, fieldname: str) -> bytes | None:
        """Every document's length byte for the field (None when it stores no lengths)."""
        key = (self._segment.segment_id(), fieldname)
        if key in _LENGTHS:
            _LENGTHS.move_to_end(key)
            return _LENGTHS[key]
        column = _lenfield(fieldname)
        reader = self._cached_reader(column, LENGTHS_COLUMN)
        lengths = None
        if reader is not None:
            # One byte a document, stored as is; documents past the end take the default 0.
            # Read in one piece: item by item it takes seconds on a large segment.
            raw = reader._dbfile.get(reader._basepos, reader._count * reader._fixedlen)
            lengths = bytes(raw).ljust(reader._doccount, b"\0")
        # Read whole: its file is not needed again (and is not left open if writing fails).
        self._readers.pop(column, None)
        opened = self._colfiles.pop(column, None)
        if opened is not None:
            opened[0].close()
        _LENGTHS[key] = lengths
        while len(_LENGTHS) > _LENGTHS_KEPT:
            _LENGTHS.popitem(last=False)
        return lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.field_lengths(fieldname)
        if lengths is None or docnum >= len(lengths):
            return default
        return BYTE_LENGTHS[lengths[docnum]] or default


class InliningPostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """Stores short posting lists inside the term's entry, as Whoosh 2.7.4 means to.

    Its writer calls a misspelt method (`set_inline`), so Whoosh ships with inlining off
    (`inlinelimit=1`) and writes every rare term as a pickled, compressed block of its own.
    The reader side (`is_inlined`, `inlined_postings`) works and is used as is.
    """

    def finish_postings(self) -> Any:
        if not self.written() and len(self._ids) < self._inlinelimit:
            terminfo = vars(self)["_terminfo"]
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()


class ArraysFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Whoosh's field writer, also writing the segment's postings as flat arrays
    (`search.postings`) when the index is on disk."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        folder = getattr(storage, "folder", None)
        self.arrays = PostingArraysWriter(Path(folder), segment.segment_id()) if folder else None

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        if self.arrays is not None:
            self.arrays.start_field(fieldname, fieldobj.format)

    def start_term(self, btext: bytes) -> None:
        super().start_term(btext)
        if self.arrays is not None:
            self.arrays.start_term(btext)

    def add(self, docnum: int, weight: float, vbytes: bytes | str | None, length: int) -> None:
        # A merge reads an inlined posting without a value back as "" (Whoosh 2.7.4's
        # ListMatcher), which its own posting writer then refuses: it means b"".
        value = b"" if isinstance(vbytes, str) else vbytes
        self._postwriter.add_posting(docnum, weight, value, length)
        if self.arrays is not None:
            self.arrays.add(docnum, weight, value)

    def finish_term(self) -> None:
        super().finish_term()
        if self.arrays is not None:
            self.arrays.finish_term()

    def close(self) -> None:
        super().close()
        if self.arrays is not None:
            self.arrays.close()


class GovCodec(W3Codec):  # type: ignore[misc]
    def __init__(self, inlinelimit: int = INLINE_POSTINGS) -> None:
        super().__init__(inlinelimit=inlinelimit)

    def field_writer(self, storage: Any, segment: Any) -> ArraysFieldWriter:
        return ArraysFieldWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> CachedLengthsReader:
        return CachedLengthsReader(storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> InliningPostingsWriter:
        return InliningPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class TermPostingPool:
    """Postings grouped by term as they arrive, instead of Whoosh's one tuple per posting
    sorted externally: only the terms are sorted, and a spilled run is merged by term.

    Same interface as Whoosh's PostingPool (add, iter_postings, fieldnames, cleanup); memory
    is bounded by `limitmb`, past which the pool spills a sorted run to the temp storage.
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = 128) -> None:
        self.tempstore = tempstore
        self.segment = segment
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.fieldnames: set[str] = set()
        self.terms: dict[tuple[str, bytes], list[Any]] = {}
        self.runs: list[str] = []

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        key = item[:2]
        postings = self.terms.get(key)
        if postings is None:
            postings = self.terms[key] = []
            self.fieldnames.add(item[0])
            self.size += 150 + len(item[1])
        postings.append(item)
        # the tuple, the term's bytes, a float and the value string
        self.size += 170 + (len(item[4]) if item[4] else 0)
        if self.size > self.limit:
            self._spill()

    def _sorted_terms(self) -> list[tuple[tuple[str, bytes], list[Any]]]:
        return sorted(self.terms.items(), key=itemgetter(0))

    def _spill(self) -> None:
        name = f"{random_name()}.terms"
        with self.tempstore.create_file(name) as f:
            items = self._sorted_terms()
            for start in range(0, len(items), RUN_BLOCK):
                pickle.dump(items[start : start + RUN_BLOCK], f, pickle.HIGHEST_PROTOCOL)
        self.runs.append(name)
        self.terms = {}
        self.size = 0

    def _read_run(self, name: str) -> Iterator[tuple[tuple[str, bytes], list[Any]]]:
        with self.tempstore.open_file(name) as f:
            while True:
                try:
                    block = pickle.load(f)
                except EOFError:
                    break
                yield from block
        self.tempstore.delete_file(name)

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """Every posting, sorted by field, term and document number."""
        if not self.runs:
            for _key, postings in self._sorted_terms():
                yield from postings
            return
        sources = [self._read_run(name) for name in self.runs] + [iter(self._sorted_terms())]
        # Runs are in the order documents were added, so equal terms concatenate in order.
        merged = heapq.merge(
            *(
                ((key, index, postings) for key, postings in source)
                for index, source in enumerate(sources)
            ),
            key=itemgetter(0, 1),
        )
        for _key, _index, postings in merged:
            yield from postings
        self.runs = []

    def cleanup(self) -> None:
        for name in self.runs:
            try:
                self.tempstore.delete_file(name)
            except OSError:
                pass
        self.runs = []
