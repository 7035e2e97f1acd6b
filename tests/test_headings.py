from __future__ import annotations

from search.ingest.headings import MAX_SECTION, parse_heading, split_sections

REGULATION = """2004年8月19日 某市第十二届人民代表大会常务委员会第十四次会议通过
目　　录
第一章　总　则
第二章　管理
第一章　总　则
第一条　为了规范管理，制定本条例。
第二条　本条例所称单位，包括：
（一）机关；
（二）企业。
第二章　管理
第一节　一般规定
第三条　单位应当遵守下列规定：
1.按时报送；
2.如实填报。
第三条之一　新增的条文。
"""

REPORT = """现将有关情况报告如下。
一、主要工作
（一）加强组织领导
成立领导小组。
1、开展培训。全年培训三次。
2.建立台账，按月调度，对发现的问题及时督促整改落实到位，确保各项工作任务按期完成。
（1）第一项
内容一。
二、下一步打算
继续努力。
"""


def test_regulation_sections_are_articles_with_their_items() -> None:
    sections = split_sections("law", REGULATION)
    assert [s.heading for s in sections] == ["", "第一条", "第二条", "第三条", "第三条之一"]
    assert sections[0].text.startswith("2004年8月19日")
    # the table of contents gives no sections; chapter names lose typesetting spaces
    assert sections[1].breadcrumb == ("第一章 总则", "第一条")
    assert sections[3].breadcrumb == ("第二章 管理", "第一节 一般规定", "第三条")
    # numbered items stay inside their article
    assert "（二）企业。" in sections[2].text
    assert sections[3].text.endswith("2.如实填报。")


def test_report_sections_nest_by_numbering_style() -> None:
    sections = split_sections("report", REPORT)
    assert [s.breadcrumb for s in sections] == [
        (),
        ("一、主要工作", "（一）加强组织领导"),
        ("一、主要工作", "（一）加强组织领导", "1、开展培训"),
        ("一、主要工作", "（一）加强组织领导", "1、开展培训", "（1）第一项"),
        ("二、下一步打算",),
    ]
    # one long numbered sentence is a list item, not a heading
    assert "2.建立台账" in sections[2].text
    for section in sections:
        assert REPORT[section.start : section.end] == section.text


def test_heading_recognition() -> None:
    assert parse_heading("第十二条 内容", inside_article=False).text == "第十二条"
    assert parse_heading("第一百零五条之二 内容", inside_article=False).text == "第一百零五条之二"
    assert parse_heading("（三）企业；", inside_article=True) is None
    assert parse_heading("1.5亿元用于建设", inside_article=False) is None
    assert parse_heading("2020年，全县经济平稳运行。", inside_article=False) is None
    assert parse_heading("(二)加大科技项目扶持", inside_article=False).rank == 6


def test_long_sections_are_cut_at_paragraph_ends() -> None:
    paragraph = "全县经济运行总体平稳，主要指标好于预期。" * 10 + "\n"  # 200 characters
    body = "二、经济运行\n" + paragraph * 20 + "三、下一步\n短文。\n"
    sections = split_sections("gwr", body)
    parts = [s for s in sections if s.heading == "二、经济运行"]
    assert len(parts) == 3
    assert all(len(p.text) <= MAX_SECTION for p in parts)
    assert all(p.breadcrumb == ("二、经济运行",) for p in parts)
    assert "".join(body[p.start : p.end + 1] for p in parts) == body[: sections[-1].start]
    assert [s.ordinal for s in sections] == list(range(len(sections)))
