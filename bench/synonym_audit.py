"""Which synonym entries a benchmark question could have prompted.

    python bench/synonym_audit.py [--file search/data/synonyms.txt] [--split dev]

Prints every entry of the synonyms file with the number of STARD questions
($GOVSEARCH_SHARED/bench/stard/queries_SPLIT.tsv) in which a term it is typed as occurs
(every term of a group, the left side of `=>`), then the counts per block of the file and
in all. An entry whose typed term is in the questions changes their ranking, so the
questions cannot be what justifies it; the file names, per block, the general source its
entries come from instead.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.shared import shared_dir  # noqa: E402
from search.text.normalize import normalize  # noqa: E402
from search.text.synonyms import SYNONYMS_FILE, parse_entry  # noqa: E402


@dataclass(frozen=True)
class AuditedEntry:
    line: int
    block: str
    text: str
    questions: tuple[str, ...]  # ids of the questions a typed term occurs in


def audit(lines: list[str], questions: dict[str, str]) -> list[AuditedEntry]:
    """Each entry of a synonyms file, with the questions its typed terms occur in. A block
    is headed by the first line of a run of comment lines."""
    normalised = {qid: normalize(text) for qid, text in questions.items()}
    entries, block, in_comment = [], "", False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("#"):
            if not in_comment:
                block = stripped.lstrip("# ")
            in_comment = True
            continue
        in_comment = False
        entry = parse_entry(line)
        if entry is None:
            continue
        typed = entry[0]
        found = tuple(q for q, text in normalised.items() if any(t in text for t in typed))
        entries.append(AuditedEntry(number, block, stripped, found))
    return entries


def read_questions(split: str) -> dict[str, str]:
    path = shared_dir() / "bench" / "stard" / f"queries_{split}.tsv"
    if not path.is_file():
        sys.exit(f"STARD questions not found at {path}: set GOVSEARCH_SHARED")
    rows = (line.split("\t") for line in path.read_text("utf-8").splitlines() if line.strip())
    return {row[0]: row[1] for row in rows}


def _examples(entry: AuditedEntry) -> str:
    if not entry.questions:
        return ""
    more = " …" if len(entry.questions) > 5 else ""
    return f"  (question {', '.join(entry.questions[:5])}{more})"


def print_audit(entries: list[AuditedEntry], split: str, questions: int) -> None:
    print(f"{'line':>4}  {split + ' questions':>13}  entry")
    for entry in entries:
        print(f"{entry.line:>4}  {len(entry.questions):>13}  {entry.text}{_examples(entry)}")
    print(f"\nper block: entries, of which typed in a {split} question")
    blocks = dict.fromkeys(e.block for e in entries)
    for block in blocks:
        inside = [e for e in entries if e.block == block]
        print(f"  {len(inside):>4} {sum(bool(e.questions) for e in inside):>4}  {block}")
    hits = sum(bool(e.questions) for e in entries)
    prompted = len({q for e in entries for q in e.questions})
    print(
        f"all: {len(entries)} entries, {hits} typed in a {split} question "
        f"({prompted} of the {questions} questions contain one)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=SYNONYMS_FILE)
    parser.add_argument("--split", default="dev", help="queries_SPLIT.tsv")
    args = parser.parse_args()
    questions = read_questions(args.split)
    entries = audit(args.file.read_text("utf-8").splitlines(), questions)
    print_audit(entries, args.split, len(questions))


if __name__ == "__main__":
    main()
