"""Versions of one law: one hit shows the newest version that matches, lists the others,
and shows an older one first when the query names its year or 文号."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from bench.known_items import KnownItem, document_ranks
from search.cluster.replica import ShardReplica, Step
from search.index.build import full_build
from search.index.live import SearchIndex
from search.index.shards import open_search_index, reindex_shards, shard_directory
from search.index.versions import Version, VersionTable
from search.query.request import SearchRequest
from search.results import VERSION_DEPTH, SearchResults, run_search, search_shards
from search.shard import Generation, TermStatistics
from search.text.titles import law_name, short_name, typed_name
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


def test_a_documents_short_name_is_how_people_type_it() -> None:
    assert short_name("中华人民共和国刑法") == typed_name("《刑法》") == "刑法"
    assert short_name("中华人民共和国民法典 合同编") == typed_name("民法典") == "民法典"
    assert short_name("北京市审计条例（2017年修订）") == typed_name("北京市审计条例")
    # a note typed names one version, which the name every version shares does not
    assert typed_name("人民检察院刑事诉讼规则（试行）") != short_name(
        "人民检察院刑事诉讼规则（试行）"
    )
    assert short_name("最高人民法院关于适用《中华人民共和国刑法》的解释") != "刑法"


def test_the_newest_version_is_shown_with_the_others_listed(index: SearchIndex) -> None:
    results = _search(index, "水资源保护")
    assert _shown(results) == [("new", ["old"]), ("other", [])]
    assert results.hits[0].versions == [{"doc_id": "old", "date": "2017-03-01"}]
    assert results.hits[0].date == "2023-06-30"
    assert results.total == 3  # every version counts, as in the facets


def test_sorted_by_date_a_hit_shows_the_version_whose_date_placed_it(
    index: SearchIndex,
) -> None:
    def shown(sort: str) -> list[tuple[str, str | None]]:
        request = SearchRequest.create("水资源保护", size=10, sort=sort)
        return [(hit.doc_id, hit.date) for hit in run_search(index, request).hits]

    # old 2017, other 2022, new 2023: the law's place is its oldest version's, oldest first
    assert shown("date_asc") == [("old", "2017-03-01"), ("other", "2022-01-10")]
    assert shown("date") == [("new", "2023-06-30"), ("other", "2022-01-10")]


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
    # the query goes along, so that the other version's page marks it too
    assert '/docs/old?q=%E6%B0%B4%E8%B5%84%E6%BA%90%E4%BF%9D%E6%8A%A4"' in page
    assert ">2017-03-01</a>" in page


def test_a_document_page_names_its_other_versions_and_a_newer_one(
    law_client: FlaskClient,
) -> None:
    old = law_client.get("/docs/old", query_string={"q": "年检"}).get_data(as_text=True)
    assert "此版本不是最新版本" in old and "其他版本 (1)" in old
    assert '<a href="/docs/new?q=%E5%B9%B4%E6%A3%80">2023-06-30</a>' in old
    new = law_client.get("/docs/new").get_data(as_text=True)
    assert "其他版本 (1)" in new and "此版本不是最新版本" not in new
    assert '<a href="/docs/old">2017-03-01</a>' in new
    assert "其他版本" not in law_client.get("/docs/other").get_data(as_text=True)


def test_the_document_api_lists_versions_as_its_schema_says(law_client: FlaskClient) -> None:
    spec = law_client.get("/api/openapi.json").get_json()
    document = law_client.get("/api/docs/old").get_json()
    assert document["document"]["versions"] == [{"doc_id": "new", "date": "2023-06-30"}]
    Draft202012Validator({**spec, "$ref": "#/components/schemas/DocumentResponse"}).validate(
        document
    )
    first = law_client.get("/api/docs/new").get_json()["document"]["sections"][0]["id"]
    section = law_client.get(f"/api/sections/{first}").get_json()
    assert section["document"]["versions"] == [{"doc_id": "old", "date": "2017-03-01"}]
    Draft202012Validator({**spec, "$ref": "#/components/schemas/SectionResponse"}).validate(section)
    assert law_client.get("/api/docs/other").get_json()["document"]["versions"] == []


# A law whose older version ranks first and whose newer version, matching too, ranks after
# every other law: beyond the documents each shard answers with for a page of 2 (2 × 3), on
# one index and on 2 or 3 shards.
WATERS = ["渔港", "水产养殖", "河道采砂", "湖泊", "湿地", "水库", "航道", "泵站", "灌区", "水闸"]
WATERS += ["河口", "滩涂", "海湾", "港池", "沟渠", "塘坝", "溪流", "泉域", "江段", "库湾", "洲滩"]
WATERS += ["岛礁", "潟湖", "荡区", "汊道", "湖汊", "渠首", "坑塘", "山塘", "海岸", "河湾"]
DEEP_LAW = {
    "fish-2015": (
        "临川县渔业管理条例",
        "临人常〔2015〕2号",
        "2015年04月01日",
        "第一条 渔业捕捞渔业捕捞渔业捕捞应当持证，禁止电鱼炸鱼。",
    ),
    "fish-2024": (
        "临川县渔业管理条例（2024年修订）",
        "临人常〔2024〕6号",
        "2024年05月20日",
        "第一条 为了保护水生生物资源，促进生态文明建设，维护养殖者合法权益，规范水域滩涂利用，"
        "推动绿色发展，加强执法监督，完善管理体制，提升服务水平，制定本条例。"
        "本县行政区域内的渔业捕捞活动适用本条例。",
    ),
} | {
    f"waters-{n}": (
        f"临川县{waters}管理办法",
        "",
        f"2020年{n % 12 + 1:02d}月01日",
        f"第一条 {waters}区域的渔业捕捞渔业捕捞由县农业农村部门监督。",
    )
    for n, waters in enumerate(WATERS)
}
DEEP_PAGE = 2


@pytest.fixture(scope="module")
def deep_law_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("deep-law")
    for name, law in DEEP_LAW.items():
        _write(corpus, name, *law)
    return corpus


@pytest.fixture(scope="module")
def deep_law_indexes(
    deep_law_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[int, Path]:
    """The corpus as one index and split into 2 and 3 shards."""
    base = tmp_path_factory.mktemp("deep-law-indexes")
    indexes = {1: base / "one", 2: base / "shards-2", 3: base / "shards-3"}
    assert not full_build(deep_law_corpus, indexes[1], procs=1).failed
    for shards in (2, 3):
        reindex_shards(deep_law_corpus, indexes[shards], shards, full=True)
    return indexes


def _deep_search(index_dir: Path, text: str) -> list[tuple[str, float, list[str]]]:
    with open_search_index(index_dir, cache_size=0) as index:
        results = run_search(index, SearchRequest.create(text, size=DEEP_PAGE))
    return [
        (hit.doc_id, hit.score, [v["doc_id"] or "" for v in hit.versions]) for hit in results.hits
    ]


def test_the_newest_matching_version_is_shown_however_deep_it_ranks(
    deep_law_indexes: dict[int, Path],
) -> None:
    every_section = _deep_search(deep_law_indexes[1], "渔业捕捞")
    with SearchIndex(deep_law_indexes[1]) as index:
        ranked = run_search(index, SearchRequest.create("渔业捕捞", size=50, collapse=False))
    ranking = [hit.doc_id for hit in ranked.hits]
    assert ranking[0] == "fish-2015"
    assert ranking.index("fish-2024") >= DEEP_PAGE * VERSION_DEPTH  # beyond the shards' answers
    newest = ranked.hits[ranking.index("fish-2024")]
    assert every_section[0] == ("fish-2024", newest.score, ["fish-2015"])
    assert every_section[1][0] == "waters-0"
    for shards in (2, 3):
        on_shards = _deep_search(deep_law_indexes[shards], "渔业捕捞")
        assert [(doc_id, versions) for doc_id, _, versions in on_shards] == [
            (doc_id, versions) for doc_id, _, versions in every_section
        ], shards
        assert [score for _, score, _ in on_shards] == pytest.approx(
            [score for _, score, _ in every_section], abs=1e-6
        )


def test_a_replica_answers_which_versions_its_shard_matches(
    deep_law_indexes: dict[int, Path],
) -> None:
    request = SearchRequest.create("渔业捕捞", size=DEEP_PAGE * VERSION_DEPTH)
    directories = [shard_directory(deep_law_indexes[2], number) for number in (0, 1)]
    asked = ["fish-2024", "no-such-law"]
    found: dict[str, tuple[float, str]] = {}
    with ExitStack() as stack:
        replicas = [ShardReplica(directory, semantic=False) for directory in directories]
        # One that no longer holds the search (restarted, say) answers the same.
        restarted = [ShardReplica(directory, semantic=False) for directory in directories]
        for replica in replicas + restarted:
            stack.callback(replica.close)
        statistics = [
            replica.statistics(Step("deep", request, True, None, None)) for replica in replicas
        ]
        step = Step("deep", request, True, TermStatistics.summed(statistics), None)
        for replica, again in zip(replicas, restarted, strict=True):
            replica.search(step)
            matching = replica.matching(step, None, None, asked)
            answered = again.matching(step, None, None, asked)
            assert answered.rows.doc_ids == matching.rows.doc_ids
            assert answered.hits == matching.hits
            for doc_id, hit in zip(matching.rows.doc_ids, matching.hits, strict=True):
                found[doc_id] = (hit.score, hit.heading)
    assert list(found) == ["fish-2024"]
    with SearchIndex(deep_law_indexes[1]) as index:
        ranked = run_search(index, SearchRequest.create("渔业捕捞", size=50, collapse=False))
    newest = next(hit for hit in ranked.hits if hit.doc_id == "fish-2024")
    assert found["fish-2024"] == (pytest.approx(newest.score), newest.heading)


def test_a_query_naming_the_older_version_still_shows_it_first(
    deep_law_indexes: dict[int, Path],
) -> None:
    for index_dir in deep_law_indexes.values():
        shown = _deep_search(index_dir, "渔业捕捞 2015年")
        assert shown[0][0::2] == ("fish-2015", ["fish-2024"]), index_dir.name


def test_the_older_version_is_shown_when_only_it_matches(
    deep_law_indexes: dict[int, Path],
) -> None:
    for index_dir in deep_law_indexes.values():
        shown = _deep_search(index_dir, "电鱼炸鱼")
        assert [(doc_id, versions) for doc_id, _, versions in shown] == [
            ("fish-2015", ["fish-2024"])
        ], index_dir.name


def test_a_page_shows_the_same_laws_however_the_index_is_split(tmp_path: Path) -> None:
    # The six versions of one law rank before the other laws: a page of 2 laws reaches
    # beyond the collection's first 2 × 3 documents, which every shard answers with.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for year in range(2001, 2007):
        title, date = f"临川县河长制条例（{year}年修正）", f"{year}年01月01日"
        _write(corpus, f"river-{year}", title, "", date, "第一条 河长巡河，河长巡河，河长巡河。")
    for name in ("湖长制办法", "林长制办法", "田长制办法"):
        body = f"第一条 {name}参照河长巡河的做法，建立健全巡查制度，明确责任分工和考核要求。"
        _write(corpus, name, f"临川县{name}", "", "2020年01月01日", body)
    assert not full_build(corpus, tmp_path / "one", procs=1).failed
    shown = {1: _deep_search(tmp_path / "one", "河长巡河")}
    for shards in (2, 3):
        reindex_shards(corpus, tmp_path / f"shards-{shards}", shards, full=True)
        shown[shards] = _deep_search(tmp_path / f"shards-{shards}", "河长巡河")
    assert shown[1][0][0] == "river-2006"
    assert [doc_id for doc_id, _, _ in shown[2]] == [doc_id for doc_id, _, _ in shown[1]]
    assert [doc_id for doc_id, _, _ in shown[3]] == [doc_id for doc_id, _, _ in shown[1]]


def test_the_pages_count_the_versions_of_a_law_once(law_client: FlaskClient) -> None:
    # Three documents found, two hits (a law's versions grouped): two pages of one, not three.
    body = law_client.get("/api/search?q=水资源&size=1&page=2").get_json()
    assert (body["total"], body["total_hits"], len(body["hits"])) == (3, 2, 1)
    sections = law_client.get("/api/search?q=水资源&collapse=0").get_json()
    assert sections["total_hits"] == sections["total_sections"] == sections["total"]
    first = law_client.get("/search?q=水资源&size=1").get_data(as_text=True)
    assert "page=2" in first and "page=3" not in first
    past = law_client.get("/search?q=水资源&size=1&page=3").get_data(as_text=True)
    assert "这次检索的结果只有 2 页" in past


def test_the_laws_among_documents_count_each_law_once() -> None:
    table = VersionTable(
        {
            "水资源保护条例": [Version("old", "2017-03-01", ""), Version("new", "2023-06-30", "")],
            "节约用水办法": [Version("other", "2022-01-10", "")],
        }
    )
    labels = ["new", "other", "old", "unlisted"]  # as the doc_id column labels them
    assert table.laws_among(labels, np.array([0, 1, 2, 3])) == 3
    assert table.laws_among(labels, np.array([2, 3])) == 2
    assert table.laws_among(labels, np.array([0, 2])) == 1
    assert table.laws_among(labels, np.array([], dtype=np.int64)) == 0
