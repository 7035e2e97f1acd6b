"""Stored fields compressed against a dictionary of the segment's own sections.

Whoosh compresses each document's stored fields on its own: a section of a few hundred
characters has little to compress against, and the fields every section of a document
repeats (title, agency, path, dates) are stored again in full each time. Here each
section is still compressed on its own, so that one is read without its neighbours, but
with a preset dictionary (raw deflate's `zdict`): a sample of the segment's first sections,
kept once at the column's end. Strings common to many sections (field names, agencies,
paths, stock phrases) then cost a back-reference.
"""

from __future__ import annotations

import pickle
import zlib
from typing import Any

from whoosh.columns import Column, ColumnReader, ColumnWriter, VarBytesColumn

DICTIONARY_BYTES = 32 * 1024  # deflate's window: a longer dictionary would not be reached
SAMPLED = 256  # the first sections, from which the dictionary is drawn
SAMPLE_STEP = 8  # every eighth of them, so that it spans several documents
LEVEL = 6
RAW_DEFLATE = -15  # no zlib header: the dictionary is known to both sides


def build_dictionary(pickled: list[bytes]) -> bytes:
    """The preset dictionary drawn from the first sections' pickled fields."""
    sample = b"".join(pickled[::SAMPLE_STEP])
    return sample[-DICTIONARY_BYTES:]


def compress(data: bytes, dictionary: bytes) -> bytes:
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, RAW_DEFLATE, zdict=dictionary)
    return packer.compress(data) + packer.flush()


def decompress(data: bytes, dictionary: bytes) -> bytes:
    unpacker = zlib.decompressobj(RAW_DEFLATE, zdict=dictionary)
    return unpacker.decompress(data) + unpacker.flush()


class DictionaryStoredColumn(Column):  # type: ignore[misc]
    """Each document's stored fields (a dict), pickled and compressed against the column's
    dictionary; stored in Whoosh's variable-length bytes column, the dictionary as the row
    after the last document."""

    _default: dict[str, Any] = {}

    def writer(self, dbfile: Any) -> Writer:
        return self.Writer(dbfile)

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> Reader:
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(ColumnWriter):  # type: ignore[misc]
        def __init__(self, dbfile: Any) -> None:
            self._rows = VarBytesColumn().writer(dbfile)
            self._waiting: list[tuple[int, bytes]] = []  # until the dictionary is drawn
            self._dictionary: bytes | None = None

        def add(self, docnum: int, value: dict[str, Any]) -> None:
            pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            if self._dictionary is not None:
                self._rows.add(docnum, compress(pickled, self._dictionary))
                return
            self._waiting.append((docnum, pickled))
            if len(self._waiting) >= SAMPLED:
                self._draw_dictionary()

        def _draw_dictionary(self) -> None:
            dictionary = self._dictionary = build_dictionary([p for _, p in self._waiting])
            for docnum, pickled in self._waiting:
                self._rows.add(docnum, compress(pickled, dictionary))
            self._waiting = []

        def finish(self, doccount: int) -> None:
            if self._dictionary is None:
                self._draw_dictionary()
            assert self._dictionary is not None
            self._rows.add(doccount, self._dictionary)
            self._rows.finish(doccount + 1)

    class Reader(ColumnReader):  # type: ignore[misc]
        def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int) -> None:
            self._rows = VarBytesColumn().reader(dbfile, basepos, length, doccount + 1)
            self._doccount = doccount
            self._dictionary = bytes(self._rows[doccount])

        def __len__(self) -> int:
            return int(self._doccount)

        def __getitem__(self, docnum: int) -> dict[str, Any]:
            if docnum >= self._doccount:
                raise IndexError(f"document {docnum} of {self._doccount}")
            data = self._rows[docnum]
            if not data:  # a document without stored fields
                return {}
            fields: dict[str, Any] = pickle.loads(decompress(data, self._dictionary))
            return fields

        def __iter__(self) -> Any:
            for docnum in range(self._doccount):
                yield self[docnum]

        def load(self) -> list[dict[str, Any]]:
            return list(self)


STORED_FIELDS = DictionaryStoredColumn()
