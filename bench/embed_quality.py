"""What a shorter embedded opening costs in meaning: a cheap proxy, not the ranking itself.

    python bench/embed_quality.py [--questions 50] [--chars 256 --chars 128 --chars 64]
                                  [--sample 512] [--seed 7] [--same-law 1500]

Takes the first questions of STARD's tuning half (the checking half stays unseen) and a pool
of sections: every section of an article judged for them, the sample bench/embed.py times
(same size and seed), and a seeded draw of other sections of the judged laws, the neighbours
that are hardest to tell apart. For each opening length it embeds the pool as `govsearch
embed` would with that length, ranks the pool for each question by meaning alone, and prints
MRR@10 and Recall@10 of the judged articles, and the cosine of each sampled section's vector
with its vector at the first length (mean and 5th percentile). The pool is small and the
ranking is meaning alone, so this only says whether a length loses much; bench/relevance.py
on the checking half decides.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.embed import full_section_text  # noqa: E402
from bench.relevance import Stard, article_of, load_stard, scores, split_questions  # noqa: E402
from bench.shared import shared_corpus, shared_dir  # noqa: E402
from search.index.embedding import BATCH  # noqa: E402
from search.index.sections import section_fields  # noqa: E402
from search.ingest.read import find_documents, read_document  # noqa: E402
from search.vectors.model import TEXT_CHARS, embed_texts, question_vector  # noqa: E402


@dataclass(frozen=True)
class PoolSection:
    text: str  # title, heading and body, uncut
    law: str | None  # the judged law's short name
    article: str | None  # `民法典第五十六条`, None outside the judged laws


def corpus_sections(docs_dir: Path, short_names: dict[str, str]) -> list[PoolSection]:
    sections = []
    for path in find_documents(docs_dir):
        report = read_document(path, docs_dir)
        law = short_names.get(report.title) or short_names.get(report.title.split(" ")[0])
        for section in report.sections:
            fields = section_fields(report, section)
            article = article_of(report.title, section.heading, section.breadcrumb, short_names)
            sections.append(PoolSection(full_section_text(fields), law, article))
    return sections


def pick_pool(
    sections: list[PoolSection], wanted: set[str], sample: int, same_law: int, seed: int
) -> tuple[list[PoolSection], int]:
    """(the pool, how many of its first sections are the timed sample)."""
    # The same draw as bench/embed.py's seeded_sample, so the same sections.
    timed = random.Random(seed).sample(range(len(sections)), min(sample, len(sections)))
    laws = {s.law for s in sections if s.article in wanted}
    judged = [i for i, s in enumerate(sections) if s.article in wanted]
    neighbours = [i for i, s in enumerate(sections) if s.law in laws and s.article not in wanted]
    drawn = random.Random(seed).sample(neighbours, min(same_law, len(neighbours)))
    chosen = list(dict.fromkeys([*timed, *judged, *drawn]))
    return [sections[i] for i in chosen], len(timed)


def ranked_articles(pool: list[PoolSection], vectors: np.ndarray, question: str) -> list[str]:
    """Distinct articles of the pool nearest the question first; any other section takes a
    rank too."""
    order = np.argsort(-(vectors @ question_vector(question)), kind="stable")
    ranked: dict[str, None] = {}
    for i in order[:100]:
        ranked[pool[i].article or f"other:{i}"] = None
    return list(ranked)


def embed_pool(pool: list[PoolSection], chars: int) -> np.ndarray:
    texts = [s.text[:chars] for s in pool]
    return np.concatenate([embed_texts(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])


def first_tuning_questions(stard: Stard, count: int) -> list[str]:
    tuning, _checking = split_questions(stard.questions)
    return [q for q in tuning if stard.relevant.get(q)][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--chars", type=int, action="append", help=f"default {TEXT_CHARS} 128 64")
    parser.add_argument("--sample", type=int, default=512)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--same-law", type=int, default=1500)
    args = parser.parse_args()
    lengths = args.chars or [TEXT_CHARS, 128, 64]
    stard = load_stard(shared_dir() / "bench" / "stard")
    qids = first_tuning_questions(stard, args.questions)
    wanted = set().union(*(stard.relevant[q] for q in qids))
    sections = corpus_sections(shared_corpus(), stard.short_names)
    pool, timed = pick_pool(sections, wanted, args.sample, args.same_law, args.seed)
    print(
        f"{len(qids)} tuning questions, {len(wanted)} judged articles; pool of {len(pool)} "
        f"sections ({timed} timed sample, {sum(s.article in wanted for s in pool)} judged)"
    )
    reference = None
    for chars in lengths:
        vectors = embed_pool(pool, chars)
        reference = vectors if reference is None else reference
        cosines = np.sum(vectors[:timed] * reference[:timed], axis=1)
        figures = [
            scores(ranked_articles(pool, vectors, stard.questions[q]), stard.relevant[q])
            for q in qids
        ]
        print(
            f"{chars} characters: MRR@10 {statistics.fmean(f['MRR@10'] for f in figures):.3f}, "
            f"Recall@10 {statistics.fmean(f['Recall@10'] for f in figures):.3f}; cosine with "
            f"{lengths[0]} characters over the sample: mean {cosines.mean():.4f}, "
            f"p5 {np.percentile(cosines, 5):.4f}"
        )


if __name__ == "__main__":
    main()
