"""Article lookups: a law's short name and an article number find that article first.

Draws articles with a seeded generator from the laws STARD judges (its laws.tsv names each
law as people cite it: 民法典, 劳动合同法), and searches each the ways people type a citation:

- `民法典 第五百零九条`: name and article apart;
- `民法典第五百零九条`: as one run, as the laws themselves cite one another;
- `民法典第509条`: the article in Arabic numerals;
- `《民法典》第509条第一款`: the name in title marks, a paragraph of the article;
- `民法典509条`: Arabic numerals without 第.

A search succeeds at rank k when one of its first k hits (one per document) is a section
headed by that article in a document of that law (any version of it, any part of the Civil
Code). Prints success@1 and @10 for each form.

    python bench/articles.py [--index DIR] [--samples 300] [--seed 7]

The index must hold the shared corpus (`govsearch reindex --corpus
$GOVSEARCH_SHARED/corpus/gov/docs --index DIR`); laws.tsv is read from
$GOVSEARCH_SHARED/bench/stard.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import cn2an

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import ARTICLE, article_of, load_stard  # noqa: E402
from bench.shared import shared_dir  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402

FORMS = {
    "name and article apart": "{law} {article}",
    "as one run": "{law}{article}",
    "Arabic numerals": "{law}{arabic}",
    "in title marks, a paragraph": "《{law}》{arabic}第一款",
    "without 第": "{law}{arabic_bare}",
}


@dataclass(frozen=True)
class CitedArticle:
    law: str  # the short name: 民法典
    heading: str  # 第五百零九条

    @property
    def arabic(self) -> str:
        """The heading in Arabic numerals: 第509条 (第三十条之一 -> 第30条之一)."""
        number, _, rest = self.heading[1:].partition("条")
        return f"第{cn2an.cn2an(number, 'smart')}条{rest}"

    def query(self, form: str) -> str:
        arabic = self.arabic
        return FORMS[form].format(
            law=self.law, article=self.heading, arabic=arabic, arabic_bare=arabic[1:]
        )


def cited_articles(index: SearchIndex, short_names: dict[str, str]) -> list[CitedArticle]:
    """Every article of the judged laws in the index, once however many versions hold it."""
    found: dict[CitedArticle, None] = {}
    with index.searcher() as searcher:
        for fields in searcher.all_stored_fields():
            heading = fields.get("heading") or ""
            if not ARTICLE.fullmatch(heading):
                continue
            cited = article_of(fields.get("title", ""), heading, [], short_names)
            if cited is not None:
                found[CitedArticle(cited.removesuffix(heading), heading)] = None
    return sorted(found, key=lambda article: (article.law, article.heading))


def rank_of(
    index: SearchIndex, article: CitedArticle, query: str, short_names: dict[str, str]
) -> int | None:
    """1-based rank of the first hit that is the article (a section it heads)."""
    for rank, hit in enumerate(run_search(index, SearchRequest.create(query, size=10)).hits, 1):
        if article_of(hit.title, hit.heading, [], short_names) == article.law + article.heading:
            return rank
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    short_names = load_stard(shared_dir() / "bench" / "stard").short_names
    with SearchIndex(args.index, cache_size=0) as index:
        articles = cited_articles(index, short_names)
        sample = random.Random(args.seed).sample(articles, min(args.samples, len(articles)))
        laws = len({article.law for article in sample})
        print(f"articles: {len(sample)} of the {len(articles)} articles of STARD's laws")
        print(f"  (seed {args.seed}, from {laws} laws)")
        for form in FORMS:
            ranks = [rank_of(index, a, a.query(form), short_names) for a in sample]
            at1 = sum(rank == 1 for rank in ranks) / len(ranks)
            at10 = sum(rank is not None for rank in ranks) / len(ranks)
            example = sample[0].query(form)
            print(f"  {form:<28} ({example}): @1 {at1:.1%}  @10 {at10:.1%}")
            if args.show_misses:
                for article, rank in zip(sample, ranks, strict=True):
                    if rank != 1:
                        print(f"    rank {rank}: {article.query(form)}")


if __name__ == "__main__":
    main()
