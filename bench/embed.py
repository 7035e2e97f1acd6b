"""Embedding speed: sections a second through the path `govsearch embed` takes.

    python bench/embed.py [--sample 512] [--seed 7] [--rounds 3]

Reads every section of the shared corpus with the project's own ingest code, makes each
one's text as the index stores it and `govsearch embed` embeds it (title, heading, body:
the first TEXT_CHARS characters), draws a fixed sample with a seeded generator, and embeds the
sample in `govsearch embed`'s batches through `search.vectors.model.embed_texts`, once per
round. Prints sections a second (the median round) and what that implies for every
distinct section text of the shared corpus, which is what `govsearch embed` computes on a
fresh index. The model is loaded, and run once, before the clock starts.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.shared import shared_corpus  # noqa: E402
from search.index.embedding import BATCH  # noqa: E402
from search.index.sections import section_fields  # noqa: E402
from search.ingest.read import find_documents, read_document  # noqa: E402
from search.vectors.model import (  # noqa: E402
    embed_texts,  # noqa: E402
    section_text,
    text_key,
)


def corpus_section_texts(docs_dir: Path) -> list[str]:
    """What `govsearch embed` embeds for each section of the corpus, in index order."""
    texts: list[str] = []
    for path in find_documents(docs_dir):
        report = read_document(path, docs_dir)
        texts.extend(section_text(section_fields(report, s)) for s in report.sections)
    return texts


def seeded_sample(texts: list[str], size: int, seed: int) -> list[str]:
    """`size` of `texts` drawn without replacement; the same seed draws the same ones."""
    rng = random.Random(seed)
    return [texts[i] for i in rng.sample(range(len(texts)), min(size, len(texts)))]


def embed_seconds(texts: list[str]) -> float:
    """Time to embed `texts` in batches of BATCH, as `govsearch embed` does."""
    started = time.perf_counter()
    for start in range(0, len(texts), BATCH):
        embed_texts(texts[start : start + BATCH])
    return time.perf_counter() - started


def duration(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=512, help="sections embedded per round")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = corpus_section_texts(shared_corpus())
    distinct = len({text_key(t) for t in texts})
    sample = seeded_sample(texts, args.sample, args.seed)
    embed_texts(sample[:BATCH])  # loads the model
    load_before = os.getloadavg()[0]
    rounds = [embed_seconds(sample) for _ in range(args.rounds)]
    rate = len(sample) / statistics.median(rounds)
    threads = os.environ.get("OMP_NUM_THREADS", f"default: {os.cpu_count()} cores")
    print(
        f"shared corpus: {len(texts)} sections, {distinct} distinct texts to embed; "
        f"sample of {len(sample)} (seed {args.seed}), mean {statistics.fmean(map(len, sample)):.0f}"
        f" characters"
    )
    print(
        f"rounds: {', '.join(f'{s:.1f}' for s in rounds)} s; OpenMP threads {threads}; "
        f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        f"embedding speed (median of {args.rounds}): {rate:.1f} sections/s, "
        f"{1000 / rate:.0f} ms a section"
    )
    print(f"the whole shared corpus ({distinct} texts): {duration(distinct / rate)}")


if __name__ == "__main__":
    main()
