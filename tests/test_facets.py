"""The index's columns as facets and sorting see them: read as blocks of bytes, equal to
Whoosh's column reader value by value, and aligned with the sections when a segment has no
value at all for a column."""

from __future__ import annotations

from pathlib import Path

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, NUMERIC, Schema
from whoosh.filedb.filestore import RamStorage

from search.engine.columns import _stored_values
from search.index.build import full_build, update
from search.index.live import SearchIndex
from search.query.request import SearchRequest
from search.results import run_search


def test_block_reads_equal_whooshs_reader() -> None:
    schema = Schema(
        name=ID(sortable=True),
        year=NUMERIC(int, bits=32, signed=True, sortable=True),
        key=COLUMN(NumericColumn("Q")),
    )
    ix = RamStorage().create_index(schema)
    for batch in (
        # values left out (the column's default) inside a segment and at its end
        [{"name": "甲", "year": 2021, "key": 5}, {}, {"name": "", "year": -3}, {"key": 2**64 - 1}],
        [{"name": "乙乙", "key": 1}, {"year": 0}, {}],
    ):
        with ix.writer() as writer:
            writer.merge = False
            for document in batch:
                writer.add_document(**document)
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) == 2
        for name in ("name", "year", "key"):
            read = [v for values in _stored_values(reader, name) for v in list(values)]
            assert read == list(reader.column_reader(name, translate=False)), name


def test_a_segment_without_dates_agencies_or_years(corpus_copy: Path, tmp_path: Path) -> None:
    """A document with no date, agency, topic or year, added alone by an update, makes a
    segment without those columns (Whoosh's own reader of all segments skips it, and every
    later section's value would shift onto the wrong section)."""
    full_build(corpus_copy, tmp_path / "index", procs=1)
    notice = "标 题: | 扬尘治理补充通知 | ||\n一、总体要求\n各单位加强扬尘治理，洒水降尘。\n"
    (corpus_copy / "samples" / "zz_undated.txt").write_text(notice, "utf-8")
    assert update(corpus_copy, tmp_path / "index").indexed == 1
    with SearchIndex(tmp_path / "index") as live:
        with live.searcher() as searcher:
            values = live.columns
            for docnum in range(searcher.doc_count_all()):
                stored = searcher.stored_fields(docnum)
                for name in ("agency", "topic", "date"):
                    assert values.value(name, docnum) == stored.get(name, "")
        newest_first = run_search(live, SearchRequest.create("扬尘", sort="date"))
        by_year = run_search(live, SearchRequest.create("扬尘", year=2018))
    titles = [hit.title for hit in newest_first.hits]
    assert len(titles) > 1 and titles[-1] == "扬尘治理补充通知"  # undated: last
    assert [hit.date for hit in newest_first.hits[:-1]] == sorted(
        (hit.date for hit in newest_first.hits[:-1]), reverse=True
    )
    assert "扬尘治理补充通知" not in [hit.title for hit in by_year.hits]
    assert by_year.total > 0
