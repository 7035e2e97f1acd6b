"""Meaning: the bundled sentence-embedding model (`model`: the file `bundled` reads, split
into tokens by `tokenizer`, run by onnxruntime as `graph` builds it, pooled by `encoder`) and
the vectors it computed for sections, stored on disk by model and by text (`store`), and
the processes of one engine thread each that share a large run out (`processes`). Knows
nothing of Whoosh or of the index's sections; imports `search.config` and `search.errors`
only.
"""
