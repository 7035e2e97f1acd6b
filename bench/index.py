"""Index build benchmark on the shared corpus, against the naive setup, in the same run.

    python bench/index.py [--skip-naive] [--procs 2] [--keep bench/.index]
                          [--keep-naive bench/.naive]

Measures, each build in its own child process (so peak RSS is its own):
  * govsearch: full build (word + bigram fields), then an incremental update of one
    changed file;
  * naive: jieba's ChineseAnalyzer + Whoosh's default writer, one word field, the same
    sections (what jieba's README suggests);
  * the floor: jieba segmenting the same text (search mode) on one core, and rjieba.
The govsearch index is left in --keep (for bench/relevance.py and bench/query.py), the naive
one in --keep-naive (for bench/query.py's comparison).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.shared import shared_corpus  # noqa: E402
from search.vectors import VECTORS_DIR  # noqa: E402

GOVSEARCH_BUILD = """
import json, resource, sys, time
from pathlib import Path
from search.indexer import full_build
started = time.perf_counter()
summary = full_build(Path(sys.argv[1]), Path(sys.argv[2]), procs=int(sys.argv[3]))
seconds = time.perf_counter() - started
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "sections": summary.sections, "files": summary.indexed,
                  "bytes": summary.bytes_read, "failed": len(summary.failed), "peak_kb": peak}))
"""

GOVSEARCH_UPDATE = """
import json, sys, time
from pathlib import Path
from search.indexer import update
started = time.perf_counter()
summary = update(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - started, "updated": summary.updated,
                  "sections": summary.sections}))
"""

NAIVE_BUILD = """
import json, resource, sys, time
from pathlib import Path
from jieba.analyse import ChineseAnalyzer
from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from search.ingest import find_documents, read_report
corpus, target = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
schema = Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True),
                body=TEXT(analyzer=ChineseAnalyzer(), stored=True))
target.mkdir(parents=True)
ix = index.create_in(str(target), schema)
writer = ix.writer()
sections = 0
for path in find_documents(corpus):
    report = read_report(path, corpus)
    for section in report.sections:
        writer.add_document(id=section.id, title=report.title, body=section.text)
        sections += 1
writer.commit()
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "sections": sections,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

SEGMENT_ONLY = """
import json, sys, time
from pathlib import Path
from search.ingest import find_documents, read_report
corpus = Path(sys.argv[1])
texts = [s.text for p in find_documents(corpus) for s in read_report(p, corpus).sections]
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


def run_child(script: str, *args: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT
    )
    if result.returncode != 0:
        sys.exit(f"benchmark step failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def mirror(corpus: Path, target: Path) -> None:
    """A corpus of symlinks to the shared files, so one file can be changed safely."""
    target.mkdir(parents=True)
    for path in corpus.iterdir():
        (target / path.name).symlink_to(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow baseline")
    parser.add_argument("--procs", default="2")
    parser.add_argument("--keep", type=Path, default=ROOT / "bench" / ".index")
    parser.add_argument("--keep-naive", type=Path, default=ROOT / "bench" / ".naive")
    args = parser.parse_args()
    corpus = shared_corpus()
    work = Path(tempfile.mkdtemp(prefix="govsearch-bench-"))
    try:
        mirror(corpus, work / "corpus")
        ours = run_child(GOVSEARCH_BUILD, str(work / "corpus"), str(work / "ix"), args.procs)
        ours["mb"] = directory_mb(work / "ix")
        changed = sorted((work / "corpus").iterdir())[100]
        text = changed.read_text("utf-8")
        changed.unlink()
        changed.write_text(text + "\n附：本条例的解释权属于基准测试。\n", "utf-8")
        incremental = run_child(GOVSEARCH_UPDATE, str(work / "corpus"), str(work / "ix"))
        naive = None
        if not args.skip_naive:
            naive = run_child(NAIVE_BUILD, str(corpus), str(work / "naive"))
            naive["mb"] = directory_mb(work / "naive")
        floor = run_child(SEGMENT_ONLY, str(corpus))
        if args.keep:
            vectors = args.keep / VECTORS_DIR
            if vectors.is_dir():  # keyed by section text: still right for the new build
                shutil.move(str(vectors), work / "ix" / VECTORS_DIR)
            shutil.rmtree(args.keep, ignore_errors=True)
            shutil.move(str(work / "ix"), args.keep)  # `current` is a relative link
        if naive and args.keep_naive:
            shutil.rmtree(args.keep_naive, ignore_errors=True)
            shutil.move(str(work / "naive"), args.keep_naive)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mb = ours["bytes"] / 1e6
    print(f"corpus: {ours['files']:.0f} files, {mb:.1f} MB, {ours['sections']:.0f} sections")
    header = f"{'build':<34}{'seconds':>9}{'sections/s':>12}{'MB/s':>7}{'index MB':>10}"
    print(header + f"{'peak RSS MB':>13}")

    def row(name: str, figures: dict[str, float]) -> None:
        seconds = figures["seconds"]
        print(
            f"{name:<34}{seconds:>9.1f}{figures['sections'] / seconds:>12.0f}"
            f"{mb / seconds:>7.2f}{figures['mb']:>10.0f}{figures['peak_kb'] / 1024:>13.0f}"
        )

    row(f"govsearch (words+bigrams, procs={args.procs})", ours)
    if naive:
        row("naive (ChineseAnalyzer, 1 field)", naive)
        print(f"speed-up over naive: {naive['seconds'] / ours['seconds']:.2f}x (goal >= 2x)")
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
