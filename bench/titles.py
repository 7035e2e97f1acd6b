"""Titles typed whole: a document's full title, searched as typed, finds that document first.

People copy a title from a notice or a citation (中华人民共和国食品安全法, 阳城县科技局关于…的
通知) to find the document itself, not what cites it. For every distinct title of the index
(a title with a space names a part of a code and is left out), the title is searched; a
search succeeds when its first hit (one per document) has that title: the document or a
version of it. National laws and regulations (titles beginning with 中华人民共和国) are
also searched without the prefix, as they are cited.

    python bench/titles.py [--index DIR] [--show N]

The index must hold the shared corpus (`govsearch reindex --corpus
$GOVSEARCH_SHARED/corpus/gov/docs --index DIR`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search.index.live import SearchIndex  # noqa: E402
from search.query.request import SearchRequest  # noqa: E402
from search.results import run_search  # noqa: E402
from search.text.titles import STATE_TITLE_PREFIX  # noqa: E402


def titles_of(index: SearchIndex) -> list[str]:
    """Every distinct title of the index's live sections without a space in it, sorted."""
    with index.searcher() as searcher:
        titles = {fields.get("title", "") for fields in searcher.all_stored_fields()}
    return sorted(title for title in titles if title and " " not in title)


def first_title(index: SearchIndex, text: str) -> str | None:
    """The title of the first hit of `text` (None: nothing found)."""
    hits = run_search(index, SearchRequest.create(text, size=1)).hits
    return hits[0].title if hits else None


def searches(titles: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(typed, title) pairs by group: national titles typed whole and without the prefix,
    and the other titles typed whole."""
    state = [title for title in titles if title.startswith(STATE_TITLE_PREFIX)]
    return {
        "中华人民共和国… typed whole": [(title, title) for title in state],
        "the same without 中华人民共和国": [
            (title.removeprefix(STATE_TITLE_PREFIX), title) for title in state
        ],
        "other titles typed whole": [
            (title, title) for title in titles if not title.startswith(STATE_TITLE_PREFIX)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("bench/.index"))
    parser.add_argument("--show", type=int, default=0, help="print N misses of each group")
    args = parser.parse_args()
    with SearchIndex(args.index, cache_size=0) as index:
        groups = searches(titles_of(index))
        print(f"{'searches':>9}{'first':>7}{'share':>8}  titles searched")
        for label, pairs in groups.items():
            misses = []
            for typed, title in pairs:
                found = first_title(index, typed)
                if found != title:
                    misses.append((typed, found))
            first = len(pairs) - len(misses)
            print(f"{len(pairs):>9}{first:>7}{first / max(len(pairs), 1):>8.1%}  {label}")
            for typed, found in misses[: args.show]:
                print(f"    {typed} -> {found}")


if __name__ == "__main__":
    main()
