from __future__ import annotations

import pickle
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.filedb.filestore import RamStorage

from search.engine import stored
from search.engine.stored import STORED_FIELDS
from search.index.live import SearchIndex
from search.index.store import live_build

FIELDS = st.dictionaries(
    st.sampled_from(["title", "body", "agency", "path", "year", "start"]),
    st.one_of(
        st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), max_size=80),
        st.text(max_size=20),
        st.integers(-(2**40), 2**40),
        st.none(),
    ),
)
# Each document's stored fields, or None for a document stored without any.
DOCUMENTS = st.lists(st.one_of(FIELDS, st.none()), max_size=40)


def round_trip(documents: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    storage = RamStorage()
    with storage.create_file("stored") as written:
        writer = STORED_FIELDS.writer(written)
        for docnum, fields in enumerate(documents):
            if fields is not None:  # as Whoosh's writer skips a document without any
                writer.add(docnum, fields)
        writer.finish(len(documents))
        length = written.tell()
    reader = STORED_FIELDS.reader(storage.open_file("stored"), 0, length, len(documents))
    assert list(reader) == [reader[docnum] for docnum in range(len(documents))]
    return [reader[docnum] for docnum in range(len(documents))]


@settings(max_examples=150, deadline=None)
@given(documents=DOCUMENTS)
def test_stored_fields_read_back_as_written(documents: list[dict[str, Any] | None]) -> None:
    assert round_trip(documents) == [fields or {} for fields in documents]


@settings(max_examples=30, deadline=None)
@given(documents=DOCUMENTS)
def test_stored_fields_read_back_when_the_dictionary_comes_early(
    documents: list[dict[str, Any] | None],
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stored, "SAMPLED", 3)  # drawn before the later documents arrive
        assert round_trip(documents) == [fields or {} for fields in documents]


def test_sections_that_repeat_their_documents_fields_compress_far_better() -> None:
    """The fields every section of a document repeats are stored about once."""
    shared = {"title": "阳城县人民政府关于优化营商环境的实施意见", "agency": "阳城县人民政府"}
    documents: list[dict[str, Any] | None] = [
        {**shared, "path": "samples/2021_yangcheng.txt", "body": f"第{n}条 内容{n}"}
        for n in range(300)
    ]
    storage = RamStorage()
    with storage.create_file("stored") as written:
        writer = STORED_FIELDS.writer(written)
        for docnum, fields in enumerate(documents):
            writer.add(docnum, fields)
        writer.finish(len(documents))
        length = written.tell()
    assert length < 300 * 60
    assert round_trip(documents) == documents


def test_a_document_past_the_last_is_refused() -> None:
    storage = RamStorage()
    with storage.create_file("stored") as written:
        writer = STORED_FIELDS.writer(written)
        writer.add(0, {"title": "一"})
        writer.finish(1)
        length = written.tell()
    reader = STORED_FIELDS.reader(storage.open_file("stored"), 0, length, 1)
    with pytest.raises(IndexError):
        reader[1]


def test_an_index_stores_its_sections_in_far_fewer_bytes(sample_index: Path) -> None:
    """Against each section's fields compressed on their own (Whoosh's way)."""
    build = live_build(sample_index)
    on_their_own = 0
    with SearchIndex(sample_index) as index, index.searcher() as searcher:
        for docnum in range(searcher.doc_count_all()):
            pickled = pickle.dumps(searcher.stored_fields(docnum), pickle.HIGHEST_PROTOCOL)
            on_their_own += len(zlib.compress(pickled, 3))
    stored_bytes = sum(path.stat().st_size for path in build.glob("*._stored.col"))
    assert stored_bytes < 0.75 * on_their_own
