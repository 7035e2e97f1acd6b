from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from conftest import CORPUS, SEED_NAME

from search.errors import IngestError
from search.ingest.header import parse_date, report_year, split_header
from search.ingest.read import find_documents, read_document
from search.ingest.topics import derive_topic

HEADER = (
    "索 引 号: | IDX-1 | 主题分类: | {topic} |\n"
    "发布机构: | 县财政局 | 成文日期: | 2019年3月2日 |\n"
    "标 题: | {title} | ||\n"
    "发文字号: | 阳财发〔2019〕2号 | 发布日期: | 2019-03-05 |\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_seed_metadata_is_parsed_exactly() -> None:
    report = read_document(CORPUS / SEED_NAME, CORPUS)
    assert report.doc_id == "000_cd729ddf2f2831ef"
    assert report.index_number == "11140522K03478216C405/2021-00259"
    assert report.title == "阳城县科学技术局2020年度法治政府建设报告"
    assert report.agency == "县科学技术局"
    assert report.doc_number == ""
    assert report.written is None
    assert report.published == "2021-01-04"
    # Published in 2021, but it reports on 2020.
    assert report.year == 2020
    # 主题分类 is empty in the seed: derived from the title by the rule table.
    assert report.topic == "法治政府建设"


def test_seed_sections_follow_the_heading_hierarchy() -> None:
    report = read_document(CORPUS / SEED_NAME, CORPUS)
    assert [s.heading for s in report.sections] == [
        "",
        "(一)做好科技支撑,持续创优营商环境",
        "(二)加大科技项目扶持",
        "(一)加强组织领导,健全法治建设",
        "1、开展宣传教育活动",
        "2、开展科技政策法规宣传",
        "(三)加强规范建设,做好政务公开",
        "(四)全员上阵,全力牢筑疫情防控网",
        "三、2021年法治政府建设的主要安排",
    ]
    second = report.sections[2]
    assert second.breadcrumb == ("一、主要举措和成效", "(二)加大科技项目扶持")
    assert report.sections[4].breadcrumb == (
        "二、党政主要负责人履行推进法治建设第一责任人职责情况",
        "(二)带头学习,加大法治宣传教育力度",
        "1、开展宣传教育活动",
    )
    for ordinal, section in enumerate(report.sections):
        assert section.ordinal == ordinal
        assert section.id == f"000_cd729ddf2f2831ef:s-{ordinal}"
        assert report.body[section.start : section.end] == section.text
    assert report.sections[0].text.startswith("2020年,县科技局坚持")
    assert report.sections[2].text.startswith("(二)加大科技项目扶持\n我局出台")


@pytest.mark.parametrize(
    "header",
    [
        # full-width colons, extra spaces, a value in the label's own cell
        "索引号：|A-1|主题分类：||\n发布机构：| 县教育局 |成文日期：|2020年5月6日|\n"
        "标　　题：|测试文件|||\n发文字号：|发布日期：||\n",
        "索 引 号 : | A-1 | 主题分类 : | |\n发布机构 : 县教育局 | 成文日期 : | 2020.05.06 |\n"
        "标 题 : 测试文件 | ||\n发文字号: | 发布日期: | |\n",
    ],
)
def test_header_variants(tmp_path: Path, header: str) -> None:
    path = write(tmp_path / "a.txt", header + "正文。\n")
    report = read_document(path, tmp_path)
    assert report.title == "测试文件"
    assert report.agency == "县教育局"
    assert report.index_number == "A-1"
    assert report.written == "2020-05-06"
    assert report.published is None
    assert report.body == "正文。\n"


def test_split_header_reports_where_the_body_starts() -> None:
    text = HEADER.format(topic="", title="某报告") + "第一行\n"
    header, offset, lines = split_header(text)
    assert lines == 4
    assert text[offset:] == "第一行\n"
    assert header["doc_number"] == "阳财发〔2019〕2号"
    assert header["published"] == "2019-03-05"


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2021年01月04日", "2021-01-04"),
        ("2021-1-4", "2021-01-04"),
        ("2021.01.04", "2021-01-04"),
        ("2021/1/4", "2021-01-04"),
        ("2021 年 1 月 4 日", "2021-01-04"),
        ("2021年13月04日", None),
        ("", None),
        ("不详", None),
    ],
)
def test_dates_become_iso(raw: str, iso: str | None) -> None:
    assert parse_date(raw) == iso


def test_year_prefers_the_year_a_title_names() -> None:
    assert report_year("某县2020年度法治政府建设报告", "2021-01-02", None) == 2020
    assert report_year("某某管理办法", "2018-06-05", "2019-01-01") == 2018
    assert report_year("某某管理办法", None, "2019-01-01") == 2019
    assert report_year("某某管理办法", None, None) is None


def test_topic_from_header_else_from_title_rules() -> None:
    assert derive_topic("2024年晋城市政府工作报告") == "政府工作报告"
    assert derive_topic("某局2021年度法治政府建设报告") == "法治政府建设"
    assert derive_topic("关于开展植树活动的通知") == ""


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gb18030", b"")],
)
def test_accepted_encodings(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = HEADER.format(topic="财政", title="阳城县财政局预算報告") + "一、总体情况\n收入增长。\n"
    path = tmp_path / "doc.txt"
    path.write_bytes(prefix + text.encode(encoding))
    report = read_document(path, tmp_path)
    assert report.title == "阳城县财政局预算報告"
    assert report.sections[0].heading == "一、总体情况"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("标题以外".encode("utf-16"), "UTF-16"),
        (b"\x80\x81\xff\xfe\xfd not text", "not UTF-8 or GB18030"),
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"\x00\x01\x02binary\x03" * 20, "binary data"),
        (b"just a line of text\n", "no document header"),
        (HEADER.format(topic="", title="").encode(), "no title"),
    ],
)
def test_bad_files_raise_ingest_error_with_path_and_reason(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(IngestError) as caught:
        read_document(path, tmp_path)
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert str(path) in str(caught.value)


def test_missing_title_names_the_title_line(tmp_path: Path) -> None:
    path = write(tmp_path / "x.txt", HEADER.format(topic="", title="") + "正文\n")
    with pytest.raises(IngestError) as caught:
        read_document(path, tmp_path)
    assert caught.value.line == 4


def test_undecodable_bytes_report_their_line(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes("第一行\n第二行\n".encode() + b"\x80\xff\xfe\n")
    with pytest.raises(IngestError) as caught:
        read_document(path, tmp_path)
    assert caught.value.line == 3


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot read"):
        read_document(tmp_path / "gone.txt", tmp_path)


def test_portal_html_page(tmp_path: Path) -> None:
    page = CORPUS / "samples" / "2024_yangcheng_key_projects.html"
    report = read_document(page, CORPUS)
    assert report.title == "阳城县发展和改革局关于下达2024年重点工程项目建设计划的通知"
    assert report.agency == "阳城县发展和改革局"
    assert report.doc_number == "阳发改发〔2024〕6号"
    assert report.topic == "发展规划"
    assert (report.written, report.published) == ("2024-03-11", "2024-03-13")
    # scripts, styles, navigation and the repeated headline are not body text
    assert "var site" not in report.body and "首页" not in report.body
    assert not report.body.startswith("阳城县发展和改革局关于")
    assert report.body.startswith("各乡（镇）人民政府，县直有关单位：\n")
    assert [s.breadcrumb for s in report.sections[2:4]] == [
        ("二、工作要求", "（一）压实项目责任"),
        ("二、工作要求", "（二）强化要素保障"),
    ]


def test_html_without_metadata_table_uses_h1(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.html",
        "<html><body><h1>关于&lt;测试&gt;的通知</h1><p>一、总则</p><p>正文内容。</p>"
        "<script>alert(1)</script></body></html>",
    )
    report = read_document(path, tmp_path)
    assert report.title == "关于<测试>的通知"
    assert "alert" not in report.body
    assert report.sections[0].heading == "一、总则"


def test_find_documents_lists_corpus_files_in_order() -> None:
    paths = find_documents(CORPUS)
    assert paths == sorted(paths)
    assert CORPUS / SEED_NAME in paths
    assert all(p.suffix in (".txt", ".html") for p in paths)
    assert not any(p.name == "README.md" for p in paths)
    assert len(paths) >= 13


def test_a_date_that_is_not_a_date_is_located_at_its_own_label(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(
        "索 引 号: | 11140522012737611B/2016-00021 | 主题分类: | |\n"
        "发布机构: | 县政府 | 成文日期: | 明天 |\n"
        "标 题: | 关于2016年工作的通知 | ||\n"
        "发文字号: | 发布日期: | 2016 |\n"
        "正文。\n",
        "utf-8",
    )
    report = read_document(path, tmp_path)
    assert [line for line, _reason in report.problems] == [2, 4]
    assert report.written is None and report.published is None and report.year == 2016
