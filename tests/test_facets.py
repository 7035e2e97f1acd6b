"""The index's columns as facets and sorting see them: read as blocks of bytes, equal to
Whoosh's column reader value by value, and aligned with the sections when a segment has no
value at all for a column. The facets are declared once: a row added to the table reaches
every surface."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, NUMERIC, Schema
from whoosh.filedb.filestore import RamStorage

from search.engine.columns import _stored_values
from search.facets import FACETS, Facet
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


# A fresh interpreter adds a row to search.facets.FACETS before anything reads the table,
# then reports what each surface made of it. The row filters on `date`, a field the index
# already keeps as a column, so the search runs end to end.
_WITH_A_NEW_ROW = """
import json, sys
import search.facets as facets

facets.FACETS = (*facets.FACETS, facets.Facet(
    name="dated", field="date", label="发布日期", help="Only this publication date.",
    keyword="dated",
))
from click.testing import CliRunner
from search.cli import cli
from web import create_app

index = sys.argv[1]
client = create_app({"TESTING": True, "INDEX_DIR": index}).test_client()
browsed = client.get("/api/search?q=&size=100").get_json()["hits"]
date = next(hit["date"] for hit in browsed if hit["date"])
spec = client.get("/api/openapi.json").get_json()
api = client.get("/api/search", query_string={"q": "", "dated": date}).get_json()
page = client.get("/search", query_string={"q": "", "dated": date}).get_data(as_text=True)
repeated = client.get("/api/search", query_string=[("dated", date), ("dated", date)])
cli_help = CliRunner().invoke(cli, ["search", "--help"]).output
cli_json = CliRunner().invoke(cli, ["search", "", "--dated", date, "--json", "--index", index])
print(json.dumps({
    "date": date,
    "parameters": [p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]],
    "facet_schema": sorted(spec["components"]["schemas"]["SearchResponse"]["properties"]
                           ["facets"]["properties"]),
    "api_dates": sorted({h["date"] for h in api["hits"]}),
    "api_facet": api["facets"]["dated"],
    "api_total": api["total"],
    "page": page,
    "repeated": [repeated.status_code, repeated.get_json()["parameter"]],
    "cli_help": cli_help,
    "cli_facet": json.loads(cli_json.output)["facets"]["dated"],
    "widget": client.get("/embed.js").get_data(as_text=True),
}, ensure_ascii=False))
"""


def test_a_new_row_reaches_every_surface(sample_index: Path) -> None:
    ran = subprocess.run(
        [sys.executable, "-c", _WITH_A_NEW_ROW, str(sample_index)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    seen = json.loads(ran.stdout)
    date = seen["date"]
    assert "dated" in seen["parameters"] and "dated" in seen["facet_schema"]
    assert seen["api_dates"] == [date]  # the engine filters on the row's field
    selected = [(v["value"], v["count"]) for v in seen["api_facet"] if v["selected"]]
    assert selected == [(date, seen["api_total"])]
    assert '<section class="facet facet-dated">' in seen["page"]
    assert "<h2>发布日期</h2>" in seen["page"]
    assert f"发布日期：{date}" in seen["page"]  # its removable chip
    assert seen["repeated"] == [400, "dated"]  # not repeatable
    assert "--dated TEXT" in seen["cli_help"] and "Only this publication date." in seen["cli_help"]
    assert [v["value"] for v in seen["cli_facet"] if v["selected"]] == [date]
    assert '["dated", "发布日期"]' in seen["widget"]


@pytest.mark.parametrize("facet", FACETS, ids=lambda facet: facet.name)
def test_a_selection_spelled_in_a_url_reads_back_the_same(facet: Facet) -> None:
    selection = facet.parse(facet.name, [facet.example])
    assert selection
    assert facet.parse(facet.name, facet.format(selection)) == selection
    request = SearchRequest.create(**{facet.keyword: [facet.example]})
    assert request == SearchRequest.create(**{facet.name: facet.format(selection)})
    assert request.selection(facet.name) == selection
