"""The layout of an index directory, and the lock that lets one reindex run at a time.

index/current      symlink to the live build (replaced atomically with os.replace)
index/build-*/     Whoosh index files plus build.json (counts, timings, failures)
index/.lock        held (flock) by the one reindex allowed at a time
index/vectors/     section embeddings, shared by every build (`search.vectors.store`)
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filetables import FileFormatError

from search.errors import IndexBusy, IndexMissing
from search.index.schema import SCHEMA_VERSION

LIVE_LINK = "current"
BUILD_PREFIX = "build-"
BUILD_INFO = "build.json"
LOCK_FILE = ".lock"
# What opening or reading a missing, truncated or overwritten index raises; any other error
# is a bug.
DAMAGED_INDEX_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # a file missing, or read past its end (the flat posting files' damage too)
    EOFError,  # a pickle cut short
    pickle.UnpicklingError,  # the table of contents
    whoosh_index.IndexError,  # no table of contents (EmptyIndexError), or a foreign one
    FileFormatError,  # a term table's header
    struct.error,  # a column's header: its type codes are bytes of the file
    UnicodeEncodeError,  # ...which struct cannot even read as a type code
)


def live_build(index_dir: Path) -> Path:
    """The directory of the live build; IndexMissing when there is none."""
    link = index_dir / LIVE_LINK
    if not link.exists():
        raise IndexMissing(index_dir)
    return link.resolve()


def open_index(index_dir: Path) -> whoosh_index.Index:
    """Open the live index for reading."""
    build = live_build(index_dir)
    info = read_build_info(build)
    if info.get("schema_version") != SCHEMA_VERSION:
        raise IndexMissing(index_dir, "it was built by another version of govsearch", full=True)
    try:
        return whoosh_index.open_dir(str(build))
    except DAMAGED_INDEX_ERRORS as error:
        reason = f"unreadable: {error}"
    # Raised outside the handler, so the damaged file's traceback is not kept alive.
    raise IndexMissing(index_dir, reason, full=True)


def read_build_info(build: Path) -> dict[str, Any]:
    try:
        return json.loads((build / BUILD_INFO).read_text("utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` with `data`, on disk before the name points at it."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(json.dumps(data, ensure_ascii=False, indent=1))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def fsync_path(path: Path) -> None:
    """Flush a file's or a directory's contents (a directory's: its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_durable(build: Path) -> None:
    """Flush every file of a build, then the build's directory, to disk.

    Whoosh writes through the page cache and never syncs; without this, a power cut soon
    after a swap could leave `current` pointing at files that were never written.
    """
    for entry in build.iterdir():
        if entry.is_file():
            fsync_path(entry)
    fsync_path(build)


# The descriptors of the reindex locks this process holds: a forked child (a build's worker)
# closes its copies, so that the lock goes with the process that took it.
_HELD_LOCKS: set[int] = set()


def _drop_held_locks() -> None:
    for descriptor in _HELD_LOCKS:
        os.close(descriptor)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_held_locks)


@contextmanager
def reindex_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's reindex lock; IndexBusy if another process has it.

    flock is released by the kernel when the last descriptor of its open file closes: with
    its holder, since the workers a build forks close their copies (a killed reindex never
    leaves a stale lock behind, even while its workers finish their last files).
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_FILE, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise IndexBusy(index_dir, f"process {handle.read().strip() or '?'}") from None
        _HELD_LOCKS.add(handle.fileno())
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            _HELD_LOCKS.discard(handle.fileno())
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(index_dir: Path, keep: set[Path]) -> None:
    """Delete builds that are neither live nor the previous one (interrupted or superseded).

    The previous build is kept so that readers which opened it before a swap can finish.
    """
    for entry in index_dir.iterdir():
        if entry.name.startswith(BUILD_PREFIX) and entry.resolve() not in keep:
            shutil.rmtree(entry, ignore_errors=True)
    (index_dir / (LIVE_LINK + ".tmp")).unlink(missing_ok=True)


def swap_in(index_dir: Path, build: Path) -> None:
    """Point `current` at `build` (already durable: see make_durable), atomically and durably."""
    tmp = index_dir / (LIVE_LINK + ".tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(build.name)
    fsync_path(index_dir)  # the new build's directory entry and the link are on disk first
    os.replace(tmp, index_dir / LIVE_LINK)
    fsync_path(index_dir)


def new_build_dir(index_dir: Path) -> Path:
    """An empty, uniquely named build directory beside the live one."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    build = Path(tempfile.mkdtemp(prefix=f"{BUILD_PREFIX}{stamp}-", dir=index_dir))
    build.chmod(0o755)
    return build
