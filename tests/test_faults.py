"""Reindexing when things go wrong on the machine: the disk fills up, a file disappears while
the run is under way. The previous index keeps serving, what could be indexed is, and the
next reindex needs no cleanup by hand."""

from __future__ import annotations

import errno
import gc
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from test_indexer import hit_ids
from test_server import fetch, start_server

from search.cli import EXIT_WRITE_FAILED, cli
from search.index.build import Progress, full_build, indexed_files, update
from search.index.embedding import embed_index
from search.index.store import BUILD_PREFIX, live_build, open_index

QUERY = "营商环境"

# Whoosh leaves the files a failed flush was writing to its garbage collector, which closes
# them (with a ResourceWarning) once the exception is gone; nothing stays open after that.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def small_disk(tmp_path: Path, sample_index: Path) -> Iterator[tuple[Path, int]]:
    """A real filesystem with room for about one index of corpus/ and a half: a second
    full build cannot fit beside the first, so its writes fail with ENOSPC as on a full
    disk. Yields the mount point and a size that would fit two."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (CI runs as root)")
    index_bytes = sum(f.stat().st_size for f in sample_index.rglob("*") if f.is_file())
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(_mount(mount, index_bytes * 3 // 2), check=True)
    try:
        yield mount, index_bytes * 3
    finally:
        gc.collect()  # those files are closed here, not in some later test
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def _mount(mount: Path, size: int, remount: bool = False) -> list[str]:
    options = f"size={size}" + (",remount" if remount else "")
    return ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)]


def _builds(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.glob(BUILD_PREFIX + "*")}


def test_a_full_disk_stops_the_build_and_the_old_index_keeps_serving(
    corpus_copy: Path, small_disk: tuple[Path, int]
) -> None:
    mount, roomy = small_disk
    index_dir = mount / "ix"
    full_build(corpus_copy, index_dir)
    live = live_build(index_dir)
    before = hit_ids(index_dir, QUERY)
    assert before

    with pytest.raises(OSError) as raised:
        full_build(corpus_copy, index_dir)
    assert raised.value.errno == errno.ENOSPC
    assert live_build(index_dir) == live
    assert hit_ids(index_dir, QUERY) == before
    assert _builds(index_dir) == {live.name}  # the half-written build is gone

    # The administrator makes room; the next reindex just works.
    subprocess.run(_mount(mount, roomy, remount=True), check=True)
    summary = full_build(corpus_copy, index_dir)
    assert not summary.failed
    assert live_build(index_dir) != live
    assert hit_ids(index_dir, QUERY) == before


def test_a_full_disk_during_an_update_keeps_the_previous_state(
    corpus_copy: Path, small_disk: tuple[Path, int]
) -> None:
    mount, roomy = small_disk
    index_dir = mount / "ix"
    full_build(corpus_copy, index_dir)
    before_files = indexed_files(open_index(index_dir))
    before = hit_ids(index_dir, QUERY)
    for number in range(8):  # more new text than the disk has room for
        for path in (corpus_copy / "samples").glob("20*.txt"):
            shutil.copy(path, corpus_copy / "samples" / f"copy{number}_{path.name}")

    with pytest.raises(OSError) as raised:
        update(corpus_copy, index_dir)
    assert raised.value.errno == errno.ENOSPC
    assert indexed_files(open_index(index_dir)) == before_files
    assert hit_ids(index_dir, QUERY) == before

    subprocess.run(_mount(mount, roomy * 4, remount=True), check=True)
    summary = update(corpus_copy, index_dir)
    assert not summary.failed
    assert summary.indexed == len(list((corpus_copy / "samples").glob("copy*.txt")))
    assert len(hit_ids(index_dir, QUERY)) > len(before)


def test_the_command_says_the_disk_is_full_and_exits_4(
    corpus_copy: Path, small_disk: tuple[Path, int]
) -> None:
    mount, _roomy = small_disk
    index_dir = mount / "ix"
    args = ["reindex", "--corpus", str(corpus_copy), "--index", str(index_dir), "--full", "-q"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == EXIT_WRITE_FAILED
    assert "No space left on device" in result.output
    assert "still serves its last complete build" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


class VanishingFiles(Progress):
    """Deletes files of the corpus once the run has started, as an editor or a sync job
    might while a reindex is under way."""

    def __init__(self, doomed: list[Path]) -> None:
        self.doomed = doomed

    def start(self, files: int) -> None:
        for path in self.doomed:
            path.unlink()


def test_a_file_that_vanishes_mid_build_is_reported_and_the_rest_indexed(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    doomed = sorted((corpus_copy / "samples").glob("20*.txt"))[-1]
    summary = full_build(corpus_copy, index_dir, progress=VanishingFiles([doomed]))
    assert [Path(f.path).name for f in summary.failed] == [doomed.name]
    assert "cannot read file" in summary.failed[0].reason
    indexed = indexed_files(open_index(index_dir))
    assert doomed.relative_to(corpus_copy).as_posix() not in indexed
    assert len(indexed) == summary.indexed > 0


def test_a_file_that_vanishes_mid_update_keeps_its_sections_until_the_next_run(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    full_build(corpus_copy, index_dir)
    doomed = sorted((corpus_copy / "samples").glob("20*.txt"))[0]
    relative = doomed.relative_to(corpus_copy).as_posix()
    doomed.write_text(doomed.read_text("utf-8") + "\n补充说明。\n", "utf-8")  # changed

    summary = update(corpus_copy, index_dir, progress=VanishingFiles([doomed]))
    assert [Path(f.path).name for f in summary.failed] == [doomed.name]
    assert relative in indexed_files(open_index(index_dir))  # nothing lost on a bad read

    summary = update(corpus_copy, index_dir)  # the file is really gone now
    assert summary.deleted == 1
    assert relative not in indexed_files(open_index(index_dir))


def test_the_server_needs_no_write_access_to_its_index(sample_index: Path, tmp_path: Path) -> None:
    """The index on a filesystem mounted read-only (root cannot write there either): the
    real server answers pages, the API, questions re-ranked by meaning and /healthz."""
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only filesystem needs root (CI runs as root)")
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mount)], check=True)
    try:
        shutil.copytree(sample_index, mount / "ix", symlinks=True)
        embed_index(mount / "ix")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        with pytest.raises(OSError) as raised:
            (mount / "ix" / "probe").write_text("x")
        assert raised.value.errno == errno.EROFS
        server, base = start_server(mount / "ix")
        try:
            for path in ("/search?q=营商环境", "/api/search?q=政府怎么保障公众参与重大行政决策？"):
                status, body = fetch(base + quote(path, safe="/?=&"))
                assert status == 200, body
            assert fetch(base + "/healthz")[0] == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)
