"""Invariants Mining (Lou et al., USENIX ATC'10): linear count relations normal sessions obey.

Why: a program's control flow ties the counts of its log events together: every block opened
is closed, every "receiving" has its "received", so in a normal HDFS session
``n(E5) = n(E22)``. A session that breaks such a relation is a partial or failed execution,
whatever its other counts look like, and the invariant that broke explains the verdict in one
line (:meth:`InvariantsMiner.describe`). loglizer reports F1 0.915 for it on full HDFS.

How (on the event-count matrix of the training normals, raw integer counts):

1. Candidate invariants are *sparse, small-integer* vectors ``θ`` with ``θ · x = 0``: at most
   ``max_size`` non-zero coefficients, each of magnitude at most ``max_coefficient`` (Lou et
   al. restrict the null space of the count matrix the same way: real program invariants
   relate few events with small ratios, and the restriction makes them readable and keeps
   numerical noise out). Each column set, smallest first, is searched exhaustively; a
   candidate is kept when it holds on at least ``min_support`` of the training sessions.
2. Candidates are accepted in order (fewer events first, then higher support) only if linearly
   independent of those already accepted, so the result is a basis, not a list of implied
   duplicates (``n(A) = n(B)`` and ``n(B) = n(C)`` make ``n(A) = n(C)`` redundant).
3. ``score_samples(x) = -Σ_i |θ_i · x|``: zero for a session that satisfies every invariant,
   one more for each event a relation misses. The threshold is the ``target_fpr`` quantile of
   the training scores (out of fold by default), but never above "any violation": if at most
   ``target_fpr`` of (held-out) training normals violate anything, a session is flagged as
   soon as it violates one invariant, the published rule.

The unknown-template column of :class:`~logswarm.features.EventCountVectorizer` is all zero on
training data, so it yields the invariant ``n(<unknown>) = 0``: a template never seen in normal
operation breaks an invariant.

Persistence is JSON (:meth:`InvariantsMiner.to_json`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.utils.validation import check_is_fitted

from logswarm.detect.base import BaseDetector, FloatArray, calibrate_offset

__all__ = ["Invariant", "InvariantsMiner"]

_FORMAT = "logswarm.InvariantsMiner"
_VERSION = 1
#: Counts are integers, so any real violation is at least 1; this only absorbs float noise.
_ATOL = 1e-6
#: Linear-independence tolerance for the accepted basis.
_RANK_TOL = 1e-8


@dataclass(frozen=True, slots=True)
class Invariant:
    """``Σ coefficients[k] * n(columns[k]) = 0`` on ``support`` of the training sessions."""

    columns: tuple[int, ...]
    coefficients: tuple[int, ...]
    support: float

    def describe(self, names: list[str] | None = None) -> str:
        """Human-readable form, e.g. ``n(E5) = n(E22)`` or ``n(<unknown>) = 0``."""
        label = [names[c] if names is not None else f"x{c}" for c in self.columns]
        left = [(c, n) for c, n in zip(self.coefficients, label, strict=True) if c > 0]
        right = [(-c, n) for c, n in zip(self.coefficients, label, strict=True) if c < 0]

        def side(terms: list[tuple[int, str]]) -> str:
            if not terms:
                return "0"
            return " + ".join(f"n({n})" if c == 1 else f"{c}·n({n})" for c, n in terms)

        return f"{side(left)} = {side(right)}"


def _integer_patterns(size: int, max_coefficient: int) -> npt.NDArray[np.float64]:
    """All coefficient vectors of ``size`` non-zero integers in ``[-c, c]``, up to sign and scale.

    Returned as a ``(size, n_patterns)`` matrix: first entry positive (``θ`` and ``-θ`` are the
    same invariant) and gcd 1 (``2θ`` is ``θ``).
    """
    values = [v for v in range(-max_coefficient, max_coefficient + 1) if v != 0]
    patterns = [
        p
        for p in itertools.product(values, repeat=size)
        if p[0] > 0 and math.gcd(*(abs(v) for v in p)) == 1
    ]
    return np.asarray(patterns, dtype=np.float64).T.reshape(size, -1)


class InvariantsMiner(BaseDetector):
    """Mines sparse integer invariants of normal event counts; flags sessions that break them.

    Parameters:

    - ``min_support``: fraction of training sessions an invariant must hold on (Lou et al.
      tolerate a little noise in "normal" data; 0.98 as in loglizer).
    - ``max_size``: most events one invariant relates (search cost grows as ``d ** max_size``).
    - ``max_coefficient``: largest coefficient magnitude (``n(A) = 3·n(B)`` needs 3).
    - ``max_columns``: for relations of two or more events, only the ``max_columns`` columns
      non-zero in the most training sessions are searched, bounding the cost on wide inputs.
    - ``target_fpr``, ``calibration``, ``calibration_folds``: as for every detector
      (:mod:`logswarm.detect.base`).
    """

    def __init__(
        self,
        *,
        min_support: float = 0.98,
        max_size: int = 3,
        max_coefficient: int = 3,
        max_columns: int = 48,
        target_fpr: float = 0.01,
        calibration: Literal["in_sample", "out_of_fold"] = "out_of_fold",
        calibration_folds: int = 5,
    ) -> None:
        self.min_support = min_support
        self.max_size = max_size
        self.max_coefficient = max_coefficient
        self.max_columns = max_columns
        self.target_fpr = target_fpr
        self.calibration = calibration
        self.calibration_folds = calibration_folds

    #: The accepted invariants, in acceptance order.
    invariants_: list[Invariant]
    #: ``(n_invariants, n_features_in_)`` coefficient matrix used for scoring.
    theta_: FloatArray

    # --- learning --------------------------------------------------------------------------

    def _fit(self, X: FloatArray) -> FloatArray:
        if not 0.0 < self.min_support <= 1.0:
            raise ValueError(f"min_support must be in (0, 1], got {self.min_support!r}")
        if self.max_size < 1 or self.max_coefficient < 1 or self.max_columns < 1:
            raise ValueError("max_size, max_coefficient and max_columns must be at least 1")
        rows, counts = np.unique(X, axis=0, return_counts=True)
        weights = counts.astype(np.float64) / float(counts.sum())
        d = X.shape[1]
        candidates: list[Invariant] = []
        for size in range(1, min(self.max_size, d) + 1):
            candidates += self._search(rows, weights, size)
        self.invariants_ = _independent(candidates, d)
        self.theta_ = np.zeros((len(self.invariants_), d), dtype=np.float64)
        for i, inv in enumerate(self.invariants_):
            self.theta_[i, list(inv.columns)] = inv.coefficients
        return self._score(X)

    def _search(self, rows: FloatArray, weights: FloatArray, size: int) -> list[Invariant]:
        """Every ``size``-event candidate holding on ``min_support``, best support first."""
        d = rows.shape[1]
        if size == 1:
            columns = list(range(d))
        else:
            nonzero = weights @ (np.abs(rows) > _ATOL)
            active = [int(c) for c in np.argsort(-nonzero, kind="stable") if nonzero[c] > 0]
            columns = sorted(active[: self.max_columns])
        patterns = _integer_patterns(size, int(self.max_coefficient))
        found: list[Invariant] = []
        for combo in itertools.combinations(columns, size):
            residual = rows[:, combo] @ patterns
            support = weights @ (np.abs(residual) <= _ATOL)
            for j in np.flatnonzero(support >= self.min_support - 1e-12):
                coef = tuple(int(v) for v in patterns[:, j])
                found.append(Invariant(combo, coef, float(min(support[j], 1.0))))
        found.sort(key=lambda inv: (-inv.support, inv.columns, inv.coefficients))
        return found

    # --- scoring and calibration -----------------------------------------------------------

    def _score(self, X: FloatArray) -> FloatArray:
        if self.theta_.shape[0] == 0:
            return np.zeros(X.shape[0], dtype=np.float64)
        violation = np.abs(X @ self.theta_.T)
        violation[violation <= _ATOL] = 0.0
        out: FloatArray = -violation.sum(axis=1)
        return out

    def _calibrate(self, train_scores: FloatArray) -> None:
        offset, scale = calibrate_offset(train_scores, target_fpr=float(self.target_fpr))
        median = offset + scale
        # Never tolerate less than "no violation at all": one broken relation is the rule.
        self.offset_ = min(offset, -0.5)
        self.score_scale_ = max(median - self.offset_, 1e-12)

    def violated(self, X: Any) -> list[list[Invariant]]:
        """Per sample, the invariants it breaks (the evidence behind a verdict)."""
        check_is_fitted(self)
        Xv = self._validate(X, reset=False)
        if self.theta_.shape[0] == 0:
            return [[] for _ in range(Xv.shape[0])]
        broken = np.abs(Xv @ self.theta_.T) > _ATOL
        return [[self.invariants_[i] for i in np.flatnonzero(row)] for row in broken]

    def describe(self, names: list[str] | None = None) -> list[str]:
        """Every accepted invariant as text, e.g. with ``vectorizer.get_feature_names_out()``."""
        check_is_fitted(self)
        return [inv.describe(names) for inv in self.invariants_]

    # --- persistence -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Parameters, invariants and threshold as a JSON-serialisable dict."""
        check_is_fitted(self)
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "params": self.get_params(),
            "n_features_in": self.n_features_in_,
            "offset": self.offset_,
            "score_scale": self.score_scale_,
            "invariants": [
                {
                    "columns": list(i.columns),
                    "coefficients": list(i.coefficients),
                    "support": i.support,
                }
                for i in self.invariants_
            ],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> InvariantsMiner:
        """Inverse of :meth:`to_json`."""
        if doc.get("format") != _FORMAT or doc.get("version") != _VERSION:
            raise ValueError(f"not a version-{_VERSION} {_FORMAT} document")
        self = cls(**doc["params"])
        d = int(doc["n_features_in"])
        self.n_features_in_ = d
        self.invariants_ = [
            Invariant(
                tuple(int(c) for c in i["columns"]),
                tuple(int(c) for c in i["coefficients"]),
                float(i["support"]),
            )
            for i in doc["invariants"]
        ]
        self.theta_ = np.zeros((len(self.invariants_), d), dtype=np.float64)
        for k, inv in enumerate(self.invariants_):
            if any(not 0 <= c < d for c in inv.columns):
                raise ValueError(f"invariant {k} refers to a column outside 0..{d - 1}")
            self.theta_[k, list(inv.columns)] = inv.coefficients
        self.offset_ = float(doc["offset"])
        self.score_scale_ = float(doc["score_scale"])
        return self


def _independent(candidates: list[Invariant], d: int) -> list[Invariant]:
    """Candidates, in order, that are not linear combinations of those accepted before them."""
    basis = np.zeros((0, d), dtype=np.float64)  # orthonormal rows
    accepted: list[Invariant] = []
    for inv in candidates:
        if basis.shape[0] >= d:
            break
        v = np.zeros(d, dtype=np.float64)
        v[list(inv.columns)] = inv.coefficients
        r = v - basis.T @ (basis @ v)
        norm = float(np.linalg.norm(r))
        if norm > _RANK_TOL * float(np.linalg.norm(v)):
            basis = np.vstack([basis, r / norm])
            accepted.append(inv)
    return accepted
