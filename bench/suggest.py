"""Completion latency in process, and what the completion table costs to make and to keep.

    python bench/suggest.py --index DIR [--per-kind 300] [--seed 18]

Printed:
  entries   reading the titles, headings and terms of the index with their pinyin: what a
            reindex adds to each build (`completions.json`), timed here on the live index
  load      making the prefix table from those entries, and the Python memory it holds;
            then what the first completion of each index generation waits for in a server
            worker (reading the build's entries and making the table; a worker that warms up
            does it before its first request)
  latency   p50 / p95 / max of `complete(index, text)` (the searcher check included), per
            kind of text typed, drawn with a fixed seed from the table's own entries:
            1, 2, 3 and 4 first characters; full pinyin of 2-4 characters, with and without
            spaces between syllables; initials of 2-4 characters
  pinyin    `run_search` of a few terms typed in initials against the same terms in Chinese
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypinyin import lazy_pinyin  # noqa: E402

from search.complete import Completer, complete, completer_of  # noqa: E402
from search.index.completions import load_completions, read_entries  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import SearchResults, run_search  # noqa: E402
from search.text.pinyin import has_chinese, spellings  # noqa: E402

PINYIN_TERMS = ("营商环境", "政府信息公开", "行政许可", "安全生产", "生态环境")


def _chinese_prefix(texts: list[str], rng: random.Random, length: int) -> str:
    while True:
        text = rng.choice(texts)
        if len(text) >= length and has_chinese(text[:length]):
            return text[:length]


def typed_texts(entries: list[str], per_kind: int, seed: int) -> dict[str, list[str]]:
    """What people type, by kind, from the table's own texts."""
    rng = random.Random(seed)
    kinds: dict[str, list[str]] = {}
    for length in (1, 2, 3, 4):
        kinds[f"{length} character(s)"] = [
            _chinese_prefix(entries, rng, length) for _ in range(per_kind)
        ]
    starts = [_chinese_prefix(entries, rng, rng.randint(2, 4)) for _ in range(per_kind * 3)]
    kinds["pinyin"] = [spellings(text)[0] for text in starts[:per_kind]]
    kinds["pinyin, spaced"] = [
        " ".join(lazy_pinyin(text)) for text in starts[per_kind : 2 * per_kind]
    ]
    kinds["initials"] = [spellings(text)[1] for text in starts[2 * per_kind :]]
    return kinds


def _percentiles(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"p50 {statistics.median(ms):6.2f} ms   p95 {p95:6.2f} ms   max {ms[-1]:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index directory")
    parser.add_argument("--per-kind", type=int, default=300, help="texts of each kind [300]")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()

    with SearchIndex(args.index, semantic=False) as index:
        with index.searcher() as searcher:
            print(f"sections: {searcher.doc_count()}")
            started = time.perf_counter()
            entries = read_entries(searcher)
            print(f"entries: {len(entries)} read in {time.perf_counter() - started:.1f} s")
            kept = load_completions(index.build)
            print(f"kept in the build: {'yes' if kept is not None else 'no (an older build)'}")
            tracemalloc.start()
            started = time.perf_counter()
            table = Completer(entries)
            seconds = time.perf_counter() - started
            held, _ = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"load: {len(table)} completions in {seconds * 1000:.0f} ms, {held / 1e6:.1f} MB")
            started = time.perf_counter()
            completer_of(index, searcher)  # what a server does: the build's file, then the table
            seconds = time.perf_counter() - started
            print(f"first completion of a generation waits {seconds * 1000:.0f} ms")

        texts = [completion.text for completion in table.entries]
        for kind, typed in typed_texts(texts, args.per_kind, args.seed).items():
            times = []
            for text in typed:
                started = time.perf_counter()
                complete(index, text)
                times.append(time.perf_counter() - started)
            print(f"{kind:>16}: {_percentiles(times)}   ({len(typed)} texts)")

        for term in PINYIN_TERMS:
            initials = spellings(term)[1]
            timed = [_search_time(index, text) for text in (initials, term)]
            searched = timed[0][1].pinyin.searched if timed[0][1].pinyin else "-"
            print(
                f"pinyin search: {initials} {timed[0][0]:.0f} ms (searched: {searched}), "
                f"{term} {timed[1][0]:.0f} ms"
            )


def _search_time(index: SearchIndex, text: str) -> tuple[float, SearchResults]:
    """One search's milliseconds, its results cache cleared (the table already made)."""
    run_search(index, SearchRequest.create(text))
    index.results.clear()
    started = time.perf_counter()
    results = run_search(index, SearchRequest.create(text))
    seconds = time.perf_counter() - started
    index.results.clear()
    return seconds * 1000, results


if __name__ == "__main__":
    main()
