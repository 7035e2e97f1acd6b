"""A full build on several cores: each worker process reads, segments and writes its own
Whoosh segment from its share of the files; the parent adds the segments to the index.

Whoosh's own multi-process writer pickles every document to a job file and, in 2.7.4,
silently loses documents unless `multisegment=True`. Here each worker gets file paths,
not documents, and reports every file back, so the parent knows exactly what was written
(and checks the document count after the commit).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import traceback
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from search.engine.codec import GovCodec, TermPostingPool
from search.errors import SearchError

WRITER_MEMORY_MB = 256


def segment_writer(ix: whoosh_index.Index, **options: Any) -> SegmentWriter:
    """A writer using our codec and posting pool (Whoosh 2.7.4 ignores `poolclass`)."""
    # Not compound: Whoosh reads a compound segment file into memory (BytesIO over the whole
    # file) every time a reader opens it; separate files are read where they lie.
    writer = SegmentWriter(
        ix, codec=GovCodec(), limitmb=WRITER_MEMORY_MB, compound=False, **options
    )
    writer.pool = TermPostingPool(writer._tempstorage, writer.newsegment, WRITER_MEMORY_MB)
    return writer


def abandon(writer: SegmentWriter) -> None:
    """Cancel a failed write, whatever state it is in.

    Whoosh's cancel closes the segment's files, which flushes them; when that fails too (a
    full disk), it stops there and leaves the files open and the index locked. Here every
    file is closed and the lock released regardless; the caller removes what was written.
    """
    try:
        writer.cancel()
        return
    except Exception:  # noqa: BLE001 - the first error is the one worth reporting
        pass
    fields, perdoc = writer.fieldwriter, writer.perdocwriter
    for part in (fields._tindex.dbfile, fields._postfile, perdoc._vpostfile):
        if part is not None:
            with contextlib.suppress(Exception):
                part.close()
    if getattr(fields, "arrays", None) is not None:
        fields.arrays.abort()
    with contextlib.suppress(Exception):
        writer.pool.cleanup()
    writer.is_closed = True
    if writer.writelock:
        with contextlib.suppress(Exception):
            writer.writelock.release()


def split_by_size(paths: list[Path], parts: int) -> list[list[Path]]:
    """`paths` in `parts` groups of about equal total size (largest files placed first)."""
    groups: list[list[Path]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for path in sorted(paths, key=lambda p: p.stat().st_size, reverse=True):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(path)
        sizes[smallest] += path.stat().st_size
    return [sorted(group) for group in groups if group]


def _worker(build: str, corpus: str, paths: list[str], messages: Any) -> None:
    """Index `paths` into one new segment; report each file, then the segment."""
    from search.index.build import index_files  # the parent module; imported late for spawn

    try:
        ix = whoosh_index.open_dir(build)
        writer = segment_writer(ix, _lk=False)
        added = index_files(
            writer,
            Path(corpus),
            [Path(p) for p in paths],
            lambda kind, payload: messages.put((kind, payload)),
        )
        if added:
            messages.put(("segment", writer._finalize_segment()))
        else:
            writer._close_segment()
            messages.put(("segment", None))
    except OSError as error:  # a full disk, say: the parent raises the same error
        messages.put(("oserror", (error.errno, error.strerror, error.filename)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        messages.put(("error", traceback.format_exc()))


def build_segments(
    ix: whoosh_index.Index, corpus: Path, paths: list[Path], procs: int, on_message: Any
) -> list[Any]:
    """Run `procs` workers over `paths`; returns their segments.

    `on_message(kind, payload)` receives each file's event from `index_files` as workers
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
            args=(ix.storage.folder, str(corpus), [str(p) for p in group], messages),
            daemon=True,
        )
        for group in groups
    ]
    for worker in workers:
        worker.start()
    segments = []
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
                if payload is not None:
                    segments.append(payload)
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
    return segments
