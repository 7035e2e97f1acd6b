"""What the user asked: a validated `SearchRequest` (`request`), the search box's query
language (`language`), and its compilation into Whoosh queries and filters (`compile`).
Imports `search.rank` (for its knobs), `search.engine`, `search.facets` (the filters a
request may hold), `search.text` and the foundation modules; never the index.
"""
