"""The query log's cost: search latency with the log on and off in the same run, and how
fast the log writes.

    python bench/querylog.py --index DIR [--rows 200000] [--per-kind 60] [--rounds 3]

First the log (a fresh file in a temporary folder, or --log) is filled with --rows past
searches through `QueryLog.record`, timing the calls and the writer that drains them, and
the reads behind hot and related searches are timed on that volume. Then the same queries
(keyword, pasted and filtered ones from bench/query.py's mix) go to `/api/search` of two
apps over the same index, one logging and one with the log off, taking turns query by query
(each first every other query), the result cache off so that every request searches; the
percentiles are over every round's times.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.query import Query, percentiles, sample_mix, timed  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.querylog import CANDIDATES, QueryLog  # noqa: E402
from web import create_app  # noqa: E402
from web.querylog import query_log  # noqa: E402

KINDS = ("keyword", "pasted", "filtered")


def fill(log: QueryLog, texts: list[str], rows: int, seed: int) -> None:
    """Record `rows` searches of `texts` (a few popular, most rare) over the last 90 days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    for _ in range(rows):
        text = texts[min(int(rng.paretovariate(1.2)) - 1, len(texts) - 1)]
        asked = now - timedelta(seconds=rng.randrange(90 * 86400))
        log.record(text, {}, rng.choice((0, 3, 12)), 20.0, asked_at=asked)
    queued = time.perf_counter() - started
    log.flush(timeout=600)
    drained = time.perf_counter() - started
    print(
        f"write: {rows} searches recorded in {queued:.2f} s "
        f"({queued / rows * 1e6:.1f} µs a call), written by {drained:.2f} s: "
        f"{log.written / drained:,.0f} rows/s; {log.dropped} dropped"
    )


def reads(log: QueryLog, texts: list[str], rows: int) -> None:
    refresh = [timed(lambda: log.popular(30, CANDIDATES)) for _ in range(5)]
    log.hot()
    related = sorted(timed(lambda t=text: log.related(t)) for text in texts[:200])
    print(
        f"read over {rows} rows: popular({CANDIDATES} queries, 30 days) "
        f"{min(refresh):.0f} ms (once a minute per worker); related p50 "
        f"{related[len(related) // 2] * 1000:.0f} µs, max {related[-1] * 1000:.0f} µs"
    )


def url_params(query: Query) -> dict[str, Any]:
    text, options = query
    params: dict[str, Any] = {"q": text}
    if options.get("agencies"):
        params["agency"] = options["agencies"]
    if options.get("year"):
        params["year"] = str(options["year"])
    return params


def latency(index_dir: Path, log_path: Path, queries: list[Query], rounds: int) -> None:
    common = {"INDEX_DIR": str(index_dir), "RESULT_CACHE": "0", "SEMANTIC": "off"}
    logged = create_app({**common, "QUERY_LOG": str(log_path)})
    unlogged = create_app({**common, "QUERY_LOG": "off"})
    clients = {"on": logged.test_client(), "off": unlogged.test_client()}
    for client in clients.values():  # open the index, load the analyzer
        client.get("/api/search", query_string={"q": "营商环境"})
    times: dict[str, list[float]] = {"on": [], "off": []}
    for round_number in range(rounds):
        for number, query in enumerate(queries):
            order = ("on", "off") if (number + round_number) % 2 == 0 else ("off", "on")
            for setup in order:
                params = url_params(query)
                times[setup].append(
                    timed(lambda c=clients[setup], p=params: c.get("/api/search", query_string=p))
                )
    log = query_log(logged)
    assert log is not None
    log.flush()
    print(f"/api/search in process, {len(times['on'])} searches each, result cache off:")
    print(f"{'log':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for setup in ("off", "on"):
        p50, p95, p99 = percentiles(times[setup])
        print(f"{setup:>5} {p50:8.1f} {p95:8.1f} {p99:8.1f}")
    print(f"logged {log.written} searches, dropped {log.dropped}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--log", type=Path, default=None, help="default: a temporary file")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    with SearchIndex(args.index) as index:
        mix = sample_mix(index, args.per_kind, args.seed)
    queries = [query for kind in KINDS for query in mix[kind]]
    texts = list(dict.fromkeys(text for text, _ in queries))
    with tempfile.TemporaryDirectory() as folder:
        log_path = args.log or Path(folder) / "querylog.sqlite3"
        log = QueryLog(log_path, retention=180, queue_size=args.rows + 1)
        fill(log, texts, args.rows, args.seed)
        reads(log, texts, args.rows)
        log.close()
        latency(args.index, log_path, queries, args.rounds)


if __name__ == "__main__":
    main()
