"""The Whoosh schema, in one place.

Title and body are each indexed twice: as jieba words (`title`, `body`; positions and
character offsets stored for phrases and highlighting) and as overlapping character bigrams
(`title_bigram`, `body_bigram`; positions are character offsets) so that text cut mid-word
is still found. Changing anything here means `SCHEMA_VERSION` goes up and the next reindex
rebuilds the index from scratch.
"""

from __future__ import annotations

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from search.analysis import bigram_analyzer, word_analyzer

SCHEMA_VERSION = 1
BREADCRUMB_SEPARATOR = " › "


def build_schema() -> Schema:
    words = word_analyzer()
    bigrams = bigram_analyzer()
    return Schema(
        # Identity: section id (unique), its document, its file and the file's content hash.
        id=ID(stored=True, unique=True),
        doc_id=ID(stored=True),
        path=ID(stored=True),
        source=ID(),  # "path<US>sha256": the lexicon lists what is indexed, for updates
        ordinal=STORED(),
        start=STORED(),
        end=STORED(),
        # Searchable text.
        title=TEXT(analyzer=words, stored=True, chars=True),
        title_bigram=TEXT(analyzer=bigrams, phrase=True),
        body=TEXT(analyzer=words, stored=True, chars=True),
        body_bigram=TEXT(analyzer=bigrams, phrase=True),
        heading=STORED(),
        breadcrumb=TEXT(analyzer=words, stored=True, chars=True),
        # Headings with nothing under them but sub-headings (第二章 民间融资服务主体) live only
        # in their sections' breadcrumbs: pasted text must find them there too.
        breadcrumb_bigram=TEXT(analyzer=bigrams, phrase=True),
        # Filters and facets (exact values).
        agency=ID(stored=True, sortable=True),
        topic=ID(stored=True, sortable=True),
        doc_number=ID(stored=True),  # indexed in one spelling (normalize_doc_number)
        index_number=ID(stored=True),
        # Signed (the default): an open-ended range on an unsigned NUMERIC matches everything
        # in Whoosh 2.7.4.
        # One term per value (shift_step=bits): years are few, so ranges stay cheap.
        year=NUMERIC(int, bits=32, signed=True, stored=True, sortable=True, shift_step=32),
        written=ID(stored=True),
        published=ID(stored=True),
        date=ID(stored=True, sortable=True),
    )
