"""Where a search's time goes: the stages of real searches on a small real index."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from search import timing
from search.index.embedding import embed_index
from search.index.live import SearchIndex
from search.query.request import SearchRequest
from search.results import run_search
from search.timing import recording, stage
from search.vectors import model as embedding_model

QUESTION = "政府怎么保障公众参与重大行政决策？"
KEYWORDS = "营商环境"
EVERY_SEARCH = {
    timing.COMPILING,
    timing.FILTERS,
    timing.SCORING,
    timing.COLLAPSING,
    timing.FACETS,
    timing.PASSAGES,
}


@pytest.fixture(scope="module")
def embedded_index(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Path:
    target = tmp_path_factory.mktemp("timed") / "ix"
    shutil.copytree(sample_index, target, symlinks=True)
    embed_index(target)
    return target


def _stages(index_dir: Path, text: str) -> tuple[dict[str, float], float]:
    with SearchIndex(index_dir, cache_size=0) as index, recording() as times:
        took_ms = run_search(index, SearchRequest.create(text)).took_ms
    return times.seconds, took_ms


def test_a_keyword_search_reports_its_stages_and_no_embedding(embedded_index: Path) -> None:
    seconds, took_ms = _stages(embedded_index, KEYWORDS)
    assert EVERY_SEARCH <= set(seconds)
    assert not {timing.EMBEDDING, timing.MEANING} & set(seconds)
    assert all(value > 0 for value in seconds.values())
    assert sum(seconds.values()) * 1000 <= took_ms


def test_a_question_reports_its_embedding_apart_from_meaning(embedded_index: Path) -> None:
    embedding_model.QUESTION_VECTORS.clear()
    seconds, took_ms = _stages(embedded_index, QUESTION)
    assert EVERY_SEARCH | {timing.EMBEDDING, timing.MEANING} <= set(seconds)
    assert sum(seconds.values()) * 1000 <= took_ms
    # The next page asks the model nothing: the question's embedding is kept.
    with SearchIndex(embedded_index, cache_size=0) as index, recording() as times:
        run_search(index, SearchRequest.create(QUESTION, page=2))
    assert timing.MEANING in times.seconds
    assert timing.EMBEDDING not in times.seconds


def test_a_stage_inside_another_counts_only_for_itself() -> None:
    started = time.perf_counter()
    with recording() as times:
        with stage("outer"):
            with stage("inner"):
                time.sleep(0.05)
    whole = time.perf_counter() - started
    assert times.seconds["inner"] >= 0.05
    assert times.seconds["outer"] < times.seconds["inner"]
    assert sum(times.seconds.values()) <= whole


def test_nothing_is_recorded_outside_a_recording(embedded_index: Path) -> None:
    with recording() as times:
        pass
    with SearchIndex(embedded_index, cache_size=0) as index:
        run_search(index, SearchRequest.create(KEYWORDS))
    assert times.seconds == {}
