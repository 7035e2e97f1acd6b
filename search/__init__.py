"""govsearch engine: ingest government documents, index their sections, search them."""

__version__ = "0.1.0"
