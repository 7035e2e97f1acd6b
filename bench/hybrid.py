"""Question latency with candidates by meaning from every section, against re-ranking the
first sections by words, in one run; and what the product costs at a larger size.

    python bench/hybrid.py [--index DIR] [--questions N] [--text-chars N]
                           [--rows 1500000] [--dimension 384] [--repeat N]

Asks the first N STARD dev questions through `run_search` (the portal's page: 10 hits, one
per document) in this process, each under every mode in turn (`rerank`: meaning re-orders
the first RERANK_DEPTH by words; `hybrid`: the DENSE_DEPTH nearest in meaning from every
section join them), and prints p50/p95 of embedding the question (once per question), of
each mode's search with the question embedded, and of both together; then, side by side
(`search.shard.OVERLAP_WORDS`; in turns, each first every other question), of the hybrid
question asked whole and asked again once embedded, with its words found first (before the
question is embedded and multiplied by every section) and while it is multiplied; and how
long the
generation's matrix of vectors takes to make (once per worker and generation). The index
needs a vector for every section (`govsearch embed`); the share without one is printed.
Then multiplies a question by --rows random unit rows of --dimension, in 8 bits as a search
does, and takes the DENSE_DEPTH best, to tell whether the product stays within a question's
budget at that size, beside numpy's float32 product of the same rows (in turns).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.relevance import load_stard, missing_vectors, set_mode  # noqa: E402
from bench.shared import shared_dir  # noqa: E402
from search import shard  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.rank import knobs, semantic  # noqa: E402
from search.rank.semantic import nearest  # noqa: E402
from search.results import run_search  # noqa: E402
from search.vectors import model as embedding_model  # noqa: E402
from search.vectors.store import DenseRows, quantized  # noqa: E402

MODES = ("rerank", "hybrid")
BUDGET_MS = 100.0  # a question's p95 on the shared corpus


def percentiles(timings: list[float]) -> str:
    cuts = statistics.quantiles(timings, n=20, method="inclusive")
    return f"p50 {statistics.median(timings):6.1f} ms   p95 {cuts[18]:6.1f} ms"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def question_latency(index_dir: Path, questions: list[str]) -> None:
    missing, sections = missing_vectors(index_dir)
    print(f"{sections} sections, {missing} ({missing / max(sections, 1):.1%}) without a vector")
    if missing:
        print("warning: hybrid needs every section embedded (govsearch embed)")
    embedding: list[float] = []
    searching: dict[str, list[float]] = {mode: [] for mode in MODES}
    # by whether the words are found while the question is multiplied
    whole_question: dict[bool, list[float]] = {False: [], True: []}
    embedded_question: dict[bool, list[float]] = {False: [], True: []}
    with SearchIndex(index_dir, cache_size=0, semantic=True) as index:
        run_search(index, SearchRequest.create("营商环境"))  # columns and versions read
        started = time.perf_counter()
        embedding_model.question_vector(questions[0])
        loaded = _ms(started)
        started = time.perf_counter()
        with index.searcher():
            rows = index.vectors.dense(index.columns.vector_keys, index.columns.live)
        print(
            f"model loaded and first question embedded: {loaded:.0f} ms; the generation's "
            f"matrix made: {_ms(started):.0f} ms ({len(rows.codes)} rows, "
            f"{(rows.codes.nbytes + rows.scales.nbytes) / 2**20:.0f} MiB in 8 bits, "
            "shared by the workers)"
        )
        for question in questions:
            embedding_model.QUESTION_VECTORS.clear()
            started = time.perf_counter()
            embedding_model.question_vector(question)
            embedding.append(_ms(started))
            for mode in MODES:  # interleaved: both meet the same load on the machine
                set_mode(index, mode)
                started = time.perf_counter()
                run_search(index, SearchRequest.create(question))
                searching[mode].append(_ms(started))
            set_mode(index, "hybrid")
            turns = (False, True) if len(embedding) % 2 else (True, False)
            overlapping = shard.OVERLAP_WORDS
            for overlap in turns:
                shard.OVERLAP_WORDS = overlap
                embedding_model.QUESTION_VECTORS.clear()
                started = time.perf_counter()
                run_search(index, SearchRequest.create(question))
                whole_question[overlap].append(_ms(started))
                started = time.perf_counter()  # again, the question now embedded
                run_search(index, SearchRequest.create(question))
                embedded_question[overlap].append(_ms(started))
            shard.OVERLAP_WORDS = overlapping
    print(f"{len(questions)} questions; the portal's page: 10 hits, one per document")
    print(f"  {'embedding the question':<40}{percentiles(embedding)}")
    for mode in MODES:
        print(f"  {'search, question embedded: ' + mode:<40}{percentiles(searching[mode])}")
    for mode in MODES:
        whole = [e + s for e, s in zip(embedding, searching[mode], strict=True)]
        print(f"  {'question end to end: ' + mode:<40}{percentiles(whole)}")
    print("hybrid, words found first, or beside the product:")
    for label, timings in (
        ("search, question embedded", embedded_question),
        ("asked whole", whole_question),
    ):
        for overlap, when in ((False, "words first"), (True, "beside the product")):
            print(f"  {label + ': ' + when:<40}{percentiles(timings[overlap])}")


def product_cost(rows: int, dimension: int, repeat: int) -> None:
    generator = np.random.default_rng(7)
    started = time.perf_counter()
    matrix = generator.standard_normal((rows, dimension), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    codes, scales = quantized(matrix)
    dense = DenseRows(codes, scales, np.arange(rows, dtype=np.int32))
    made = time.perf_counter() - started
    print(
        f"{rows} random rows × {dimension}: {codes.nbytes / 2**30:.2f} GiB in 8 bits, "
        f"{matrix.nbytes / 2**30:.2f} GiB in float32 (made in {made:.0f} s)"
    )
    product, float_product, best = [], [], []
    out = np.empty(rows, dtype=np.float32)
    with threadpool_limits(1, user_api="blas"):  # as a search multiplies
        for _ in range(repeat):  # the two products in turns
            question = generator.standard_normal(dimension, dtype=np.float32)
            started = time.perf_counter()
            np.matmul(matrix, question, out=out)
            float_product.append(_ms(started))
            started = time.perf_counter()
            semantic._product(dense, question, out)
            between = time.perf_counter()
            nearest(out, None, knobs.DENSE_DEPTH)
            ended = time.perf_counter()
            product.append((between - started) * 1000)
            best.append((ended - between) * 1000)
    total = [p + b for p, b in zip(product, best, strict=True)]
    print(f"  {'float32 product, numpy':<34}{percentiles(float_product)}")
    print(f"  {'8-bit product, as a search does':<34}{percentiles(product)}")
    print(f"  {f'best {knobs.DENSE_DEPTH}':<34}{percentiles(best)}")
    verdict = "within" if statistics.quantiles(total, n=20)[18] <= BUDGET_MS else "over"
    print(f"  {'together':<34}{percentiles(total)}   ({verdict} {BUDGET_MS:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--questions", type=int, default=200, help="first N dev questions; 0: none")
    parser.add_argument(
        "--text-chars",
        type=int,
        default=embedding_model.TEXT_CHARS,
        help="the vectors of the model that embedded this many characters of each section",
    )
    parser.add_argument("--rows", type=int, default=1_500_000, help="0: no synthetic product")
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--repeat", type=int, default=50, help="synthetic products timed")
    args = parser.parse_args()
    embedding_model.TEXT_CHARS = args.text_chars
    stard = load_stard(shared_dir() / "bench" / "stard")
    questions = [text for qid, text in stard.questions.items() if qid in stard.relevant]
    if args.questions:
        question_latency(args.index, questions[: args.questions])
    if args.rows:
        product_cost(args.rows, args.dimension, args.repeat)


if __name__ == "__main__":
    main()
