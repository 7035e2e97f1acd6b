"""Text pasted from a real document finds that document (the bigram fields at work)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.known_items import (
    KnownItem,
    KnownItemScores,
    best_possible,
    cut_chance,
    document_rank,
    print_known_items,
    sample_known_items,
    score_known_items,
)
from search.index.build import full_build
from search.index.live import SearchIndex
from search.index.versions import Version, VersionTable
from search.query import compile as compile_module


def test_pasted_runs_find_their_document(shared_corpus: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(shared_corpus.glob("*.txt"))[::25]:
        (corpus / path.name).symlink_to(path)
    full_build(corpus, tmp_path / "ix", procs=2)
    items = sample_known_items(corpus, samples=120, seed=11).items
    with SearchIndex(tmp_path / "ix") as index:
        ranks = [document_rank(index, item) for item in items]
    in_top10 = sum(r is not None and r <= 10 for r in ranks) / len(ranks)
    unique = [r for r, item in zip(ranks, items, strict=True) if item.holders == 1]
    first = sum(r == 1 for r in unique) / len(unique)
    assert in_top10 >= 0.98
    # a run found in one document only: that document comes first
    assert first >= 0.95
    assert len(unique) > 60


def _write_report(folder: Path, name: str, title: str, body: str) -> None:
    header = (
        "索 引 号: | | 主题分类: | |\n发布机构: | 县应急管理局 | 成文日期: | |\n"
        f"标 题: | {title} | ||\n发文字号: | 发布日期: | 2021年01月04日 |\n"
    )
    (folder / name).write_text(header + body + "\n", "utf-8")


def test_runs_found_in_three_documents_are_dropped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_report(tmp_path, "a.txt", "甲报告", "本县建立健全行政执法公示制度推进科技创新平台建设")
    for name in ("b.txt", "c.txt", "d.txt"):
        _write_report(tmp_path, name, f"{name}通知", "全面落实安全生产责任制度强化隐患排查治理")
    sample = sample_known_items(tmp_path, samples=20, seed=3)
    assert len(sample.items) == 20
    assert {item.doc_id for item in sample.items} == {"a"}
    assert sample.dropped > 0
    assert sample.cut == len(sample.items) + sample.dropped
    scores = KnownItemScores(1.0, 1.0, {1: (20, 1.0, 1.0)}, [1.0], best_at1=(0.93, 0.948))
    print_known_items(scores, sample, seed=3)
    printed = capsys.readouterr().out
    assert "kept only when found in at most 2 documents" in printed
    assert f"{sample.dropped} of {sample.cut} runs cut were dropped" in printed
    assert "from the run alone (the likelier holder first): @1 93.0%, with versions 94.8%" in (
        printed
    )


def test_the_chance_of_a_cut_is_how_often_the_sampler_cuts_it(tmp_path: Path) -> None:
    body = "第一条 甲乙丙丁戊己，庚辛壬癸。"  # runs of 6 and 4 characters ("第一条" is too short)
    _write_report(tmp_path, "a.txt", "甲报告", body)
    items = sample_known_items(tmp_path, samples=3000, seed=1).items
    for text in ("庚辛壬癸", "甲乙丙丁", "乙丙丁戊己"):
        drawn = sum(item.text == text for item in items) / len(items)
        assert drawn == pytest.approx(cut_chance(body, text), abs=0.02)
    # the whole 4-character run: its run drawn (1 in 2), its only length and start
    assert cut_chance(body, "庚辛壬癸") == pytest.approx(0.5)
    # 4 of the 6-character run's characters: 1 in 2 runs, 1 in 3 lengths, 1 in 3 starts
    assert cut_chance(body, "甲乙丙丁") == pytest.approx(1 / 18)
    assert cut_chance(body, "丁戊己庚") == 0.0  # across the comma: never cut
    # a text at two places of a run is cut twice as often as at one
    assert cut_chance("甲乙甲乙甲", "甲乙") == 0.0  # shorter than any cut
    assert cut_chance("甲乙丙丁甲乙丙丁", "甲乙丙丁") == pytest.approx(2 / (5 * 5))


def test_the_best_possible_ranking_puts_the_likelier_holder_first() -> None:
    shared = KnownItem("a", "鼓励居民家庭种植", 2, ("a", "b"), (0.03, 0.01))
    alone = KnownItem("a", "美化环境质量", 1, ("a",), (0.02,))
    no_versions = VersionTable({})
    # the shared run: first holder right 3 times in 4; the run of one document: always
    assert best_possible([shared, alone], no_versions) == pytest.approx((0.875, 0.875))
    versions = VersionTable(
        {"甲条例": [Version("a", "2020-01-01", ""), Version("b", "2010-01-01", "")]}
    )
    # counting versions, either holder names the source's law
    assert best_possible([shared, alone], versions) == pytest.approx((0.875, 1.0))


def test_a_run_in_two_documents_counts_either_holder_first(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shared_run = "鼓励居民家庭种植花草树木"
    _write_report(corpus, "a.txt", "甲市城市绿化条例", f"第一条 {shared_run}，美化环境。")
    _write_report(corpus, "b.txt", "乙市城市绿化条例", f"第一条 {shared_run}。")
    _write_report(corpus, "c.txt", "丙县工作报告", "全面推进依法行政，建设法治政府。")
    sample = sample_known_items(corpus, samples=40, seed=5)
    assert {item.holder_ids for item in sample.items if shared_run in item.text} <= {("a", "b")}
    both = [KnownItem(doc_id, shared_run, 2, ("a", "b")) for doc_id in ("a", "b")]
    full_build(corpus, tmp_path / "ix", procs=1)
    with SearchIndex(tmp_path / "ix") as index:
        scores = score_known_items(index, both)
    # one of the two sources is necessarily second; either holder is first for both
    assert scores.at1 == 0.5
    assert scores.any_holder_at1 == 1.0


def test_a_run_cut_mid_word_finds_its_section_before_those_with_only_its_word(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = (
        "项目自二〇一三年下半年动工建设，因公司与其委托施工单位发生纠纷，项目自二〇一五年七月始停滞。"
        "同年十一月，市交通局向公司下达了《违约整改通知书》，要求公司迅速组织项目资金到位，"
        "恢复施工，并在期限内报告资金落实、复工安排、工程质量、安全措施和进度计划的情况。"
        "公司未按期恢复施工，市人民政府遂决定解除特许权协议，公司不服，申请行政复议。"
    ) + "复议机关审理后认为，解除协议的程序合法，事实清楚，证据确实充分，适用法律正确。" * 8
    _write_report(corpus, "source.txt", "某公司诉市人民政府解除特许权协议一案", source)
    for number in range(4):
        audit = "审计机关下达整改通知，报告整改情况；整改不力的，督促整改。"
        _write_report(corpus, f"audit{number}.txt", f"审计规定{number}", audit)
    for number in range(30):  # sections without 整改: it is a telling word
        filler = f"第{number + 1}条 绿化工程节约整合用地，保护古树名木，提高城市生态环境质量。"
        _write_report(corpus, f"green{number}.txt", f"城市绿化条例{number}", filler)
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    item = KnownItem("source", "约整改通", 1, ("source",))
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        assert document_rank(index, item) == 1
        # counted in full, the word alone (整改, the run's 约 and 通 left out) wins
        monkeypatch.setattr(compile_module, "_kept_share", lambda text, words: 1.0)
        assert document_rank(index, item) != 1
