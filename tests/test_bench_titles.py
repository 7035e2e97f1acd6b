"""bench/titles.py: a title typed whole finds its document first, before what cites it."""

from __future__ import annotations

from pathlib import Path

from bench import titles
from search.index.build import full_build
from search.index.live import SearchIndex
from tests.test_bench_articles import _law

LAW = "中华人民共和国水法"
RULES = "中华人民共和国水法实施细则"
LOCAL = "某省实施《中华人民共和国水法》办法"
CITING = "根据《中华人民共和国水法》，"
DATE = "2020年01月01日"


def test_a_law_typed_whole_or_by_its_name_comes_before_what_cites_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    law = ["第一条 为了合理开发利用水资源，制定本法。", "第二条 国家对水资源实行取水许可制度。"]
    _law(corpus, "law.txt", LAW, DATE, law)
    # every article of the rules cites the law by its full title, as their title does
    rules = [f"第{n}条 {CITING}{CITING}制定本细则第{n}部分。" for n in "一二三四五六"]
    _law(corpus, "rules.txt", RULES, DATE, rules)
    _law(corpus, "local.txt", LOCAL, DATE, [f"第一条 {CITING}结合本省实际，制定本办法。"])
    _law(corpus, "notice.txt", "关于做好防汛工作的通知 附件", DATE, ["一、加强值守。"])
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        found = titles.titles_of(index)
        assert found == sorted([LAW, RULES, LOCAL])  # a title with a space is a part's
        groups = titles.searches(found)
        assert groups["the same without 中华人民共和国"] == [("水法", LAW), ("水法实施细则", RULES)]
        for pairs in groups.values():
            for typed, title in pairs:
                assert titles.first_title(index, typed) == title, typed
        assert titles.first_title(index, "qzxwv") is None
