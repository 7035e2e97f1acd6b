"""A shard's replica as the cluster calls it, in this process (no Ray): the definitions of
every shard's laws travel by name, the table itself only to a replica that asks for it,
and a replica that has to ask (a new one, or one restarted) answers as the others."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from search.cluster.replica import DefinitionsWanted, ShardReplica, SharedDefinitions, Step
from search.index.shards import reindex_shards, shard_directory
from search.query.request import SearchRequest
from search.results import joined_definitions
from search.shard import ShardResult

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUESTION = SearchRequest.create(text="如何申请政府信息公开")


@pytest.fixture(scope="module")
def sharded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("replica")
    reindex_shards(CORPUS, index_dir, 2, full=True)
    return index_dir


@contextmanager
def new_replica(sharded_dir: Path, number: int) -> Iterator[ShardReplica]:
    replica = ShardReplica(shard_directory(sharded_dir, number), semantic=False)
    try:
        yield replica
    finally:
        replica.close()


@pytest.fixture(scope="module")
def replicas(sharded_dir: Path) -> Iterator[list[ShardReplica]]:
    opened = [ShardReplica(shard_directory(sharded_dir, n), semantic=False) for n in (0, 1)]
    yield opened
    for replica in opened:
        replica.close()


@pytest.fixture(scope="module")
def shared(replicas: list[ShardReplica]) -> SharedDefinitions:
    table = joined_definitions([replica.tables.definitions for replica in replicas])
    assert table is not None
    return SharedDefinitions("0:one,1:other", table)


def _step(shared: SharedDefinitions | None, key: str = "search") -> Step:
    return Step(key, QUESTION, True, None, shared)


def _same(one: ShardResult, other: ShardResult) -> bool:
    return (
        np.array_equal(one.docnums, other.docnums)
        and np.allclose(one.scores, other.scores)
        and (one.doc_ids, one.total, one.facets) == (other.doc_ids, other.total, other.facets)
    )


def test_a_step_names_the_definitions_without_carrying_them(shared: SharedDefinitions) -> None:
    named = _step(shared.named())
    assert named.definitions == SharedDefinitions(shared.name)
    assert b"DefinitionTable" in pickle.dumps(_step(shared))
    assert b"DefinitionTable" not in pickle.dumps(named)


def test_a_replica_asks_once_for_definitions_it_was_not_sent(
    sharded_dir: Path, shared: SharedDefinitions
) -> None:
    with new_replica(sharded_dir, 0) as replica:
        with pytest.raises(DefinitionsWanted) as wanted:
            replica.statistics(_step(shared.named()))
        assert wanted.value.name == shared.name
        with_table = replica.search(_step(shared)).result
        # Sent once, kept: later steps, of this search or another, need the name alone.
        assert replica.statistics(_step(shared.named(), "another")).documents
        assert _same(replica.search(_step(shared.named(), "another")).result, with_table)


def test_a_restarted_replica_answers_a_search_as_the_first_did(
    sharded_dir: Path, replicas: list[ShardReplica], shared: SharedDefinitions
) -> None:
    first = replicas[0]
    first.search(_step(shared))
    answered = first.search(_step(shared.named(), "again")).result
    hits = first.hits(_step(shared.named(), "again"), answered, [0, 1])
    with new_replica(sharded_dir, 0) as restarted:
        step = _step(shared.named(), "again")
        with pytest.raises(DefinitionsWanted):
            restarted.hits(step, answered, [0, 1])
        assert restarted.hits(replace(step, definitions=shared), answered, [0, 1]) == hits
        assert _same(restarted.search(step).result, answered)


def test_a_result_comes_with_the_hits_of_the_rows_the_page_will_likely_show(
    replicas: list[ShardReplica], shared: SharedDefinitions
) -> None:
    replica = replicas[0]
    replica.search(_step(shared))
    step = replace(_step(shared.named(), "page"), page_rows=range(1, 4))
    page = replica.search(step)
    rows = [row for row in (1, 2, 3) if row < len(page.result.docnums)]
    assert rows and list(page.hits) == rows
    assert list(page.hits.values()) == replica.hits(step, page.result, rows)
    assert replica.search(replace(step, key="none", page_rows=range(0))).hits == {}


def test_a_step_without_definitions_is_answered_with_the_shards_own(
    replicas: list[ShardReplica],
) -> None:
    assert replicas[1].search(_step(None, "own")).result.total
