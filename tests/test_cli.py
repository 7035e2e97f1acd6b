from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS

from search.cli import cli
from search.index.store import reindex_lock


def govsearch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "search.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_reindex_then_search_json(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    built = govsearch("reindex", "--corpus", str(CORPUS), "--index", str(index_dir), "--full")
    assert built.returncode == 0, built.stderr
    assert "full build: 14 indexed" in built.stdout
    assert built.stderr.splitlines()[0] == "indexing"  # the bar, as a pipe shows it
    found = govsearch(
        "search", "扬尘污染防治", "--index", str(index_dir), "--json", "--limit", "3", "--sections"
    )
    assert found.returncode == 0, found.stderr
    document = json.loads(found.stdout)
    assert document["ok"] is True
    assert document["total"] >= 3
    assert len(document["hits"]) == 3
    hit = document["hits"][0]
    assert set(hit) >= {
        "id",
        "doc_id",
        "title",
        "agency",
        "year",
        "topic",
        "heading",
        "breadcrumb",
        "passages",
        "more_sections",
    }
    assert hit["doc_id"] == "samples/2018_jincheng_dust_measures"
    assert hit["agency"] == "晋城市生态环境局" and hit["year"] == 2018
    assert "<mark>扬尘污染防治</mark>" in hit["passages"][0]


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    env = {"GOVSEARCH_INDEX": str(tmp_path / "envix"), "GOVSEARCH_CORPUS": str(CORPUS)}
    quiet = govsearch("reindex", "--quiet", env=env)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    stats = govsearch("stats", "--json", env=env)
    figures = json.loads(stats.stdout)
    assert figures["documents"] == 14
    assert figures["years"] == "2016-2024 (9 distinct)"
    assert figures["index_size_mb"] > 0


def test_failed_files_exit_1_and_are_listed(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    result = govsearch("reindex", "--corpus", str(corpus_copy), "--index", str(tmp_path / "ix"))
    assert result.returncode == 1
    assert "1 failed" in result.stdout
    assert f"failed: {corpus_copy / 'bad.txt'}:1: UTF-16" in result.stderr
    # the others went in
    assert (
        json.loads(govsearch("stats", "--json", "--index", str(tmp_path / "ix")).stdout)[
            "documents"
        ]
        == 14
    )


@pytest.mark.parametrize(
    "args",
    [
        ["reindex", "--corpus", "/no/such/dir"],
        ["reindex", "--bogus"],
        ["search", "x", "--year", "twenty"],
        ["search", "x", "--limit", "0"],
        ["search"],
        ["reindex", "--procs", "0"],
        ["serve", "--port", "99999"],
        ["serve", "--port", "-1"],
        ["cluster", "start", "--port", "65536"],
    ],
)
def test_usage_errors_exit_2(args: list[str], sample_index: Path) -> None:
    result = CliRunner().invoke(cli, [*args, "--index", str(sample_index)])
    assert result.exit_code == 2, result.output


def test_year_error_names_the_option(sample_index: Path) -> None:
    result = CliRunner().invoke(
        cli, ["search", "x", "--year", "2020-2018", "--index", str(sample_index)]
    )
    assert result.exit_code == 2
    assert "--year" in result.output and "backwards" in result.output


def test_a_query_too_long_is_named_as_the_query(sample_index: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "营" * 600, "--index", str(sample_index)])
    assert result.exit_code == 2
    assert "Invalid value for QUERY" in result.output and "--q" not in result.output


@pytest.mark.parametrize("command", [["search", "法治"], ["stats"], ["embed"]])
def test_a_missing_index_names_the_reindex_of_that_index(
    tmp_path: Path, command: list[str]
) -> None:
    index_dir = tmp_path / "none"
    result = CliRunner().invoke(cli, [*command, "--index", str(index_dir)])
    assert result.exit_code == 3
    assert f"run `govsearch reindex --index {index_dir}` first" in result.output


def test_an_index_of_another_version_names_the_full_reindex_of_that_index(
    sample_index: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "old"
    shutil.copytree(sample_index, index_dir, symlinks=True)
    build = (index_dir / "current").resolve()
    info = json.loads((build / "build.json").read_text("utf-8"))
    info["schema_version"] = -1
    (build / "build.json").write_text(json.dumps(info), "utf-8")
    result = CliRunner().invoke(cli, ["stats", "--index", str(index_dir)])
    assert result.exit_code == 3
    assert f"run `govsearch reindex --full --index {index_dir}` first" in result.output


def test_busy_index_stops_the_second_reindex(tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    with reindex_lock(index_dir):
        result = govsearch("reindex", "--corpus", str(CORPUS), "--index", str(index_dir))
    assert result.returncode == 3
    assert "another reindex" in result.stderr


def test_search_prints_ranked_sections(sample_index: Path) -> None:
    result = CliRunner().invoke(
        cli, ["search", "营商环境", "--agency", "阳城县人民政府", "--index", str(sample_index)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # the title names 营商环境, so every section of that notice is evidence
    # The search's own time, apart from reading the index's tables, which one process
    # (a server worker before its first search) reads once.
    assert re.fullmatch(r"1 document, 5 sections \(\d+ ms; reading the index \d+ ms\)", lines[0])
    assert (
        "阳城县人民政府关于印发阳城县进一步优化营商环境若干措施的通知 · 阳城县人民政府 · "
        "阳政发〔2021〕3号 · 2021-" in lines[2]  # its 发文字号 beside its agency
    )
    assert lines[2].endswith(" · 规范性文件")  # the kind, and the date rather than the year
    assert re.search(r" · 2021-\d\d-\d\d · ", lines[2])
    assert "【营商环境】" in result.output


def test_a_page_past_the_last_names_the_last(sample_index: Path) -> None:
    first = CliRunner().invoke(cli, ["search", "营商环境", "--index", str(sample_index)])
    documents = int(first.output.split(" document", 1)[0])
    assert documents > 1
    result = CliRunner().invoke(
        cli, ["search", "营商环境", "--limit", "1", "--page", "99", "--index", str(sample_index)]
    )
    assert result.exit_code == 0, result.output
    assert f"Page 99 lists nothing: the last is {documents}." in result.output


def test_a_relaxed_search_that_found_nothing_promises_no_rest(sample_index: Path) -> None:
    # no sample document speaks of leases: relaxed, the words still find nothing
    result = CliRunner().invoke(cli, ["search", "承租人把租赁物卖了", "--index", str(sample_index)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 documents, 0 sections")
    assert "the rest are ranked" not in result.output


def test_a_bad_procs_setting_is_a_usage_error(tmp_path: Path) -> None:
    result = govsearch(
        "reindex",
        "--corpus",
        str(CORPUS),
        "--index",
        str(tmp_path / "ix"),
        env={"GOVSEARCH_PROCS": "two"},
    )
    assert result.returncode == 2
    assert "GOVSEARCH_PROCS" in result.stderr
