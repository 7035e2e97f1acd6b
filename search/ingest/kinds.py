"""Kind of a document (法律, 行政法规, ..., 通知公告, 其他): derived from its title, document
number (发文字号) and publishing agency (发布机构) by the rules of `kind_rules.tsv`."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from search import config
from search.text.normalize import normalize, normalize_doc_number

KIND_RULES = config.DATA_DIR / "kind_rules.tsv"

KINDS = (
    "法律",
    "行政法规",
    "司法解释",
    "部门规章",
    "地方性法规",
    "规范性文件",
    "政策解读",
    "工作报告",
    "工作总结",
    "通知公告",
    "其他",
)
OTHER = "其他"

# The results pages' tabs: a few groups of kinds, in the order shown after 全部.
KIND_TABS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("法律法规", ("法律", "行政法规", "司法解释", "部门规章", "地方性法规")),
    ("规范性文件", ("规范性文件",)),
    ("政策解读", ("政策解读",)),
    ("报告", ("工作报告", "工作总结")),
    ("通知公告", ("通知公告",)),
    ("其他", (OTHER,)),
)

ANY = "*"  # a cell that matches every value, the empty one included
# Notes in brackets at the end of a title, such as (2018年修正), (试行), (摘要), (二): the
# rules see the name of the document without them.
_TRAILING_NOTES = re.compile(r"(?:\s*\([^()]*\))+\s*$")


@dataclass(frozen=True)
class KindRule:
    kind: str
    title: re.Pattern[str] | None  # None: any value
    doc_number: re.Pattern[str] | None
    agency: re.Pattern[str] | None
    line: int

    def matches(self, title: str, doc_number: str, agency: str) -> bool:
        return all(
            pattern is None or pattern.search(value) is not None
            for pattern, value in (
                (self.title, title),
                (self.doc_number, doc_number),
                (self.agency, agency),
            )
        )


def _pattern(cell: str, path: Path, number: int) -> re.Pattern[str] | None:
    if cell == ANY:
        return None
    try:
        return re.compile(cell)
    except re.error as error:
        raise ValueError(f"{path}:{number}: bad pattern {cell!r}: {error}") from None


@functools.cache
def load_rules(path: Path = KIND_RULES) -> tuple[KindRule, ...]:
    """The rules in file order: `kind<TAB>title<TAB>doc number<TAB>agency`, each cell a
    regular expression searched in the normalised value, or `*` for any."""
    rules = []
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if len(cells) != 4 or not all(cells):
            raise ValueError(
                f"{path}:{number}: expected `kind<TAB>title<TAB>number<TAB>agency`, got {raw!r}"
            )
        if cells[0] not in KINDS:
            raise ValueError(f"{path}:{number}: unknown kind {cells[0]!r}; one of {KINDS}")
        title, doc_number, agency = (_pattern(cell, path, number) for cell in cells[1:])
        rules.append(KindRule(cells[0], title, doc_number, agency, line=number))
    return tuple(rules)


def rule_for(title: str, doc_number: str = "", agency: str = "") -> KindRule | None:
    """The first rule that matches the document, None when none does."""
    name = _TRAILING_NOTES.sub("", normalize(title.strip()))
    number = normalize_doc_number(doc_number)
    who = "".join(normalize(agency).split())
    return next((rule for rule in load_rules() if rule.matches(name, number, who)), None)


def derive_kind(title: str, doc_number: str = "", agency: str = "") -> str:
    """The kind of the first matching rule; 其他 when none matches."""
    rule = rule_for(title, doc_number, agency)
    return rule.kind if rule else OTHER
