"""The query language of the search box, parsed without ever failing.

    营商环境 深圳          both must match (in the title, headings or text)
    "优化营商环境"         an exact run of characters
    营商环境 -深圳         exclude sections matching 深圳
    深圳 OR 广州           either
    标题:营商环境          in the title only (also title:, 標題：)
    阳政发〔2021〕3号      a document number, in any bracket style, also looked up exactly
    民法典第509条          an article (第五百零九条, 第509条): its own term, found as a heading

Anything that is not syntax is text: an unbalanced quote runs to the end, a lone `-` or
`OR` (or any term of punctuation alone) is ignored, and no character can raise an error.
What a search costs grows with what it looks for, so only the first MAX_TERMS terms count,
and only their first MAX_TEXT_CHARS characters (cut after sentence punctuation where there
is some): more than any question needs, and no pasted page can keep a server busy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.text.articles import ARTICLE, ARTICLE_NUMBER, NUMERAL, article_heading
from search.text.normalize import (
    DOC_NUMBER,
    INDEX_SERIAL,
    doc_number_spellings,
    normalize,
    normalize_doc_number,
)

_TOKEN = re.compile(
    r"(?P<neg>-(?=\S))?(?:(?P<field>title|标题):)?"
    r'(?:"(?P<q1>[^"]*)"?|“(?P<q2>[^”]*)”?|「(?P<q3>[^」]*)」?|(?P<bare>\S+))'
)
_OR_WORD = re.compile(r"(?<!\S)OR(?!\S)")
MAX_TERMS = 16
MAX_TEXT_CHARS = 100  # of all terms together
_SENTENCE_END = re.compile(r".*[。；;！!？?，,、\n]", re.S)
# A paragraph or item of an article (第三款, 第(一)项, 第二款第3项): the article is the
# section that holds it, so a citation of one is looked for as its article.
_WITHIN_ARTICLE = rf"(?:第{NUMERAL}款)?(?:第?\(?{NUMERAL}\)?项)?"
_ARTICLE_CITED = re.compile(rf"(?P<article>{ARTICLE.pattern}){_WITHIN_ARTICLE}")
_LAW_ENDING = "(?:法|典|条例|规定|办法|解释|细则|决定|规则|章程)"
# A law's name (in 《》 or not): a title's ending, then perhaps a note in brackets ((二),
# (试行)); then its article, with or without 第 (民法典509条).
_CITATION = re.compile(
    rf"《?(?P<name>.+?{_LAW_ENDING}(?:\([^()]{{1,8}}\))?)》?"
    rf"(?P<article>第?{ARTICLE_NUMBER}){_WITHIN_ARTICLE}"
)
# 本法 (this law) as a law's text says it, not a name (基本法 is one).
_THIS_LAW = re.compile(rf"(?:^|[照据按依反于由及和与或、,])本{_LAW_ENDING}$")
# 索引号 as portals print them: 11440100MB2C92637X/2021-00012, 000014349/2021-00123, and a
# unit's code with a department's after it, 11140522K03478216C405/2021-00259.
INDEX_NUMBER = re.compile(r"^[0-9a-z]{6,32}[/-]\d{4}-\d{3,6}$")


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
    def doc_numbers(self) -> tuple[str, ...]:
        """Every spelling of the document number this term spells (`doc_number_spellings`),
        or () when it is none."""
        return doc_number_spellings(self.text) if self.doc_number else ()

    @property
    def index_number(self) -> str | None:
        return self.text.upper() if INDEX_NUMBER.match(self.text) else None

    @property
    def index_serial(self) -> str | None:
        """The year and serial number of a 索引号, typed without the unit's code before
        them (2021-00033), if this term is one."""
        return self.text if not self.exact and INDEX_SERIAL.fullmatch(self.text) else None

    @property
    def article(self) -> bool:
        """Whether this term is an article's heading (第五百零九条)."""
        return not self.exact and bool(ARTICLE.fullmatch(self.text))


@dataclass(frozen=True)
class Clause:
    """Terms joined by OR (usually one); a negated clause excludes what it matches."""

    terms: tuple[Term, ...]
    negated: bool = False


def _join_doc_numbers(text: str) -> str:
    # A document number typed with spaces (国办发 〔2020〕 12 号) is still one term.
    return DOC_NUMBER.sub(lambda m: "".join(m.group().split()), text)


def _cited_article(content: str) -> list[str]:
    """A law's name and the article of it that `content` cites, apart (民法典第509条 ->
    民法典, 第五百零九条); an article alone in its heading's numerals; anything else whole.
    Typed as one run, a citation would be looked for as characters that no text holds. Only
    a name that ends as laws' titles end counts, not 本法 (this law): a run pasted from a
    law's text that mentions an article (依照本法第三条) stays one run."""
    alone = _ARTICLE_CITED.fullmatch(content)
    if alone:
        return [article_heading(alone.group("article"))]
    citation = _CITATION.fullmatch(content)
    if citation is None or _THIS_LAW.search(citation.group("name")):
        return [content]
    name = citation.group("name")
    if name.rfind("《") > name.rfind("》"):  # 依照《民法典》第509条: the name is in the marks
        name = name[name.rfind("《") + 1 :]
    return [name, article_heading(citation.group("article"))]


def _searchable(content: str) -> bool:
    """Whether a term has anything to look for: punctuation alone (a lone `-`) has not."""
    return any(character.isalnum() for character in content)


def _within(content: str, budget: int) -> str:
    """`content` cut to `budget` characters, after a sentence if one ends past halfway."""
    if len(content) <= budget:
        return content
    head = content[:budget]
    sentence = _SENTENCE_END.match(head)
    return sentence.group() if sentence and len(sentence.group()) > budget // 2 else head


def parse(text: str) -> tuple[Clause, ...]:
    """Clauses of a query, in order; empty when there is nothing to search for."""
    return _parsed(text)[0]


def searched_in_full(text: str) -> bool:
    """Whether every term of `text` is searched whole: False when it is longer than a query
    counts (MAX_TERMS terms, MAX_TEXT_CHARS characters), so that a page can say so."""
    return _parsed(text)[1]


def _parsed(text: str) -> tuple[tuple[Clause, ...], bool]:
    """The clauses, and whether nothing typed was left out for the query's length."""
    # `OR` counts only in capitals (a lower-case "or" is a word): mark it before folding case.
    folded = _join_doc_numbers(normalize(_OR_WORD.sub("|", text)))
    tokens = list(_TOKEN.finditer(folded))
    clauses: list[Clause] = []
    join_next = False
    budget = MAX_TEXT_CHARS
    in_full = True
    for number, match in enumerate(tokens):
        bare = match.group("bare")
        if _is_or(match):
            join_next = bool(clauses)
            continue
        quoted = next((g for g in (match.group(k) for k in ("q1", "q2", "q3")) if g), None)
        content = (quoted if quoted is not None else bare or "").strip()
        if not _searchable(content):
            continue
        if budget <= 0 or sum(len(c.terms) for c in clauses) >= MAX_TERMS:
            return tuple(clauses), False
        searched = _within(content, budget)
        if searched != content:
            in_full, content = False, searched
        budget -= len(content)
        negated = bool(match.group("neg"))
        title_only = bool(match.group("field"))
        in_alternatives = join_next or (number + 1 < len(tokens) and _is_or(tokens[number + 1]))
        # An article is its own term, unless the term is one of alternatives or excluded (a
        # clause is one OR of terms, and parts of a term must all match), or in titles only.
        whole = quoted is not None or negated or title_only or in_alternatives
        pieces = [content] if whole else _cited_article(content)
        for piece in pieces:
            term = Term(piece, exact=quoted is not None, title_only=title_only)
            if join_next and not negated and not clauses[-1].negated:
                clauses[-1] = Clause(clauses[-1].terms + (term,))
            else:
                clauses.append(Clause((term,), negated))
            join_next = False
    return tuple(clauses), in_full


def _is_or(match: re.Match[str]) -> bool:
    return (
        match.group("bare") in ("|", "||") and not match.group("neg") and not match.group("field")
    )


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
