"""The query language of the search box, parsed without ever failing.

    营商环境 深圳          both must match (in the title, headings or text)
    "优化营商环境"         an exact run of characters
    营商环境 -深圳         exclude sections matching 深圳
    深圳 OR 广州           either
    标题:营商环境          in the title only (also title:, 標題：)
    阳政发〔2021〕3号      a document number, in any bracket style, also looked up exactly

Anything that is not syntax is text: an unbalanced quote runs to the end, a lone `-` or
`OR` is ignored, and no character can raise an error. What a search costs grows with what
it looks for, so only the first MAX_TERMS terms count, and only their first MAX_TEXT_CHARS
characters (cut after sentence punctuation where there is some): more than any question
needs, and no pasted page can keep a server busy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.text.normalize import DOC_NUMBER, normalize, normalize_doc_number

_TOKEN = re.compile(
    r"(?P<neg>-(?=\S))?(?:(?P<field>title|标题):)?"
    r'(?:"(?P<q1>[^"]*)"?|“(?P<q2>[^”]*)”?|「(?P<q3>[^」]*)」?|(?P<bare>\S+))'
)
_OR_WORD = re.compile(r"(?<!\S)OR(?!\S)")
MAX_TERMS = 16
MAX_TEXT_CHARS = 100  # of all terms together
_SENTENCE_END = re.compile(r".*[。；;！!？?，,、\n]", re.S)
# 索引号 as portals print them: 11440100MB2C92637X/2021-00012, 000014349/2021-00123.
INDEX_NUMBER = re.compile(r"^[0-9a-z]{6,20}[/-]\d{4}-\d{3,6}$")


@dataclass(frozen=True)
class Term:
    """One thing to look for: text (normalised) found as words, or as an exact run."""

    text: str
    exact: bool = False
    title_only: bool = False

    @property
    def doc_number(self) -> str | None:
        """The document number this term spells, in its indexed form, if it is one."""
        if self.exact or not DOC_NUMBER.fullmatch(self.text):
            return None
        return normalize_doc_number(self.text)

    @property
    def index_number(self) -> str | None:
        return self.text.upper() if INDEX_NUMBER.match(self.text) else None


@dataclass(frozen=True)
class Clause:
    """Terms joined by OR (usually one); a negated clause excludes what it matches."""

    terms: tuple[Term, ...]
    negated: bool = False


def _join_doc_numbers(text: str) -> str:
    # A document number typed with spaces (国办发 〔2020〕 12 号) is still one term.
    return DOC_NUMBER.sub(lambda m: "".join(m.group().split()), text)


def _within(content: str, budget: int) -> str:
    """`content` cut to `budget` characters, after a sentence if one ends past halfway."""
    if len(content) <= budget:
        return content
    head = content[:budget]
    sentence = _SENTENCE_END.match(head)
    return sentence.group() if sentence and len(sentence.group()) > budget // 2 else head


def parse(text: str) -> tuple[Clause, ...]:
    """Clauses of a query, in order; empty when there is nothing to search for."""
    # `OR` counts only in capitals (a lower-case "or" is a word): mark it before folding case.
    folded = _join_doc_numbers(normalize(_OR_WORD.sub("|", text)))
    clauses: list[Clause] = []
    join_next = False
    budget = MAX_TEXT_CHARS
    for match in _TOKEN.finditer(folded):
        bare = match.group("bare")
        if bare is not None and not match.group("neg") and not match.group("field"):
            if bare in ("|", "||"):
                join_next = bool(clauses)
                continue
        quoted = next((g for g in (match.group(k) for k in ("q1", "q2", "q3")) if g), None)
        content = (quoted if quoted is not None else bare or "").strip()
        if not content:
            continue
        if budget <= 0 or sum(len(c.terms) for c in clauses) >= MAX_TERMS:
            break
        content = _within(content, budget)
        budget -= len(content)
        term = Term(content, exact=quoted is not None, title_only=bool(match.group("field")))
        negated = bool(match.group("neg"))
        if join_next and not negated and not clauses[-1].negated:
            clauses[-1] = Clause(clauses[-1].terms + (term,))
        else:
            clauses.append(Clause((term,), negated))
        join_next = False
    return tuple(clauses)


# --- 高级检索: fields of a form -> this language ---------------------------------------------

# Characters that would make a typed word syntax (a quote, a leading minus, OR) in a field
# that asks for plain words.
_SYNTAX_CHARACTERS = str.maketrans(dict.fromkeys('"“”「」', " "))


def _plain_words(text: str) -> list[str]:
    words = (word.lstrip("-") for word in (text or "").translate(_SYNTAX_CHARACTERS).split())
    return [word for word in words if word and word not in ("OR", "|", "||")]


def compose(
    all_words: str = "", phrase: str = "", any_words: str = "", none_words: str = ""
) -> str:
    """The query for an advanced search's fields: every word of `all_words`, `phrase` as one
    exact run, at least one of `any_words`, none of `none_words`. Quotes and minus signs typed
    into a field are taken as spaces, so each field means only what its label says."""
    parts = _plain_words(all_words)
    exact = " ".join(_plain_words(phrase))
    if exact:
        parts.append(f'"{exact}"')
    alternatives = _plain_words(any_words)
    if alternatives:
        parts.append(" OR ".join(alternatives))
    parts += [f"-{word}" for word in _plain_words(none_words)]
    return " ".join(parts)
