"""Kinds of the documents of a corpus: how many of each, and a sample of titles per kind.

    python bench/kinds.py [CORPUS] [--sample N] [--levels]

CORPUS defaults to the shared corpus (`bench.shared.corpus_dir`). With `--levels`, also a
table of the kinds against the level the shared corpus's manifest gives each file (its
source's own classification), to see where the rules disagree.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.shared import shared_corpus  # noqa: E402
from search.ingest.kinds import KINDS  # noqa: E402
from search.ingest.read import find_documents, read_document  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path)
    parser.add_argument("--sample", type=int, default=8, help="titles shown per kind")
    parser.add_argument("--levels", action="store_true", help="kinds against manifest levels")
    args = parser.parse_args()
    root = args.corpus or shared_corpus()
    titles: dict[str, list[str]] = defaultdict(list)
    kind_of: dict[str, str] = {}
    for path in find_documents(root):
        document = read_document(path, root)
        titles[document.kind].append(document.title)
        kind_of[path.name] = document.kind
    total = sum(len(t) for t in titles.values())
    print(f"{total} documents in {root}")
    rng = random.Random(18)
    for kind in KINDS:
        found = titles.get(kind, [])
        print(f"\n{kind}\t{len(found)}\t{len(found) / max(total, 1):.1%}")
        for title in rng.sample(found, min(args.sample, len(found))):
            print(f"    {title}")
    if args.levels:
        print_levels(root.parent / "manifest.jsonl", kind_of)


def print_levels(manifest: Path, kind_of: dict[str, str]) -> None:
    pairs: Counter[tuple[str, str]] = Counter()
    for line in manifest.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["file"] in kind_of:
            pairs[row["level"], kind_of[row["file"]]] += 1
    print("\nlevel\tkind\tdocuments")
    for (level, kind), count in sorted(pairs.items(), key=lambda item: (item[0][0], -item[1])):
        print(f"{level}\t{kind}\t{count}")


if __name__ == "__main__":
    main()
