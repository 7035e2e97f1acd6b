from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import CORPUS
from whoosh.codec.whoosh3 import W3TermsReader
from whoosh.fields import TEXT
from whoosh.filedb.filestore import RamStorage

from search.engine import writing
from search.engine.codec import ArraysTermsReader, TermPostingPool, flat_row
from search.index.build import full_build
from search.index.live import SearchIndex
from search.index.schema import build_schema
from search.index.store import open_index
from search.ingest.read import read_document
from search.query.request import SearchRequest
from search.results import run_search

TEXTS = [
    read_document(CORPUS / "000_cd729ddf2f2831ef.txt", CORPUS).body,
    "第一条 为了規範住宅物业管理活动，PM2.5浓度下降。中华人民共和国民法典",
    "",
]


@pytest.mark.parametrize("fieldname", ["body", "body_bigram", "title", "breadcrumb_bigram"])
@pytest.mark.parametrize("text", TEXTS, ids=["seed", "mixed", "empty"])
def test_fast_indexing_writes_exactly_whoosh_postings(fieldname: str, text: str) -> None:
    field = build_schema()[fieldname]
    fast = sorted(field.index(text))
    standard = sorted(TEXT.index(field, text))
    assert [(term, weight, value) for term, _, weight, value in fast] == [
        (term, weight, value) for term, _, weight, value in standard
    ]
    # The lengths differ by design: a character indexed inside its pairs adds none.
    lengths = sum(count for _, count, *_ in fast), sum(count for _, count, *_ in standard)
    if fieldname.endswith("_bigram"):
        assert lengths[0] == len(list(field.analyzer.raw_tokens(text, mode="query")))
        assert lengths[0] < lengths[1] or not text
    else:
        assert lengths[0] == lengths[1]


def test_pool_sorts_by_field_term_and_document_across_spilled_runs() -> None:
    storage = RamStorage()
    pool = TermPostingPool(storage, segment=None, limitmb=1)
    pool.limit = 2_000  # spill every dozen postings
    rng = random.Random(5)
    postings = []
    for docnum in range(60):
        for term in rng.sample([b"a", b"b", b"c", b"d", b"e"], 3):
            for fieldname in ("body", "title"):
                postings.append((fieldname, term, docnum, 1.0, b"v%d" % docnum))
    for item in postings:
        pool.add(item)
    assert len(pool.runs) > 3
    assert list(pool.iter_postings()) == sorted(postings)
    assert pool.fieldnames == {"body", "title"}
    assert not list(storage.list())  # spilled runs are removed once read


def test_a_build_that_spills_equals_one_that_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_build(CORPUS, tmp_path / "memory")
    # spill every 16 KB: hundreds of runs (at every posting, more runs than open files)
    monkeypatch.setattr(writing, "WRITER_MEMORY_MB", 1 / 64)
    spills = []
    spill = TermPostingPool._spill
    monkeypatch.setattr(TermPostingPool, "_spill", lambda pool: spills.append(spill(pool)))
    full_build(CORPUS, tmp_path / "spilled", procs=1)
    assert len(spills) > 10
    with SearchIndex(tmp_path / "memory") as memory, SearchIndex(tmp_path / "spilled") as spilled:
        for text in ("营商环境", "科技项目扶持", "技项目予以扶", "第三条"):
            request = SearchRequest.create(text, size=50)
            expected = [(h.id, h.passages) for h in run_search(memory, request).hits]
            assert [(h.id, h.passages) for h in run_search(spilled, request).hits] == expected
    with open_index(tmp_path / "spilled").searcher() as searcher:
        assert searcher.doc_count() == searcher.doc_count_all()


def test_whooshs_term_table_points_to_flat_rows_and_its_posting_file_is_empty(
    sample_index: Path,
) -> None:
    build = (sample_index / "current").resolve()
    assert all(path.stat().st_size == 0 for path in build.glob("*.pst"))
    with open_index(sample_index).searcher() as searcher:
        reader = searcher.reader()
        terms = [t.decode("utf-8") for t in reader.lexicon("body")]
        rows = {flat_row(reader.term_info("body", t)) for t in terms}
        assert None not in rows and len(rows) == len(terms)
        rare = next(t for t in terms if reader.doc_frequency("body", t) == 1 and len(t) == 2)
        matcher = searcher.postings("body", rare)
        stored = searcher.stored_fields(matcher.id())["body"]
        for _, start, end in matcher.value_as("characters"):
            assert stored[start:end] == rare


def test_document_frequencies_from_the_flat_table_equal_whooshs_table(
    sample_index: Path,
) -> None:
    """idf's document frequencies: every term of every field, and terms a segment lacks."""
    with open_index(sample_index).searcher() as searcher:
        for leaf, _ in searcher.leaf_searchers():
            terms_reader = leaf.reader()._terms
            assert isinstance(terms_reader, ArraysTermsReader) and terms_reader.arrays
            checked = 0
            for fieldname, btext in leaf.reader().all_terms():
                whooshs = W3TermsReader.doc_frequency(terms_reader, fieldname, btext)
                assert terms_reader.doc_frequency(fieldname, btext) == whooshs >= 1
                checked += 1
            assert checked > 1000
            assert leaf.reader().doc_frequency("body", "没有这个词") == 0
