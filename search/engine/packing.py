"""Patched fixed-width arrays: a stream of small numbers stored in 8, 16 or 32 bits each,
with the few values that do not fit kept apart as exceptions.

Most of what a posting file holds is small: gaps between the document numbers of a term,
the number of times a word occurs in a section, positions and character offsets within a
section. A fixed width keeps every value at a known byte, so any run of them is read without
reading what comes before it, and decoding a run is a few numpy operations, however long.
The width of each stream is the one that makes it smallest, counting its exceptions. Widths
are whole bytes: numpy widens them in one pass, where half bytes would need several.

A packed file: a header (`HEADER`: magic, bits per value, bytes per exception index,
number of values, number of exceptions), the values' low bits, the exceptions' indexes
(ascending) and their values (uint32, or float32 in a float stream).
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

MAGIC = b"GSP1"
HEADER = struct.Struct("<4sBBxxQQ")
WIDTHS = (8, 16, 32)
CHUNK = 1 << 22  # values encoded at a time, so that memory stays bounded
EXCEPTION_VALUE_BYTES = 4


def packed_size(count: int, bits: int) -> int:
    """Bytes taken by `count` values of `bits` bits."""
    return (count * bits + 7) // 8


def fits(values: np.ndarray, bits: int) -> np.ndarray:
    """Which values are stored in the low bits (the others are exceptions)."""
    if values.dtype.kind == "f":
        # -0.0 is kept apart too, to read back as it was written.
        whole = (values == np.floor(values)) & ~np.signbit(values)
        return whole & (values < (1 << bits))
    return values < (1 << bits)


def low_bits(values: np.ndarray, bits: int) -> bytes:
    """The values' low bits, little-endian."""
    return values.astype(f"<u{bits // 8}").tobytes()


def pack_file(source: Path, target: Path, dtype: str) -> None:
    """Pack the flat array in `source` (little-endian `dtype`, "<u4" or "<f4") into
    `target`, with the width that makes it smallest; `source` is removed."""
    values = np.memmap(source, dtype=dtype, mode="r") if source.stat().st_size else None
    count = 0 if values is None else len(values)
    bits = 8
    if values is not None:
        bits = _width_over_chunks(values)
    index_dtype = "<u4" if count < (1 << 32) else "<u8"
    exception_dtype = "<f4" if np.dtype(dtype).kind == "f" else "<u4"
    indexes: list[np.ndarray] = []
    exceptions: list[np.ndarray] = []
    with open(target, "wb") as out:
        out.write(HEADER.pack(MAGIC, bits, np.dtype(index_dtype).itemsize, count, 0))
        for start in range(0, count, CHUNK):
            assert values is not None
            chunk = np.asarray(values[start : start + CHUNK])
            outside = np.flatnonzero(~fits(chunk, bits))
            indexes.append((outside + start).astype(index_dtype))
            exceptions.append(chunk[outside].astype(exception_dtype))
            stored = chunk.copy()
            stored[outside] = 0
            out.write(low_bits(stored, bits))
        found = sum(len(part) for part in indexes)
        for part in indexes + exceptions:
            part.tofile(out)
        out.seek(0)
        out.write(HEADER.pack(MAGIC, bits, np.dtype(index_dtype).itemsize, count, found))
    del values
    source.unlink()


def _width_over_chunks(values: np.ndarray) -> int:
    """The width that packs `values` smallest, exceptions counted (a chunk at a time)."""
    index_bytes = 4 if len(values) < (1 << 32) else 8
    outside = dict.fromkeys(WIDTHS, 0)
    for start in range(0, len(values), CHUNK):
        chunk = np.asarray(values[start : start + CHUNK])
        for bits in WIDTHS:
            outside[bits] += int((~fits(chunk, bits)).sum())
    costs = {
        bits: packed_size(len(values), bits) + outside[bits] * (index_bytes + EXCEPTION_VALUE_BYTES)
        for bits in WIDTHS
    }
    return min(costs, key=lambda bits: (costs[bits], bits))


class PackedReader:
    """A packed file open for reading, mapped into memory read-only and shared: its pages
    are the page cache's, shared by every worker, and a run of values is read without a
    system call. Exceptions are found by bisection over their mapped indexes.

    The files of a build are never changed in place (a build writes new ones, a swap or a
    merge unlinks old ones, which stay mapped while open), so a mapped file does not
    shrink under its readers."""

    def __init__(self, path: str, dtype: str) -> None:
        self.dtype = np.dtype(dtype)
        with open(path, "rb") as file:
            head = file.read(HEADER.size)
            if len(head) < HEADER.size or head[:4] != MAGIC:
                raise OSError(f"{path} is not a packed posting file")
            _, self.bits, index_bytes, self.count, found = HEADER.unpack(head)
            if self.bits not in WIDTHS or index_bytes not in (4, 8):
                raise OSError(f"{path} is damaged: its header names no known width")
            indexes_at = HEADER.size + packed_size(self.count, self.bits)
            self._values_at = indexes_at + found * index_bytes
            if os.fstat(file.fileno()).st_size != self._values_at + found * EXCEPTION_VALUE_BYTES:
                raise OSError(f"{path} is damaged: its length does not match its header")
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        self.exception_count = found
        self.index_bytes = index_bytes
        self._low = np.dtype(f"<u{self.bits // 8}")
        self._exception_dtype = np.dtype("<f4" if self.dtype.kind == "f" else "<u4")
        # The exceptions' indexes, ascending, as a sequence of ints for bisect: most runs are
        # short, and a numpy call on them costs more than the search itself.
        code: Literal["I", "Q"] = "I" if index_bytes == 4 else "Q"
        region = memoryview(self._map)[indexes_at : self._values_at]
        self._indexes: Sequence[int] = (
            region.cast(code) if sys.byteorder == "little" else _native(region.tobytes(), code)
        )

    def close(self) -> None:
        if isinstance(self._indexes, memoryview):
            self._indexes.release()
        self._indexes = ()
        try:
            self._map.close()
        except BufferError:
            pass  # an array read from it is still in use: unmapped when the last one goes

    def read(self, start: int, end: int) -> np.ndarray:
        """Values start to end (a new, writable array of the reader's dtype)."""
        low, found = self._stored(start, end)
        values = low.astype(self.dtype)
        if found is not None:
            values[found[0] - start] = found[1]
        return values

    def running_sums(
        self, start: int, end: int, dtype: np.dtype[Any] | type | None = None
    ) -> np.ndarray:
        """The running sums of values start to end (a new array of `dtype`, by default the
        reader's): a term's document numbers from its gaps."""
        dtype = self.dtype if dtype is None else dtype
        low, found = self._stored(start, end)
        if found is None:
            # Widened while summed: one pass over the run instead of two.
            return np.add.accumulate(low, dtype=dtype)
        values = low.astype(dtype)
        values[found[0] - start] = found[1]
        return np.add.accumulate(values, out=values)

    def _stored(
        self, start: int, end: int
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """The low bits of values start to end (read-only, on the mapped file), and the
        exceptions among them."""
        count = end - start
        if count <= 0:
            return np.empty(0, dtype=self._low), None
        # Every term of a search is read here: the plain path makes as few calls as it can.
        low = self._low
        found = self._exceptions(start, end) if self.exception_count else None
        return np.frombuffer(self._map, low, count, HEADER.size + start * low.itemsize), found

    def exceptions_between(self, start: int, end: int) -> int:
        """How many of values start to end are exceptions."""
        found = self._exceptions(start, end)
        return 0 if found is None else len(found[0])

    def _exceptions(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The indexes (int64) and values of the exceptions among values start to end."""
        indexes = self._indexes
        first = bisect_left(indexes, start)
        if first == len(indexes) or indexes[first] >= end:
            return None
        last = bisect_left(indexes, end, first)
        values_at = self._values_at + first * EXCEPTION_VALUE_BYTES
        return np.array(indexes[first:last], dtype=np.int64), np.frombuffer(
            self._map, self._exception_dtype, last - first, values_at
        )


def _native(data: bytes, code: str) -> array[int]:
    """Little-endian unsigned integers as a Python array of type `code`."""
    values = array(code)
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values
