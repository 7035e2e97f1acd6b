"""Whether a facet's count is what choosing its value finds: for questions (found by words
and by meaning) and keyword queries, each value's count on the unfiltered page against the
total of the same search with that value chosen.

    python bench/facet_counts.py --index DIR [--questions 20] [--values 6] [--seed 7]

The questions are drawn from STARD's dev questions ($GOVSEARCH_SHARED/bench/stard) with a
fixed seed, the keyword queries are their first two words; for each search, the `--values`
most counted values of 发布机构, 类型 and 年份 are chosen in turn. Printed per kind of
search: values checked, how many counts differ from the total found, and the largest gap.
Choosing a value should not change whether the words are relaxed (that is decided with no
value chosen); the values where it did, and their counts, are printed with `--show`. Every
section of the index should be embedded (`govsearch embed`), or the questions are found by
words alone.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import load_stard  # noqa: E402
from bench.shared import shared_dir  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.compile import precise_words  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402

# facet name -> the keyword SearchRequest.create takes its value by
FACET_KEYWORDS = {"agency": "agencies", "kind": "kind", "year": "year"}


@dataclass(frozen=True)
class Gap:
    text: str
    facet: str
    value: str
    count: int  # on the unfiltered page
    found: int  # with the value chosen
    relaxed: bool  # whether the search with the value chosen was relaxed


def gaps(index: SearchIndex, text: str, values: int) -> tuple[int, list[Gap]]:
    """(values checked, those whose count differs from what choosing them finds)."""
    unfiltered = run_search(index, SearchRequest.create(text))
    checked, differing = 0, []
    for facet, keyword in FACET_KEYWORDS.items():
        for value in unfiltered.facets[facet][:values]:
            chosen = run_search(index, SearchRequest.create(text, **{keyword: str(value.value)}))
            checked += 1
            if chosen.total != value.count:
                differing.append(
                    Gap(text, facet, str(value.value), value.count, chosen.total, chosen.relaxed)
                )
    return checked, differing


def keywords_of(question: str) -> str:
    """The first two words of a question that say something: a keyword query."""
    return " ".join(precise_words(question)[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--values", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", action="store_true", help="print every differing count")
    args = parser.parse_args()
    questions = sorted(load_stard(shared_dir() / "bench" / "stard").questions.values())
    drawn = random.Random(args.seed).sample(questions, min(args.questions, len(questions)))
    print(f"{len(drawn)} STARD dev questions (seed {args.seed}), {args.values} values a facet")
    with SearchIndex(args.index, cache_size=0) as index:
        for kind, texts in (("questions", drawn), ("keywords", [keywords_of(q) for q in drawn])):
            checked, differing = 0, []
            for text in texts:
                n, found = gaps(index, text, args.values)
                checked += n
                differing += found
            widest = max((abs(g.found - g.count) for g in differing), default=0)
            relaxed = sum(g.relaxed for g in differing)
            print(
                f"  {kind:<10} values checked {checked:>4}  counts differing {len(differing):>4}"
                f" (choosing the value relaxed the words: {relaxed})  largest gap {widest}"
            )
            if args.show:
                for gap in differing:
                    print(f"    {gap}")


if __name__ == "__main__":
    main()
