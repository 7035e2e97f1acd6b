"""The corpus split into three real indexes by a stable hash of doc_id, searched shard by
shard and merged, against one index of the whole corpus.

The comparisons below hold what does not depend on the statistics a shard scores with
(totals, facet counts, which sections match, the order by date); tests/test_sharded_index.py
compares the scores and the order by relevance, the shards scoring with the collection's
statistics.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from search.index.build import full_build
from search.index.live import SearchIndex
from search.ingest.read import SUFFIXES, make_doc_id
from search.query.request import SearchRequest
from search.results import SearchResults, merge, run_search, search_shards
from search.shard import Generation, ShardResult, search_shard

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SHARDS = 3


def shard_of(doc_id: str, shards: int = SHARDS) -> int:
    """A stable shard for a document: the same in every process and on every machine."""
    return int.from_bytes(hashlib.sha256(doc_id.encode("utf-8")).digest()[:8], "big") % shards


@pytest.fixture(scope="module")
def shard_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three real indexes, each of the corpus files whose doc_id hashes to it (the files
    keep their paths inside the corpus, so their doc_ids are the whole index's)."""
    base = tmp_path_factory.mktemp("shards")
    corpora = [base / f"corpus-{n}" for n in range(SHARDS)]
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            relative = path.relative_to(CORPUS)
            target = corpora[shard_of(make_doc_id(relative))] / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    indexes = []
    for number, corpus in enumerate(corpora):
        assert corpus.is_dir(), f"no document hashes to shard {number}"
        index_dir = base / f"index-{number}"
        summary = full_build(corpus, index_dir, procs=1)
        assert not summary.failed, summary.failed
        indexes.append(index_dir)
    return indexes


@pytest.fixture(scope="module")
def whole(sample_index: Path) -> Iterator[SearchIndex]:
    with SearchIndex(sample_index) as live:
        yield live


@pytest.fixture(scope="module")
def shards(shard_dirs: list[Path]) -> Iterator[list[SearchIndex]]:
    with ExitStack() as stack:
        yield [stack.enter_context(SearchIndex(path)) for path in shard_dirs]


def over_shards(shards: list[SearchIndex], request: SearchRequest) -> SearchResults:
    """`request` on every shard's current generation, merged."""
    with ExitStack() as stack:
        generations = [
            Generation.of(index, stack.enter_context(index.searcher())) for index in shards
        ]
        return search_shards(generations, request)


def facet_counts(results: SearchResults) -> dict[str, list[tuple[object, int, bool]]]:
    return {
        name: [(value.value, value.count, value.selected) for value in values]
        for name, values in results.facets.items()
    }


def assert_same_counts(merged: SearchResults, whole: SearchResults) -> None:
    assert merged.total == whole.total
    assert merged.total_sections == whole.total_sections
    assert merged.full_matches == whole.full_matches
    assert merged.relaxed == whole.relaxed
    assert facet_counts(merged) == facet_counts(whole)


def ids(results: SearchResults) -> list[str]:
    return [hit.id for hit in results.hits]


def test_every_shard_holds_whole_documents(shards: list[SearchIndex]) -> None:
    for number, index in enumerate(shards):
        with index.searcher():
            documents = index.columns.live_values("doc_id")
        assert documents and all(shard_of(doc_id) == number for doc_id in documents)


@pytest.mark.parametrize(
    "options",
    [
        {"text": "管理"},  # a keyword found on every shard
        {"text": "营商环境 -阳城"},
        {"text": "管理", "collapse": "false"},
        {"text": "", "year": "2019-2022"},  # browsing, filtered
        {"text": "管理", "agencies": ["县科学技术局", "阳城县财政局"], "year": "2017-2021"},
        {"text": "工作", "topic": "科技创新"},
        {"text": "工作", "year": "2020-"},
        {"text": "管理", "date_from": "2019-01-01", "date_to": "2022-12-31"},
        {"text": "", "date_to": "2020-12-31"},
        {"text": "办法", "scope": "title"},
        {"text": "2021-3", "scope": "number"},
    ],
)
def test_merged_totals_facets_and_matches_equal_the_whole_index(
    whole: SearchIndex, shards: list[SearchIndex], options: dict[str, object]
) -> None:
    # A page that holds every hit: which sections match does not depend on the statistics.
    request = SearchRequest.create(**options, size=100)  # type: ignore[arg-type]
    merged, alone = over_shards(shards, request), run_search(whole, request)
    assert merged.total > 0
    assert_same_counts(merged, alone)
    assert sorted(ids(merged)) == sorted(ids(alone))
    scores = [hit.score for hit in merged.hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("collapse", ["true", "false"])
def test_merged_date_order_equals_the_whole_index(
    whole: SearchIndex, shards: list[SearchIndex], collapse: str
) -> None:
    # Dates differ between documents, so one hit per document is in the same order; a
    # document's sections share its date and follow their (per shard) scores.
    request = SearchRequest.create("管理", sort="date", collapse=collapse, size=100)
    merged, alone = over_shards(shards, request), run_search(whole, request)
    assert_same_counts(merged, alone)
    assert [hit.date for hit in merged.hits] == [hit.date for hit in alone.hits]
    if collapse == "true":
        assert ids(merged) == ids(alone)
        assert [h.more_sections for h in merged.hits] == [h.more_sections for h in alone.hits]


@pytest.mark.parametrize("page", [1, 2, 3, 4])
def test_merged_deep_pages_by_date_equal_the_whole_index(
    whole: SearchIndex, shards: list[SearchIndex], page: int
) -> None:
    request = SearchRequest.create("", sort="date", page=page, size=3)
    merged, alone = over_shards(shards, request), run_search(whole, request)
    assert_same_counts(merged, alone)
    assert ids(merged) == ids(alone) and len(ids(merged)) == 3


def test_deep_pages_by_relevance_cover_every_hit_once(
    whole: SearchIndex, shards: list[SearchIndex]
) -> None:
    every = over_shards(shards, SearchRequest.create("管理", collapse="false", size=100))
    paged = []
    for page in range(1, every.total // 7 + 2):
        request = SearchRequest.create("管理", collapse="false", page=page, size=7)
        paged += ids(over_shards(shards, request))
    assert paged == ids(every)


def test_relaxing_is_decided_over_every_shard(
    whole: SearchIndex, shards: list[SearchIndex]
) -> None:
    # Every word is found in one document only: the other shards, finding nothing, would
    # relax on their own and add sections with only some of the words.
    request = SearchRequest.create("扬尘 施工", collapse="false", size=100)
    alone = run_search(whole, request)
    assert alone.total and not alone.relaxed
    with ExitStack() as stack:
        own_choice = [
            search_shard(
                Generation.of(index, stack.enter_context(index.searcher())),
                request,
            )
            for index in shards
        ]
    assert any(partial.relaxed for partial in own_choice)
    merged = over_shards(shards, request)
    assert_same_counts(merged, alone)
    assert sorted(ids(merged)) == sorted(ids(alone))


def test_a_partial_result_pickles_and_merges(shards: list[SearchIndex]) -> None:
    request = SearchRequest.create("管理", sort="date", page=2, size=2)
    partials = []
    for index in shards:
        with index.searcher() as searcher:
            generation = Generation.of(index, searcher)
            partial: ShardResult = pickle.loads(pickle.dumps(search_shard(generation, request)))
            assert len(partial.docnums) <= 4  # the first page × size hits only
            assert len(partial.doc_ids) == len(partial.dates) == len(partial.docnums)
            partials.append(partial)
    results, picks = merge(request, partials)
    dates = [partials[shard].dates[row] for shard, row in picks]
    assert len(picks) == 2 and dates == sorted(dates, reverse=True)
    assert results.total == sum(partial.total for partial in partials)


def test_a_partial_result_records_the_statistics_it_scored_with(
    whole: SearchIndex, shards: list[SearchIndex]
) -> None:
    request = SearchRequest.create("扬尘")
    frequencies = []
    for index in shards:
        with index.searcher() as searcher:
            partial = search_shard(Generation.of(index, searcher), request)
            statistics = partial.statistics
            assert statistics.documents == searcher.doc_count_all()
            assert statistics.frequencies[("body", "扬尘")] == searcher.doc_frequency(
                "body", "扬尘"
            )
            assert statistics.average_lengths["body"] == searcher.avg_field_length("body")
            frequencies.append(statistics.frequencies[("body", "扬尘")])
    with whole.searcher() as searcher:  # summed, the shards' are the whole index's
        assert sum(frequencies) == searcher.doc_frequency("body", "扬尘")


def test_one_shard_is_the_single_index(whole: SearchIndex) -> None:
    for options in ({"text": "营商环境"}, {"text": "行攻"}, {"text": "管理", "sort": "date"}):
        request = SearchRequest.create(**options)  # type: ignore[arg-type]
        with whole.searcher() as searcher:
            generation = Generation.of(whole, searcher)
            merged = search_shards([generation], request)
        alone = run_search(whole, request)
        assert merged.to_json() | {"took_ms": 0} == alone.to_json() | {"took_ms": 0}


def test_a_suggestion_counts_every_shard(whole: SearchIndex, shards: list[SearchIndex]) -> None:
    for text in ("行攻", "行凶", "对主"):
        request = SearchRequest.create(text)
        assert over_shards(shards, request).suggestion == run_search(whole, request).suggestion


@pytest.mark.parametrize("page", [1, 2, 3, 4, 5])
def test_merged_pages_oldest_first_equal_the_whole_index(
    whole: SearchIndex, shards: list[SearchIndex], page: int
) -> None:
    request = SearchRequest.create("", sort="date_asc", page=page, size=3)
    merged, alone = over_shards(shards, request), run_search(whole, request)
    assert_same_counts(merged, alone)
    assert ids(merged) == ids(alone) and ids(merged)
    dates = [hit.date or "9999" for hit in merged.hits]
    assert dates == sorted(dates)
