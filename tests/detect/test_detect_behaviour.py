"""Detectors find what they should, calibrate as documented, and the consensus cuts false alarms."""

from __future__ import annotations

import json

import numpy as np
import pytest

from logswarm.detect import (
    BaseDetector,
    ConsensusDetector,
    IsolationForestDetector,
    LocalOutlierFactorDetector,
    OneClassSVMDetector,
    PCADetector,
    UnseenVectorDetector,
    calibrate_offset,
)
from logswarm.evaluation.detection import flagged


def _normal(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, size=(n, 4))


@pytest.mark.parametrize(
    "det",
    [
        IsolationForestDetector(random_state=0),
        OneClassSVMDetector(),
        LocalOutlierFactorDetector(),
        PCADetector(n_components=2),
    ],
    ids=lambda d: type(d).__name__,
)
def test_injected_anomaly_is_flagged_and_normals_are_not(det: BaseDetector) -> None:
    train = _normal(400, seed=1)
    test = np.vstack([_normal(200, seed=2), [[9.0, -9.0, 9.0, -9.0]]])
    pred = flagged(det.fit(train).predict(test))
    assert pred[-1]
    # Out-of-fold calibration (the default) keeps One-Class SVM near target on new normals too;
    # its in-sample optimism is covered in test_detect_calibration.py.
    assert pred[:-1].mean() < 0.05
    assert det.anomaly_score(test)[-1] > 1.0


@pytest.mark.parametrize("target", [0.01, 0.05, 0.2])
def test_calibration_respects_target_fpr_on_training_data(target: float) -> None:
    train = _normal(1000, seed=3)
    det = IsolationForestDetector(target_fpr=target, random_state=0).fit(train)
    train_fpr = flagged(det.predict(train)).mean()
    assert train_fpr <= target
    assert train_fpr >= target - 0.01  # continuous scores: the quantile is met, not undershot


def test_calibrate_offset_ties_never_exceed_the_target() -> None:
    scores = np.array([0.0] * 50 + [1.0] * 950)
    offset, scale = calibrate_offset(scores, target_fpr=0.01)
    assert (scores < offset).mean() <= 0.01
    assert scale > 0


def test_anomaly_score_is_one_at_threshold_and_zero_at_median() -> None:
    # In-sample calibration, so the calibration scores are the scores recomputed here.
    det = PCADetector(n_components=1, calibration="in_sample").fit(_normal(301, seed=4))
    s = det.score_samples(_normal(301, seed=4))
    # Sample whose score is the training median has anomaly score 0.
    med_idx = int(np.argsort(s)[len(s) // 2])
    x = _normal(301, seed=4)[[med_idx]]
    assert det.anomaly_score(x)[0] == pytest.approx(0.0, abs=1e-9)
    assert 1.0 - det.decision_function(x)[0] / det.score_scale_ == pytest.approx(0.0, abs=1e-9)


def test_unseen_vector_flags_exactly_the_new_vectors() -> None:
    train = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    test = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 3.0], [5.0, 5.0]])
    det = UnseenVectorDetector().fit(train)
    assert flagged(det.predict(test)).tolist() == [False, False, True, True]
    assert det.anomaly_score(test).tolist() == [1.0, 1.0, 2.0, 9.0]


def test_unseen_vector_json_round_trip() -> None:
    det = UnseenVectorDetector(tolerance=1.0).fit(np.array([[1.0, 2.0], [3.0, 4.0]]))
    doc = json.loads(json.dumps(det.to_json()))
    back = UnseenVectorDetector.from_json(doc)
    X = np.array([[1.0, 2.0], [1.0, 3.0], [9.0, 9.0]])
    assert back.predict(X).tolist() == det.predict(X).tolist() == [1, 1, -1]


def test_consensus_vote_removes_false_positives_no_single_member_shares() -> None:
    # Each member sees only one feature; the anomaly is extreme on both, while each normal
    # outlier is extreme on one feature only: a single member flags it, the vote does not.
    rng = np.random.default_rng(7)
    train = rng.normal(size=(500, 2))
    odd_a = [[6.0, 0.0]]
    odd_b = [[0.0, 6.0]]
    anomaly = [[6.0, 6.0]]
    test = np.vstack([rng.normal(size=(200, 2)), odd_a, odd_b, anomaly])

    class OneFeature(PCADetector):
        def __init__(self, *, feature: int = 0, target_fpr: float = 0.01) -> None:
            self.feature = feature
            self.target_fpr = target_fpr
            self.n_components = 0

        def _fit(self, X: np.ndarray) -> np.ndarray:
            self.mean_ = X.mean(axis=0)
            self.components_ = np.zeros((0, X.shape[1]))
            return self._score(X)

        def _score(self, X: np.ndarray) -> np.ndarray:
            return -np.abs(X[:, self.feature] - self.mean_[self.feature])

    members = [("a", OneFeature(feature=0)), ("b", OneFeature(feature=1))]
    consensus = ConsensusDetector(members, rule="vote", min_votes=2).fit(train)
    single_fp = sum(
        int(flagged(OneFeature(feature=f).fit(train).predict(test))[:-1].sum()) for f in (0, 1)
    )
    pred = flagged(consensus.predict(test))
    assert pred[-1]
    assert pred[:-1].sum() < single_fp
    assert not pred[-3]
    assert not pred[-2]
    agreed = consensus.agreeing(test)
    assert agreed[-1] == ["a", "b"]
    assert agreed[-3] == ["a"]
    assert set(consensus.contributions(test)) == {"a", "b"}


def test_consensus_rejects_bad_configuration() -> None:
    X = _normal(50, seed=0)
    with pytest.raises(ValueError, match="min_votes"):
        ConsensusDetector([("p", PCADetector())], min_votes=2).fit(X)
    with pytest.raises(ValueError, match="unique"):
        ConsensusDetector([("p", PCADetector()), ("p", PCADetector())]).fit(X)
    with pytest.raises(ValueError, match="at least one"):
        ConsensusDetector([]).fit(X)
