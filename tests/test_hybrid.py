"""A question's candidates by meaning over every section: a section that answers it in other
words than its own is found, filtered, counted, collapsed and paged like a word match."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from threadpoolctl import threadpool_info

from search import shard
from search.engine.docsets import NOTHING, Matches
from search.index.build import full_build
from search.index.embedding import embed_index
from search.index.live import SearchIndex
from search.query.compile import compile_query
from search.query.request import SearchRequest
from search.rank import knobs
from search.rank.authority import authority_factor
from search.rank.semantic import fuse, meaning_by_section, nearest, with_authority
from search.results import SearchResults, run_search
from web import create_app

DEFAULT_FLOOR = knobs.MEANING_FLOOR
QUESTION = "房东把房子卖了，我还能继续住吗？"
KEYWORDS = "房东 房子 继续"  # the question's words, as a keyword search
ANSWER = "lease:s-0"  # says it in the law's words: not one word of the question, nor a synonym
# pasted from "renting": a sentence by its punctuation, with no question word or mark
SENTENCE = "房东出租房子，应当与租客签订书面合同"
# name -> (title, 发布机构, 发布日期, body)
DOCUMENTS = {
    "lease": (
        "临川县民法典合同编学习读本",
        "临川县司法局",
        "2020年05月28日",
        "第七百二十五条 租赁物在承租人按照租赁合同占有期限内发生所有权变动的，"
        "不影响租赁合同的效力。",
    ),
    "renting": (
        "临川县房屋租赁管理办法",
        "临川县住房和城乡建设局",
        "2022年03月01日",
        "第五条 房东出租房子，应当与租客签订书面合同。",
    ),
    "dust": (
        "临川县扬尘污染防治办法",
        "临川县生态环境局",
        "2019年07月01日",
        "第三条 扬尘污染防治坚持政府主导、部门监管、企业负责、公众参与的原则。",
    ),
    "trademark": (
        "临川县商标管理规定",
        "临川县市场监督管理局",
        "2018年09月10日",
        "第四十四条 已经注册的商标，违反本规定的，由商标局宣告该注册商标无效。",
    ),
}


def _write(folder: Path, name: str, title: str, agency: str, date: str, body: str) -> None:
    header = (
        "索 引 号: | | 主题分类: | 综合政务 |\n"
        f"发布机构: | {agency} | 成文日期: | |\n"
        f"标 题: | {title} | ||\n发文字号: | | 发布日期: | {date} |\n"
    )
    (folder / f"{name}.txt").write_text(header + body + "\n", "utf-8")


def _build(base: Path, documents: dict[str, tuple[str, str, str, str]] = DOCUMENTS) -> Path:
    corpus, index_dir = base / "corpus", base / "index"
    corpus.mkdir(parents=True)
    for name, document in documents.items():
        _write(corpus, name, *document)
    assert not full_build(corpus, index_dir, procs=1).failed
    return index_dir


def _build_embedded(base: Path) -> Path:
    """`_build`'s index of DOCUMENTS, every section embedded."""
    index_dir = _build(base)
    embed_index(index_dir)
    return index_dir


@pytest.fixture(autouse=True)
def no_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every nearest section may join, however far: the unrelated sections of these four
    documents then show how candidates by meaning are filtered, counted and paged."""
    monkeypatch.setattr(knobs, "MEANING_FLOOR", None)


@pytest.fixture(scope="module")
def plain_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documents' index, without vectors."""
    return _build(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def embedded_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same index, every section embedded."""
    return _build_embedded(tmp_path_factory.mktemp("embedded"))


@pytest.fixture(scope="module")
def index(embedded_index: Path) -> Iterator[SearchIndex]:
    with SearchIndex(embedded_index, cache_size=0, semantic=True) as opened:
        yield opened


def _search(index: SearchIndex, text: str, **params: Any) -> SearchResults:
    params = {"size": 100, "collapse": False, **params}
    return run_search(index, SearchRequest.create(text, **params))


def _app(index_dir: Path, tmp_path: Path, semantic: str = "on") -> Flask:
    log = str(tmp_path / "querylog.sqlite3")
    config = {"TESTING": True, "INDEX_DIR": str(index_dir), "RESULT_CACHE": 0}
    return create_app({**config, "SEMANTIC": semantic, "QUERY_LOG": log})


@pytest.fixture
def client(embedded_index: Path, tmp_path: Path) -> FlaskClient:
    return _app(embedded_index, tmp_path).test_client()


def _api(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/search", query_string={"size": 100, **params})
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_a_question_finds_the_section_that_answers_it_in_other_words(
    index: SearchIndex, plain_index: Path
) -> None:
    assert compile_query(QUESTION).asks and not compile_query(KEYWORDS).asks
    found = {hit.id: hit for hit in _search(index, QUESTION).hits}
    assert found[ANSWER].matched == "meaning"
    assert found["renting:s-0"].matched in ("words", "both")
    order = list(found)  # the closest in meaning comes before the unrelated ones
    assert order.index(ANSWER) < min(order.index("dust:s-0"), order.index("trademark:s-0"))

    keywords = _search(index, KEYWORDS)
    assert ANSWER not in {hit.id for hit in keywords.hits}
    assert {hit.matched for hit in keywords.hits} == {"words"}
    with SearchIndex(plain_index, cache_size=0, semantic=True) as without_vectors:
        expected = [hit.id for hit in _search(without_vectors, QUESTION).hits]
    assert ANSWER not in expected

    # Switched off, a question keeps the word ranking.
    with SearchIndex(index.index_dir, cache_size=0, semantic=False) as switched_off:
        assert [hit.id for hit in _search(switched_off, QUESTION).hits] == expected
    # Sorted by date, it finds the same sections, those found by meaning among them.
    for sort, newest_first in (("date", True), ("date_asc", False)):
        by_date = _search(index, QUESTION, sort=sort)
        assert {hit.id: hit.matched for hit in by_date.hits} == {
            hit.id: hit.matched for hit in found.values()
        }
        dates = [hit.date for hit in by_date.hits]
        assert dates == sorted(dates, reverse=newest_first) and len(set(dates)) > 2


def test_a_sentence_found_whole_keeps_the_word_ranking(index: SearchIndex) -> None:
    compiled = compile_query(SENTENCE)
    assert compiled.asks and compiled.sentence
    found = _search(index, SENTENCE)
    assert [(hit.id, hit.matched) for hit in found.hits] == [("renting:s-0", "words")]
    assert found.total_sections == found.full_matches == 1 and not found.relaxed
    # not found whole, the same kind of sentence is relaxed and meaning ranks it
    elsewhere = _search(index, "房东出租房屋，应当与承租人签订合同")
    assert elsewhere.relaxed and "meaning" in {hit.matched for hit in elsewhere.hits}


@pytest.mark.parametrize(
    ("allowing", "excluding"),
    [
        ({"agency": "临川县司法局"}, {"agency": "临川县住房和城乡建设局"}),
        ({"year": "2020"}, {"year": "2021-2023"}),
        ({"date_from": "2020-01-01", "date_to": "2020-12-31"}, {"date_from": "2021-01-01"}),
        ({"doc_id": "lease"}, {"doc_id": "renting"}),
    ],
)
def test_filters_decide_the_candidates_by_meaning_exactly(
    index: SearchIndex, allowing: dict[str, str], excluding: dict[str, str]
) -> None:
    allowed = _search(index, QUESTION, **allowing)
    assert [hit.id for hit in allowed.hits] == [ANSWER]
    assert allowed.total_sections == 1 and allowed.hits[0].matched == "meaning"
    excluded = _search(index, QUESTION, **excluding)
    assert excluded.hits and ANSWER not in {hit.id for hit in excluded.hits}
    assert excluded.total_sections == len(excluded.hits)


def test_the_kind_filter_decides_them_too(index: SearchIndex) -> None:
    kinds = {hit.id: hit.kind for hit in _search(index, QUESTION).hits}
    other = next(kind for kind in kinds.values() if kind != kinds[ANSWER])
    assert ANSWER in {hit.id for hit in _search(index, QUESTION, kind=kinds[ANSWER]).hits}
    excluded = _search(index, QUESTION, kind=other).hits
    assert excluded and {hit.kind for hit in excluded} == {other}


def test_totals_and_facets_count_the_sections_found_by_meaning(
    client: FlaskClient, embedded_index: Path, tmp_path: Path
) -> None:
    body = _api(client, q=QUESTION, collapse="false")
    words_only = _api(_app(embedded_index, tmp_path, "off").test_client(), q=QUESTION)
    assert body["total_sections"] == len(body["hits"]) > words_only["total_sections"]
    agencies = {value["value"]: value["count"] for value in body["facets"]["agency"]}
    assert agencies["临川县司法局"] == 1
    assert "临川县司法局" not in {value["value"] for value in words_only["facets"]["agency"]}
    for name in ("agency", "kind", "year"):
        assert sum(value["count"] for value in body["facets"][name]) == body["total_sections"]

    # Another agency selected: its own facet still counts what the answer's agency would find.
    narrowed = _api(client, q=QUESTION, collapse="false", agency="临川县住房和城乡建设局")
    counts = {value["value"]: value["count"] for value in narrowed["facets"]["agency"]}
    assert counts["临川县司法局"] == 1
    assert counts["临川县住房和城乡建设局"] == narrowed["total_sections"]


@pytest.mark.parametrize("depth", [1, 2, 100])
def test_a_facets_count_is_what_choosing_it_finds(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch, depth: int
) -> None:
    """With fewer nearest sections than sections, a value none of whose sections is among
    the question's nearest finds none by meaning once chosen either, as its count said."""
    monkeypatch.setattr(knobs, "DENSE_DEPTH", depth)
    everything = _search(index, QUESTION)
    for facet in ("agency", "year", "kind"):
        for value in everything.facets[facet]:
            chosen = {"agencies" if facet == "agency" else facet: str(value.value)}
            assert _search(index, QUESTION, **chosen).total_sections == value.count, chosen
    # Within one document or dates, the nearest are those there, not the collection's.
    for within in ({"doc_id": "trademark"}, {"date_from": "2018-01-01", "date_to": "2018-12-31"}):
        found = _search(index, QUESTION, **within)
        assert [(hit.id, hit.matched) for hit in found.hits] == [("trademark:s-0", "meaning")]


def test_collapsed_pages_show_each_document_once(index: SearchIndex) -> None:
    first = _search(index, QUESTION, collapse=True, size=1)
    assert first.total == len(DOCUMENTS)
    shown = [
        hit.doc_id
        for page in range(1, first.total + 1)
        for hit in _search(index, QUESTION, collapse=True, size=1, page=page).hits
    ]
    assert sorted(shown) == sorted(DOCUMENTS)
    everything = _search(index, QUESTION, collapse=True, size=10).hits
    assert [hit.doc_id for hit in everything] == shown


def test_a_hit_by_meaning_in_the_api_shows_the_sections_opening(client: FlaskClient) -> None:
    body = _api(client, q=QUESTION, collapse="false")
    hit = next(hit for hit in body["hits"] if hit["id"] == ANSWER)
    assert hit["matched"] == "meaning"
    assert hit["passages"] and hit["passages"][0].startswith("第七百二十五条 租赁物")
    assert "<mark>" not in hit["passages"][0]
    assert {h["matched"] for h in _api(client, q=KEYWORDS)["hits"]} == {"words"}
    spec = client.get("/api/openapi.json").get_json()
    Draft202012Validator({**spec, "$ref": "#/components/schemas/SearchResponse"}).validate(body)


def test_pages_label_the_hits_found_by_meaning(client: FlaskClient) -> None:
    by_meaning = [h for h in _api(client, q=QUESTION)["hits"] if h["matched"] == "meaning"]
    assert len(by_meaning) == len(DOCUMENTS) - 1  # all but the one that holds the words
    for url in ("/search", "/embed"):
        page = client.get(url, query_string={"q": QUESTION}).get_data(as_text=True)
        assert page.count("按语义匹配") == len(by_meaning)
        keywords = client.get(url, query_string={"q": KEYWORDS}).get_data(as_text=True)
        assert "按语义匹配" not in keywords
    assert 'hit.matched === "meaning"' in client.get("/embed.js").get_data(as_text=True)


def test_sections_without_a_vector_wait_until_they_are_embedded(tmp_path: Path) -> None:
    index_dir = _build(tmp_path)
    with SearchIndex(index_dir, cache_size=0, semantic=True) as index:
        with index.searcher() as searcher:
            dust = next(
                d
                for d in range(searcher.doc_count_all())
                if searcher.stored_fields(d)["doc_id"] == "dust"
            )
        embed_index(index_dir, [dust])
        found = {hit.id: hit.matched for hit in _search(index, QUESTION).hits}
        assert found.get("dust:s-0") == "meaning" and ANSWER not in found

        embed_index(index_dir)  # the open index sees the new vectors at its next search
        found = {hit.id: hit.matched for hit in _search(index, QUESTION).hits}
        assert found.get(ANSWER) == "meaning"


def _fused_order(hits: Matches, meaning: np.ndarray, similarity: np.ndarray) -> list[int]:
    fused = fuse(hits, meaning, similarity)
    return fused.docs[np.argsort(-fused.scores, kind="stable")].tolist()


def test_fusion_weighs_both_scores_of_every_candidate(monkeypatch: pytest.MonkeyPatch) -> None:
    hits = Matches(np.array([0, 1, 2]), np.array([9.0, 8.0, 7.0]))  # by words
    meaning = np.array([5, 2, 0])  # closest first; 5 has none of the words
    similarity = np.array([0.90, 0.80, 0.88, -np.inf, -np.inf, 0.95], np.float32)
    monkeypatch.setattr(knobs, "WORD_WEIGHT", 0.3)
    # Scaled over the candidates, words 9..0 and similarity 0.80..0.95: 0 has 0.3 * 1 +
    # 0.7 * 0.67, 5 (by meaning alone) 0.7 * 1, 2 0.3 * 0.78 + 0.7 * 0.53, 1 0.3 * 0.89.
    # Reciprocal ranks would put 2 ahead of 5 (two votes against one).
    assert _fused_order(hits, meaning, similarity) == [0, 5, 2, 1]
    fused = fuse(hits, meaning, similarity)
    assert fused.docs.tolist() == [0, 1, 2, 5]
    assert fused.scores.min() > hits.scores.max()  # the candidates lead the other hits
    monkeypatch.setattr(knobs, "WORD_WEIGHT", 1.0)
    assert _fused_order(hits, meaning, similarity) == [0, 1, 2, 5]
    monkeypatch.setattr(knobs, "WORD_WEIGHT", 0.0)
    assert _fused_order(hits, meaning, similarity) == [5, 0, 2, 1]
    # No word found: meaning alone.
    assert _fused_order(NOTHING, meaning, similarity) == [5, 0, 2]


def test_fusion_leaves_the_other_hits_below_and_in_their_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(knobs, "RERANK_DEPTH", 2)  # candidates: 0, 1 by words; 4 by meaning
    hits = Matches(np.arange(4), np.array([9.0, 8.0, 7.0, 6.0]))
    similarity = np.array([0.80, 0.81, 0.99, 0.99, 0.90], np.float32)
    # 4: 0.7 * 1; 1: 0.3 * 0.89 + 0.7 * 0.1; 0: 0.3 * 1. 2 and 3 are nearer than any
    # candidate, but not candidates: they stay below, in their word order.
    assert _fused_order(hits, np.array([4]), similarity) == [4, 1, 0, 2, 3]


def test_one_kind_of_document_fuses_as_without_authority() -> None:
    """Every section of one kind moves alike: neither the nearest nor the fusion change."""
    hits = Matches(np.array([0, 1, 2]), np.array([9.0, 8.0, 7.0]))
    similarity = np.array([0.90, 0.80, 0.88, -np.inf, -np.inf, 0.95], np.float32)
    weighed = with_authority(similarity, np.full(6, np.log(0.41), np.float32))
    assert (
        np.isneginf(weighed[3:5]).all() and (weighed[[0, 1, 2, 5]] < similarity[[0, 1, 2, 5]]).all()
    )
    meaning = nearest(similarity, None, 3, scores=weighed)
    assert meaning.tolist() == nearest(similarity, None, 3).tolist() == [5, 0, 2]
    assert _fused_order(hits, meaning, weighed) == _fused_order(hits, meaning, similarity)


# The law and a report that says it in words nearer the question's.
AUTHORITY_DOCUMENTS = {
    "law": ("中华人民共和国民法典", "全国人民代表大会", "2020年05月28日", DOCUMENTS["lease"][3]),
    "report": (
        "临川县2021年政府工作报告",
        "临川县人民政府",
        "2021年01月20日",
        "一、住房保障 房东把出租的房子卖给别人，租客可以继续住到租期结束。",
    ),
}


def test_the_meaning_side_weighs_authority_as_the_words_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = _build(tmp_path, AUTHORITY_DOCUMENTS)
    embed_index(index_dir)
    monkeypatch.setattr(knobs, "WORD_WEIGHT", 0.0)  # meaning alone orders the candidates
    with SearchIndex(index_dir, cache_size=0, semantic=True) as index:
        with index.searcher() as searcher:
            columns = index.columns
            similarity = meaning_by_section(
                QUESTION, columns.vector_keys, columns.live, index.vectors
            )
            assert similarity is not None
            law, report = (
                float(similarity[next(searcher.document_numbers(id=f"{name}:s-0"))])
                for name in ("law", "report")
            )
        assert report > law, "the report should be the nearer in meaning"

        def order() -> list[str]:
            hits = _search(index, QUESTION).hits
            return [hit.id for hit in hits if hit.id in ("law:s-0", "report:s-0")]

        monkeypatch.setattr(knobs, "MEANING_PRIOR", 0.0)
        assert order() == ["report:s-0", "law:s-0"]
        # A prior that outweighs the gap puts the law first; one that does not, the report.
        steps = np.log(authority_factor("法律") / authority_factor("工作报告"))
        monkeypatch.setattr(knobs, "MEANING_PRIOR", 2 * (report - law) / steps)
        assert order() == ["law:s-0", "report:s-0"]
        monkeypatch.setattr(knobs, "MEANING_PRIOR", 0.5 * (report - law) / steps)
        assert order() == ["report:s-0", "law:s-0"]


def test_a_meaning_floor_keeps_the_least_far_sections_out(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    with index.searcher() as searcher:
        columns = index.columns
        similarity = meaning_by_section(QUESTION, columns.vector_keys, columns.live, index.vectors)
        assert similarity is not None
        similar = {
            hit: float(similarity[next(searcher.document_numbers(id=hit))])
            for hit in (f"{name}:s-0" for name in DOCUMENTS)
        }
    floorless = _search(index, QUESTION).hits
    assert {"dust:s-0", "trademark:s-0"} <= {hit.id for hit in floorless}  # the least far join

    floor = similar[ANSWER] - 1e-6
    monkeypatch.setattr(knobs, "MEANING_FLOOR", floor)
    found = _search(index, QUESTION).hits
    assert ANSWER in [hit.id for hit in found]
    assert all(similar[hit.id] >= floor for hit in found if hit.matched != "words")
    assert len(found) < len(floorless)

    monkeypatch.setattr(knobs, "MEANING_FLOOR", max(similar.values()) + 1e-6)
    assert {hit.matched for hit in _search(index, QUESTION).hits} == {"words"}


def test_the_product_leaves_no_blas_thread_spinning(index: SearchIndex) -> None:
    """numpy's idle BLAS threads spin for a tenth of a second after each product, on the cores
    the embedding model needs for the next question: a question multiplies on one thread."""
    assert _search(index, QUESTION).hits
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_by_default_sections_far_in_meaning_stay_out(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question with nothing near in the index is not answered by whatever is least far."""
    monkeypatch.setattr(knobs, "MEANING_FLOOR", DEFAULT_FLOOR)
    found = {hit.id: hit.matched for hit in _search(index, QUESTION).hits}
    assert found[ANSWER] == "meaning"
    assert "dust:s-0" not in found and "trademark:s-0" not in found
    unrelated = "企业在哪里缴纳社会保险费？"
    assert "meaning" not in {hit.matched for hit in _search(index, unrelated).hits}


def _everything(results: SearchResults) -> list[Any]:
    hits = [(h.id, h.score, h.matched, h.passages) for h in results.hits]
    return [hits, results.total, results.total_sections, results.facets]


@pytest.mark.parametrize("filters", [{}, {"agency": "临川县司法局"}])
def test_words_found_while_the_question_is_multiplied_answer_as_in_turn(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch, filters: dict[str, str]
) -> None:
    """The word search runs on the searching thread while a helper multiplies the question
    by the sections' vectors."""
    answers = {}
    for overlap in (False, True):
        monkeypatch.setattr(shard, "OVERLAP_WORDS", overlap)
        answers[overlap] = _everything(_search(index, QUESTION, **filters))
    assert answers[True] == answers[False]
    assert any(hit[2] == "meaning" for hit in answers[True][0])
