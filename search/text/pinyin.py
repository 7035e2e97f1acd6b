"""Pinyin spellings of text, for completing and searching what people type in Latin letters.

A text has two spellings: its full pinyin without tones or spaces (营商环境 → yingshanghuanjing)
and its initials (yshj). Runs of Chinese characters are converted by pypinyin a run at a time,
so that its phrase table picks the reading of a character in its word (银行 → yinhang, 行政 →
xingzheng); anything else (digits, Latin words) is kept as it is, lower-cased, without spaces.
What a person types is read as pinyin only when it is Latin letters and spaces alone.
"""

from __future__ import annotations

import functools
import re

from pypinyin import lazy_pinyin

from search.text.normalize import normalize

_CHINESE_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_TYPED_PINYIN = re.compile(r"[a-z][a-z' ]*")


@functools.lru_cache(maxsize=8192)
def spellings(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of `text`: lower case, no tones, no spaces."""
    full: list[str] = []
    initials: list[str] = []
    position = 0
    for run in _CHINESE_RUN.finditer(text):
        _keep_other(text[position : run.start()], full, initials)
        syllables = lazy_pinyin(run.group())
        full.extend(syllables)
        initials.extend(syllable[:1] for syllable in syllables)
        position = run.end()
    _keep_other(text[position:], full, initials)
    return "".join(full), "".join(initials)


@functools.lru_cache(maxsize=8192)
def chinese_syllables(run: str) -> tuple[str, ...]:
    """The toneless syllables of a run of Chinese characters, one a character, each read as
    in its word (as `spellings` reads them)."""
    return tuple(lazy_pinyin(run))


def _keep_other(text: str, full: list[str], initials: list[str]) -> None:
    kept = "".join(text.lower().split())
    full.append(kept)
    initials.append(kept)


def has_chinese(text: str) -> bool:
    return _CHINESE_RUN.search(text) is not None


def typed_pinyin(text: str) -> str | None:
    """`text` as a pinyin key (lower case, without spaces or apostrophes: `Ying shang` →
    yingshang, full-width letters too) when it is nothing but Latin letters, spaces and
    apostrophes; else None. The query language's `OR` is syntax, not letters."""
    if "OR" in text.split():
        return None
    folded = normalize(text).strip().lower()
    if not _TYPED_PINYIN.fullmatch(folded):
        return None
    return folded.replace(" ", "").replace("'", "")
