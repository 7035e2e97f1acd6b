"""From a corpus file to a `Document` and its `Section`s: decoding, the header's metadata
(`header`), portal pages (`htmlpage`), the heading hierarchy (`headings`), derived topics and
kinds (`kinds`).
Knows nothing of the index; imports `search.text`, `search.config` and `search.errors`.
"""
