"""The query log's cost: search and suggestion latency with the log on and off in the same
run, and how fast the log writes.

    python bench/querylog.py --index DIR [--rows 200000] [--per-kind 60] [--rounds 3]
                             [--suggest-per-kind 100]

First the log (a fresh file in a temporary folder, or --log) is filled with --rows past
searches of the queries below through `QueryLog.record`, timing the calls and the writer
that drains them; then PAST_QUERIES popular terms and titles of the index are recorded too
(bench/suggest.py's, so that the hot list holds as many queries as completions are offered),
and the reads behind hot and related searches are timed on that volume. Then the same
queries (keyword, pasted and filtered ones from bench/query.py's mix) go to `/api/search` of
two apps over the same index, one logging and one with the log off, taking turns query by
query (each first every other query), the result cache off so that every request searches;
the percentiles are over every round's times. Last, the texts of bench/suggest.py (first
characters, pinyin, initials) go to `/api/suggest` of the same two apps, taking turns the
same way: with the log on, the hot list's popular queries are offered among the completions.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from bench.query import Query, percentiles, sample_mix, timed  # noqa: E402
from bench.suggest import past_texts, record_popular, typed_texts  # noqa: E402
from search.complete import completer_of  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.querylog import CANDIDATES, QueryLog  # noqa: E402
from web import create_app  # noqa: E402
from web.querylog import PAST_QUERIES, query_log  # noqa: E402

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


def apps(index_dir: Path, log_path: Path) -> dict[str, Flask]:
    """Two apps over the same index, result cache off: one logging to `log_path` ("on"),
    one with the log off ("off")."""
    common = {"INDEX_DIR": str(index_dir), "RESULT_CACHE": "0", "SEMANTIC": "off"}
    return {
        "on": create_app({**common, "QUERY_LOG": str(log_path)}),
        "off": create_app({**common, "QUERY_LOG": "off"}),
    }


def taking_turns(
    clients: dict[str, FlaskClient], path: str, params: list[dict[str, Any]], rounds: int
) -> dict[str, list[float]]:
    """Milliseconds of each GET of `path` with each of `params`, on each client; the clients
    take turns request by request, each first every other request."""
    times: dict[str, list[float]] = {setup: [] for setup in clients}
    for round_number in range(rounds):
        for number, query in enumerate(params):
            order = ("on", "off") if (number + round_number) % 2 == 0 else ("off", "on")
            for setup in order:
                times[setup].append(timed(partial(clients[setup].get, path, query_string=query)))
    return times


def search_latency(
    logged: Flask, clients: dict[str, FlaskClient], queries: list[Query], rounds: int
) -> None:
    for client in clients.values():  # open the index, load the analyzer
        client.get("/api/search", query_string={"q": "营商环境"})
    times = taking_turns(clients, "/api/search", [url_params(q) for q in queries], rounds)
    log = query_log(logged)
    assert log is not None
    log.flush()
    print(f"/api/search in process, {len(times['on'])} searches each, result cache off:")
    print(f"{'log':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for setup in ("off", "on"):
        p50, p95, p99 = percentiles(times[setup])
        print(f"{setup:>5} {p50:8.1f} {p95:8.1f} {p99:8.1f}")
    print(f"logged {log.written} searches, dropped {log.dropped}")


def suggest_latency(
    logged: Flask, clients: dict[str, FlaskClient], typed: dict[str, list[str]], rounds: int
) -> None:
    log = query_log(logged)
    assert log is not None
    while not log.hot(PAST_QUERIES):  # a worker's first read of the hot list
        time.sleep(0.1)
    for client in clients.values():  # make each app's completion table
        client.get("/api/suggest", query_string={"q": "a"})
    past = len(log.hot(PAST_QUERIES))
    print(f"/api/suggest in process, with the log on {past} popular queries are offered too:")
    print(
        f"{'':>16} {'off p50':>8} {'p95':>6} {'on p50':>8} {'p95':>6} {'on/off p50':>11} {'p95':>6}"
    )
    for kind, texts in typed.items():
        times = taking_turns(clients, "/api/suggest", [{"q": t} for t in texts], rounds)
        off, on = percentiles(times["off"]), percentiles(times["on"])
        print(
            f"{kind:>16} {off[0]:8.2f} {off[1]:6.2f} {on[0]:8.2f} {on[1]:6.2f} "
            f"{on[0] / off[0]:10.2f}x {on[1] / off[1]:5.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--log", type=Path, default=None, help="default: a temporary file")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--suggest-per-kind", type=int, default=100)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    with SearchIndex(args.index) as index:
        mix = sample_mix(index, args.per_kind, args.seed)
        with index.searcher() as searcher:
            entries = completer_of(index, searcher).entries
    queries = [query for kind in KINDS for query in mix[kind]]
    texts = list(dict.fromkeys(text for text, _ in queries))
    typed = typed_texts([e.text for e in entries], args.suggest_per_kind, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        log_path = args.log or Path(folder) / "querylog.sqlite3"
        log = QueryLog(log_path, retention=180, queue_size=args.rows + 1)
        fill(log, texts, args.rows, args.seed)
        record_popular(log, past_texts(entries, PAST_QUERIES, args.seed), args.seed)
        reads(log, texts, args.rows)
        log.close()
        both = apps(args.index, log_path)
        clients = {setup: app.test_client() for setup, app in both.items()}
        search_latency(both["on"], clients, queries, args.rounds)
        suggest_latency(both["on"], clients, typed, args.rounds)


if __name__ == "__main__":
    main()
