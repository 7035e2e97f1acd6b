"""Section embeddings on disk, keyed by the text they were computed from.

`index/vectors/` beside the builds holds shards, each a pair of files: `NNNNNN.vecs.npy`
(float16, one row per text) and `NNNNNN.keys.npy` (uint64, the first eight bytes of the
text's SHA-1). A shard counts once its keys file exists, and that file is written last by
rename, so an interrupted run leaves at most an orphan vectors file, removed by the next.
Keys depend on the text only: a full rebuild or an edit elsewhere reuses every vector whose
section did not change, and a changed section simply gets a new one.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

VECTORS_DIR = "vectors"
_SHARD = re.compile(r"^(\d{6})\.keys\.npy$")


TEXT_CHARS = 256  # of title, heading and body: the gist, and the cost grows with length


def text_key(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")


def section_text(fields: dict[str, Any]) -> str:
    """What is embedded for a section, from its fields."""
    parts = (fields.get("title"), fields.get("heading"), fields.get("body"))
    return " ".join(p for p in parts if p)[:TEXT_CHARS]


class VectorStore:
    """Read side: vectors by text key, memory-mapped (workers share the pages)."""

    def __init__(self, index_dir: Path) -> None:
        self.folder = Path(index_dir) / VECTORS_DIR
        self._seen: tuple[str, ...] | None = None
        self._keys = np.empty(0, np.uint64)
        self._where = np.empty((0, 2), np.int64)  # (shard, row) for each sorted key
        self._shards: list[np.ndarray] = []

    def _shard_names(self) -> tuple[str, ...]:
        try:
            return tuple(sorted(n for n in os.listdir(self.folder) if _SHARD.match(n)))
        except FileNotFoundError:
            return ()

    def refresh(self) -> bool:
        """Pick up shards written since the last look; True when there were any."""
        names = self._shard_names()
        if names == self._seen:
            return False
        keys, where, shards = [], [], []
        for number, name in enumerate(names):
            shard_keys = np.load(self.folder / name)
            vectors = np.load(self.folder / name.replace(".keys.", ".vecs."), mmap_mode="r")
            keys.append(shard_keys)
            rows = np.arange(len(shard_keys), dtype=np.int64)
            where.append(np.stack([np.full_like(rows, number), rows], axis=1))
            shards.append(np.asarray(vectors))  # a plain view: no memmap object per row read
        if keys:
            all_keys = np.concatenate(keys)
            order = np.argsort(all_keys, kind="stable")
            self._keys, self._where = all_keys[order], np.concatenate(where)[order]
        else:
            self._keys, self._where = np.empty(0, np.uint64), np.empty((0, 2), np.int64)
        self._shards, self._seen = shards, names
        return True

    def __len__(self) -> int:
        return len(self._keys)

    def _locate(self, keys: list[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(where each key would sit in the sorted keys, whether it is there)."""
        wanted = np.asarray(keys, dtype=np.uint64)
        if not len(self._keys):
            return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
        at = np.searchsorted(self._keys, wanted).clip(max=len(self._keys) - 1)
        return at, self._keys[at] == wanted

    def known(self, keys: list[int]) -> np.ndarray:
        """A boolean per key: is there a vector for it?"""
        return self._locate(keys)[1]

    def get(self, keys: list[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vectors of the known keys as float32, a mask of which keys were known)."""
        at, mask = self._locate(keys)
        rows = [self._shards[shard][row] for shard, row in self._where[at[mask]]]
        if not rows:
            return np.empty((0, 0), np.float32), mask
        return np.asarray(rows, dtype=np.float32), mask


def write_shard(index_dir: Path, keys: list[int], vectors: np.ndarray) -> Path:
    """Add one shard: vectors first, then the keys file that makes it count."""
    folder = Path(index_dir) / VECTORS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for n in os.listdir(folder) if (m := _SHARD.match(n))]
    stem = f"{max(numbers, default=0) + 1:06d}"
    for suffix, array in ((".vecs.npy", vectors.astype(np.float16)), (".keys.npy", keys)):
        partial = folder / f"{stem}{suffix}.partial"
        with open(partial, "wb") as out:
            np.save(out, np.asarray(array, dtype=np.uint64) if suffix == ".keys.npy" else array)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, folder / f"{stem}{suffix}")
    return folder / f"{stem}.keys.npy"


def remove_orphans(index_dir: Path) -> None:
    """Delete what an interrupted run left: partial files and vectors without keys."""
    folder = Path(index_dir) / VECTORS_DIR
    if not folder.is_dir():
        return
    names = set(os.listdir(folder))
    for name in names:
        orphan = name.endswith(".vecs.npy") and name.replace(".vecs.", ".keys.") not in names
        if name.endswith(".partial") or orphan:
            (folder / name).unlink(missing_ok=True)
