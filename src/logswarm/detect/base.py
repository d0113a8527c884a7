"""The estimator conventions every LogSwarm detector follows, classical or deep.

Why a shared base: the pipeline, the :class:`~logswarm.detect.consensus.ConsensusDetector` and
the benchmarks treat every detector the same way, so they must all speak one contract. That
contract is scikit-learn's outlier-detector contract, plus a calibrated threshold and a
normalised score that incidents can carry.

Conventions (deep detectors in :mod:`logswarm.detect.deep` follow them too):

1. ``__init__`` only stores its keyword arguments, unchanged, under the same names (so
   ``get_params`` / ``set_params`` / ``clone`` work). No validation, no work.
2. ``fit(X, y=None)`` validates ``X``, learns, calibrates the threshold and returns ``self``.
   ``y`` is ignored: detectors are unsupervised and are fitted on *normal* data only. Every
   learned attribute ends in ``_`` and ``n_features_in_`` is set.
3. Randomness comes only from the ``random_state`` parameter.
4. Polarity is scikit-learn's: ``score_samples`` is higher for more normal samples;
   ``decision_function(X) = score_samples(X) - offset_`` is negative for outliers;
   ``predict`` returns ``-1`` for outliers and ``+1`` for inliers.
5. **Calibration on training normals only.** ``offset_`` is the ``target_fpr`` quantile of the
   scores of the training samples, so that at most about ``target_fpr`` of the training normals
   fall below it. Benchmark labels are never used to choose a threshold. A detector whose
   in-sample scores are optimistic (One-Class SVM draws its boundary through its own support
   vectors, PCA fits its subspace to the rows it then measures) may declare a ``calibration``
   parameter: with ``calibration="out_of_fold"`` the scores calibrated on are cross-fitted
   (:func:`out_of_fold_scores`: each training sample is scored by a copy fitted on the other
   ``calibration_folds - 1`` folds), so the threshold meets ``target_fpr`` on *new* normals,
   not on the ones the model has already seen. The final model is still fitted on every sample.
6. ``anomaly_score(X)`` is the normalised score incidents carry
   (:class:`logswarm.incidents.DetectorScore`): higher is more abnormal, ``1.0`` is the
   calibrated threshold, ``0.0`` is the median training sample. A sample is flagged exactly
   when its anomaly score is above 1.
7. Input: a 2-D numeric array (or scipy sparse matrix where the detector's tags say so).
   Classical detectors take event-count / window feature vectors
   (:class:`logswarm.features.EventCountVectorizer`, :class:`logswarm.features.WindowFeatures`).
   Sequence detectors take a 2-D integer matrix of template ids, right-padded with
   :data:`PAD_ID` (see :func:`logswarm.features.pad_sequences`).
8. Persistence, where a detector offers it, is JSON (``to_json`` / ``from_json``): never pickle.

Subclasses implement :meth:`BaseDetector._fit` (learn, then return the training samples'
scores, out-of-sample where the method allows it) and :meth:`BaseDetector._score` (scores of
already-validated samples). :meth:`fit`, :meth:`score_samples`, :meth:`decision_function`,
:meth:`predict` and :meth:`anomaly_score` come from the base.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "CALIBRATION_MODES",
    "PAD_ID",
    "BaseDetector",
    "FloatArray",
    "calibrate_offset",
    "out_of_fold_scores",
]

#: Padding value for sequence matrices. Template ids are non-negative, so ``-1`` never collides.
PAD_ID = -1

FloatArray = npt.NDArray[np.float64]

#: Values of a detector's ``calibration`` parameter (see the module docstring, point 5).
CALIBRATION_MODES = ("in_sample", "out_of_fold")

#: Floor of the score scale, so a detector whose training scores are all equal still divides.
_MIN_SCALE = 1e-12


def calibrate_offset(train_scores: npt.ArrayLike, *, target_fpr: float) -> tuple[float, float]:
    """The threshold and scale that put ``target_fpr`` of the training scores below the threshold.

    Returns ``(offset, scale)``: ``offset`` is the ``target_fpr`` quantile of the scores
    (lower quantile, so ties never push more than the target below it), ``scale`` is the distance
    from that threshold to the median score, used to normalise scores into ``anomaly_score``.
    """
    scores = np.asarray(train_scores, dtype=np.float64).ravel()
    if scores.size == 0:
        raise ValueError("cannot calibrate a threshold on zero training scores")
    if not 0.0 <= target_fpr < 1.0:
        raise ValueError(f"target_fpr must be in [0, 1), got {target_fpr!r}")
    finite = scores[np.isfinite(scores)]
    if finite.size == 0:
        raise ValueError("every training score is infinite or NaN")
    offset = float(np.quantile(finite, target_fpr, method="lower"))
    scale = max(float(np.median(finite)) - offset, _MIN_SCALE)
    return offset, scale


def out_of_fold_scores(detector: BaseDetector, X: Any, *, n_folds: int) -> FloatArray:
    """Cross-fitted training scores: sample ``i`` scored by a copy fitted without its fold.

    Folds are strided (sample ``i`` goes to fold ``i % n_folds``), so the result is
    deterministic and each fold spans the whole training period. ``X`` must already be
    validated (``detector._validate``); the copies come from ``detector._fold_estimator()``
    (unfitted clones, with any size the fitted detector chose pinned) and ``detector`` itself
    is left untouched. With fewer than two samples per fold the folds
    would be too thin to mean anything, so the in-sample scores of one fit are returned.
    """
    if n_folds < 2:
        raise ValueError(f"calibration_folds must be at least 2, got {n_folds!r}")
    n = X.shape[0]
    if n < 2 * n_folds:
        return np.asarray(clone(detector)._fit(X), dtype=np.float64)
    fold = np.arange(n) % n_folds
    out = np.empty(n, dtype=np.float64)
    for k in range(n_folds):
        held = np.flatnonzero(fold == k)
        kept = np.flatnonzero(fold != k)
        copy = detector._fold_estimator()
        copy._fit(X[kept])
        out[held] = np.asarray(copy._score(X[held]), dtype=np.float64)
    return out


class BaseDetector(OutlierMixin, BaseEstimator):  # type: ignore[misc]
    """Template for a calibrated, unsupervised outlier detector (see the module docstring).

    Subclasses declare their parameters in ``__init__`` (including ``target_fpr``) and implement
    :meth:`_fit` and :meth:`_score`. They may override :meth:`_validate` to accept other
    input (sparse, integer sequences). A subclass that also declares ``calibration`` (one of
    :data:`CALIBRATION_MODES`) and ``calibration_folds`` gets cross-fitted calibration from
    :meth:`fit` when ``calibration="out_of_fold"``; without them, calibration is in-sample.
    """

    #: Learned by :meth:`fit`: threshold on ``score_samples``.
    offset_: float
    #: Learned by :meth:`fit`: median training score minus ``offset_``.
    score_scale_: float
    n_features_in_: int

    target_fpr: float

    # --- what subclasses implement -------------------------------------------------------

    @abstractmethod
    def _fit(self, X: Any) -> npt.NDArray[np.float64]:
        """Learn from validated ``X``; return the training samples' scores (higher is normal)."""

    @abstractmethod
    def _score(self, X: Any) -> npt.NDArray[np.float64]:
        """Scores of validated ``X`` (higher is more normal)."""

    def _fold_estimator(self) -> BaseDetector:
        """An unfitted copy for one fold of out-of-fold calibration (called after ``_fit``).

        Override to pin what the full fit chose from the data (PCA's number of components),
        so the folds score the same model family the threshold will be applied to.
        """
        copy: BaseDetector = clone(self)
        return copy

    def _validate(self, X: Any, *, reset: bool) -> Any:
        """Validate ``X`` (dense float by default); ``reset`` is True during ``fit``."""
        return validate_data(self, X, reset=reset, dtype=np.float64)

    # --- the contract ----------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None) -> BaseDetector:
        """Learn from (normal) ``X``, calibrate ``offset_`` at ``target_fpr``; ``y`` is ignored."""
        del y
        mode = getattr(self, "calibration", "in_sample")
        if mode not in CALIBRATION_MODES:
            raise ValueError(f"calibration must be one of {CALIBRATION_MODES}, got {mode!r}")
        Xv = self._validate(X, reset=True)
        if mode == "out_of_fold":
            folds = int(getattr(self, "calibration_folds", 5))
            self._fit(Xv)
            train_scores = out_of_fold_scores(self, Xv, n_folds=folds)
        else:
            train_scores = np.asarray(self._fit(Xv), dtype=np.float64)
        self._calibrate(train_scores)
        return self

    def _calibrate(self, train_scores: FloatArray) -> None:
        """Set ``offset_`` and ``score_scale_`` from training scores (override for fixed rules)."""
        self.offset_, self.score_scale_ = calibrate_offset(
            train_scores, target_fpr=float(self.target_fpr)
        )

    def score_samples(self, X: Any) -> FloatArray:
        """Higher is more normal; not shifted by the threshold."""
        check_is_fitted(self)
        return np.asarray(self._score(self._validate(X, reset=False)), dtype=np.float64)

    def decision_function(self, X: Any) -> FloatArray:
        """``score_samples(X) - offset_``: negative for outliers."""
        return self.score_samples(X) - self.offset_

    def predict(self, X: Any) -> npt.NDArray[np.int_]:
        """``-1`` for outliers, ``+1`` for inliers."""
        return np.where(self.decision_function(X) < 0, -1, 1)

    def anomaly_score(self, X: Any) -> FloatArray:
        """Normalised score: higher is more abnormal, 1 at the threshold, 0 at the median normal.

        Clipped below at 0: how *normal* a sample is carries no information for an incident.
        """
        d = self.decision_function(X)
        return np.maximum(1.0 - d / self.score_scale_, 0.0)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        return tags
