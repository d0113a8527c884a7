"""Detection metrics on hand-computed examples, including the degenerate cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from logswarm.evaluation.detection import (
    confusion_counts,
    detection_latencies,
    detection_metrics,
    flagged,
    fpr_at_recall,
    throughput,
)


def test_hand_computed_example() -> None:
    # truth:  A A A N N N N N ; pred: A A N A N N N N -> tp 2, fn 1, fp 1, tn 4
    y_true = [1, 1, 1, 0, 0, 0, 0, 0]
    y_pred = [True, True, False, True, False, False, False, False]
    assert confusion_counts(y_true, y_pred) == (2, 1, 1, 4)
    m = detection_metrics(y_true, y_pred, unit="line")
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.false_positive_rate == pytest.approx(1 / 5)
    assert m.unit == "line"


def test_nothing_predicted_gives_zero_not_nan() -> None:
    m = detection_metrics([1, 0], [0, 0])
    assert (m.precision, m.recall, m.f1, m.false_positive_rate) == (0.0, 0.0, 0.0, 0.0)


def test_all_inlier_predict_output_is_not_read_as_all_anomalous() -> None:
    assert not flagged(np.ones(3, dtype=int)).any()
    with pytest.raises(ValueError, match="flagged"):
        detection_metrics([1, 0], [-1, 1])


def test_latency_is_data_time_and_skips_undetected() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    lat = detection_latencies(
        [t0, t0, t0], [t0 + timedelta(seconds=30), None, t0 - timedelta(seconds=5)]
    )
    assert lat == [30.0, 0.0]
    m = detection_metrics([1], [1], latencies_seconds=lat)
    assert m.detection_latency_seconds_mean == 15.0
    assert m.detection_latency_seconds_max == 30.0


def test_throughput() -> None:
    assert throughput(1000, seconds=2.0) == 500.0
    assert throughput(10, seconds=0.0) == float("inf")


def test_fpr_at_recall_reads_the_threshold_that_reaches_the_recall() -> None:
    y = [1, 1, 1, 1, 0, 0, 0, 0, 0]
    s = [9.0, 8.0, 3.0, 1.0, 7.0, 2.0, 1.0, 0.0, 0.0]
    assert fpr_at_recall(y, s, recall=0.5) == 0.0  # 9 and 8 suffice
    assert fpr_at_recall(y, s, recall=0.75) == pytest.approx(1 / 5)  # down to 3: the 7 too
    assert fpr_at_recall(y, s, recall=1.0) == pytest.approx(3 / 5)  # tie at 1 counts as flagged
    assert fpr_at_recall(y, s, recall=0.0) == 0.0
    with pytest.raises(ValueError, match="recall"):
        fpr_at_recall(y, s, recall=1.5)
