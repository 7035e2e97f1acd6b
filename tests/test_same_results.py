"""bench/same_results.py: two dumps of one engine agree, and a changed result is reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "same_results.py"
QUESTIONS = {
    "1": "如何优化营商环境？",
    "2": "建筑工地扬尘污染怎么防治",
    "3": "科技项目扶持资金有哪些",
    "4": "医疗保险政府信息公开了什么？",
    "5": "安全生产工作总结",
}


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A shared-data folder laid out like the real one: corpus/ as its documents and a few
    STARD-style questions."""
    folder = tmp_path / "shared"
    docs = folder / "corpus" / "gov" / "docs"
    docs.mkdir(parents=True)
    for path in sorted((ROOT / "corpus").rglob("*.txt")):
        (docs / path.name).symlink_to(path)
    stard = folder / "bench" / "stard"
    stard.mkdir(parents=True)
    rows = [f"{qid}\t{text}" for qid, text in QUESTIONS.items()]
    (stard / "queries_dev.tsv").write_text("\n".join(rows) + "\n", "utf-8")
    (stard / "qrels_dev.tsv").write_text(
        "".join(f"{qid}\t0\t营商环境条例第一条\t1\n" for qid in QUESTIONS), "utf-8"
    )
    (stard / "laws.tsv").write_text("title\tshort\n优化营商环境条例\t营商环境条例\n", "utf-8")
    return folder


def _run(*args: str, shared: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVSEARCH_SHARED": str(shared)}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, cwd=ROOT
    )


def _dump(sample_index: Path, out: Path, shared: Path) -> dict[str, object]:
    done = _run(
        "dump",
        *("--index", str(sample_index), "--out", str(out)),
        *("--per-kind", "4", "--known-items", "4"),
        shared=shared,
    )
    assert done.returncode == 0, done.stderr
    dumped: dict[str, object] = json.loads(out.read_text("utf-8"))
    return dumped


def test_two_dumps_of_one_checkout_agree_and_a_changed_hit_is_found(
    sample_index: Path, shared: Path, tmp_path: Path
) -> None:
    first = _dump(sample_index, tmp_path / "first.json", shared)
    _dump(sample_index, tmp_path / "second.json", shared)
    searches = first["searches"]
    assert isinstance(searches, list)
    kinds = {record["kind"].split(" ")[0] for record in searches}
    assert {"keyword", "pasted", "question", "filtered", "date", "deep", "dev", "known"} <= kinds
    assert len([r for r in searches if r["kind"].startswith("dev ")]) == 5 * len(QUESTIONS)
    assert first["semantic"] == "off"  # the sample index has no section vectors
    with_hits = next(r for r in searches if r["result"].get("hits"))
    assert set(with_hits["result"]) >= {"total", "total_sections", "relaxed", "full_matches"}
    assert set(with_hits["result"]) >= {"facets", "suggestion", "scores"}
    assert with_hits["result"]["hits"][0]["passages"]

    same = _run(
        "compare", str(tmp_path / "first.json"), str(tmp_path / "second.json"), shared=shared
    )
    assert same.returncode == 0, same.stdout
    assert same.stdout.rstrip().endswith("identical")

    with_hits["result"]["hits"][0]["id"] = "changed:s-1"
    (tmp_path / "changed.json").write_text(json.dumps(first, ensure_ascii=False), "utf-8")
    changed = _run(
        "compare", str(tmp_path / "second.json"), str(tmp_path / "changed.json"), shared=shared
    )
    assert changed.returncode == 1
    assert "1 of them differ" in changed.stdout
    assert '.hits[0].id: "' in changed.stdout and '!= "changed:s-1"' in changed.stdout
    assert changed.stdout.rstrip().endswith("DIFFERENT")


def test_a_checkouts_engine_is_timed_in_its_own_process(sample_index: Path) -> None:
    """bench/query.py --baseline-checkout: each checkout's process answers each query with its
    time, and with a digest that two processes of one engine give alike for the same query."""
    from bench.query import CheckoutRunner, Query, differing_between

    mix: dict[str, list[Query]] = {
        "keyword": [("营商环境", {}), ("安全生产", {"sort": "date"})],
        "deep": [("政府信息公开", {"page": 2})],
        "filtered": [("医疗保险", {"year": "2020"})],
    }
    ours, other = CheckoutRunner(ROOT, sample_index), CheckoutRunner(ROOT, sample_index)
    try:
        assert differing_between(ours, other, mix) == 0
        assert other.digest(mix["keyword"][0]) != other.digest(mix["keyword"][1])
        other.new_round()
        times = [other(kind, query) for kind in mix for query in mix[kind]]
        assert all(0 < ms < 60_000 for ms in times), times
    finally:
        ours.close()
        other.close()
    assert ours.process.returncode == other.process.returncode == 0
