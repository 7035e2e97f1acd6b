"""Where the shared data lives: $GOVSEARCH_SHARED, default ../shared beside the checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return Path(os.environ.get("GOVSEARCH_SHARED", ROOT.parent / "shared"))


def shared_corpus() -> Path:
    """The shared corpus of government documents; exits with a clear message when absent."""
    docs = shared_dir() / "corpus" / "gov" / "docs"
    if not docs.is_dir():
        sys.exit(
            f"shared corpus not found at {docs}: set GOVSEARCH_SHARED to the folder that holds "
            "corpus/gov/docs"
        )
    return docs
