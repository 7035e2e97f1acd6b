"""The collection's own definitions, to bridge everyday words and the law's defined terms.

Laws define their terms in sentences such as 本法所称竞业限制，是指… or （一）经营者，是指…;
people asking a question describe the thing in the words of such a definition, never by
the term. A `DefinitionTable` holds each defined term with the telling words of its
definitions, and finds the terms whose definitions share words with a question: the search
then also looks for those terms, with a weight below the words typed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from search.text.normalize import normalize

# The marks that look for definitions in the index (as character pairs), and the sentence.
DEFINITION_MARKS = ("是指", "所称", "系指")
_DEFINITION = re.compile(
    r"(?:^|[。；;：:\n])\s*(?:第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?\s*)?"
    r"(?:[（(][一二三四五六七八九十]+[）)])?\s*"
    r"(?:(?:本(?:法|条例|规定|办法|解释|细则|规则|决定|条|章|款)|前(?:款|项|条))中?所称的?)?"
    r"[“\"]?(?P<term>(?!第)[\u4e00-\u9fff]{2,12})[”\"]?[，,]?\s*(?:是指|系指|指的是)"
    r"(?P<meaning>[^。；;]{4,200})"
)


def definitions_in(text: str) -> list[tuple[str, str]]:
    """(term, meaning) of each definition sentence in `text`."""
    found = _DEFINITION.finditer(normalize(text))
    return [(m["term"], m["meaning"]) for m in found if "所称" not in m["term"]]


@dataclass(frozen=True)
class Definition:
    term: str
    words: frozenset[str]  # the telling words of its meaning


class DefinitionTable:
    """Defined terms with the words of their definitions, and the question words' weights
    among definitions (a word found in many definitions, such as 单位, tells little)."""

    def __init__(self, definitions: Iterable[Definition]) -> None:
        unique = {(d.term, d.words): d for d in definitions if d.words}
        self.definitions = list(unique.values())
        self._by_word: dict[str, list[int]] = {}
        for number, definition in enumerate(self.definitions):
            for word in definition.words:
                self._by_word.setdefault(word, []).append(number)
        count = max(len(self.definitions), 1)
        self.weights = {w: math.log(count / len(ds)) for w, ds in self._by_word.items()}

    @classmethod
    def from_texts(
        cls, texts: Iterable[str], words_of: Callable[[str], Sequence[str]]
    ) -> DefinitionTable:
        """The definitions found in `texts`, their meanings cut into words by `words_of`."""
        return cls(
            Definition(term, frozenset(w for w in words_of(meaning) if len(w) > 1))
            for text in texts
            for term, meaning in definitions_in(text)
        )

    def terms_for(
        self, words: Sequence[str], limit: int, min_shared: int, coverage: float
    ) -> list[str]:
        """The first `limit` defined terms, by the weight of what they share with `words`,
        whose definitions share at least `min_shared` of them, carrying at least `coverage`
        of their weight (a word in no definition weighs most); none of `words`."""
        asked = set(words)
        shared: Counter[int] = Counter()
        for word in asked:
            for number in self._by_word.get(word, ()):
                shared[number] += 1
        best: dict[str, float] = {}
        top = math.log(max(len(self.definitions), 1))
        total = sum(self.weights.get(w, top) for w in asked if len(w) > 1)
        for number, count in shared.items():
            definition = self.definitions[number]
            if count < min_shared or definition.term in asked:
                continue
            weight = sum(self.weights[w] for w in definition.words & asked)
            if weight < coverage * total:
                continue
            best[definition.term] = max(best.get(definition.term, 0.0), weight)
        return sorted(best, key=lambda term: (-best[term], term))[:limit]

    def __len__(self) -> int:
        return len(self.definitions)
