"""Vectors computed by several processes of this machine, each running the model on one
thread: `govsearch embed` keeps every core busy that way.

One process with a thread per core leaves cores waiting at each of the engine's steps (layer
norms, attention, the small products of a short text); processes of one thread each never
wait for one another (bench/embed.py, `threads=1,processes=N`). Each process loads the model
once; a batch is cut into pieces that cost alike, handed out as processes become free.

A text's vector does not depend on the texts computed with it, so the vectors are those one
process computes (to the last bits of rounding, tested). Work too small to be worth
starting processes for is computed in this process.
"""

from __future__ import annotations

import heapq
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

import numpy as np

from search.vectors.encoder import TEXTS_PER_RUN

# Below this many texts, starting the processes and loading the model in each costs more
# than the second core gives back: a reindex of a few files is embedded at once.
LEAST_FOR_PROCESSES = 512
# Texts a process is handed at once: small enough that the processes finish a batch
# together, large enough that sending them costs nothing next to embedding them.
PIECE_TEXTS = 256


class EmbeddingStopped(Exception):
    """A process computing vectors died (killed, or out of memory)."""


def _start_process() -> None:
    # Ctrl-C stops the command; the command then stops its processes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One engine thread: the processes themselves share the cores out.
    os.environ["OMP_NUM_THREADS"] = "1"
    from search.vectors.model import model

    model()  # loaded while the other processes load theirs


def _embed_piece(texts: list[str]) -> np.ndarray:
    from search.vectors.model import embed_texts

    return embed_texts(texts)


def even_pieces(lengths: list[int], pieces: int) -> list[list[int]]:
    """Positions of `lengths` dealt into at most `pieces` lists that cost alike: sorted by
    length and cut into runs of the engine's TEXTS_PER_RUN (as many as it pads to one
    length), each run, the costliest first, going to the piece that costs least so far."""
    by_length = sorted(range(len(lengths)), key=lengths.__getitem__)
    runs = [by_length[i : i + TEXTS_PER_RUN] for i in range(0, len(by_length), TEXTS_PER_RUN)]
    dealt: list[list[int]] = [[] for _ in range(pieces)]
    costs = [(0, number) for number in range(pieces)]
    for run in sorted(runs, key=lambda run: len(run) * lengths[run[-1]], reverse=True):
        cost, number = heapq.heappop(costs)
        dealt[number].extend(run)
        heapq.heappush(costs, (cost + len(run) * lengths[run[-1]], number))
    return [piece for piece in dealt if piece]


class ProcessEmbedder:
    """An `search.index.embedding.Embedder` that computes vectors on `processes` local
    processes of one engine thread each, started with the first batch worth them and kept
    until `close`."""

    def __init__(self, processes: int, in_process: Callable[..., np.ndarray]) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.processes = processes
        self.in_process = in_process  # for work too small to share out
        self._executor: ProcessPoolExecutor | None = None

    def __call__(self, texts: list[str], advance: Callable[[int], None]) -> np.ndarray:
        if self.processes == 1 or len(texts) < LEAST_FOR_PROCESSES:
            return self.in_process(texts, advance)
        count = max(self.processes, round(len(texts) / PIECE_TEXTS))
        count += -count % self.processes  # every process gets as many pieces
        pieces = even_pieces([len(text) for text in texts], count)
        vectors: np.ndarray | None = None
        try:
            results = self._start().map(_embed_piece, [[texts[i] for i in p] for p in pieces])
            for positions, piece_vectors in zip(pieces, results, strict=True):
                if vectors is None:
                    vectors = np.empty((len(texts), piece_vectors.shape[1]), np.float32)
                vectors[positions] = piece_vectors
                advance(len(positions))
        except BrokenProcessPool:
            self.close()
            raise EmbeddingStopped(
                "a process computing vectors died (killed, or out of memory)"
            ) from None
        assert vectors is not None
        return vectors

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # Spawned, not forked: this process already runs the model's threads.
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=get_context("spawn"), initializer=_start_process
            )
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None

    def __enter__(self) -> ProcessEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
