"""bench/static_vectors.py: static section vectors from the model's word vectors, over a real
index of sample documents and the real bundled model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from bench.static_vectors import Collection, StaticVectors, word_vectors
from search.index.build import full_build

SAMPLES = Path(__file__).resolve().parent.parent / "corpus" / "samples"
FIRST = ("2021_yangcheng_business_environment.txt", "2017_yangcheng_keji_summary.txt")


def test_a_sections_own_rare_words_find_it_first_and_word_vectors_are_kept(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in FIRST:
        shutil.copy(SAMPLES / name, corpus / name)
    assert not full_build(corpus, tmp_path / "ix", procs=1).failed
    collection = Collection(tmp_path / "ix", short_names={})
    vocabulary = sorted(collection.frequency)
    vectors, seconds = word_vectors(vocabulary, tmp_path / "work")
    assert vectors.shape == (len(vocabulary), 384) and seconds > 0
    again, seconds_again = word_vectors(vocabulary, tmp_path / "work")
    assert seconds_again == 0.0 and np.array_equal(again, vectors)  # read, not embedded
    static = StaticVectors(collection, vocabulary, vectors)
    assert np.allclose(np.linalg.norm(static.matrix, axis=1)[[0, -1]], 1.0, atol=1e-5)
    # the rarest words of one section, asked as a question, find that section first
    found = 0
    for number, words in enumerate(collection.words):
        rare = sorted(set(words), key=lambda w: (collection.frequency[w], w))[:4]
        vector = static.question("".join(rare))
        if len(set(words)) >= 8 and vector is not None:
            found += int(np.argmax(static.matrix @ vector) == number)
    sections = sum(len(set(words)) >= 8 for words in collection.words)
    assert found >= 0.8 * sections
