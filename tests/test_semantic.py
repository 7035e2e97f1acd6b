"""Questions ranked by meaning: the embedding command, the vector store and the re-ranking,
with the real bundled model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from flask import Flask

from search.cli import cli
from search.index import embedding
from search.index.build import full_build
from search.index.embedding import embed_index
from search.index.live import SearchIndex
from search.query.request import SearchRequest
from search.rank import knobs, semantic
from search.rank.semantic import rerank
from search.results import run_search
from search.vectors import model as embedding_model
from search.vectors.model import embed_texts, section_text, text_key
from search.vectors.store import VECTORS_DIR, DenseRows, VectorStore, quantized, write_shard
from web import create_app

QUESTION = "政府怎么保障公众参与重大行政决策？"
KEYWORDS = "营商环境"


@pytest.fixture
def index_copy(sample_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ix"
    shutil.copytree(sample_index, target, symlinks=True)
    return target


def _ids(index_dir: Path, text: str) -> list[str]:
    with SearchIndex(index_dir, cache_size=0) as index:
        request = SearchRequest.create(text, size=100, collapse=False)
        return [hit.id for hit in run_search(index, request).hits]


def test_embed_computes_each_vector_once_and_a_rebuild_reuses_them(
    index_copy: Path, tmp_path: Path
) -> None:
    args = ["embed", "--index", str(index_copy), "-q"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    store = VectorStore(index_copy)
    store.refresh()
    with SearchIndex(index_copy) as index, index.searcher() as searcher:
        sections = searcher.doc_count()
    assert 0 < len(store) <= sections  # sections with the same text share a vector

    stats = CliRunner().invoke(cli, ["stats", "--json", "--index", str(index_copy)])
    assert json.loads(stats.output)["vectors"] == len(store)

    again = CliRunner().invoke(cli, ["embed", "--index", str(index_copy)])
    assert again.exit_code == 0
    assert "0 embedded now" in again.output

    corpus = Path(__file__).resolve().parent.parent / "corpus"
    full_build(corpus, index_copy)  # same texts, new build: nothing to embed
    assert embed_index(index_copy).embedded == 0


def test_each_section_keeps_the_key_of_its_text_as_a_column(sample_index: Path) -> None:
    """Re-ranking reads the vector keys from a column: they must be those of the text that
    `govsearch embed` embeds."""
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        keys = index.columns.vector_keys
        texts = [section_text(searcher.stored_fields(d)) for d in range(searcher.doc_count_all())]
    assert keys.tolist() == [text_key(text) for text in texts]
    assert len(set(texts)) > 10


def test_an_interrupted_embed_keeps_its_shards_and_the_next_run_goes_on(
    index_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding, "SHARD_SECTIONS", 16)

    def stop_after_first_shard(done: int, todo: int) -> None:
        if done > 16:  # the second shard is computed, the first written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_index(index_copy, on_progress=stop_after_first_shard)
    folder = index_copy / VECTORS_DIR
    (folder / "000099.vecs.npy").write_bytes(b"half a shard")  # as a kill mid-write leaves
    store = VectorStore(index_copy)
    store.refresh()
    assert len(store) == 16

    summary = embed_index(index_copy)
    assert summary.already == 16
    assert summary.embedded > 0
    assert not (folder / "000099.vecs.npy").exists()


def test_only_questions_take_meaning_and_re_ranking_alone_keeps_the_same_sections(
    index_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(knobs, "MEANING_FLOOR", None)  # every nearest section may join
    words_only = {text: _ids(index_copy, text) for text in (QUESTION, KEYWORDS)}
    embed_index(index_copy)
    with_meaning = {text: _ids(index_copy, text) for text in (QUESTION, KEYWORDS)}
    assert with_meaning[KEYWORDS] == words_only[KEYWORDS]
    assert with_meaning[QUESTION] != words_only[QUESTION]
    assert set(words_only[QUESTION]) < set(with_meaning[QUESTION])  # meaning adds sections

    monkeypatch.setattr(knobs, "DENSE_DEPTH", 0)  # re-ranking the word ranking's first ones
    reranked = _ids(index_copy, QUESTION)
    assert reranked != words_only[QUESTION]
    assert sorted(reranked) == sorted(words_only[QUESTION])

    monkeypatch.setenv("GOVSEARCH_SEMANTIC", "off")
    assert _ids(index_copy, QUESTION) == words_only[QUESTION]


def _api_ids(app: Flask, text: str) -> list[str]:
    found = app.test_client().get(
        "/api/search", query_string={"q": text, "size": 100, "collapse": "false"}
    )
    return [hit["id"] for hit in found.get_json()["hits"]]


def test_a_running_app_or_index_keeps_the_semantic_setting_it_started_with(
    index_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words_only = _ids(index_copy, QUESTION)
    embed_index(index_copy)
    uncached = {"TESTING": True, "INDEX_DIR": str(index_copy), "RESULT_CACHE": 0}
    running = create_app(uncached)
    with SearchIndex(index_copy, cache_size=0) as open_index:
        with_meaning = _api_ids(running, QUESTION)
        assert with_meaning != words_only

        monkeypatch.setenv("GOVSEARCH_SEMANTIC", "off")
        assert _api_ids(running, QUESTION) == with_meaning
        request = SearchRequest.create(QUESTION, size=100, collapse=False)
        assert [hit.id for hit in run_search(open_index, request).hits] == with_meaning

    assert _api_ids(create_app(uncached), QUESTION) == words_only  # a new app reads it
    assert _api_ids(create_app({**uncached, "SEMANTIC": "on"}), QUESTION) == with_meaning


def test_new_vectors_reach_an_open_index_without_reopening(index_copy: Path) -> None:
    with SearchIndex(index_copy) as index:
        request = SearchRequest.create(QUESTION, collapse=False)
        before = [hit.id for hit in run_search(index, request).hits]
        embed_index(index_copy)
        after = [hit.id for hit in run_search(index, request).hits]
    assert after != before  # not the cached answer from before the vectors


def test_the_model_prefers_the_article_that_answers_the_question() -> None:
    question = "房东把房子卖了，租客还能继续住吗？"
    articles = [
        "第七百二十五条 租赁物在承租人按照租赁合同占有期限内发生所有权变动的，"
        "不影响租赁合同的效力。",
        "第四十四条 已经注册的商标，违反本法第四条规定的，由商标局宣告该注册商标无效。",
        "第三条 扬尘污染防治坚持政府主导、部门监管、企业负责、公众参与的原则。",
    ]
    similarity = embed_texts(articles) @ np.asarray(embedding_model.model().query(question))
    assert int(np.argmax(similarity)) == 0


# A process that embeds questions, then measures the CPU time its threads take while its
# own thread sleeps.
IDLE_CPU_AFTER_A_QUESTION = """
import statistics, time
from search.vectors.model import model
questions = ["房东把房子卖了，租客还能继续住吗？", "政府怎么保障公众参与重大行政决策？"]
idle = []
for number in range(12):
    model().query(questions[number % 2] + str(number))
    cpu = time.process_time()
    time.sleep(0.05)
    idle.append(time.process_time() - cpu)
print(statistics.median(idle))
"""


def test_the_models_threads_take_no_core_once_a_question_is_embedded() -> None:
    """Spinning idle threads would take a core from the search that goes on and from the
    next one: they sleep. Run with a thread a core, as `govsearch search` does."""
    env = {name: value for name, value in os.environ.items() if name != "OMP_NUM_THREADS"}
    root = Path(__file__).resolve().parent.parent
    shown = subprocess.run(
        [sys.executable, "-c", IDLE_CPU_AFTER_A_QUESTION],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=True,
    )
    assert float(shown.stdout) < 0.002  # seconds of CPU in 50 ms of idleness


def _product_case(rows: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors, as the model gives: `rows` of them, a question, and an output."""
    generator = np.random.default_rng(seed)
    matrix = generator.standard_normal((rows, 384), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    vector = generator.standard_normal(384, dtype=np.float32)
    vector /= np.linalg.norm(vector)
    return matrix, vector, np.full(rows, np.nan, dtype=np.float32)


def _rows(matrix: np.ndarray) -> DenseRows:
    codes, scales = quantized(matrix)
    return DenseRows(codes, scales, np.arange(len(matrix), dtype=np.int32))


def test_the_8_bit_product_is_close_to_the_float_one() -> None:
    matrix, vector, out = _product_case(5_000)
    semantic._product(_rows(matrix), vector, out)
    exact = matrix @ vector
    np.testing.assert_allclose(out, exact, atol=4e-3)
    nearest_ten = set(np.argsort(-exact)[:10].tolist())
    assert len(nearest_ten & set(np.argsort(-out)[:10].tolist())) >= 9


def test_a_rows_similarity_does_not_depend_on_the_other_rows() -> None:
    """Each row is scaled by its own largest value: a section scores the same in a shard as
    in the whole index."""
    matrix, vector, out = _product_case(2_000)
    semantic._product(_rows(matrix), vector, out)
    part = np.full(700, np.nan, dtype=np.float32)
    semantic._product(_rows(matrix[300:1_000]), vector, part)
    np.testing.assert_array_equal(part, out[300:1_000])


def test_a_product_goes_on_beside_what_the_searching_thread_does_meanwhile() -> None:
    """The word search runs on the searching thread while the helper multiplies."""
    matrix, vector, out = _product_case(50_000)
    rows = _rows(matrix)
    ran_on: list[int] = []

    def meanwhile() -> None:
        ran_on.append(threading.get_ident())
        deadline = time.monotonic() + 10
        while np.isnan(out).any() and time.monotonic() < deadline:
            time.sleep(0.001)  # the helper's product arrives while this thread is busy

    semantic._product(rows, vector, out, meanwhile)
    assert ran_on == [threading.get_ident()]
    alone = np.full(len(matrix), np.nan, dtype=np.float32)
    semantic._product(rows, vector, alone)
    np.testing.assert_array_equal(out, alone)


def test_a_failure_meanwhile_surfaces_once_the_helper_is_done() -> None:
    matrix, vector, out = _product_case(50_000)

    def meanwhile() -> None:
        raise RuntimeError("words failed")

    with pytest.raises(RuntimeError, match="words failed"):
        semantic._product(_rows(matrix), vector, out, meanwhile)
    assert not np.isnan(out).any()  # the helper had finished writing


def test_a_shared_product_works_in_a_worker_forked_after_one() -> None:
    """A server multiplies in its parent (at start) and forks its workers."""
    matrix, vector, out = _product_case(50_000)
    rows = _rows(matrix)
    semantic._product(rows, vector, out, lambda: None)
    child = os.fork()
    if child == 0:
        try:
            again = np.full(len(matrix), np.nan, dtype=np.float32)
            semantic._product(rows, vector, again, lambda: None)
            same = bool(np.array_equal(again, out))
        except BaseException:
            same = False
        os._exit(0 if same else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_fusion_lifts_the_closest_section_and_keeps_agreement_first(tmp_path: Path) -> None:
    question = "房东把房子卖了，租客还能继续住吗？"
    fields = {
        0: {
            "title": "民法典",
            "body": "第七百零三条 租赁合同是出租人将租赁物交付承租人使用的合同。",
        },
        1: {"title": "商标法", "body": "第四十四条 已经注册的商标，由商标局宣告该注册商标无效。"},
        2: {"title": "扬尘办法", "body": "第三条 扬尘污染防治坚持政府主导、公众参与的原则。"},
        3: {
            "title": "民法典",
            "body": "第七百二十五条 租赁物发生所有权变动的，不影响租赁合同的效力。",
        },
    }
    texts = [section_text(fields[d]) for d in range(4)]
    write_shard(tmp_path, [text_key(t) for t in texts], embed_texts(texts))
    store = VectorStore(tmp_path)
    store.refresh()
    docs = np.arange(4)
    keys = np.array([text_key(t) for t in texts], dtype=np.uint64)
    words = np.array([9.0, 8.0, 7.0, 6.0])  # by words, the answer comes last
    fused = rerank(docs, words, question, keys, store)
    order = list(np.argsort(-fused, kind="stable"))
    assert order.index(3) < 3  # meaning lifts it
    assert order[0] == 0  # first by words and close in meaning: still first
    assert fused.min() > words.max()  # re-ranked ones lead the rest
    tiered = rerank(docs, words, question, keys, store, ahead=np.array([2]))
    assert int(np.argmax(tiered)) == 2  # a full match stays ahead of partial ones
    alone = rerank(docs, words, question, keys, VectorStore(tmp_path / "none"))
    assert list(alone) == list(words)


def test_a_question_is_embedded_once_for_all_its_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    real = embedding_model.model()
    asked: list[str] = []

    class Counting:
        def query(self, text: str) -> np.ndarray:
            asked.append(text)
            return real.query(text)  # type: ignore[no-any-return]

    monkeypatch.setattr(embedding_model, "model", Counting)
    embedding_model.QUESTION_VECTORS.clear()
    first = embedding_model.question_vector("租客还能继续住吗？")
    assert embedding_model.question_vector("租客还能继续住吗？") is first
    assert asked == ["租客还能继续住吗？"]
    assert not first.flags.writeable  # shared: nobody may change it
    embedding_model.QUESTION_VECTORS.clear()
