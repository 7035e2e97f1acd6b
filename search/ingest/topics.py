"""Topic of a document whose header leaves 主题分类 empty: derived from its title by rules."""

from __future__ import annotations

import functools
from pathlib import Path

from search import config

TOPIC_RULES = config.DATA_DIR / "topic_rules.tsv"


@functools.cache
def load_rules(path: Path = TOPIC_RULES) -> tuple[tuple[str, str], ...]:
    """(title fragment, topic) pairs, in file order: the first fragment found wins."""
    rules = []
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise ValueError(f"{path}:{number}: expected `fragment<TAB>topic`, got {raw!r}")
        rules.append((parts[0].strip(), parts[1].strip()))
    return tuple(rules)


def derive_topic(title: str) -> str:
    """The topic of the first rule whose fragment occurs in `title`; "" when none does."""
    for fragment, topic in load_rules():
        if fragment in title:
            return topic
    return ""
