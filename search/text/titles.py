"""Titles as people name documents: the name versions of one law share (`law_name`), and
the short name a query types for a document (`short_name`: 刑法 for 中华人民共和国刑法)."""

from __future__ import annotations

import re

from search.text.normalize import normalize

_TRAILING_NOTE = re.compile(r"\(([^()]*)\)\s*$")
_PART_NUMBER = re.compile(r"[一二三四五六七八九十百零〇\d]+")


def law_name(title: str) -> str:
    """What versions of one law share: the normalised title without spaces and without
    trailing notes other than a part number."""
    name = "".join(normalize(title).split())
    while (note := _TRAILING_NOTE.search(name)) and not _PART_NUMBER.fullmatch(note.group(1)):
        name = name[: note.start()]
    return name


# What national laws and many of the State Council's regulations are titled with.
STATE_TITLE_PREFIX = "中华人民共和国"


def short_name(title: str) -> str:
    """A title as people name its document: without 中华人民共和国 before it, or its notes in
    brackets after it, or the part after a space (中华人民共和国民法典 合同编 -> 民法典), or
    the title marks around it (《刑法》 -> 刑法). Typed as a query, it asks for that
    document."""
    words = normalize(title).split()
    if not words:
        return ""
    name = law_name(words[0])
    if name.startswith("《") and name.endswith("》"):
        name = name[1:-1]
    return name.removeprefix(STATE_TITLE_PREFIX)


def typed_name(text: str) -> str:
    """A query term read as a document's short name: as typed but for 中华人民共和国 and
    title marks. A note typed after it (（试行）) is kept: it names one version, which the
    name every version shares is not."""
    name = "".join(normalize(text).split())
    if name.startswith("《") and name.endswith("》"):
        name = name[1:-1]
    return name.removeprefix(STATE_TITLE_PREFIX)
