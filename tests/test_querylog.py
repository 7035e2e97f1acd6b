"""The query log: what it keeps, for how long, that it never slows or fails a search, and
what it feeds (hot searches, related searches, `govsearch queries`)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from search import querylog
from search.cli import cli
from search.querylog import QueryLog, least_asked, log_path, normalize_query
from search.text.analysis import warm_up
from web import create_app
from web.querylog import query_log

NOW = datetime.now(UTC)


def _rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM searches ORDER BY rowid")]


def _seed(path: Path, searches: list[tuple[str, int]], days_ago: float = 0, **options: Any) -> None:
    """Write (query, hits) searches to the log at `path`, `days_ago` days ago."""
    log = QueryLog(path, **options)
    for text, hits in searches:
        log.record(text, {}, hits, 5.0, asked_at=NOW - timedelta(days=days_ago))
    assert log.flush()
    log.close()


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "log" / "querylog.sqlite3"


@pytest.fixture
def logged_app(sample_index: Path, log_file: Path) -> Iterator[Flask]:
    log_file.parent.mkdir(exist_ok=True)
    yield create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "QUERY_LOG": str(log_file)})


def _flush(app: Flask) -> None:
    log = query_log(app)
    assert log is not None and log.flush()


# What is kept


def test_a_row_holds_the_query_its_filters_hits_and_time_and_nothing_else(log_file: Path) -> None:
    log_file.parent.mkdir()
    log = QueryLog(log_file)
    log.record("  營商  環境 ", {"agency": ["阳城县人民政府"]}, 7, 12.345)
    assert log.flush()
    log.close()
    [row] = _rows(log_file)
    assert set(row) == {"asked_at", "query", "filters", "hits", "full_matches", "took_ms"}
    assert row["query"] == "营商 环境"  # folded to simplified, spaces collapsed
    assert json.loads(row["filters"]) == {"agency": ["阳城县人民政府"]}
    assert row["hits"] == row["full_matches"] == 7 and row["took_ms"] == 12.35
    asked = datetime.strptime(row["asked_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((asked - datetime.now(UTC)).total_seconds()) < 60
    with sqlite3.connect(log_file) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_log_is_beside_the_index_and_can_be_turned_off(tmp_path: Path) -> None:
    index = tmp_path / "data" / "index"
    assert log_path("", index) == tmp_path / "data" / "querylog.sqlite3"
    assert log_path("off", index) is None and log_path(" OFF ", index) is None
    assert log_path(str(tmp_path / "q.db"), index) == tmp_path / "q.db"
    assert normalize_query("ＡＢＣ  營商") == "abc 营商"
    # a terminal's codes are not shown to an editor's terminal, nor a bell rung
    assert normalize_query("\x1b[31m营商\x1b[0m\x07 环境\u200b") == "[31m营商 [0m 环境"


def test_a_document_number_is_counted_under_one_spelling(log_file: Path) -> None:
    log_file.parent.mkdir()
    typed = ["法释[2022]10号", "法释（2022）10号", "法释 〔2022〕 10 号", "法释〔2022〕10号"]
    _seed(log_file, [(text, 1) for text in typed])
    assert {row["query"] for row in _rows(log_file)} == {"法释〔2022〕10号"}
    log = QueryLog(log_file)
    assert log.popular() == [("法释〔2022〕10号", 4)]
    assert normalize_query("国办发 [2017] 47 号 通知") == "国办发〔2017〕47号 通知"
    # Quoted, it is searched as typed: logged so, to be searched so again.
    assert normalize_query('"法释[2022]10号" 通知') == '"法释[2022]10号" 通知'
    assert normalize_query("“法释[2022]10号” 法释[2022]10号") == "“法释[2022]10号” 法释〔2022〕10号"


@pytest.mark.parametrize("uptime", [None, 1.0], ids=["real-clock", "just-booted"])
def test_rows_older_than_the_retention_are_deleted_when_the_log_opens(
    log_file: Path, uptime: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if uptime is not None:  # the monotonic clock counts from boot: here from `uptime` seconds
        clock, started = time.monotonic, time.monotonic()
        monkeypatch.setattr(time, "monotonic", lambda: uptime + clock() - started)
    log_file.parent.mkdir()
    _seed(log_file, [("旧的检索", 1)], days_ago=200, retention=3650)
    _seed(log_file, [("去年的检索", 1)], days_ago=100, retention=3650)
    _seed(log_file, [("新的检索", 1)], retention=180)
    assert [row["query"] for row in _rows(log_file)] == ["去年的检索", "新的检索"]


# A search never waits for the log


def test_an_unwritable_log_drops_rows_silently_and_counts_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    log = QueryLog(not_a_folder / "querylog.sqlite3")
    for _ in range(3):
        log.record("营商环境", {}, 1, 1.0)  # never raises
    assert log.flush()
    log.close()
    assert log.dropped == 3 and log.written == 0
    assert len([r for r in caplog.records if "query log" in r.getMessage()]) == 1
    assert log.hot() == [] and log.related("营商环境") == []


def test_a_full_queue_drops_without_waiting(log_file: Path) -> None:
    log_file.parent.mkdir()
    _seed(log_file, [("营商环境", 1)])
    holder = sqlite3.connect(log_file, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        log = QueryLog(log_file, queue_size=2)
        started = time.perf_counter()
        for _ in range(200):
            log.record("营商环境", {}, 1, 1.0)
        assert time.perf_counter() - started < 0.5
        assert log.dropped >= 190
    finally:
        holder.rollback()
        holder.close()
    log.close()


@pytest.mark.parametrize("locking_mode", ["NORMAL", "EXCLUSIVE"])
def test_searches_answer_quickly_while_the_log_is_locked(
    logged_app: Flask, log_file: Path, locking_mode: str
) -> None:
    """Another connection holds an exclusive transaction (with locking_mode EXCLUSIVE it
    shuts out readers too): the pages, the API and the widget answer as fast as ever."""
    _seed(log_file, [("营商环境", 3)])
    client = logged_app.test_client()
    client.get("/healthz")  # the index opened, the analyzer loaded: what is timed is the log
    warm_up()
    holder = sqlite3.connect(log_file, isolation_level=None, timeout=5)
    holder.execute(f"PRAGMA locking_mode={locking_mode}")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO searches VALUES ('x', 'x', '{}', 0, 0, 0)")
    try:
        for url in ("/api/search?q=管理", "/search?q=营商环境", "/embed?q=法治", "/", "/api/hot"):
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, url
            assert time.perf_counter() - started < 1.0, url
    finally:
        holder.rollback()
        holder.close()
    _flush(logged_app)


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """`paths` made read-only: by their mode, and for root (whom modes do not stop) by the
    file system's immutable attribute."""
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    immutable = os.geteuid() == 0
    try:
        if immutable and subprocess.run(["chattr", "+i", *map(str, paths)]).returncode != 0:
            immutable = False
            pytest.skip("this file system cannot make files immutable for root")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        for path, mode in modes.items():
            path.chmod(mode)


def test_searches_answer_with_a_read_only_log(logged_app: Flask, log_file: Path) -> None:
    _seed(log_file, [("营商环境", 3)])
    with read_only(log_file, log_file.parent):
        client = logged_app.test_client()
        started = time.perf_counter()
        assert client.get("/search?q=营商环境").status_code == 200
        assert client.get("/api/search?q=管理").status_code == 200
        assert time.perf_counter() - started < 2.0
        _flush(logged_app)
        log = query_log(logged_app)
        assert log is not None and log.dropped == 2 and log.written == 0


def test_searches_answer_when_the_log_cannot_be_created(sample_index: Path, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    app = create_app(
        {"TESTING": True, "INDEX_DIR": str(sample_index), "QUERY_LOG": str(not_a_folder / "q")}
    )
    client = app.test_client()
    assert client.get("/search?q=营商环境").status_code == 200
    body = client.get("/api/search?q=管理").get_json()
    assert body["ok"] and body["related"] == []
    assert client.get("/api/hot").get_json() == {"ok": True, "queries": []}
    _flush(app)
    log = query_log(app)
    assert log is not None and log.dropped == 2


# Which searches are logged


def test_first_pages_of_the_pages_api_and_widget_are_logged(
    logged_app: Flask, log_file: Path, sample_index: Path
) -> None:
    client = logged_app.test_client()
    client.get("/search?q=营商环境&agency=阳城县人民政府")
    client.get("/api/search?q=管理&size=5&sort=date")
    client.get("/embed?q=法治")
    client.get("/api/search?q=管理&page=2")  # paging: the same query, not counted again
    client.get("/search?q=")  # browsing, no query
    client.get("/search.atom?q=管理")  # a feed reader polling
    client.get("/healthz")
    client.get("/search?q=x&sort=random")  # refused
    # nothing to look for: marks, symbols, an emoji, or the query language's OR alone
    for wordless in ("%00", "%22", "***", "-", "%F0%9F%98%80", "OR", "-+OR+%7C"):
        client.get(f"/api/search?q={wordless}")
    _flush(logged_app)
    rows = _rows(log_file)
    assert [(row["query"], json.loads(row["filters"])) for row in rows] == [
        ("营商环境", {"agency": ["阳城县人民政府"]}),
        ("管理", {}),
        ("法治", {}),
    ]
    api_total = client.get("/api/search?q=管理").get_json()["total"]
    assert rows[1]["hits"] == api_total > 0
    result = CliRunner().invoke(
        cli,
        ["search", "管理", "--index", str(sample_index)],
        env={"GOVSEARCH_QUERY_LOG": str(log_file)},
    )
    assert result.exit_code == 0
    _flush(logged_app)
    assert len(_rows(log_file)) == 4  # the API's second 管理, not the CLI's


def test_a_search_answered_only_by_some_of_its_words_found_nothing(
    logged_app: Flask, log_file: Path
) -> None:
    """营商环境 宇航员: no section has both words, so the hits (relaxed, with 营商环境 alone)
    are not what was asked for: the query is a zero-hit one, never hot or related."""
    client = logged_app.test_client()
    body = client.get("/api/search?q=营商环境 宇航员").get_json()
    assert body["relaxed"] and body["full_matches"] == 0 and body["total"] > 0
    client.get("/api/search?q=营商环境")
    _flush(logged_app)
    rows = [(row["query"], row["hits"], row["full_matches"]) for row in _rows(log_file)]
    assert rows[0] == ("营商环境 宇航员", body["total"], 0) and rows[1][2] > 0
    log = query_log(logged_app)
    assert log is not None
    assert [text for text, _ in log.popular()] == ["营商环境"]
    assert [q.text for q in log.top(zero_hits=True)] == ["营商环境 宇航员"]


def test_off_keeps_nothing(sample_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.symlink_to(sample_index, target_is_directory=True)
    app = create_app({"TESTING": True, "INDEX_DIR": str(index), "QUERY_LOG": "off"})
    client = app.test_client()
    assert client.get("/search?q=营商环境").status_code == 200
    assert client.get("/api/hot").get_json() == {"ok": True, "queries": []}
    assert query_log(app) is None
    assert list(tmp_path.iterdir()) == [index]


def test_by_default_the_log_is_in_the_index_parent(
    sample_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVSEARCH_QUERY_LOG")
    index = tmp_path / "index"
    index.symlink_to(sample_index, target_is_directory=True)
    app = create_app({"TESTING": True, "INDEX_DIR": str(index)})
    app.test_client().get("/search?q=营商环境")
    _flush(app)
    assert [row["query"] for row in _rows(tmp_path / "querylog.sqlite3")] == ["营商环境"]


# Hot searches


def test_popular_counts_searches_with_hits_over_the_period(log_file: Path) -> None:
    log_file.parent.mkdir()
    _seed(log_file, [("营商环境", 1)] * 3 + [("扬尘治理", 2)] * 2 + [("没有结果", 0)] * 5)
    _seed(log_file, [("扬尘治理", 1)] * 9, days_ago=40)
    log = QueryLog(log_file)
    assert log.popular() == [("营商环境", 3), ("扬尘治理", 2)]
    assert log.popular(days=60) == [("扬尘治理", 11), ("营商环境", 3)]
    assert log.popular(limit=1) == [("营商环境", 3)]


def test_a_query_asked_fewer_times_than_the_floor_is_shown_to_no_one(log_file: Path) -> None:
    log_file.parent.mkdir()
    _seed(log_file, [("张三 身份证号", 1)] * 2 + [("营商环境", 1)] * 3 + [("营商环境 张三", 1)])
    _seed(log_file, [("营商环境 评价", 1)] * 2 + [("营商环境 评价", 0)] * 5)
    log = QueryLog(log_file, least_asked=3)
    assert log.popular() == [("营商环境", 3)]  # searches that found nothing do not count
    assert log.hot() == [("营商环境", 3)] and log.related("营商环境") == []
    assert QueryLog(log_file, least_asked=2).popular() == [
        ("营商环境", 3),
        ("张三 身份证号", 2),
        ("营商环境 评价", 2),
    ]


def test_the_floor_is_a_setting_of_three_by_default(
    sample_index: Path, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVSEARCH_HOT_MIN_COUNT")
    assert least_asked() == 3 and least_asked("1") == 1
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValueError, match="GOVSEARCH_HOT_MIN_COUNT must be a whole number"):
            least_asked(bad)
    log_file.parent.mkdir()
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "QUERY_LOG": str(log_file)})
    client = app.test_client()

    def offered() -> tuple[list[object], list[str]]:
        log = query_log(app)
        assert log is not None and log.flush()
        log._popular.clear()  # read the log again now, not after REFRESH_SECONDS
        hot = client.get("/api/hot").get_json()["queries"]
        typed = client.get("/api/suggest?q=营商").get_json()["suggestions"]
        return hot, [s["text"] for s in typed if s["kind"] == "query"]

    for asked in range(2):
        assert client.get("/api/search?q=营商环境").status_code == 200
        assert offered() == ([], []), asked
    client.get("/api/search?q=营商环境")
    assert offered() == ([{"text": "营商环境", "count": 3}], ["营商环境"])


def test_the_block_list_hides_whole_queries_and_queries_with_a_word(
    log_file: Path, tmp_path: Path
) -> None:
    log_file.parent.mkdir()
    _seed(log_file, [("营商环境", 1), ("某某 丑闻", 1), ("扬尘治理", 1), ("Ｔｅｓｔ", 1)])
    blocked = tmp_path / "blocked.txt"
    blocked.write_text("# editors' list\n丑闻\ntest  # a whole query\n", "utf-8")
    log = QueryLog(log_file, blocklist=blocked)
    assert sorted(text for text, _ in log.popular()) == ["扬尘治理", "营商环境"]
    blocked.write_text("营商\n", "utf-8")
    assert sorted(text for text, _ in log.popular()) == ["test", "扬尘治理", "某某 丑闻"]


def test_hot_is_cached_briefly(log_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log_file.parent.mkdir()
    _seed(log_file, [("营商环境", 1)])
    log = QueryLog(log_file)
    assert log.hot() == [("营商环境", 1)]
    _seed(log_file, [("扬尘治理", 1)] * 2)
    assert log.hot() == [("营商环境", 1)]  # from the cache
    monkeypatch.setattr(querylog, "REFRESH_SECONDS", 0.0)
    assert log.hot() == [("营商环境", 1)]  # stale, while a thread reads the new list
    deadline = time.monotonic() + 5
    while log.hot() != [("扬尘治理", 2), ("营商环境", 1)]:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_log_file_not_yet_given_its_table_reads_as_empty(
    log_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_file.parent.mkdir()
    sqlite3.connect(log_file).close()  # as the writer leaves it before its first statement
    log = QueryLog(log_file)
    assert log.popular() == [] and log.top() == [] and log.hot() == []
    assert "not read" not in caplog.text
    _seed(log_file, [("营商环境", 1)])
    assert log.popular() == [("营商环境", 1)]


def test_api_hot_and_the_home_page(logged_app: Flask, log_file: Path) -> None:
    _seed(log_file, [("营商环境", 4)] * 3 + [("扬尘治理", 1)] + [("查无此词", 0)] * 9)
    client = logged_app.test_client()
    body = client.get("/api/hot?limit=10").get_json()
    assert body == {
        "ok": True,
        "queries": [{"text": "营商环境", "count": 3}, {"text": "扬尘治理", "count": 1}],
    }
    assert client.get("/api/hot?limit=1").get_json()["queries"] == [
        {"text": "营商环境", "count": 3}
    ]
    home = client.get("/").get_data(as_text=True)
    assert "热门搜索" in home and "查无此词" not in home
    assert '<a href="/search?q=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83">营商环境</a>' in home
    frame = client.get("/embed").get_data(as_text=True)
    assert "热门搜索" in frame and "/embed?q=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83" in frame


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"limit": "0"}, "limit"), ({"limit": "51"}, "limit"), ({"days": "-1"}, "days")],
)
def test_api_hot_names_a_bad_parameter(
    client: FlaskClient, params: dict[str, str], parameter: str
) -> None:
    response = client.get("/api/hot", query_string=params)
    assert response.status_code == 400 and response.get_json()["parameter"] == parameter


def test_the_home_page_without_hot_searches_has_no_empty_list(client: FlaskClient) -> None:
    app = create_app({"TESTING": True, "INDEX_DIR": "none", "QUERY_LOG": "off"})
    assert "热门搜索" not in app.test_client().get("/").get_data(as_text=True)


# Related searches


def test_related_share_a_word_have_hits_and_are_not_the_query(log_file: Path) -> None:
    log_file.parent.mkdir()
    _seed(
        log_file,
        [("优化营商环境", 1)] * 3
        + [("营商环境 评价", 1)] * 5
        + [("营商环境", 1)] * 9
        + [("营商环境 投诉", 0)] * 9
        + [("扬尘治理", 1)] * 20,
    )
    log = QueryLog(log_file)
    assert log.related("營商環境") == [("营商环境 评价", 5), ("优化营商环境", 3)]
    assert log.related("营商环境 评价") == [("营商环境", 9), ("优化营商环境", 3)]
    assert log.related("的") == [] and log.related("") == []


def test_related_searches_on_the_results_page_and_in_the_api(
    logged_app: Flask, log_file: Path
) -> None:
    _seed(log_file, [("扬尘污染防治", 2)] * 2 + [("施工扬尘", 1)])
    client = logged_app.test_client()
    page = client.get("/search?q=扬尘").get_data(as_text=True)
    assert "相关搜索" in page
    assert page.index(">扬尘污染防治</a>") < page.index(">施工扬尘</a>")
    body = client.get("/api/search?q=扬尘").get_json()
    assert body["related"] == [
        {"text": "扬尘污染防治", "count": 2},
        {"text": "施工扬尘", "count": 1},
    ]


# govsearch queries


def _queries(log_file: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["queries", "--log", str(log_file), *args])


def test_queries_lists_what_people_look_for(log_file: Path) -> None:
    log_file.parent.mkdir()
    _seed(log_file, [("营商环境", 3)] * 2 + [("查无此词", 0)] * 3 + [("扬尘治理", 1)])
    _seed(log_file, [("扬尘治理", 0)] * 4 + [("老问题", 0)], days_ago=20)
    result = _queries(log_file)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["searches", "no", "hits", "last", "asked", "query"]
    assert [line.split()[0::3] for line in lines[1:]] == [
        ["5", "扬尘治理"],
        ["3", "查无此词"],
        ["2", "营商环境"],
        ["1", "老问题"],
    ]
    zero = json.loads(_queries(log_file, "--zero-hits", "--json").output)
    assert [(q["text"], q["count"], q["zero_hits"]) for q in zero] == [
        ("查无此词", 3, 3),
        ("老问题", 1, 1),
    ]
    since = (NOW - timedelta(days=2)).strftime("%Y-%m-%d")
    recent = json.loads(_queries(log_file, "--since", since, "--top", "2", "--json").output)
    assert [(q["text"], q["count"]) for q in recent] == [("查无此词", 3), ("营商环境", 2)]
    assert json.loads(_queries(log_file, "--since", since, "--zero-hits", "--json").output)[0][
        "last_asked"
    ].startswith(NOW.strftime("%Y-%m-%d")[:4])


def test_queries_says_what_to_do_without_a_log(tmp_path: Path) -> None:
    result = _queries(tmp_path / "none.sqlite3")
    assert result.exit_code == 3 and "no query log at" in result.output
    off = CliRunner().invoke(cli, ["queries"], env={"GOVSEARCH_QUERY_LOG": "off"})
    assert off.exit_code == 3 and "off" in off.output
    bad = _queries(tmp_path / "none.sqlite3", "--since", "yesterday")
    assert bad.exit_code == 2


# What the log feeds the completions, and what a pinyin search leaves in it


def test_popular_queries_are_offered_while_typing(logged_app: Flask, log_file: Path) -> None:
    _seed(log_file, [("营商环境 优化服务", 4)] * 3 + [("营商宇航员", 0)] * 5)
    client = logged_app.test_client()
    for typed in ("营商", "yingshang", "yshj"):
        body = client.get("/api/suggest", query_string={"q": typed}).get_json()
        queries = [s for s in body["suggestions"] if s["kind"] == "query"]
        assert queries == [{"text": "营商环境 优化服务", "kind": "query", "count": 3}], typed
    texts = [s["text"] for s in client.get("/api/suggest?q=营商").get_json()["suggestions"]]
    assert "营商宇航员" not in texts  # it found nothing: never offered


def test_a_pinyin_search_is_logged_as_the_term_it_searched(
    logged_app: Flask, log_file: Path
) -> None:
    client = logged_app.test_client()
    body = client.get("/api/search?q=yshj").get_json()
    assert body["pinyin"]["searched"] == "营商环境"
    _flush(logged_app)
    assert [row["query"] for row in _rows(log_file)] == ["营商环境"]


def test_a_query_is_counted_with_its_or_kept(log_file: Path) -> None:
    assert normalize_query("扬尘  阳城 OR 晋城") == "扬尘 阳城 OR 晋城"
    assert normalize_query("扬尘 ＯＲ 晋城 or Ｗｏｒｄ") == "扬尘 OR 晋城 or word"
    log_file.parent.mkdir()
    _seed(log_file, [("扬尘 阳城 OR 晋城", 1)])
    assert QueryLog(log_file).popular() == [("扬尘 阳城 OR 晋城", 1)]


def test_a_pasted_passage_is_never_a_hot_search(log_file: Path) -> None:
    pasted = "现将我局2020年法治政府建设工作总结如下一、主要举措和成效做好科技支撑持续创优营商环境"
    log_file.parent.mkdir()
    _seed(log_file, [(pasted, 3)] * 5 + [("营商环境", 2)])
    assert QueryLog(log_file).popular() == [("营商环境", 1)]


def test_the_block_list_holds_back_completions_too(sample_index: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked.txt"
    blocked.write_text("# nothing blocked yet\n", "utf-8")
    client = create_app(
        {"TESTING": True, "INDEX_DIR": str(sample_index), "QUERY_BLOCKLIST": str(blocked)}
    ).test_client()

    def offered(typed: str) -> list[str]:
        body = client.get("/api/suggest", query_string={"q": typed, "limit": 3}).get_json()
        return [s["text"] for s in body["suggestions"]]

    before = offered("营商")
    assert any("营商环境" in text for text in before)
    blocked.write_text("营商环境\n", "utf-8")
    for typed in ("营商", "yshj"):
        assert not any("营商环境" in text for text in offered(typed)), typed


def test_queries_are_shown_with_the_marks_they_were_typed_with(log_file: Path) -> None:
    log_file.parent.mkdir()
    question = "房东把房子卖了，我还能继续住吗？"
    _seed(log_file, [(question, 2), ("房东 押金", 1), ("covid-19 防控", 1)] * 3)
    [counted] = {row["query"] for row in _rows(log_file) if "房东把" in row["query"]}
    assert counted == "房东把房子卖了,我还能继续住吗?"  # folded, to count every spelling once
    log = QueryLog(log_file)
    shown = dict(log.popular())
    assert shown[question] == 3 and shown["covid-19 防控"] == 3  # marks beside words as typed
    # a query is never its own related search, however it was spelled
    assert [text for text, _ in log.related(question)] == ["房东 押金"]
    assert [text for text, _ in log.related("房东把房子卖了,我还能继续住吗?")] == ["房东 押金"]
