"""Whoosh's segment writer driven from outside: our codec and posting pool, a segment finished
in a worker process and committed by the parent, a commit that syncs before the table of
contents names new files, and a failed write abandoned cleanly.

Every private attribute of Whoosh's writer that the build needs is touched here and only here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from search.engine.codec import GovCodec, TermPostingPool

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


def finish_segment(writer: SegmentWriter, keep: bool) -> Any:
    """End a worker's writer: its segment (to commit elsewhere) if `keep`, else None."""
    if keep:
        return writer._finalize_segment()
    writer._close_segment()
    return None


def commit_segments(writer: SegmentWriter, segments: list[Any]) -> None:
    """Commit segments finished by workers (`finish_segment`) through the parent's writer."""
    writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()


def commit_synced(writer: SegmentWriter, sync: Callable[[], None]) -> None:
    """Commit, calling `sync` after the new segment's files are written and before the
    table of contents that names them."""
    commit_toc = writer._commit_toc

    def commit_synced_toc(segments: Any) -> None:
        sync()
        commit_toc(segments)

    writer._commit_toc = commit_synced_toc
    writer.commit()
