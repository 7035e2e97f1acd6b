"""bench/environment.py: the lines that tell two benchmark runs' machines apart."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bench.environment import THREAD_SETTINGS, describe, page_cache


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
