"""The seed's Model 1 metrics of the detection layer, computed whenever labels exist.

One place computes precision, recall, F1 and the false-positive rate, so the CLI report, the
benchmarks and the tests cannot disagree about edge cases. Conventions: a ratio whose
denominator is zero is 0.0 (no predicted positives → precision 0), except that recall with no
positives in the ground truth is also 0.0, and every count is returned so a reader can
recompute. Detection latency is measured in *data* time: from the first anomalous record to
the moment the pipeline had enough data to raise the incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from logswarm.report.model import DetectionMetrics

__all__ = [
    "confusion_counts",
    "detection_latencies",
    "detection_metrics",
    "flagged",
    "fpr_at_recall",
    "throughput",
]


def flagged(predictions: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """``predict`` output (``-1`` outlier, ``+1`` inlier) as booleans (True = anomalous).

    Explicit on purpose: an all-inlier prediction is all ``1``, which would read as "all
    anomalous" under the 0/1 convention.
    """
    a = np.asarray(predictions).ravel()
    values = set(np.unique(a).tolist())
    if not values <= {-1, 1}:
        raise ValueError(f"predictions must be -1/+1, got {sorted(values)}")
    return np.asarray(a == -1, dtype=np.bool_)


def _as_bool(y: npt.ArrayLike, *, name: str) -> npt.NDArray[np.bool_]:
    """Booleans or 0/1 (1 = anomalous); ``-1`` is refused (use :func:`flagged` on ``predict``)."""
    a = np.asarray(y).ravel()
    if a.dtype == np.bool_:
        return a
    values = set(np.unique(a).tolist())
    if values <= {0, 1}:
        return np.asarray(a, dtype=np.bool_)
    raise ValueError(
        f"{name} must be booleans or 0/1 (1 = anomalous), got {sorted(values)}; "
        "convert predict() output with flagged()"
    )


def confusion_counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[int, int, int, int]:
    """``(tp, fp, fn, tn)`` where positive means anomalous."""
    t = _as_bool(y_true, name="y_true")
    p = _as_bool(y_pred, name="y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} items, y_pred {p.size}")
    tp = int(np.count_nonzero(t & p))
    fp = int(np.count_nonzero(~t & p))
    fn = int(np.count_nonzero(t & ~p))
    tn = int(np.count_nonzero(~t & ~p))
    return tp, fp, fn, tn


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def detection_metrics(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    unit: str = "session",
    latencies_seconds: Sequence[float] | None = None,
    incidents_expected: int | None = None,
    incidents_detected: int | None = None,
) -> DetectionMetrics:
    """Precision, recall, F1 and FPR of ``y_pred`` against ``y_true`` (positive = anomalous).

    Both are booleans or 0/1; convert ``predict`` output with :func:`flagged`. ``unit`` says what was
    counted (``window``, ``session``, ``line``, ``incident``).
    """
    tp, fp, fn, tn = confusion_counts(y_true, y_pred)
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    lat = list(latencies_seconds) if latencies_seconds else []
    return DetectionMetrics(
        unit=unit,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        precision=precision,
        recall=recall,
        f1=f1,
        false_positive_rate=_ratio(fp, fp + tn),
        detection_latency_seconds_mean=float(np.mean(lat)) if lat else None,
        detection_latency_seconds_max=float(np.max(lat)) if lat else None,
        incidents_expected=incidents_expected,
        incidents_detected=incidents_detected,
    )


def fpr_at_recall(y_true: npt.ArrayLike, scores: npt.ArrayLike, *, recall: float) -> float:
    """False-positive rate at the highest threshold on ``scores`` that reaches ``recall``.

    For comparing detectors at equal recall (analysis with labels, never a way to set a
    threshold). ``scores``: higher is more abnormal (e.g. ``anomaly_score``). Samples tied with
    the threshold count as flagged, so ties never flatter a detector. ``recall`` 0 gives 0.0.
    """
    t = _as_bool(y_true, name="y_true")
    s = np.asarray(scores, dtype=np.float64).ravel()
    if t.shape != s.shape:
        raise ValueError(f"y_true has {t.size} items, scores {s.size}")
    if not 0.0 <= recall <= 1.0:
        raise ValueError(f"recall must be in [0, 1], got {recall!r}")
    positives = np.sort(s[t])[::-1]
    needed = int(np.ceil(recall * positives.size - 1e-9))
    negatives = s[~t]
    if needed == 0 or negatives.size == 0:
        return 0.0
    threshold = positives[needed - 1]
    return float(np.count_nonzero(negatives >= threshold) / negatives.size)


def detection_latencies(
    first_anomalous: Sequence[datetime], detected: Sequence[datetime | None]
) -> list[float]:
    """Seconds from each ground-truth anomaly's first record to its detection; undetected skipped.

    A detection earlier than the first anomalous record (a window that began before the fault)
    counts as zero latency, not negative.
    """
    if len(first_anomalous) != len(detected):
        raise ValueError("first_anomalous and detected must pair up one to one")
    return [
        max((d - f).total_seconds(), 0.0)
        for f, d in zip(first_anomalous, detected, strict=True)
        if d is not None
    ]


def throughput(count: int, *, seconds: float) -> float:
    """Items per second; ``inf`` when no measurable time elapsed (never a division error)."""
    if seconds <= 0.0:
        return float("inf")
    return count / seconds
