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

import os
import struct
from pathlib import Path

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
    """A packed file open for reading: runs of values are read with pread (so they stay in
    the page cache, shared by every worker); the exceptions are read once, on opening."""

    def __init__(self, path: str, dtype: str) -> None:
        self.dtype = np.dtype(dtype)
        self.fd = os.open(path, os.O_RDONLY)
        try:
            self._read_header(path)
        except BaseException:
            os.close(self.fd)
            raise

    def _read_header(self, path: str) -> None:
        head = os.pread(self.fd, HEADER.size, 0)
        if len(head) < HEADER.size or head[:4] != MAGIC:
            raise OSError(f"{path} is not a packed posting file")
        _, self.bits, index_bytes, self.count, found = HEADER.unpack(head)
        if self.bits not in WIDTHS or index_bytes not in (4, 8):
            raise OSError(f"{path} is damaged: its header names no known width")
        self.index_bytes = index_bytes
        self._low = np.dtype(f"<u{self.bits // 8}")
        at = HEADER.size + packed_size(self.count, self.bits)
        index_dtype = f"<u{index_bytes}"
        raw = os.pread(self.fd, found * (index_bytes + EXCEPTION_VALUE_BYTES), at)
        if len(raw) != found * (index_bytes + EXCEPTION_VALUE_BYTES):
            raise OSError(f"{path} is damaged: its exceptions are cut short")
        split = found * index_bytes
        self.indexes = np.frombuffer(raw[:split], dtype=index_dtype).astype(np.int64)
        exception_dtype = "<f4" if self.dtype.kind == "f" else "<u4"
        self.exceptions = np.frombuffer(raw[split:], dtype=exception_dtype)

    def close(self) -> None:
        os.close(self.fd)

    def read(self, start: int, end: int) -> np.ndarray:
        """Values start to end (a new, writable array of the reader's dtype)."""
        count = end - start
        if count <= 0:
            return np.empty(0, dtype=self.dtype)
        size = self._low.itemsize
        data = os.pread(self.fd, count * size, HEADER.size + start * size)
        values = np.frombuffer(data, dtype=self._low).astype(self.dtype)
        if len(values) != count:
            raise OSError(f"a packed posting file is cut short (values {start} to {end})")
        indexes = self.indexes
        if len(indexes):
            low = int(indexes.searchsorted(start))
            if low < len(indexes) and indexes[low] < end:
                high = int(indexes.searchsorted(end))
                values[indexes[low:high] - start] = self.exceptions[low:high]
        return values
