"""Build and update the index: full builds beside the live one, swapped in atomically.

A full build writes a new `build-*` directory and only then points `current` at it, so a
reader never sees a half-built index and a crash or Ctrl-C leaves the old one serving.
Leftovers of interrupted builds are removed by the next reindex. An incremental update
writes into the live build through Whoosh's own commit, which readers see atomically.
The directory layout and the reindex lock are in `search.index.store`.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import IndexWriter

from search.engine.writing import abandon, commit_segments, commit_synced, segment_writer
from search.errors import IndexMissing, IngestError, SearchError
from search.index.completions import write_completions
from search.index.parallel import build_segments
from search.index.schema import SCHEMA_VERSION, analysis_fingerprint, build_schema
from search.index.sections import SOURCE_SEPARATOR, section_fields
from search.index.shrink import ShrinkGuard
from search.index.store import (
    BUILD_INFO,
    LIVE_LINK,
    live_build,
    make_durable,
    new_build_dir,
    open_index,
    read_build_info,
    reindex_lock,
    remove_leftovers,
    swap_in,
    write_json_atomically,
)
from search.ingest.document import Document
from search.ingest.read import find_documents, make_doc_id, read_document

# Receives (kind, payload) for each file a build reads; see index_files.
FileEvents = Callable[[str, Any], None]
# Whether a document (by its doc_id) belongs in the index: one shard's part of the corpus.
Partition = Callable[[str], bool]


@dataclass
class Failure:
    path: str
    line: int | None
    reason: str

    @classmethod
    def from_error(cls, error: IngestError) -> Failure:
        return cls(str(error.path), error.line, error.reason)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


@dataclass
class ReindexSummary:
    full: bool
    indexed: int = 0  # files added that were not in the index before
    updated: int = 0  # files whose content changed
    deleted: int = 0  # files gone from the corpus
    unchanged: int = 0
    sections: int = 0  # sections written by this run
    failed: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)  # indexed, with something left out
    seconds: float = 0.0
    bytes_read: int = 0


class Progress:
    """Receives progress from a reindex; the CLI shows it, a quiet run ignores it."""

    def start(self, files: int) -> None:
        pass

    def advance(self, files: int, sections: int, nbytes: int) -> None:
        pass

    def finish(self, message: str) -> None:
        pass


def problems_of(document: Document, corpus: Path) -> list[tuple[str, int | None, str]]:
    """(path, line, reason) of what a readable document left out, as a build reports it."""
    return [(str(corpus / document.path), line, reason) for line, reason in document.problems]


def _recorder(summary: ReindexSummary, progress: Progress) -> FileEvents:
    """Counts each file's outcome into `summary` and shows it on `progress`."""

    def record(kind: str, payload: Any) -> None:
        if kind == "failed":
            summary.failed.append(Failure(*payload))
            progress.advance(1, 0, 0)
        else:
            sections, nbytes, problems = payload
            summary.warnings.extend(Failure(*problem) for problem in problems)
            summary.indexed += 1
            summary.sections += sections
            summary.bytes_read += nbytes
            progress.advance(1, sections, nbytes)

    return record


def index_files(writer: IndexWriter, corpus: Path, paths: list[Path], events: FileEvents) -> int:
    """Add every file's sections to `writer`; returns how many sections went in.

    Each file is reported to `events`: ("file", (sections, bytes, problems)) or ("failed",
    (path, line, reason)), a problem being (path, line, reason) too. Full builds use this
    in this process and in each worker process.
    """
    added = 0
    for path in paths:
        try:
            document = read_document(path, corpus)
        except IngestError as error:
            events("failed", (str(error.path), error.line, error.reason))
            continue
        sections = add_document(writer, document)
        added += sections
        events("file", (sections, document.size, problems_of(document, corpus)))
    return added


def _write_in_process(
    ix: whoosh_index.Index,
    corpus: Path,
    paths: list[Path],
    summary: ReindexSummary,
    progress: Progress,
) -> None:
    writer = segment_writer(ix)
    try:
        index_files(writer, corpus, paths, _recorder(summary, progress))
        progress.finish("writing the index")
        writer.commit()
    except BaseException:
        abandon(writer)
        raise


def _write_in_parallel(
    ix: whoosh_index.Index,
    corpus: Path,
    paths: list[Path],
    procs: int,
    summary: ReindexSummary,
    progress: Progress,
) -> None:
    """Workers write one segment each; this process commits them (holding the lock)."""
    writer = segment_writer(ix)
    try:
        segments = build_segments(
            ix, corpus, paths, procs, index_files, _recorder(summary, progress)
        )
        progress.finish("committing segments")
        commit_segments(writer, segments)
    except BaseException:
        abandon(writer)
        raise


def add_document(writer: IndexWriter, document: Document) -> int:
    for section in document.sections:
        writer.add_document(**section_fields(document, section))
    return len(document.sections)


def _read(path: Path, corpus: Path, summary: ReindexSummary) -> Document | None:
    """The Document read from `path`, or None with the failure recorded in `summary`."""
    try:
        document = read_document(path, corpus)
    except IngestError as error:
        summary.failed.append(Failure.from_error(error))
        return None
    summary.bytes_read += document.size
    summary.warnings.extend(Failure(*problem) for problem in problems_of(document, corpus))
    return document


def full_build(
    corpus: Path,
    index_dir: Path,
    procs: int = 1,
    progress: Progress | None = None,
    guard: ShrinkGuard | None = None,
    partition: Partition | None = None,
) -> ReindexSummary:
    """Index every document of `corpus` (those `partition` keeps) into a new build and
    swap it in.

    Raises CorpusRefused (nothing changed) when the corpus has no readable document, or
    when the new build would drop more of the live index's documents than `guard` allows.
    """
    progress = progress or Progress()
    with reindex_lock(index_dir):
        guard = guard or ShrinkGuard()
        return _full_build_locked(corpus, index_dir, procs, progress, guard, partition)


def _documents(corpus: Path, partition: Partition | None) -> list[Path]:
    """The corpus's document files, or those of `partition`'s documents."""
    paths = find_documents(corpus)
    if partition is None:
        return paths
    return [path for path in paths if partition(make_doc_id(path.relative_to(corpus)))]


def _live_files(index_dir: Path) -> dict[str, str]:
    """The files of the live index (none when there is no readable one)."""
    try:
        ix = open_index(index_dir)
    except IndexMissing:
        return {}
    try:
        return indexed_files(ix)
    finally:
        ix.close()


def _full_build_locked(  # noqa: PLR0913 - the build's parts
    corpus: Path,
    index_dir: Path,
    procs: int,
    progress: Progress,
    guard: ShrinkGuard,
    partition: Partition | None = None,
) -> ReindexSummary:
    started = time.monotonic()
    summary = ReindexSummary(full=True)
    live_files = _live_files(index_dir)
    paths = _documents(corpus, partition)
    guard.require_documents(index_dir, corpus, len(paths))
    found = {path.relative_to(corpus).as_posix() for path in paths}
    guard.check_removal(index_dir, corpus, len(live_files), len(live_files.keys() - found), True)
    previous = (index_dir / LIVE_LINK).resolve() if (index_dir / LIVE_LINK).exists() else None
    remove_leftovers(index_dir, {p for p in (previous,) if p})
    build = new_build_dir(index_dir)
    try:
        ix = whoosh_index.create_in(str(build), build_schema())
        progress.start(len(paths))
        if procs > 1 and len(paths) > 1:
            _write_in_parallel(ix, corpus, paths, procs, summary, progress)
        else:
            _write_in_process(ix, corpus, paths, summary, progress)
        with ix.searcher() as searcher:
            stored = searcher.doc_count()
        if stored != summary.sections:
            raise SearchError(
                f"index build lost documents: wrote {summary.sections} sections, "
                f"index holds {stored}; {index_dir} still serves its last complete build"
            )
        # Files that failed to read are not in the new build: they count as removed.
        guard.require_documents(index_dir, corpus, summary.indexed)
        failed = {Path(f.path).relative_to(corpus).as_posix(): f for f in summary.failed}
        removed = live_files.keys() - (found - failed.keys())
        unreadable = [failed[path] for path in sorted(removed & failed.keys())]
        guard.check_removal(index_dir, corpus, len(live_files), len(removed), True, unreadable)
        write_completions(build, ix)
        summary.seconds = time.monotonic() - started
        write_json_atomically(build / BUILD_INFO, _build_info(corpus, summary))
        make_durable(build)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    # Outside the clean-up above: once `current` may point at the build, it must stay. A
    # swap that fails before the link moves leaves the build to the next remove_leftovers.
    swap_in(index_dir, build)
    remove_leftovers(index_dir, {p for p in (previous, build.resolve()) if p})
    return summary


def _commit_durably(writer: IndexWriter, build: Path) -> None:
    """Commit an update into the live build, its new segment's files on disk before the
    table of contents names them, and that table and the directory right after."""
    commit_synced(writer, lambda: make_durable(build))
    make_durable(build)


def _build_info(corpus: Path, summary: ReindexSummary) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "analysis": analysis_fingerprint(),
        "corpus": str(corpus.resolve()),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(summary.seconds, 3),
        "last_update": asdict(summary),
    }


def indexed_files(ix: whoosh_index.Index) -> dict[str, str]:
    """path -> content hash of every file in the index, read from the `source` lexicon.

    The lexicon keeps terms of deleted sections until segments merge: a term counts only
    while some live section has it.
    """
    files = {}
    with ix.reader() as reader:
        for term in reader.lexicon("source"):
            if reader.has_deletions() and not any(
                True for _ in reader.postings("source", term).all_ids()
            ):
                continue
            path, digest = term.decode("utf-8").split(SOURCE_SEPARATOR, 1)
            files[path] = digest
    return files


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update(
    corpus: Path,
    index_dir: Path,
    procs: int = 1,
    progress: Progress | None = None,
    guard: ShrinkGuard | None = None,
    partition: Partition | None = None,
) -> ReindexSummary:
    """Re-index only files whose content changed (of the documents `partition` keeps);
    remove deleted ones.

    Falls back to a full build when there is no index yet or it was built by another schema
    version. A changed file that no longer parses keeps its previous sections (and is
    reported), so a bad edit never removes a document from search. Raises CorpusRefused
    (nothing changed) when no file of the corpus can be read, or when more of the indexed
    documents are gone than `guard` allows.
    """
    progress = progress or Progress()
    guard = guard or ShrinkGuard()
    with reindex_lock(index_dir):
        try:
            ix = open_index(index_dir)
        except IndexMissing:
            return _full_build_locked(corpus, index_dir, procs, progress, guard, partition)
        try:
            return _update_locked(ix, corpus, index_dir, progress, guard, partition)
        finally:
            ix.close()


def _update_locked(  # noqa: PLR0913 - the update's parts
    ix: whoosh_index.Index,
    corpus: Path,
    index_dir: Path,
    progress: Progress,
    guard: ShrinkGuard,
    partition: Partition | None = None,
) -> ReindexSummary:
    started = time.monotonic()
    summary = ReindexSummary(full=False)
    known = indexed_files(ix)
    paths = _documents(corpus, partition)
    guard.require_documents(index_dir, corpus, len(paths))
    current = {path.relative_to(corpus).as_posix(): path for path in paths}
    deleted = known.keys() - current.keys()
    guard.check_removal(index_dir, corpus, len(known), len(deleted), False)
    progress.start(len(paths))
    changed: list[Document] = []
    for relative, path in current.items():
        try:
            digest = _file_hash(path)
        except OSError:
            digest = ""  # vanished or unreadable: read_document says why
        if known.get(relative) == digest:
            summary.unchanged += 1
            progress.advance(1, 0, 0)
            continue
        document = _read(path, corpus, summary)
        if document is not None:
            changed.append(document)
        progress.advance(
            1, len(document.sections) if document else 0, document.size if document else 0
        )
    progress.finish("committing" if changed or deleted else "nothing changed")
    guard.require_documents(index_dir, corpus, summary.unchanged + len(changed))
    if not changed and not deleted:
        summary.seconds = time.monotonic() - started
        return summary  # the index, and when it was last updated, stay as they were
    build = live_build(index_dir)
    writer = segment_writer(ix)
    try:
        for document in changed:
            if document.path in known:
                writer.delete_by_term("path", document.path)
                summary.updated += 1
            else:
                summary.indexed += 1
            summary.sections += add_document(writer, document)
        for relative in deleted:
            writer.delete_by_term("path", relative)
        summary.deleted = len(deleted)
        _commit_durably(writer, build)
    except BaseException:
        abandon(writer)
        raise
    write_completions(build, ix)
    summary.seconds = time.monotonic() - started
    info = read_build_info(build)
    info["last_update"] = asdict(summary)
    info["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    write_json_atomically(build / BUILD_INFO, info)
    return summary
