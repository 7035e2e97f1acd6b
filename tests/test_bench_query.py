"""bench/query.py's account of where a search's time goes, on a small real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.query import KINDS, CostedRunner, print_costs
from search.index.live import SearchIndex


def test_each_kind_prints_its_stages_and_clocks(
    sample_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SearchIndex(sample_index, cache_size=0) as index:
        run = CostedRunner(index)
        timings = {kind: [run(kind, (text, {})) for text in ("营商环境", "科技")] for kind in KINDS}
    for costs in run.costs.values():
        assert {"scoring", "facets", "passages", "cpu", "waiting", "threads", "faults"} <= set(
            costs[0]
        )
        assert costs[0]["cpu"] > 0
    print_costs(run.costs, timings)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:5] == ["kind", "wall", "compile", "filters", "scoring"]
    assert [line.split()[0] for line in lines[2:8]] == list(KINDS)
    assert lines[9].split() == ["kind", "cpu", "p50", "cpu", "p95", "own", "p50", "own", "p95"]
    assert [line.split()[0] for line in lines[10:]] == list(KINDS)
