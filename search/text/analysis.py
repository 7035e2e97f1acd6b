"""Chinese analysis for Whoosh: a jieba word tokenizer and a CJK bigram tokenizer.

Both honour Whoosh's tokenizer contract (`positions`, `chars`, `start_pos`, `start_char`,
`mode`, `keeporiginal`, `tokenize`) and normalise first with a length-preserving fold, so
character offsets always point into the original text.

Word field: positions count words. At index time ("index" mode) the sub-words that jieba's
search mode finds inside a long word, plus any longer dictionary word inside it, are added at
the position of the word that contains them, so a phrase query of precise-mode words (query
time) still sees consecutive positions. Stop words are dropped before positions are counted,
on both sides, so they never break a phrase.

Bigram field: overlapping pairs of Chinese characters (a lone character between non-Chinese
text stands alone), plus Latin words and numbers, each at the position of its first
character; at index time each Chinese character as well, at its offset, so that one
character typed alone is found inside any word. A pasted run of text cut mid-word is found
through the pairs. Because the position is the character offset and normalisation keeps
lengths, a token's span is (pos, pos + len).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from whoosh.analysis import Composable, Token, Tokenizer

from search import config
from search.text.normalize import normalize
from search.text.segmenter import fast_segmenter

# A run of Chinese characters, or a Latin word / number (decimal point kept: 2.5, pm2.5).
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TEXT_RUN = re.compile(rf"([{CJK}]+)|[a-z0-9]+(?:\.[0-9]+)*")

STOPWORDS_FILE = config.DATA_DIR / "stopwords.txt"

# (text, position, start char, end char) with offsets into the analysed string.
RawToken = tuple[str, int, int, int]


def load_stopwords(path: Path | None = None) -> frozenset[str]:
    """Stop words from `path`, else from the `stopwords` setting, else the built-in list."""
    path = path or (Path(config.get("stopwords")) if config.get("stopwords") else STOPWORDS_FILE)
    return read_word_list(path)


@functools.cache
def query_stopwords() -> frozenset[str]:
    """The stop list queries drop, read from the setting once per process: a query must drop
    what the index dropped, and a changed list needs a full reindex (and a restart) anyway."""
    return load_stopwords()


@functools.cache
def read_word_list(path: Path) -> frozenset[str]:
    """Words of a list file, one per line, `#` comments; normalised, read once per process."""
    words = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return frozenset(normalize(w) for w in words if w)


def _subwords(word: str, start: int) -> Iterator[tuple[str, int, int]]:
    """Dictionary words inside `word`: jieba's search-mode 2- and 3-grams, then longer ones,
    but not one that straddles two parts of every word around it (`_straddles`)."""
    has_word = fast_segmenter().has_word
    length = len(word)
    spans = [
        (i, i + size)
        for size in range(2, length)
        for i in range(length - size + 1)
        if has_word(word[i : i + size])
    ]
    for i, end in spans:
        around = [
            (a, b) for a, b in [*spans, (0, length)] if a <= i and end <= b and b - a > end - i
        ]
        if not all(_straddles((i, end), outer, spans) for outer in around):
            yield word[i:end], start + i, start + end


def _straddles(span: tuple[int, int], outer: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    """Whether the word at `span` begins inside one word of `spans` within `outer` and ends
    inside the next, as 民法 does in 人民法院 (人民 | 法院) and 华人 in 中华人民 (中华 | 人民):
    the characters are there, the word is not, and a search for 民法 or 民政 (人民政府) must
    not find every court and every government. 小学 in 中小学校 straddles 中小 | 学校, but
    not in 中小学, a word of the dictionary around it: it stays."""
    begin, end = span
    low, high = outer
    parts = [(a, b) for a, b in spans if low <= a and b <= high]
    return any(
        first < begin < middle < end < last
        for first, middle in parts
        for after, last in parts
        if after == middle
    )


def word_tokens(text: str, index_mode: bool, stopwords: frozenset[str]) -> Iterator[RawToken]:
    """Words of already-normalised `text`, precise mode; sub-words too when `index_mode`."""
    tokenize = fast_segmenter().tokenize
    pos = 0
    for match in TEXT_RUN.finditer(text):
        run_start = match.start()
        if match.group(1) is None:  # Latin word or number: one token, no segmentation
            yield match.group(), pos, run_start, match.end()
            pos += 1
            continue
        for word, start, end in tokenize(match.group()):
            if word in stopwords:
                continue
            if index_mode and end - start > 2:
                for sub, sub_start, sub_end in _subwords(word, run_start + start):
                    yield sub, pos, sub_start, sub_end
            yield word, pos, run_start + start, run_start + end
            pos += 1


def bigram_tokens(text: str, characters: Counter[str] | None = None) -> Iterator[RawToken]:
    """Overlapping character bigrams of already-normalised `text`, positioned by offset.

    With `characters`, each Chinese character of a longer run too, at its own offset
    (Lucene's CJK bigrams with unigrams output): one character typed alone (税, "营") is
    found wherever the text has it, in 减税降费 as in 税收, not only where it stands alone.
    The characters added so are counted into `characters` as they are read.
    """
    for match in TEXT_RUN.finditer(text):
        start, end = match.span()
        if match.group(1) is None or end - start == 1:
            yield match.group(), start, start, end
            continue
        run = match.group()
        for i in range(len(run) - 1):
            if characters is not None:
                yield run[i], start + i, start + i, start + i + 1
            yield run[i : i + 2], start + i, start + i, start + i + 2
        if characters is not None:
            characters.update(run)
            yield run[-1], end - 1, end - 1, end


class _NormalisingTokenizer(Tokenizer):
    """Shared body of the two tokenizers: normalise, run `_raw`, fill Whoosh's Token."""

    def _raw(self, text: str, mode: str, uncounted: Counter[str]) -> Iterator[RawToken]:
        """The tokens of normalised `text`, counting into `uncounted` those the field's
        length leaves out."""
        raise NotImplementedError

    def raw_tokens(self, value: str, mode: str = "index") -> Iterator[RawToken]:
        """(text, position, start, end) tuples of `value`."""
        return self._raw(normalize(value), mode, Counter())

    def counted_tokens(
        self, value: str, mode: str = "index"
    ) -> tuple[Iterator[RawToken], Counter[str]]:
        """`raw_tokens`, and how many of each text the field's length leaves out (filled in
        as the tokens are read): the fast path for indexing."""
        uncounted: Counter[str] = Counter()
        return self._raw(normalize(value), mode, uncounted), uncounted

    def __call__(  # noqa: PLR0913 - Whoosh's tokenizer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = normalize(value)
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for text, pos, start, end in self.raw_tokens(value, mode):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


class JiebaTokenizer(_NormalisingTokenizer):
    """Words by jieba (rjieba), precise mode at query time, with sub-words at index time."""

    def __init__(self, stopwords: frozenset[str] | None = None) -> None:
        self.stopwords = load_stopwords() if stopwords is None else stopwords

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JiebaTokenizer) and other.stopwords == self.stopwords

    __hash__ = None  # type: ignore[assignment]

    def _raw(self, text: str, mode: str, uncounted: Counter[str]) -> Iterator[RawToken]:
        return word_tokens(text, mode == "index", self.stopwords)


class BigramTokenizer(_NormalisingTokenizer):
    """Overlapping CJK bigrams (Lucene's CJK technique), Latin words and numbers whole; at
    index time each Chinese character too (`bigram_tokens`), which the field's length
    leaves out: it counts the pairs alone, as before there were any, so that BM25 weighs
    every other term as it did."""

    def _raw(self, text: str, mode: str, uncounted: Counter[str]) -> Iterator[RawToken]:
        return bigram_tokens(text, uncounted if mode == "index" else None)


def word_analyzer(stopwords: frozenset[str] | None = None) -> Composable:
    return JiebaTokenizer(stopwords)


def bigram_analyzer() -> Composable:
    return BigramTokenizer()


def warm_up() -> None:
    """Load the normalisation table, the dictionaries and the stop list now, not on the
    first query (a server worker calls this once at start)."""
    list(word_tokens(normalize("政府信息公开"), True, query_stopwords()))
