"""One progress display for long commands, with a quiet switch.

A bar on stderr (click's), counting steps toward a total that may grow while the work goes
on, with an optional line of figures beside it; `echo` prints a command's summary on stdout.
A quiet one counts the same and prints nothing: commands build one either way and never ask
whether they are quiet. Errors and warnings are not progress: commands print those always.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

import click


class ProgressBar:
    """Steps done out of a total, shown on stderr unless `quiet`; use as a context manager."""

    def __init__(
        self, label: str, quiet: bool = False, figures: Callable[[], str] | None = None
    ) -> None:
        self.label = label
        self.quiet = quiet
        self.figures = figures  # a short line beside the bar (sections, MB/s)
        self.done = 0
        self.total = 0
        self._bar: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def add_work(self, steps: int) -> None:
        """`steps` more to do (the bar appears with the first work)."""
        self.show(self.done, self.total + steps)

    def advance(self, steps: int = 1) -> None:
        self.show(self.done + steps, self.total)

    def show(self, done: int, total: int) -> None:
        """`done` steps out of `total`: the form of a progress callback `(done, total)`."""
        self.done, self.total = done, total
        if self.quiet:
            return
        if self._bar is None:
            show_figures = None if self.figures is None else self._show_figures
            self._bar = click.progressbar(
                length=total, label=self.label, item_show_func=show_figures, file=sys.stderr
            )
            self._bar.__enter__()
        self._bar.length = total
        self._bar.update(done - self._bar.pos)

    def _show_figures(self, _item: object = None) -> str:
        assert self.figures is not None
        return self.figures()

    def finish(self, message: str) -> None:
        """Close the bar and say what comes next (`message…` on stderr)."""
        self.close()
        if not self.quiet:
            click.echo(f"{message}…", err=True)

    def echo(self, message: str) -> None:
        """A line of the command's summary, on stdout."""
        if not self.quiet:
            click.echo(message)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
