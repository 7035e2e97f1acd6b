"""A reindex never removes most of the collection by accident: an empty or unmounted corpus,
or one with most of its files gone, leaves the live index as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from search.cli import cli
from search.index.build import full_build
from search.index.shrink import parse_limit
from search.index.store import LIVE_LINK
from search.ingest.read import find_documents

REFUSED = 3


def govsearch(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def figures(index_dir: Path) -> dict[str, object]:
    result = govsearch("stats", "--json", "--index", str(index_dir))
    assert result.exit_code == 0, result.output
    import json

    return json.loads(result.output)  # type: ignore[no-any-return]


@pytest.fixture
def built(corpus_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(corpus, index) with the index built from the whole corpus."""
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir)
    return corpus_copy, index_dir


def remove_files(corpus: Path, count: int) -> None:
    for path in find_documents(corpus)[:count]:
        path.unlink()


@pytest.mark.parametrize("full", [False, True])
def test_an_empty_corpus_changes_nothing(built: tuple[Path, Path], tmp_path: Path, full: bool):
    corpus, index_dir = built
    before = figures(index_dir)
    live = (index_dir / LIVE_LINK).resolve()
    empty = tmp_path / "unmounted"
    empty.mkdir()
    args = ["reindex", "--corpus", str(empty), "--index", str(index_dir), "-q"]
    result = govsearch(*args, *(["--full"] if full else []))
    assert result.exit_code == REFUSED
    assert "no readable document" in result.output and str(empty) in result.output
    assert f"the index at {index_dir} was left as it is" in result.output
    assert (index_dir / LIVE_LINK).resolve() == live
    assert figures(index_dir) == before
    # Even a confirmed shrink never leaves an index with nothing in it.
    result = govsearch(*args, *(["--full"] if full else []), "--allow-shrink")
    assert result.exit_code == REFUSED
    assert figures(index_dir) == before


@pytest.mark.parametrize("full", [False, True])
def test_a_corpus_of_unreadable_files_changes_nothing(built: tuple[Path, Path], full: bool):
    corpus, index_dir = built
    before = figures(index_dir)
    for path in find_documents(corpus):
        path.write_bytes(b"\x00\x01 not a document")
    args = ["reindex", "--corpus", str(corpus), "--index", str(index_dir), "-q"]
    result = govsearch(*args, *(["--full"] if full else []))
    assert result.exit_code == REFUSED
    assert "no readable document" in result.output
    assert figures(index_dir) == before


def test_the_first_build_of_an_empty_corpus_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "corpus"
    empty.mkdir()
    result = govsearch("reindex", "--corpus", str(empty), "--index", str(tmp_path / "ix"), "-q")
    assert result.exit_code == REFUSED
    assert not (tmp_path / "ix" / LIVE_LINK).exists()
    assert f"no index was built at {tmp_path / 'ix'}" in result.output


@pytest.mark.parametrize("full", [False, True])
def test_removing_more_than_the_limit_needs_confirming(built: tuple[Path, Path], full: bool):
    corpus, index_dir = built
    before = figures(index_dir)
    total = len(find_documents(corpus))
    remove_files(corpus, 4)  # 4 of 14: more than 20%
    args = ["reindex", "--corpus", str(corpus), "--index", str(index_dir), "-q"]
    args += ["--full"] if full else []
    result = govsearch(*args)
    assert result.exit_code == REFUSED
    assert f"remove 4 of the {total} documents" in result.output
    assert "--allow-shrink" in result.output
    assert figures(index_dir) == before

    assert govsearch(*args, "--allow-shrink").exit_code == 0
    assert figures(index_dir)["documents"] == total - 4


def test_the_limit_is_a_setting(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    total = len(find_documents(corpus))
    remove_files(corpus, 4)
    args = ["reindex", "--corpus", str(corpus), "--index", str(index_dir), "-q"]
    assert govsearch(*args, env={"GOVSEARCH_SHRINK_LIMIT": "50%"}).exit_code == 0
    assert figures(index_dir)["documents"] == total - 4
    bad = govsearch(*args, env={"GOVSEARCH_SHRINK_LIMIT": "lots"})
    assert bad.exit_code == 2 and "GOVSEARCH_SHRINK_LIMIT" in bad.output


def test_stats_count_only_live_documents_after_deletions(built: tuple[Path, Path]) -> None:
    corpus, index_dir = built
    before = figures(index_dir)
    gone = next(p for p in find_documents(corpus) if p.suffix == ".html")  # its own agency
    gone.unlink()
    result = govsearch("reindex", "--corpus", str(corpus), "--index", str(index_dir), "-q")
    assert result.exit_code == 0, result.output
    after = figures(index_dir)
    assert after["documents"] == before["documents"] - 1  # type: ignore[operator]
    assert after["sections"] < before["sections"]  # type: ignore[operator]
    rebuilt = govsearch(
        "reindex", "--full", "--corpus", str(corpus), "--index", str(index_dir), "-q"
    )
    assert rebuilt.exit_code == 0
    fresh = figures(index_dir)
    for key in ("documents", "sections", "agencies", "years", "topics"):
        assert after[key] == fresh[key], key


@pytest.mark.parametrize(
    ("text", "share"), [("20%", 0.2), ("0.2", 0.2), ("0", 0.0), ("100%", 1.0), (" 5% ", 0.05)]
)
def test_parse_limit(text: str, share: float) -> None:
    assert parse_limit(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["", "lots", "-1", "150%", "1.5"])
def test_parse_limit_refuses_what_is_not_a_share(text: str) -> None:
    with pytest.raises(ValueError):
        parse_limit(text)


def test_nothing_is_changed_before_the_refusal(built: tuple[Path, Path]) -> None:
    """The refused run writes nothing: not even the build record."""
    corpus, index_dir = built
    record = (index_dir / LIVE_LINK).resolve() / "build.json"
    stamp = os.stat(record).st_mtime_ns
    remove_files(corpus, 5)
    result = govsearch("reindex", "--corpus", str(corpus), "--index", str(index_dir), "-q")
    assert result.exit_code == REFUSED
    assert os.stat(record).st_mtime_ns == stamp


def test_a_full_build_refused_for_unreadable_files_names_them(built: tuple[Path, Path]) -> None:
    """Files that are there but cannot be read count as removed by a full build, and the
    refusal says which, so the operator fixes them rather than confirming the loss."""
    corpus, index_dir = built
    before = figures(index_dir)
    total = len(find_documents(corpus))
    broken = find_documents(corpus)[:4]
    for path in broken:
        path.write_bytes(b"\x00\x01 not a document")
    args = ["reindex", "--full", "--corpus", str(corpus), "--index", str(index_dir), "-q"]
    result = govsearch(*args, "--procs", "2")
    assert result.exit_code == REFUSED
    assert f"remove 4 of the {total} documents" in result.output
    assert "4 of them could not be read" in result.output
    for path in broken:
        assert str(path) in result.output
    assert figures(index_dir) == before

    confirmed = govsearch(*args, "--allow-shrink")
    assert confirmed.exit_code == 1  # built, with the failures listed
    assert figures(index_dir)["documents"] == total - 4
