"""The STARD benchmark's own bookkeeping: the synonym audit and the tuning/checking split."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.relevance import SPLIT_SEED, load_stard, split_questions, use_bm25
from bench.synonym_audit import audit
from search.index.live import SearchIndex
from search.rank import knobs
from search.text.synonyms import SYNONYMS_FILE

ROOT = Path(__file__).resolve().parent.parent


def test_the_split_depends_on_the_ids_and_the_seed_alone() -> None:
    qids = [str(n) for n in range(1, 462)]
    tuning, checking = split_questions(qids)
    assert (len(tuning), len(checking)) == (231, 230)
    assert not set(tuning) & set(checking)
    assert sorted(tuning + checking, key=int) == qids
    assert split_questions(reversed(qids)) == (tuning, checking)  # file order does not matter
    assert split_questions(qids, SPLIT_SEED + 1) != (tuning, checking)


def test_the_dev_questions_split_into_the_same_two_halves_every_time() -> None:
    stard_dir = Path(os.environ.get("GOVSEARCH_SHARED", ROOT.parent / "shared")) / "bench/stard"
    if not (stard_dir / "queries_dev.tsv").is_file():
        pytest.skip(f"STARD dev questions not found in {stard_dir}: set GOVSEARCH_SHARED")
    stard = load_stard(stard_dir)
    judged = [qid for qid in stard.questions if qid in stard.relevant]
    tuning, checking = split_questions(judged)
    assert (len(judged), len(tuning), len(checking)) == (461, 231, 230)
    assert set(tuning) | set(checking) == set(judged) and not set(tuning) & set(checking)
    # the same questions on every machine and Python version
    assert tuning[:4] == ["1354", "1330", "208", "239"]
    assert checking[:4] == ["342", "1462", "505", "1396"]


def test_the_audit_finds_the_questions_a_typed_term_occurs_in() -> None:
    lines = [
        "# Agencies: short names.",
        "科技局, 科学技术局",
        "",
        "# Everyday words.",
        "# more about them",
        "狗 => 饲养的动物",
        "饲养的动物 => 宠物",
    ]
    questions = {"7": "被邻居家的狗咬伤怎么办", "9": "县科学技术局的职责是什么？"}
    entries = audit(lines, questions)
    assert [(e.line, e.block, e.questions) for e in entries] == [
        (2, "Agencies: short names.", ("9",)),  # a group: every term is typed
        (6, "Everyday words.", ("7",)),
        (7, "Everyday words.", ()),  # only the left side of => is typed
    ]


def test_every_block_of_the_synonyms_file_names_its_source() -> None:
    lines = SYNONYMS_FILE.read_text("utf-8").splitlines()
    entries = audit(lines, {})
    blocks = dict.fromkeys(e.block for e in entries)
    assert len(entries) > 50 and all(blocks)
    for block in blocks:  # a title line, then at least one line that says where from
        title = lines.index(f"# {block}")
        assert lines[title + 1].startswith("# ") and len(lines[title + 1]) > 20


def test_bm25_parameters_reach_the_index_and_bad_ones_are_refused(
    sample_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in knobs.BM25_OPTIONS.items():
        monkeypatch.setitem(knobs.BM25_OPTIONS, name, value)  # restored afterwards
    use_bm25("0.8,0.5")
    with SearchIndex(sample_index, cache_size=0) as index, index.searcher() as searcher:
        assert (searcher.weighting.K1, searcher.weighting.B) == (0.8, 0.5)
    with pytest.raises(ValueError):
        use_bm25("0.8")
    refused = subprocess.run(
        [sys.executable, "bench/relevance.py", "--bm25", "1.2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2 and "--bm25 takes two numbers, K1,B" in refused.stderr
