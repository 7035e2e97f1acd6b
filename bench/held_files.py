"""Deleted index files that the real server's workers still hold after full rebuilds.

    python bench/held_files.py [--corpus DIR] [--files 0] [--rebuilds 4] [--workers 2]

Builds an index of the corpus (default: the project's corpus/; `--files N` takes the first N
files of it only) in a temporary folder, starts `govsearch serve` on 127.0.0.1, then runs
`govsearch reindex --full` --rebuilds times. After each, it searches until every worker has
opened the new build, and prints for each worker the deleted index files it still has open
(file descriptors) and mapped, with their size. A full rebuild deletes the build before the
previous one, so from the second rebuild on, any such file is disk space that does not come
back while the worker runs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import (  # noqa: E402
    mapped_files,
    open_descriptors,
    search_until_every_worker_opened,
    start_server,
    worker_pids,
)
from search.index.store import live_build  # noqa: E402

QUERIES = ("营商环境", "扬尘污染防治", "管理", "政府信息公开")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--files", type=int, default=0, help="only the first N files (0: all)")
    parser.add_argument("--rebuilds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govsearch-held-") as tmp:
        corpus = copy_corpus(args.corpus, Path(tmp) / "corpus", args.files)
        index_dir = Path(tmp) / "index"
        reindex(corpus, index_dir)
        server, base = start_server(index_dir, args.workers)
        try:
            workers = worker_pids(server.pid)
            for rebuild in range(1, args.rebuilds + 1):
                reindex(corpus, index_dir)
                build = str(live_build(index_dir)) + "/"
                search_until_every_worker_opened(base, workers, index_dir, build, QUERIES)
                for pid in workers:
                    fds, maps, size = deleted_files(pid, index_dir)
                    print(
                        f"rebuild {rebuild}: worker {pid}: {fds} deleted files open, "
                        f"{maps} mapped, {size / 1e6:.1f} MB",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)


def copy_corpus(source: Path, target: Path, files: int) -> Path:
    paths = sorted(p for p in source.rglob("*") if p.suffix in (".txt", ".html"))
    for path in paths[:files] if files else paths:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, destination)
    return target


def reindex(corpus: Path, index_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "search.cli", "reindex", "--full", "--quiet"]
        + ["--corpus", str(corpus), "--index", str(index_dir)],
        check=True,
        cwd=ROOT,
    )


def deleted_files(pid: int, index_dir: Path) -> tuple[int, int, int]:
    """(deleted index files open, deleted index files mapped, the open ones' bytes)."""

    def deleted(name: str) -> bool:
        return name.startswith(f"{index_dir}/") and name.endswith(" (deleted)")

    held = {name: size for name, size in open_descriptors(pid).items() if deleted(name)}
    mapped = {name for name in mapped_files(pid) if deleted(name)}
    return len(held), len(mapped), sum(held.values())


if __name__ == "__main__":
    main()
