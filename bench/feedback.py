"""Whether a question's words could be widened toward the law's: three general ways, measured
side by side with the shipped ranking on both STARD halves in one run.

    python bench/feedback.py --index DIR [--text-chars 128] [--work bench/.static-vectors]

- vector feedback: the question's vector moved toward the mean of its FEEDBACK_SECTIONS
  nearest sections (Rocchio, weight VECTOR_WEIGHT) before the sections nearest in meaning are
  chosen (hybrid only: the words alone have no vector to move);
- word feedback: the question searched once, and the words most telling of its first
  WORD_SECTIONS sections (share of each section's words times idf, summed) added to the
  relaxed query at EXPANSION_WEIGHT, then searched again;
- term neighbours: the collection's words nearest the question in the model's space (each
  word embedded on its own, those in more than 1% of sections left out) added the same way.
  The words' vectors are kept in --work, shared with bench/static_vectors.py.

Added words only reach a relaxed search, as the definitions' terms do: a question whose words
all match ranks by them. Each way is switched on in process, per question, as relevance.py
switches its modes. The index needs every section embedded (`govsearch embed`).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
from whoosh import query as q

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import relevance  # noqa: E402
from bench.shared import shared_dir  # noqa: E402
from bench.static_vectors import Collection, word_vectors  # noqa: E402
from search import shard  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query import compile as compiling  # noqa: E402
from search.query.language import Clause  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.rank import semantic  # noqa: E402
from search.rank.ranking import best_first  # noqa: E402
from search.results import run_search  # noqa: E402
from search.vectors import model as embedding_model  # noqa: E402
from search.vectors.model import question_vector  # noqa: E402
from search.vectors.store import VectorStore  # noqa: E402

# Each way's settings, chosen on the tuning half (the others tried: CHANGELOG).
FEEDBACK_SECTIONS = 5
VECTOR_WEIGHT = 0.5
WORD_SECTIONS = 10
EXPANSION_TERMS = {"word feedback": 10, "term neighbours": 5}
EXPANSION_WEIGHT = {"word feedback": 0.2, "term neighbours": 0.4}
COMMON_SHARE = 0.01  # a neighbour found in more sections than this share says little
MIN_SECTIONS = 3  # a word in fewer sections is too rare to have a vector worth keeping

SYSTEMS = {  # label: (mode, way)
    "words only": ("words", ""),
    "words, word feedback": ("words", "word feedback"),
    "words, term neighbours": ("words", "term neighbours"),
    "hybrid (shipped)": ("hybrid", ""),
    "hybrid, vector feedback": ("hybrid", "vector feedback"),
    "hybrid, word feedback": ("hybrid", "word feedback"),
    "hybrid, term neighbours": ("hybrid", "term neighbours"),
}

_EXPANSION: list[tuple[str, float]] = []  # the question's added words and their weight
_VECTOR_FEEDBACK = [False]  # whether the question answered now moves toward its nearest
_TERMS: dict[str, np.ndarray] = {}  # the neighbours' vocabulary, vectors and frequencies


Relaxed = Callable[..., q.Query | None]  # compile._relaxed's signature, as below


def _relaxed_with(shipped: Relaxed) -> Relaxed:
    """search.query.compile._relaxed, with the question's added words (none where the
    question excludes words: they would bring back what it excludes)."""

    def relaxed(
        strict: q.Query,
        clause_queries: dict[Clause, q.Query],
        excluded: list[q.Query],
        defined: Sequence[str] = (),
    ) -> q.Query | None:
        found = shipped(strict, clause_queries, excluded, defined)
        if found is None or not _EXPANSION or excluded:
            return found
        added = [compiling.text_query(word, weight=weight) for word, weight in _EXPANSION]
        return compiling.normalized(q.Or([found, q.Or(added)]))

    return relaxed


def _meaning_with_feedback(
    question: str,
    vector_keys: np.ndarray,
    live: np.ndarray,
    store: VectorStore,
    meanwhile: Callable[[], object] | None = None,
) -> np.ndarray | None:
    """search.rank.semantic.meaning_by_section, the question moved toward its nearest
    sections when vector feedback is on."""
    shipped = semantic.meaning_by_section(question, vector_keys, live, store, meanwhile)
    if shipped is None or not _VECTOR_FEEDBACK[0]:
        return shipped
    rows = store.dense(vector_keys, live)
    similarity = np.empty(len(rows.codes) + 1, dtype=np.float32)  # as the shipped one
    by_row = similarity[:-1]
    semantic._product(rows, question_vector(question), by_row)
    nearest = best_first(by_row, FEEDBACK_SECTIONS)
    centroid = (rows.codes[nearest].astype(np.float32) * rows.scales[nearest, None]).mean(axis=0)
    moved = question_vector(question) + VECTOR_WEIGHT * centroid
    semantic._product(rows, (moved / np.linalg.norm(moved)).astype(np.float32), by_row)
    similarity[-1] = -np.inf  # the row of sections without a vector (-1)
    return similarity[rows.row_of]


def word_feedback(index: SearchIndex, question: str) -> list[str]:
    """The words most telling of the question's first sections, not the question's own."""
    request = SearchRequest.create(question, size=WORD_SECTIONS, collapse=False)
    hits = run_search(index, request).hits
    asked = set(compiling.content_words(question))
    weights: dict[str, float] = {}
    with index.searcher() as searcher:
        sections = searcher.doc_count()
        for hit in hits:
            stored = searcher.document(id=hit.id) or {}
            words = compiling.content_words(f"{stored.get('title', '')} {stored.get('body', '')}")
            for word, count in Counter(words).items():
                found_in = searcher.doc_frequency("body", word)
                if word not in asked and len(word) > 1 and found_in:
                    telling = count / len(words) * math.log(sections / found_in)
                    weights[word] = weights.get(word, 0.0) + telling
    best = sorted(weights, key=lambda word: -weights[word])
    return best[: EXPANSION_TERMS["word feedback"]]


def term_neighbours(question: str) -> list[str]:
    """The collection's words nearest the question in meaning, not in the question."""
    similarity = _TERMS["vectors"] @ question_vector(question)
    wanted = EXPANSION_TERMS["term neighbours"]
    vocabulary = _TERMS["vocabulary"]
    usable = np.flatnonzero(_TERMS["usable"])
    nearest = usable[best_first(similarity[usable], wanted * 4)]
    return [word for word in vocabulary[nearest] if word not in question][:wanted]


def _answer(question: str, system: str, index_dir: Path, short_names: dict[str, str]) -> list[str]:
    mode, way = SYSTEMS[system]
    index = relevance._index(index_dir)
    relevance.set_mode(index, mode)
    _EXPANSION.clear()
    _VECTOR_FEEDBACK[0] = way == "vector feedback"
    added: Sequence[str] = ()
    if way == "word feedback":
        added = word_feedback(index, question)
    elif way == "term neighbours":
        added = term_neighbours(question)
    _EXPANSION.extend((word, EXPANSION_WEIGHT[way]) for word in added)
    try:
        return relevance.ranked_articles(index, question, short_names)
    finally:
        _EXPANSION.clear()
        _VECTOR_FEEDBACK[0] = False


def load_terms(index_dir: Path, short_names: dict[str, str], work: Path) -> None:
    """The collection's words in MIN_SECTIONS sections or more, normalised, and which are
    rare enough to add; embedded once, in a process of its own (the model's threads do not
    survive the fork of the question workers), and kept in `work`."""
    collection = Collection(index_dir, short_names)
    vocabulary = sorted(
        w for w, n in collection.frequency.items() if n >= MIN_SECTIONS and len(w) > 1
    )
    embedder = multiprocessing.get_context("spawn").Process(
        target=_embed_words, args=(vocabulary, work)
    )
    embedder.start()
    embedder.join()
    vectors, _seconds = word_vectors(vocabulary, work)  # read back, the model not loaded
    frequency = np.array([collection.frequency[w] for w in vocabulary])
    _TERMS["vocabulary"] = np.array(vocabulary, dtype=object)
    _TERMS["vectors"] = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(
        np.float32
    )
    _TERMS["usable"] = frequency <= COMMON_SHARE * len(collection.words)


def _embed_words(vocabulary: list[str], work: Path) -> None:
    _vectors, seconds = word_vectors(vocabulary, work)
    if seconds:
        print(f"embedded {len(vocabulary)} words in {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--work", type=Path, default=Path("bench/.static-vectors"))
    parser.add_argument("--procs", type=int, default=2, help="worker processes")
    parser.add_argument("--text-chars", type=int, default=embedding_model.TEXT_CHARS)
    args = parser.parse_args()
    embedding_model.TEXT_CHARS = args.text_chars  # inherited by the forked workers
    stard = relevance.load_stard(shared_dir() / "bench" / "stard")
    questions = [(qid, text) for qid, text in stard.questions.items() if qid in stard.relevant]
    tuning, checking = relevance.split_questions(qid for qid, _text in questions)
    load_terms(args.index, stard.short_names, args.work)
    # Both are looked up by name when a search runs: a renamed one must not go unnoticed.
    assert callable(compiling._relaxed) and callable(shard.meaning_by_section)
    compiling._relaxed = _relaxed_with(compiling._relaxed)
    shard.meaning_by_section = _meaning_with_feedback
    answer = partial(_answer, index_dir=args.index, short_names=stard.short_names)
    systems = rank_by_every_system(args.index, args.procs, answer, questions, list(SYSTEMS))
    print(f"STARD dev: {len(questions)} questions; {len(tuning)} tuning, {len(checking)} checking")
    halves = {"tuning": tuning, "checking": checking, "all": [qid for qid, _ in questions]}
    relevance.print_figures(systems, stard.relevant, halves)
    shipped = {mode: label for label, (mode, way) in SYSTEMS.items() if not way}
    references = {label: shipped[mode] for label, (mode, way) in SYSTEMS.items() if way}
    print_changed(systems, stard.relevant, halves, references)


def rank_by_every_system(
    index_dir: Path,
    procs: int,
    answer: Callable[[str, str], list[str]],
    questions: list[tuple[str, str]],
    labels: list[str],
) -> dict[str, dict[str, list[str]]]:
    """Each system's ranking (`answer(text, label)`) of each question, by label and question
    id, on `procs` forked workers; stops when a section of the index has no vector."""
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        # (in a worker: the model, loaded to read the vectors' folder, must not be forked)
        missing, sections = pool.apply(relevance.missing_vectors, (index_dir,))
        if missing:
            sys.exit(f"{missing} of {sections} sections have no vector: run govsearch embed")
        return {
            label: dict(
                zip(
                    [qid for qid, _text in questions],
                    pool.starmap(answer, [(text, label) for _qid, text in questions], 4),
                    strict=True,
                )
            )
            for label in labels
        }


def print_changed(
    systems: dict[str, dict[str, list[str]]],
    relevant: dict[str, set[str]],
    halves: dict[str, list[str]],
    references: dict[str, str],
) -> None:
    """How many questions each system of `references` ranks better and worse (MRR@10) than
    the system it names (the shipped ranking it changes): a change of a few questions is
    within what a half's 230 can say."""
    print("\nquestions ranked better / worse by MRR@10 than the ranking each changes")
    for label, reference in references.items():
        counts = []
        for half in ("tuning", "checking"):
            changes = [
                relevance.scores(systems[label][qid], relevant[qid])["MRR@10"]
                - relevance.scores(systems[reference][qid], relevant[qid])["MRR@10"]
                for qid in halves[half]
            ]
            better, worse = sum(c > 0 for c in changes), sum(c < 0 for c in changes)
            counts.append(f"{half} {better} / {worse}")
        print(f"  {label:<36}{'   '.join(counts)}")


if __name__ == "__main__":
    main()
