"""Template-id sequences into the matrices detectors read.

Sessions (an HDFS block, a request, a trace) become sequences of template ids. Classical
detectors read them as event-count vectors (:class:`EventCountVectorizer`, the representation
loglizer uses); sequence detectors read them as a padded id matrix (:func:`pad_sequences`).

The vocabulary is fitted on training sequences only. Ids never seen in training are not
dropped: they are counted in one extra "unknown" column, because a template that never occurred
in normal operation is one of the strongest anomaly signals a log offers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from logswarm.detect.base import PAD_ID

__all__ = ["UNKNOWN_FEATURE", "EventCountVectorizer", "pad_sequences"]

#: Name of the column that counts template ids unseen during ``fit``.
UNKNOWN_FEATURE = "<unknown>"

_FORMAT_VERSION = 1


def pad_sequences(
    sequences: Iterable[Sequence[int]],
    *,
    max_len: int | None = None,
    pad_value: int = PAD_ID,
) -> npt.NDArray[np.int64]:
    """Right-pad integer sequences into one ``(n, max_len)`` matrix.

    ``max_len`` defaults to the longest sequence; longer sequences keep their first
    ``max_len`` ids (the start of a session is where its identity is set up).
    """
    seqs = [list(s) for s in sequences]
    width = max_len if max_len is not None else max((len(s) for s in seqs), default=0)
    out = np.full((len(seqs), width), pad_value, dtype=np.int64)
    for i, s in enumerate(seqs):
        head = s[:width]
        out[i, : len(head)] = head
    return out


class EventCountVectorizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Sequences of template ids → event-count matrix (one row per sequence).

    Columns are the template ids seen during ``fit`` (sorted), then, when ``unknown`` is true,
    one column counting ids never seen during ``fit``.

    Weighting, as in loglizer's feature extractor, optional:

    - ``term_weighting="tf-idf"``: each column is multiplied by
      ``idf = log((1 + N) / (1 + df))`` where ``N`` is the number of training sequences and
      ``df`` the number containing the id. The smoothing (``+1``) keeps the unknown column finite:
      its ``df`` is 0, so it gets the largest weight, ``log(1 + N)``. (loglizer divides by
      ``df + 1e-8`` instead, which blows unseen events up to ~18 + log N.)
    - ``term_weighting="log1p"``: counts become ``log(1 + count)``, damping very long sessions.
    - ``normalization="zero-mean"``: subtract the training column means (what loglizer does
      before PCA). The output is then dense.

    ``sparse=True`` returns a CSR matrix (ignored with zero-mean normalisation).
    """

    def __init__(
        self,
        *,
        unknown: bool = True,
        term_weighting: Literal["tf-idf", "log1p"] | None = None,
        normalization: Literal["zero-mean"] | None = None,
        sparse: bool = False,
    ) -> None:
        self.unknown = unknown
        self.term_weighting = term_weighting
        self.normalization = normalization
        self.sparse = sparse

    # vocabulary_: template id -> column; idf_: per-column weight or None; mean_: column means.
    vocabulary_: dict[Hashable, int]
    idf_: npt.NDArray[np.float64] | None
    mean_: npt.NDArray[np.float64] | None
    n_sequences_fit_: int

    def fit(self, X: Iterable[Sequence[Hashable]], y: Any = None) -> EventCountVectorizer:
        """Learn the vocabulary (and idf / means) from training sequences; ``y`` is ignored."""
        del y
        seqs = _as_sequences(X)
        if self.term_weighting not in (None, "tf-idf", "log1p"):
            raise ValueError(f"unknown term_weighting {self.term_weighting!r}")
        if self.normalization not in (None, "zero-mean"):
            raise ValueError(f"unknown normalization {self.normalization!r}")
        ids: set[Hashable] = set()
        for s in seqs:
            ids.update(s)
        self.vocabulary_ = {tid: col for col, tid in enumerate(sorted(ids, key=_sort_key))}
        self.n_sequences_fit_ = len(seqs)
        self.idf_ = None
        self.mean_ = None
        counts = self._counts(seqs)
        if self.term_weighting == "tf-idf":
            df = np.asarray((counts > 0).sum(axis=0), dtype=np.float64).ravel()
            self.idf_ = np.log((1.0 + len(seqs)) / (1.0 + df))
        if self.normalization == "zero-mean":
            weighted = self._weight(counts)
            self.mean_ = np.asarray(weighted.mean(axis=0), dtype=np.float64).ravel()
        return self

    def transform(self, X: Iterable[Sequence[Hashable]]) -> Any:
        """Event-count matrix of ``X`` (dense ``float64`` ndarray, or CSR when ``sparse``)."""
        check_is_fitted(self, "vocabulary_")
        out = self._weight(self._counts(_as_sequences(X)))
        if self.mean_ is not None:
            return np.asarray(out.toarray(), dtype=np.float64) - self.mean_
        return out if self.sparse else np.asarray(out.toarray(), dtype=np.float64)

    def get_feature_names_out(self, input_features: Any = None) -> npt.NDArray[np.object_]:
        """Column names: ``E<id>`` per template id, then ``<unknown>``."""
        del input_features
        check_is_fitted(self, "vocabulary_")
        names = [f"E{tid}" for tid in self.vocabulary_]
        if self.unknown:
            names.append(UNKNOWN_FEATURE)
        return np.asarray(names, dtype=object)

    @property
    def n_columns(self) -> int:
        """Width of the output matrix."""
        check_is_fitted(self, "vocabulary_")
        return len(self.vocabulary_) + (1 if self.unknown else 0)

    # --- persistence (JSON, never pickle) -----------------------------------------------------

    def to_json(self) -> str:
        """Parameters and learned state as JSON (template ids must be ints or strings)."""
        check_is_fitted(self, "vocabulary_")
        return json.dumps(
            {
                "format": "logswarm.EventCountVectorizer",
                "version": _FORMAT_VERSION,
                "params": self.get_params(),
                "vocabulary": [[tid, col] for tid, col in self.vocabulary_.items()],
                "idf": None if self.idf_ is None else self.idf_.tolist(),
                "mean": None if self.mean_ is None else self.mean_.tolist(),
                "n_sequences_fit": self.n_sequences_fit_,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> EventCountVectorizer:
        """Inverse of :meth:`to_json`."""
        doc = json.loads(text)
        if doc.get("format") != "logswarm.EventCountVectorizer" or doc.get("version") != 1:
            raise ValueError("not a version-1 logswarm.EventCountVectorizer document")
        self = cls(**doc["params"])
        self.vocabulary_ = {tid: int(col) for tid, col in doc["vocabulary"]}
        self.idf_ = None if doc["idf"] is None else np.asarray(doc["idf"], dtype=np.float64)
        self.mean_ = None if doc["mean"] is None else np.asarray(doc["mean"], dtype=np.float64)
        self.n_sequences_fit_ = int(doc["n_sequences_fit"])
        return self

    # --- internals ----------------------------------------------------------------------------

    def _counts(self, seqs: list[Sequence[Hashable]]) -> sp.csr_matrix:
        vocab = self.vocabulary_
        unk = len(vocab)
        width = unk + (1 if self.unknown else 0)
        rows: list[int] = []
        cols: list[int] = []
        for i, s in enumerate(seqs):
            for tid in s:
                col = vocab.get(tid, unk)
                if col == unk and not self.unknown:
                    continue
                rows.append(i)
                cols.append(col)
        data = np.ones(len(rows), dtype=np.float64)
        m = sp.csr_matrix((data, (rows, cols)), shape=(len(seqs), width), dtype=np.float64)
        m.sum_duplicates()
        return m

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        if self.term_weighting == "log1p":
            counts = counts.log1p()
        elif self.term_weighting == "tf-idf" and self.idf_ is not None:
            counts = sp.csr_matrix(counts.multiply(self.idf_.reshape(1, -1)))
        return counts


def _as_sequences(X: Iterable[Sequence[Hashable]]) -> list[Sequence[Hashable]]:
    if isinstance(X, str | bytes):
        raise TypeError("expected an iterable of template-id sequences, got a string")
    seqs = list(X)
    for s in seqs:
        if isinstance(s, str | bytes):
            raise TypeError("each sequence must be a list of template ids, not a string")
    return seqs


def _sort_key(tid: Hashable) -> tuple[int, float, str]:
    # Ints first in numeric order, then anything else by its text: stable column order.
    if isinstance(tid, int | np.integer):
        return (0, float(tid), "")
    return (1, math.inf, str(tid))
