"""Latency of the date range, the oldest-first order and the search scopes, beside the plain
keyword query they narrow, in one run.

    python bench/filters.py [--index /work/shared-index] [--per-kind 40] [--rounds 3]

Keyword queries (1-2 words of a random section, a fixed seed) run as they are, within a
one-year range of 发布日期 around their section's date, oldest first, and in the 标题 scope;
document numbers from the index run in the 文号 scope whole, with [] brackets and as
year-number (2017-47). Each is a full `run_search` for the first page with the result cache
off; the kinds take turns query by query, so a busy moment of the shared machine falls on all.
Printed: median, p95 and p99 in milliseconds per kind, and the hits found.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.index.live import SearchIndex  # noqa: E402
from search.query.compile import precise_words  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402

Query = tuple[str, dict[str, object]]
_NUMBER = re.compile(r"〔(\d{4})〕(\d+)号$")


def sample(index: SearchIndex, per_kind: int, seed: int) -> list[dict[str, Query]]:
    """Rows of queries, one per kind each, the same for a given index and seed."""
    rng = random.Random(seed)
    rows: list[dict[str, Query]] = []
    with index.searcher() as searcher:
        count = searcher.doc_count_all()
        numbers = sorted(t.decode() for t in searcher.reader().lexicon("doc_number"))
        bracketed = [n for n in numbers if _NUMBER.search(n)]
        while len(rows) < per_kind:
            stored = searcher.stored_fields(rng.randrange(count))
            words = [w for w in precise_words(stored.get("body", "")) if len(w) > 1]
            date = stored.get("date", "")
            if len(words) < 2 or not date or not bracketed:
                continue
            text = " ".join(rng.sample(words, rng.randint(1, 2)))
            year = int(date[:4])
            number = rng.choice(bracketed)
            match = _NUMBER.search(number)
            assert match
            rows.append(
                {
                    "keyword": (text, {}),
                    "range": (text, {"date_from": f"{year}-01-01", "date_to": f"{year}-12-31"}),
                    "oldest": (text, {"sort": "date_asc"}),
                    "title": (text, {"scope": "title"}),
                    "number": (number, {"scope": "number"}),
                    "number []": (
                        number.replace("〔", "[").replace("〕", "]"),
                        {"scope": "number"},
                    ),
                    "year-number": (f"{match[1]}-{match[2]}", {"scope": "number"}),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("/work/shared-index"))
    parser.add_argument("--per-kind", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {}
    found: dict[str, int] = {}
    with SearchIndex(args.index, cache_size=0) as index:
        rows = sample(index, args.per_kind, args.seed)
        for query in rows[0].values():  # warm up: columns, first-use imports, the page cache
            run_search(index, SearchRequest.create(query[0], **query[1]))  # type: ignore[arg-type]
        for _ in range(args.rounds):
            for row in rows:
                for kind, (text, options) in row.items():
                    request = SearchRequest.create(text, **options)  # type: ignore[arg-type]
                    started = time.perf_counter()
                    results = run_search(index, request)
                    times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
                    found[kind] = found.get(kind, 0) + (results.total > 0)
    print(f"{'kind':<12} {'median':>7} {'p95':>7} {'p99':>7}  found   ({len(rows)} queries each)")
    for kind, values in times.items():
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        share = found[kind] / len(values)
        print(
            f"{kind:<12} {statistics.median(values):7.1f} {cuts[94]:7.1f} {cuts[98]:7.1f}"
            f"  {share:5.0%}"
        )


if __name__ == "__main__":
    main()
