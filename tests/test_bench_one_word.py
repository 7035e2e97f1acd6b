"""bench/one_word.py: one-word searches whose characters also run across two other words."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_county_document

from bench import one_word
from bench.one_word import characters_as_the_word, first_page, straddled_words, with_word
from search.index.build import full_build
from search.index.live import SearchIndex


def test_words_drawn_are_straddled_and_the_shipped_query_puts_the_word_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    government = [f"第{n}条 县人民政府和乡人民政府依法履行职责。" for n in "一二三四五六"]
    write_county_document(corpus, "government.txt", "某县人民政府工作规则", government)
    civil = ["第一条 县民政局负责优抚工作。", "第二条 乡镇设民政助理员。"]
    write_county_document(corpus, "civil.txt", "某县优抚办法", civil)
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    monkeypatch.setattr(one_word, "LEAST_SECTIONS", 2)
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        drawn = straddled_words(index, 10, seed=7)
        assert "民政" in drawn and "人民" not in drawn  # 人民 is a word wherever it is
        holders = with_word(index, "民政")
        assert holders == {"civil:s-0", "civil:s-1"}
        shipped, total = first_page(index, "民政")
        assert set(shipped[:2]) == holders
        with characters_as_the_word():
            before, total_before = first_page(index, "民政")
        assert set(before[:2]) != holders  # the government's short, repeated sections lead
        assert total == total_before == 8
