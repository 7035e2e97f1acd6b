"""Latency and throughput of `/api/search` served by one machine and by `govsearch cluster`.

    python bench/cluster.py [--corpus /work/shared/corpus/gov/docs] [--indexes bench]
                            [--grid 1x1,1x2,2x1,2x2,4x1,4x2] [--requests 240] [--clients 4]
                            [--per-kind 20] [--seed 7]

Builds (once) a copy of the corpus split into each shard count of the grid
(bench/.index-shards-N), then, in a network namespace whose only interface is loopback (Ray
listens on every interface), measures the same fixed mix of keyword, filtered and question
searches (bench/query.py's, by seed) against: `govsearch serve` with 2 workers on the
1-shard copy, then each SHARDSxREPLICAS of the grid on a two-node Ray cluster (the head on
127.0.0.2, a node joined from 127.0.0.3, both on this machine), then `serve` again. Each
target first answers every search of the mix once (unmeasured), then `--requests` searches
from `--clients` concurrent clients: p50 and p95 latency and requests/s. At the end, for each
cluster, how many of the mix's answers (the JSON less the time taken and the links) equal
the first `serve`'s. The result cache is
off everywhere, so every request is computed. For each cluster it prints each shard
replica's resident memory, and for each copy the size of each shard's index.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import start_server  # noqa: E402

IN_NAMESPACE = "GOVSEARCH_LOOPBACK_ONLY"
HEAD, NODE = "127.0.0.2", "127.0.0.3"
READY_SECONDS = 600  # a loaded machine's Ray head and replicas of the whole corpus
GOVSEARCH = str(Path(sys.executable).with_name("govsearch"))
KINDS = ("keyword", "filtered", "question")
Grid = list[tuple[int, int]]


def parse_grid(text: str) -> Grid:
    """`1x1,2x2` -> [(1, 1), (2, 2)]: shards x replicas, in the order given, once each."""
    grid: Grid = []
    for item in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*x\s*(\d+)\s*", item)
        if not match or min(int(match[1]), int(match[2])) < 1:
            raise argparse.ArgumentTypeError(f"{item!r} is not SHARDSxREPLICAS, as in 2x1")
        entry = (int(match[1]), int(match[2]))
        if entry not in grid:
            grid.append(entry)
    return grid


def index_copy(indexes: Path, shards: int) -> Path:
    return indexes / f".index-shards-{shards}"


def build_copies(corpus: Path, indexes: Path, shard_counts: set[int]) -> None:
    """Each shard count's copy of the corpus, built only when one of its shards is missing
    (a build stopped half way leaves the manifest and the shards it finished)."""
    from search.index.shards import Manifest, reindex_shards

    for shards in sorted(shard_counts):
        directory = index_copy(indexes, shards)
        manifest = Manifest(shards)
        if not all((shard / "current").exists() for shard in manifest.directories(directory)):
            started = time.monotonic()
            reindex_shards(corpus, directory, shards, full=True, procs=os.cpu_count() or 1)
            print(f"built {directory} in {time.monotonic() - started:.0f} s", flush=True)


def interleaved_mix(index_dir: Path, per_kind: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """bench/query.py's mix drawn from the first shard, kinds interleaved: text, options."""
    from bench.query import sample_mix
    from search.index.live import SearchIndex

    with SearchIndex(index_dir / "shard-00", cache_size=0) as index:
        mix = sample_mix(index, per_kind, seed)
    return [
        mix[kind][number] for number in range(per_kind) for kind in KINDS if number < len(mix[kind])
    ]


def mix_paths(index_dir: Path, per_kind: int, seed: int) -> list[str]:
    """The mix as `/api/search` paths, kinds interleaved."""
    paths = []
    for text, options in interleaved_mix(index_dir, per_kind, seed):
        params: dict[str, object] = {"q": text}
        if "agencies" in options:
            params |= {"agency": options["agencies"], "year": options["year"]}
        paths.append("/api/search?" + urllib.parse.urlencode(params, doseq=True))
    return paths


def in_threads(client: Callable[[], None], clients: int) -> None:
    """`client` run by `clients` threads at once, until each returns."""
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def answers(base: str, paths: list[str]) -> list[dict[str, Any]]:
    """Each search's JSON, as two servers' answers are compared: without the time it took
    or the links, which name the server."""
    found = []
    for path in paths:
        with urllib.request.urlopen(base + path, timeout=120) as response:
            body = json.loads(response.read())
        body["took_ms"] = 0
        for hit in body.get("hits", []):
            hit.pop("url", None)
        found.append(body)
    return found


def report_same(
    name: str, found: list[dict[str, Any]], expected: list[dict[str, Any]], paths: list[str]
) -> None:
    """How many of the cluster's answers equal one server's, and the first that does not."""
    differing = [path for path, a, b in zip(paths, found, expected, strict=True) if a != b]
    print(f"{name:<16}answers equal to serve's: {len(paths) - len(differing)} of {len(paths)}")
    if differing:
        print(f"{'':<16}first differing: {urllib.parse.unquote(differing[0])}")


def _get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = json.loads(response.read())
    if body.get("partial"):
        raise RuntimeError(f"partial answer: {url}")
    return time.perf_counter() - started


def measure(base: str, paths: list[str], requests: int, clients: int) -> dict[str, float]:
    """p50/p95 latency (ms) and requests/s of `requests` searches from `clients` threads,
    after one unmeasured pass over the mix."""
    for path in paths:
        _get(base + path)
    latencies: list[float] = []
    lock, next_request = threading.Lock(), iter(range(requests))

    def client() -> None:
        while True:
            with lock:
                number = next(next_request, None)
            if number is None:
                return
            took = _get(base + paths[number % len(paths)])
            with lock:
                latencies.append(took)

    started = time.perf_counter()
    in_threads(client, clients)
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "rps": requests / elapsed}


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match[1]) / 1024 if match else 0.0


def replica_rss(name: str) -> dict[str, list[float]]:
    """Each shard's replicas' resident memory (MB), found by the Serve application in the
    process title Ray gives a replica (`ray::ServeReplica:NAME-shard-NN:...`)."""
    found: dict[str, list[float]] = {}
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            match = re.search(rf"ServeReplica:{re.escape(name)}-(shard-\d+)", title)
            if entry.name.isdigit() and match:
                found.setdefault(match[1], []).append(rss_mb(int(entry.name)))
        except OSError:
            continue
    return dict(sorted(found.items()))


def shard_sizes(index_dir: Path) -> list[float]:
    """Each shard's index on disk (MB): every generation it holds."""
    return [
        sum(f.stat().st_size for f in shard.rglob("*") if f.is_file()) / 1e6
        for shard in sorted(index_dir.glob("shard-*"))
    ]


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _start(arguments: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [GOVSEARCH, *arguments], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while text not in log.read_text("utf-8", errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text("utf-8", errors="replace")[-3000:])
        time.sleep(0.5)


def _stop(port: int, process: subprocess.Popen[bytes]) -> None:
    subprocess.run([GOVSEARCH, "cluster", "stop", "--port", str(port)], check=False)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def single_server(index_dir: Path) -> Iterator[str]:
    server, base = start_server(index_dir, workers=2, env=dict(os.environ))
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


class Cluster:
    """A two-node loopback Ray cluster: the first `serve` starts the head (and waits for the
    node), later ones join it; each answers on a port of 127.0.0.1."""

    def __init__(self, work: Path) -> None:
        self.work, self.address = work, f"{HEAD}:{free_port(HEAD)}"
        self.head: tuple[int, subprocess.Popen[bytes]] | None = None
        self.node: subprocess.Popen[bytes] | None = None

    def serve(self, index_dir: Path, replicas: int) -> tuple[int, subprocess.Popen[bytes]]:
        port, log = free_port("127.0.0.1"), self.work / f"start-{index_dir.name}-{replicas}.log"
        command = ["cluster", "start", "--index", str(index_dir), "--replicas", str(replicas)]
        command += ["--nodes", "2", "--workers", "2", "--port", str(port), "--node-ip", HEAD]
        if self.head is None:
            ray_port = self.address.rsplit(":", 1)[1]
            temp = tempfile.mkdtemp(prefix="gsray-")  # short: Ray's sockets live there
            command += ["--ray-port", ray_port, "--temp-dir", temp]
            process = _start(command, log)
            _wait_for(log, "govsearch: Ray head at", process)
            join = ["cluster", "join", "--address", self.address, "--node-ip", NODE]
            node_temp = tempfile.mkdtemp(prefix="gsray-")
            self.node = _start([*join, "--temp-dir", node_temp], self.work / "join.log")
            self.head = (port, process)
        else:
            process = _start([*command, "--address", self.address], log)
        _wait_for(log, "govsearch: open", process)
        return port, process

    def stop(self, served: tuple[int, subprocess.Popen[bytes]]) -> None:
        if self.head is None or served[0] != self.head[0]:  # the head's goes last
            _stop(*served)

    def close(self) -> None:
        if self.head is not None:
            _stop(*self.head)
        if self.node is not None and self.node.poll() is None:
            os.killpg(self.node.pid, signal.SIGTERM)
            try:
                self.node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.node.pid, signal.SIGKILL)


def report(name: str, figures: dict[str, float]) -> None:
    print(
        f"{name:<16}{figures['p50']:>9.0f}{figures['p95']:>9.0f}{figures['rps']:>9.1f}", flush=True
    )


def run(args: argparse.Namespace) -> None:
    paths = mix_paths(index_copy(args.indexes, 1), args.per_kind, args.seed)
    print(
        f"{len(paths)} searches ({', '.join(KINDS)}), {args.requests} requests, "
        f"{args.clients} clients, result cache off"
    )
    print(f"{'target':<16}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>9}", flush=True)
    memory: dict[str, dict[str, list[float]]] = {}
    with single_server(index_copy(args.indexes, 1)) as base:
        expected = answers(base, paths)
        report("serve, 2 workers", measure(base, paths, args.requests, args.clients))
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="gsbench-")))
    same: list[tuple[str, list[dict[str, Any]]]] = []
    try:
        for shards, replicas in args.grid:
            served = cluster.serve(index_copy(args.indexes, shards), replicas)
            try:
                base = f"http://127.0.0.1:{served[0]}"
                report(f"{shards}x{replicas}", measure(base, paths, args.requests, args.clients))
                same.append((f"{shards}x{replicas}", answers(base, paths)))
                memory[f"{shards}x{replicas}"] = replica_rss(f"govsearch-{served[0]}")
            finally:
                cluster.stop(served)
    finally:
        cluster.close()
    with single_server(index_copy(args.indexes, 1)) as base:
        report("serve, again", measure(base, paths, args.requests, args.clients))
    print()
    for name, found in same:
        report_same(name, found, expected, paths)
    print_sizes(args, memory)


def print_sizes(args: argparse.Namespace, memory: dict[str, dict[str, list[float]]]) -> None:
    print("\nresident memory of each shard's replicas, MB")
    for target, shards in memory.items():
        each = "  ".join(f"{s}: {' '.join(f'{mb:.0f}' for mb in mbs)}" for s, mbs in shards.items())
        print(f"{target:<6}{each}")
    print("\nindex on disk of each shard, MB")
    for shards in sorted({1, *(s for s, _ in args.grid)}):
        sizes = shard_sizes(index_copy(args.indexes, shards))
        print(f"{shards} shards: {' '.join(f'{mb:.0f}' for mb in sizes)}")


def in_namespace() -> None:
    """Run this script again in a network namespace of loopback alone."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        sys.exit("needs unshare and ip (util-linux, iproute2)")
    unshare = ["unshare", "-n"] if os.getuid() == 0 else ["unshare", "-rn"]
    inner = 'ip link set lo up && exec "$0" "$@"'
    environment = os.environ | {
        IN_NAMESPACE: "1",
        "RAY_USAGE_STATS_ENABLED": "0",
        "GOVSEARCH_RESULT_CACHE": "0",
        "GOVSEARCH_QUERY_LOG": "off",
    }
    command = [*unshare, "sh", "-c", inner, sys.executable, *sys.argv]
    sys.exit(subprocess.run(command, env=environment, check=False).returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus/gov/docs"))
    parser.add_argument("--indexes", type=Path, default=ROOT / "bench", help="copies' parent")
    parser.add_argument("--grid", type=parse_grid, default=parse_grid("1x1,1x2,2x1,2x2,4x1,4x2"))
    parser.add_argument("--requests", type=int, default=240)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--per-kind", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if os.environ.get(IN_NAMESPACE) != "1":
        build_copies(args.corpus, args.indexes, {1, *(shards for shards, _ in args.grid)})
        in_namespace()
    run(args)


if __name__ == "__main__":
    main()
