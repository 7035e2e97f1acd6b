"""An index split into shards: its documents partitioned by a stable hash of doc_id.

index/shards.json    the manifest: how many shards, and how a document's shard is chosen
index/shard-00/ ...  one ordinary index directory per shard (`search.index.store`): its own
                     builds, atomic swap, reindex lock, incremental updates and vectors
index/.lock          held by the one sharded reindex allowed at a time

All sections of a document are on one shard, so collapsing, `more_sections` and a
document's page stay exact. A directory without a manifest is one index, as always.

Shards are searched together only when they analyse text alike: each build records the
fingerprint of its analysis (`search.index.schema.analysis_fingerprint`), and a sharded
index whose live builds disagree is not opened (IndexMissing, naming the shards).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from whoosh.searching import Searcher

from search.cache import BoundedCache
from search.errors import CorpusRefused, IndexMissing
from search.index.build import Partition, Progress, ReindexSummary, full_build, update
from search.index.live import RESULT_CACHE_SIZE, SearchIndex
from search.index.shrink import ShrinkGuard
from search.index.store import read_build_info, reindex_lock, write_json_atomically
from search.ingest.read import find_documents, make_doc_id

MANIFEST = "shards.json"
# How a document's shard is chosen, as the manifest names it: the same in every process and
# on every machine (Python's own hash of a str is not).
HASH_NAME = "sha256(doc_id)[:8] big-endian mod shards"
SHARD_PREFIX = "shard-"
MAX_SHARDS = 256


def shard_of(doc_id: str, shards: int) -> int:
    """The shard of a document (HASH_NAME)."""
    digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


@dataclass(frozen=True)
class Manifest:
    """How an index directory is split: `shards` directories, a document's chosen by
    `hash` (the only one so far: HASH_NAME)."""

    shards: int
    hash: str = HASH_NAME

    @classmethod
    def read(cls, index_dir: Path) -> Manifest | None:
        """The directory's manifest; None for a single index (or no index yet)."""
        try:
            data = json.loads((index_dir / MANIFEST).read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise IndexMissing(index_dir, f"unreadable {MANIFEST}: {error}", full=True) from None
        manifest = cls(int(data["shards"]), str(data["hash"]))
        if manifest.hash != HASH_NAME or not 1 <= manifest.shards <= MAX_SHARDS:
            raise IndexMissing(index_dir, f"{MANIFEST} of another kind: {data}", full=True)
        return manifest

    def write(self, index_dir: Path) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomically(index_dir / MANIFEST, {"shards": self.shards, "hash": self.hash})

    def directories(self, index_dir: Path) -> list[Path]:
        return [shard_directory(index_dir, number) for number in range(self.shards)]


def shard_directory(index_dir: Path, number: int) -> Path:
    return index_dir / f"{SHARD_PREFIX}{number:02d}"


def index_directories(index_dir: Path) -> list[Path]:
    """The ordinary index directories `index_dir` holds: its shards', or itself."""
    manifest = Manifest.read(index_dir)
    return [index_dir] if manifest is None else manifest.directories(index_dir)


class ShardsRefused(ValueError):
    """A sharded reindex that would not fit the directory (nothing was changed)."""


def planned_shards(index_dir: Path, asked: int | None) -> int | None:
    """How many shards a reindex of `index_dir` writes (None: one index, as always): as
    `asked`, or as its manifest says. ShardsRefused when `asked` does not fit what the
    directory holds: the partition of its documents cannot change in place."""
    manifest = Manifest.read(index_dir)
    if manifest is not None:
        if asked is not None and asked != manifest.shards:
            raise ShardsRefused(
                f"{index_dir} holds {manifest.shards} shards, not {asked}: build the new "
                "split into another directory (`govsearch reindex --shards "
                f"{asked} --index NEW`) and point the server at it"
            )
        return manifest.shards
    if asked is not None and asked > 1 and (index_dir / "current").exists():
        raise ShardsRefused(
            f"{index_dir} holds a single index: build the shards into another directory"
        )
    return asked if asked is not None and asked > 1 else None


class _ShardProgress(Progress):
    """One bar over every shard's build: only the last shard's end closes it."""

    def __init__(self, progress: Progress, last: bool) -> None:
        self.progress, self.last = progress, last

    def start(self, files: int) -> None:
        self.progress.start(files)

    def advance(self, files: int, sections: int, nbytes: int) -> None:
        self.progress.advance(files, sections, nbytes)

    def finish(self, message: str) -> None:
        if self.last:
            self.progress.finish(message)


def reindex_shards(  # noqa: PLR0913 - one argument per option of the command
    corpus: Path,
    index_dir: Path,
    shards: int,
    full: bool = False,
    procs: int = 1,
    progress: Progress | None = None,
    guard: ShrinkGuard | None = None,
) -> ReindexSummary:
    """Index `corpus` into `shards` shards of `index_dir`, each an ordinary index holding
    the documents whose doc_id hashes to it: a full build of each, or an update that reads
    again only the changed files (a changed file's shard alone is written). Summed."""
    progress = progress or Progress()
    manifest = Manifest(shards)
    with reindex_lock(index_dir):
        if Manifest.read(index_dir) is None:
            _require_every_shard(corpus, shards)
            manifest.write(index_dir)
        build = full_build if full else update
        summaries = []
        for number, directory in enumerate(manifest.directories(index_dir)):
            summaries.append(
                build(
                    corpus,
                    directory,
                    procs,
                    _ShardProgress(progress, last=number == shards - 1),
                    guard,
                    partition=_partition(number, shards),
                )
            )
    return _summed(summaries)


def _require_every_shard(corpus: Path, shards: int) -> None:
    """CorpusRefused (nothing written) when some shard would hold no document: an empty
    shard is refused as an empty corpus is."""
    found = {
        shard_of(make_doc_id(path.relative_to(corpus)), shards) for path in find_documents(corpus)
    }
    empty = [f"{SHARD_PREFIX}{number:02d}" for number in range(shards) if number not in found]
    if empty:
        raise CorpusRefused(
            f"no document of {corpus} goes to {', '.join(empty[:3])}"
            f"{' …' if len(empty) > 3 else ''} of {shards} shards: split it into fewer"
        )


def _partition(number: int, shards: int) -> Partition:
    """Whether a document is on shard `number` of `shards`."""
    return lambda doc_id: shard_of(doc_id, shards) == number


def _summed(summaries: list[ReindexSummary]) -> ReindexSummary:
    total = ReindexSummary(full=all(summary.full for summary in summaries))
    for field in fields(ReindexSummary):
        if field.name != "full":
            parts = [getattr(summary, field.name) for summary in summaries]
            start: Any = [] if isinstance(parts[0], list) else 0
            setattr(total, field.name, sum(parts, start))
    return total


class ShardedIndex:
    """The live shards of a sharded directory, searched together (`search.results`): each
    a SearchIndex of its own that follows its own swaps and updates."""

    def __init__(
        self,
        index_dir: Path | str,
        cache_size: int = RESULT_CACHE_SIZE,
        semantic: bool | None = None,
        definitions: bool = True,
    ) -> None:
        self.index_dir = Path(index_dir)
        manifest = Manifest.read(self.index_dir)
        if manifest is None:
            raise IndexMissing(self.index_dir)
        self.manifest = manifest
        # Recent merged results, for the shards' current generations (see `generations`).
        self.results: BoundedCache[Any, object] = BoundedCache(cache_size)
        self.shards: list[SearchIndex] = []
        try:
            for directory in manifest.directories(self.index_dir):
                # Results are kept merged, here: a shard's own cache would go unused.
                self.shards.append(SearchIndex(directory, 1, semantic, definitions))
            self._builds: tuple[Path, ...] = ()
            self._check_analysis()
        except BaseException:
            self.close()
            raise
        self._searchers: tuple[int, ...] = ()

    def _check_analysis(self) -> None:
        """IndexMissing when the shards' live builds analyse text differently (checked again
        whenever a shard swaps in another build)."""
        builds = tuple(shard.build for shard in self.shards)
        if builds == self._builds:
            return
        kinds: dict[str, list[str]] = {}
        for shard in self.shards:
            analysis = read_build_info(shard.build).get("analysis")
            key = json.dumps(analysis, sort_keys=True)
            kinds.setdefault(key, []).append(shard.index_dir.name)
        if len(kinds) > 1:
            groups = "; ".join(
                f"{', '.join(names)}: {_analysis_summary(key)}" for key, names in kinds.items()
            )
            raise IndexMissing(
                self.index_dir,
                f"its shards analyse text differently ({groups})",
                full=True,
            )
        self._builds = builds

    @contextmanager
    def searchers(self) -> Iterator[list[tuple[SearchIndex, Searcher]]]:
        """Every shard with its current searcher (do not close them; held for the search,
        in the order of the shards); the merged results are dropped when any shard's
        generation changed."""
        with ExitStack() as stack:
            opened = [(shard, stack.enter_context(shard.searcher())) for shard in self.shards]
            self._check_analysis()
            searchers = tuple(id(searcher) for _, searcher in opened)
            if searchers != self._searchers:
                self.results.clear()
                self._searchers = searchers
            yield opened

    def owner(self, doc_id: str) -> SearchIndex:
        """The shard that holds the document (whether or not it exists)."""
        return self.shards[shard_of(doc_id, self.manifest.shards)]

    @property
    def vectors(self) -> int:
        return sum(len(shard.vectors) for shard in self.shards)

    def close(self) -> None:
        for shard in self.shards:
            shard.close()

    def __enter__(self) -> ShardedIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _analysis_summary(key: str) -> str:
    analysis = json.loads(key)
    if not isinstance(analysis, dict):
        return "built before analysis was recorded"
    return ", ".join(f"{name} {value}" for name, value in sorted(analysis.items()))


def open_search_index(
    index_dir: Path | str,
    cache_size: int = RESULT_CACHE_SIZE,
    semantic: bool | None = None,
    definitions: bool = True,
) -> SearchIndex | ShardedIndex:
    """The live index of `index_dir`: its shards when it has a manifest, else the one index."""
    if Manifest.read(Path(index_dir)) is not None:
        return ShardedIndex(index_dir, cache_size, semantic, definitions)
    return SearchIndex(index_dir, cache_size, semantic, definitions)


def read_tables(index: SearchIndex | ShardedIndex) -> None:
    """Open each of the index's shards and read what their searches read once a generation
    (columns, law versions, definitions): the next search's time is then its own."""
    for shard in index.shards if isinstance(index, ShardedIndex) else [index]:
        with shard.searcher():
            shard.versions  # noqa: B018 - read now, not in the first search
            shard.definitions  # noqa: B018 - likewise
