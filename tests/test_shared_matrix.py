"""The matrix a question is multiplied by, written once beside the vectors and mapped by every
reader of the index, so that a server's workers share one copy of it."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from search.index.build import full_build
from search.index.embedding import embed_index
from search.index.live import SearchIndex
from search.vectors.store import DenseRows, VectorStore, model_folder, quantized

SAMPLES = Path(__file__).resolve().parent.parent / "corpus" / "samples"
ADDED = "2023_yangcheng_rural_revitalization.txt"


@pytest.fixture
def embedded(small_index: tuple[Path, Path]) -> tuple[Path, Path]:
    """(corpus, index) of two sample documents, every section embedded."""
    embed_index(small_index[1])
    return small_index


def _dense(index_dir: Path) -> DenseRows:
    """The matrix a fresh reader (a new worker) gets for the live generation."""
    with SearchIndex(index_dir) as index, index.searcher():
        store = VectorStore(index_dir)
        store.refresh()
        return store.dense(index.columns.vector_keys, index.columns.live)


def _matrices(index_dir: Path) -> list[Path]:
    """The files of codes (each beside its file of scales)."""
    folder = model_folder(index_dir)
    codes = sorted(p for p in folder.glob("matrix-*.npy") if not p.name.endswith(".scales.npy"))
    for path in codes:
        assert path.with_name(path.name.replace(".npy", ".scales.npy")).exists()
    return codes


def _expected(index_dir: Path, rows: DenseRows) -> tuple[np.ndarray, np.ndarray]:
    """Each live section's vector as the store holds it, by document number, in 8 bits:
    (codes, scales)."""
    with SearchIndex(index_dir) as index, index.searcher():
        keys = index.columns.vector_keys[index.columns.live]
        assert (rows.row_of[index.columns.live] >= 0).all()
    store = VectorStore(index_dir)
    store.refresh()
    vectors, known = store.get(keys)
    assert known.all()
    return quantized(vectors)


def _by_section(rows: DenseRows, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return rows.codes[rows.row_of[chosen]], rows.scales[rows.row_of[chosen]]


def _assert_equal_rows(first: DenseRows, second: DenseRows) -> None:
    np.testing.assert_array_equal(first.codes, second.codes)
    np.testing.assert_array_equal(first.scales, second.scales)


def test_the_first_reader_writes_the_matrix_and_the_next_maps_it(
    embedded: tuple[Path, Path],
) -> None:
    _corpus, index_dir = embedded
    assert _matrices(index_dir) == []
    first = _dense(index_dir)
    written = _matrices(index_dir)
    assert len(written) == 1
    second = _dense(index_dir)
    assert isinstance(second.codes, np.memmap)  # pages shared, not a copy of its own
    assert isinstance(second.scales, np.memmap)
    assert second.codes.filename is not None
    assert Path(second.codes.filename).samefile(written[0])
    assert _matrices(index_dir) == written  # read, not written again
    _assert_equal_rows(first, second)
    np.testing.assert_array_equal(first.row_of, second.row_of)
    with SearchIndex(index_dir) as index, index.searcher():
        live = index.columns.live
    codes, scales = _by_section(second, live)
    expected_codes, expected_scales = _expected(index_dir, second)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(scales, expected_scales)


def test_new_vectors_make_a_new_matrix_that_replaces_the_old(
    embedded: tuple[Path, Path],
) -> None:
    corpus, index_dir = embedded
    before = _dense(index_dir)
    old = _matrices(index_dir)
    shutil.copy(SAMPLES / ADDED, corpus / ADDED)
    assert not full_build(corpus, index_dir, procs=1).failed
    embed_index(index_dir)
    after = _dense(index_dir)
    new = _matrices(index_dir)
    assert len(new) == 1 and new != old
    assert len(after.codes) > len(before.codes)
    codes, _ = _by_section(after, after.row_of >= 0)
    np.testing.assert_array_equal(codes, _expected(index_dir, after)[0])


def test_a_matrix_cut_short_by_a_crash_is_written_again(embedded: tuple[Path, Path]) -> None:
    _corpus, index_dir = embedded
    good = _dense(index_dir)
    [path] = _matrices(index_dir)
    cut = path.with_name("cut")
    cut.write_bytes(path.read_bytes()[:200])
    cut.replace(path)  # a new file: the mapped one is never changed in place
    again = _dense(index_dir)
    _assert_equal_rows(again, good)
    assert path.stat().st_size > 200


def test_a_matrix_that_cannot_be_written_is_kept_in_memory(
    embedded: tuple[Path, Path],
) -> None:
    _corpus, index_dir = embedded
    good = _dense(index_dir)
    [path] = _matrices(index_dir)
    path.unlink()
    path.mkdir()  # something in its place that no reader can replace
    (path / "occupied").touch()
    fallback = _dense(index_dir)
    assert not isinstance(fallback.codes, np.memmap)
    _assert_equal_rows(fallback, good)
    assert list(model_folder(index_dir).glob("*.partial")) == []  # nothing half-written left


def test_readers_starting_together_all_map_one_file(embedded: tuple[Path, Path]) -> None:
    _corpus, index_dir = embedded
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(lambda _: _dense(index_dir), range(4)))
    [path] = _matrices(index_dir)
    inodes = {os.stat(r.codes.filename).st_ino for r in rows if isinstance(r.codes, np.memmap)}
    assert len(rows) == 4 and all(isinstance(r.codes, np.memmap) for r in rows)
    assert inodes == {path.stat().st_ino}
