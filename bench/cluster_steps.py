"""Where a search's time goes on the cluster: each step's calls, the work in the replica,
and what the calls' arguments and answers cost to pickle.

    python bench/cluster_steps.py --index DIR [--per-kind 8] [--seed 7]

DIR is a sharded index (`govsearch reindex --shards N`). In a network namespace of loopback
alone (Ray listens on every interface), this process starts a one-node Ray cluster, deploys
one replica of each shard that records how long each of its methods takes inside (the lock
included), and runs bench/cluster.py's mix of keyword, filtered and question searches
through a ClusterIndex (result cache off), after one unmeasured pass. It prints: a Serve
call's floor (a method that does nothing); the CPU Ray's processes take at rest; the searches'
wall time from one client; for each step (a call to every shard), its rounds per search,
its wall time as the coordinator waits for it and the replica's time inside; the searches
per second from 1 and 2 clients and the CPU Ray's processes took meanwhile; each step's
arguments and answer pickled (KB, ms to dump and to load); and the coordinator's own
profile (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pickle
import pstats
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import IN_NAMESPACE, KINDS, in_namespace, in_threads, interleaved_mix  # noqa: E402

NAME = "steps"
# The replica's methods a search calls (both protocols'), timed inside the replica.
STEP_METHODS = (
    "statistics",
    "search",
    "answer",
    "candidates",
    "hits",
    "matching",
    "suggestion_counts",
    "spelled",
)


def timed_replica_class() -> type:
    """ShardDeployment with each step's method timed (Ray imported only here)."""
    from search.cluster.serving import ShardDeployment

    class TimedShard(ShardDeployment):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.spent: dict[str, list[float]] = defaultdict(list)
            for name in STEP_METHODS:
                setattr(self, name, self._timed(name, getattr(self, name)))

        def _timed(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
            def timed(*args: Any) -> Any:
                started = time.perf_counter()
                try:
                    return method(*args)
                finally:
                    self.spent[name].append(time.perf_counter() - started)

            return timed

        def timings(self) -> dict[str, list[float]]:
            found, self.spent = dict(self.spent), defaultdict(list)
            return found

        def nothing(self) -> None:
            return None

    return TimedShard


def timed_index_class() -> type:
    """ClusterIndex whose searches record each step's wall time (and, when asked, what
    its arguments and answers cost to pickle)."""
    from search.cluster.serving import ClusterIndex, RemoteShards

    class TimedShards(RemoteShards):
        def some(
            self, shards: Sequence[int], method: str, arguments: Sequence[tuple[Any, ...]]
        ) -> list[Any]:
            started = time.perf_counter()
            found: list[Any] = super().some(shards, method, arguments)
            self.index.rounds[method].append(time.perf_counter() - started)
            if self.index.pickling is not None:
                for args, answer in zip(arguments, found, strict=True):
                    self.index.pickling[method].append(pickled(args) + pickled(answer))
            return found

    class TimedIndex(ClusterIndex):
        def __init__(self, *args: Any, **options: Any) -> None:
            super().__init__(*args, **options)
            self.rounds: dict[str, list[float]] = defaultdict(list)
            self.pickling: dict[str, list[tuple[float, ...]]] | None = None

        def shard_group(self, missing: Sequence[str] = ()) -> Any:
            group = super().shard_group(missing)
            return TimedShards(self, group.numbers)

    return TimedIndex


def pickled(value: Any) -> tuple[float, float, float]:
    """KB, ms to dump, ms to load."""
    started = time.perf_counter()
    data = pickle.dumps(value, protocol=5)
    dumped = time.perf_counter()
    pickle.loads(data)
    return len(data) / 1024, (dumped - started) * 1000, (time.perf_counter() - dumped) * 1000


def ray_cpu_seconds() -> float:
    """CPU seconds this process's descendants (Ray's processes) have used."""
    parents, seconds = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            seconds[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    mine, grew = {os.getpid()}, True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                grew = True
    return sum(seconds[pid] for pid in mine - {os.getpid()})


def deploy(index_dir: Path) -> list[Any]:
    """One timed replica of each shard; their handles."""
    from ray import serve

    from search.cluster.serving import app_name
    from search.index.shards import Manifest

    manifest = Manifest.read(index_dir)
    if manifest is None:
        sys.exit(f"{index_dir} is not a sharded index: govsearch reindex --shards N")
    shard: Any = serve.deployment(timed_replica_class())
    for number, directory in enumerate(manifest.directories(index_dir)):
        options = shard.options(name="shard", num_replicas=1, ray_actor_options={"num_cpus": 0})
        serve.run(
            options.bind(str(directory.resolve()), True),
            name=app_name(NAME, number),
            route_prefix=None,
        )
    return [serve.get_app_handle(app_name(NAME, n)) for n in range(manifest.shards)]


def mix(index_dir: Path, per_kind: int, seed: int) -> list[Any]:
    """bench/cluster.py's mix, as search requests."""
    from search.query.request import SearchRequest

    return [
        SearchRequest.create(text=text, **options)
        for text, options in interleaved_mix(index_dir, per_kind, seed)
    ]


def call_floor(handle: Any) -> float:
    """The median ms of a Serve call to a method that does nothing."""
    for _ in range(5):
        handle.options(method_name="nothing").remote().result()
    took = []
    for _ in range(40):
        started = time.perf_counter()
        handle.options(method_name="nothing").remote().result()
        took.append(time.perf_counter() - started)
    return sorted(took)[20] * 1000


def throughput(index: Any, requests: list[Any], clients: int) -> tuple[float, float]:
    """Searches a second from `clients` threads over the mix twice, and the CPUs Ray's
    processes took meanwhile."""
    from search.results import run_search

    queue, lock = list(requests) * 2, threading.Lock()

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                request = queue.pop()
            run_search(index, request)

    cpu, started = ray_cpu_seconds(), time.perf_counter()
    in_threads(client, clients)
    took = time.perf_counter() - started
    return 2 * len(requests) / took, (ray_cpu_seconds() - cpu) / took


def print_steps(index: Any, handles: list[Any], searches: int) -> None:
    inside: dict[str, list[float]] = defaultdict(list)
    for handle in handles:
        for method, spent in handle.options(method_name="timings").remote().result().items():
            inside[method] += spent
    print(f"{'step':<18}{'rounds':>7}{'/search':>8}{'wall ms':>9}{'replica ms':>11}")
    for method, walls in sorted(index.rounds.items(), key=lambda item: -sum(item[1])):
        mine = inside.get(method, [])
        replica = f"{sum(mine) / len(mine) * 1000:>11.1f}" if mine else f"{'-':>11}"
        print(
            f"{method:<18}{len(walls):>7}{len(walls) / searches:>8.2f}"
            f"{sum(walls) / len(walls) * 1000:>9.1f}{replica}"
        )


def print_pickling(pickling: dict[str, list[tuple[float, ...]]]) -> None:
    print(
        f"{'step':<18}{'args KB':>8}{'dump ms':>8}{'load ms':>8}{'answer KB':>10}"
        f"{'dump ms':>8}{'load ms':>8}"
    )
    for method, rows in pickling.items():
        mean = [sum(row[i] for row in rows) / len(rows) for i in range(6)]
        print(
            f"{method:<18}"
            + "".join(f"{v:>8.1f}" if i != 3 else f"{v:>10.1f}" for i, v in enumerate(mean))
        )


def run(args: argparse.Namespace) -> None:
    import ray
    from ray import serve

    from search.results import run_search

    temp = tempfile.mkdtemp(prefix="gsray-")  # short: Ray's sockets live there
    # A new local cluster would otherwise write a token to ~/.ray/auth_token, which every
    # later `ray start` of this user then demands of its clients.
    os.environ["RAY_AUTH_MODE"] = "disabled"
    ray.init(include_dashboard=False, logging_level="WARNING", log_to_driver=False, _temp_dir=temp)
    try:
        serve.start(proxy_location="Disabled")
        handles = deploy(args.index)
        index = timed_index_class()(args.index, "auto", NAME, cache_size=0)
        requests = mix(args.index, args.per_kind, args.seed)
        print(
            f"{len(requests)} searches ({', '.join(KINDS)}), {len(handles)} shards, "
            "1 replica each, result cache off"
        )
        for request in requests:  # every replica's first calls, the coordinator's tables
            run_search(index, request)
        print(f"a Serve call that does nothing: {call_floor(handles[0]):.1f} ms (median)")
        cpu = ray_cpu_seconds()
        time.sleep(10)
        print(f"Ray's processes at rest: {(ray_cpu_seconds() - cpu) / 10:.2f} CPU")
        for handle in handles:
            handle.options(method_name="timings").remote().result()
        index.rounds.clear()
        walls = []
        profile = cProfile.Profile()
        profile.enable()
        for request in requests:
            started = time.perf_counter()
            run_search(index, request)
            walls.append((time.perf_counter() - started) * 1000)
        profile.disable()
        walls.sort()
        print(
            f"one client: mean {sum(walls) / len(walls):.0f} ms, "
            f"p50 {walls[len(walls) // 2]:.0f} ms, max {walls[-1]:.0f} ms a search"
        )
        print_steps(index, handles, len(requests))
        for clients in (1, 2):
            rate, cpu_used = throughput(index, requests, clients)
            print(f"{clients} client(s): {rate:.1f} searches/s, Ray's processes {cpu_used:.2f} CPU")
        index.pickling = defaultdict(list)
        for request in requests:
            run_search(index, request)
        print_pickling(index.pickling)
        print("\nthe coordinator, one client (cProfile, cumulative):")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    finally:
        serve.shutdown()
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="a sharded index")
    parser.add_argument("--per-kind", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if os.environ.get(IN_NAMESPACE) != "1":
        in_namespace()
    run(args)


if __name__ == "__main__":
    main()
