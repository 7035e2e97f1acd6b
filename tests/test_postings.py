"""The flat posting files hold exactly the postings of the documents' text, in every way a
segment is written (a build, an update, a merge), and Whoosh's matchers read them too."""

from __future__ import annotations

from array import array
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_evaluate import QUERIES, _compare
from whoosh.formats import Existence
from whoosh.writing import SegmentWriter

from search.engine import postings
from search.engine.codec import GovCodec, TermPostingPool
from search.engine.postings import (
    AMBIGUOUS,
    ArrayCharacters,
    ArrayPositions,
    PostingArraysWriter,
    SegmentArrays,
    segment_arrays,
    term_keys,
)
from search.engine.writing import segment_writer
from search.index.build import add_document, full_build, update
from search.index.live import SearchIndex
from search.index.store import live_build, open_index
from search.ingest.read import read_document
from search.query.compile import compile_query

# Each text field and the stored field it is indexed from.
SOURCES = {
    "title": "title",
    "title_bigram": "title",
    "body": "body",
    "body_bigram": "body",
    "breadcrumb": "breadcrumb",
    "breadcrumb_bigram": "breadcrumb",
}

Posting = tuple[int, float, list[int], list[list[int]]]  # document, weight, positions, offsets


def _analysed(segment_reader: Any) -> dict[tuple[str, bytes], list[Posting]]:
    """The postings each live document's stored text gives when analysed again."""
    expected: dict[tuple[str, bytes], list[Posting]] = defaultdict(list)
    for docnum in range(segment_reader.doc_count_all()):
        if segment_reader.is_deleted(docnum):
            continue
        stored = segment_reader.stored_fields(docnum)
        for fieldname, source in SOURCES.items():
            fmt = segment_reader.schema[fieldname].format
            for btext, _, weight, value in segment_reader.schema[fieldname].index(
                stored.get(source, "")
            ):
                offsets = []
                if isinstance(fmt, ArrayCharacters):
                    offsets = [[a, b] for _, a, b in fmt.decode_characters(value)]
                posting = (docnum, weight, fmt.decode_positions(value), offsets)
                expected[(fieldname, btext)].append(posting)
    return expected


def _flat_postings(arrays: Any, segment_reader: Any, fieldname: str, btext: bytes) -> list[Posting]:
    found = arrays.row(fieldname, btext)
    assert found is not None and found != AMBIGUOUS
    start, end, position, character = found
    assert arrays.find(fieldname, btext) == found[:3]
    boost = segment_reader.schema[fieldname].format.field_boost
    postings = []
    for docnum, count in zip(
        arrays.docs(start, end).tolist(), arrays.weights(start, end).tolist(), strict=True
    ):
        count = int(count)
        places = arrays.positions(position, position + count).tolist()
        assert places == sorted(set(places))  # ascending, as phrase matching relies on
        offsets = []
        if isinstance(segment_reader.schema[fieldname].format, ArrayCharacters):
            offsets = arrays.characters(character, character + count).tolist()
            character += count
        position += count
        if not segment_reader.is_deleted(docnum):
            postings.append((docnum, count * boost, places, offsets))
    return postings


def _whoosh_postings(segment_reader: Any, fieldname: str, btext: bytes) -> list[Posting]:
    """The same through Whoosh's matcher (which reads the flat files)."""
    has_offsets = isinstance(segment_reader.schema[fieldname].format, ArrayCharacters)
    postings = []
    matcher = segment_reader.postings(fieldname, btext)
    while matcher.is_active():
        offsets = []
        if has_offsets:
            offsets = [[a, b] for _, a, b in matcher.value_as("characters")]
        places = matcher.value_as("positions")
        postings.append((matcher.id(), matcher.weight(), places, offsets))
        matcher.next()
    return postings


def _assert_postings_are_the_documents(index_dir: Path) -> int:
    """Every text term of every segment, read from the flat files directly and through
    Whoosh's matchers: the documents, weights, positions and character offsets that
    analysing each live document's stored text again gives; and the term statistics in
    Whoosh's table agree."""
    ix = open_index(index_dir)
    checked = 0
    try:
        with ix.reader() as reader:
            for segment_reader, _offset in reader.leaf_readers():
                arrays = segment_arrays(segment_reader)
                assert arrays is not None
                assert arrays.find("body", "没有这个词".encode()) is None
                expected = _analysed(segment_reader)
                for fieldname, btext in segment_reader.all_terms():
                    if fieldname not in SOURCES:
                        continue
                    postings = _flat_postings(arrays, segment_reader, fieldname, btext)
                    assert postings == expected.get((fieldname, btext), [])
                    assert _whoosh_postings(segment_reader, fieldname, btext) == postings
                    if not segment_reader.has_deletions():
                        info = segment_reader.term_info(fieldname, btext)
                        assert info.doc_frequency() == len(postings)
                        assert info.weight() == pytest.approx(sum(p[1] for p in postings))
                    checked += bool(postings)
                live_terms = {key for key in expected}
                assert all(key in segment_reader for key in live_terms)
                # All at once, as a search looks its terms up: the same as one by one.
                terms = [*segment_reader.all_terms(), ("body", "没有这个词".encode())]
                found = arrays.find_all(term_keys(terms))
                assert found == [arrays.find(*term) for term in terms]
    finally:
        ix.close()
    return checked


def test_a_full_build_writes_every_posting(sample_index: Path) -> None:
    assert _assert_postings_are_the_documents(sample_index) > 1000


def test_updates_and_merges_write_them_too(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir, procs=2)
    changed = next(corpus_copy.glob("samples/*dust*"))
    changed.write_text(changed.read_text("utf-8") + "\n附：扬尘管理另行规定。\n", "utf-8")
    update(corpus_copy, index_dir)  # a new segment, and deletions in an old one
    assert _assert_postings_are_the_documents(index_dir) > 1000
    ix = open_index(index_dir)
    try:
        segment_writer(ix).commit(optimize=True)  # Whoosh merges every segment into one
    finally:
        ix.close()
    assert _assert_postings_are_the_documents(index_dir) > 1000
    with SearchIndex(index_dir) as index:
        with index.searcher() as searcher:
            assert len(searcher.leaf_searchers()) == 1
        assert _compare(index, compile_query("扬尘管理").strict) > 0


def test_colliding_keys_are_read_through_whoosh(
    corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Terms whose keys collide are answered by Whoosh, with the same results."""
    monkeypatch.setattr(postings, "term_key", lambda fieldname, btext: len(btext) % 3)
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir, procs=1)
    with SearchIndex(index_dir) as index:
        with index.searcher() as searcher:
            leaf = searcher.leaf_searchers()[0][0]
            arrays = segment_arrays(leaf.reader())
            assert arrays is not None
            assert arrays.find("body", "管理".encode()) == AMBIGUOUS
            assert arrays.find_all(term_keys([("body", "管理".encode())])) == [AMBIGUOUS]
        for text in QUERIES:
            assert _compare(index, compile_query(text).strict) >= 0


def test_a_segment_whose_flat_files_are_gone_says_so(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir, procs=1)
    for path in (index_dir / "current").glob("*.gs*"):
        path.unlink()
    with SearchIndex(index_dir) as index:
        with index.searcher() as searcher:
            assert segment_arrays(searcher.leaf_searchers()[0][0].reader()) is None
        with pytest.raises(OSError, match="flat posting files are missing"):
            _compare(index, compile_query("管理").strict)


POSTING_SUFFIXES = (".gsdocs", ".gsweights", ".gspos", ".gschars", ".gslens")


def _posting_mappings() -> dict[str, list[str]]:
    """This process's mappings of posting files: each one's lines of /proc/self/smaps."""
    mappings: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5 and ":" in fields[3]:  # a mapping's first line
            path = fields[5] if len(fields) > 5 else ""
            current = mappings.setdefault(line, []) if path.endswith(POSTING_SUFFIXES) else None
        elif current is not None:
            current.append(line)
    return mappings


def test_postings_are_mapped_shared_and_unmapped_when_closed(sample_index: Path) -> None:
    """Posting files are mapped read-only and shared: their pages are the page cache's, the
    same for every worker, never a worker's own memory; closing the index unmaps them."""
    with SearchIndex(sample_index) as index:
        for text in QUERIES:
            assert _compare(index, compile_query(text).strict) >= 0
        mappings = _posting_mappings()
        assert {first.split()[5].rsplit(".", 1)[1] for first in mappings} == {
            suffix[1:] for suffix in POSTING_SUFFIXES
        }
        for first, details in mappings.items():
            assert first.split()[1] == "r--s", first
            figures = dict(line.split(":", 1) for line in details if line.endswith(" kB"))
            assert figures["Anonymous"].split()[0] == "0", first
            assert figures["Private_Dirty"].split()[0] == "0", first
    assert _posting_mappings() == {}


def test_a_writer_with_whooshs_own_pool_writes_them_too(corpus_copy: Path, tmp_path: Path) -> None:
    """Postings that arrive one at a time (Whoosh's pool) are written as whole terms are."""
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir, procs=1)
    changed = next(corpus_copy.glob("samples/*dust*"))
    ix = open_index(index_dir)
    try:
        writer = SegmentWriter(ix, codec=GovCodec(), compound=False)  # Whoosh's PostingPool
        assert not isinstance(writer.pool, TermPostingPool)
        add_document(writer, read_document(changed, corpus_copy))
        writer.commit(merge=False)
    finally:
        ix.close()
    with SearchIndex(index_dir) as index, index.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == 2
    assert _assert_postings_are_the_documents(index_dir) > 1000


# A term's postings as the writer receives them: ascending documents, each with its
# (position, start, end) triples.
TERM_POSTINGS = st.dictionaries(
    st.one_of(st.integers(0, 40), st.integers(0, 2**32 - 2)),
    st.lists(
        st.tuples(
            st.one_of(st.integers(0, 300), st.integers(0, 2**32 - 1)),
            st.integers(0, 5_000),
            st.integers(0, 5_000),  # an end before its start is kept as written
        ),
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(terms=st.lists(TERM_POSTINGS, min_size=1, max_size=6))
def test_every_posting_file_reads_back_what_was_written(
    tmp_path_factory: pytest.TempPathFactory, terms: list[dict[int, list[tuple[int, int, int]]]]
) -> None:
    """Document numbers (as gaps), weights, positions and character offsets (as starts and
    lengths) read back exactly, in fields with offsets, with positions only, and without."""
    folder = tmp_path_factory.mktemp("arrays")
    writer = PostingArraysWriter(folder, "segment")
    formats = {"body": ArrayCharacters(), "body_bigram": ArrayPositions(), "kind": Existence()}
    rows = {}
    for fieldname, fmt in formats.items():
        writer.start_field(fieldname, fmt)
        for number, postings_of in enumerate(terms):
            docs = sorted(postings_of)
            triples = [postings_of[doc] for doc in docs]
            if fieldname == "kind":
                values, weights = [b""] * len(docs), [1.5 + len(t) for t in triples]
            else:
                values = [
                    fmt.encode(t if fieldname == "body" else [p for p, _, _ in t]) for t in triples
                ]
                weights = [float(len(t)) for t in triples]
            sizes = array("I", [len(v) for v in values])
            row = writer.add_term(
                f"{number}".encode(), array("I", docs), array("f", weights), b"".join(values), sizes
            )
            rows[(fieldname, number)] = (docs, weights, triples, row)
    writer.close()
    arrays = SegmentArrays(str(folder / "segment"))
    try:
        for (fieldname, _), (docs, weights, triples, row) in rows.items():
            start, end, position, character = arrays.row_at(row)
            assert arrays.docs(start, end).tolist() == docs
            assert arrays.weights(start, end).tolist() == weights
            if fieldname == "kind":
                continue
            count = sum(len(t) for t in triples)
            assert arrays.positions(position, position + count).tolist() == [
                p for t in triples for p, _, _ in t
            ]
            if fieldname == "body":
                assert arrays.characters(character, character + count).tolist() == [
                    [a, b] for t in triples for _, a, b in t
                ]
    finally:
        arrays.close()


def test_the_posting_files_take_under_half_of_flat_arrays(sample_index: Path) -> None:
    """Document numbers, weights, positions and offsets in under half the bytes that
    4-byte values (8 for an offset pair) would take."""
    build = live_build(sample_index)
    for terms in build.glob("*.gsterms.npy"):
        segment = terms.name.removesuffix(".gsterms.npy")
        rows = np.load(terms).astype(np.int64)
        postings = int(rows[:, 1].max())
        sizes = {
            path.name[len(segment) :]: path.stat().st_size for path in build.glob(f"{segment}.gs*")
        }
        positions = int(rows[:, 2].max()) + 1  # at least the last term's first position
        characters = int(rows[:, 3].max()) + 1
        flat = 4 * postings + 4 * postings + 4 * positions + 8 * characters
        packed = sum(size for name, size in sizes.items() if not name.endswith(".npy"))
        assert packed < flat / 2
