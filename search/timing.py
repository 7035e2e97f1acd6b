"""Where a search's time goes, stage by stage, for whoever asks (`bench/query.py`).

The engine marks its stages with `with stage("scoring"): ...`. Nothing is timed unless the
caller records: inside `recording()`, each stage's seconds add up in the `StageTimes` it
yields. A stage's own time is counted: one stage inside another (embedding a question while
ranking by meaning, say) pauses the outer one, so the stages add up to no more than the
whole. The record is held in a context variable, so threads and tasks each keep their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from time import perf_counter
from types import TracebackType

COMPILING = "compiling"
FILTERS = "filters"
SCORING = "scoring"
EMBEDDING = "embedding"  # a question's embedding, by the model
MEANING = "meaning"  # similarity to every section, the nearest, the fusion
COLLAPSING = "collapsing"  # ordering, one hit per document, the page
FACETS = "facets"
PASSAGES = "passages"  # the page's stored fields and highlighted passages
SUGGESTIONS = "suggestions"  # did-you-mean and pinyin
STAGES = (
    COMPILING,
    FILTERS,
    SCORING,
    EMBEDDING,
    MEANING,
    COLLAPSING,
    FACETS,
    PASSAGES,
    SUGGESTIONS,
)


class StageTimes:
    """Seconds spent in each stage, each stage's own."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._open: list[tuple[str, float]] = []  # the stages entered, innermost last

    def enter(self, name: str) -> None:
        now = perf_counter()
        if self._open:
            self._charge(now)
        self._open.append((name, now))

    def leave(self) -> None:
        now = perf_counter()
        self._charge(now)
        self._open.pop()
        if self._open:  # the outer stage's clock runs again
            self._open[-1] = (self._open[-1][0], now)

    def _charge(self, now: float) -> None:
        name, since = self._open[-1]
        self.seconds[name] = self.seconds.get(name, 0.0) + now - since


_recording: ContextVar[StageTimes | None] = ContextVar("stage_times", default=None)


class _Stage:
    __slots__ = ("name", "times")

    def __init__(self, name: str) -> None:
        self.name = name
        self.times: StageTimes | None = None

    def __enter__(self) -> None:
        self.times = _recording.get()
        if self.times is not None:
            self.times.enter(self.name)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.times is not None:
            self.times.leave()


def stage(name: str) -> _Stage:
    """A block of the stage `name`: timed when someone records, else only a lookup."""
    return _Stage(name)


@contextmanager
def recording() -> Iterator[StageTimes]:
    """Record the stages of what runs inside (in this thread or task)."""
    times = StageTimes()
    token = _recording.set(times)
    try:
        yield times
    finally:
        _recording.reset(token)
