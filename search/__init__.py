"""govsearch's engine: ingest government documents, index their sections, search them.

Packages by pipeline stage, each importing only the ones below it (`bench/imports.py` lists
the layers; `tests/test_imports.py` holds the code to them): `text` (normalisation,
segmentation, analysis) -> `facets` (the filters of a search, declared once in a table),
`ingest` (file -> Document -> Sections) and `vectors` (the embedding model and its stored
vectors) -> `engine` (Whoosh's codec and scoring in numpy)
-> `rank` -> `query` -> `index` (schema, store, builds, the live index) -> the modules of
this folder, which answer a search (`results`), mark its passages (`highlight`) and talk
to the user (`cli`). Nothing here imports Flask or `web`.
"""

__version__ = "0.1.0"
