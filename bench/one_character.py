"""One Chinese character searched alone (税, 水): how many of the sections that hold it are
found, whether the first ones hold it, and how long a search takes.

Draws, with a seeded generator, characters that stand in the text of at least
LEAST_SECTIONS of a seeded sample of sections (stop words left out), searches each alone,
every section listed, and compares the sections found with those whose text, headings or
title hold the character (normalised as the index normalises). Prints, over the
characters, the share of those sections found (median and least), the share of the first
10 that hold the character, and the search's time (p50 and p95 of the median of
--repeats runs each). Run it from another checkout (`python OTHER/bench/one_character.py
--index ITS_INDEX`) for that release's figures on the same draw.

    python bench/one_character.py [--index DIR] [--samples 30] [--seed 7] [--repeats 3]

The index must hold the shared corpus (`govsearch reindex --corpus
$GOVSEARCH_SHARED/corpus/gov/docs --index DIR`).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.index.live import SearchIndex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402
from search.text.analysis import query_stopwords  # noqa: E402
from search.text.normalize import normalize  # noqa: E402

CHINESE = re.compile(r"[\u4e00-\u9fff]")
TEXT_FIELDS = ("body", "breadcrumb", "title")
SAMPLED_SECTIONS = 3000
LEAST_SECTIONS = 5  # of the sampled sections: a character that common is a fair search
PAGE = 10


def _text(fields: dict[str, object]) -> str:
    return normalize(" ".join(str(fields.get(name) or "") for name in TEXT_FIELDS))


def drawn_characters(texts: list[str], samples: int, seed: int) -> list[str]:
    """`samples` characters (sorted, then drawn with `seed`) in the text of at least
    LEAST_SECTIONS of `texts`, stop words left out."""
    sections: Counter[str] = Counter()
    for text in texts:
        sections.update(set(CHINESE.findall(text)))
    stop = query_stopwords()
    common = sorted(c for c, n in sections.items() if n >= LEAST_SECTIONS and c not in stop)
    return random.Random(seed).sample(common, min(samples, len(common)))


@dataclass
class CharacterSearch:
    holding: int  # sections whose text, headings or title hold the character
    found: int  # sections the search found
    first_holding: float  # of the first PAGE (or of all, when fewer hold it), those holding it
    milliseconds: float  # the median of the runs


def measure(index: SearchIndex, character: str, texts: list[str], repeats: int) -> CharacterSearch:
    """`character` searched alone, every section listed, `repeats` times, against `texts`
    (every section's text, headings and title, normalised)."""
    holding = sum(character in text for text in texts)
    request = SearchRequest.create(character, collapse="false", size=PAGE)
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        results = run_search(index, request)
        runs.append((time.perf_counter() - started) * 1000)
    with index.searcher() as searcher:
        hits = [searcher.document(id=hit.id) or {} for hit in results.hits]
    first = sum(character in _text(hit) for hit in hits) / max(1, min(PAGE, holding))
    return CharacterSearch(holding, results.total_sections, first, statistics.median(runs))


def section_texts(index: SearchIndex) -> list[str]:
    with index.searcher() as searcher:
        return [_text(fields) for fields in searcher.all_stored_fields()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not (args.index / "current").exists():
        sys.exit(f"no index in {args.index}: build one from the shared corpus first")
    with SearchIndex(args.index, cache_size=0) as index:
        texts = section_texts(index)
        sample = random.Random(args.seed).sample(texts, min(SAMPLED_SECTIONS, len(texts)))
        searches = []
        for character in drawn_characters(sample, args.samples, args.seed):
            searches.append(found := measure(index, character, texts, args.repeats))
            print(
                f"{character}  holding {found.holding:6}  found {found.found:6}  first {PAGE}"
                f" holding it {found.first_holding:.0%}  {found.milliseconds:.0f} ms"
            )
    if not searches:
        sys.exit("no character is common enough in the sampled sections: is the index empty?")
    shares = [found.found / found.holding for found in searches]
    times = sorted(found.milliseconds for found in searches)
    print(
        f"\n{len(searches)} characters (seed {args.seed}): sections found of those holding"
        f" the character, median {statistics.median(shares):.1%}, least {min(shares):.1%};"
        f" of the first {PAGE}, holding it"
        f" {statistics.mean(found.first_holding for found in searches):.1%}; a search p50"
        f" {statistics.median(times):.0f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms"
    )


if __name__ == "__main__":
    main()
