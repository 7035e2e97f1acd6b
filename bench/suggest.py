"""Completion latency in process, and what the completion table costs to make and to keep.

    python bench/suggest.py --index DIR [--per-kind 300] [--past 200] [--seed 18]

Printed:
  entries   reading the titles, headings and terms of the index with their pinyin: what a
            reindex adds to each build (`completions.json`), timed here on the live index
  load      making the prefix table from those entries, and the Python memory it holds;
            then what the first completion of each index generation waits for in a server
            worker (reading the build's entries and making the table; a worker that warms up
            does it before its first request)
  past      the popular past queries a server passes along (`web.querylog.past_queries`):
            --past queries (terms and titles of the table, a few asked often and most
            rarely) recorded in a query log in a temporary folder, read back as the hot list
  latency   p50 / p95 / max of `complete(index, text)` (the searcher check included), per
            kind of text typed, drawn with a fixed seed from the table's own entries:
            1, 2, 3 and 4 first characters; full pinyin of 2-4 characters, with and without
            spaces between syllables; initials of 2-4 characters. Each text is completed
            without past queries and with them, taking turns (each first every other text),
            and the ratio of the two is printed
  pinyin    `run_search` of a few terms typed in initials against the same terms in Chinese
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypinyin import lazy_pinyin  # noqa: E402

from search.complete import Completer, Completion, complete, completer_of  # noqa: E402
from search.index.completions import load_completions, read_entries  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.querylog import HOT_DAYS, QueryLog  # noqa: E402
from search.results import SearchResults, run_search  # noqa: E402
from search.text.pinyin import has_chinese, spellings  # noqa: E402

PINYIN_TERMS = ("营商环境", "政府信息公开", "行政许可", "安全生产", "生态环境")
# What people ask for again and again is mostly a word or two, now and then a document's title.
TERM_SHARE = 0.7
TITLE_CHARS = 30
# Times the most popular query was asked in the hot list's days; the n-th is asked 1/n as often.
TOP_COUNT = 2000


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


def past_texts(entries: list[Completion], n: int, seed: int) -> list[str]:
    """`n` distinct texts people search for again and again, drawn with `seed` from the
    table's terms (TERM_SHARE of them) and short titles, the most popular first."""
    rng = random.Random(seed)
    terms = [e.text for e in entries if e.kind == "term"]
    titles = [e.text for e in entries if e.kind == "title" and len(e.text) <= TITLE_CHARS]
    chosen: dict[str, None] = {}
    while len(chosen) < min(n, len(terms) + len(titles)):
        pool = terms if (rng.random() < TERM_SHARE and terms) or not titles else titles
        chosen.setdefault(rng.choice(pool), None)
    return list(chosen)


def asked_counts(n: int, top: int = TOP_COUNT) -> list[int]:
    """How often each of `n` popular queries was asked: the n-th 1/n as often as the first
    (Zipf's law), each at least twice."""
    return [max(2, round(top / rank)) for rank in range(1, n + 1)]


def record_popular(log: QueryLog, texts: list[str], seed: int) -> None:
    """Record `texts` in `log` as searches that found something, in the last HOT_DAYS days,
    each as often as `asked_counts` says."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for text, count in zip(texts, asked_counts(len(texts)), strict=True):
        for _ in range(count):
            asked = now - timedelta(seconds=rng.randrange(HOT_DAYS * 86400 - 3600))
            log.record(text, {}, 12, 20.0, asked_at=asked)
    log.flush(timeout=600)


def popular_queries(entries: list[Completion], n: int, seed: int) -> list[tuple[str, int]]:
    """The hot list a server would pass to completions after people asked for `n` popular
    texts of the table: recorded in a query log of a temporary folder, then read back."""
    texts = past_texts(entries, n, seed)
    with tempfile.TemporaryDirectory() as folder:
        log = QueryLog(Path(folder) / "querylog.sqlite3", queue_size=TOP_COUNT * n + 1)
        try:
            record_popular(log, texts, seed)
            return log.popular(HOT_DAYS, n)
        finally:
            log.close()


def percentile_ms(times: list[float], fraction: float) -> float:
    """The value below which `fraction` of `times` (seconds) lie, in milliseconds."""
    ms = sorted(t * 1000 for t in times)
    return ms[min(len(ms) - 1, int(len(ms) * fraction))]


def _percentiles(times: list[float]) -> str:
    return (
        f"p50 {percentile_ms(times, 0.5):6.2f}  p95 {percentile_ms(times, 0.95):6.2f}  "
        f"max {max(times) * 1000:6.2f}"
    )


def _time_complete(index: SearchIndex, text: str, past: list[tuple[str, int]]) -> float:
    started = time.perf_counter()
    complete(index, text, past=past)
    return time.perf_counter() - started


def latency(index: SearchIndex, typed: dict[str, list[str]], past: list[tuple[str, int]]) -> None:
    """Completion times of each kind of typed text without and with `past`, taking turns."""
    complete(index, "a", past=past)  # spells the past queries once, as a server's first keystroke
    print(f"{'':>16}  {'no past queries (ms)':<34}  {len(past)} past queries (ms)")
    for kind, texts in typed.items():
        times: dict[bool, list[float]] = {False: [], True: []}
        for number, text in enumerate(texts):
            for with_past in (False, True) if number % 2 == 0 else (True, False):
                times[with_past].append(_time_complete(index, text, past if with_past else []))
        ratios = "  ".join(
            f"x{percentile_ms(times[True], f) / percentile_ms(times[False], f):.2f}"
            for f in (0.5, 0.95)
        )
        print(
            f"{kind:>16}  {_percentiles(times[False])}  {_percentiles(times[True])}  "
            f"p50/p95 {ratios}   ({len(texts)} texts)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index directory")
    parser.add_argument("--per-kind", type=int, default=300, help="texts of each kind [300]")
    parser.add_argument("--past", type=int, default=200, help="popular past queries [200]")
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

        past = popular_queries(table.entries, args.past, args.seed)
        print(f"past: {len(past)} popular queries, asked {past[0][1]} to {past[-1][1]} times")
        texts = [completion.text for completion in table.entries]
        latency(index, typed_texts(texts, args.per_kind, args.seed), past)

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
