"""Document kinds: the rules of kind_rules.tsv on hand-checked examples, the kinds of the
samples and of the shared corpus, and `kind=` in every surface (pages with their kind tabs,
JSON API, CLI, feed, widget, OpenAPI document)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import CORPUS, shared_dir
from flask.testing import FlaskClient

from bench.kinds import LEVEL_KINDS
from search.cli import cli
from search.ingest.header import split_header
from search.ingest.kinds import KIND_TABS, KINDS, OTHER, derive_kind, load_rules
from search.ingest.read import decode, find_documents, read_document

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize(
    ("title", "number", "agency", "kind"),
    [
        ("中华人民共和国反垄断法", "", "全国人民代表大会常务委员会", "法律"),
        ("中华人民共和国刑法（2020年修正）", "", "", "法律"),
        ("中华人民共和国刑法修正案（十一）", "", "全国人民代表大会常务委员会", "法律"),
        ("中华人民共和国民法典 合同编", "", "", "法律"),
        ("物业管理条例", "中华人民共和国国务院令第706号", "国务院", "行政法规"),
        ("中华人民共和国增值税暂行条例", "", "国务院", "行政法规"),
        ("武器装备科研生产许可管理条例", "", "国务院、中央军事委员会", "行政法规"),
        ("幼儿园管理条例", "国家教育委员会令第4号", "国家教育委员会", "行政法规"),
        ("生态保护补偿条例", "", "", "行政法规"),
        (
            "国务院关于印发“十四五”数字经济发展规划的通知",
            "国发〔2021〕29号",
            "国务院",
            "规范性文件",
        ),
        (
            "最高人民法院关于审理名誉权案件若干问题的解释",
            "",
            "最高人民法院",
            "司法解释",
        ),
        ("关于办理盗窃刑事案件适用法律若干问题的解释", "法释〔2013〕8号", "", "司法解释"),
        ("机动车登记规定", "公安部令第164号", "公安部", "部门规章"),
        ("特种设备安全监督检查办法", "", "国家市场监督管理总局", "部门规章"),
        ("药品进口管理办法", "", "市场监督管理总局", "部门规章"),
        ("浙江省特种设备安全管理条例", "", "浙江省人民代表大会常务委员会", "地方性法规"),
        ("上海市养犬管理条例", "", "", "地方性法规"),
        ("河南省人民代表大会常务委员会关于加快旅游业发展的决议", "", "河南省人大常委会", "其他"),
        ("晋城市扬尘污染防治管理办法", "晋市环发〔2018〕12号", "晋城市生态环境局", "规范性文件"),
        ("阳城县校外培训机构管理暂行办法", "阳教发[2016]45号", "阳城县教育局", "规范性文件"),
        ("关于进一步优化营商环境的若干意见", "阳政发〔2021〕3号", "阳城县人民政府", "规范性文件"),
        ("《阳城县进一步优化营商环境若干措施》政策解读", "", "阳城县人民政府", "政策解读"),
        ("市发展改革委负责同志就稳增长措施答记者问", "", "晋城市发展和改革委员会", "政策解读"),
        ("2024年晋城市政府工作报告", "", "晋城市人民政府", "工作报告"),
        ("2025年中华人民共和国国务院政府工作报告", "", "国务院", "工作报告"),
        ("1964年中华人民共和国国务院政府工作报告（摘要）", "", "国务院", "工作报告"),
        ("关于阳城县2020年上半年预算执行情况的报告", "", "阳城县财政局", "工作报告"),
        ("阳城县应急管理局2022年安全生产工作总结", "", "阳城县应急管理局", "工作总结"),
        ("阳城县人民政府2019年政府信息公开工作年度报告", "", "阳城县人民政府办公室", "工作总结"),
        (
            "第十四届全国人民代表大会第三次会议关于政府工作报告的决议",
            "",
            "全国人民代表大会",
            "其他",
        ),
        (
            "关于下达2024年重点工程项目建设计划的通知",
            "阳发改发〔2024〕6号",
            "阳城县发展和改革局",
            "通知公告",
        ),
        ("关于2024年春节放假安排的通知", "", "阳城县人民政府办公室", "通知公告"),
        ("阳城县自然资源局关于土地征收的公告", "", "阳城县自然资源局", "通知公告"),
        ("婚前隐瞒重大疾病 配偶可申请撤销婚姻", "", "", "其他"),
        ("赵某某诉山东省济南市历城区人民政府不履行拆迁安置补偿协议案", "", "", "其他"),
    ],
)
def test_a_documents_kind_follows_its_title_number_and_agency(
    title: str, number: str, agency: str, kind: str
) -> None:
    assert derive_kind(title, number, agency) == kind


def test_every_rule_names_a_kind_and_every_kind_has_a_tab() -> None:
    assert {rule.kind for rule in load_rules()} <= set(KINDS)
    grouped = [kind for _label, kinds in KIND_TABS for kind in kinds]
    assert sorted(grouped) == sorted(KINDS)  # each kind in exactly one tab


def test_a_bad_rule_is_reported_with_its_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.tsv"
    rules.write_text("# a comment\n法律\t法$\t*\t*\n公文\t通知$\t*\t*\n", "utf-8")
    with pytest.raises(ValueError, match=r"rules\.tsv:3: unknown kind '公文'"):
        load_rules(rules)
    rules.write_text("法律\t法$\t*\n", "utf-8")
    with pytest.raises(ValueError, match=r"rules\.tsv:1: expected"):
        load_rules(rules)
    rules.write_text("法律\t(法$\t*\t*\n", "utf-8")
    with pytest.raises(ValueError, match=r"rules\.tsv:1: bad pattern"):
        load_rules(rules)


SAMPLE_KINDS = {
    "000_cd729ddf2f2831ef": "工作总结",
    "samples/2016_yangcheng_training_rules": "规范性文件",
    "samples/2017_yangcheng_keji_summary": "工作总结",
    "samples/2018_jincheng_dust_measures": "规范性文件",
    "samples/2019_yangcheng_enforcement_rules": "规范性文件",
    "samples/2019_yangcheng_xxgk_annual": "工作总结",
    "samples/2020_yangcheng_budget_execution": "工作报告",
    "samples/2021_yangcheng_business_environment": "规范性文件",
    "samples/2021_yangcheng_renshe_fazhi": "工作总结",
    "samples/2022_yangcheng_medical_insurance_xxgk": "工作总结",
    "samples/2022_yangcheng_safety_summary": "工作总结",
    "samples/2023_yangcheng_rural_revitalization": "工作报告",
    "samples/2024_jincheng_government_work_report": "工作报告",
    "samples/2024_yangcheng_key_projects": "通知公告",
}


def test_the_samples_kinds() -> None:
    documents = [read_document(path, CORPUS) for path in find_documents(CORPUS)]
    assert {d.doc_id: d.kind for d in documents} == SAMPLE_KINDS


def _shared_kinds() -> dict[str, str]:
    """file name -> kind of each shared-corpus document, from its header."""
    docs = shared_dir() / "corpus" / "gov" / "docs"
    if not docs.is_dir():
        pytest.fail(f"shared corpus missing at {docs}: set GOVSEARCH_SHARED to the shared folder")
    kinds = {}
    for path in sorted(docs.glob("*.txt")):
        header = split_header(decode(path.read_bytes(), path))[0]
        kinds[path.name] = derive_kind(
            header.get("title", ""), header.get("doc_number", ""), header.get("agency", "")
        )
    return kinds


def test_the_shared_corpus_kinds_are_spread_and_agree_with_the_sources() -> None:
    kinds = _shared_kinds()
    counts = Counter(kinds.values())
    assert len(kinds) >= 3500
    assert max(counts.values()) / len(kinds) < 0.6  # local regulations are half the corpus
    assert counts[OTHER] / len(kinds) < 0.05
    for kind in ("法律", "行政法规", "司法解释", "部门规章", "地方性法规", "工作报告"):
        assert counts[kind] >= 50, (kind, counts)
    manifest = shared_dir() / "corpus" / "gov" / "manifest.jsonl"
    levels = {
        row["file"]: row["level"]
        for row in map(json.loads, manifest.read_text("utf-8").splitlines())
    }
    agree = sum(LEVEL_KINDS.get(levels[name], levels[name]) == kind for name, kind in kinds.items())
    assert agree / len(kinds) > 0.97


def _tabs(page: str) -> list[tuple[str, int, str | None, bool]]:
    """(label, count, query string or None, current) of each kind tab of a results page."""
    nav = re.search(r'<nav class="kind-tabs"[^>]*>(.*?)</nav>', page, re.S)
    assert nav, "no kind tabs"
    tabs = []
    for item in re.findall(r"<li>(.*?)</li>", nav.group(1), re.S):
        label, count = re.search(r'>([^<>]+) <span class="count">(\d+)</span>', item).groups()
        href = re.search(r'href="\?([^"]*)"', item)
        link = href.group(1).replace("&amp;", "&") if href else None
        tabs.append((label, int(count), link, 'aria-current="true"' in item))
    return tabs


def _kinds_of_hits(page: str) -> set[str]:
    return set(re.findall(r'<p class="meta">[^<]* · ([^·<]+)</p>', page))


def test_kind_tabs_count_every_kind_and_narrow_to_theirs(client: FlaskClient) -> None:
    everything = client.get("/search", query_string={"q": ""}).get_data(as_text=True)
    tabs = _tabs(everything)
    assert [label for label, *_ in tabs] == ["全部", *(label for label, _ in KIND_TABS)]
    counts = {label: count for label, count, _link, _current in tabs}
    assert counts == {
        "全部": 14, "法律法规": 0, "规范性文件": 4, "政策解读": 0, "报告": 9, "通知公告": 1,
        "其他": 0,
    }  # fmt: skip
    assert [label for label, _c, _l, current in tabs if current] == ["全部"]
    assert [label for label, _c, link, _ in tabs if link is None] == [
        "法律法规",
        "政策解读",
        "其他",
    ]

    link = next(link for label, _c, link, _ in tabs if label == "报告")
    assert (
        link
        == "kind=%E5%B7%A5%E4%BD%9C%E6%8A%A5%E5%91%8A&kind=%E5%B7%A5%E4%BD%9C%E6%80%BB%E7%BB%93"
    )
    reports = client.get("/search?" + link + "&size=20").get_data(as_text=True)
    assert _kinds_of_hits(reports) == {"工作报告", "工作总结"}
    assert len(re.findall(r'<li class="hit">', reports)) == 9
    narrowed = _tabs(reports)
    # the counts stay those of the search without the kind filter; the tab is marked
    assert {label: count for label, count, _l, _c in narrowed} == counts
    assert [label for label, _c, _l, current in narrowed if current] == ["报告"]
    back = next(link for label, _c, link, _ in narrowed if label == "全部")
    assert "kind=" not in back and "size=20" in back


def test_kind_tabs_keep_the_query_and_other_filters(client: FlaskClient) -> None:
    page = client.get("/search", query_string={"q": "管理", "year": "2019"}).get_data(as_text=True)
    tabs = _tabs(page)
    assert all(
        "q=%E7%AE%A1%E7%90%86" in link and "year=2019" in link for _, _, link, _ in tabs if link
    )
    assert tabs[0][1] == sum(count for _label, count, _link, _current in tabs[1:])


def test_kind_in_the_api_its_facet_and_the_document(client: FlaskClient) -> None:
    body = client.get("/api/search", query_string={"q": "", "kind": "规范性文件"}).get_json()
    assert body["total"] == 4 and {hit["kind"] for hit in body["hits"]} == {"规范性文件"}
    facet = {value["value"]: value for value in body["facets"]["kind"]}
    assert facet["规范性文件"]["selected"] and facet["工作总结"]["count"] == 6
    both = client.get("/api/search?kind=工作报告&kind=通知公告").get_json()
    assert both["total"] == 4 and {h["kind"] for h in both["hits"]} == {"工作报告", "通知公告"}
    document = client.get("/api/docs/samples/2018_jincheng_dust_measures").get_json()
    assert document["document"]["kind"] == "规范性文件"
    page = client.get("/docs/samples/2018_jincheng_dust_measures").get_data(as_text=True)
    assert '<th scope="row">文件类型</th><td>规范性文件</td>' in page


def test_kind_in_the_feed_and_the_widget(client: FlaskClient) -> None:
    feed = ET.fromstring(client.get("/search.atom?q=&kind=工作报告").data)
    titles = {e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")}
    assert titles == {
        "关于阳城县2020年上半年预算执行情况的报告",
        "阳城县农业农村局2023年乡村振兴工作情况报告",
        "2024年晋城市政府工作报告",
    }
    assert '["kind", "文件类型"]' in client.get("/embed.js").get_data(as_text=True)
    frame = client.get("/embed?q=&kind=通知公告").get_data(as_text=True)
    assert "重点工程项目建设计划" in frame and "扬尘" not in frame


def test_kind_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    parameter = next(
        p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "kind"
    )
    assert parameter["schema"]["type"] == "array" and "文件类型" in parameter["description"]
    assert parameter["schema"]["items"]["enum"] == list(KINDS)
    schemas: dict[str, Any] = spec["components"]["schemas"]
    assert schemas["Hit"]["properties"]["kind"]["enum"] == list(KINDS)
    assert "kind" in schemas["Hit"]["required"] and "kind" in schemas["DocumentMeta"]["required"]


def test_govsearch_search_kind(sample_index: Path) -> None:
    runner = CliRunner()
    found = runner.invoke(
        cli,
        [
            "search",
            "",
            "--index",
            str(sample_index),
            "--kind",
            "工作总结",
            "--json",
            "--limit",
            "20",
        ],
    )
    assert found.exit_code == 0, found.output
    body = json.loads(found.output)
    assert body["total"] == 6 and {hit["kind"] for hit in body["hits"]} == {"工作总结"}
    # A kind there is not, which could only find nothing, is refused with the kinds there are.
    refused = runner.invoke(
        cli, ["search", "营商环境", "--index", str(sample_index), "--kind", "法规"]
    )
    assert refused.exit_code == 2 and "'法规' is not a kind" in refused.output
    assert "地方性法规" in refused.output
