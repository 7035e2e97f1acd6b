"""Text as the index sees it: length-preserving normalisation (NFKC, lower case, traditional to
simplified), word segmentation (rjieba with the domain dictionary), the Whoosh analyzers
built on them, and query-time synonyms. Imports only `search.config` and `search.errors`,
and of Whoosh only its public analysis API.
"""
