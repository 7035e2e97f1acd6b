"""`govsearch serve`: the real WSGI server (gunicorn) on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bench.server import (
    open_index_files,
    search_until_every_worker_opened,
    start_server,
    worker_pids,
)
from search.index.build import full_build, update
from search.index.store import live_build
from search.query.request import MAX_QUERY_CHARS
from web.server import open_url, requested_path

QUERIES = ("营商环境", "扬尘污染防治", "管理")


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def fetch_raw(
    base: str, target: str, headers: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Status, Content-Type and body of a GET of `target` sent as is (no quoting, no limit)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


def test_serve_answers_searches(sample_index: Path) -> None:
    server, base = start_server(sample_index)
    try:
        status, page = fetch(base + "/search?" + urllib.parse.urlencode({"q": "扬尘污染防治"}))
        assert status == 200
        assert "<mark>扬尘污染防治</mark>" in page
        assert fetch(base + "/search?q=x&page=-1")[0] == 400
        longest = ("扬尘污染防治" * 100)[:MAX_QUERY_CHARS]  # 4,500 bytes in the URL
        status, page = fetch(base + "/api/search?" + urllib.parse.urlencode({"q": longest}))
        assert status == 200 and json.loads(page)["ok"] is True
        status, page = fetch(base + "/api/search?" + urllib.parse.urlencode({"q": longest + "扬"}))
        assert status == 400 and json.loads(page)["parameter"] == "q"
        status, script = fetch(base + "/embed.js")
        assert status == 200 and "data-govsearch" in script
        status, spec = fetch(base + "/api/openapi.json")
        assert status == 200 and json.loads(spec)["servers"] == [{"url": base}]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_an_over_long_request_line_gets_the_apps_own_error(sample_index: Path) -> None:
    server, base = start_server(sample_index)
    query = "q=" + "%E6%89%AC" * 1200  # 10,800 bytes: past the most gunicorn reads
    try:
        status, content_type, body = fetch_raw(base, "/api/search?" + query)
        assert (status, content_type) == (414, "application/json")
        envelope = json.loads(body)
        assert envelope["ok"] is False and envelope["status"] == 414
        assert str(MAX_QUERY_CHARS) in envelope["error"]
        status, content_type, page = fetch_raw(base, "/search?" + query)
        assert status == 414 and content_type.startswith("text/html")
        assert "政府文件检索" in page and "style.css" in page  # the site's own page
        assert f"检索词最多 {MAX_QUERY_CHARS} 个字" in page
        status, content_type, body = fetch_raw(base, "/api/search?q=x", {"Cookie": "x" * 9000})
        assert (status, content_type) == (431, "application/json")
        assert json.loads(body)["status"] == 431
        # the server still answers afterwards
        assert fetch(base + "/api/search?" + urllib.parse.urlencode({"q": "扬尘"}))[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize(
    ("request_start", "path"),
    [
        (b"GET /api/search?q=%E6%89%AC%E5%B0%98", "/api/search"),
        (b"GET /api/sea", "/api/sea"),  # as far as it was read
        (b"\r\nGET /search?q=x HTTP/1.1\r\nHost: a", "/search"),
        (b"GET http://search.example.gov.cn/api/docs/1 HTTP/1.1", "/api/docs/1"),
        (b"GET", "/"),
        (b"", "/"),
        (b"\x16\x03\x01\x02\x00 x", "/"),  # not HTTP at all
    ],
)
def test_the_path_of_a_refused_request(request_start: bytes, path: str) -> None:
    assert requested_path(request_start) == path


def _contents(folder: Path) -> dict[str, str]:
    """Every path under `folder`: a file's text, else what it is (a socket is neither)."""
    return {
        str(path): path.read_text("utf-8") if path.is_file() else "dir" * path.is_dir()
        for path in folder.rglob("*")
    }


def test_serve_leaves_the_home_and_working_folders_alone(
    sample_index: Path, tmp_path: Path
) -> None:
    """No control socket at a per-user path that another server would share or delete."""
    home, runtime, work = tmp_path / "home", tmp_path / "runtime", tmp_path / "work"
    # another server's control sockets, where gunicorn puts them by default
    for path in (home / ".gunicorn" / "gunicorn.ctl", runtime / "gunicorn.ctl"):
        path.parent.mkdir(parents=True)
        path.write_text("another server's", encoding="utf-8")
    work.mkdir()
    before = _contents(tmp_path)
    for runtime_dir in (str(runtime), None):  # with and without XDG_RUNTIME_DIR
        env = {**os.environ, "HOME": str(home)}
        env.pop("XDG_RUNTIME_DIR", None)
        if runtime_dir:
            env["XDG_RUNTIME_DIR"] = runtime_dir
        server, base = start_server(sample_index, env=env, cwd=work)
        try:
            assert fetch(base + "/healthz")[0] == 200
            assert _contents(tmp_path) == before
        finally:
            server.terminate()
            server.wait(timeout=30)
        assert _contents(tmp_path) == before


def _total(base: str, query: str) -> int:
    status, body = fetch(base + "/api/search?" + urllib.parse.urlencode({"q": query}))
    assert status == 200
    return int(json.loads(body)["total"])


def test_workers_follow_a_reindex_without_restart(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir)
    server, base = start_server(index_dir)
    try:
        # several requests, so that both workers have opened the first build
        assert [_total(base, "量子通信试点") for _ in range(6)] == [0] * 6
        (corpus_copy / "new.txt").write_text(
            "索 引 号: | | 主题分类: | 科技创新 |\n发布机构: | 县科学技术局 | 成文日期: | "
            "2024年01月02日 |\n标 题: | 关于量子通信试点的通知 | ||\n"
            "一、总体要求\n开展量子通信试点工作。\n",
            encoding="utf-8",
        )
        full_build(corpus_copy, index_dir)  # a new build swapped in beside the served one
        assert [_total(base, "量子通信试点") for _ in range(6)] == [1] * 6
        (corpus_copy / "new.txt").unlink()
        update(corpus_copy, index_dir)  # incremental: the document is deleted in place
        assert [_total(base, "量子通信试点") for _ in range(6)] == [0] * 6
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_searches_never_fail_while_a_reindex_runs(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir)
    for number in range(6):  # a bigger corpus, so that the rebuild takes a while
        for path in (corpus_copy / "samples").glob("20*.txt"):
            (corpus_copy / "samples" / f"c{number}_{path.name}").write_bytes(path.read_bytes())
    server, base = start_server(index_dir)
    try:
        first = _total(base, "营商环境")
        reindex = subprocess.Popen(
            [sys.executable, "-m", "search.cli", "reindex", "--full", "--quiet"]
            + ["--corpus", str(corpus_copy), "--index", str(index_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        statuses = []
        while reindex.poll() is None:
            query = urllib.parse.urlencode({"q": "营商环境"})
            statuses.append(fetch(f"{base}/api/search?{query}")[0])
        assert reindex.returncode == 0
        assert len(statuses) > 5 and set(statuses) == {200}  # during the build and the swap
        assert _total(base, "营商环境") > first  # the copies are found once it is swapped in
    finally:
        server.terminate()
        server.wait(timeout=30)


def _reindex_full(corpus: Path, index_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "search.cli", "reindex", "--full", "--quiet"]
        + ["--corpus", str(corpus), "--index", str(index_dir)],
        check=True,
    )


def test_workers_let_go_of_the_builds_a_full_reindex_replaced(
    corpus_copy: Path, tmp_path: Path
) -> None:
    """After several full rebuilds (each deletes the build before the previous one), no
    worker holds a deleted index file open or mapped: the disk space comes back."""
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir)
    server, base = start_server(index_dir)
    try:
        workers = worker_pids(server.pid)
        assert len(workers) == 2
        for _rebuild in range(3):
            _reindex_full(corpus_copy, index_dir)
            live = str(live_build(index_dir)) + "/"
            search_until_every_worker_opened(base, workers, index_dir, live, QUERIES)
            for pid in workers:
                held = sorted(open_index_files(pid, index_dir))
                assert [name for name in held if name.endswith(" (deleted)")] == [], pid
                # nor the previous build's, kept on disk for searches already under way
                assert [name for name in held if not name.startswith(live)] == [], pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def _first_line(process: subprocess.Popen[str], seconds: float, stderr: bool = False) -> str:
    """The first line the process writes to its stdout (or stderr), or "" if none within
    `seconds`."""
    stream = process.stderr if stderr else process.stdout
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline() if ready and stream else ""


@pytest.mark.parametrize("built", [True, False], ids=["index", "no-index"])
def test_serve_says_where_to_open_the_service(
    sample_index: Path, tmp_path: Path, built: bool
) -> None:
    index_dir = sample_index if built else tmp_path / "not-built"
    command = [sys.executable, "-m", "search.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", "0", "--workers", "1", "--index", str(index_dir)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        try:
            line = _first_line(server, 60)
            announced = re.fullmatch(r"govsearch: open (http://127\.0\.0\.1:\d+)\n", line)
            assert announced, line
            assert fetch(announced.group(1) + "/healthz")[0] == (200 if built else 503)
            # A path with no index (a typo, a build not yet run) is said on the console,
            # before the server's own first line; with an index, that line comes first.
            first = _first_line(server, 5, stderr=True)
            if built:
                assert "Starting gunicorn" in first, first
            else:
                assert first.startswith(f"govsearch: warning: no index at {index_dir}")
                assert "govsearch reindex" in first and "503" in first
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.mark.parametrize(
    ("address", "url"),
    [
        (("127.0.0.1", 5000), "http://127.0.0.1:5000"),
        (("0.0.0.0", 8080), "http://127.0.0.1:8080"),
        (("::1", 5000, 0, 0), "http://[::1]:5000"),
    ],
)
def test_the_url_to_open_for_an_address(address: tuple[str, int], url: str) -> None:
    assert open_url(address) == url


def test_a_bad_setting_stops_serve_before_any_worker_starts(
    sample_index: Path, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "search.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", "0", "--workers", "1", "--index", str(sample_index)]
    log = str(tmp_path / "querylog.sqlite3")
    environment = {**os.environ, "GOVSEARCH_QUERY_LOG": log, "GOVSEARCH_QUERY_LOG_DAYS": "abc"}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "GOVSEARCH_QUERY_LOG_DAYS must be a whole number" in done.stderr
    assert "govsearch: open" not in done.stdout and "Traceback" not in done.stderr
