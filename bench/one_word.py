"""One-word searches whose characters also run across two other words: 民政 in 人民政府.

Draws, with a seeded generator, two-character words of the index whose characters are in
far more sections than the word itself (at least RATIO times: the pair mostly straddles two
other words there), and searches each alone, every section listed. For each search it
counts how many of the first 10 sections hold the word as a word (the index's word fields:
text, headings or title), out of as many as could (10, or fewer when fewer sections hold
it), shipped beside the release before's query, where the characters
counted as much as the word, in the same run on the same index. Prints the mean share, how
many searches put a section with the word first, and whether the totals are the same.

    python bench/one_word.py [--index DIR] [--samples 40] [--seed 7]

The index must hold the shared corpus (`govsearch reindex --corpus
$GOVSEARCH_SHARED/corpus/gov/docs --index DIR`).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.index.live import SearchIndex  # noqa: E402
from search.query import compile as compiling  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402

TWO_CHINESE = re.compile(r"[\u4e00-\u9fff]{2}")
WORD_FIELDS = ("body", "breadcrumb", "title")
RATIO = 3  # the characters in at least this many times as many sections as the word
LEAST_SECTIONS = 5  # words in fewer sections say little about a first page
PAGE = 10


def straddled_words(index: SearchIndex, samples: int, seed: int) -> list[str]:
    """`samples` two-character words (sorted, then drawn with `seed`) whose characters are
    in at least RATIO times as many sections' text as the word."""
    with index.searcher() as searcher:
        reader = searcher.reader()
        found = []
        for raw in reader.lexicon("body"):
            word = raw.decode("utf-8")
            if not TWO_CHINESE.fullmatch(word):
                continue
            sections = reader.doc_frequency("body", word)
            if sections >= LEAST_SECTIONS and (
                reader.doc_frequency("body_bigram", word) >= RATIO * sections
            ):
                found.append(word)
    return random.Random(seed).sample(sorted(found), min(samples, len(found)))


def with_word(index: SearchIndex, word: str) -> set[str]:
    """The ids of the sections that hold `word` as a word in one of WORD_FIELDS."""
    with index.searcher() as searcher:
        reader = searcher.reader()
        numbers: set[int] = set()
        for field in WORD_FIELDS:
            if (field, word) in reader:
                numbers.update(reader.postings(field, word).all_ids())
        return {searcher.stored_fields(n)["id"] for n in numbers}


@contextmanager
def characters_as_the_word() -> Iterator[None]:
    """The release before's query: a one-word term's characters count as much as the word."""
    shipped = compiling._one_word
    compiling._one_word = lambda words, runs: False
    try:
        yield
    finally:
        compiling._one_word = shipped


def first_page(index: SearchIndex, word: str) -> tuple[list[str], int]:
    """(ids of the first PAGE sections, every section found) for `word` searched alone."""
    results = run_search(index, SearchRequest.create(word, size=PAGE, collapse=False))
    return [hit.id for hit in results.hits], results.total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not (args.index / "current").exists():
        sys.exit(f"no index at {args.index}: govsearch reindex --index {args.index} first")
    with SearchIndex(args.index, cache_size=0) as index:
        words = straddled_words(index, args.samples, args.seed)
        systems: dict[str, list[tuple[float, bool, int]]] = {"shipped": [], "before": []}
        for word in words:
            holders = with_word(index, word)
            for name in systems:
                if name == "before":
                    with characters_as_the_word():
                        ids, total = first_page(index, word)
                else:
                    ids, total = first_page(index, word)
                share = sum(i in holders for i in ids) / min(PAGE, len(holders))
                systems[name].append((share, bool(ids) and ids[0] in holders, total))
    print(
        f"{len(words)} two-character words (seed {args.seed}) in at least {LEAST_SECTIONS} "
        f"sections, their characters in at least {RATIO} times as many: {' '.join(words)}"
    )
    for name, label in (
        ("shipped", "shipped: the word first"),
        ("before", "the characters as the word (the release before's query)"),
    ):
        rows = systems[name]
        mean = statistics.fmean(share for share, _, _ in rows) if rows else 0.0
        first = sum(leads for _, leads, _ in rows)
        print(
            f"  {label:<58} first {PAGE} sections with the word {mean:.1%}; "
            f"first section {first} of {len(rows)}"
        )
    same = sum(a[2] == b[2] for a, b in zip(systems["shipped"], systems["before"], strict=True))
    print(f"  sections found, the same both ways: {same} of {len(words)} searches")


if __name__ == "__main__":
    main()
