"""The completion entries of a build: what the search box may offer as somebody types.

Document titles and section headings ("title"), and the words that many sections hold or
the domain dictionary names ("term"), each with its count and its pinyin spellings. Reading
every section's stored fields and spelling tens of thousands of texts in pinyin takes
seconds on a large corpus, so a reindex does it once and keeps the result in the build
(`completions.json`), rewritten after each update; a server only loads it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from search.index.store import write_json_atomically
from search.text.normalize import normalize
from search.text.pinyin import has_chinese, spellings
from search.text.segmenter import read_dictionary

COMPLETIONS_FILE = "completions.json"
# Pinyin spells this many characters of a text: nobody types the pinyin of a whole title.
PINYIN_CHARS = 12
MIN_TERM_SECTIONS = 5  # an index word in fewer sections is too rare to offer
TERM_CHARS = (2, 8)  # index words outside these lengths are fragments or run-ons
HEADING_CHARS = (2, 40)
# 一、 （一） (1) 1. 1、 第一章 第三条 and the spaces after them: a heading's number is no
# completion of what anybody types.
_HEADING_NUMBER = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百千零〇\d]+[章节条部分篇编]"
    r"|[（(]?[一二三四五六七八九十百千零〇\d]+[)）、.．])\s*"
)


@dataclass(frozen=True, slots=True)
class Entry:
    text: str
    kind: str  # "title" or "term"
    count: int  # documents or sections titled so, sections holding the term
    pinyin: str  # full pinyin of its first PINYIN_CHARS characters ("" without Chinese)
    initials: str


def entry(text: str, kind: str, count: int, known: dict[str, Entry] | None = None) -> Entry:
    """An entry with its spellings (those of `known`, the entries of the build before, when
    it spelled the same text: spelling is most of the work)."""
    before = known.get(text) if known else None
    if before is not None:
        return Entry(text, kind, count, before.pinyin, before.initials)
    folded = normalize(text)
    if not has_chinese(folded):
        return Entry(text, kind, count, "", "")
    return Entry(text, kind, count, *spellings(folded[:PINYIN_CHARS]))


def heading_text(heading: str) -> str:
    """A heading without its number: `（二）优化营商环境` → 优化营商环境."""
    return _HEADING_NUMBER.sub("", heading, count=1).strip()


def read_entries(searcher: Searcher, known: dict[str, Entry] | None = None) -> list[Entry]:
    """The titles, headings and terms of an index's live sections (spelled as in `known`
    where it has them)."""
    reader = searcher.reader()
    title_docs: dict[str, set[str]] = {}
    headings: Counter[str] = Counter()
    for _, fields in reader.iter_docs():
        title_docs.setdefault(fields.get("title", ""), set()).add(fields.get("doc_id", ""))
        heading = heading_text(fields.get("heading", ""))
        if HEADING_CHARS[0] <= len(heading) <= HEADING_CHARS[1] and has_chinese(heading):
            headings[heading] += 1
    texts = [(t, "title", len(docs)) for t, docs in title_docs.items() if t]
    texts += ((h, "title", n) for h, n in headings.items() if h not in title_docs)
    texts += _terms(reader)
    return [entry(*item, known=known) for item in texts]


def _terms(reader: Any) -> list[tuple[str, str, int]]:
    """Body words in MIN_TERM_SECTIONS sections or more, and the domain dictionary's words
    that some section holds (in its body or its title)."""
    shortest, longest = TERM_CHARS
    # Counted segment by segment: a whole-index term list merges every segment's, per term.
    sections: Counter[str] = Counter()
    for segment, _ in reader.leaf_readers():
        for raw, info in segment.iter_field("body"):
            sections[raw.decode("utf-8")] += info.doc_frequency()
    terms = {
        word: count
        for word, count in sections.items()
        if count >= MIN_TERM_SECTIONS and shortest <= len(word) <= longest and has_chinese(word)
    }
    for listed in read_dictionary():
        word = normalize(listed.word)
        count = max(reader.doc_frequency("body", word), reader.doc_frequency("title", word))
        if count:
            terms[word] = max(terms.get(word, 0), count)
    return [(word, "term", count) for word, count in terms.items()]


def write_completions(build: Path, ix: whoosh_index.Index) -> None:
    """Read the entries of the index in `build` and keep them in the build."""
    known = {e.text: e for e in load_completions(build) or ()}
    with ix.searcher() as searcher:
        entries = read_entries(searcher, known)
    rows = [list(astuple(entry)) for entry in entries]
    write_json_atomically(build / COMPLETIONS_FILE, {"entries": rows})


def load_completions(build: Path) -> list[Entry] | None:
    """The entries kept in `build`; None when it has none (built by an older version)."""
    try:
        data = json.loads((build / COMPLETIONS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return [Entry(*row) for row in data["entries"]]
