"""The definitions of an index's laws (本法所称X，是指Y), read once per index generation.

Only the sections holding a definition's mark (是指, 所称) are read: a few thousand of the
shared corpus's sections, in well under a second.
"""

from __future__ import annotations

from whoosh import query as q
from whoosh.searching import Searcher

from search.index.sections import StoredSection
from search.rank.ranking import matching_docs
from search.text.analysis import query_stopwords, word_tokens
from search.text.definitions import DEFINITION_MARKS, DefinitionTable


def _words(text: str) -> list[str]:
    return [word for word, *_ in word_tokens(text, False, query_stopwords())]


def read_definitions(searcher: Searcher) -> DefinitionTable:
    """The definitions in the bodies of the searcher's sections."""
    marked = q.Or([q.Term("body_bigram", mark) for mark in DEFINITION_MARKS])
    bodies = (
        StoredSection.read(searcher.stored_fields(int(docnum))).body
        for docnum in matching_docs(searcher, marked)
    )
    return DefinitionTable.from_texts(bodies, _words)
