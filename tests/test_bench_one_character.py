"""bench/one_character.py: one Chinese character searched alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import one_character
from bench.one_character import drawn_characters, measure, section_texts
from search.index.build import full_build
from search.index.live import SearchIndex


def _document(folder: Path, name: str, title: str, articles: list[str]) -> None:
    header = (
        "索 引 号: | | 主题分类: | 财政 |\n发布机构: | 某县财政局 | 成文日期: | |\n"
        f"标 题: | {title} | ||\n发文字号: | | 发布日期: | 2020年01月03日 |\n"
    )
    (folder / name).write_text(header + "\n".join(articles) + "\n", "utf-8")


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
    _document(corpus, "tax.txt", "某县财政办法", taxes)
    _document(corpus, "safety.txt", "某县安全规则", ["第一条 加强安全生产管理。"])
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
