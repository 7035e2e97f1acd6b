"""The Whoosh schema, in one place.

Title and body are each indexed twice: as jieba words (`title`, `body`; positions and
character offsets stored for phrases and highlighting) and as overlapping character bigrams
(`title_bigram`, `body_bigram`; positions are character offsets) so that text cut mid-word
is still found. Changing anything here, or in how the engine writes postings, means
`SCHEMA_VERSION` goes up and the next reindex rebuilds the index from scratch.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Characters, Format, Positions

from search.engine.postings import ArrayCharacters, ArrayPositions
from search.text.analysis import bigram_analyzer, load_stopwords, word_analyzer
from search.text.segmenter import DOMAIN_DICTIONARY
from search.text.synonyms import SYNONYMS_FILE

# Recorded in each build's build.json; an index of another version is rebuilt, never read.
# Whoosh pickles the schema, so an index names the modules of its field and analyzer
# classes: moving them is a new version too.
SCHEMA_VERSION = 14


def analysis_fingerprint() -> dict[str, str | int]:
    """What decides how text becomes terms, recorded in each build's build.json: indexes
    whose sections are searched together (shards) must agree on every part, or one word
    would be different terms on different shards."""
    return {
        "schema_version": SCHEMA_VERSION,
        "segmenter": f"rjieba {importlib.metadata.version('rjieba')}",
        "dictionary": _digest(DOMAIN_DICTIONARY.read_bytes()),
        "stopwords": _digest("\n".join(sorted(load_stopwords())).encode("utf-8")),
        "synonyms": _digest(SYNONYMS_FILE.read_bytes()),
    }


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


class AnalyzedText(TEXT):  # type: ignore[misc]
    """TEXT that indexes from the tokenizer's raw tuples, without a Whoosh Token per token.

    The postings are exactly those Whoosh's own indexing would write (a test compares them).
    Positions are encoded as plain arrays (`search.engine.postings`), which the flat posting
    files are made from.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        whooshs: Format = getattr(self, "format")  # noqa: B009 - set by TEXT, untyped
        if isinstance(whooshs, Characters):
            self.format = ArrayCharacters(field_boost=whooshs.field_boost)
        elif isinstance(whooshs, Positions):
            self.format = ArrayPositions(field_boost=whooshs.field_boost)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        counted_tokens = getattr(self.analyzer, "counted_tokens", None)
        if counted_tokens is None or not isinstance(value, str):
            yield from super().index(value, **kwargs)
            return
        tokens, uncounted = counted_tokens(value, kwargs.get("mode", "index"))
        groups: defaultdict[str, list[Any]] = defaultdict(list)
        if self.format.supports("characters"):
            for text, pos, start, end in tokens:
                groups[text].append((pos, start, end))
        else:
            for text, pos, _start, _end in tokens:
                groups[text].append(pos)
        boost = self.format.field_boost
        encode = self.format.encode
        for word, postings in groups.items():
            count = len(postings)
            # Whoosh adds up the second item as the field's length, which BM25 divides by:
            # a character inside a pair is found, but makes no section longer than before.
            yield word.encode("utf-8"), count - uncounted[word], count * boost, encode(postings)


def build_schema() -> Schema:
    words = word_analyzer()
    bigrams = bigram_analyzer()
    return Schema(
        # Identity: section id (unique), its document, its file and the file's content hash.
        id=ID(stored=True, unique=True),
        doc_id=ID(stored=True, sortable=True),  # column: collapsing and per-document counts
        path=ID(stored=True),
        source=ID(),  # "path<US>sha256": the lexicon lists what is indexed, for updates
        ordinal=STORED(),
        start=STORED(),
        end=STORED(),
        # Searchable text.
        title=AnalyzedText(analyzer=words, stored=True, chars=True),
        title_bigram=AnalyzedText(analyzer=bigrams, phrase=True),
        body=AnalyzedText(analyzer=words, stored=True, chars=True),
        body_bigram=AnalyzedText(analyzer=bigrams, phrase=True),
        heading=STORED(),
        breadcrumb=AnalyzedText(analyzer=words, stored=True, chars=True),
        # Headings with nothing under them but sub-headings (第二章 民间融资服务主体) live only
        # in their sections' breadcrumbs: pasted text must find them there too.
        breadcrumb_bigram=AnalyzedText(analyzer=bigrams, phrase=True),
        # Filters and facets (exact values).
        agency=ID(stored=True, sortable=True),
        topic=ID(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),  # search.ingest.kinds
        doc_number=ID(stored=True),  # indexed in one spelling (normalize_doc_number)
        # The title as people name the document (search.text.titles.short_name): a query
        # that is that name (刑法, 民法典) is looking for this document.
        name=ID(),
        # The article a section is (search.text.articles.heading_article): a citation's
        # article is this section, not one whose heading only mentions it.
        article=ID(),
        index_number=ID(stored=True),
        index_serial=ID(),  # its year and serial number (2021-00033), typed alone
        # Signed (the default): an open-ended range on an unsigned NUMERIC matches everything
        # in Whoosh 2.7.4.
        # One term per value (shift_step=bits): years are few, so ranges stay cheap.
        year=NUMERIC(int, bits=32, signed=True, stored=True, sortable=True, shift_step=32),
        written=STORED(),
        published=STORED(),
        date=ID(stored=True, sortable=True),
        # The key of the section's vector (search.vectors.model.section_text): re-ranking finds
        # the vectors of a hundred sections without reading their stored text.
        vector_key=COLUMN(NumericColumn("Q")),
    )
