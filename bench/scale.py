"""How build time, index size and query latency grow with the collection.

    python bench/scale.py [--sizes 10000,100000,1000000,1500000] [--per-kind 30]
                          [--rounds 3] [--plot docs/scale.png]

For each size, a corpus of about that many sections: the first files of the shared corpus
for sizes below it, and beyond it whole copies whose agencies and years are shifted (copy 2
of 阳城县人民政府 is 阳城县人民政府（2）, its dates a year earlier), so that facets grow with
the collection as they would across a province. Each corpus is built with `full_build`
(2 processes) in a child process, then queried in process with bench/query.py's keyword and
question mixes (cache off), --rounds times; each query counts once, by its median over the
rounds (at 30 queries a kind, one slow moment would otherwise move the p95). Prints one row
per size and, with --plot, draws the growth curves to a PNG (matplotlib: `pip install -e
'.[bench]'`). Questions are ranked by words alone here: embedding collections this large
would take far longer than the rest of the run (bench/embed.py measures the speed).
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
from bench.query import (  # noqa: E402
    each_query_median,
    govsearch_runner,
    measure,
    percentiles,
    sample_mix,
)
from bench.shared import shared_corpus  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.ingest.read import read_document  # noqa: E402

_AGENCY = re.compile(r"^(发布机构[:：]\s*\|\s*)([^|]*?)(\s*\|)", re.M)
HEADER_LINES = 4
_YEAR = re.compile(r"(\d{4})(年\d{1,2}月\d{1,2}日)")
KINDS = ("keyword", "question")


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
    counts = {path: len(read_document(path, source).sections) for path in files}
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
    parser.add_argument("--rounds", type=int, default=3, help="passes over the mix")
    parser.add_argument("--plot", type=Path, help="draw the curves to this PNG file")
    args = parser.parse_args()
    rows: list[dict[str, float]] = []
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
                mix = {k: v for k, v in sample_mix(index, args.per_kind, 7).items() if k in KINDS}
                times = measure({"govsearch": govsearch_runner(index)}, mix, args.rounds)
            row = {"sections": sections, "build": built["seconds"]}
            row["mb"] = directory_mb(work / "ix")
            for kind in KINDS:
                medians = each_query_median({kind: times["govsearch"][kind]}, args.rounds)
                row[f"{kind} p50"], row[f"{kind} p95"], _ = percentiles(medians)
            rows.append(row)
            keyword = "{keyword p50:.1f} / {keyword p95:.1f}".format(**row)
            question = "{question p50:.1f} / {question p95:.1f}".format(**row)
            print(
                f"{sections:>10}{row['build']:>9.1f}{row['mb']:>10.0f}{keyword:>21}{question:>22}",
                flush=True,
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if args.plot:
        plot(rows, args.plot)


def plot(rows: list[dict[str, float]], path: Path) -> None:
    """Build time and size (left) and query latency (right) against the number of sections,
    on log-log axes, where growth in proportion to the size is a line of slope 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sections = [row["sections"] for row in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(sections, [row["build"] for row in rows], "o-", label="full build, s")
    left.plot(sections, [row["mb"] for row in rows], "s-", label="index size, MB")
    first = rows[0]
    left.plot(
        sections,
        [first["build"] * s / first["sections"] for s in sections],
        ":",
        color="grey",
        label="linear growth from the smallest",
    )
    left.set_title("Building")
    for kind, marker in (("keyword", "o"), ("question", "s")):
        for stat, style in (("p50", "-"), ("p95", "--")):
            values = [row[f"{kind} {stat}"] for row in rows]
            right.plot(sections, values, marker + style, label=f"{kind} {stat}")
    right.axhline(150, color="grey", linestyle=":", label="150 ms")
    right.set_title("Searching (ms, in process, facets and passages included)")
    for axes in (left, right):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("sections")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
