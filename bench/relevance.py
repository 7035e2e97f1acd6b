"""Ranking quality on STARD: questions from the public, judged against law articles.

Runs the dev questions in $GOVSEARCH_SHARED/bench/stard against an index of the shared
corpus, maps each hit (a section) to short law name + article number through laws.tsv, and
prints MRR@10, Recall@10, Recall@100, nDCG@10 and the questions answered by nothing, then
known-item success@1/@10.

    python bench/relevance.py [--index DIR] [--naive DIR] [--limit N] [--show N]
                              [--skip-known-items] [--embed-candidates] [--split dev]
                              [--modes words,rerank,hybrid] [--text-chars N]
                              [--without-definitions] [--bm25 K1,B] [--document-vote W]

The questions are shuffled with SPLIT_SEED and cut in two: a tuning half, the only one to
look at while changing the ranking or its data, and a checking half, which says whether a
change holds on questions it was not made for. Every figure is printed for both halves and
for all.

--without-definitions adds a row for govsearch with questions not looking for the laws'
defined terms their words describe (search.text.definitions), from the same run.

--bm25 K1,B scores every govsearch row (and the pasted text) with these BM25 parameters
instead of the shipped ones (knobs.BM25_OPTIONS).

--document-vote W gives every fused candidate of a hybrid row its document's vote as well
(bench/document_vote.py), with weight W; one index only.

The naive setup runs beside govsearch on the same questions: a plain Whoosh index of the
same sections with jieba's ChineseAnalyzer (bench/index.py leaves it in bench/.naive),
queried with Whoosh's QueryParser, OR-grouped and with its default AND; its sections map to
articles through govsearch's stored sections, like govsearch's own hits.

Questions are ranked by meaning too where the index has section vectors (`govsearch embed`;
bench/embed.py measures how long the whole shared corpus takes). --modes runs several
rankings side by side in one run, switched in process: `words` (the words alone), `rerank`
(meaning re-orders the first RERANK_DEPTH by words) and `hybrid` (candidates by words and by
meaning from every section, fused); without it, the ranking the settings give
(GOVSEARCH_SEMANTIC=off: the words alone). --text-chars reads the vectors of a model that
embedded that many characters (TEXT_CHARS).
--embed-candidates embeds just the sections the questions can reach first by words (the
first 100 of each): enough for `rerank`, which looks at nothing else, not for `hybrid`,
which needs every section embedded; the share of sections without a vector is printed.

The index must hold the shared corpus: bench/index.py leaves one in bench/.index
(or `govsearch reindex --corpus $GOVSEARCH_SHARED/corpus/gov/docs --index bench/.index`).
"""

from __future__ import annotations

import argparse
import heapq
import math
import multiprocessing
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.document_vote import use_document_vote  # noqa: E402
from bench.known_items import (  # noqa: E402
    print_known_items,
    sample_known_items,
    score_known_items,
)
from bench.shared import shared_corpus, shared_dir  # noqa: E402
from search.index.embedding import embed_index  # noqa: E402
from search.index.live import SearchIndex  # noqa: E402
from search.index.sections import StoredSection  # noqa: E402
from search.query.compile import compile_query  # noqa: E402
from search.query.request import MAX_SIZE, SearchRequest  # noqa: E402
from search.rank import knobs  # noqa: E402
from search.rank.knobs import RERANK_DEPTH  # noqa: E402
from search.rank.ranking import score_all  # noqa: E402
from search.results import run_search  # noqa: E402
from search.vectors import model as embedding_model  # noqa: E402
from search.vectors.store import VectorStore  # noqa: E402

ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?")
SPLIT_SEED = 20261130  # fixed, so that the two halves are the same questions in every run
METRICS = ("MRR@10", "Recall@10", "Recall@100", "nDCG@10")
NAIVE_PARSERS = ("OR", "AND")  # Whoosh QueryParser grouping: OrGroup, and its default AndGroup
# The rankings --modes may compare, by name: how each is labelled.
MODES = {
    "words": "govsearch, words only",
    "rerank": f"govsearch, meaning re-ranks {RERANK_DEPTH}",
    "hybrid": "govsearch, hybrid",
}
SETTINGS = "settings"  # no --modes: the ranking the settings give
HYBRID_DEPTH = knobs.DENSE_DEPTH
SETTINGS_FLOOR = knobs.MEANING_FLOOR
FLOORED = "hybrid@"  # `hybrid@0.85`: hybrid with that MEANING_FLOOR


@dataclass(frozen=True)
class Stard:
    questions: dict[str, str]
    relevant: dict[str, set[str]]
    short_names: dict[str, str]  # full law title -> short name used in the judgements


def load_stard(folder: Path, split: str = "dev") -> Stard:
    if not (folder / f"queries_{split}.tsv").is_file():
        sys.exit(f"STARD {split} data not found in {folder}: set GOVSEARCH_SHARED")
    questions = dict(_rows(folder / f"queries_{split}.tsv", 2))
    relevant: defaultdict[str, set[str]] = defaultdict(set)
    for qid, _zero, article, grade in _rows(folder / f"qrels_{split}.tsv", 4):
        if int(grade) > 0:
            relevant[qid].add(article)
    short_names = dict(_rows(folder / "laws.tsv", 2)[1:])
    return Stard(questions, dict(relevant), short_names)


def _rows(path: Path, width: int) -> list[list[str]]:
    lines = path.read_text("utf-8").splitlines()
    return [line.split("\t")[:width] for line in lines if line.strip()]


def split_questions(qids: Iterable[str], seed: int = SPLIT_SEED) -> tuple[list[str], list[str]]:
    """(tuning half, checking half) of the question ids: shuffled with `seed` from their
    sorted order, so the halves depend on the ids alone, never on the file's order; the
    tuning half takes the odd one out."""
    shuffled = sorted(set(qids))
    random.Random(seed).shuffle(shuffled)
    middle = (len(shuffled) + 1) // 2
    return shuffled[:middle], shuffled[middle:]


def article_of(
    title: str, heading: str, breadcrumb: list[str], short_names: dict[str, str]
) -> str | None:
    """`民法典第五十六条` for a section of that article, None for anything else."""
    law = short_names.get(title) or short_names.get(title.split(" ")[0])
    if law is None:
        return None
    for label in (heading, *reversed(breadcrumb)):
        match = ARTICLE.match(label or "")
        if match:
            return law + match.group()
    return None


def ranked_articles(index: SearchIndex, question: str, short_names: dict[str, str]) -> list[str]:
    """Distinct articles of the first 100 sections, in rank order; a hit outside the judged
    laws takes a rank too."""
    request = SearchRequest.create(question, size=MAX_SIZE, collapse=False)
    ranked: dict[str, None] = {}
    for hit in run_search(index, request).hits:
        article = article_of(hit.title, hit.heading, hit.breadcrumb, short_names)
        ranked[article or f"other:{hit.id}"] = None
    return list(ranked)


def scores(ranked: list[str], relevant: set[str]) -> dict[str, float]:
    first = next((i for i, a in enumerate(ranked[:10], 1) if a in relevant), None)
    gains = sum(1 / math.log2(i + 1) for i, a in enumerate(ranked[:10], 1) if a in relevant)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    return {
        "MRR@10": 1 / first if first else 0.0,
        "Recall@10": len(relevant & set(ranked[:10])) / len(relevant),
        "Recall@100": len(relevant & set(ranked[:100])) / len(relevant),
        "nDCG@10": gains / ideal,
    }


_INDEXES: dict[tuple[Path, bool], SearchIndex] = {}  # one of each per worker process
_NAIVE: dict[Path, tuple[Any, dict[str, Any]]] = {}
_SECTION_ARTICLES: dict[str, str | None] = {}


def _index(index_dir: Path, definitions: bool = True) -> SearchIndex:
    if (index_dir, definitions) not in _INDEXES:
        # No result cache: the same question is asked again under another mode.
        _INDEXES[index_dir, definitions] = SearchIndex(
            index_dir, cache_size=0, definitions=definitions
        )
    return _INDEXES[index_dir, definitions]


def mode_label(mode: str) -> str:
    """How a mode's figures are labelled: MODES', or `hybrid@F`'s with its floor."""
    if mode.startswith(FLOORED):
        return f"{MODES['hybrid']}, floor {mode.removeprefix(FLOORED)}"
    return MODES.get(mode, "govsearch")


def known_mode(mode: str) -> bool:
    if mode.startswith(FLOORED):
        try:
            float(mode.removeprefix(FLOORED))
        except ValueError:
            return False
        return True
    return mode in MODES or mode == SETTINGS


def set_mode(index: SearchIndex, mode: str) -> None:
    """Rank as `mode` says (one of MODES, or `hybrid@F`: hybrid with MEANING_FLOOR F) from
    now on, in this process."""
    if mode == SETTINGS:
        return
    index.semantic = mode != "words"
    knobs.DENSE_DEPTH = 0 if mode == "rerank" else HYBRID_DEPTH
    floored = mode.startswith(FLOORED)
    knobs.MEANING_FLOOR = float(mode.removeprefix(FLOORED)) if floored else SETTINGS_FLOOR


def _answer(
    question: str,
    short_names: dict[str, str],
    index_dir: Path,
    mode: str = SETTINGS,
    definitions: bool = True,
) -> tuple[list[str], float]:
    index = _index(index_dir, definitions)
    set_mode(index, mode)
    started = time.perf_counter()
    ranked = ranked_articles(index, question, short_names)
    return ranked, (time.perf_counter() - started) * 1000


def missing_vectors(index_dir: Path) -> tuple[int, int]:
    """(live sections without a vector, live sections) of the index."""
    with SearchIndex(index_dir, cache_size=0) as index, index.searcher():
        columns = index.columns
        keys = columns.vector_keys[columns.live]
    store = VectorStore(index_dir)
    store.refresh()
    return int((~store.known(keys.tolist())).sum()) if len(keys) else 0, len(keys)


def _naive_searcher(naive_dir: Path) -> tuple[Any, dict[str, Any]]:
    from whoosh import index as whoosh_index
    from whoosh.qparser import OrGroup, QueryParser

    if naive_dir not in _NAIVE:
        ix = whoosh_index.open_dir(str(naive_dir))
        parsers = {
            "OR": QueryParser("body", ix.schema, group=OrGroup),
            "AND": QueryParser("body", ix.schema),
        }
        _NAIVE[naive_dir] = (ix.searcher(), parsers)
    return _NAIVE[naive_dir]


def _section_article(index_dir: Path, section_id: str, short_names: dict[str, str]) -> str | None:
    """The article of a section, read from govsearch's stored section of the same id."""
    if section_id not in _SECTION_ARTICLES:
        with _index(index_dir).searcher() as searcher:
            stored = searcher.document(id=section_id)
        section = StoredSection.read(stored) if stored is not None else None
        _SECTION_ARTICLES[section_id] = (
            article_of(section.title, section.heading, section.breadcrumb, short_names)
            if section is not None
            else None
        )
    return _SECTION_ARTICLES[section_id]


def _answer_naive(
    question: str, short_names: dict[str, str], index_dir: Path, naive_dir: Path
) -> dict[str, list[str]]:
    """The naive setup's articles for the question, by query parser grouping."""
    searcher, parsers = _naive_searcher(naive_dir)
    answers = {}
    for name in NAIVE_PARSERS:
        ranked: dict[str, None] = {}
        for hit in searcher.search(parsers[name].parse(question), limit=MAX_SIZE):
            article = _section_article(index_dir, hit["id"], short_names)
            ranked[article or f"other:{hit['id']}"] = None
        answers[name] = list(ranked)
    return answers


def has_naive_index(naive_dir: Path) -> bool:
    return naive_dir.is_dir() and any(naive_dir.glob("*.toc"))


def figures(
    rankings: dict[str, list[str]], relevant: dict[str, set[str]], qids: list[str]
) -> dict[str, float]:
    """The mean of each metric over `qids`, and how many of them got no answer at all."""
    result = {
        name: statistics.fmean(scores(rankings[q], relevant[q])[name] for q in qids)
        for name in METRICS
    }
    result["nothing"] = sum(not rankings[q] for q in qids)
    return result


def print_figures(
    systems: dict[str, dict[str, list[str]]],
    relevant: dict[str, set[str]],
    halves: dict[str, list[str]],
) -> None:
    header = f"{'':<38}{'half':<10}{'questions':>10}{'nothing':>9}"
    print(header + "".join(f"{name:>12}" for name in METRICS))
    for system, rankings in systems.items():
        for half, qids in halves.items():
            row = figures(rankings, relevant, qids)
            print(
                f"{system:<38}{half:<10}{len(qids):>10}{row['nothing']:>9.0f}"
                + "".join(f"{row[name]:>12.3f}" for name in METRICS)
            )
            system = ""


def embed_candidates(index_dir: Path, questions: list[str], text_chars: int) -> None:
    """Vectors for the first RERANK_DEPTH sections of each question (by words)."""
    embedding_model.TEXT_CHARS = text_chars  # a process of its own: it starts from the default
    docnums: set[int] = set()
    with SearchIndex(index_dir, cache_size=0) as index:
        for question in questions:
            compiled = compile_query(question)
            with index.searcher() as searcher:
                # the strict query ranks when it finds enough, the relaxed one otherwise
                for query in (compiled.strict, compiled.relaxed):
                    if query is not None:
                        scores = score_all(searcher, query).as_dict()
                        docnums.update(heapq.nlargest(RERANK_DEPTH, scores, key=scores.__getitem__))
    started = time.perf_counter()
    summary = embed_index(index_dir, sorted(docnums))
    print(
        f"embedded {summary.embedded} sections ({summary.already} had vectors) "
        f"in {time.perf_counter() - started:.0f} s"
    )


def use_bm25(text: str) -> None:
    """Score with BM25's k1 and b, given as `K1,B`, from now on in this process and the
    workers it forks; ValueError for anything but two numbers."""
    k1, b = (float(value) for value in text.split(","))
    # The very dict an index reads when it opens (search.index.live), updated in place.
    knobs.BM25_OPTIONS.update(K1=k1, B=b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--naive", type=Path, default=Path("bench/.naive"))
    parser.add_argument("--limit", type=int, default=0, help="first N questions only")
    parser.add_argument("--show", type=int, default=0, help="print N missed questions")
    parser.add_argument("--skip-known-items", action="store_true")
    parser.add_argument("--procs", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--embed-candidates",
        action="store_true",
        help=f"embed the first {RERANK_DEPTH} sections of each question by words: enough for "
        "rerank, not for hybrid, which needs every section embedded (govsearch embed)",
    )
    parser.add_argument("--split", default="dev", help="queries_SPLIT.tsv, qrels_SPLIT.tsv")
    parser.add_argument(
        "--modes",
        default="",
        help=f"rankings side by side, comma-separated, of: {', '.join(MODES)}, "
        f"{FLOORED}F (hybrid with the meaning floor F) "
        "(default: the one the settings give)",
    )
    parser.add_argument(
        "--text-chars",
        type=int,
        default=embedding_model.TEXT_CHARS,
        help="the vectors of the model that embedded this many characters of each section",
    )
    parser.add_argument("--without-definitions", action="store_true", help="a row without them")
    parser.add_argument("--bm25", default="", metavar="K1,B", help="BM25's k1 and b instead")
    parser.add_argument(
        "--document-vote",
        type=float,
        default=0.0,
        metavar="W",
        help="fused candidates also get their document's vote with weight W "
        "(bench/document_vote.py)",
    )
    args = parser.parse_args()
    if args.bm25:
        try:
            use_bm25(args.bm25)
        except ValueError:
            parser.error(f"--bm25 takes two numbers, K1,B: not {args.bm25!r}")
    if args.document_vote:
        use_document_vote(args.document_vote)
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()] or [SETTINGS]
    if unknown := [mode for mode in modes if not known_mode(mode)]:
        parser.error(f"unknown mode {', '.join(unknown)}: choose from {', '.join(MODES)}")
    embedding_model.TEXT_CHARS = args.text_chars  # inherited by the forked workers
    stard = load_stard(shared_dir() / "bench" / "stard", args.split)
    questions = [(qid, text) for qid, text in stard.questions.items() if qid in stard.relevant]
    tuning, checking = split_questions(qid for qid, _text in questions)
    if args.limit:
        questions = questions[: args.limit]
    if args.embed_candidates:
        # In a process of its own: the model's threads do not survive the fork of the
        # question workers below (a forked child that embeds would wait for them).
        embedder = multiprocessing.get_context("spawn").Process(
            target=embed_candidates,
            args=(args.index, [text for _qid, text in questions], args.text_chars),
        )
        embedder.start()
        embedder.join()
    asked = {qid for qid, _text in questions}
    halves = {
        "tuning": [q for q in tuning if q in asked],
        "checking": [q for q in checking if q in asked],
        "all": [qid for qid, _text in questions],
    }
    jobs = [(text, stard.short_names, args.index) for _qid, text in questions]
    with multiprocessing.get_context("fork").Pool(args.procs) as pool:
        # (in a worker: the model, loaded to read the vectors' folder, must not be forked)
        missing, sections = pool.apply(missing_vectors, (args.index,))
        answers = {
            mode: pool.starmap(_answer, [(*job, mode) for job in jobs], chunksize=4)
            for mode in modes
        }
        plain_answers = None
        if args.without_definitions:
            plain_jobs = [(*job, modes[-1], False) for job in jobs]
            plain_answers = pool.starmap(_answer, plain_jobs, chunksize=4)
        naive_answers = None
        if has_naive_index(args.naive):
            naive_jobs = [(*job, args.naive) for job in jobs]
            naive_answers = pool.starmap(_answer_naive, naive_jobs, chunksize=4)
    qids = [qid for qid, _text in questions]
    systems = {
        mode_label(mode): {q: ranked for q, (ranked, _ms) in zip(qids, mode_answers, strict=True)}
        for mode, mode_answers in answers.items()
    }
    if plain_answers is not None:
        systems[f"{mode_label(modes[-1])} without definitions"] = {
            q: ranked for q, (ranked, _ms) in zip(qids, plain_answers, strict=True)
        }
    for name in NAIVE_PARSERS if naive_answers else ():
        label = f"naive (ChineseAnalyzer), {name}"
        systems[label] = {q: a[name] for q, a in zip(qids, naive_answers or [], strict=True)}
    print(f"BM25 k1 {knobs.BM25_OPTIONS['K1']}, b {knobs.BM25_OPTIONS['B']}")
    if args.document_vote:
        print(f"fused candidates with their document's vote, weight {args.document_vote}")
    print(
        f"STARD {args.split}: {len(questions)} questions; halves by seed {SPLIT_SEED}: "
        f"{len(halves['tuning'])} tuning, {len(halves['checking'])} checking"
    )
    if naive_answers is None:
        print(f"(no naive index in {args.naive}: bench/index.py builds it)")
    if missing and any(mode.startswith("hybrid") or mode == SETTINGS for mode in modes):
        print(
            f"warning: {missing} of {sections} sections ({missing / sections:.1%}) have no "
            "vector: hybrid finds by meaning only among the others (govsearch embed)"
        )
    print_figures(systems, stard.relevant, halves)
    for mode, mode_answers in answers.items():
        latencies = [took_ms for _ranked, took_ms in mode_answers]
        print(
            f"{mode_label(mode)}: latency p50 {statistics.median(latencies):.0f} ms (100 sections)"
        )
    if plain_answers is not None:
        plain = statistics.median(took_ms for _ranked, took_ms in plain_answers)
        print(f"without definitions: latency p50 {plain:.0f} ms")
    shown = 0
    last = systems[mode_label(modes[-1])]
    for qid, text in questions:
        ranked = last[qid]
        if shown < args.show and scores(ranked, stard.relevant[qid])["MRR@10"] == 0:
            print(f"  miss: {text}\n        wanted {sorted(stard.relevant[qid])}")
            print(f"        got    {ranked[:3]}")
            shown += 1
    if not args.skip_known_items:
        with SearchIndex(args.index) as index:
            sample = sample_known_items(shared_corpus(), 300, 7)
            print_known_items(score_known_items(index, sample.items), sample, 7)


if __name__ == "__main__":
    main()
