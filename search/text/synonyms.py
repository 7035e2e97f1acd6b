"""Synonyms and abbreviations from `data/synonyms.txt`, applied at query time.

A line `a, b, c` is a group (each finds the others); `a => b, c` works one way (a finds b
and c). Terms are normalised like the index, so 科技局 and 科技局 written in full width or
traditional characters agree.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from pathlib import Path

from search import config
from search.text.normalize import normalize

SYNONYMS_FILE = config.DATA_DIR / "synonyms.txt"


def _terms(text: str) -> list[str]:
    return [normalize(t.strip()) for t in text.replace("，", ",").split(",") if t.strip()]


def parse_entry(line: str) -> tuple[list[str], list[str]] | None:
    """(the terms typed, the terms they also find) of one line; None for a comment or a
    blank line. In a group every term is typed and found."""
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    if "=>" in line:
        sources, targets = (_terms(side) for side in line.split("=>", 1))
        return sources, targets
    terms = _terms(line)
    return terms, terms


@functools.cache
def load_synonyms(path: Path = SYNONYMS_FILE) -> dict[str, tuple[str, ...]]:
    """term -> the other terms it also finds, in file order."""
    table: defaultdict[str, dict[str, None]] = defaultdict(dict)
    for line in path.read_text("utf-8").splitlines():
        entry = parse_entry(line)
        if entry is None:
            continue
        sources, targets = entry
        for source in sources:
            for target in targets:
                if target != source:
                    table[source][target] = None
    return {term: tuple(others) for term, others in table.items()}


def synonyms_of(term: str) -> tuple[str, ...]:
    """The other terms a (normalised) query term also finds."""
    return load_synonyms().get(term, ())
