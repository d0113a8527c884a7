"""Scoring an analysis run against its ground truth: the seed's Model 1 metrics of this layer.

Two units are scored, because they answer different questions:

- **windows** (precision, recall, F1, false-positive rate): does the detector flag the
  (stream, minute) windows that hold injected anomalous lines, and only those?
- **incidents** (expected vs detected, detection latency): does every injected incident end
  up in some reported incident, and how long after its first anomalous line (data time)?

A ground-truth incident counts as detected when a reported incident overlaps its time span
and names at least one of its entities (or the truth names none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from logswarm.evaluation.detection import confusion_counts, detection_metrics
from logswarm.incidents import Incident
from logswarm.pipeline.windows import WindowStats
from logswarm.report.model import ConfusionCounts, DetectionMetrics, GroundTruthIncident

__all__ = ["match_ground_truth", "score_against_ground_truth"]

#: A reported incident may start this much before the truth and still match it (window rounding).
_SLACK = timedelta(minutes=2)


def match_ground_truth(
    truth: GroundTruthIncident, incidents: Iterable[Incident]
) -> Incident | None:
    """The earliest-detected reported incident that matches ``truth``, if any."""
    wanted = set(truth.entities)
    best: Incident | None = None
    for inc in incidents:
        if inc.window.end < truth.start - _SLACK or inc.window.start > truth.end + _SLACK:
            continue
        if wanted and not (wanted & inc.entity_values()):
            continue
        if best is None or (inc.detected_at or inc.window.end) < (
            best.detected_at or best.window.end
        ):
            best = inc
    return best


def score_against_ground_truth(
    windows: Sequence[WindowStats],
    flagged_keys: set[str],
    incidents: Sequence[Incident],
    *,
    ground_truth: Sequence[GroundTruthIncident] | None,
    has_line_labels: bool,
    detectors: Sequence[str] = (),
    votes: Sequence[Sequence[str]] | None = None,
) -> DetectionMetrics | None:
    """Window-level confusion counts and incident-level detection latency, or None without labels.

    ``votes`` (per window, which of ``detectors`` scored past their threshold) adds each
    detector's own counts (:attr:`DetectionMetrics.by_detector`).
    """
    if not has_line_labels and not ground_truth:
        return None
    y_true = [w.labelled_anomalous > 0 for w in windows]
    y_pred = [w.key in flagged_keys for w in windows]
    by_detector: dict[str, ConfusionCounts] = {}
    if votes is not None and has_line_labels:
        for name in detectors:
            tp, fp, fn, tn = confusion_counts(y_true, [name in v for v in votes])
            by_detector[name] = ConfusionCounts(tp=tp, fp=fp, fn=fn, tn=tn)
    latencies: list[float] = []
    detected = 0
    for truth in ground_truth or ():
        inc = match_ground_truth(truth, incidents)
        if inc is None:
            continue
        detected += 1
        if inc.detected_at is not None:
            first_bad = min(
                (
                    w.first_labelled_ts
                    for w in windows
                    if w.key in inc.windows and w.first_labelled_ts
                ),
                default=truth.start,
            )
            latencies.append(max((inc.detected_at - first_bad).total_seconds(), 0.0))
    metrics = detection_metrics(
        y_true,
        y_pred,
        unit="window",
        latencies_seconds=latencies,
        incidents_expected=len(ground_truth) if ground_truth is not None else None,
        incidents_detected=detected if ground_truth is not None else None,
    )
    return metrics.model_copy(update={"by_detector": by_detector})
