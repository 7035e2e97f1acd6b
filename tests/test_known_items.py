"""Text pasted from a real document finds that document (the bigram fields at work)."""

from __future__ import annotations

from pathlib import Path

from bench.known_items import document_rank, sample_known_items
from search.indexer import full_build
from search.live import SearchIndex


def test_pasted_runs_find_their_document(shared_corpus: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(shared_corpus.glob("*.txt"))[::25]:
        (corpus / path.name).symlink_to(path)
    full_build(corpus, tmp_path / "ix", procs=2)
    items = sample_known_items(corpus, samples=120, seed=11)
    with SearchIndex(tmp_path / "ix") as index:
        ranks = [document_rank(index, item) for item in items]
    in_top10 = sum(r is not None and r <= 10 for r in ranks) / len(ranks)
    unique = [r for r, item in zip(ranks, items, strict=True) if item.holders == 1]
    first = sum(r == 1 for r in unique) / len(unique)
    assert in_top10 >= 0.98
    # a run found in one document only: that document comes first
    assert first >= 0.95
    assert len(unique) > 60
