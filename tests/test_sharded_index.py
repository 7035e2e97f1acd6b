"""`govsearch reindex --shards N`: the sample corpus split into 2 and 3 real indexes by a
stable hash of doc_id, opened as one index and searched through the shards' merge, against
one index of the whole corpus: the same hits in the same order, the same scores (BM25F
reads the collection's statistics on every shard), totals, facets and passages."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from whoosh import index as whoosh_index

from search.cli import cli
from search.errors import IndexMissing
from search.index.build import full_build
from search.index.live import SearchIndex
from search.index.shards import (
    MANIFEST,
    Manifest,
    ShardedIndex,
    open_search_index,
    reindex_shards,
    shard_directory,
    shard_of,
)
from search.index.store import live_build, read_build_info
from search.query.request import SearchRequest
from search.rank import knobs
from search.results import SearchResults, run_search
from search.stats import index_stats
from web import create_app

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

REQUESTS: list[dict[str, Any]] = [
    {"text": "管理"},  # a keyword on every shard
    {"text": "管理", "collapse": "false"},
    {"text": "营商环境"},
    {"text": '"政府信息公开"'},  # a phrase
    {"text": "安全 -生产"},
    {"text": "管理", "agencies": ["县科学技术局", "阳城县财政局"], "year": "2017-2021"},
    {"text": "工作", "topic": "科技创新"},
    {"text": "管理", "date_from": "2019-01-01", "date_to": "2022-12-31"},
    {"text": "", "year": "2019-2022"},  # browsing, filtered: every score the same
    {"text": "管理", "sort": "date"},
    {"text": "工作", "sort": "date_asc", "collapse": "false"},
    {"text": "管理", "page": 2, "size": 5},  # deep pages
    {"text": "工作", "page": 3, "size": 4, "collapse": "false"},
    {"text": "", "sort": "date", "page": 3, "size": 3},
    {"text": "如何申请政府信息公开"},  # questions
    {"text": "企业开办需要多长时间办完", "collapse": "false"},
    {"text": "扬尘 施工"},  # every word in one document: other shards must not relax
    {"text": "办法", "scope": "title"},
    {"text": "行攻"},  # a suggestion
    {"text": "政府信息工开"},  # a suggestion by sound
]


@pytest.fixture(scope="module", params=[2, 3])
def sharded_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp(f"sharded-{request.param}")
    summary = reindex_shards(CORPUS, index_dir, request.param, full=True)
    assert not summary.failed and summary.indexed == len(list(CORPUS.rglob("*.*"))) - 1
    return index_dir


@pytest.fixture(scope="module")
def sharded(sharded_dir: Path) -> Iterator[SearchIndex | ShardedIndex]:
    with open_search_index(sharded_dir, cache_size=0) as opened:
        yield opened


@pytest.fixture(scope="module")
def whole(sample_index: Path) -> Iterator[SearchIndex]:
    with SearchIndex(sample_index, cache_size=0) as opened:
        yield opened


def answer(results: SearchResults) -> dict[str, Any]:
    """What a reader sees of the results (hits with passages, totals, facets, suggestion)."""
    return results.to_json() | {"took_ms": 0}


@pytest.mark.parametrize("options", REQUESTS, ids=[str(r) for r in REQUESTS])
def test_a_sharded_index_answers_as_one_index(
    sharded: ShardedIndex, whole: SearchIndex, options: dict[str, Any]
) -> None:
    request = SearchRequest.create(**options)
    merged, alone = run_search(sharded, request), run_search(whole, request)
    assert alone.total or alone.suggestion, "the request finds something in one index"
    assert answer(merged) == answer(alone)
    assert [hit.score for hit in merged.hits] == pytest.approx(
        [hit.score for hit in alone.hits], abs=1e-6
    )


def test_every_shard_is_an_ordinary_index_of_whole_documents(sharded_dir: Path) -> None:
    manifest = Manifest.read(sharded_dir)
    assert manifest is not None
    data = json.loads((sharded_dir / MANIFEST).read_text("utf-8"))
    assert data["shards"] == manifest.shards and "sha256" in data["hash"]
    documents = 0
    for number in range(manifest.shards):
        with SearchIndex(shard_directory(sharded_dir, number)) as shard, shard.searcher():
            doc_ids = shard.columns.live_values("doc_id")
        assert doc_ids and all(shard_of(doc_id, manifest.shards) == number for doc_id in doc_ids)
        documents += len(doc_ids)
    with open_search_index(sharded_dir) as opened:
        assert index_stats(opened)["documents"] == documents


def test_stats_count_every_shard_and_each(sharded: ShardedIndex, whole: SearchIndex) -> None:
    total, alone = index_stats(sharded), index_stats(whole)
    for key in ("documents", "sections", "agencies", "years", "topics"):
        assert total[key] == alone[key], key
    shards = total["shards"]
    assert len(shards) == len(sharded.shards)
    assert sum(shard["sections"] for shard in shards) == alone["sections"]


def test_a_document_and_a_section_open_from_their_shard(
    sharded: ShardedIndex, whole: SearchIndex
) -> None:
    from search.documents import load_document, load_section

    hit = run_search(whole, SearchRequest.create("扬尘")).hits[0]
    assert load_document(sharded, hit.doc_id) == load_document(whole, hit.doc_id)
    assert load_section(sharded, hit.id) == load_section(whole, hit.id)
    assert load_document(sharded, "no/such/document") is None


def test_completions_offer_every_shard_s_titles(sharded: ShardedIndex, whole: SearchIndex) -> None:
    # Titles count documents, each on one shard: summed, they are the whole index's. (A
    # body word is offered once MIN_TERM_SECTIONS sections of one shard hold it.)
    from search.complete import complete

    for text in ("阳城", "yc", "关于"):
        titles = {c for c in complete(whole, text, limit=50) if c.kind == "title"}
        assert titles and titles <= set(complete(sharded, text, limit=50)), text


def test_the_web_app_serves_a_sharded_directory(sharded_dir: Path, sample_index: Path) -> None:
    answers = []
    for index_dir in (sharded_dir, sample_index):
        app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "QUERY_LOG": "off"})
        client = app.test_client()
        found = client.get("/api/search", query_string={"q": "管理", "page": 2, "size": 3})
        health = client.get("/healthz").get_json()
        answers.append((found.get_json() | {"took_ms": 0}, health["documents"]))
        assert client.get("/search", query_string={"q": "营商环境"}).status_code == 200
    assert answers[0] == answers[1]


def _build_shard_with_other_stopwords(index_dir: Path, tmp_path: Path, number: int) -> None:
    manifest = Manifest.read(index_dir)
    assert manifest is not None
    stopwords = tmp_path / "stopwords.txt"
    stopwords.write_text("的\n了\n管理\n", "utf-8")
    os.environ["GOVSEARCH_STOPWORDS"] = str(stopwords)
    try:
        full_build(
            CORPUS,
            shard_directory(index_dir, number),
            partition=lambda doc_id: shard_of(doc_id, manifest.shards) == number,
        )
    finally:
        del os.environ["GOVSEARCH_STOPWORDS"]


def test_shards_that_analyse_text_differently_are_refused_by_name(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    reindex_shards(CORPUS, index_dir, 3, full=True)
    _build_shard_with_other_stopwords(index_dir, tmp_path, 1)
    recorded = [
        read_build_info(live_build(shard_directory(index_dir, n)))["analysis"] for n in range(3)
    ]
    assert recorded[0] == recorded[2] != recorded[1]
    with pytest.raises(IndexMissing) as refused:
        open_search_index(index_dir)
    message = str(refused.value)
    assert "analyse text differently" in message
    assert "shard-00, shard-02: " in message and "shard-01: " in message and "stopwords" in message
    assert f"govsearch reindex --full --index {index_dir}" in message

    result = CliRunner().invoke(cli, ["search", "管理", "--index", str(index_dir)])
    assert result.exit_code == 3 and "shard-01" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)

    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "QUERY_LOG": "off"})
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and "shard-01" in health.get_json()["error"]
    assert app.test_client().get("/api/search?q=管理").status_code == 503


def test_a_shard_rebuilt_differently_while_serving_is_refused(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    reindex_shards(CORPUS, index_dir, 2, full=True)
    with open_search_index(index_dir) as opened:
        assert run_search(opened, SearchRequest.create("管理")).total
        _build_shard_with_other_stopwords(index_dir, tmp_path, 0)
        with pytest.raises(IndexMissing, match="shard-00"):
            run_search(opened, SearchRequest.create("管理"))


def _state(index_dir: Path, number: int) -> tuple[Path, int, str]:
    """A shard's live build, the generation of its table of contents, its last update."""
    directory = shard_directory(index_dir, number)
    build = live_build(directory)
    ix = whoosh_index.open_dir(str(build))
    try:
        generation = ix.latest_generation()
    finally:
        ix.close()
    return build, generation, json.dumps(read_build_info(build).get("last_update"))


def test_an_update_of_one_changed_file_writes_only_its_shard(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    reindex_shards(corpus_copy, index_dir, 3, full=True)
    changed = corpus_copy / "samples" / "2018_jincheng_dust_measures.txt"
    owner = shard_of("samples/2018_jincheng_dust_measures", 3)
    before = [_state(index_dir, n) for n in range(3)]
    with changed.open("a", encoding="utf-8") as text:
        text.write("\n第九条 本办法所称喷淋降尘车，由县生态环境局统一调度。\n")

    summary = reindex_shards(corpus_copy, index_dir, 3)

    assert (summary.updated, summary.indexed, summary.deleted) == (1, 0, 0)
    after = [_state(index_dir, n) for n in range(3)]
    for number in range(3):
        if number == owner:
            assert after[number][0] == before[number][0]  # updated in place, not rebuilt
            assert after[number][1] > before[number][1] and after[number][2] != before[number][2]
        else:
            assert after[number] == before[number], f"shard {number} was written"
    with open_search_index(index_dir) as opened:
        hits = run_search(opened, SearchRequest.create("喷淋降尘车")).hits
    assert [hit.doc_id for hit in hits] == ["samples/2018_jincheng_dust_measures"]


def test_the_commands_reindex_search_and_report_shards(tmp_path: Path) -> None:
    runner = CliRunner()
    index_dir = tmp_path / "index"
    common = ["--corpus", str(CORPUS), "--index", str(index_dir), "-q"]
    assert runner.invoke(cli, ["reindex", "--shards", "2", *common]).exit_code == 0
    assert sorted(p.name for p in index_dir.iterdir() if not p.name.startswith(".")) == [
        "shard-00",
        "shard-01",
        MANIFEST,
    ]
    # Without --shards, the manifest says how many: an update of each, nothing changed.
    assert runner.invoke(cli, ["reindex", *common]).exit_code == 0
    refused = runner.invoke(cli, ["reindex", "--shards", "3", *common])
    assert refused.exit_code == 3 and "holds 2 shards, not 3" in refused.output
    too_many = tmp_path / "too-many"
    refused = runner.invoke(
        cli, ["reindex", "--shards", "64", "--corpus", str(CORPUS), "--index", str(too_many)]
    )
    assert refused.exit_code == 3 and "of 64 shards: split it into fewer" in refused.output
    assert not (too_many / MANIFEST).exists()

    stats = runner.invoke(cli, ["stats", "--index", str(index_dir), "--json"])
    figures = json.loads(stats.output)
    assert [shard["documents"] for shard in figures["shards"]] and figures["documents"] == sum(
        shard["documents"] for shard in figures["shards"]
    )
    text = runner.invoke(cli, ["stats", "--index", str(index_dir)]).output
    assert "shard: 0" in text and "shard: 1" in text
    # The years once, in one line, for people (--json keeps each figure).
    assert re.search(r"^ +years: \d{4}-\d{4} \(\d+ distinct\)$", text, re.M)
    assert "first_year" not in text and "first_year" in figures

    found = runner.invoke(cli, ["search", "营商环境", "--index", str(index_dir), "--json"])
    assert found.exit_code == 0 and json.loads(found.output)["total"] > 0


def test_a_single_index_directory_stays_one_index(tmp_path: Path, sample_index: Path) -> None:
    assert not (sample_index / MANIFEST).exists()
    with open_search_index(sample_index) as opened:
        assert isinstance(opened, SearchIndex)
    refused = CliRunner().invoke(
        cli, ["reindex", "--shards", "2", "--corpus", str(CORPUS), "--index", str(sample_index)]
    )
    assert refused.exit_code == 3 and "holds a single index" in refused.output


@pytest.mark.parametrize("depth", [100, 2])
def test_embed_fills_every_shard_and_questions_fuse_meaning_as_one_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int
) -> None:
    """A question's candidates by words and by meaning are ranked over every shard before
    each shard fuses them: a section found by meaning alone on a shard where the words find
    nothing still ranks where one index ranks it. At a depth below the collection's size,
    the shards' nearest together are the collection's nearest, for the search and for each
    facet's counts."""
    monkeypatch.setattr(knobs, "DENSE_DEPTH", depth)
    from test_hybrid import ANSWER, DOCUMENTS, QUESTION, SENTENCE, _write

    corpus, sharded_dir, single_dir = tmp_path / "corpus", tmp_path / "sharded", tmp_path / "one"
    corpus.mkdir()
    for name, document in DOCUMENTS.items():
        _write(corpus, name, *document)
    runner = CliRunner()
    for index_dir, shards in ((sharded_dir, ["--shards", "2"]), (single_dir, [])):
        options = ["-q", "--corpus", str(corpus), "--index", str(index_dir), *shards]
        built = runner.invoke(cli, ["reindex", *options])
        assert built.exit_code == 0, built.output
        embedded = runner.invoke(cli, ["embed", "-q", "--index", str(index_dir)])
        assert embedded.exit_code == 0, embedded.output
    requests = [
        SearchRequest.create(QUESTION, collapse="false", size=100),
        SearchRequest.create(QUESTION),
        SearchRequest.create(QUESTION, size=2, page=2),
        SearchRequest.create(QUESTION, year="2019-2022"),
        SearchRequest.create(QUESTION, agencies=["临川县司法局", "临川县生态环境局"]),
        SearchRequest.create(SENTENCE, collapse="false", size=100),
        SearchRequest.create(QUESTION, sort="date", collapse="false", size=100),
    ]
    with (
        open_search_index(sharded_dir, cache_size=0, semantic=True) as sharded,
        SearchIndex(single_dir, cache_size=0, semantic=True) as one,
    ):
        stats = index_stats(sharded)
        assert stats["vectors"] == sum(shard["vectors"] for shard in stats["shards"])
        assert all(shard["vectors"] for shard in stats["shards"])
        assert {shard_of(name, 2) for name in DOCUMENTS} == {0, 1}
        for request in requests:
            merged, alone = run_search(sharded, request), run_search(one, request)
            assert answer(merged) == answer(alone)
            assert [hit.score for hit in merged.hits] == pytest.approx(
                [hit.score for hit in alone.hits], abs=1e-6
            )
        found = run_search(sharded, requests[0]).hits
        assert {hit.id: hit.matched for hit in found}[ANSWER] == "meaning"
