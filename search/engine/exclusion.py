"""`Without(a, b)`: Whoosh's AndNot with its first-match bug fixed.

Whoosh 2.7.4's AndNotMatcher checks the excluded matcher only when both start on the same
document. When the excluded list starts earlier (b's first document < a's first), a's first
document is returned even if b contains it: `营商环境 -阳城` would keep a section titled 阳城….
"""

from __future__ import annotations

from typing import Any

from whoosh import query as q
from whoosh.matching import AndNotMatcher


class _AndNotMatcher(AndNotMatcher):  # type: ignore[misc]
    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            if self.b.id() < self.a.id():
                self.b.skip_to(self.a.id())
            if self.b.is_active() and self.a.id() == self.b.id():
                self._find_next()


class Without(q.AndNot):  # type: ignore[misc]
    """Documents matching `a` and not `b` (scored by `a`)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        scored = self.a.matcher(searcher, context)
        excluded = self.b.matcher(searcher, searcher.boolean_context())
        return _AndNotMatcher(scored, excluded)
