"""Fusing several calibrated detectors into one verdict that raises fewer false alarms.

Each detector errs on different normal samples (a forest on rare-but-benign vectors, PCA on
unusually long sessions...). Requiring agreement removes the errors they do not share, while a
real anomaly usually looks abnormal to several of them. The consensus is itself a
:class:`~logswarm.detect.base.BaseDetector`, so it nests, calibrates and plugs in anywhere a
single detector does.

Rules (``rule``):

- ``"vote"`` (default): flagged iff at least ``min_votes`` members flag it (each member at its
  own calibrated threshold, i.e. member ``anomaly_score > 1``). The continuous score is the
  ``min_votes``-th largest member anomaly score, which is above 1 exactly when enough members
  vote, so ``score_samples`` and ``predict`` agree. No extra calibration: the fused false-
  positive rate on training normals is at most the ``min_votes``-th smallest member rate.
- ``"mean"``: the mean of the members' normalised anomaly scores, thresholded at the
  ``target_fpr`` quantile of the training samples' means (training normals only).

:meth:`ConsensusDetector.contributions` returns each member's normalised score per sample, so
an incident can list which detectors agreed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from logswarm.detect.base import BaseDetector, FloatArray

__all__ = ["ConsensusDetector"]


class ConsensusDetector(BaseDetector):
    """k-of-n vote (or mean) over named member detectors; members are cloned at ``fit``."""

    def __init__(
        self,
        detectors: Sequence[tuple[str, BaseDetector]] = (),
        *,
        rule: Literal["vote", "mean"] = "vote",
        min_votes: int = 2,
        target_fpr: float = 0.01,
        calibration: Literal["in_sample", "out_of_fold"] = "in_sample",
        calibration_folds: int = 5,
    ) -> None:
        self.detectors = detectors
        self.rule = rule
        self.min_votes = min_votes
        self.target_fpr = target_fpr
        self.calibration = calibration
        self.calibration_folds = calibration_folds

    detectors_: list[tuple[str, BaseDetector]]

    def _fit(self, X: Any) -> FloatArray:
        members = list(self.detectors)
        if not members:
            raise ValueError("ConsensusDetector needs at least one member detector")
        names = [name for name, _ in members]
        if len(set(names)) != len(names):
            raise ValueError(f"member names must be unique, got {names}")
        if self.rule not in ("vote", "mean"):
            raise ValueError(f"unknown rule {self.rule!r}; expected 'vote' or 'mean'")
        if self.rule == "vote" and not 1 <= self.min_votes <= len(members):
            raise ValueError(f"min_votes must be in [1, {len(members)}], got {self.min_votes}")
        self.detectors_ = [(name, clone(det).fit(X)) for name, det in members]
        return self._score(X)

    def _calibrate(self, train_scores: FloatArray) -> None:
        if self.rule == "vote":
            # The k-th largest member score is above 1 exactly when k members flag.
            self.offset_, self.score_scale_ = -1.0, 1.0
        else:
            super()._calibrate(train_scores)

    def _score(self, X: Any) -> FloatArray:
        contrib = self._matrix(X)
        if self.rule == "vote":
            kth = -np.sort(-contrib, axis=1)[:, self.min_votes - 1]
            return -kth
        mean: FloatArray = contrib.mean(axis=1)
        return -mean

    def contributions(self, X: Any) -> dict[str, FloatArray]:
        """Each member's normalised anomaly score per sample (> 1 means that member flags it)."""
        check_is_fitted(self)
        Xv = self._validate(X, reset=False)
        return {name: det.anomaly_score(Xv) for name, det in self.detectors_}

    def agreeing(self, X: Any) -> list[list[str]]:
        """Per sample, the names of the members that flag it (the incident's ``detectors_agreed``)."""
        contrib = self.contributions(X)
        names = list(contrib)
        flags = np.column_stack([contrib[n] > 1.0 for n in names]) if names else None
        if flags is None:
            return []
        return [[n for n, f in zip(names, row, strict=True) if f] for row in flags]

    def _matrix(self, X: Any) -> npt.NDArray[np.float64]:
        return np.column_stack([det.anomaly_score(X) for _, det in self.detectors_])
