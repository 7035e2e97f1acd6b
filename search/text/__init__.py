"""Text as the index sees it: length-preserving normalisation (NFKC, lower case, traditional to
simplified), word segmentation (rjieba with the domain dictionary), the Whoosh analyzers
built on them, query-time synonyms, and the definitions laws give their terms
(`definitions`: 本法所称X，是指Y). Imports only `search.config` and `search.errors`,
and of Whoosh only its public analysis API.
"""
