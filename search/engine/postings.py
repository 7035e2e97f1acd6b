"""Each segment's posting lists as flat arrays, for scoring in numpy.

Whoosh keeps a term's postings in compressed, pickled blocks of about a hundred documents,
decoded block by block in Python when a query reads them. Here a segment's postings go,
term after term, into flat little-endian files instead (Whoosh's own posting file stays
empty; its term table keeps each term's statistics and the number of its row below):

  .gsterms.npy  row of each term, in Whoosh's term order: first posting, end, first
                position, first character offset pair (uint32, or uint64 when a segment
                holds more than 2**32 of something)
  .gskeys.npy   uint64 key of each term (a hash of field and text), ascending
  .gsorder.npy  uint32 row number of each key, so a term is found without Whoosh's table
  .gsdocs       document numbers, each term's ascending: its first, then the gaps
  .gsweights    weight of each posting; in fields that store positions, the number of
                positions (the posting's weight is that times the field's boost)
  .gspos        positions of each posting in turn, for fields that store positions
  .gschars      where each of those positions starts, in characters, for fields that store
                character offsets (the passages mark the words with them)
  .gslens       and how many characters long it is

Each of the last five is a packed array (`search.engine.packing`): every value in the same
width of 1, 2 or 4 bytes, the few that do not fit apart, so that any run is read without
what precedes it. Gaps rather than document numbers keep a common term's numbers small.

Positions come from the value encodings below, plain arrays rather than Whoosh's pickles, so
they are copied, not decoded. The files share the segment's name, so Whoosh deletes them
with it, and they open and close with Whoosh's reader of the segment (`search.engine.codec`),
so a process holds no file of a segment, or of a replaced build, that no reader uses.
"""

from __future__ import annotations

import hashlib
import weakref
from array import array
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import numpy as np
from whoosh.formats import Characters, Format, Positions

from search.engine.packing import PackedReader, pack_file

KEYS, TERMS, ORDER = ".gskeys.npy", ".gsterms.npy", ".gsorder.npy"
DOCS, WEIGHTS, POSITIONS = ".gsdocs", ".gsweights", ".gspos"
CHARS, LENGTHS = ".gschars", ".gslens"
FILES = (KEYS, TERMS, ORDER, DOCS, WEIGHTS, POSITIONS, CHARS, LENGTHS)
# Each posting file's values as written, before packing.
POSTING_FILES = {DOCS: "<u4", WEIGHTS: "<f4", POSITIONS: "<u4", CHARS: "<u4", LENGTHS: "<u4"}
UNPACKED = ".unpacked"
AMBIGUOUS = (-1, -1, -1)
# Offsets read in one piece for the documents of a page, when they lie this close together.
ONE_READ = 2_048  # two terms of a segment share a key: look them up in Whoosh's table


class ArrayPositions(Positions):  # type: ignore[misc]
    """Positions as a plain uint32 array (Whoosh pickles a list of deltas)."""

    def encode(self, poslist: list[int]) -> bytes:
        return array("I", poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        values = array("I")
        values.frombytes(valuestring)
        return values.tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4


class ArrayCharacters(Characters):  # type: ignore[misc]
    """(position, start, end) triples as one plain uint32 array."""

    def encode(self, poslist: list[tuple[int, int, int]]) -> bytes:
        return array("I", chain.from_iterable(poslist)).tobytes()

    def _flat(self, valuestring: bytes) -> array[int]:
        values = array("I")
        values.frombytes(valuestring)
        return values

    def decode_characters(self, valuestring: bytes) -> list[tuple[int, int, int]]:
        flat = self._flat(valuestring)
        return list(zip(flat[0::3], flat[1::3], flat[2::3], strict=True))

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return self._flat(valuestring)[0::3].tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 12


def stores_positions(fmt: Format) -> bool:
    """Whether the flat files hold the field's positions (and counts as its weights)."""
    return values_per_position(fmt) > 0


def values_per_position(fmt: Format) -> int:
    """uint32 values per position in the format's encoding; 0 when it has none we read."""
    if isinstance(fmt, ArrayCharacters):
        return 3
    return 1 if isinstance(fmt, ArrayPositions) else 0


def term_key(fieldname: str, btext: bytes) -> int:
    digest = hashlib.blake2b(fieldname.encode("utf-8") + b"\0" + btext, digest_size=8)
    return int.from_bytes(digest.digest(), "little")


def term_keys(terms: Sequence[tuple[str, bytes]]) -> np.ndarray:
    """The keys of (field, term) pairs, for SegmentArrays.find_all (the same in every
    segment)."""
    keys = (term_key(fieldname, btext) for fieldname, btext in terms)
    return np.fromiter(keys, dtype=np.uint64, count=len(terms))


class PostingArraysWriter:
    """Receives a segment's postings in Whoosh's order (field, term, document) and writes
    the flat files; only the term table is held in memory."""

    def __init__(self, folder: Path, segment_id: str) -> None:
        self._paths = {ext: folder / f"{segment_id}{ext}" for ext in FILES}
        self._files: dict[str, BinaryIO] = {
            ext: open(self._unpacked(ext), "wb")  # noqa: SIM115 - closed in close()/abort()
            for ext in POSTING_FILES
        }
        self._keys: array[int] = array("Q")
        self._rows: array[int] = array("Q")
        self._postings = 0
        self._positions = 0
        self._characters = 0
        self._field = ""
        self._stride = 0
        self._docs: list[int] = []
        self._weights: list[float] = []
        self._values: list[bytes] = []

    def start_field(self, fieldname: str, fmt: Format) -> None:
        self._field = fieldname
        self._stride = values_per_position(fmt)

    def start_term(self, btext: bytes) -> None:
        self._keys.append(term_key(self._field, btext))
        self._docs, self._weights, self._values = [], [], []

    @property
    def term_docs(self) -> list[int]:
        """The current term's document numbers so far."""
        return self._docs

    @property
    def term_weights(self) -> list[float]:
        return self._weights

    def add(self, docnum: int, weight: float, vbytes: bytes | None) -> None:
        self._docs.append(docnum)
        self._weights.append(weight)
        self._values.append(vbytes or b"")

    def finish_term(self) -> int:
        """Write the term's postings; returns the number of its row."""
        sizes = array("I", [len(v) for v in self._values])
        return self._write(
            array("I", self._docs), array("f", self._weights), b"".join(self._values), sizes
        )

    def add_term(
        self, btext: bytes, docs: array[int], weights: array[float], values: bytes, sizes: Any
    ) -> int:
        """Write a whole term at once: its document numbers, weights, and values (encoded
        positions, one after another, `sizes` bytes each); returns the number of its row."""
        self._keys.append(term_key(self._field, btext))
        return self._write(docs, weights, values, sizes)

    def _write(self, docs: array[int], weights: array[float], values: bytes, sizes: Any) -> int:
        count = len(docs)
        self._rows.extend(
            (self._postings, self._postings + count, self._positions, self._characters)
        )
        self._postings += count
        _gaps(docs).tofile(self._files[DOCS])
        if not self._stride:
            weights.tofile(self._files[WEIGHTS])
            return len(self._keys) - 1
        size = 4 * self._stride
        if count == 1:  # most terms
            array("f", [len(values) // size]).tofile(self._files[WEIGHTS])
        else:
            (np.asarray(sizes, dtype=np.float32) / size).tofile(self._files[WEIGHTS])
        if self._stride == 1:
            self._files[POSITIONS].write(values)
        else:  # (position, start, end) triples
            triples = np.frombuffer(values, dtype="<u4").reshape(-1, 3)
            triples[:, 0].tofile(self._files[POSITIONS])
            triples[:, 1].tofile(self._files[CHARS])
            # An end before its start wraps around in uint32, and back again when read.
            (triples[:, 2] - triples[:, 1]).tofile(self._files[LENGTHS])
            self._characters += len(triples)
        self._positions += len(values) // size
        return len(self._keys) - 1

    def _unpacked(self, ext: str) -> Path:
        return self._paths[ext].with_name(self._paths[ext].name + UNPACKED)

    def close(self) -> None:
        for opened in self._files.values():
            opened.close()
        for ext, dtype in POSTING_FILES.items():
            pack_file(self._unpacked(ext), self._paths[ext], dtype)
        keys = np.frombuffer(self._keys, dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        np.save(self._paths[KEYS], keys[order])
        np.save(self._paths[ORDER], order.astype(np.uint32))
        rows = np.frombuffer(self._rows, dtype=np.uint64).reshape(-1, 4)
        if not len(rows) or int(rows.max()) < (1 << 32):
            rows = rows.astype(np.uint32)
        np.save(self._paths[TERMS], rows)

    def abort(self) -> None:
        """Close whatever is open after a failure and remove the unpacked files (the caller
        removes the segment's)."""
        for ext, opened in self._files.items():
            try:
                opened.close()
                self._unpacked(ext).unlink(missing_ok=True)
            except OSError:
                pass


def _gaps(docs: array[int]) -> np.ndarray | array[int]:
    """A term's first document number, then the gap to each next one."""
    if len(docs) == 1:  # most terms
        return docs
    numbers = np.asarray(docs, dtype=np.uint32)
    gaps = numbers.copy()
    gaps[1:] -= numbers[:-1]
    return gaps


class PostingRuns(Protocol):
    """Reads runs of a segment's document numbers and weights (SegmentArrays, or a search's
    segment that reads each run once)."""

    def docs(self, start: int, end: int) -> np.ndarray: ...

    def weights(self, start: int, end: int) -> np.ndarray: ...


class SegmentArrays:
    """One segment's flat files, open for reading.

    The term table and the posting files are mapped read-only (`PackedReader`): their pages
    are the page cache's, shared by every worker, and a search touches only the pages of
    its terms.
    """

    def __init__(self, base: str) -> None:
        self.keys = _mapped(f"{base}{KEYS}")
        self.order = _mapped(f"{base}{ORDER}")
        self.rows = _mapped(f"{base}{TERMS}")
        self._files: dict[str, PackedReader] = {}
        # Also closed if the object is dropped unclosed (or a file is missing: those already
        # open are not left behind).
        self._closer = weakref.finalize(self, _close_all, self._files)
        for ext, dtype in POSTING_FILES.items():
            self._files[ext] = PackedReader(f"{base}{ext}", dtype)

    def close(self) -> None:
        """Close the posting files and let go of the mapped term table (unmapped once no
        array taken from it is left)."""
        self._closer()
        self.keys = self.order = self.rows = np.empty(0, dtype=np.uint64)

    def find(self, fieldname: str, btext: bytes) -> tuple[int, int, int] | None:
        """(first posting, end, first position) of a term, None when the segment does not
        have it, AMBIGUOUS when its key is shared."""
        return self.find_all(term_keys([(fieldname, btext)]))[0]

    def find_all(self, wanted: np.ndarray) -> list[tuple[int, int, int] | None]:
        """`find` for many terms, by their keys (`term_keys`), with one search of the table:
        a long question looks up hundreds of terms, and each numpy call has a fixed cost."""
        if not len(self.keys) or not len(wanted):
            return [None] * len(wanted)
        last = len(self.keys) - 1
        at = np.minimum(np.searchsorted(self.keys, wanted), last)
        present = (self.keys[at] == wanted).tolist()
        shared = (self.keys[np.minimum(at + 1, last)] == wanted) & (at < last)
        rows = self.rows[self.order[at]].tolist()
        return [
            (AMBIGUOUS if twice else (row[0], row[1], row[2])) if there else None
            for there, twice, row in zip(present, shared.tolist(), rows, strict=True)
        ]

    def row(self, fieldname: str, btext: bytes) -> tuple[int, ...] | None:
        """The term's row of the term table (see `find`)."""
        if not len(self.keys):
            return None
        key = np.uint64(term_key(fieldname, btext))
        at = int(np.searchsorted(self.keys, key))
        if at >= len(self.keys) or self.keys[at] != key:
            return None
        if at + 1 < len(self.keys) and self.keys[at + 1] == key:
            return AMBIGUOUS
        return self.row_at(int(self.order[at]))

    def row_at(self, number: int) -> tuple[int, ...]:
        """Row `number` of the term table: (first posting, end, first position, first
        character offset pair)."""
        return tuple(self.rows[number].tolist())

    def docs(self, start: int, end: int) -> np.ndarray:
        """A term's document numbers (int64, the type numpy indexes with: scoring uses them
        as indexes, and as they are): `start` is the term's first posting, where its gaps
        begin."""
        return self._files[DOCS].running_sums(start, end, np.int64)

    def weights(self, start: int, end: int) -> np.ndarray:
        return self._files[WEIGHTS].read(start, end)

    def positions(self, start: int, end: int) -> np.ndarray:
        return self._files[POSITIONS].read(start, end)

    def characters(self, start: int, end: int) -> np.ndarray:
        """Rows start to end of the (start, end) character offsets (uint32)."""
        starts = self._files[CHARS].read(start, end)
        pairs = np.empty((len(starts), 2), dtype=np.uint32)
        pairs[:, 0] = starts
        np.add(starts, self._files[LENGTHS].read(start, end), out=pairs[:, 1])
        return pairs

    def character_spans(
        self, fieldname: str, btext: bytes, docs: np.ndarray, searched: PostingRuns | None = None
    ) -> list[tuple[int, list[tuple[int, int]]]] | None:
        """(document, its (start, end) offsets) for each of `docs` (ascending) that has the
        term, in a field that stores character offsets; None when the key is ambiguous.
        `searched` reads the term's postings instead: the search that found `docs` has
        mostly read them already."""
        row = self.row(fieldname, btext)
        if row is None or not len(docs):
            return []
        if row is AMBIGUOUS:
            return None
        start, end, _, first_character = row
        postings = (searched or self).docs(start, end)
        rows = np.searchsorted(postings, docs)
        np.minimum(rows, len(postings) - 1, out=rows)
        rows = rows[postings[rows] == docs]
        if not len(rows):
            return []
        # Only the counts before the last wanted posting are needed to find its positions.
        counts = (searched or self).weights(start, start + int(rows[-1]) + 1).astype(np.int64)
        firsts = first_character + np.cumsum(counts) - counts
        low, high = int(firsts[rows[0]]), int(firsts[rows[-1]] + counts[rows[-1]])
        places = zip((firsts[rows] - low).tolist(), counts[rows].tolist(), strict=True)
        if high - low <= ONE_READ:  # the wanted documents' offsets lie close together
            starts, ends = self._offsets(low, high)
            spans = [
                list(zip(starts[at : at + count], ends[at : at + count], strict=True))
                for at, count in places
            ]
        else:
            spans = []
            for at, count in places:
                starts, ends = self._offsets(low + at, low + at + count)
                spans.append(list(zip(starts, ends, strict=True)))
        return list(zip(postings[rows].tolist(), spans, strict=True))

    def _offsets(self, start: int, end: int) -> tuple[list[int], list[int]]:
        """`characters` as a list of starts and a list of ends."""
        starts = self._files[CHARS].read(start, end)
        ends = starts + self._files[LENGTHS].read(start, end)  # uint32, as `characters`
        return starts.tolist(), ends.tolist()


def _mapped(path: str) -> np.ndarray:
    """A saved array, memory-mapped (as a plain array: np.memmap slices slowly).

    Raises OSError when the file is not a saved array (truncated or overwritten).
    """
    try:
        return np.load(path, mmap_mode="r").view(np.ndarray)
    except (ValueError, EOFError):  # an empty array has nothing to map (or it is damaged)
        pass
    try:
        return np.load(path)
    except (ValueError, EOFError) as error:
        reason = str(error)
    raise OSError(f"{path} is damaged: {reason}")


def _close_all(readers: dict[str, PackedReader]) -> None:
    # Emptied, so that a read after closing fails instead of reading a reused descriptor.
    while readers:
        readers.popitem()[1].close()


def open_arrays(folder: str | None, segment_id: str) -> SegmentArrays | None:
    """A segment's flat posting files, open; None when it has none (or is in memory)."""
    if folder is None:
        return None
    try:
        return SegmentArrays(str(Path(folder) / segment_id))
    except FileNotFoundError:
        return None


def segment_arrays(reader: Any) -> SegmentArrays | None:
    """The flat posting files of a Whoosh segment reader, None when it has none: those its
    term table opened (`search.engine.codec.ArraysTermsReader`), valid while the reader is open."""
    return getattr(getattr(reader, "_terms", None), "arrays", None)
