"""Every relevance knob in one place: field weights, boosts, fusion and relaxation depths.

Changing one changes every ranking; `python bench/relevance.py` on the tuning half says
whether it helps, the checking half whether it holds.
"""

# Relative weight of evidence in each field; a match in the title or the section's headings
# says more about the section than one in its running text.
FIELD_BOOSTS = {"body": 1.0, "title": 0.25, "breadcrumb": 1.0}
# A run of characters found exactly is stronger evidence than the same words found apart.
BIGRAM_FIELD_BOOSTS = {"body_bigram": 3.0, "title_bigram": 6.0, "breadcrumb_bigram": 4.5}
TITLE_FIELDS = frozenset({"title", "title_bigram"})
# A match through a synonym counts a little less than the word the user typed.
SYNONYM_WEIGHT = 0.8
# A question's words that describe a term the laws define (本法所称X，是指Y: the question
# shares words with Y) also look for X, at this weight (0 turns the bridging off): people ask
# in everyday words, the law answers in its defined terms. Below SYNONYM_WEIGHT, as X is a
# guess from the question's words, not one of them.
DEFINITION_WEIGHT = 0.5
DEFINITION_TERMS = 3  # at most this many defined terms per question
# A definition is described by a question when it shares at least this many of the question's
# words, and those words carry at least this share of the question's weight (a word's weight
# is how rare it is among definitions): a question matches a definition by what it describes,
# not by a word or two in passing.
DEFINITION_SHARED_WORDS = 2
DEFINITION_COVERAGE = 0.5
# A document or index number typed in full names one document: put it first.
NUMBER_BOOST = 50.0
# A term that is a document's short name (刑法, 食品安全法) asks for that document: its
# sections come before a regulation that cites the name in its title, heading and body at
# once (反间谍法实施细则 第一条: 根据《中华人民共和国反间谍法》), which a document number's
# boost does not outweigh (bench/titles.py; figures in the CHANGELOG).
NAME_BOOST = 4 * NUMBER_BOOST
# A section that is the article a query cites (民法典第五百零九条) before those that cite it
# in their text or their headings, as a document number named in full.
ARTICLE_BOOST = NUMBER_BOOST
# In a relaxed search, sections that match every term still come first.
STRICT_FIRST = 10.0
# Weight of the question's character pairs (in the body) in a relaxed search: they reward
# sections that share longer stretches of the question's wording.
RELAXED_BIGRAM_WEIGHT = 0.3
# A term that is one word, found as characters where the text does not have the word
# (民政 across 人民|政府, 买房 across 购买|房屋): still found, for where nothing says the word,
# at this weight, so that such a section comes after those with the word. A weight cannot
# promise it: a long report's section with the word once (its length, its prior of 0.41)
# can score below a short law's that repeats the characters (`python bench/one_word.py`
# prints how often it holds).
CHARACTERS_ONLY_WEIGHT = 0.05
# A relaxed search ranks by the first this many words and character pairs: a long question
# has fewer; pasted paragraphs have hundreds, each one more posting list to read.
MAX_RELAXED_WORDS = 16
MAX_RELAXED_BIGRAMS = 32
FEW_HITS = 10  # a query that finds fewer sections than this has found little
# When requiring every word finds nothing, or finds little (FEW_HITS) for a question of this
# many words, rank by the words instead, full matches first. Text pasted from a document is
# not relaxed when found: the sections that contain it are the answer.
LONG_QUERY = 3
# A question's first this many sections by words are re-ordered by meaning.
RERANK_DEPTH = 100
# A question's this many sections nearest in meaning (within its document, dates and scope;
# of those, what the chosen facet values allow) join the candidates: as deep as the word
# side, so that each ranking brings as many; 0 re-orders the word ranking's first sections
# alone. Each one joins the hits, so it is also how many
# sections without the question's words a question may add to its totals.
DENSE_DEPTH = 100
# A section at least this similar to the question (cosine) may join its candidates by
# meaning; below it the meaning side proposes nothing. The model's similarities are
# compressed: unrelated text still scores about 0.8 and an answer about 0.88, so without a
# floor a question with nothing near in the index is answered by whatever is least far.
# STARD's questions, which all have answers, rank the same with it. None: no floor.
MEANING_FLOOR: float | None = 0.85
# A question's candidates are ordered by WORD_WEIGHT times their word score plus the rest
# times their similarity, each scaled over the candidates (`search.rank.semantic.fuse`).
WORD_WEIGHT = 0.3
# The meaning side weighs authority too (`search.rank.semantic.with_authority`): a section's
# similarity plus this times the log of its kind's factor (data/authority.tsv), the factor
# the word side multiplies by. An answer stands only a few hundredths above unrelated text
# (see MEANING_FLOOR), so a report, four steps below a law (0.8 ** 4), gives up 0.045.
MEANING_PRIOR = 0.05
# Re-ranking alone (DENSE_DEPTH 0) fuses reciprocal ranks, 1 / (k + rank): a small k trusts
# the top ranks more.
FUSION_K = 10
# BM25F parameters (Whoosh's defaults).
BM25_OPTIONS: dict[str, float] = {"B": 0.75, "K1": 1.2}
