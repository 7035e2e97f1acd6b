"""Throughput and latency of the real server under concurrent load, on 127.0.0.1 only.

    python bench/load.py [--index bench/.index] [--workers 2] [--connections 16]
                         [--seconds 20] [--per-kind 60]

Starts `govsearch serve` (gunicorn, --workers) on a free local port, then drives it with wrk
(Debian's `wrk`: apt-get install wrk) cycling through the keyword queries of bench/query.py's
mix as `/api/search` requests, and prints requests/s, latency percentiles, errors (non-2xx,
broken connections), timeouts (no answer within wrk's 2 s) and the largest worker's resident
memory at the end, and its own part (anonymous memory: not the pages of the index's files
and the model, mapped and shared by every worker through the page cache). The runs: the
keyword mix with the result cache off (every request computed), with two connections a
worker (saturated, little queueing) and with all the connections (requests queue), then
with the cache on (as served); then a hostile mix with
the cache off: whole paragraphs pasted (up to the 500-character limit), long OR chains and
exclusion lists, wildcard, fuzzy, range and field syntax, unbalanced quotes, control
characters, NUL, bidi overrides, combining marks, emoji and injection payloads, as `/search`
pages and `/api/search` requests, first with one connection a worker (each answer's own
cost under full load), then with all the connections (requests queue behind slow ones).
Each must answer 200 within wrk's 2 s: the timeouts column counts those that did not.

    python bench/load.py --soak-minutes 5

instead runs one server (result cache on, as served) for that long under every kind of query
at once (keywords, STARD questions, hostile ones) and prints, every 30 s, requests, errors,
timeouts and each worker's resident memory and its own part: errors must stay 0 and the
own part flat (the resident memory grows as searches touch more of the mapped index).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.query import sample_mix  # noqa: E402
from bench.server import start_server, worker_pids  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.compile import precise_words  # noqa: E402
from search.query.request import MAX_QUERY_CHARS  # noqa: E402

# wrk's Lua hook: each connection walks the list of paths from its own starting point.
WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local n = 0
init = function(args) n = math.random(#paths) end
request = function()
  n = n %% #paths + 1
  return wrk.format("GET", paths[n])
end
"""


ODD_QUERIES = (
    '"优化营商环境',
    "((((政府 工作",
    "政* 发展? ~工作 建设^3",
    "[a TO z] {1 TO 9} title:政府 标题：",
    "OR OR - -- AND NOT",
    "营商\x00环境",
    "\u202e政府\u202c工作报告",
    "政\u0301府\u0301",
    "🏛️ 政府 🇨🇳",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "<script>alert(1)</script> 政府",
    "' OR 1=1 -- 政府",
    "../../etc/passwd",
    "\t\r\n 营商环境 \x1b[31m",
)


def hostile_queries(index: SearchIndex, count: int, seed: int) -> list[str]:
    """Expensive and strange queries, all within the length limit."""
    rng = random.Random(seed)
    queries = list(ODD_QUERIES)
    with index.searcher() as searcher:
        total = searcher.doc_count_all()
        while len(queries) < count:
            body = searcher.stored_fields(rng.randrange(total)).get("body", "")
            words = [w for w in precise_words(body) if len(w) > 1]
            if len(body) < 200 or len(words) < 30:
                continue
            shape = len(queries) % 3
            if shape == 0:  # a whole paragraph pasted
                queries.append(body[:MAX_QUERY_CHARS])
            elif shape == 1:  # a long OR chain
                queries.append(" OR ".join(words[:60])[:MAX_QUERY_CHARS])
            else:  # a word and a long list of exclusions
                queries.append(
                    " ".join([words[0], *("-" + w for w in words[1:80])])[:MAX_QUERY_CHARS]
                )
    return queries


def start_load_server(
    index_dir: Path, workers: int, cache: int
) -> tuple[subprocess.Popen[bytes], str]:
    environment = {**os.environ, "GOVSEARCH_RESULT_CACHE": str(cache)}
    try:
        return start_server(index_dir, workers, env=environment)
    except RuntimeError as error:
        sys.exit(str(error))


def run_wrk(base: str, paths: list[str], connections: int, seconds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n", "utf-8")
        script = Path(folder) / "mix.lua"
        script.write_text(WRK_SCRIPT % {"paths": listing}, "utf-8")
        output = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return parse_wrk(output)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> dict[str, float]:
    figures: dict[str, float] = {}
    for percent, value, unit in re.findall(
        r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M
    ):
        figures[f"p{percent}"] = _ms(value, unit)
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    figures["requests"] = float(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    figures["errors"] = float(errors.group(1)) if errors else 0.0
    figures["timeouts"] = float(sockets.group(4)) if sockets else 0.0  # no answer within 2 s
    if sockets:
        figures["errors"] += sum(float(n) for n in sockets.groups()[:3])
    return figures


def worker_memory(server: subprocess.Popen[bytes]) -> list[tuple[float, float]]:
    """Each worker's resident memory and its own part of it (anonymous: not the index's
    and the model's mapped pages, which the page cache shares), in MB, in process order
    (Linux /proc)."""
    sizes = []
    for pid in worker_pids(server.pid):
        status = Path(f"/proc/{pid}/status").read_text()
        resident, own = (
            re.search(rf"^{name}:\s+(\d+) kB", status, re.M) for name in ("VmRSS", "RssAnon")
        )
        sizes.append(
            (
                int(resident.group(1)) / 1024 if resident else 0.0,
                int(own.group(1)) / 1024 if own else 0.0,
            )
        )
    return sizes


def soak(index_dir: Path, workers: int, connections: int, minutes: int, urls: list[str]) -> None:
    server, base = start_load_server(index_dir, workers, 256)
    print(f"soak: {minutes} min, {workers} workers, {connections} connections, {len(urls)} urls")
    print(f"{'minute':>7}{'requests':>10}{'errors':>8}{'timeouts':>10}  worker RSS / own MB")
    try:
        for step in range(minutes * 2):
            figures = run_wrk(base, urls, connections, 30)
            sizes = " ".join(f"{rss:.0f}/{own:.0f}" for rss, own in worker_memory(server))
            print(
                f"{(step + 1) / 2:>7.1f}{figures['requests']:>10.0f}{figures['errors']:>8.0f}"
                f"{figures['timeouts']:>10.0f}  {sizes}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "bench" / ".index")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--per-kind", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--soak-minutes", type=int, default=0)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    with SearchIndex(args.index, cache_size=0) as index:
        mix = sample_mix(index, args.per_kind, args.seed)
        hostile = hostile_queries(index, args.per_kind, args.seed)
    paths = [
        "/api/search?" + urllib.parse.urlencode({"q": text}) for text, _options in mix["keyword"]
    ]
    hostile_paths = [
        route + urllib.parse.urlencode({"q": text})
        for text in hostile
        for route in ("/search?", "/api/search?")
    ]
    if args.soak_minutes:
        questions = [
            "/search?" + urllib.parse.urlencode({"q": text}) for text, _options in mix["question"]
        ]
        urls = paths + questions + hostile_paths
        soak(args.index, args.workers, args.connections, args.soak_minutes, urls)
        return
    runs = {}
    for name, cache, urls, connections in (
        # Two connections a worker: each always has the next request waiting, so this is
        # full throughput, at the latency a user sees when nothing queues for long.
        ("keyword, 2 conns/worker", 0, paths, 2 * args.workers),
        ("keyword mix, no cache", 0, paths, args.connections),
        ("keyword mix, result cache", 256, paths, args.connections),
        # One connection a worker: every worker busy all the time, no request waiting behind
        # another, so the latencies are what each hostile query costs under full load.
        ("hostile, 1 conn/worker", 0, hostile_paths, args.workers),
        ("hostile, all connections", 0, hostile_paths, args.connections),
    ):
        server, base = start_load_server(args.index, args.workers, cache)
        try:
            runs[name] = run_wrk(base, urls, connections, args.seconds)
            memory = worker_memory(server)
            runs[name]["rss"] = max((rss for rss, _ in memory), default=0.0)
            runs[name]["own"] = max((own for _, own in memory), default=0.0)
            # after the requests wrk left queued behind it
            with urllib.request.urlopen(base + "/healthz", timeout=120) as response:
                sections = json.load(response)["sections"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"server: gunicorn, {args.workers} workers, {sections} sections; wrk: 2 threads, "
        f"{args.connections} connections, {args.seconds} s; {len(paths)} keyword queries, "
        f"{len(hostile)} hostile ones"
    )
    print(
        f"{'run':<28}{'req/s':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'timeouts':>10}{'worker RSS MB':>15}{'own MB':>8}"
    )
    for name, figures in runs.items():
        print(
            f"{name:<28}{figures['rps']:>8.1f}{figures['p50']:>9.1f}{figures['p90']:>9.1f}"
            f"{figures['p99']:>9.1f}{figures['errors']:>8.0f}{figures['timeouts']:>10.0f}"
            f"{figures['rss']:>15.0f}{figures['own']:>8.0f}"
        )


if __name__ == "__main__":
    main()
