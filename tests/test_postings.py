"""The flat posting files hold exactly Whoosh's postings, in every way a segment is written
(a build, an update, a merge), and searches fall back to Whoosh where they cannot say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_evaluate import QUERIES, _compare

from search import postings
from search.indexer import full_build, update
from search.live import SearchIndex
from search.parallel import segment_writer
from search.postings import AMBIGUOUS, ArrayCharacters, segment_arrays, stores_positions
from search.query import compile_query
from search.store import open_index


def _assert_same_as_whoosh(index_dir: Path) -> int:
    """Every term of every segment: documents, weights, positions and character offsets as
    Whoosh reads them."""
    ix = open_index(index_dir)
    checked = 0
    try:
        with ix.reader() as reader:
            for segment_reader, _offset in reader.leaf_readers():
                arrays = segment_arrays(segment_reader)
                assert arrays is not None
                assert arrays.find("body", "没有这个词".encode()) is None
                for fieldname, btext in segment_reader.all_terms():
                    found = arrays.row(fieldname, btext)
                    assert found is not None and found != AMBIGUOUS
                    start, end, first_position, first_character = found
                    assert arrays.find(fieldname, btext) == found[:3]
                    fmt = segment_reader.schema[fieldname].format
                    has_characters = isinstance(fmt, ArrayCharacters)
                    whooshs = []  # (document, weight, positions, offsets) of live documents
                    matcher = segment_reader.postings(fieldname, btext)
                    while matcher.is_active():
                        places = matcher.value_as("positions") if stores_positions(fmt) else []
                        offsets = []
                        if has_characters:
                            offsets = [[a, b] for _, a, b in matcher.value_as("characters")]
                        whooshs.append((matcher.id(), matcher.weight(), places, offsets))
                        matcher.next()
                    ours = []
                    docs = arrays.docs(start, end).tolist()
                    stored = arrays.weights(start, end).tolist()
                    position, character = first_position, first_character
                    for docnum, weight in zip(docs, stored, strict=True):
                        places, offsets = [], []
                        if stores_positions(fmt):  # the count of positions, as the weight
                            count, weight = int(weight), weight * fmt.field_boost
                            places = arrays.positions(position, position + count).tolist()
                            # ascending, as phrase matching relies on
                            assert places == sorted(set(places))
                            if has_characters:
                                offsets = arrays.characters(character, character + count)
                                character += count
                            position += count
                        if not segment_reader.is_deleted(docnum):
                            ours.append((docnum, weight, places, np.asarray(offsets).tolist()))
                    assert ours == whooshs
                    checked += 1
    finally:
        ix.close()
    return checked


def test_a_full_build_writes_every_posting(sample_index: Path) -> None:
    assert _assert_same_as_whoosh(sample_index) > 1000


def test_updates_and_merges_write_them_too(corpus_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir, procs=2)
    changed = next(corpus_copy.glob("samples/*dust*"))
    changed.write_text(changed.read_text("utf-8") + "\n附：扬尘管理另行规定。\n", "utf-8")
    update(corpus_copy, index_dir)  # a new segment, and deletions in an old one
    assert _assert_same_as_whoosh(index_dir) > 1000
    ix = open_index(index_dir)
    try:
        segment_writer(ix).commit(optimize=True)  # Whoosh merges every segment into one
    finally:
        ix.close()
    assert _assert_same_as_whoosh(index_dir) > 1000
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
            assert segment_arrays(leaf.reader()).find("body", "管理".encode()) == AMBIGUOUS
        for text in QUERIES:
            assert _compare(index, compile_query(text).strict) >= 0


def test_segments_without_flat_files_are_read_through_whoosh(
    corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    full_build(corpus_copy, index_dir, procs=1)
    for path in (index_dir / "current").glob("*.gs*"):
        path.unlink()
    with SearchIndex(index_dir) as index:
        with index.searcher() as searcher:
            assert segment_arrays(searcher.leaf_searchers()[0][0].reader()) is None
        found = sum(_compare(index, compile_query(text).strict) for text in QUERIES)
    assert found > 0


def test_postings_are_read_not_mapped_into_memory(sample_index: Path) -> None:
    """A worker's resident memory holds what its searches use; the page cache (shared by
    every worker) holds the posting files."""
    with SearchIndex(sample_index) as index:
        for text in QUERIES:
            assert _compare(index, compile_query(text).strict) >= 0
        with index.searcher() as searcher:
            assert segment_arrays(searcher.leaf_searchers()[0][0].reader()) is not None
    mapped = Path("/proc/self/maps").read_text()
    assert ".gskeys.npy" in mapped  # the term table is mapped...
    for name in (".gsdocs", ".gsweights", ".gspos"):  # ...the postings are not
        assert name not in mapped
