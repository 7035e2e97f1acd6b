"""bench/environment.py: the lines that tell two benchmark runs' machines apart."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from bench.environment import (
    CPU_STATES,
    THREAD_SETTINGS,
    cpu_ticks,
    describe,
    machine_use,
    page_cache,
    read_into_page_cache,
)


def test_the_environment_names_processor_python_blas_and_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in THREAD_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    (tmp_path / "segment.bin").write_bytes(b"\0" * 2**20)
    lines = describe(tmp_path)
    labels = [line.split(":", 1)[0] for line in lines]
    assert labels == [
        "processor",
        "python",
        "numpy",
        "thread settings",
        "load average",
        "index in the page cache",
    ]
    assert re.search(r"\d+ cores, flags: ", lines[0])
    assert re.search(r"BLAS: \w+ .*\d+ threads", lines[2])
    assert lines[3] == "thread settings: OMP_WAIT_POLICY=PASSIVE"
    assert len(describe()) == 5  # without an index, no page-cache line


@pytest.mark.skipif(shutil.which("fincore") is None, reason="util-linux's fincore is missing")
def test_the_page_cache_share_is_read_from_the_files(tmp_path: Path) -> None:
    assert page_cache(tmp_path) == f"no files in {tmp_path}"
    written = tmp_path / "a" / "segment.bin"
    written.parent.mkdir()
    written.write_bytes(b"x" * 3 * 2**20)  # just written: in the page cache
    assert re.fullmatch(r"\d+ of 3 MB \(\d+%\)", page_cache(tmp_path))


@pytest.mark.skipif(shutil.which("fincore") is None, reason="util-linux's fincore is missing")
def test_an_index_evicted_from_the_page_cache_is_read_back_into_it(tmp_path: Path) -> None:
    written = tmp_path / "segment.bin"
    written.write_bytes(os.urandom(4 * 2**20))
    with written.open("rb") as opened:
        os.fsync(opened.fileno())  # written back, so the kernel may drop its pages
        os.posix_fadvise(opened.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    if page_cache(tmp_path) != "0 of 4 MB (0%)":
        pytest.skip("this file system keeps its pages (tmpfs): nothing to read back")
    read_into_page_cache(tmp_path)
    assert page_cache(tmp_path) == "4 of 4 MB (100%)"


def test_the_machines_use_between_two_readings_splits_busy_idle_disk_and_stolen() -> None:
    before = cpu_ticks()
    assert set(before) == set(CPU_STATES)
    after = dict(before)
    for state, ticks in (("user", 50), ("system", 10), ("idle", 30), ("iowait", 5), ("steal", 5)):
        after[state] += ticks
    assert machine_use(before, after) == ("busy 60%, idle 30%, waiting for the disk 5%, stolen 5%")
    assert machine_use(before, before) == "unknown"
