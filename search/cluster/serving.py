"""Shards served by Ray Serve: each shard a deployment of R replicas (`ShardReplica`), and
the index a coordinator searches them through (`ClusterIndex`).

A search's steps go to every shard at once and are merged by `search.results`, as in one
process. A call that fails because its replica died or stopped answering is sent again
(Serve routes it to another replica of the shard) until SHARD_TIMEOUT seconds have passed
since the step began; a shard that still does not answer is missing: the search runs again
without it (`search.results.run_search` marks the answer partial), or is refused with a
503, as the index was started (`partial`). A call whose replica has not yet been sent the
definitions its step names is sent again at once with them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ray
from ray import serve
from ray.exceptions import ActorUnavailableError, GetTimeoutError, RayActorError
from ray.serve.exceptions import (
    DeploymentUnavailableError,
    RayServeException,
    ReplicaUnavailableError,
)

from search.cluster import same_authentication
from search.cluster.replica import (
    DefinitionsWanted,
    MatchingRows,
    ShardPage,
    ShardReplica,
    ShardTables,
    SharedDefinitions,
    Step,
)
from search.errors import ShardMissing, ShardsUnavailable
from search.index.live import RESULT_CACHE_SIZE
from search.index.shards import SHARD_PREFIX, Manifest, ShardedIndex
from search.index.versions import VersionTable, joined_versions
from search.query.compile import CompiledQuery, compile_query
from search.query.request import SearchRequest
from search.rank.semantic import Ranks
from search.results import SearchHit, ShardGroup, joined_definitions
from search.shard import Candidates, ShardResult, TermStatistics
from search.suggest import (
    best_suggestion,
    spelled_readings,
    suggestion_candidates,
)
from search.text.definitions import DefinitionTable

NAMESPACE = "govsearch"
# Seconds a step waits for a shard, its calls retried, before the shard counts as missing.
SHARD_TIMEOUT = 10.0
RETRY_PAUSE = 0.2  # seconds between two tries of one call
# What a call that may succeed on another replica fails with.
RETRIED: tuple[type[Exception], ...] = (
    RayActorError,
    ActorUnavailableError,
    ReplicaUnavailableError,
    DeploymentUnavailableError,
    GetTimeoutError,
    TimeoutError,
    RayServeException,
)


def app_name(name: str, number: int) -> str:
    """The Serve application of shard `number` of the index served as `name`."""
    return f"{name}-{SHARD_PREFIX}{number:02d}"


def wait_for_nodes(nodes: int, seconds: float) -> int:
    """Wait until the cluster has `nodes` live nodes (or `seconds` have passed): replicas
    are placed when deployed. Returns how many there are."""
    deadline = time.monotonic() + seconds
    while True:
        alive = sum(1 for node in ray.nodes() if node.get("Alive"))
        if alive >= nodes or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def deploy_shards(  # noqa: PLR0913 - the deployment's settings
    index_dir: Path, replicas: int, semantic: bool, name: str, nodes: int = 1
) -> int:
    """Deploy each shard of `index_dir` as a Serve application of `replicas` replicas (on
    the Ray cluster this process is connected to), named after `name`; returns how many
    shards. A shard's replicas spread over the `nodes` nodes, as evenly as they go, so that
    a node lost leaves the others; each reads the shard's directory on its own node."""
    per_node = -(-replicas // nodes)
    manifest = Manifest.read(index_dir)
    if manifest is None:
        raise ShardsUnavailable(index_dir, "not a sharded index: `govsearch reindex --shards N`")
    shard: Any = serve.deployment(ShardDeployment)
    for number, directory in enumerate(manifest.directories(index_dir)):
        options = shard.options(
            name="shard",
            num_replicas=replicas,
            max_replicas_per_node=per_node,
            ray_actor_options={"num_cpus": 0},
            health_check_period_s=1,
            health_check_timeout_s=5,
        )
        serve.run(
            options.bind(str(directory.resolve()), semantic),
            name=app_name(name, number),
            route_prefix=None,
        )
    return manifest.shards


class ShardDeployment(ShardReplica):
    """A replica as Serve calls it: its tables by a method."""

    def shard_tables(self) -> ShardTables:
        return self.tables

    def check_health(self) -> None:
        """Serve's health check: the generation's searcher still reads."""
        with self._lock:
            self.generation.searcher.doc_count()


def connect(address: str, node_ip: str | None) -> None:
    """Connect this process to the Ray cluster at `address` (once)."""
    if not ray.is_initialized():
        same_authentication()  # as `govsearch cluster` starts its nodes
        options: dict[str, Any] = {"address": address, "namespace": NAMESPACE}
        if node_ip:
            options["_node_ip_address"] = node_ip
        ray.init(logging_level=logging.WARNING, log_to_driver=False, **options)


@dataclass(frozen=True)
class LiveTables:
    """The live shards' tables joined, and whether meaning ranks questions on every one."""

    versions: VersionTable | None
    definitions: SharedDefinitions | None
    by_meaning: bool


class ClusterIndex(ShardedIndex):
    """A sharded index whose searches run on the shards' Serve deployments; its documents,
    completions and statistics are read from `index_dir` as a ShardedIndex's are.

    `partial`: a search whose shard does not answer is answered without it, named in
    the answer (else refused: ShardsUnavailable, a 503)."""

    def __init__(  # noqa: PLR0913 - the cluster's settings
        self,
        index_dir: Path | str,
        address: str,
        name: str,
        node_ip: str | None = None,
        partial: bool = True,
        timeout: float = SHARD_TIMEOUT,
        cache_size: int = RESULT_CACHE_SIZE,
        semantic: bool | None = None,
    ) -> None:
        super().__init__(index_dir, cache_size, semantic)
        connect(address, node_ip)
        self.partial = partial
        self.timeout = timeout
        self.name = name
        self.handles: dict[int, Any] = {}
        self._tables: dict[tuple[int, ...], LiveTables] = {}

    def handle(self, number: int) -> Any:
        """Shard `number`'s Serve handle (RayServeException while it is not deployed)."""
        if number not in self.handles:
            self.handles[number] = serve.get_app_handle(app_name(self.name, number))
        return self.handles[number]

    def shard_group(self, missing: Sequence[str] = ()) -> ShardGroup:
        names = [f"{SHARD_PREFIX}{n:02d}" for n in range(self.manifest.shards)]
        if missing and not self.partial:
            raise ShardsUnavailable(self.index_dir, f"no replica of {', '.join(missing)} answers")
        live = [number for number, name in enumerate(names) if name not in missing]
        if not live:
            raise ShardsUnavailable(self.index_dir, "no shard answers")
        return RemoteShards(self, live)

    def tables_of(self, group: RemoteShards) -> LiveTables:
        """The joined tables of the live shards (read once: their generations are fixed),
        the definitions named after the shards' builds."""
        key = tuple(group.numbers)
        if key not in self._tables:
            found: list[ShardTables] = group.each("shard_tables", [() for _ in group.numbers])
            versions = joined_versions([tables.versions for tables in found])
            definitions = joined_definitions([tables.definitions for tables in found])
            builds = ",".join(f"{n}:{t.build}" for n, t in zip(key, found, strict=True))
            shared = SharedDefinitions(builds, definitions) if definitions is not None else None
            by_meaning = all(tables.by_meaning for tables in found)
            self._tables[key] = LiveTables(versions, shared, by_meaning)
        return self._tables[key]


class RemoteShards(ShardGroup):
    """The live shards of a ClusterIndex for one search, asked through their handles."""

    def __init__(self, index: ClusterIndex, numbers: list[int]) -> None:
        self.index = index
        self.numbers = numbers
        self.key = uuid.uuid4().hex
        self.definitions: DefinitionTable | None = None
        self.shared: SharedDefinitions | None = None  # with the table, for who wants it
        self.latest: list[ShardResult] = []
        self.step: Step | None = None
        self.page_rows = range(0)
        self.by_meaning = False
        self.shown: list[dict[int, SearchHit]] = []  # the hits sent with each latest result
        # How each shard's latest result was answered: relaxed or not, fused with which ranks.
        self.answered: list[tuple[bool | None, Ranks | None]] = []
        self._compiled: tuple[SearchRequest, CompiledQuery] | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    def each(self, method: str, arguments: Sequence[tuple[Any, ...]]) -> list[Any]:
        """`method` called on every shard with its arguments, in parallel; a call that
        fails on a replica is sent again until the step's time is up (ShardMissing)."""
        return self.some(range(len(self.numbers)), method, arguments)

    def some(
        self, shards: Sequence[int], method: str, arguments: Sequence[tuple[Any, ...]]
    ) -> list[Any]:
        deadline = time.monotonic() + self.index.timeout
        sent = [
            self._send(shard, method, args) for shard, args in zip(shards, arguments, strict=True)
        ]
        return [
            self._received(shard, method, args, response, deadline)
            for shard, args, response in zip(shards, arguments, sent, strict=True)
        ]

    def _send(self, shard: int, method: str, args: tuple[Any, ...]) -> Any:
        """The call's response; None when it could not be sent (retried like a failure)."""
        try:
            handle = self.index.handle(self.numbers[shard])
            return handle.options(method_name=method).remote(*args)
        except RETRIED:
            return None

    def _received(
        self, shard: int, method: str, args: tuple[Any, ...], response: Any, deadline: float
    ) -> Any:
        while True:
            if response is not None:
                try:
                    return response.result(timeout_s=max(deadline - time.monotonic(), 0.01))
                except Exception as error:
                    if _wants_definitions(error):
                        args = self._with_definitions(args)
                        response = self._send(shard, method, args)
                        continue
                    if not isinstance(error, RETRIED):
                        raise
            if time.monotonic() >= deadline:
                raise ShardMissing(f"{SHARD_PREFIX}{self.numbers[shard]:02d}")
            time.sleep(RETRY_PAUSE)
            response = self._send(shard, method, args)

    def _with_definitions(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """The call's arguments, its step carrying the definitions' table."""
        return tuple(
            replace(arg, definitions=self.shared) if isinstance(arg, Step) else arg for arg in args
        )

    def _step(
        self, request: SearchRequest, several: bool, collection: TermStatistics | None
    ) -> Step:
        """A step of this search, naming the definitions without carrying them."""
        named = self.shared.named() if self.shared is not None else None
        return Step(self.key, request, several, collection, named, self.page_rows)

    def expect(self, request: SearchRequest) -> None:
        """The rows of each shard's result the page's hits will likely be: the page's own
        rows on one shard; over several, the first page's first rows of each shard."""
        first = (request.page - 1) * request.size
        if len(self) == 1:
            self.page_rows = range(first, first + request.size)
        else:  # a later page's rows depend on every shard's hits
            self.page_rows = range(request.size if first == 0 else 0)

    def tables(self) -> tuple[VersionTable | None, DefinitionTable | None]:
        tables = self.index.tables_of(self)
        self.shared, self.by_meaning = tables.definitions, tables.by_meaning
        self.definitions = self.shared.table if self.shared is not None else None
        return tables.versions, self.definitions

    def compiled(self, request: SearchRequest) -> CompiledQuery:
        if self._compiled is None or self._compiled[0] != request:
            self._compiled = (request, compile_query(request.text, request.scope, self.definitions))
        return self._compiled[1]

    def statistics(self, request: SearchRequest) -> list[TermStatistics]:
        return self.each("statistics", [(self._step(request, True, None),)] * len(self))

    def search(
        self, request: SearchRequest, several: bool, collection: TermStatistics | None
    ) -> list[ShardResult]:
        self.step = self._step(request, several, collection)
        pages: list[ShardPage] = self.each("search", [(self.step,)] * len(self))
        self.latest = [page.result for page in pages]
        self.shown = [page.hits for page in pages]
        self.answered = [(None, None)] * len(self)
        return list(self.latest)

    def answer(
        self, shards: Sequence[int], relax: bool, ranks: Sequence[Ranks | None]
    ) -> list[ShardResult]:
        arguments = [(self.step, relax, shard_ranks) for shard_ranks in ranks]
        answered: list[ShardPage] = self.some(list(shards), "answer", arguments)
        for shard, page, shard_ranks in zip(shards, answered, ranks, strict=True):
            self.latest[shard], self.shown[shard] = page.result, page.hits
            self.answered[shard] = (relax, shard_ranks)
        return [page.result for page in answered]

    def matching(self, doc_ids: Sequence[str]) -> list[ShardResult]:
        arguments = [(self.step, relax, ranks, list(doc_ids)) for relax, ranks in self.answered]
        found: list[MatchingRows] = self.each("matching", arguments)
        for shard, matching in enumerate(found):
            before = len(self.latest[shard].docnums)
            self.latest[shard] = self.latest[shard].with_rows(matching.rows)
            self.shown[shard].update(enumerate(matching.hits, start=before))
        return list(self.latest)

    def candidates(self, relax: bool) -> list[Candidates | None]:
        # As a shard decides (ShardSearch.candidates): no shard need be asked when one of
        # them would answer that meaning does not rank its questions.
        if not self.by_meaning:
            return [None] * len(self)
        return self.each("candidates", [(self.step, relax)] * len(self))

    def hits(self, picks: Sequence[tuple[int, int]]) -> list[SearchHit]:
        found = {
            (shard, row): self.shown[shard][row] for shard, row in picks if row in self.shown[shard]
        }
        missing = [pick for pick in picks if pick not in found]
        if missing:
            found.update(self._asked_hits(missing))
        return [found[pick] for pick in picks]

    def _asked_hits(self, picks: Sequence[tuple[int, int]]) -> dict[tuple[int, int], SearchHit]:
        """The picks' hits, asked of their shards."""
        shards = sorted({shard for shard, _ in picks})
        rows = [[row for picked, row in picks if picked == shard] for shard in shards]
        # Only what the hits need of the result travels back.
        arguments = [
            (self.step, replace(self.latest[shard], facets={}, statistics=None), wanted)
            for shard, wanted in zip(shards, rows, strict=True)
        ]
        found: dict[tuple[int, int], SearchHit] = {}
        for shard, wanted, hits in zip(
            shards, rows, self.some(shards, "hits", arguments), strict=True
        ):
            found.update(((shard, row), hit) for row, hit in zip(wanted, hits, strict=True))
        return found

    def suggestion(self, text: str, found: int) -> str | None:
        words = self.each("suggestion_counts", [(self.step, None)] * len(self))
        candidates = suggestion_candidates(words, text, self.pinyin_term)
        counted = self.each("suggestion_counts", [(self.step, candidates.queries)] * len(self))
        return best_suggestion(candidates, counted, found)

    def pinyin_readings(self, text: str) -> list[str]:
        return spelled_readings(self.each("spelled", [(text,)] * len(self)))


def _wants_definitions(error: Exception) -> bool:
    """Whether a call failed because its replica wants the definitions its step names (Ray
    hands back the replica's exception as its cause)."""
    return isinstance(error, DefinitionsWanted) or isinstance(
        getattr(error, "cause", None), DefinitionsWanted
    )
