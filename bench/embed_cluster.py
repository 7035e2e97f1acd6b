"""Embedding speed of `govsearch embed --cluster` on a Ray cluster of one or two nodes
against plain `govsearch embed`, on the same sample of the shared corpus, in one run.

    python bench/embed_cluster.py [--documents 20] [--seed 7] [--shards 2] [--rounds 2]
                                  [--worker-threads 1,2] [--nodes 2] [--work DIR]

Draws `--documents` documents of the shared corpus with a seeded generator and builds them
twice, each copy split into `--shards` shards (under `--work`, default
bench/.index-embed-cluster, a folder per sample). Then, in a network namespace whose only
interface is loopback (Ray listens on every interface), starts a Ray head on 127.0.0.2 and a
node joined from 127.0.0.3 (`govsearch cluster join`), both on this machine (`--nodes 1`:
the head alone, so that the cluster's workers have the machine's cores to themselves, as on
a real node), and in each round, each copy's vectors removed before each run: plain
`govsearch embed` of the first copy, then `govsearch embed --cluster --worker-threads N` of
the second for each N of `--worker-threads` (a worker of N engine threads for every N CPUs
of a node), so that a change in the machine's load falls on every run alike. Each time is
the command's whole run on the clock: start, model, connection and actors included. Prints
the sections each run embedded, sections a second and their median, the sections each node
embedded, and whether each cluster layout ends with the vector files and vectors of plain
`embed`.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cluster import HEAD, IN_NAMESPACE, NODE, free_port, in_namespace  # noqa: E402
from bench.shared import shared_corpus  # noqa: E402

GOVSEARCH = str(Path(sys.executable).with_name("govsearch"))
EMBEDDED = re.compile(r"^\d+ sections?: (\d+) embedded now", re.MULTILINE)
ON_NODES = re.compile(r"^embedded on .*$", re.MULTILINE)
JOIN_SECONDS = 120


def build_copies(work: Path, documents: int, seed: int, shards: int) -> tuple[Path, Path]:
    """Two copies of the same sample, built unless they are there."""
    from search.index.shards import reindex_shards

    work = work / f"{documents}-documents-seed-{seed}-{shards}-shards"
    copies = (work / "plain", work / "cluster")
    if all((copy / "shards.json").exists() for copy in copies):
        return copies
    files = sorted(shared_corpus().glob("*.txt"))
    sample = random.Random(seed).sample(files, documents)
    corpus = work / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for path in sample:
        shutil.copy(path, corpus / path.name)
    for copy in copies:
        shutil.rmtree(copy, ignore_errors=True)
        reindex_shards(corpus, copy, shards, full=True, procs=os.cpu_count() or 1)
    return copies


def remove_vectors(index_dir: Path) -> None:
    for vectors in index_dir.glob("shard-*/vectors"):
        shutil.rmtree(vectors)


def timed_embed(index_dir: Path, *cluster: str) -> tuple[int, float, str]:
    """(sections embedded, seconds on the clock, what it printed) of one `govsearch embed`."""
    started = time.perf_counter()
    command = [GOVSEARCH, "embed", "--index", str(index_dir), *cluster]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    return sum(int(n) for n in EMBEDDED.findall(done.stdout)), seconds, done.stdout


def report(name: str, embedded: int, seconds: float) -> None:
    print(f"{name:<28}{embedded:>9}{seconds:>10.1f}{embedded / seconds:>12.1f}", flush=True)


def same_vectors(first: Path, second: Path) -> str:
    """Whether the two copies hold the same vector files, and the largest difference."""
    names = sorted(p.relative_to(first) for p in first.glob("shard-*/vectors/*/*.npy"))
    if names != sorted(p.relative_to(second) for p in second.glob("shard-*/vectors/*/*.npy")):
        return "different files"
    largest = 0.0
    for name in names:
        a, b = np.load(first / name), np.load(second / name)
        if ".keys." in name.name and not np.array_equal(a, b):
            return f"different keys in {name}"
        if ".vecs." in name.name:
            largest = max(largest, float(np.abs(a.astype(np.float32) - b).max(initial=0)))
    return f"same {len(names)} files, largest difference of a component {largest:g}"


def start_cluster(work: Path, nodes: int) -> tuple[str, list[subprocess.Popen[bytes]], Path]:
    """A Ray head on HEAD and, for 2 `nodes`, a node joined from NODE, their files in one
    temporary folder (a short path: Ray's sockets live there); returns once all are up."""
    from web.cluster import start_head

    port, ray_files = free_port(HEAD), Path(tempfile.mkdtemp(prefix="gsray-"))
    processes = [start_head(HEAD, port, ray_files / "h")]
    address = f"{HEAD}:{port}"
    if nodes == 2:
        join = [GOVSEARCH, "cluster", "join", "--address", address, "--node-ip", NODE]
        join += ["--temp-dir", str(ray_files / "n")]
        with (work / "join.log").open("wb") as log:
            processes.append(
                subprocess.Popen(join, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )
    try:
        wait_for_nodes(address, nodes)
    except BaseException:
        stop_cluster(processes, ray_files)
        raise
    return address, processes, ray_files


def wait_for_nodes(address: str, nodes: int) -> None:
    import ray

    from search.cluster.serving import connect
    from search.cluster.serving import wait_for_nodes as wait

    connect(address, HEAD)
    try:
        if wait(nodes, JOIN_SECONDS) < nodes:
            raise RuntimeError(f"{nodes} nodes did not join within {JOIN_SECONDS} s")
    finally:
        ray.shutdown()


def stop_cluster(processes: list[subprocess.Popen[bytes]], ray_files: Path) -> None:
    from web.cluster import stop_process_group

    for process in reversed(processes):  # the node, then the head
        stop_process_group(process.pid)
        process.wait()
    shutil.rmtree(ray_files, ignore_errors=True)
    for log in Path(tempfile.gettempdir()).glob(f"govsearch-ray-head-{os.getuid()}-*.log"):
        if str(ray_files) in log.read_text("utf-8", errors="replace"):
            log.unlink()


def run(args: argparse.Namespace) -> None:
    plain, on_cluster = build_copies(args.work, args.documents, args.seed, args.shards)
    print(
        f"{args.documents} documents drawn with seed {args.seed}, {args.shards} shards, "
        f"a cluster of {args.nodes} node{'s' if args.nodes > 1 else ''}"
    )
    print(f"{'':<28}{'sections':>9}{'seconds':>10}{'sections/s':>12}", flush=True)
    rates: dict[str, list[float]] = {"embed": []}
    sameness: dict[str, str] = {}
    address, processes, ray_files = start_cluster(args.work, args.nodes)
    try:
        for number in range(1, args.rounds + 1):
            remove_vectors(plain)
            embedded, seconds, _ = timed_embed(plain)
            report(f"embed, round {number}", embedded, seconds)
            rates["embed"].append(embedded / seconds)
            for threads in args.worker_threads:
                remove_vectors(on_cluster)
                name = f"--cluster, {threads} thread{'s' if threads > 1 else ''}"
                cluster = ("--cluster", "--address", address, "--node-ip", HEAD)
                cluster += ("--worker-threads", str(threads))
                embedded, seconds, output = timed_embed(on_cluster, *cluster)
                report(f"{name}, round {number}", embedded, seconds)
                rates.setdefault(name, []).append(embedded / seconds)
                print("  " + "\n  ".join(ON_NODES.findall(output)), flush=True)
                sameness[name] = same_vectors(plain, on_cluster)
    finally:
        stop_cluster(processes, ray_files)
    for name, each in rates.items():
        print(f"{name}: {statistics.median(each):.1f} sections/s (median of {len(each)})")
    for name, same in sameness.items():
        print(f"{name} against embed: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--nodes",
        type=int,
        choices=(1, 2),
        default=2,
        help="1: the head alone, the cluster's layouts on this machine's own cores",
    )
    parser.add_argument(
        "--worker-threads",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="each cluster layout to time: a worker of N engine threads for every N CPUs",
    )
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".index-embed-cluster")
    args = parser.parse_args()
    if os.environ.get(IN_NAMESPACE) != "1":
        build_copies(args.work, args.documents, args.seed, args.shards)
        # A token in ~/.ray turns token authentication on for `ray start --head` but not for
        # a driver given the head's address; the namespace of loopback alone is the fence.
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        in_namespace()
    run(args)


if __name__ == "__main__":
    main()
