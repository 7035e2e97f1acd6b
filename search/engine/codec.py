"""Whoosh's W3 codec with postings as flat arrays, field lengths read once per segment, and
a posting pool that sorts terms, not postings.

A segment's postings are written once, as the flat arrays of `search.engine.postings`; Whoosh's
term table keeps each term's statistics (for idf and the like) and the number of its row
there, and Whoosh's matchers (the few query shapes scored by Whoosh, and segment merges)
read the postings back from those arrays. Whoosh's own pickled, compressed posting blocks,
the dearest part of writing a segment, are not written at all.

Stored fields are compressed against a dictionary of the segment's sections
(`search.engine.stored`).

Whoosh 2.7.4 looks up a document's field length once per posting, both while writing a
segment and while scoring, each time through a column read (and, for fields without
lengths, a file-exists check). Reading each length column once into memory removes that
cost. The codec class is recorded in the index's table of contents, so this module path
must stay importable (renaming it needs a full rebuild).

The posting pool groups postings by term as they arrive, so only terms are sorted and merged,
not every posting as in Whoosh's external sort; memory stays bounded.
"""

from __future__ import annotations

import heapq
import itertools
import marshal
import struct
from array import array
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3FieldWriter,
    W3PerDocReader,
    W3PerDocWriter,
    W3TermInfo,
    W3TermsReader,
    _lenfield,
)
from whoosh.matching import ListMatcher
from whoosh.system import pack_ushort
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length

from search.cache import BoundedCache
from search.engine.postings import (
    AMBIGUOUS,
    PostingArraysWriter,
    SegmentArrays,
    open_arrays,
    values_per_position,
)
from search.engine.stored import STORED_FIELDS

STORED = "_stored"  # Whoosh's column name for the stored fields

RUN_BLOCK = 2_000  # terms per block of a spilled run
BLOCK_SIZE = struct.Struct("<Q")  # each block's length, before it
# The extent length that marks a term info as pointing to a flat row (a posting block in
# Whoosh's file always has some length).
FLAT_ROW = 0


# A segment's field lengths never change, so they are shared by every reader of it in the
# process (a server opens a new searcher per request). Bounded: old segments fall out.
_LENGTHS: BoundedCache[tuple[str, str], bytes | None] = BoundedCache(256)
BYTE_LENGTHS = [byte_to_length(b) for b in range(256)]


class CachedLengthsReader(W3PerDocReader):  # type: ignore[misc]
    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._known: dict[str, bytes | None] = {}

    def field_lengths(self, fieldname: str) -> bytes | None:
        """Every document's length byte for the field (None when it stores no lengths)."""
        # Whoosh asks once per posting: this reader's own answers first, then the shared ones.
        if fieldname in self._known:
            return self._known[fieldname]
        key = (self._segment.segment_id(), fieldname)
        lengths = self._known[fieldname] = _LENGTHS.get_or_compute(
            key, lambda: self._read_lengths(fieldname)
        )
        return lengths

    def _read_lengths(self, fieldname: str) -> bytes | None:
        column = _lenfield(fieldname)
        reader = self._cached_reader(column, LENGTHS_COLUMN)
        lengths = None
        if reader is not None:
            # One byte a document, stored as is; documents past the end take the default 0.
            # Read in one piece, not item by item (a file read per document).
            raw = reader._dbfile.get(reader._basepos, reader._count * reader._fixedlen)
            lengths = bytes(raw).ljust(reader._doccount, b"\0")
        # Read whole: its file is not needed again (and is not left open if writing fails).
        self._readers.pop(column, None)
        opened = self._colfiles.pop(column, None)
        if opened is not None:
            opened[0].close()
        return lengths

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """The document's stored fields ({} when it has none)."""
        fields: dict[str, Any] = self._cached_reader(STORED, STORED_FIELDS)[docnum]
        return fields

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.field_lengths(fieldname)
        if lengths is None or docnum >= len(lengths):
            return default
        return BYTE_LENGTHS[lengths[docnum]] or default


class DictionaryStoredWriter(W3PerDocWriter):  # type: ignore[misc]
    """Whoosh's per-document writer, with stored fields compressed against a dictionary
    (`search.engine.stored`)."""

    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, STORED_FIELDS if fieldname == STORED else column)


class ArraysFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Whoosh's field writer, writing the postings as flat arrays (`search.engine.postings`) and
    only each term's statistics and row number in Whoosh's term table. An index in memory
    (no folder for the arrays) gets Whoosh's own posting blocks."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        folder = getattr(storage, "folder", None)
        self.arrays = PostingArraysWriter(Path(folder), segment.segment_id()) if folder else None
        self._lengths: list[int] = []

    def start_field(self, fieldname: str, fieldobj: Any) -> None:
        super().start_field(fieldname, fieldobj)
        if self.arrays is not None:
            self.arrays.start_field(fieldname, fieldobj.format)

    def start_term(self, btext: bytes) -> None:
        if self.arrays is None:
            super().start_term(btext)
            return
        self._btext = btext
        self._lengths = []
        self.arrays.start_term(btext)

    def add(self, docnum: int, weight: float, vbytes: bytes | str | None, length: int) -> None:
        # A merge of postings from Whoosh's own blocks reads a posting without a value back
        # as "" (its ListMatcher), which its posting writer then refuses: it means b"".
        value = b"" if isinstance(vbytes, str) else vbytes
        if self.arrays is None:
            self._postwriter.add_posting(docnum, weight, value, length)
            return
        self.arrays.add(docnum, weight, value)
        self._lengths.append(length)

    def finish_term(self) -> None:
        arrays = self.arrays
        if arrays is None:
            super().finish_term()
            return
        docs, weights = arrays.term_docs, arrays.term_weights
        lengths = [length for length in self._lengths if length]  # as Whoosh counts them
        self._add_term_info(self._btext, docs, weights, lengths, arrays.finish_term())

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        """Write a segment's postings; from our pool, a whole term at a time."""
        if self.arrays is None or not isinstance(items, PooledPostings):
            super().add_postings(schema, lengths, items)
            return
        current = None
        field_lengths: bytes | None = None
        for fieldname, btext, docs, weights, values, sizes in items.terms():
            if fieldname != current:
                if current is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                current = fieldname
                field_lengths = None
                if isinstance(lengths, CachedLengthsReader):
                    field_lengths = lengths.field_lengths(fieldname)
            row = self.arrays.add_term(btext, docs, weights, values, sizes)
            known = []
            if field_lengths is not None:
                size = len(field_lengths)
                known = [BYTE_LENGTHS[field_lengths[d]] for d in docs if d < size]
            self._add_term_info(btext, docs, weights, [n for n in known if n], row)
        if current is not None:
            self.finish_field()

    def _add_term_info(
        self, btext: bytes, docs: Any, weights: Any, lengths: list[int], row: int
    ) -> None:
        """The term's entry in Whoosh's table: its statistics (`lengths` are the non-zero
        field lengths of its documents) and the number of its flat row."""
        terminfo = W3TermInfo(
            weight=float(sum(weights)),
            df=len(docs),
            minlength=min(lengths) if lengths else None,
            maxlength=max(lengths) if lengths else 0,
            maxweight=max(weights),
            minid=docs[0],
            maxid=docs[-1],
        )
        terminfo.set_extent(row, FLAT_ROW)
        self._tindex.add(pack_ushort(self._fieldid) + btext, terminfo.to_bytes())

    def close(self) -> None:
        super().close()
        if self.arrays is not None:
            self.arrays.close()


class ArraysTermsReader(W3TermsReader):  # type: ignore[misc]
    """Whoosh's term table reader, whose matchers read a term's postings from the flat row
    its entry points to. It owns the segment's flat files: they close when Whoosh closes
    the segment's reader (a searcher closed, or refreshed without the segment)."""

    def __init__(
        self, codec: Any, dbfile: Any, length: int, postfile: Any, arrays: SegmentArrays | None
    ) -> None:
        super().__init__(codec, dbfile, length, postfile)
        self.arrays = arrays

    def close(self) -> None:
        super().close()
        if self.arrays is not None:
            self.arrays.close()

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        """How many documents hold the term, from the flat term table (which has every term
        of a segment that has one): idf asks this of each segment for each new term, and
        Whoosh's table answers with several reads of its hash file."""
        if self.arrays is not None:
            row = self.arrays.row(fieldname, tbytes)
            if row is None:
                return 0
            if row != AMBIGUOUS:
                return int(row[1] - row[0])
        return int(super().doc_frequency(fieldname, tbytes))

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        terminfo = self.term_info(fieldname, tbytes)
        term = (fieldname, tbytes)
        row = flat_row(terminfo)
        if row is None:
            return self._codec.postings_reader(
                self._postfile, terminfo, format_, term=term, scorer=scorer
            )
        if self.arrays is None:
            raise OSError(f"a segment's flat posting files are missing (term {term!r})")
        docs, weights, values = read_postings(self.arrays, row, format_)
        return ListMatcher(
            docs, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo
        )


def flat_row(terminfo: W3TermInfo) -> int | None:
    """The number of the flat row a term info points to; None for Whoosh's own postings."""
    if terminfo.is_inlined():
        return None
    offset, length = terminfo.extent()
    if isinstance(length, tuple):  # Whoosh 2.7.4 reads the length back as a 1-tuple
        length = length[0]
    return int(offset) if length == FLAT_ROW else None


def read_postings(
    arrays: SegmentArrays, number: int, fmt: Any
) -> tuple[list[int], list[float], list[bytes]]:
    """Row `number`'s postings as Whoosh's matchers take them: document numbers, weights
    and each posting's value in the field's encoding."""
    start, end, first_position, first_character = arrays.row_at(number)
    docs = arrays.docs(start, end).tolist()
    stored = arrays.weights(start, end)
    stride = values_per_position(fmt)
    if not stride:
        return docs, stored.astype(np.float64).tolist(), [b""] * len(docs)
    counts = stored.astype(np.int64)
    total = int(counts.sum())
    flat = arrays.positions(first_position, first_position + total)
    if stride == 3:  # (position, start, end) triples
        characters = arrays.characters(first_character, first_character + total)
        flat = np.column_stack([flat, characters]).astype("<u4").ravel()
    bounds = (np.concatenate([[0], np.cumsum(counts)]) * stride).tolist()
    values = [flat[bounds[i] : bounds[i + 1]].tobytes() for i in range(len(docs))]
    weights = (counts * fmt.field_boost).astype(np.float64).tolist()
    return docs, weights, values


class GovCodec(W3Codec):  # type: ignore[misc]
    def field_writer(self, storage: Any, segment: Any) -> ArraysFieldWriter:
        return ArraysFieldWriter(self, storage, segment)

    def per_document_writer(self, storage: Any, segment: Any) -> DictionaryStoredWriter:
        return DictionaryStoredWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> CachedLengthsReader:
        return CachedLengthsReader(storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> ArraysTermsReader:
        name = segment.make_filename(self.TERMS_EXT)
        return ArraysTermsReader(
            self,
            storage.open_file(name),
            storage.file_length(name),
            segment.open_file(storage, self.POSTS_EXT),
            open_arrays(getattr(storage, "folder", None), segment.segment_id()),
        )


# A term group: field, term, document numbers, weights, values one after another, and the
# size of each value.
TermGroup = tuple[str, bytes, "array[int]", "array[float]", bytes, "array[int]"]
_TERM_BYTES = 450  # a term's key, arrays and table entry, roughly


class TermPostingPool:
    """Postings grouped by term as they arrive, each term's in compact arrays instead of
    Whoosh's one tuple per posting sorted externally: only the terms are sorted, a spilled
    run is merged by term, and the garbage collector has no object per posting to scan.

    Same interface as Whoosh's PostingPool (add, iter_postings, fieldnames, cleanup); memory
    is bounded by `limitmb`, past which the pool spills a sorted run to the temp storage.
    """

    def __init__(self, tempstore: Any, segment: Any, limitmb: float = 128) -> None:
        self.tempstore = tempstore
        self.segment = segment
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.fieldnames: set[str] = set()
        self.terms: dict[tuple[str, bytes], tuple[Any, Any, bytearray, Any]] = {}
        self.runs: list[str] = []

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        key = item[:2]
        entry = self.terms.get(key)
        if entry is None:
            entry = self.terms[key] = (array("I"), array("f"), bytearray(), array("I"))
            self.fieldnames.add(item[0])
            self.size += _TERM_BYTES + len(item[1])
        value = item[4] or b""  # a merge may read an empty value back as ""
        entry[0].append(item[2])
        entry[1].append(item[3])
        entry[2].extend(value)
        entry[3].append(len(value))
        self.size += 12 + len(value)
        if self.size > self.limit:
            self._spill()

    def _sorted_terms(self) -> list[tuple[tuple[str, bytes], tuple[Any, Any, bytearray, Any]]]:
        return sorted(self.terms.items(), key=itemgetter(0))

    def _spill(self) -> None:
        name = f"{random_name()}.terms"
        with self.tempstore.create_file(name) as f:
            items = [
                (key, (docs.tobytes(), weights.tobytes(), bytes(values), sizes.tobytes()))
                for key, (docs, weights, values, sizes) in self._sorted_terms()
            ]
            for start in range(0, len(items), RUN_BLOCK):
                # marshal, not pickle: plain tuples of str and bytes, read back by this
                # process only, need none of pickle's generality, and marshal writes faster.
                block = marshal.dumps(items[start : start + RUN_BLOCK])
                f.write(BLOCK_SIZE.pack(len(block)))
                f.write(block)
        self.runs.append(name)
        self.terms = {}
        self.size = 0

    def _read_run(self, name: str) -> Iterator[tuple[tuple[str, bytes], tuple[bytes, ...]]]:
        with self.tempstore.open_file(name) as f:
            while size := f.read(BLOCK_SIZE.size):
                yield from marshal.loads(f.read(BLOCK_SIZE.unpack(size)[0]))
        self.tempstore.delete_file(name)

    def iter_terms(self) -> Iterator[TermGroup]:
        """Every term with its postings, sorted by field and term, documents ascending."""
        if not self.runs:
            for (fieldname, btext), (docs, weights, values, sizes) in self._sorted_terms():
                yield fieldname, btext, docs, weights, bytes(values), sizes
            return
        in_memory = (
            (key, (docs.tobytes(), weights.tobytes(), bytes(values), sizes.tobytes()))
            for key, (docs, weights, values, sizes) in self._sorted_terms()
        )
        sources = [self._read_run(name) for name in self.runs] + [in_memory]
        self.terms = {}
        # Runs are in the order documents were added, so equal terms concatenate in order.
        merged = heapq.merge(
            *(
                ((key, index, parts) for key, parts in source)
                for index, source in enumerate(sources)
            ),
            key=itemgetter(0, 1),
        )
        for (fieldname, btext), group in itertools.groupby(merged, key=itemgetter(0)):
            parts = [item[2] for item in group]
            docs, weights, sizes = array("I"), array("f"), array("I")
            for part in parts:
                docs.frombytes(part[0])
                weights.frombytes(part[1])
                sizes.frombytes(part[3])
            yield fieldname, btext, docs, weights, b"".join(part[2] for part in parts), sizes
        self.runs = []

    def iter_postings(self) -> PooledPostings:
        """Every posting, sorted by field, term and document number."""
        return PooledPostings(self)

    def cleanup(self) -> None:
        for name in self.runs:
            try:
                self.tempstore.delete_file(name)
            except OSError:
                pass
        self.runs = []


class PooledPostings:
    """A pool's postings: one tuple at a time for Whoosh, or a term at a time (`terms`)."""

    def __init__(self, pool: TermPostingPool) -> None:
        self.pool = pool

    def terms(self) -> Iterator[TermGroup]:
        return self.pool.iter_terms()

    def __iter__(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        for fieldname, btext, docs, weights, values, sizes in self.terms():
            start = 0
            for docnum, weight, size in zip(docs, weights, sizes, strict=True):
                yield fieldname, btext, docnum, weight, values[start : start + size]
                start += size
