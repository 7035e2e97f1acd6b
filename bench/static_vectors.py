"""Whether word vectors distilled from the embedding model could stand in for it: every
section ranked by meaning alone, by the model's stored vectors and by static ones, on both
STARD halves in one run.

    python bench/static_vectors.py --index DIR [--text-chars 64] [--work DIR]

A static vector of a section is the idf-weighted sum of the vectors of its words (precise
segmentation, stop words out), each word embedded once by the model on its own, with the
mean word vector removed (else every section leans the same way). Embedding then costs one
model call per distinct word of the collection, not one per section; a question's vector is
made the same way from its words, a word the collection lacks embedded on the spot. The
words' vectors are kept in --work (default bench/.static-vectors), so a second run skips the
embedding. Prints the collection's distinct words, the time to embed them (one thread), then
MRR@10 / Recall@10 / Recall@100 / nDCG@10 of ranking every section by meaning alone (the
distinct articles of the first 300 sections) with the model's vectors (--text-chars: those of
a model that embedded that many characters; the index needs every section embedded) and with
static vectors.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import METRICS, article_of, load_stard, scores, split_questions  # noqa: E402
from bench.shared import shared_dir  # noqa: E402
from search.engine.columns import unsigned_column  # noqa: E402
from search.index.sections import StoredSection  # noqa: E402
from search.index.store import open_index  # noqa: E402
from search.rank.ranking import best_first  # noqa: E402
from search.text.analysis import load_stopwords, query_stopwords, word_tokens  # noqa: E402
from search.text.normalize import normalize  # noqa: E402
from search.vectors import model as embedding_model  # noqa: E402
from search.vectors.store import VectorStore  # noqa: E402

FIRST_SECTIONS = 300  # enough for 100 distinct articles


def words_of(text: str, stopwords: frozenset[str]) -> list[str]:
    return [word for word, *_ in word_tokens(normalize(text), False, stopwords)]


class Collection:
    """Every live section's words, article and stored vector key."""

    def __init__(self, index_dir: Path, short_names: dict[str, str]) -> None:
        stopwords = load_stopwords()
        self.words: list[list[str]] = []
        self.articles: list[str] = []
        keys: list[int] = []
        ix = open_index(index_dir)
        try:
            with ix.searcher() as searcher:
                reader = searcher.reader()
                vector_keys = unsigned_column(reader, "vector_key").tolist()
                for docnum in range(searcher.doc_count_all()):
                    if reader.is_deleted(docnum):
                        continue
                    fields = searcher.stored_fields(docnum)
                    section = StoredSection.read(fields)
                    text = " ".join(section_part(fields))
                    self.words.append(words_of(text, stopwords))
                    article = article_of(
                        section.title, section.heading, section.breadcrumb, short_names
                    )
                    self.articles.append(article or f"other:{fields['id']}")
                    keys.append(vector_keys[docnum])
        finally:
            ix.close()
        self.keys = np.asarray(keys, dtype=np.uint64)
        self.frequency = Counter(word for words in self.words for word in set(words))


def section_part(fields: dict[str, str]) -> list[str]:
    return [fields[name] for name in ("title", "heading", "body") if fields.get(name)]


def word_vectors(vocabulary: list[str], work: Path) -> tuple[np.ndarray, float]:
    """The model's vector of each word on its own (passage side), and the seconds it took
    (0 when read from --work)."""
    cached_words, cached_vectors = work / "words.txt", work / "vectors.npy"
    if cached_words.is_file() and cached_words.read_text("utf-8").split("\n") == vocabulary:
        return np.load(cached_vectors), 0.0
    started = time.perf_counter()
    batches = [
        embedding_model.embed_texts(vocabulary[i : i + 256]) for i in range(0, len(vocabulary), 256)
    ]
    seconds = time.perf_counter() - started
    vectors = np.concatenate(batches)
    work.mkdir(parents=True, exist_ok=True)
    np.save(cached_vectors, vectors)
    cached_words.write_text("\n".join(vocabulary), "utf-8")
    return vectors, seconds


class StaticVectors:
    def __init__(self, collection: Collection, vocabulary: list[str], vectors: np.ndarray):
        sections = len(collection.words)
        self.row = {word: i for i, word in enumerate(vocabulary)}
        self.mean = vectors.mean(axis=0)
        self.vectors = vectors - self.mean
        self.idf = {w: math.log(sections / n) for w, n in collection.frequency.items()}
        self.rarest = math.log(sections)
        self.unseen: dict[str, np.ndarray] = {}
        matrix = np.zeros((sections, vectors.shape[1]), np.float32)
        for number, words in enumerate(collection.words):
            if words:
                weights = np.array([self.idf[w] for w in words], np.float32)
                matrix[number] = weights @ self.vectors[[self.row[w] for w in words]]
        self.matrix = normalized(matrix)

    def question(self, text: str) -> np.ndarray | None:
        words = words_of(text, query_stopwords())
        if not words:
            return None
        vectors = [self._vector(word) for word in words]
        weights = np.array([self.idf.get(w, self.rarest) for w in words], np.float32)
        return normalized(weights @ np.asarray(vectors))

    def _vector(self, word: str) -> np.ndarray:
        if word in self.row:
            return self.vectors[self.row[word]]
        if word not in self.unseen:
            self.unseen[word] = embedding_model.embed_texts([word])[0] - self.mean
        return self.unseen[word]


def normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True).clip(1e-9)
    return (vectors / norms).astype(np.float32)


def model_matrix(index_dir: Path, collection: Collection) -> np.ndarray:
    store = VectorStore(index_dir)
    store.refresh()
    vectors, known = store.get(collection.keys)
    if not known.all():
        sys.exit(
            f"{int((~known).sum())} sections have no vector of this model: "
            "run `govsearch embed` (or pass the --text-chars of the vectors the index has)"
        )
    return vectors


def figures(
    matrix: np.ndarray,
    question_vector: Callable[[str], np.ndarray | None],
    questions: list[tuple[str, str]],
    relevant: dict[str, set[str]],
    articles: list[str],
) -> str:
    totals: dict[str, list[float]] = {metric: [] for metric in METRICS}
    for qid, text in questions:
        vector = question_vector(text)
        ranked: dict[str, None] = {}
        if vector is not None:
            similarity = matrix @ vector
            for number in best_first(similarity, FIRST_SECTIONS):
                ranked.setdefault(articles[number], None)
        for metric, value in scores(list(ranked)[:100], relevant[qid]).items():
            totals[metric].append(value)
    return " / ".join(f"{statistics.mean(totals[m]):.3f}" for m in METRICS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--text-chars", type=int, default=embedding_model.TEXT_CHARS)
    parser.add_argument("--work", type=Path, default=Path(__file__).parent / ".static-vectors")
    args = parser.parse_args()
    embedding_model.TEXT_CHARS = args.text_chars
    stard = load_stard(shared_dir() / "bench" / "stard")
    collection = Collection(args.index, stard.short_names)
    vocabulary = sorted(collection.frequency)
    vectors, seconds = word_vectors(vocabulary, args.work)
    took = f"{seconds:.0f} s" if seconds else "read from " + str(args.work)
    print(f"{len(collection.words):,} sections, {len(vocabulary):,} distinct words ({took})")
    static = StaticVectors(collection, vocabulary, vectors)
    tuning, checking = split_questions(stard.questions)
    print(f"{'meaning alone, every section':<38}{'tuning half':<32}checking half")
    rankings = (
        (
            f"the model's vectors ({args.text_chars} chars)",
            model_matrix(args.index, collection),
            lambda text: np.asarray(embedding_model.question_vector(text)),
        ),
        ("static vectors (idf, mean removed)", static.matrix, static.question),
    )
    for label, matrix, question_vector in rankings:
        cells = [
            figures(
                matrix,
                question_vector,
                [(q, stard.questions[q]) for q in half],
                stard.relevant,
                collection.articles,
            )
            for half in (tuning, checking)
        ]
        print(f"{label:<38}{cells[0]:<32}{cells[1]}")


if __name__ == "__main__":
    main()
