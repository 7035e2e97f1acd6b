"""bench/one_character.py: one Chinese character searched alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_county_document

from bench import one_character
from bench.one_character import drawn_characters, measure, section_texts
from search.index.build import full_build
from search.index.live import SearchIndex


def test_a_character_inside_words_is_found_wherever_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    taxes = [
        "第一条 落实减税降费政策。",
        "第二条 依法缴纳个人所得税。",
        "第三条 税由税务机关征收。",
    ]
    write_county_document(corpus, "tax.txt", "某县财政办法", taxes)
    write_county_document(corpus, "safety.txt", "某县安全规则", ["第一条 加强安全生产管理。"])
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    monkeypatch.setattr(one_character, "LEAST_SECTIONS", 3)
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        texts = section_texts(index)
        assert len(texts) == 4
        drawn = drawn_characters(texts, 50, seed=7)
        assert "税" in drawn and "安" not in drawn  # 安 is in one section alone
        tax = measure(index, "税", texts, repeats=1)
        # the title holds no 税: three articles hold it, each inside a word or alone
        assert (tax.holding, tax.found, tax.first_holding) == (3, 3, 1.0)
        assert tax.milliseconds > 0
