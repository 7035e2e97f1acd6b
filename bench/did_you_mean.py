"""Whether "did you mean" corrects slips and leaves everyday words alone, on the shared index.

    python bench/did_you_mean.py --index DIR [--words 200] [--seed 5]

Two sets of one-word searches, drawn with a fixed seed:

- slips: words of the index (2-4 Chinese characters, in at least SOURCE_SECTIONS sections)
  with one character replaced by another of the same sound (toneless pinyin) taken from the
  index's own words, as a pinyin input method slips, kept when the index holds the result
  in fewer than COMMON sections. Corrected: the suggestion is the word.
- everyday words: words of jieba's dictionary (2-4 Chinese characters), drawn as often as
  the dictionary says they are used, that the index holds in fewer than COMMON sections as a
  word and yet finds in a section or more (inside longer words: 买房 in 购买房屋). Left
  alone: no suggestion.

Each set is cut into a tuning and a checking half. The shipped rule (a word in fewer than
COMMON sections may be a slip, unless the segmenter's dictionary holds it:
DICTIONARY_WORDS) runs beside the release before's (the index alone decides).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import jieba
from pypinyin import lazy_pinyin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import suggest  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402

SOURCE_SECTIONS = 20


def _chinese(word: str) -> bool:
    return 2 <= len(word) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in word)


def body_words(index: SearchIndex) -> dict[str, int]:
    """Each Chinese body word of the index with the sections that hold it."""
    with index.searcher() as searcher:
        reader = searcher.reader()
        terms = (t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("body"))
        return {t: reader.doc_frequency("body", t) for t in terms if _chinese(t)}


def slips(words: dict[str, int], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(slip, word) pairs: a common word with one character swapped for one of its sound."""
    by_sound: dict[str, list[str]] = {}
    for char in sorted({c for w in words for c in w}):
        by_sound.setdefault(lazy_pinyin(char)[0], []).append(char)
    sources = sorted(w for w, n in words.items() if n >= SOURCE_SECTIONS)
    pairs: dict[str, str] = {}  # slip -> word
    while len(pairs) < count:
        word = rng.choice(sources)
        at = rng.randrange(len(word))
        others = [c for c in by_sound[lazy_pinyin(word[at])[0]] if c != word[at]]
        if not others:
            continue
        slip = word[:at] + rng.choice(others) + word[at + 1 :]
        if words.get(slip, 0) < suggest.COMMON and slip not in pairs:
            pairs[slip] = word
    return list(pairs.items())


def everyday(
    index: SearchIndex, words: dict[str, int], count: int, rng: random.Random
) -> list[str]:
    """Dictionary words, drawn by use, rare in the index as words but found in it."""
    jieba.initialize()
    known = [(w, f) for w, f in jieba.dt.FREQ.items() if f > 0 and _chinese(w)]
    chosen: list[str] = []
    while len(chosen) < count:
        (word,) = rng.choices([w for w, _ in known], weights=[f for _, f in known])
        if word in chosen or words.get(word, 0) >= suggest.COMMON:
            continue
        if run_search(index, SearchRequest(text=word)).total_sections:
            chosen.append(word)
    return chosen


def _suggestion(index: SearchIndex, text: str) -> str | None:
    return run_search(index, SearchRequest(text=text)).suggestion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--words", type=int, default=200, help="of each set")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    index = SearchIndex(args.index, cache_size=0)
    rng = random.Random(args.seed)
    words = body_words(index)
    slip_pairs = slips(words, args.words, rng)
    usual = everyday(index, words, args.words, rng)
    half = args.words // 2
    print(
        f"{len(slip_pairs)} slips, {len(usual)} everyday words; halves of {half} (seed {args.seed})"
    )
    print(f"{'rule':<34}{'half':<10}{'slips corrected':>16}{'words left alone':>18}")
    for label, asked in (("shipped", True), ("the index alone (release before)", False)):
        suggest.DICTIONARY_WORDS = asked
        corrected = [_suggestion(index, slip) == word for slip, word in slip_pairs]
        alone = [_suggestion(index, word) is None for word in usual]
        for name, part in (("tuning", slice(0, half)), ("checking", slice(half, None))):
            c, a = corrected[part], alone[part]
            print(f"{label:<34}{name:<10}{sum(c) / len(c):>16.3f}{sum(a) / len(a):>18.3f}")


if __name__ == "__main__":
    main()
