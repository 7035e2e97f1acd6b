"""How much of the indexed collection one reindex may remove before it asks for confirmation.

A corpus on a network mount that is briefly down, or a cron job pointed at the wrong
directory, looks to a reindex exactly like a corpus whose files were deleted. Losing most of
the collection that way should take an explicit `--allow-shrink`, and losing all of it is
never what an operator means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from search.errors import CorpusRefused, reindex_command
from search.index.store import LIVE_LINK

DEFAULT_LIMIT = 0.2
MAX_LISTED = 5  # unreadable files named in a refusal


def parse_limit(text: str) -> float:
    """`20%` or `0.2` -> 0.2; ValueError for anything outside 0-100%."""
    value = text.strip()
    share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    if not 0 <= share <= 1:
        raise ValueError(f"must be a share between 0 and 1 (or 0% and 100%), got {text!r}")
    return share


@dataclass(frozen=True)
class ShrinkGuard:
    """Refuses a reindex that would leave no document, or remove more than `limit` of them."""

    limit: float = DEFAULT_LIMIT
    allowed: bool = False  # --allow-shrink: the operator confirmed a large removal

    def require_documents(self, index_dir: Path, corpus: Path, readable: int) -> None:
        """CorpusRefused when the corpus has no document that could be read."""
        if readable == 0:
            kept = (
                f"the index at {index_dir} was left as it is"
                if (index_dir / LIVE_LINK).exists()
                else f"no index was built at {index_dir}"
            )
            raise CorpusRefused(
                f"{corpus} holds no readable document; {kept} (is the corpus directory mounted?)"
            )

    def check_removal(
        self,
        index_dir: Path,
        corpus: Path,
        before: int,
        removed: int,
        full: bool,
        unreadable: Sequence[object] = (),
    ) -> None:
        """CorpusRefused when removing `removed` of `before` documents needs confirming;
        `unreadable` are the failures among them (files there that could not be read)."""
        if self.allowed or removed <= self.limit * before:
            return
        command = reindex_command(index_dir, full)
        failed = ""
        if unreadable:
            shown = "; ".join(str(failure) for failure in unreadable[:MAX_LISTED])
            more = (
                f"; and {len(unreadable) - MAX_LISTED} more" if len(unreadable) > MAX_LISTED else ""
            )
            failed = f" {len(unreadable)} of them could not be read: {shown}{more}."
        raise CorpusRefused(
            f"this reindex would remove {removed} of the {before} documents in {index_dir} "
            f"({removed / before:.0%}, more than the {self.limit:.0%} allowed); nothing was "
            f"changed.{failed} If {corpus} is complete as it is, confirm with "
            f"`{command} --corpus {corpus} --allow-shrink`"
        )
