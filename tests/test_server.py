"""`govsearch serve`: the real WSGI server (gunicorn) on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def test_serve_answers_searches(sample_index: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "search.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--index",
            str(sample_index),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if fetch(base + "/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, page = fetch(base + "/search?" + urllib.parse.urlencode({"q": "扬尘污染防治"}))
        assert status == 200
        assert "<mark>扬尘污染防治</mark>" in page
        assert fetch(base + "/search?q=x&page=-1")[0] == 400
    finally:
        server.terminate()
        server.wait(timeout=30)
