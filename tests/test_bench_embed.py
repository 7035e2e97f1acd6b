"""The embedding benchmark embeds a fixed sample of exactly what `govsearch embed` embeds."""

from __future__ import annotations

from pathlib import Path

from bench.embed import corpus_section_texts, seeded_sample
from search.engine.columns import unsigned_column
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
