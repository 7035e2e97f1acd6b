"""The query log benchmark sends every request to both apps, the logging one and the other."""

from __future__ import annotations

from pathlib import Path

from bench.querylog import apps, taking_turns
from web.querylog import close_query_log, query_log


def test_each_request_goes_to_both_apps_and_only_one_logs(
    sample_index: Path, tmp_path: Path
) -> None:
    both = apps(sample_index, tmp_path / "querylog.sqlite3")
    clients = {setup: app.test_client() for setup, app in both.items()}
    params = [{"q": "营商环境"}, {"q": "行政许可"}, {"q": "安全生产"}]
    try:
        times = taking_turns(clients, "/api/search", params, rounds=2)
        log = query_log(both["on"])
        assert log is not None and log.flush()
        assert log.written == 6
        assert query_log(both["off"]) is None
    finally:
        close_query_log(both["on"])
    assert {setup: len(found) for setup, found in times.items()} == {"on": 6, "off": 6}
    assert all(ms > 0 for found in times.values() for ms in found)
