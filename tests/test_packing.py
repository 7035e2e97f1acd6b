from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.engine import packing
from search.engine.packing import PackedReader, pack_file

# Mostly small numbers, as posting files hold, with a few of any size.
NUMBERS = st.lists(
    st.one_of(st.integers(0, 20), st.integers(0, 300), st.integers(0, 2**32 - 1)),
    max_size=300,
)
WEIGHTS = st.lists(
    st.one_of(
        st.integers(0, 20).map(float),
        st.floats(0, 1e6, width=32),
        st.floats(-1e3, 1e3, width=32),
        st.floats(width=32),  # infinities and NaN too
    ),
    max_size=300,
)


def packed(tmp_path: Path, values: np.ndarray, dtype: str) -> PackedReader:
    source = tmp_path / "values.unpacked"
    values.astype(dtype).tofile(source)
    pack_file(source, tmp_path / "values", dtype)
    assert not source.exists()
    return PackedReader(str(tmp_path / "values"), dtype)


@settings(max_examples=150, deadline=None)
@given(values=NUMBERS, cut=st.tuples(st.integers(0, 300), st.integers(0, 300)))
def test_every_run_of_packed_numbers_reads_back(
    tmp_path_factory: pytest.TempPathFactory, values: list[int], cut: tuple[int, int]
) -> None:
    array = np.array(values, dtype=np.uint32)
    reader = packed(tmp_path_factory.mktemp("p"), array, "<u4")
    try:
        assert reader.read(0, len(array)).tolist() == values
        start, end = sorted(min(c, len(array)) for c in cut)
        assert reader.read(start, end).tolist() == values[start:end]
        # Document numbers from their gaps: summed as uint32, exceptions among them or not.
        sums = reader.running_sums(start, end)
        assert sums.dtype == np.uint32
        assert sums.tolist() == np.cumsum(array[start:end], dtype=np.uint32).tolist()
        wide = reader.running_sums(start, end, np.int64)
        assert wide.tolist() == np.cumsum(array[start:end], dtype=np.int64).tolist()
    finally:
        reader.close()


@settings(max_examples=100, deadline=None)
@given(values=WEIGHTS, start=st.integers(0, 300))
def test_packed_weights_read_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, values: list[float], start: int
) -> None:
    array = np.array(values, dtype=np.float32)
    reader = packed(tmp_path_factory.mktemp("w"), array, "<f4")
    try:
        assert reader.read(0, len(array)).tobytes() == array.tobytes()
        start = min(start, len(array))
        assert reader.read(start, len(array)).tobytes() == array[start:].tobytes()
    finally:
        reader.close()


@pytest.mark.parametrize(
    ("values", "bits"),
    [([1] * 100, 8), ([1] * 99 + [70_000], 8), ([5_000] * 100, 16), ([2**20] * 100, 32)],
)
def test_the_width_is_the_one_that_packs_smallest(
    tmp_path: Path, values: list[int], bits: int
) -> None:
    reader = packed(tmp_path, np.array(values), "<u4")
    try:
        assert reader.bits == bits
        assert reader.read(0, len(values)).tolist() == values
    finally:
        reader.close()


def test_values_pack_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packing, "CHUNK", 6)
    values = np.array([3, 1, 700, 2, 2, 9, 1, 1, 70_000, 4, 5, 6, 7], dtype=np.uint32)
    reader = packed(tmp_path, values, "<u4")
    try:
        assert reader.read(0, len(values)).tolist() == values.tolist()
        assert reader.read(5, 11).tolist() == values[5:11].tolist()
    finally:
        reader.close()


def test_a_file_that_is_not_packed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flat"
    np.arange(10, dtype=np.uint32).tofile(path)
    with pytest.raises(OSError, match="not a packed posting file"):
        PackedReader(str(path), "<u4")


def test_a_packed_file_cut_short_is_refused(tmp_path: Path) -> None:
    reader = packed(tmp_path, np.array([1, 2, 70_000, 3]), "<u4")
    reader.close()
    path = tmp_path / "values"
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(OSError, match="damaged"):
        PackedReader(str(path), "<u4")


def test_exceptions_are_found_in_every_run(tmp_path: Path) -> None:
    values = np.arange(60, dtype=np.uint32) % 7
    values[[0, 5, 6, 7, 20, 33, 34, 59]] = 70_000  # kept apart
    reader = packed(tmp_path, values, "<u4")
    try:
        for start in range(len(values) + 1):
            for end in range(start, len(values) + 1):
                assert reader.read(start, end).tolist() == values[start:end].tolist()
                expected = int((values[start:end] >= 256).sum())
                assert reader.exceptions_between(start, end) == expected
        assert reader.bits == 8
    finally:
        reader.close()
