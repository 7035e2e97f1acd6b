"""Versions of one law: one hit shows the newest version that matches, lists the others,
and shows an older one first when the query names its year or 文号."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from bench.known_items import KnownItem, document_ranks
from search.index.build import full_build
from search.index.live import SearchIndex
from search.index.versions import law_name
from search.query.request import SearchRequest
from search.results import SearchResults, run_search, search_shards
from search.shard import Generation
from web import create_app

# name -> (title, 发文字号, 发布日期, body)
LAW = {
    "old": (
        "临川县水资源保护条例",
        "临人常〔2017〕5号",
        "2017年03月01日",
        "第一条 为了加强水资源保护，合理开发利用水资源，制定本条例。"
        "第九条 取水许可证每年年检一次。",
    ),
    "new": (
        "临川县水资源保护条例（2023年修订）",
        "临人常〔2023〕8号",
        "2023年06月30日",
        "第一条 为了加强水资源保护，推进节约用水，制定本条例。第九条 取水许可实行电子证照管理。",
    ),
    "other": (
        "临川县节约用水办法",
        "",
        "2022年01月10日",
        "第一条 为了推进节约用水，加强水资源保护，制定本办法。",
    ),
    "amend-2010": (
        "临川县自治条例修正案（2010年）",
        "",
        "2010年05月01日",
        "一、自治条例第五条修改为：民族乡的设立程序由县人民政府规定。",
    ),
    "amend-2020": (
        "临川县自治条例修正案（2020年）",
        "",
        "2020年05月01日",
        "一、自治条例第八条修改为：民族乡的设立程序报州人民政府备案。",
    ),
}


def _write(folder: Path, name: str, title: str, number: str, date: str, body: str) -> None:
    header = (
        "索 引 号: | | 主题分类: | 水利 |\n"
        "发布机构: | 临川县人民代表大会常务委员会 | 成文日期: | |\n"
        f"标 题: | {title} | ||\n发文字号: | {number} | 发布日期: | {date} |\n"
    )
    (folder / f"{name}.txt").write_text(header + body + "\n", "utf-8")


def _index(base: Path, names: tuple[str, ...]) -> Path:
    corpus, index_dir = base / "corpus", base / "index"
    corpus.mkdir(parents=True)
    for name in names:
        _write(corpus, name, *LAW[name])
    assert not full_build(corpus, index_dir, procs=1).failed
    return index_dir


@pytest.fixture(scope="module")
def law_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _index(tmp_path_factory.mktemp("versions"), tuple(LAW))


@pytest.fixture(scope="module")
def index(law_index: Path) -> Iterator[SearchIndex]:
    with SearchIndex(law_index) as live:
        yield live


@pytest.fixture
def law_client(law_index: Path, tmp_path: Path) -> FlaskClient:
    log = tmp_path / "querylog.sqlite3"
    config = {"TESTING": True, "INDEX_DIR": str(law_index), "QUERY_LOG": str(log)}
    return create_app(config).test_client()


def _search(index: SearchIndex, text: str) -> SearchResults:
    return run_search(index, SearchRequest.create(text, size=10))


def _shown(results: SearchResults) -> list[tuple[str, list[str]]]:
    return [(hit.doc_id, [v["doc_id"] or "" for v in hit.versions]) for hit in results.hits]


def test_a_revision_note_is_not_part_of_the_law_but_a_part_number_is() -> None:
    assert law_name("临川县水资源保护条例（2023年修订）") == law_name("临川县水资源保护条例")
    assert law_name("人民检察院刑事诉讼规则（试行）") == "人民检察院刑事诉讼规则"
    assert law_name("中华人民共和国刑法修正案（九）") != law_name("中华人民共和国刑法修正案")


def test_the_newest_version_is_shown_with_the_others_listed(index: SearchIndex) -> None:
    results = _search(index, "水资源保护")
    assert _shown(results) == [("new", ["old"]), ("other", [])]
    assert results.hits[0].versions == [{"doc_id": "old", "date": "2017-03-01"}]
    assert results.hits[0].date == "2023-06-30"
    assert results.total == 3  # every version counts, as in the facets


def test_a_query_naming_the_year_shows_that_version_first(index: SearchIndex) -> None:
    assert _shown(_search(index, "水资源保护 2017年"))[0] == ("old", ["new"])
    assert _shown(_search(index, "水资源保护条例 2017"))[0] == ("old", ["new"])


def test_a_query_naming_the_doc_number_shows_that_version(index: SearchIndex) -> None:
    assert _shown(_search(index, "水资源保护 临人常〔2017〕5号"))[0] == ("old", ["new"])


def test_a_version_that_alone_matches_is_shown(index: SearchIndex) -> None:
    assert _shown(_search(index, "取水许可证每年年检"))[0] == ("old", ["new"])


def test_amendments_of_one_title_are_each_their_own_document(index: SearchIndex) -> None:
    shown = _shown(_search(index, "民族乡的设立程序"))
    assert sorted(shown) == [("amend-2010", []), ("amend-2020", [])]


def test_sections_uncollapsed_keep_every_version(index: SearchIndex) -> None:
    results = run_search(index, SearchRequest.create("水资源保护", size=10, collapse=False))
    assert {hit.doc_id for hit in results.hits} == {"old", "new", "other"}


def test_versions_on_different_shards_are_one_hit(tmp_path: Path, index: SearchIndex) -> None:
    shard_dirs = [_index(tmp_path / "a", ("old", "other")), _index(tmp_path / "b", ("new",))]
    with ExitStack() as stack:
        shards = [stack.enter_context(SearchIndex(path)) for path in shard_dirs]
        generations = [Generation.of(s, stack.enter_context(s.searcher())) for s in shards]
        merged = search_shards(generations, SearchRequest.create("水资源保护", size=10))
    assert _shown(merged) == _shown(_search(index, "水资源保护"))


def test_the_api_lists_versions_as_its_schema_says(law_client: FlaskClient) -> None:
    body = law_client.get("/api/search", query_string={"q": "水资源保护"}).get_json()
    assert [hit["versions"] for hit in body["hits"]] == [
        [{"doc_id": "old", "date": "2017-03-01"}],
        [],
    ]
    spec = law_client.get("/api/openapi.json").get_json()
    ref = "#/components/schemas/SearchResponse"
    Draft202012Validator({**spec, "$ref": ref}).validate(body)


def test_known_items_count_a_version_of_the_source_when_asked(index: SearchIndex) -> None:
    pasted_from_the_old_version = KnownItem("old", "为了加强水资源保护", holders=2)
    assert document_ranks(index, pasted_from_the_old_version) == (None, 1)


def test_the_cli_json_lists_versions(law_index: Path) -> None:
    found = subprocess.run(
        [sys.executable, "-m", "search.cli", "search", "水资源保护", "--index", str(law_index)]
        + ["--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    hits = json.loads(found.stdout)["hits"]
    assert [(hit["doc_id"], hit["versions"]) for hit in hits] == [
        ("new", [{"doc_id": "old", "date": "2017-03-01"}]),
        ("other", []),
    ]


@pytest.mark.parametrize("path", ["/search", "/embed"])
def test_the_page_shows_other_versions_with_links(law_client: FlaskClient, path: str) -> None:
    page = law_client.get(path, query_string={"q": "水资源保护"}).get_data(as_text=True)
    assert "其他版本 (1)" in page
    assert page.count("其他版本") == 1
    assert '/docs/old"' in page and ">2017-03-01</a>" in page
