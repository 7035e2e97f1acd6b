"""How build time, index size and query latency grow with the collection.

    python bench/scale.py [--sizes 10000,100000,1000000,1500000] [--per-kind 30]

For each size, a corpus of about that many sections: the first files of the shared corpus
for sizes below it, and beyond it whole copies whose agencies and years are shifted (copy 2
of 阳城县人民政府 is 阳城县人民政府（2）, its dates a year earlier), so that facets grow with
the collection as they would across a province. Each corpus is built with `full_build`
(2 processes) in a child process, then queried in process with bench/query.py's keyword and
question mixes (cache off). Prints one row per size.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.index import GOVSEARCH_BUILD, directory_mb, run_child  # noqa: E402
from bench.query import govsearch_runner, percentiles, sample_mix  # noqa: E402
from bench.shared import shared_corpus  # noqa: E402
from search.ingest import read_report  # noqa: E402
from search.live import SearchIndex  # noqa: E402

_AGENCY = re.compile(r"^(发布机构[:：]\s*\|\s*)([^|]*?)(\s*\|)", re.M)
HEADER_LINES = 4
_YEAR = re.compile(r"(\d{4})(年\d{1,2}月\d{1,2}日)")


def shifted(text: str, copy: int) -> str:
    """The document as copy number `copy` (1 is the original): agency renamed, dates in the
    header moved `copy - 1` years back."""
    if copy == 1:
        return text
    lines = text.splitlines(keepends=True)
    head, rest = "".join(lines[:HEADER_LINES]), "".join(lines[HEADER_LINES:])
    head = _AGENCY.sub(lambda m: f"{m.group(1)}{m.group(2)}（{copy}）{m.group(3)}", head)
    head = _YEAR.sub(lambda m: f"{int(m.group(1)) - copy + 1}{m.group(2)}", head)
    return head + rest


def make_corpus(source: Path, target: Path, sections: int) -> int:
    """Files of about `sections` sections in `target`; returns the number of sections."""
    files = sorted(source.glob("*.txt"))
    counts = {path: len(read_report(path, source).sections) for path in files}
    target.mkdir(parents=True)
    total, copy = 0, 1
    while total < sections:
        for path in files:
            if total >= sections:
                break
            text = path.read_text("utf-8")
            (target / f"{copy:03d}_{path.name}").write_text(shifted(text, copy), "utf-8")
            total += counts[path]
        copy += 1
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000,1500000")
    parser.add_argument("--per-kind", type=int, default=30)
    parser.add_argument("--procs", default="2")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(
        f"{'sections':>10}{'build s':>9}{'index MB':>10}{'keyword p50/p95 ms':>21}"
        f"{'question p50/p95 ms':>22}"
    )
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix="govsearch-scale-"))
        try:
            sections = make_corpus(shared_corpus(), work / "corpus", size)
            built = run_child(GOVSEARCH_BUILD, str(work / "corpus"), str(work / "ix"), args.procs)
            with SearchIndex(work / "ix", cache_size=0) as index:
                mix = sample_mix(index, args.per_kind, 7)
                run = govsearch_runner(index)
                for kind in ("keyword", "question"):  # warm up
                    for query in mix[kind][:3]:
                        run(kind, query)
                timings = {k: [run(k, query) for query in mix[k]] for k in ("keyword", "question")}
            keyword = "{:.1f} / {:.1f}".format(*percentiles(timings["keyword"])[:2])
            question = "{:.1f} / {:.1f}".format(*percentiles(timings["question"])[:2])
            print(
                f"{sections:>10}{built['seconds']:>9.1f}{directory_mb(work / 'ix'):>10.0f}"
                f"{keyword:>21}{question:>22}",
                flush=True,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
