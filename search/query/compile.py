"""A query's text -> Whoosh queries, and a SearchRequest's filters -> Whoosh filters.

User text is parsed by `search.query.language` (never as Whoosh syntax, so no input can
raise). Each term matches either as words (every content word of it, in the title, body or
headings, or a synonym of the word) or as a run of characters (the bigram fields, as a
phrase), so that text pasted from a document is found even when it was cut in the middle of
a word.

Two queries come out: the strict one (every term must match) and, for queries of several
words, a relaxed one (any content word, ranked by how many and how rare) that the search
falls back to when the strict one finds little, as a long question typically does.
"""

from __future__ import annotations

import copy
import functools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from whoosh import query as q

from search import config
from search.engine.exclusion import Without
from search.facets import DATE_RANGE, FACETS, SCOPE, Facet, Selection
from search.query.language import Clause, Term, parse
from search.query.request import SearchRequest
from search.rank.knobs import (
    ARTICLE_BOOST,
    BIGRAM_FIELD_BOOSTS,
    CHARACTERS_ONLY_WEIGHT,
    DEFINITION_COVERAGE,
    DEFINITION_SHARED_WORDS,
    DEFINITION_TERMS,
    DEFINITION_WEIGHT,
    FIELD_BOOSTS,
    LONG_QUERY,
    MAX_RELAXED_BIGRAMS,
    MAX_RELAXED_WORDS,
    NAME_BOOST,
    NUMBER_BOOST,
    RELAXED_BIGRAM_WEIGHT,
    STRICT_FIRST,
    SYNONYM_WEIGHT,
    TITLE_FIELDS,
)
from search.text.analysis import CJK, bigram_tokens, query_stopwords, read_word_list, word_tokens
from search.text.definitions import DefinitionTable
from search.text.normalize import normalize, normalize_doc_number
from search.text.synonyms import synonyms_of
from search.text.titles import STATE_TITLE_PREFIX, typed_name

MAX_RUN_CHARS = 32  # of a run of characters looked for as a phrase
QUESTION_WORDS_FILE = config.DATA_DIR / "question_words.txt"
FILLER_WORDS_FILE = config.DATA_DIR / "filler_words.txt"
_CJK_NAME = re.compile(f"[{CJK}]+")
# What a document's short name is made of: characters, digits, the brackets and marks of a
# part or a law named inside it (刑法修正案(十一), 关于《民法典》的解释), and the 、 between
# the bodies that issued it together (最高人民法院、最高人民检察院关于…的解释).
_NAME_LIKE = re.compile(f"[{CJK}0-9()《》〈〉·、]+")
_CLAUSE_MARK = re.compile("[，,。；;？?！!]")


# --- what each term looks for --------------------------------------------------------------


def question_words() -> frozenset[str]:
    """Words that ask (如何, 吗): the query reads as a question."""
    return read_word_list(QUESTION_WORDS_FILE)


@functools.cache
def empty_words() -> frozenset[str]:
    """Words that say nothing about what is asked: the question words and fillers (他们)."""
    return question_words() | read_word_list(FILLER_WORDS_FILE)


def precise_words(text: str) -> tuple[str, ...]:
    """Distinct words of normalised `text` (stop words dropped), in order."""
    return tuple(dict.fromkeys(w for w, *_ in word_tokens(text, False, query_stopwords())))


def content_words(text: str) -> tuple[str, ...]:
    """The words of `text` a match needs: question and filler words left out, and single
    characters among longer words (什么是扒窃 needs 扒窃, not 是), unless that leaves nothing."""
    words = precise_words(text)
    empty = empty_words()
    content = tuple(w for w in words if w not in empty) or words
    return tuple(_telling(content))


def bigram_runs(text: str) -> tuple[tuple[str, ...], ...]:
    """Bigram tokens of `text` grouped into chains of adjacent bigrams (each one phrase).

    A single character at either end of the text is dropped when there is more: it is
    probably the cut end of a longer run, which the index holds only as bigrams.
    """
    runs: list[list[str]] = []
    last_pos = None
    for token, pos, _start, _end in bigram_tokens(text):
        if runs and last_pos is not None and pos == last_pos + 1 and len(token) == 2:
            runs[-1].append(token)
        else:
            runs.append([token])
        last_pos = pos if len(token) == 2 else None
    if len(runs) > 1:
        for edge in (0, -1):
            if len(runs[edge]) == 1 and len(runs[edge][0]) == 1 and _is_cjk(runs[edge][0]):
                runs.pop(edge)
    # A run's first MAX_RUN_CHARS characters are as telling as all of it, and each character
    # more is one more posting list to read.
    return tuple(tuple(r[: MAX_RUN_CHARS - 1]) for r in runs)


_CJK_CHARACTER = re.compile(f"[{CJK}]")


def _is_cjk(token: str) -> bool:
    return bool(_CJK_CHARACTER.fullmatch(token))


def join_run(run: tuple[str, ...]) -> str:
    """Chain of overlapping bigrams back to its text: 营商 商环 环境 -> 营商环境."""
    return run[0] + "".join(token[-1] for token in run[1:])


# --- Whoosh queries ----------------------------------------------------------------------


def _fields(boosts: dict[str, float], title_only: bool) -> dict[str, float]:
    return {f: b for f, b in boosts.items() if not title_only or f in TITLE_FIELDS}


def _sequence(fieldname: str, tokens: tuple[str, ...] | list[str], boost: float) -> q.Query:
    if len(tokens) == 1:
        return q.Term(fieldname, tokens[0], boost=boost)
    return q.Phrase(fieldname, list(tokens), boost=boost)


def text_query(text: str, title_only: bool = False, weight: float = 1.0) -> q.Query:
    """`text` as consecutive words in the word fields (a synonym, say)."""
    words = precise_words(text)
    if not words:
        return q.NullQuery
    fields = _fields(FIELD_BOOSTS, title_only)
    return q.Or([_sequence(f, words, b * weight) for f, b in fields.items()])


def word_query(word: str, title_only: bool = False) -> q.Query:
    """One word in any word field, or any of its synonyms."""
    return q.Or([*_word_terms(word, title_only), *synonym_queries(word, title_only)])


def the_word_query(word: str, title_only: bool = False) -> q.Query:
    """One word in any word field, as typed (no synonym)."""
    return q.Or(_word_terms(word, title_only))


def _word_terms(word: str, title_only: bool) -> list[q.Query]:
    return [q.Term(f, word, boost=b) for f, b in _fields(FIELD_BOOSTS, title_only).items()]


def synonym_queries(word: str, title_only: bool = False) -> list[q.Query]:
    """Each synonym of `word`, as consecutive words, at SYNONYM_WEIGHT."""
    return [text_query(s, title_only, SYNONYM_WEIGHT) for s in synonyms_of(word)]


def runs_query(runs: tuple[tuple[str, ...], ...], title_only: bool = False) -> q.Query:
    """Every run of characters, as a phrase of bigrams, within one field."""
    return q.Or(
        [
            q.And([_sequence(name, run, boost) for run in runs])
            for name, boost in _fields(BIGRAM_FIELD_BOOSTS, title_only).items()
        ]
    )


def term_query(term: Term, cites_article: bool = False) -> q.Query:
    """All that counts as a match of one term; in a query that cites an article, its other
    terms name the law, and a document whose title holds them is that law."""
    runs = bigram_runs(term.text)
    if term.exact:
        return runs_query(runs, term.title_only) if runs else q.NullQuery
    alternatives: list[q.Query] = []
    words = content_words(term.text)
    if _one_word(words, runs):
        # The run is the word itself. Where the characters are but the word is not (民政
        # across 人民|政府, 买房 across 购买|房屋), the text rarely says it: such sections
        # come after every one that has the word.
        characters = runs_query(runs, term.title_only)
        alternatives.append(q.And([the_word_query(words[0], term.title_only), characters]))
        alternatives.append(reboosted(characters, CHARACTERS_ONLY_WEIGHT))
        alternatives += synonym_queries(words[0], term.title_only)  # 医保: 医疗保险
    else:
        if words and not _characters_only(term.text):
            kept = _kept_share(term.text, words) if runs else 1.0
            alternatives.append(q.And([word_query(w, term.title_only) for w in words], boost=kept))
        if runs:
            alternatives.append(runs_query(runs, term.title_only))
    if len(words) > 1:
        alternatives += synonym_queries(term.text, term.title_only)
    if term.article:
        # the section that is the article: not one whose heading only mentions it (四十二、
        # 将刑法第三百五十八条修改为, an amendment's)
        alternatives.append(q.Term("article", term.text, boost=ARTICLE_BOOST))
    elif cites_article and runs:
        alternatives.append(q.And([_sequence("title_bigram", r, ARTICLE_BOOST) for r in runs]))
        alternatives += [
            _sequence("title_bigram", run, ARTICLE_BOOST) for run in _state_title_runs(term.text)
        ]
    alternatives += [
        q.Term("doc_number", spelling, boost=NUMBER_BOOST) for spelling in term.doc_numbers
    ]
    # A term that is a document's name (刑法, 民法典, 工伤保险条例) asks for that document;
    # a sentence or a question (punctuation in it) is no name.
    if runs and (name := typed_name(term.text)) and _NAME_LIKE.fullmatch(name):
        alternatives.append(q.Term("name", name, boost=NAME_BOOST))
    if term.index_number:
        alternatives.append(q.Term("index_number", term.index_number, boost=NUMBER_BOOST))
    if term.index_serial:
        alternatives.append(q.Term("index_serial", term.index_serial, boost=NUMBER_BOOST))
    return q.Or(alternatives) if alternatives else q.NullQuery


def _one_word(words: Sequence[str], runs: tuple[tuple[str, ...], ...]) -> bool:
    """Whether a term's one run of characters is one Chinese word of two characters or more,
    which the index holds as a word wherever the text says it (inside a longer word too). A
    single character has no bigram where it is part of a longer run (税 in 税务): the word
    alone finds it there."""
    if len(words) != 1 or len(runs) != 1 or len(words[0]) < 2 or not _is_cjk(words[0][0]):
        return False
    return join_run(runs[0]) == words[0]


@functools.lru_cache(maxsize=4096)  # asked of a term by its query, relaxation and marks
def _characters_only(text: str) -> bool:
    """Whether a term of two Chinese characters or more is no word to the segmenter: every
    word of it one character, none a filler (须经: 须|经; 转到). Its characters say something
    only side by side, as its runs. (我被骗了 has fillers: 骗 is the word it asks for.)"""
    words = precise_words(text)
    if len(words) < 2 or not any(len(join_run(run)) > 1 for run in bigram_runs(text)):
        return False
    return all(len(w) == 1 and _is_cjk(w) and w not in empty_words() for w in words)


def _state_title_runs(name: str) -> tuple[tuple[str, ...], ...]:
    """The runs of the title a law cited by its short name has as a national law or
    regulation: 保险法 is 中华人民共和国保险法, and a title that only holds the name
    (中华人民共和国社会保险法) is another law."""
    if name.startswith(STATE_TITLE_PREFIX) or not _CJK_NAME.fullmatch(name):
        return ()
    return bigram_runs(STATE_TITLE_PREFIX + name)


def _kept_share(text: str, words: Sequence[str]) -> float:
    """The share of the Chinese characters typed that `words` keep. Single characters and
    stop words are left out of a term's words (约整改通 keeps 整改), so a section that has
    only the words is weaker evidence than one with the run itself: its match counts for
    that share."""
    typed = len(_CJK_CHARACTER.findall(text))
    kept = sum(len(_CJK_CHARACTER.findall(word)) for word in words)
    return min(kept / typed, 1.0) if typed and kept else 1.0


def _clause_query(clause: Clause, cites_article: bool = False) -> q.Query:
    return normalized(q.Or([term_query(t, cites_article) for t in clause.terms]))


_PLAIN = (q.Term, q.Phrase, q.Or, q.And, type(q.NullQuery))
_NORMAL = "_normalized"


def normalized(query: q.Query) -> q.Query:
    """Whoosh's `normalize` for the trees built here (terms and phrases under OR and AND):
    nested ORs (ANDs) flattened, duplicates and nothing-queries dropped, a single part
    unwrapped. Whoosh's own deep-copies every subtree it lifts; here a part is shared, and
    copied only when its boost changes. Other shapes go to Whoosh."""
    kind = type(query)
    if kind is q.Phrase and len(query.words) > 1 and None not in query.words:
        return query  # (Whoosh's makes an equal copy)
    if kind not in (q.Or, q.And) or (kind is q.Or and (query.minmatch or query.scale)):
        return query.normalize()
    if query.__dict__.get(_NORMAL):  # a part normalized before: walking it again finds that
        return query
    parts: list[q.Query] = []
    for sub in query.subqueries:
        sub = normalized(sub)
        if not isinstance(sub, _PLAIN):
            return query.normalize()
        if type(sub) is kind:
            parts += [reboosted(part, part.boost * sub.boost) for part in sub.subqueries]
        else:
            parts.append(sub)
    kept = [part for part in dict.fromkeys(parts) if part is not q.NullQuery]
    if not kept:
        return q.NullQuery
    if len(kept) == 1:
        return reboosted(kept[0], kept[0].boost * query.boost)
    if len(kept) < len(query.subqueries) or any(map(operator.is_not, kept, query.subqueries)):
        query = kind(kept, boost=query.boost)
    # else already normal: the same object, so what is computed for it is shared
    setattr(query, _NORMAL, True)  # (kept by a boosted copy, which is normal too)
    return query


def reboosted(query: q.Query, boost: float) -> q.Query:
    """`query` with `boost`: a shallow copy (its parts shared) if that changes it."""
    if query is q.NullQuery or getattr(query, "boost", 1.0) == boost:
        return query
    changed = copy.copy(query)
    changed.boost = boost
    return changed


@dataclass(frozen=True)
class CompiledQuery:
    """The queries for one text, and what to mark in the passages."""

    strict: q.Query
    relaxed: q.Query | None  # None when relaxing would not change anything
    words: frozenset[str]
    runs: tuple[str, ...]
    asks: bool = False  # reads as a question (question words, or punctuation between clauses)
    # a sentence that reads as a question by its punctuation alone (no question word or mark)
    sentence: bool = False
    # Terms that are one word: marked as characters only in a text that lacks the word, where
    # the characters are how it matched.
    word_runs: tuple[str, ...] = ()
    # (words, runs, word_runs) to mark in titles where they differ from the text's: terms
    # looked for in titles only (标题:报告, the title scope) mark the titles alone.
    title_marks: tuple[frozenset[str], tuple[str, ...], tuple[str, ...]] | None = None

    def marks_in_titles(self) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
        """The words, runs and one-word terms to mark in a hit's title."""
        return self.title_marks or (self.words, self.runs, self.word_runs)


def _with_exclusions(positive: q.Query, excluded: list[q.Query]) -> q.Query:
    if not excluded:
        return positive
    return Without(positive, q.Or(excluded))


def compile_query(
    text: str, scope: str = "all", definitions: DefinitionTable | None = None
) -> CompiledQuery:
    """Strict and relaxed queries for `text`, looked for where `scope` says; a question's
    relaxed query also looks for the terms of `definitions` its words describe.

    No text at all browses everything (the filters still apply); text with nothing to
    search for in it (only punctuation) finds nothing rather than everything. In the
    `number` scope the text is a filter on 文号 (see `number_filter`), so the query browses.
    """
    if scope == "number":
        text = ""
    clauses = parse(text)
    if scope == "title":
        clauses = tuple(_in_titles(clause) for clause in clauses)
    positive = [c for c in clauses if not c.negated]
    excluded = [
        query
        for query in (_clause_query(c) for c in clauses if c.negated)
        if query is not q.NullQuery
    ]
    words, runs, word_runs = _highlight_targets(positive)
    in_titles = any(t.title_only for c in positive for t in c.terms)
    title_marks = _highlight_targets(positive, in_titles=True) if in_titles else None
    if not positive:
        base: q.Query = q.Every() if not text.strip() or excluded else q.NullQuery
        return CompiledQuery(
            _with_exclusions(base, excluded), None, words, runs, title_marks=title_marks
        )
    cites_article = any(t.article for c in positive for t in c.terms)
    clause_queries = {c: _clause_query(c, cites_article) for c in positive}
    strict = normalized(q.And(list(clause_queries.values())))
    relaxed = None
    asks = reads_as_question(text) or has_grammar(positive)
    if not any(t.doc_number or t.index_number or t.index_serial for c in positive for t in c.terms):
        defined = defined_terms(text, positive, definitions) if asks else []
        relaxed = _relaxed(strict, clause_queries, excluded, defined)
    sentence = asks and not asks_outright(text)
    return CompiledQuery(
        _with_exclusions(strict, excluded),
        relaxed,
        words,
        runs,
        asks=asks,
        sentence=sentence,
        word_runs=word_runs,
        title_marks=title_marks,
    )


def defined_terms(
    text: str, clauses: list[Clause], definitions: DefinitionTable | None
) -> list[str]:
    """The defined terms whose definitions the clauses' words describe, not in `text`."""
    if definitions is None or not DEFINITION_WEIGHT:
        return []
    asked = [w for c in clauses for t in c.terms if not t.exact for w in content_words(t.text)]
    typed = normalize(text)
    found = definitions.terms_for(
        asked, DEFINITION_TERMS + len(asked), DEFINITION_SHARED_WORDS, DEFINITION_COVERAGE
    )
    return [term for term in found if term not in typed][:DEFINITION_TERMS]


def _in_titles(clause: Clause) -> Clause:
    return replace(clause, terms=tuple(replace(t, title_only=True) for t in clause.terms))


def reads_as_question(text: str) -> bool:
    """Question words, or sentence punctuation inside the text: a question or a sentence,
    not a keyword query or a run of characters pasted from a document."""
    return bool(_CLAUSE_MARK.search(text.strip().rstrip("？?。.！!"))) or asks_outright(text)


@functools.cache
def _grammar_words() -> frozenset[str]:
    """The one-character filler words (我, 把, 给): grammar, which keywords do not have. Not
    被 or 该, which open the law's own terms (被征地农民, 被执行人, 该条例); a longer filler
    (情况, 需要) can be a keyword."""
    return frozenset(w for w in read_word_list(FILLER_WORDS_FILE) if len(w) == 1) - {"被", "该"}


def has_grammar(clauses: Sequence[Clause]) -> bool:
    """Whether the words of the clauses' plain terms, LONG_QUERY or more, hold a grammar
    word (房东把房子卖了: 把): a sentence typed without punctuation."""
    words = [
        word
        for clause in clauses
        for term in clause.terms
        if not term.exact
        for word, *_ in word_tokens(term.text, False, frozenset())
    ]
    return len(words) >= LONG_QUERY and not _grammar_words().isdisjoint(words)


def asks_outright(text: str) -> bool:
    """A question mark at the end, or a question word: a question, not a sentence that
    reads as one by its punctuation alone (as a sentence pasted from a law does)."""
    if text.strip()[-1:] in "？?":
        return True
    asked = question_words()
    # every word, stop words included: 吗 and 呢 are both
    return any(word in asked for word, *_ in word_tokens(text, False, frozenset()))


def _relaxed(
    strict: q.Query,
    clause_queries: dict[Clause, q.Query],
    excluded: list[q.Query],
    defined: Sequence[str] = (),
) -> q.Query | None:
    """Any content word of the plain terms (or any `defined` term, at DEFINITION_WEIGHT),
    ranked, after the sections that match strictly; exact and title terms are still
    required."""
    required = [query for c, query in clause_queries.items() if _is_required(c)]
    optional = [c for c in clause_queries if not _is_required(c)]
    # An article's number says nothing in pieces (第五百零九条's 九条 is every 第九条): it
    # ranks whole, as the article a section is.
    terms = [term for clause in optional for term in clause.terms if not term.article]
    articles = [term.text for clause in optional for term in clause.terms if term.article]
    units: dict[str, None] = {}
    for term in terms:
        if not _characters_only(term.text):  # its characters rank as its bigrams
            units.update(dict.fromkeys(content_words(term.text)))
    words = _telling(list(units))[:MAX_RELAXED_WORDS]
    if len(words) < 2:
        return None
    bigrams = dict.fromkeys(
        token
        for term in terms
        for token, *_ in bigram_tokens(term.text)
        if len(token) == 2 and _is_cjk(token[0])
    )
    ranked = q.Or(
        [word_query(w) for w in words]
        + [text_query(term, weight=DEFINITION_WEIGHT) for term in defined]
        + [
            q.Term("body_bigram", b, boost=RELAXED_BIGRAM_WEIGHT)
            for b in list(bigrams)[:MAX_RELAXED_BIGRAMS]
        ]
        + [q.Term("article", article, boost=ARTICLE_BOOST) for article in articles]
    )
    partial = q.And([*required, ranked]) if required else ranked
    full_first = q.Or([reboosted(strict, strict.boost * STRICT_FIRST), partial])
    return _with_exclusions(normalized(full_first), excluded)


def _telling(words: Sequence[str]) -> list[str]:
    """The words that say something: single Chinese characters are mostly particles and
    prepositions (为, 将, 在), so they count only when there is nothing else."""
    longer = [w for w in words if len(w) > 1 or not _is_cjk(w)]
    return longer or list(words)


def _is_required(clause: Clause) -> bool:
    return any(t.exact or t.title_only for t in clause.terms) or len(clause.terms) > 1


def _highlight_targets(
    clauses: list[Clause], in_titles: bool = False
) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """(words to mark, character runs to mark, terms that are one word): the words, runs and
    synonyms looked for, in the text (a term looked for in titles only marks nothing
    there), or `in_titles`, in the titles (every term is looked for there)."""
    words: set[str] = set()
    runs: dict[str, None] = {}
    word_runs: dict[str, None] = {}
    for clause in clauses:
        for term in clause.terms:
            if term.title_only and not in_titles:
                continue
            runs_of_term, term_words = bigram_runs(term.text), content_words(term.text)
            found = [join_run(r) for r in runs_of_term]
            if not term.exact and _one_word(term_words, runs_of_term):
                word_runs.update(dict.fromkeys(found))
                found = []
            if term.doc_number:  # its issuer: its digits (1, 2024) and 年, 第 or 号 would
                # mark every number and ordinal in the text
                found = [run for run in found if _CJK_CHARACTER.search(run)][:1]
            runs.update(dict.fromkeys(found))
            if term.exact or term.doc_number:
                continue
            for word in () if _characters_only(term.text) else term_words:
                words.add(word)
                runs.update(dict.fromkeys(synonyms_of(word)))
            runs.update(dict.fromkeys(synonyms_of(term.text)))
    return frozenset(words), tuple(runs), tuple(word_runs)


def build_filter(request: SearchRequest) -> dict[str, q.Query]:
    """The facets' and the document's restrictions by name, one query each (they do not
    score); a facet's is named as the facet."""
    parts: dict[str, q.Query] = {}
    for facet in FACETS:
        selection = request.selection(facet.name)
        if selection:
            parts[facet.name] = facet_filter(facet, selection)
    if request.doc_id:
        parts["doc"] = q.Term("doc_id", request.doc_id)
    low, high = request.dates
    if low or high:
        # ISO dates sort as text; a section without a date holds no term, so never matches.
        parts[DATE_RANGE.field] = q.TermRange(DATE_RANGE.field, low, high)
    if request.scope == "number" and request.text.strip():
        parts[SCOPE.name] = number_filter(request.text)
    return parts


# A year and a number without brackets: 2017-47, 2017/47号.
_YEAR_AND_NUMBER = re.compile(r"(\d{4})[-/—_.・](\d{1,5})号?")
_YEAR_WRITTEN = re.compile(r"(?<!\d)(\d{4})年")
_NUMBERED = re.compile(r"〕第(?=\d)")
_BRACKETED_YEAR = re.compile(r"〔(\d{4})〕")


def number_filter(text: str) -> q.Query:
    """Sections whose 文号 holds `text`, whole or in part, in any bracket style:
    国办发[2017]47号, 国办发〔2017〕, 2017-47 (read as 〔2017〕47号). A number is never
    found inside a longer one (47号 does not find 147号)."""
    piece = _YEAR_AND_NUMBER.sub(r"〔\1〕\2号", normalize_doc_number(text))
    piece = _NUMBERED.sub("〕", _YEAR_WRITTEN.sub(r"〔\1〕", piece))
    pattern = ".*" + ("(?<!\\d)" if piece[:1].isdigit() else "") + re.escape(piece)
    pattern += "(?!\\d)" if piece[-1:].isdigit() else ""
    # the year in brackets or followed by 年, the number after 第 or not (公告2021年第3号)
    pattern = _BRACKETED_YEAR.sub(r"(?:〔\1〕|\1年)第?", pattern)
    return q.Regex("doc_number", pattern)


def facet_filter(facet: Facet, selection: Selection) -> q.Query:
    """Sections whose field holds one of the selected values, or a number in the range."""
    if facet.filter_by == "range":
        low, high = selection
        return q.NumericRange(facet.field, low, high)
    return q.Or([q.Term(facet.field, value) for value in selection])
