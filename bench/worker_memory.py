"""What each worker of the real server holds in memory once warm, against another checkout's
server over the same index in the same run.

    python bench/worker_memory.py --index DIR [--workers 4] [--baseline-checkout OTHER]

Starts `govsearch serve` on 127.0.0.1 with --workers workers (each opens the index, reads its
columns, gathers the section vectors and loads the embedding model when it starts), asks a
few questions so every worker has answered one, and prints from /proc/PID/smaps_rollup each
worker's resident memory (RSS), its proportional share (PSS: a page shared by n processes
counts 1/n in each) and its private memory (what it alone holds), then the sum over workers.
With --baseline-checkout, the other checkout's server runs first over the same index, and
both are printed side by side. The index should have a vector for every section
(`govsearch embed`): the matrix of vectors is most of what a worker holds.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.same_results import checkout_env  # noqa: E402
from bench.server import start_server, status_of, worker_pids  # noqa: E402

QUESTIONS = ("房东把房子卖了租客还能住吗？", "拖欠工资怎么办？", "开餐馆需要办什么证？")
FIGURES = ("Rss", "Pss", "Private")


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS and private memory of `pid`, in MB."""
    kb: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        kb[name] = int(value.split()[0])
    private = kb["Private_Clean"] + kb["Private_Dirty"]
    return {"Rss": kb["Rss"] / 1024, "Pss": kb["Pss"] / 1024, "Private": private / 1024}


def measure(index_dir: Path, workers: int, checkout: Path) -> list[dict[str, float]]:
    server, base = start_server(index_dir, workers, env=checkout_env(checkout), cwd=checkout)
    try:
        for _round in range(workers * 3):  # the kernel picks the worker: ask more than once
            for question in QUESTIONS:
                query = urllib.parse.urlencode({"q": question})
                if status_of(f"{base}/search?{query}") != 200:
                    raise RuntimeError(f"the search for {question} failed")
        return [memory_mb(pid) for pid in worker_pids(server.pid)]
    finally:
        server.terminate()
        server.wait(timeout=60)


def print_table(label: str, rows: list[dict[str, float]]) -> None:
    for number, row in enumerate(rows):
        cells = "".join(f"{row[f]:>12.0f}" for f in FIGURES)
        print(f"{label:<12}{'worker ' + str(number):<10}{cells}")
    total = "".join(f"{sum(r[f] for r in rows):>12.0f}" for f in FIGURES)
    print(f"{label:<12}{'all':<10}{total}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--baseline-checkout", type=Path)
    args = parser.parse_args()
    setups = [("this", ROOT)]
    if args.baseline_checkout:
        setups.insert(0, ("baseline", args.baseline_checkout.resolve()))
    print(f"{'setup':<12}{'process':<10}" + "".join(f"{f + ' MB':>12}" for f in FIGURES))
    for label, checkout in setups:
        print_table(label, measure(args.index.resolve(), args.workers, checkout))


if __name__ == "__main__":
    main()
