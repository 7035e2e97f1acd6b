"""Word segmentation: rjieba does the work, jieba is the reference; one domain dictionary for both.

rjieba (the Rust port of jieba, same dictionary and HMM) segments for the index and the
queries because segmentation is most of a build's work; its output is jieba's token for
token, and tests keep the two in agreement.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from search import config

if TYPE_CHECKING:
    import jieba
    import rjieba

DOMAIN_DICTIONARY = config.DATA_DIR / "gov_dict.txt"


class DictEntry(NamedTuple):
    word: str
    freq: int
    tag: str


def read_dictionary(path: Path = DOMAIN_DICTIONARY) -> list[DictEntry]:
    """Entries of a jieba-format user dictionary (`word freq [tag]`); `#` starts a comment."""
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            raise ValueError(f"{path}:{number}: expected `word freq [tag]`, got {raw!r}")
        entries.append(DictEntry(parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""))
    return entries


@functools.cache
def fast_segmenter() -> rjieba.Jieba:
    """The rjieba segmenter with the domain dictionary loaded (once per process)."""
    import rjieba

    segmenter = rjieba.Jieba()
    for entry in read_dictionary():
        segmenter.add_word(entry.word, entry.freq, entry.tag or None)
    return segmenter


@functools.cache
def reference_segmenter() -> jieba.Tokenizer:
    """jieba itself with the same dictionary; its cache lives in a private per-user directory."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(config.cache_dir())
    for entry in read_dictionary():
        tokenizer.add_word(entry.word, entry.freq, entry.tag or None)
    return tokenizer
