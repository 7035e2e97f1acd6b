"""bench/cluster.py: the grid of shards x replicas it measures, as `--grid` says."""

from __future__ import annotations

import argparse

import pytest

from bench.cluster import parse_grid


def test_the_grid_keeps_its_order_and_each_size_once() -> None:
    assert parse_grid("1x1, 2x1,4 x 2,2x1") == [(1, 1), (2, 1), (4, 2)]


@pytest.mark.parametrize("text", ["", "2", "2x", "0x1", "2x0", "2*2", "1x1,,2x1", "-1x2"])
def test_a_grid_item_that_is_not_shards_x_replicas_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_grid(text)
