"""The real server on 127.0.0.1 for benchmarks and tests: start it, find its workers, and
see which index files each one holds (Linux /proc)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status_of(url: str, timeout: float = 60) -> int:
    """The HTTP status of a GET of `url` (its body read and dropped)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def start_server(
    index_dir: Path,
    workers: int = 2,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    wait_seconds: float = 60,
) -> tuple[subprocess.Popen[bytes], str]:
    """`govsearch serve` on a free port of 127.0.0.1, once /healthz answers 200; (the
    server process, its base URL). RuntimeError, the server stopped, if it never does."""
    port = free_port()
    command = [sys.executable, "-m", "search.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--index", str(index_dir)]
    server = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd or ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            if status_of(base + "/healthz", timeout=5) == 200:
                return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    server.wait(timeout=30)
    raise RuntimeError(f"the server did not answer /healthz within {wait_seconds:.0f} s")


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the master's child processes."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return sorted(int(pid) for pid in children.read_text().split())


def open_descriptors(pid: int) -> dict[str, int]:
    """{file name: its size} for each file the process has open (a deleted one's name ends
    with " (deleted)")."""
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


def open_index_files(pid: int, index_dir: Path) -> set[str]:
    """The files under `index_dir` the process has open or mapped, as /proc names them."""
    names = set(open_descriptors(pid)) | mapped_files(pid)
    return {name for name in names if name.startswith(f"{index_dir}/")}


def search_until_every_worker_opened(
    base: str, workers: list[int], index_dir: Path, build: str, queries: tuple[str, ...]
) -> None:
    """Search until each worker has files of `build` open (which worker takes a request is
    up to the kernel: the searches go in bursts, as many at once as there are workers, so
    that an idle worker cannot take them all one after another); RuntimeError when a search
    fails or 200 bursts were not enough."""
    urls = [f"{base}/search?{urllib.parse.urlencode({'q': query})}" for query in queries]
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        for attempt in range(200):
            burst = [urls[(attempt + n) % len(urls)] for n in range(len(workers))]
            for url, status in zip(burst, pool.map(status_of, burst), strict=True):
                if status != 200:
                    raise RuntimeError(f"the search {url} failed")
            held = [open_index_files(pid, index_dir) for pid in workers]
            if all(any(name.startswith(build) for name in names) for names in held):
                return
    raise RuntimeError(f"not every worker searched {build} after 200 bursts")
