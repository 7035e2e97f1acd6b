"""bench/articles.py: articles drawn from the judged laws, cited the ways people type them."""

from __future__ import annotations

from pathlib import Path

from bench.articles import FORMS, CitedArticle, cited_articles, rank_of
from search.index.build import full_build
from search.index.live import SearchIndex


def _law(folder: Path, name: str, title: str, date: str, articles: list[str]) -> None:
    header = (
        "索 引 号: | | 主题分类: | 法律 |\n发布机构: | 全国人民代表大会 | 成文日期: | |\n"
        f"标 题: | {title} | ||\n发文字号: | 发布日期: | {date} |\n"
    )
    (folder / name).write_text(header + "\n".join(articles) + "\n", "utf-8")


def test_articles_of_judged_laws_once_each_and_found_in_every_form(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    articles = ["第一条 为了保护水资源，制定本法。", "第十二条 国家对水资源实行流域管理。"]
    _law(corpus, "old.txt", "中华人民共和国水法", "2002年08月29日", articles)
    _law(corpus, "new.txt", "中华人民共和国水法", "2016年07月02日", articles)
    _law(
        corpus,
        "other.txt",
        "某省河道条例",
        "2019年01月01日",
        ["第一条 依照水法第十二条，制定本条例。"],
    )
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    short_names = {"中华人民共和国水法": "水法"}
    with SearchIndex(tmp_path / "ix", cache_size=0) as index:
        found = cited_articles(index, short_names)
        # two versions, one article each; the other law is not judged
        assert found == [CitedArticle("水法", "第一条"), CitedArticle("水法", "第十二条")]
        twelfth = found[1]
        assert twelfth.arabic == "第12条"
        assert [twelfth.query(form) for form in FORMS] == [
            "水法 第十二条",
            "水法第十二条",
            "水法第12条",
            "《水法》第12条第一款",
            "水法12条",
        ]
        for form in FORMS:
            assert rank_of(index, twelfth, twelfth.query(form), short_names) == 1
        assert rank_of(index, twelfth, "河道条例", short_names) is None
