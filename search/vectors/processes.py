"""Vectors computed by several processes of this machine, each running the model on one
thread: `govsearch embed --procs N` keeps the cores busy that way.

Processes of one engine thread each, rather than one process with a thread a core: the
engine's threads meet at every step of the model, separate processes never do (figures in
the CHANGELOG). Each process loads the model once and is handed pieces of a batch that cost
alike, as it becomes free. Processes are spawned, so a script that uses this needs the usual
`if __name__ == "__main__":` guard.

A text's vector does not depend on the texts computed with it, so the vectors are those one
process computes, but for rounding (tested). Work too small to be worth starting processes
for is computed in this process.
"""

from __future__ import annotations

import heapq
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.process import BaseProcess

import numpy as np

# Below this many texts, starting the processes and loading the model in each costs more
# than the other cores give back: a reindex of a few files is embedded at once.
LEAST_FOR_PROCESSES = 512
# Texts a process is handed at once: small enough that the processes finish a batch close
# together, large enough that sending them costs nothing next to embedding them.
PIECE_TEXTS = 256

InProcess = Callable[[list[str], Callable[[int], None]], np.ndarray]


class EmbeddingStopped(Exception):
    """A process computing vectors stopped (killed, out of memory, or the model failed to
    load in it)."""


def _exit_with(parent: BaseProcess) -> None:
    parent.join()
    os._exit(1)


def _start_process() -> None:
    # Ctrl-C reaches the whole process group: the command alone stops, and stops these.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A command killed outright (SIGKILL, the kernel out of memory) cannot stop them.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    # Read when the model is loaded, just below: one engine thread in each process.
    os.environ["OMP_NUM_THREADS"] = "1"
    from search.vectors.model import model

    model()  # loaded while the other processes load theirs


def _embed_piece(texts: list[str]) -> np.ndarray:
    from search.vectors.model import embed_texts

    return embed_texts(texts)


def even_pieces(lengths: list[int], pieces: int, run_texts: int) -> list[list[int]]:
    """Positions of `lengths` dealt into at most `pieces` lists that cost alike: sorted by
    length and cut into runs of `run_texts` (as many as the engine pads to one length), each
    run, the costliest first, going to the piece that costs least so far."""
    by_length = sorted(range(len(lengths)), key=lengths.__getitem__)
    runs = [by_length[i : i + run_texts] for i in range(0, len(by_length), run_texts)]
    dealt: list[list[int]] = [[] for _ in range(pieces)]
    costs = [(0, number) for number in range(pieces)]
    for run in sorted(runs, key=lambda run: len(run) * lengths[run[-1]], reverse=True):
        cost, number = heapq.heappop(costs)
        dealt[number].extend(run)
        heapq.heappush(costs, (cost + len(run) * lengths[run[-1]], number))
    return [piece for piece in dealt if piece]


def _how_it_stopped(exit_codes: list[int | None]) -> str:
    """What the exit codes of a pool's processes say, the pool's own SIGTERMs left out."""
    for code in exit_codes:
        if code is None or code == -signal.SIGTERM:
            continue
        if code == -signal.SIGKILL:
            return "killed (SIGKILL, as when memory runs out)"
        if code < 0:
            return f"killed ({signal.Signals(-code).name})"
        return f"exit code {code}; its messages are above"
    return "it stopped abruptly"


class ProcessEmbedder:
    """An `search.index.embedding.Embedder` that computes vectors on `processes` local
    processes of one engine thread each (`in_process` for one process, or a batch too small
    to share out), started with the first batch worth them and kept until `close`."""

    def __init__(self, processes: int, in_process: InProcess) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.processes = processes
        self.in_process = in_process
        self._executor: ProcessPoolExecutor | None = None

    def __call__(self, texts: list[str], advance: Callable[[int], None]) -> np.ndarray:
        if self.processes == 1 or len(texts) < LEAST_FOR_PROCESSES:
            return self.in_process(texts, advance)
        from search.vectors.encoder import TEXTS_PER_RUN

        count = max(self.processes, round(len(texts) / PIECE_TEXTS))
        pieces = even_pieces([len(text) for text in texts], count, TEXTS_PER_RUN)
        parts = []
        try:
            results = self._start().map(_embed_piece, [[texts[i] for i in p] for p in pieces])
            for positions, part in zip(pieces, results, strict=True):
                parts.append(part)
                advance(len(positions))
        except BrokenProcessPool:
            workers = self._processes()
            for worker in workers:
                worker.join(5)
            how = _how_it_stopped([worker.exitcode for worker in workers])
            self.close()
            raise EmbeddingStopped(f"a process computing vectors stopped: {how}") from None
        vectors = np.empty((len(texts), parts[0].shape[1]), np.float32)
        vectors[np.concatenate(pieces)] = np.concatenate(parts)
        return vectors

    def _processes(self) -> list[BaseProcess]:
        """The pool's processes (the pool keeps them, dead ones too, until it shuts down)."""
        assert self._executor is not None
        return list(self._executor._processes.values())  # type: ignore[attr-defined]

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # Spawned, not forked: this process may already run the model's threads.
            self._executor = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_process,
            )
        return self._executor

    def close(self, stop_now: bool = False) -> None:
        """Shut the processes down: once their pieces are done, or `stop_now`."""
        if self._executor is None:
            return
        if stop_now:  # their pieces are of no use now: do not wait for them
            for worker in self._processes():
                worker.terminate()
        self._executor.shutdown(cancel_futures=True)
        self._executor = None

    def __enter__(self) -> ProcessEmbedder:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.close(stop_now=kind is not None)
