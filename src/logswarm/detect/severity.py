"""From a normalised anomaly score to the seed's Critical / High / Medium / Low.

Why a separate, small module: severity decides who gets paged and which remediations need a
person, so the rule must be explicit, documented and the same everywhere (pipeline, agents,
benchmarks). Detectors only say *how far past their calibrated threshold* a window is; this
module turns that distance, plus the worst record severity in the window and how many
detectors agreed, into a severity.

Rule (:func:`classify_severity`):

1. Base level from the normalised score ``s`` (1.0 is the detector's calibrated threshold):
   ``s >= critical`` (default 4) → Critical, ``s >= high`` (2.5) → High,
   ``s >= medium`` (1.5) → Medium, else Low.
2. One level up when the window holds a record of severity CRITICAL or worse (a fatal log line
   is direct evidence, whatever the statistics say), or when at least ``agreement_bump``
   detectors (default 3) agreed. At most one bump in total.
"""

from __future__ import annotations

from dataclasses import dataclass

from logswarm.incidents import IncidentSeverity
from logswarm.records import Severity

__all__ = ["SeverityThresholds", "classify_severity", "severity_rule"]

_ORDER = (
    IncidentSeverity.LOW,
    IncidentSeverity.MEDIUM,
    IncidentSeverity.HIGH,
    IncidentSeverity.CRITICAL,
)


@dataclass(frozen=True, slots=True)
class SeverityThresholds:
    """Normalised-score cut-offs; the defaults are multiples of the calibrated threshold."""

    #: Half again past the threshold: clearly, not marginally, abnormal.
    medium: float = 1.5
    #: Two and a half times: what the calibration tail of normal data essentially never reaches.
    high: float = 2.5
    #: Four times: far outside anything seen in training.
    critical: float = 4.0
    #: This many agreeing detectors raise the level by one.
    agreement_bump: int = 3


DEFAULT_THRESHOLDS = SeverityThresholds()


def classify_severity(
    score: float,
    *,
    record_severity: Severity | None = None,
    detectors_agreeing: int | None = None,
    thresholds: SeverityThresholds = DEFAULT_THRESHOLDS,
) -> IncidentSeverity:
    """Severity of a window or incident from its normalised score (see the module docstring)."""
    if score >= thresholds.critical:
        level = 3
    elif score >= thresholds.high:
        level = 2
    elif score >= thresholds.medium:
        level = 1
    else:
        level = 0
    bump = (record_severity is not None and record_severity >= Severity.CRITICAL) or (
        detectors_agreeing is not None and detectors_agreeing >= thresholds.agreement_bump
    )
    return _ORDER[min(level + (1 if bump else 0), 3)]


def severity_rule(score: float, worst: Severity, agreeing: int) -> IncidentSeverity:
    """:func:`classify_severity` with the positional signature the incident grouper takes."""
    return classify_severity(score, record_severity=worst, detectors_agreeing=agreeing)
