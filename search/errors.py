"""One exception tree for the engine; every message says what to do next."""

from __future__ import annotations

from pathlib import Path


class SearchError(Exception):
    """Base class of every error the engine raises on purpose."""


def reindex_command(index_dir: Path | str, full: bool = False) -> str:
    """The command that (re)builds this index, as an operator would paste it."""
    return f"govsearch reindex{' --full' if full else ''} --index {index_dir}"


class IndexMissing(SearchError):
    """There is no usable index at the given location."""

    def __init__(self, index_dir: Path | str, why: str = "", full: bool = False) -> None:
        self.index_dir = Path(index_dir)
        detail = f" ({why})" if why else ""
        command = reindex_command(self.index_dir, full)
        super().__init__(f"no index at {self.index_dir}{detail}: run `{command}` first")


class CorpusRefused(SearchError):
    """A reindex would empty or shrink the index beyond its limit; nothing was changed."""


class IndexBusy(SearchError):
    """Another reindex holds the index lock."""

    def __init__(self, index_dir: Path | str, holder: str = "") -> None:
        self.index_dir = Path(index_dir)
        who = f" by {holder}" if holder else ""
        super().__init__(
            f"another reindex of {self.index_dir} is running{who}; wait for it to finish"
        )


class QueryError(SearchError):
    """A search parameter is invalid; `parameter` names it.

    The message (`reason`) is English, for the JSON API's developers; `explanation` says
    the same in Chinese for the pages' readers.
    """

    def __init__(self, parameter: str, reason: str, explanation: str = "") -> None:
        self.parameter = parameter
        self.reason = reason
        self._explanation = explanation
        super().__init__(f"{parameter}: {reason}")

    @property
    def explanation(self) -> str:
        """The Chinese sentence for the pages, naming the parameter (a general one when the
        raiser gave none)."""
        text = self._explanation or f"检索参数 {self.parameter} 的值无效，请修改后再试。"
        if self.parameter in text:
            return text
        return f"{text.rstrip('。')}（参数 {self.parameter}）。"


class IngestError(SearchError):
    """A document could not be read: where (path, line) and why."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {reason}")


class ShardsUnavailable(IndexMissing):
    """A search of a cluster whose shards do not answer (503, as when there is no index)."""

    def __init__(self, index_dir: Path | str, why: str) -> None:
        self.index_dir = Path(index_dir)
        SearchError.__init__(self, f"the shards of {self.index_dir} do not answer ({why})")


class ShardMissing(SearchError):
    """No replica of a shard answered one step of a search in time."""

    def __init__(self, shard: str) -> None:
        self.shard = shard
        super().__init__(f"no replica of {shard} answers")
