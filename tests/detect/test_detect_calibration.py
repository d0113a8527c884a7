"""Out-of-fold calibration: thresholds set on sessions the model has not seen."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from logswarm.detect import (
    BaseDetector,
    LocalOutlierFactorDetector,
    OneClassSVMDetector,
    PCADetector,
    out_of_fold_scores,
)
from logswarm.evaluation.detection import flagged


def _held_out_fpr(det: BaseDetector, seeds: range) -> float:
    rates = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        train, new = rng.normal(size=(400, 4)), rng.normal(size=(4000, 4))
        rates.append(flagged(det.fit(train).predict(new)).mean())
    return float(np.mean(rates))


def test_one_class_svm_in_sample_calibration_is_optimistic_and_out_of_fold_fixes_it() -> None:
    in_sample = _held_out_fpr(OneClassSVMDetector(calibration="in_sample"), range(3))
    out_of_fold = _held_out_fpr(OneClassSVMDetector(calibration="out_of_fold"), range(3))
    assert in_sample > 0.05  # the boundary runs through the support vectors
    assert out_of_fold < 0.03  # near the 1 % target on new normals


@pytest.mark.parametrize(
    "make",
    [
        lambda cal: OneClassSVMDetector(calibration=cal),
        lambda cal: PCADetector(n_components=2, calibration=cal),
    ],
    ids=["ocsvm", "pca"],
)
def test_out_of_fold_threshold_is_no_less_strict_than_in_sample(
    make: Callable[[str], BaseDetector],
) -> None:
    train = np.random.default_rng(11).normal(size=(300, 4))
    in_sample = make("in_sample").fit(train)
    out_of_fold = make("out_of_fold").fit(train)
    # Same final model, different threshold: held-out scores are lower, so is the offset.
    np.testing.assert_allclose(in_sample.score_samples(train), out_of_fold.score_samples(train))
    assert out_of_fold.offset_ <= in_sample.offset_ + 1e-12


def test_out_of_fold_scores_come_from_models_that_never_saw_the_sample() -> None:
    # Every row distinct and far apart: held out, each is unseen; in sample, each is a centre.
    X = np.arange(20, dtype=np.float64).reshape(10, 2) * 100.0
    det = LocalOutlierFactorDetector(n_neighbors=2)
    oof = out_of_fold_scores(det, X, n_folds=5)
    folds = np.arange(10) % 5
    for k in range(5):
        model = LocalOutlierFactorDetector(n_neighbors=2, calibration="in_sample")
        model.fit(X[folds != k])
        np.testing.assert_allclose(oof[folds == k], model.score_samples(X[folds == k]))
    assert not hasattr(det, "offset_")  # the detector passed in is left unfitted


def test_pca_folds_keep_the_number_of_components_the_full_fit_chose() -> None:
    X = np.random.default_rng(5).normal(size=(200, 3)) * np.array([10.0, 5.0, 0.1])
    det = PCADetector(n_components=0.9).fit(X)
    k = det.components_.shape[0]
    assert det._fold_estimator().get_params()["n_components"] == k
    assert PCADetector(n_components=0.9).get_params()["n_components"] == 0.9


def test_too_few_samples_fall_back_to_in_sample_scores() -> None:
    X = np.random.default_rng(0).normal(size=(6, 2))
    scores = out_of_fold_scores(PCADetector(n_components=1), X, n_folds=5)
    fitted = PCADetector(n_components=1, calibration="in_sample").fit(X)
    np.testing.assert_allclose(scores, fitted.score_samples(X))


def test_bad_calibration_settings_are_refused() -> None:
    X = np.random.default_rng(0).normal(size=(40, 2))
    with pytest.raises(ValueError, match="calibration must be one of"):
        PCADetector(calibration="sometimes").fit(X)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 2"):
        PCADetector(calibration_folds=1).fit(X)
