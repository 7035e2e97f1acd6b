"""Kinds of the documents of a corpus: how many of each, and a sample of titles per kind.

    python bench/kinds.py [CORPUS] [--sample N] [--levels] [--cost INDEX [--queries N]]

CORPUS defaults to the shared corpus (`bench.shared.shared_corpus`). With `--levels`, also a
table of the kinds against the level the shared corpus's manifest gives each file (its
source's own classification), to see where the rules disagree.

With `--cost INDEX` (an index of CORPUS built by this checkout), what the kind tabs cost:
keyword queries (words of random titles, fixed seed) each run as a whole `run_search` without
a kind and with the kinds of a tab (法律法规), the result cache off, the two in turn; and, for
each query, the time of the kind facet's count alone over every section of the index (what
the tabs' counts cost at most: a search that finds everything).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.shared import shared_corpus  # noqa: E402
from search.engine.columns import Columns  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.ingest.kinds import KIND_TABS, KINDS  # noqa: E402
from search.ingest.read import find_documents, read_document  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402
from search.text.segmenter import fast_segmenter  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path)
    parser.add_argument("--sample", type=int, default=8, help="titles shown per kind")
    parser.add_argument("--levels", action="store_true", help="kinds against manifest levels")
    parser.add_argument("--cost", type=Path, metavar="INDEX", help="time the kind tabs")
    parser.add_argument("--queries", type=int, default=200, help="queries timed with --cost")
    args = parser.parse_args()
    root = args.corpus or shared_corpus()
    titles: dict[str, list[str]] = defaultdict(list)
    kind_of: dict[str, str] = {}
    for path in find_documents(root):
        document = read_document(path, root)
        titles[document.kind].append(document.title)
        kind_of[path.name] = document.kind
    total = sum(len(t) for t in titles.values())
    print(f"{total} documents in {root}")
    rng = random.Random(18)
    for kind in KINDS:
        found = titles.get(kind, [])
        print(f"\n{kind}\t{len(found)}\t{len(found) / max(total, 1):.1%}")
        for title in rng.sample(found, min(args.sample, len(found))):
            print(f"    {title}")
    if args.levels:
        print_levels(root.parent / "manifest.jsonl", kind_of)
    if args.cost:
        all_titles = [title for kind in KINDS for title in titles.get(kind, [])]
        print_cost(args.cost, keyword_queries(all_titles, args.queries, rng))


# The manifest's levels that are not kinds: a government work report is a 工作报告, a court
# case (司法案例) has no kind of its own.
LEVEL_KINDS = {"政府工作报告": "工作报告", "司法案例": "其他"}


def print_levels(manifest: Path, kind_of: dict[str, str]) -> None:
    pairs: Counter[tuple[str, str]] = Counter()
    for line in manifest.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["file"] in kind_of:
            pairs[row["level"], kind_of[row["file"]]] += 1
    print("\nlevel\tkind\tdocuments")
    for (level, kind), count in sorted(pairs.items(), key=lambda item: (item[0][0], -item[1])):
        print(f"{level}\t{kind}\t{count}")
    agree = sum(n for (level, kind), n in pairs.items() if LEVEL_KINDS.get(level, level) == kind)
    total = sum(pairs.values())
    print(f"kind agrees with the level: {agree} of {total} ({agree / max(total, 1):.1%})")


def keyword_queries(titles: list[str], count: int, rng: random.Random) -> list[str]:
    """One or two words of two characters or more from random titles."""
    segmenter = fast_segmenter()
    queries: list[str] = []
    while len(queries) < count:
        words = [w for w in segmenter.cut(rng.choice(titles)) if len(w) >= 2]
        if words:
            start = rng.randrange(len(words))
            queries.append(" ".join(words[start : start + rng.choice((1, 2))]))
    return queries


def _percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {p50:.1f} ms  p95 {p95:.1f} ms"


def print_cost(index_dir: Path, queries: list[str]) -> None:
    laws = list(KIND_TABS[0][1])
    plain: list[float] = []
    tabbed: list[float] = []
    counting: list[float] = []
    with SearchIndex(index_dir, cache_size=0) as index:
        run_search(index, SearchRequest.create("法"))  # the columns read once, not timed
        with index.searcher() as searcher:
            columns = Columns(searcher)
        every_section = np.flatnonzero(columns.live)
        for text in queries:
            for kinds, times in ((None, plain), (laws, tabbed)):
                started = time.perf_counter()
                run_search(index, SearchRequest.create(text, kinds=kinds))
                times.append((time.perf_counter() - started) * 1000)
            # the tabs' counts at their dearest: a search that finds every section
            started = time.perf_counter()
            columns.count("kind", columns.one_per_document(every_section))
            counting.append((time.perf_counter() - started) * 1000)
    print(f"\n{len(queries)} keyword queries on {index_dir}, run_search, result cache off")
    print(f"without kind     {_percentiles(plain)}")
    print(f"kind=法律法规    {_percentiles(tabbed)}")
    print(f"kind facet count over all {len(every_section)} sections  {_percentiles(counting)}")


if __name__ == "__main__":
    main()
