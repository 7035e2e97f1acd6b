"""A full build on several cores: each worker process reads, segments and writes its own
Whoosh segment from its share of the files; the parent adds the segments to the index.

Whoosh's own multi-process writer pickles every document to a job file and, in 2.7.4,
silently loses documents unless `multisegment=True`. Here each worker gets file paths,
not documents, and reports every file back, so the parent knows exactly what was written
(and checks the document count after the commit).
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from search.engine.writing import finish_segment, segment_writer
from search.errors import SearchError

# (writer, corpus, paths, on_event) -> sections written: the build's own file loop, passed
# in so that this module stays below the one that calls it.
WriteFiles = Callable[[Any, Path, list[Path], Callable[[str, Any], None]], int]


def split_by_size(paths: list[Path], parts: int) -> list[list[Path]]:
    """`paths` in `parts` groups of about equal total size (largest files placed first)."""
    groups: list[list[Path]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    size_of = {path: _size(path) for path in paths}
    for path in sorted(paths, key=size_of.__getitem__, reverse=True):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(path)
        sizes[smallest] += size_of[path]
    return [sorted(group) for group in groups if group]


def _size(path: Path) -> int:
    """The file's size; 0 for one that cannot be read (a link to nothing), which its worker
    reports when it reads it."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _worker(  # noqa: PLR0913 - the worker's parts
    build: str,
    corpus: str,
    paths: list[str],
    write_files: WriteFiles,
    messages: Any,
    position: int,
) -> None:
    """Index `paths` into one new segment; report each file, then the segment (with the
    worker's `position`)."""
    try:
        ix = whoosh_index.open_dir(build)
        writer = segment_writer(ix, _lk=False)
        added = write_files(
            writer,
            Path(corpus),
            [Path(p) for p in paths],
            lambda kind, payload: messages.put((kind, payload)),
        )
        messages.put(("segment", (position, finish_segment(writer, keep=bool(added)))))
    except OSError as error:  # a full disk, say: the parent raises the same error
        messages.put(("oserror", (error.errno, error.strerror, error.filename)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        messages.put(("error", traceback.format_exc()))


def build_segments(  # noqa: PLR0913 - the build's parts
    ix: whoosh_index.Index,
    corpus: Path,
    paths: list[Path],
    procs: int,
    write_files: WriteFiles,
    on_message: Any,
) -> list[Any]:
    """Run `procs` workers over `paths`, each writing its share with `write_files`;
    returns their segments.

    `on_message(kind, payload)` receives each file's event from `write_files` as workers
    go. Raises a worker's OSError as it was (the disk is full, say), and SearchError if a
    worker fails otherwise.
    """
    # fork: workers inherit the loaded dictionaries and need no importable __main__.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context: Any = multiprocessing.get_context(method)
    messages = context.Queue()
    groups = split_by_size(paths, procs)
    workers = [
        context.Process(
            target=_worker,
            args=(
                ix.storage.folder,
                str(corpus),
                [str(p) for p in group],
                write_files,
                messages,
                position,
            ),
            daemon=True,
        )
        for position, group in enumerate(groups)
    ]
    for worker in workers:
        worker.start()
    segments: dict[int, Any] = {}
    done = False
    try:
        finished = 0
        while finished < len(workers):
            try:
                kind, payload = messages.get(timeout=1.0)
            except queue.Empty:
                dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
                if dead:
                    raise SearchError(f"an indexing worker died (exit code {dead[0]})") from None
                continue
            if kind == "error":
                raise SearchError(f"an indexing worker failed:\n{payload}")
            if kind == "oserror":
                raise OSError(*payload)
            if kind == "segment":
                finished += 1
                position, segment = payload
                if segment is not None:
                    segments[position] = segment
            else:
                on_message(kind, payload)
        done = True
    finally:
        for worker in workers:
            if not done and worker.is_alive():
                worker.terminate()
            worker.join()
        messages.close()
        messages.join_thread()
    # In the workers' order, not the order they finish in: every build of the same files
    # then numbers the sections alike, and sections of equal score rank alike.
    return [segments[position] for position in sorted(segments)]
