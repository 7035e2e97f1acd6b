"""Shared fixtures: small real corpora and real indexes built from them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from search.index.build import full_build

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"
SEED_NAME = "000_cd729ddf2f2831ef.txt"


def write_county_document(folder: Path, name: str, title: str, articles: list[str]) -> None:
    """A county government's document of `articles`, one a line, as `folder/name`."""
    header = (
        "索 引 号: | | 主题分类: | 民政 |\n发布机构: | 某县人民政府 | 成文日期: | |\n"
        f"标 题: | {title} | ||\n发文字号: | | 发布日期: | 2020年01月03日 |\n"
    )
    (folder / name).write_text(header + "\n".join(articles) + "\n", "utf-8")


def shared_dir() -> Path:
    return Path(os.environ.get("GOVSEARCH_SHARED", ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jieba's cache and every setting point at test-owned places."""
    monkeypatch.setenv("GOVSEARCH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    for name in (
        "GOVSEARCH_INDEX",
        "GOVSEARCH_CORPUS",
        "GOVSEARCH_STOPWORDS",
        "GOVSEARCH_SEMANTIC",
        "GOVSEARCH_SHRINK_LIMIT",
        "GOVSEARCH_QUERY_LOG_DAYS",
        "GOVSEARCH_QUERY_BLOCKLIST",
    ):
        monkeypatch.delenv(name, raising=False)
    # Tests of hot, related and completed searches seed a search or two; the floor that
    # keeps a query asked once from others (3 by default) has tests of its own.
    monkeypatch.setenv("GOVSEARCH_HOT_MIN_COUNT", "1")
    # Apps share the sample index, so a log beside it would carry one test's searches into
    # another's hot list: a test that wants the log names its own file (QUERY_LOG).
    monkeypatch.setenv("GOVSEARCH_QUERY_LOG", "off")


@pytest.fixture(autouse=True)
def close_app_indexes() -> Iterator[None]:
    """Apps open their index once per process and keep it; tests close those of the apps
    they used after use."""
    from flask import appcontext_pushed

    from web.querylog import close_query_log
    from web.state import close_index

    used: dict[int, Flask] = {}

    def remember(app: Flask, **extra: object) -> None:
        used[id(app)] = app

    appcontext_pushed.connect(remember)
    yield
    appcontext_pushed.disconnect(remember)
    for app in used.values():
        close_index(app)
        close_query_log(app)


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    docs = shared_dir() / "corpus" / "gov" / "docs"
    if not docs.is_dir():
        pytest.fail(
            f"shared corpus missing at {docs}: set GOVSEARCH_SHARED to the shared data folder"
        )
    return docs


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of the project's own corpus/ (seed + samples), built once per session."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    summary = full_build(CORPUS, index_dir, procs=1)
    assert not summary.failed, summary.failed
    return index_dir


@pytest.fixture
def app(sample_index: Path, tmp_path: Path) -> Flask:
    """The web app over the sample index (`client` drives it), with a query log of its own:
    the default one, beside the index the whole session shares, would carry one test's
    searches into another's hot and related searches."""
    from web import create_app

    log = tmp_path / "querylog.sqlite3"
    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "QUERY_LOG": str(log)})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


TWO_SAMPLES = ("2021_yangcheng_business_environment.txt", "2017_yangcheng_keji_summary.txt")


@pytest.fixture
def small_index(tmp_path: Path) -> tuple[Path, Path]:
    """(corpus, index) of two sample documents, a dozen sections: quick to embed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in TWO_SAMPLES:
        shutil.copy(CORPUS / "samples" / name, corpus / name)
    index_dir = tmp_path / "ix"
    assert not full_build(corpus, index_dir, procs=1).failed
    return corpus, index_dir


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of corpus/ for tests that change files."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
