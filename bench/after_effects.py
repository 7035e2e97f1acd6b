"""What a search pays for the work just before it: keyword searches timed right after each
kind of preceding work, the kinds taking turns in one run.

    python bench/after_effects.py [--index bench/.index] [--naive bench/.naive] [--rounds 3]

Before each of the mix's keyword searches (bench/query.py's sampler), each of these runs in
a shuffled order, and the same keyword search is timed right after it:
  nothing         the search after another keyword search of this list
  naive keyword   the naive setup's keyword search (bench/query.py's interleaving)
  naive question  the naive setup's OR over a STARD question
  embedding       the model embedding a question, nothing else
  question        a whole govsearch question (its embedding forgotten first)
Printed for each, p50 and p95 in ms: the wall time, the searching thread's CPU time, the CPU
time of the process's other threads meanwhile (threads left spinning by the work before),
and the Python garbage collector's pauses. A question is embedded only on an index that
`govsearch embed` has filled; without vectors the last two rows differ little.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.environment import describe  # noqa: E402
from bench.query import Query, naive_runner, sample_mix  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402
from search.vectors import model as embedding_model  # noqa: E402


class Pauses:
    """The garbage collector's pauses, in seconds, added up since the last `reset`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.seconds = 0.0


def before_each(
    index: SearchIndex, naive: Callable[[str, Query], float], mix: dict[str, list[Query]]
) -> dict[str, Callable[[int], object]]:
    """The work run before the n-th keyword search, by name."""
    keywords, questions = mix["keyword"], mix["question"]

    def question(number: int) -> object:
        embedding_model.QUESTION_VECTORS.clear()
        return run_search(index, SearchRequest.create(questions[number][0]))

    return {
        "nothing": lambda number: None,
        "naive keyword": lambda number: naive("keyword", keywords[-1 - number]),
        "naive question": lambda number: naive("question", questions[number]),
        "embedding": lambda number: embedding_model.model().query(questions[number][0]),
        "question": question,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "bench" / ".index")
    parser.add_argument("--naive", type=Path, default=ROOT / "bench" / ".naive")
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print("\n".join(describe(args.index)))
    index = SearchIndex(args.index, cache_size=0)
    mix = sample_mix(index, args.per_kind, args.seed)
    works = before_each(index, naive_runner(args.naive), mix)
    keywords = [SearchRequest.create(text) for text, _ in mix["keyword"]]
    for number in range(3):  # warm up: caches, first-use imports, the model
        for work in works.values():
            work(number)
        run_search(index, keywords[number])
    pauses, order, rng = Pauses(), list(works), random.Random(args.seed)
    figures: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in works}
    for _ in range(args.rounds):
        for number, request in enumerate(keywords):
            rng.shuffle(order)
            for name in order:
                works[name](number)
                pauses.reset()
                wall, thread, process = time.perf_counter(), time.thread_time(), time.process_time()
                run_search(index, request)
                thread = time.thread_time() - thread
                others = max(0.0, time.process_time() - process - thread)
                wall = time.perf_counter() - wall
                figures[name].append((wall, thread, others, pauses.seconds))
    print(f"{'before':<16}{'wall':>14}{'thread cpu':>14}{'other threads':>16}{'gc pauses':>14}")
    for name, rows in figures.items():
        cells = [_p50_p95([row[column] * 1000 for row in rows]) for column in range(4)]
        print(f"{name:<16}{cells[0]:>14}{cells[1]:>14}{cells[2]:>16}{cells[3]:>14}")
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def _p50_p95(values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=100, method="inclusive")[94]
    return f"{statistics.median(values):.1f} / {p95:.1f}"


if __name__ == "__main__":
    main()
