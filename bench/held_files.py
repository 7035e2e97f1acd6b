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
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.store import live_build  # noqa: E402

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
                search_until_every_worker_opened(base, workers, index_dir, build)
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


def start_server(index_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "search.cli", "serve", "--host", "127.0.0.1"]
        + ["--port", str(port), "--workers", str(workers), "--index", str(index_dir)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if fetch(base + "/healthz") == 200:
                return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("the server did not answer within 120 s")


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's child processes, once they have all started."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()]


def search_until_every_worker_opened(
    base: str, workers: list[int], index_dir: Path, build: str
) -> None:
    for attempt in range(200):
        query = urllib.parse.urlencode({"q": QUERIES[attempt % len(QUERIES)]})
        if fetch(f"{base}/search?{query}") != 200:
            sys.exit("a search failed")
        held = [open_index_files(pid, index_dir) for pid in workers]
        if all(any(name.startswith(build) for name in names) for names in held):
            return
    sys.exit(f"not every worker searched {build} after 200 searches")


def open_index_files(pid: int, index_dir: Path) -> set[str]:
    """The files under index_dir a process has open or mapped, as /proc names them (a
    deleted one ends with " (deleted)")."""
    names = set(open_descriptors(pid)) | mapped_files(pid)
    return {name for name in names if name.startswith(f"{index_dir}/")}


def open_descriptors(pid: int) -> dict[str, int]:
    """{file name: its size} for each file the process has open."""
    files = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            files[os.readlink(fd)] = os.stat(fd).st_size  # a deleted file too, through it
        except OSError:  # closed meanwhile
            continue
    return files


def mapped_files(pid: int) -> set[str]:
    names = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6:
            names.add(fields[5])
    return names


def deleted_files(pid: int, index_dir: Path) -> tuple[int, int, int]:
    """(deleted index files open, deleted index files mapped, the open ones' bytes)."""

    def deleted(name: str) -> bool:
        return name.startswith(f"{index_dir}/") and name.endswith(" (deleted)")

    held = {name: size for name, size in open_descriptors(pid).items() if deleted(name)}
    mapped = {name for name in mapped_files(pid) if deleted(name)}
    return len(held), len(mapped), sum(held.values())


if __name__ == "__main__":
    main()
