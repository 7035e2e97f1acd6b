"""The one progress display: a bar and a summary, or nothing at all when quiet."""

from __future__ import annotations

import pytest

from search.progress import ProgressBar


def test_the_bar_goes_to_stderr_and_the_summary_to_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ProgressBar("embedding", figures=lambda: "3 sections") as bar:
        bar.add_work(4)
        bar.advance(3)
        bar.add_work(2)  # a later pass found more
        bar.show(6, 6)
        assert (bar.done, bar.total) == (6, 6)
        bar.finish("committing")
        bar.echo("6 sections embedded")
    printed = capsys.readouterr()
    assert printed.err.splitlines() == ["embedding", "committing…"]
    assert printed.out == "6 sections embedded\n"


def test_a_quiet_bar_counts_and_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with ProgressBar("indexing", quiet=True) as bar:
        bar.add_work(2)
        bar.advance()
        bar.finish("writing the index")
        bar.echo("summary")
    assert (bar.done, bar.total) == (1, 2)
    assert capsys.readouterr() == ("", "")
