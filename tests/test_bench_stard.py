"""The STARD benchmark's own bookkeeping: the synonym audit and the tuning/checking split."""

from __future__ import annotations

from bench.synonym_audit import audit
from search.synonyms import SYNONYMS_FILE


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
