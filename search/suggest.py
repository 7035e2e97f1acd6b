""" "Did you mean": a close query that finds much more than the one typed.

Tried only when a search finds little. Candidates replace one term (or one of its words)
with a word of the index one character away (replaced, added or dropped), as Whoosh's
corrector finds them in the body lexicon among the words with the same first character
(as Lucene's spell checker does by default: scanning the whole lexicon per word costs about
half a second on a large index). Traditional characters, full-width forms and the
synonyms in `data/synonyms.txt` need no suggestion: every query already searches them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from whoosh.searching import Searcher

from search.normalize import normalize
from search.query import FEW_HITS, CompiledQuery, compile_query, content_words
from search.querylang import parse
from search.ranking import matching_docs

MAX_WORDS_TRIED = 4
# A question of many words that found answers by its important words needs no correction.
SHORT_QUERY_WORDS = 4
COMMON = 3  # a word found in this many sections is a word, not a typo (行凶 is not 行政)
GAIN = 2  # the suggestion must find at least this many times as many hits


def worth_suggesting(compiled: CompiledQuery, full_matches: int, hits: int) -> bool:
    """Look for a better query when few sections match the whole query and either few were
    found at all, or the query is short and only its relaxed form found more (a typo in one
    of two words, say)."""
    if not compiled.words or full_matches >= FEW_HITS:
        return False
    return hits < FEW_HITS or len(compiled.words) <= SHORT_QUERY_WORDS


def _candidates(searcher: Searcher, text: str) -> list[str]:
    folded = normalize(text)
    words: dict[str, None] = {}
    for clause in parse(text):
        if clause.negated:
            continue
        for term in clause.terms:
            if not term.exact:
                words.update(dict.fromkeys((term.text, *content_words(term.text))))
    tried = [
        w
        for w in words
        if 2 <= len(w) <= 12 and w in folded and searcher.doc_frequency("body", w) < COMMON
    ]
    corrector = searcher.corrector("body")
    candidates = (
        folded.replace(word, better)
        for word in tried[:MAX_WORDS_TRIED]
        for better in corrector.suggest(word, limit=3, maxdist=1, prefix=1)
        if better != word
    )
    return list(dict.fromkeys(candidates))


def suggest(
    searcher: Searcher, text: str, narrow: Callable[[np.ndarray], np.ndarray], found: int
) -> str | None:
    """The candidate that finds the most sections (under the same filters), if it finds
    clearly more than `found`."""
    counted = [
        (len(narrow(matching_docs(searcher, compile_query(c).strict))), c)
        for c in _candidates(searcher, text)
    ]
    if not counted:
        return None
    count, best = max(counted, key=lambda item: item[0])  # the first of equals
    return best if count >= max(found * GAIN, 1) else None
