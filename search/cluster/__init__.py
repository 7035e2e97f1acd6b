"""Serving a sharded index on a Ray cluster: each shard a Ray Serve deployment of replicas
(`replica`: one generation of the shard answering a search's steps; `serving`: the
deployments and `ClusterIndex`, the sharded index whose searches run on them); and an
index's sections embedded there (`embedding`: an actor for each CPU of a node computes what
`embed` stores). Here, without Ray: what those need of this machine alone.

Above `search.results` (whose ShardGroup the cluster's shards implement: the merge is the
same code) and below the CLI and the web. The only package that imports Ray, and only
when a cluster is asked for: `pip install govsearch[cluster]`.
"""

import os
import socket

CONNECT_SECONDS = 5  # for the head's port to answer


def same_authentication() -> None:
    """Ray's token authentication as the operator chose (RAY_AUTH_MODE), else off, alike for
    the head, the nodes and every process that connects: with a token in ~/.ray, `ray start
    --head` turns it on, while a process given the head's address does not send the token.
    The processes started afterwards inherit the setting."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")


def check_reachable(address: str, seconds: float = CONNECT_SECONDS) -> None:
    """ConnectionError at once when nothing answers at `address` (HOST:PORT): Ray would try
    for minutes."""
    host, _, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")  # [IPv6]:PORT
    try:
        socket.create_connection((host, int(port)), timeout=seconds).close()
    except (OSError, ValueError) as error:
        raise ConnectionError(f"nothing answers at {address} ({error})") from None


def split_cpus(cpus: int, worker_threads: int) -> list[int]:
    """The engine threads of each worker that embeds on a node of `cpus` CPUs: a worker of
    `worker_threads` for every `worker_threads` CPUs, and one of the CPUs left over."""
    full, left = divmod(cpus, worker_threads)
    return [worker_threads] * full + ([left] if left else [])
