"""Index build benchmark on the shared corpus, against the naive setup, in the same run.

    python bench/index.py [--rounds 1] [--skip-naive] [--procs 2] [--keep bench/.index]
                          [--keep-naive bench/.naive]

Measures, each build in its own child process:
  * govsearch: full build (word + bigram fields) with --procs processes, then an
    incremental update of one changed file;
  * naive: jieba's ChineseAnalyzer + Whoosh's writer, one word field, the same sections
    (what jieba's README suggests), once with Whoosh's default writer (one process) and once
    with its multi-process writer (`procs=2, multisegment=True`: without multisegment,
    Whoosh 2.7.4's writer silently loses documents, so every naive build counts what its
    index holds);
  * the floor: jieba segmenting the same text (search mode) on one core, and rjieba.
Each round runs the three builds in turn; times are the medians over the rounds, peak memory
the largest. Peak memory and CPU time are those of the whole process tree, workers
included (bench/process_tree.py), measured the same way for every build. On a machine that
others share, the clock moves with their load; the CPU time much less.
The govsearch index is left in --keep (for bench/relevance.py and bench/query.py), the
one-process naive one in --keep-naive (for bench/query.py's comparison).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.process_tree import Finished, TreeMemory, run_sampled  # noqa: E402
from bench.shared import shared_corpus  # noqa: E402
from search.vectors.store import VECTORS_DIR  # noqa: E402

GOVSEARCH_BUILD = """
import json, sys, time
from pathlib import Path
from search.index.build import full_build
started = time.perf_counter()
summary = full_build(Path(sys.argv[1]), Path(sys.argv[2]), procs=int(sys.argv[3]))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "sections": summary.sections, "stored": summary.sections,
                  "files": summary.indexed, "bytes": summary.bytes_read,
                  "failed": len(summary.failed)}))
"""

GOVSEARCH_UPDATE = """
import json, sys, time
from pathlib import Path
from search.index.build import update
started = time.perf_counter()
summary = update(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - started, "updated": summary.updated,
                  "sections": summary.sections}))
"""

NAIVE_BUILD = """
import json, sys, time
from pathlib import Path
from jieba.analyse import ChineseAnalyzer
from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from search.ingest.read import find_documents, read_document
corpus, target, procs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
schema = Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True),
                body=TEXT(analyzer=ChineseAnalyzer(), stored=True))
target.mkdir(parents=True)
ix = index.create_in(str(target), schema)
writer = ix.writer(procs=procs, multisegment=True) if procs > 1 else ix.writer()
sections = 0
for path in find_documents(corpus):
    report = read_document(path, corpus)
    for section in report.sections:
        writer.add_document(id=section.id, title=report.title, body=section.text)
        sections += 1
writer.commit()
seconds = time.perf_counter() - started
stored = index.open_dir(str(target)).doc_count()
print(json.dumps({"seconds": seconds, "sections": sections, "stored": stored}))
"""

SEGMENT_ONLY = """
import json, sys, time
from pathlib import Path
from search.ingest.read import find_documents, read_document
corpus = Path(sys.argv[1])
texts = [s.text for p in find_documents(corpus) for s in read_document(p, corpus).sections]
import jieba, rjieba
jieba.initialize()
started = time.perf_counter()
for text in texts:
    for _ in jieba.tokenize(text, mode="search"):
        pass
jieba_seconds = time.perf_counter() - started
started = time.perf_counter()
for text in texts:
    rjieba.tokenize(text, mode="search")
print(json.dumps({"jieba_seconds": jieba_seconds, "rjieba_seconds": time.perf_counter() - started,
                  "chars": sum(map(len, texts))}))
"""


@dataclass
class Build:
    """One setup's builds, one per round."""

    name: str
    procs: int
    seconds: list[float]
    cpu_seconds: list[float]
    memory: list[TreeMemory]
    sections: int = 0
    stored: int = 0  # documents the index holds after the build
    index_mb: float = 0.0

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu_seconds)

    def peak(self, figure: str) -> float:
        """The largest peak over the rounds, in MB."""
        return max(getattr(m, figure) for m in self.memory) / 1024


def run_child(script: str, *args: str) -> tuple[dict[str, float], Finished]:
    finished = run_sampled([sys.executable, "-c", script, *args], cwd=ROOT)
    if finished.returncode != 0:
        sys.exit(f"benchmark step failed:\n{finished.stderr}")
    figures = json.loads(finished.stdout.strip().splitlines()[-1])
    return figures, finished


def measure(build: Build, script: str, *args: str) -> dict[str, float]:
    """Run one build, add its time and memory to `build`, and return its figures."""
    figures, finished = run_child(script, *args)
    memory = finished.memory
    build.seconds.append(figures["seconds"])
    build.cpu_seconds.append(finished.cpu_seconds)
    build.memory.append(memory)
    build.sections, build.stored = int(figures["sections"]), int(figures["stored"])
    build.index_mb = directory_mb(Path(args[1]))
    print(
        f"{build.name}: {figures['seconds']:.1f} s, CPU {finished.cpu_seconds:.1f} s, "
        f"peak RSS {memory.rss_kb / 1024:.0f} MB",
        file=sys.stderr,
    )
    return figures


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def mirror(corpus: Path, target: Path) -> None:
    """A corpus of symlinks to the shared files, so one file can be changed safely."""
    target.mkdir(parents=True)
    for path in corpus.iterdir():
        (target / path.name).symlink_to(path)


def print_builds(builds: list[Build], rounds: int) -> None:
    ours = builds[0]
    print(
        f"{'build (median of ' + str(rounds) + ')':<42}{'procs':>6}{'seconds':>9}{'CPU s':>8}"
        f"{'sections/s':>11}{'time ratio':>11}{'CPU ratio':>10}{'index MB':>9}"
        f"{'peak RSS MB':>12}{'largest MB':>11}"
    )
    for build in builds:
        seconds = build.median_seconds
        processes = max(m.processes for m in build.memory)
        print(
            f"{build.name:<42}{build.procs:>3} ({processes}){seconds:>8.1f}{build.median_cpu:>8.1f}"
            f"{build.sections / seconds:>11.0f}{seconds / ours.median_seconds:>10.2f}x"
            f"{build.median_cpu / ours.median_cpu:>9.2f}x{build.index_mb:>9.0f}"
            f"{build.peak('rss_kb'):>12.0f}{build.peak('largest_kb'):>11.0f}"
        )
        if build.stored != build.sections:
            print(f"  LOST DOCUMENTS: {build.sections} added, the index holds {build.stored}")
    if rounds > 1:
        for build in builds:
            times = ", ".join(f"{s:.1f}" for s in build.seconds)
            cpu = ", ".join(f"{s:.1f}" for s in build.cpu_seconds)
            print(f"  {build.name}: {times} s; CPU {cpu} s")
    print(
        "procs: asked for (processes seen alive at once, the parent included). seconds: the "
        "build on the clock;\nCPU s: user + system time of the whole process tree, interpreter "
        "start included; ratios: over govsearch's.\npeak RSS: the build's whole process tree, "
        "RSS summed over the processes alive at once, sampled every 0.1 s;\nlargest: the "
        "largest single process (what getrusage's ru_maxrss gives)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow baselines")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=ROOT / "bench" / ".index")
    parser.add_argument("--keep-naive", type=Path, default=ROOT / "bench" / ".naive")
    args = parser.parse_args()
    corpus = shared_corpus()
    load_before = os.getloadavg()[0]
    ours = Build(f"govsearch (words+bigrams, --procs {args.procs})", args.procs, [], [], [])
    builds = [ours]
    if not args.skip_naive:
        builds.append(Build("naive (ChineseAnalyzer, 1 field)", 1, [], [], []))
        builds.append(Build("naive, Whoosh procs=2, multisegment=True", 2, [], [], []))
    work = Path(tempfile.mkdtemp(prefix="govsearch-bench-"))
    try:
        mirror(corpus, work / "corpus")
        for round_number in range(args.rounds):
            for name in ("ix", "naive-1", "naive-2"):
                shutil.rmtree(work / name, ignore_errors=True)
            figures = measure(
                ours, GOVSEARCH_BUILD, str(work / "corpus"), str(work / "ix"), str(args.procs)
            )
            for build in builds[1:]:
                naive_dir = work / f"naive-{build.procs}"
                measure(build, NAIVE_BUILD, str(corpus), str(naive_dir), str(build.procs))
            print(f"round {round_number + 1} of {args.rounds} done", file=sys.stderr)
        changed = sorted((work / "corpus").iterdir())[100]
        text = changed.read_text("utf-8")
        changed.unlink()
        changed.write_text(text + "\n附：本条例的解释权属于基准测试。\n", "utf-8")
        incremental, _ = run_child(GOVSEARCH_UPDATE, str(work / "corpus"), str(work / "ix"))
        floor, _ = run_child(SEGMENT_ONLY, str(corpus))
        if args.keep:
            vectors = args.keep / VECTORS_DIR
            if vectors.is_dir():  # keyed by section text: still right for the new build
                shutil.move(str(vectors), work / "ix" / VECTORS_DIR)
            shutil.rmtree(args.keep, ignore_errors=True)
            shutil.move(str(work / "ix"), args.keep)  # `current` is a relative link
        if not args.skip_naive and args.keep_naive:
            shutil.rmtree(args.keep_naive, ignore_errors=True)
            shutil.move(str(work / "naive-1"), args.keep_naive)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mb = figures["bytes"] / 1e6
    print(
        f"corpus: {figures['files']:.0f} files, {mb:.1f} MB, {figures['sections']:.0f} sections;"
        f" load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print_builds(builds, args.rounds)
    print(
        f"incremental update, 1 changed file: {incremental['seconds']:.2f} s "
        f"({incremental['sections']:.0f} sections rewritten)"
    )
    print(
        f"segmentation floor, one core: jieba {floor['jieba_seconds']:.1f} s, "
        f"rjieba {floor['rjieba_seconds']:.1f} s "
        f"({floor['jieba_seconds'] / floor['rjieba_seconds']:.1f}x)"
    )


if __name__ == "__main__":
    main()
