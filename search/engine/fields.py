"""The text fields the engine pairs when it scores: each word field with its bigram field."""

# Each word field and the bigram field indexed from the same text: a word of two or more
# Chinese characters found in the one is, by construction, a run of bigrams in the other.
BIGRAM_FIELD_OF = {
    "title": "title_bigram",
    "body": "body_bigram",
    "breadcrumb": "breadcrumb_bigram",
}
