"""`govsearch embed --cluster`: the vectors of an index's sections computed on the nodes of a
Ray cluster, written by the command's own process into the store `govsearch embed` writes.

`ClusterEmbedder` is an `search.index.embedding.Embedder`: `embed_index` decides what to
embed (distinct texts without a vector, a reindex's additions included) and stores the
vectors shard by shard, so that a run stopped half-way goes on where it stopped, as a plain
`govsearch embed` does. Each node runs a `NodeEmbedder` actor for each CPU it gives Ray, each
running the model on one engine thread, as `govsearch embed` shares a run out among
processes on one machine (`--worker-threads N`: a worker of N threads for every N CPUs,
fewer copies of the model in memory); each loads the model once and is sent batches of texts
as it finishes the ones it has. A text's vector does not depend on the batch it is computed
in, so the vectors are those one machine computes.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from search.cluster import check_reachable, split_cpus
from search.cluster.serving import connect
from search.index.embedding import BATCH
from search.vectors.model import embed_texts, model_folder_name, model_identity

# Batches each worker holds at once: it starts the next while the last one's vectors travel.
IN_FLIGHT = 2
# A batch held by workers of this many nodes that died is taken to be what kills them (the
# workers of one node die together when it goes).
LOSSES_PER_BATCH = 2
READY_SECONDS = 120  # for every worker to start and load the model


class ClusterUnavailable(Exception):
    """The cluster cannot embed: no node to embed on, or a node that does not answer or
    embeds with another model."""


class NodeEmbedder:
    """The embedding model in one worker on a node, loaded once, run on `threads` engine
    threads (an actor: Ray runs it)."""

    def __init__(self, threads: int) -> None:
        # Read when the model loads. Ray sets it to the actor's CPUs only where the node's
        # environment does not already set it.
        os.environ["OMP_NUM_THREADS"] = str(threads)
        self.node = ray.util.get_node_ip_address()

    def identity(self) -> tuple[str, dict[str, Any]]:
        """(this node's address, what makes its vectors comparable): loads the model."""
        return self.node, model_identity()

    def embed(self, texts: list[str]) -> tuple[str, np.ndarray]:
        """(this node's address, the vectors of `texts`)."""
        return self.node, embed_texts(texts)


class ClusterEmbedder:
    """Embeds texts on the nodes of the Ray cluster at `address`, with workers of
    `worker_threads` engine threads; `by_node` counts the sections each node embedded. Its
    actors start with the first texts to embed, so a run with nothing to do costs the
    cluster nothing. A worker lost during a run (or its node) leaves its batches to the
    others; `lost` says, by node, why the first of its workers was lost."""

    # What stops a run on the cluster (every worker lost, or the cluster itself); what it
    # stored stays.
    failures: tuple[type[Exception], ...] = (ClusterUnavailable, RayError)

    def __init__(self, address: str, node_ip: str | None, worker_threads: int = 1) -> None:
        """Connect to the cluster at `address` (HOST:PORT, or auto: the cluster this machine
        is a node of); ConnectionError when there is none."""
        if address != "auto":
            check_reachable(address)
        connect(address, node_ip)
        self.worker_threads = worker_threads
        self.workers: list[Any] = []
        self.node_of: dict[Any, str] = {}  # each worker's node address
        self.by_node: Counter[str] = Counter()
        self.lost: dict[str, str] = {}  # the nodes a worker of which died, and why

    def __call__(self, texts: list[str], advance: Callable[[int], None]) -> np.ndarray:
        workers = self._started()
        # Batches small enough for every worker to have some, BATCH at most.
        size = max(1, min(BATCH, math.ceil(len(texts) / (len(workers) * IN_FLIGHT))))
        batches = [texts[start : start + size] for start in range(0, len(texts), size)]
        vectors: list[np.ndarray] = [np.empty(0)] * len(batches)
        failures: defaultdict[int, set[str]] = defaultdict(set)  # by batch: nodes lost with it
        waiting = list(range(len(batches)))[::-1]  # popped from the end: the first batch first
        sent: dict[Any, tuple[int, Any]] = {}  # a batch's result: (its number, its worker)

        def send(worker: Any) -> None:
            if waiting:
                number = waiting.pop()
                sent[worker.embed.remote(batches[number])] = (number, worker)

        for _ in range(IN_FLIGHT):  # in turn, so that a few batches still reach every worker
            for worker in workers:
                send(worker)
        while sent:
            (done,), _ = ray.wait(list(sent), num_returns=1)
            number, worker = sent.pop(done)
            try:
                node, vectors[number] = ray.get(done)
            except RayActorError as error:
                node = self.node_of.get(worker, "a node")
                failures[number].add(node)
                if len(failures[number]) >= LOSSES_PER_BATCH:
                    raise ClusterUnavailable(
                        f"workers on {len(failures[number])} nodes stopped while embedding the "
                        f"same batch, which begins {batches[number][0][:40]!r}: the last said "
                        f"{error}"
                    ) from None
                self._lost(worker, number, sent, waiting, error)
                # Their share of what the lost worker held, other nodes' workers first: the
                # others of its node may have gone with it.
                for alive in sorted(self.workers, key=lambda w: self.node_of.get(w) == node):
                    while waiting and sum(held is alive for _, held in sent.values()) < IN_FLIGHT:
                        send(alive)
                continue
            self.by_node[node] += len(vectors[number])
            advance(len(vectors[number]))
            send(worker)
        return np.concatenate(vectors)

    def _lost(  # noqa: PLR0913 - the run's state
        self,
        worker: Any,
        number: int,
        sent: dict[Any, tuple[int, Any]],
        waiting: list[int],
        error: Exception,
    ) -> None:
        """A worker died (its node lost, or its process killed): the batches it held go
        back to be sent to the other workers; with no worker left, the run stops."""
        if worker in self.workers:
            self.workers.remove(worker)
            self.lost.setdefault(self.node_of.get(worker, "a node"), _first_line(error))
            ray.kill(worker)  # an actor only unreachable for now would keep its node's CPUs
        held = [ref for ref, (_, holder) in sent.items() if holder is worker]
        returned = [number] + [sent.pop(ref)[0] for ref in held]
        waiting.extend(sorted(returned, reverse=True))
        if not self.workers:
            raise ClusterUnavailable("every worker embedding on the cluster was lost")

    def _started(self) -> list[Any]:
        """Actors on each live node with CPUs, one for every `worker_threads` of its CPUs,
        their model loaded and the same as this process's (the vectors go into this model's
        folder)."""
        if self.workers:
            return self.workers
        nodes = [n for n in ray.nodes() if n.get("Alive") and n["Resources"].get("CPU", 0) >= 1]
        if not nodes:
            raise ClusterUnavailable("the Ray cluster has no node with a CPU to embed on")
        actor: Any = ray.remote(NodeEmbedder)
        self.workers = [
            actor.options(
                num_cpus=threads,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False),
            ).remote(threads)
            for node in nodes
            for threads in split_cpus(int(node["Resources"]["CPU"]), self.worker_threads)
        ]
        try:
            found = ray.get([w.identity.remote() for w in self.workers], timeout=READY_SECONDS)
        except GetTimeoutError:
            raise ClusterUnavailable(
                f"the cluster's {len(nodes)} nodes did not all start embedding within "
                f"{READY_SECONDS} s: are their CPUs taken by other work?"
            ) from None
        mine = model_folder_name(model_identity())
        self.node_of = {worker: node for worker, (node, _) in zip(self.workers, found, strict=True)}
        for node, identity in found:
            if model_folder_name(identity) != mine:
                raise ClusterUnavailable(
                    f"node {node} embeds with {model_folder_name(identity)}, this machine with "
                    f"{mine}: install the same govsearch on every node"
                )
        return self.workers

    def close(self) -> None:
        """Stop the actors and leave the cluster."""
        for worker in self.workers:
            ray.kill(worker)
        self.workers = []
        ray.shutdown()


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
