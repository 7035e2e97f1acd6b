"""`govsearch embed` on several processes of one engine thread each: the vectors one process
computes, in the order asked, and a clear stop when a process dies; with the real bundled
model."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from search import cli as cli_module
from search.cli import cli
from search.engine.columns import unsigned_column
from search.index.store import open_index
from search.vectors import encoder, processes
from search.vectors.model import embed_texts
from search.vectors.processes import EmbeddingStopped, ProcessEmbedder, even_pieces
from search.vectors.store import VectorStore

TEXTS = [
    "第一条 为了规范政府信息公开工作，制定本条例。",
    "二〇二三年全市生产总值增长百分之五点二",
    "租赁物在承租人按照租赁合同占有期限内发生所有权变动的，不影响租赁合同的效力。",
    "饲养的动物造成他人损害的，动物饲养人或者管理人应当承担侵权责任。",
    "农村人居环境整治",
    "（一）持续优化营商环境，全面推行证明事项告知承诺制。",
    "第十二条 行政机关应当建立健全政府信息公开协调机制。",
    "住房公积金",
    "工伤认定申请表应当包括事故发生的时间、地点、原因以及职工伤害程度等基本情况。",
]


def _not_here(texts: list[str], advance: Callable[[int], None]) -> np.ndarray:
    raise AssertionError("computed in this process")


@pytest.fixture
def share_out_small_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processes for a handful of texts, each handed two at a time."""
    monkeypatch.setattr(processes, "LEAST_FOR_PROCESSES", 1)
    monkeypatch.setattr(processes, "PIECE_TEXTS", 2)
    monkeypatch.setattr(encoder, "TEXTS_PER_RUN", 1)


@pytest.mark.usefixtures("share_out_small_work")
def test_processes_give_the_vectors_of_one_process_in_the_order_asked() -> None:
    advanced: list[int] = []
    with ProcessEmbedder(2, _not_here) as embedder:
        vectors = embedder(TEXTS, advanced.append)
        again = embedder(TEXTS[::-1], lambda count: None)  # the same processes, reused

    alone = embed_texts(TEXTS)
    assert vectors.shape == alone.shape == (len(TEXTS), 384)
    assert np.abs(vectors - alone).max() < 1e-5
    assert np.abs(again - alone[::-1]).max() < 1e-5
    assert sum(advanced) == len(TEXTS) and len(advanced) >= 2  # piece by piece


def test_small_work_and_one_process_are_computed_here(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def here(texts: list[str], advance: Callable[[int], None]) -> np.ndarray:
        calls.append(len(texts))
        return np.zeros((len(texts), 384), np.float32)

    monkeypatch.setattr(processes, "LEAST_FOR_PROCESSES", len(TEXTS) + 1)
    with ProcessEmbedder(2, here) as embedder:
        embedder(TEXTS, lambda count: None)  # too few to share out
    with ProcessEmbedder(1, here) as embedder:
        embedder(TEXTS * 2, lambda count: None)
    assert calls == [len(TEXTS), 2 * len(TEXTS)]
    assert not multiprocessing.active_children()


@pytest.mark.usefixtures("share_out_small_work")
def test_a_process_killed_mid_run_stops_it_clearly_and_a_new_run_starts_afresh() -> None:
    many = TEXTS * 20  # 90 pieces: most are still to do when the first is back
    killed: list[int] = []

    def kill_a_process(count: int) -> None:
        if not killed:
            killed.append(multiprocessing.active_children()[0].pid)
            os.kill(killed[0], signal.SIGKILL)  # as the kernel does when memory runs out

    with ProcessEmbedder(2, _not_here) as embedder:
        with pytest.raises(EmbeddingStopped, match=r"stopped: killed \(SIGKILL"):
            embedder(many, kill_a_process)
        assert not multiprocessing.active_children()  # the other one stopped too
        vectors = embedder(TEXTS, lambda count: None)
    assert np.abs(vectors - embed_texts(TEXTS)).max() < 1e-5


def test_stopping_on_an_error_does_not_wait_for_the_pieces_under_way() -> None:
    with pytest.raises(KeyboardInterrupt), ProcessEmbedder(2, _not_here) as embedder:
        embedder._start().submit(time.sleep, 60)
        embedder._start().submit(time.sleep, 60)
        started = time.monotonic()
        raise KeyboardInterrupt
    assert time.monotonic() - started < 30
    assert not multiprocessing.active_children()


def test_pieces_hold_every_text_once_and_cost_alike() -> None:
    lengths = [(number * 37) % 128 + 1 for number in range(1000)]
    pieces = even_pieces(lengths, 4, 32)
    assert sorted(p for piece in pieces for p in piece) == list(range(1000))
    costs = [sum(lengths[p] for p in piece) for piece in pieces]
    assert len(pieces) == 4 and max(costs) / min(costs) < 1.05
    assert even_pieces([5, 3], 4, 32) == [[1, 0]]  # one run; no empty piece


def _stored_vectors(index_dir: Path) -> np.ndarray:
    with open_index(index_dir).searcher() as searcher:
        reader = searcher.reader()
        keys = sorted(set(unsigned_column(reader, "vector_key").tolist()))
    store = VectorStore(index_dir)
    store.refresh()
    vectors, known = store.get(keys)
    assert known.all()
    return vectors


@pytest.mark.usefixtures("share_out_small_work")
def test_embed_on_processes_stores_what_one_process_stores(
    small_index: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, index_dir = small_index
    alone = tmp_path / "alone"
    shutil.copytree(index_dir, alone)

    with monkeypatch.context() as only_the_processes:
        only_the_processes.setattr(cli_module, "embed_in_batches", _not_here)
        shared_out = CliRunner().invoke(cli, ["embed", "--index", str(index_dir), "--procs", "2"])
    here = CliRunner().invoke(cli, ["embed", "--index", str(alone), "--procs", "1"])

    assert shared_out.exit_code == 0, shared_out.output
    assert here.exit_code == 0, here.output
    vectors, reference = _stored_vectors(index_dir), _stored_vectors(alone)
    assert len(vectors) >= 8
    cosines = np.sum(vectors * reference, axis=1) / (
        np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1)
    )
    assert cosines.min() > 0.9999
    assert not multiprocessing.active_children()


@pytest.mark.parametrize(
    "options, complaint",
    [
        (["--procs", "0"], "--procs"),
        (["--cluster", "--procs", "2"], "does not go with --cluster"),
    ],
)
def test_embed_refuses_a_bad_number_of_processes(
    options: list[str], complaint: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["embed", "--index", str(tmp_path), *options])
    assert result.exit_code == 2 and complaint in result.output
