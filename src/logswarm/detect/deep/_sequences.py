"""Key sequences in, contiguous token ids out: the one place the deep detectors share input rules.

Why a module of its own: DeepLog and LogBERT must agree on what a session looks like (a row of
template ids right-padded with :data:`~logswarm.detect.base.PAD_ID`, or a ragged list), on how
keys never seen in training are treated (one ``UNK`` token, which the models learn never to
predict, so an unseen key is always a surprise), and on the reserved tokens that frame a session.
The vocabulary is plain data (a sorted list of known keys) so that it saves to JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from logswarm.detect.base import PAD_ID

__all__ = [
    "BOS",
    "EOS",
    "MASK",
    "N_SPECIAL",
    "PAD",
    "UNK",
    "KeyVocabulary",
    "as_key_matrix",
    "rows_to_lists",
]

IntMatrix = npt.NDArray[np.int64]

#: Token ids reserved before the first real key.
PAD = 0
#: Start of session; LogBERT's ``DIST`` token, whose output is pulled towards the centre.
BOS = 1
#: End of session: predicting it catches truncated sessions, HDFS's commonest anomaly.
EOS = 2
#: A key the model never saw in training.
UNK = 3
#: LogBERT's mask token.
MASK = 4
N_SPECIAL = 5


def as_key_matrix(X: Any) -> IntMatrix:
    """A 2-D int64 matrix of keys padded with ``PAD_ID``, from such a matrix or a ragged list."""
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise ValueError(f"expected a 2-D matrix of template ids, got shape {X.shape}")
        if X.dtype.kind == "f":
            if not np.all(np.isfinite(X)) or not np.all(np.round(X) == X):
                raise ValueError("template ids must be integers")
        elif X.dtype.kind not in "iu":
            raise ValueError(f"template ids must be integers, got dtype {X.dtype}")
        return X.astype(np.int64, copy=False)
    rows = [list(row) for row in X]
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), max(width, 1)), PAD_ID, dtype=np.int64)
    for i, row in enumerate(rows):
        if row:
            out[i, : len(row)] = np.asarray(row, dtype=np.int64)
    return out


def rows_to_lists(X: IntMatrix) -> list[list[int]]:
    """Ragged lists of keys (padding removed) from a padded matrix."""
    return [[int(k) for k in row if k != PAD_ID] for row in X]


@dataclass(frozen=True, slots=True)
class KeyVocabulary:
    """Known template ids mapped to contiguous token ids after the reserved ones."""

    keys: tuple[int, ...]

    @classmethod
    def from_sequences(cls, sequences: Sequence[Sequence[int]]) -> KeyVocabulary:
        return cls(tuple(sorted({int(k) for seq in sequences for k in seq})))

    @property
    def size(self) -> int:
        """Number of token ids, reserved ones included."""
        return N_SPECIAL + len(self.keys)

    def encode(self, sequences: Sequence[Sequence[int]]) -> list[list[int]]:
        """Token ids of each session's keys; unseen keys become ``UNK``."""
        lookup = {k: i + N_SPECIAL for i, k in enumerate(self.keys)}
        return [[lookup.get(int(k), UNK) for k in seq] for seq in sequences]

    def decode(self, token: int) -> int | None:
        """The template id behind a token, or None for a reserved token."""
        return self.keys[token - N_SPECIAL] if token >= N_SPECIAL else None
