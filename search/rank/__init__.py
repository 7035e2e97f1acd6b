"""How matches are ordered: every relevance knob (`knobs`), the legal-hierarchy prior
(`authority`), ranking, collapsing and paging in numpy (`ranking`), and re-ranking
questions by meaning (`semantic`). Imports `search.engine`, `search.ingest` (the kinds of
document), `search.vectors`, `search.text` and the foundation modules.
"""
