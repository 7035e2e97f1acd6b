"""bench/did_you_mean.py: slips of a pinyin input method drawn from the index's words."""

from __future__ import annotations

import random

from pypinyin import lazy_pinyin

from bench import did_you_mean
from search import suggest

WORDS = {"公开": 40, "工作": 30, "攻击": 25, "行政": 50, "形成": 20, "政府": 60, "正式": 2}


def test_a_slip_swaps_one_character_for_another_of_its_sound_and_is_rare() -> None:
    pairs = did_you_mean.slips(WORDS, 5, random.Random(1))
    assert len(pairs) == 5 and len({slip for slip, _ in pairs}) == 5
    for slip, word in pairs:
        assert WORDS[word] >= did_you_mean.SOURCE_SECTIONS
        assert WORDS.get(slip, 0) < suggest.COMMON
        changed = [n for n in range(len(word)) if slip[n] != word[n]]
        assert len(changed) == 1 and len(slip) == len(word)
        assert lazy_pinyin(slip) == lazy_pinyin(word)
