"""Anomaly detectors: every one a calibrated scikit-learn outlier estimator.

The seam between features (:mod:`logswarm.features`) and incidents: detectors take feature
matrices, and return scores with one polarity and one normalisation, so the consensus, the
severity rule and the incident builder never care which detector spoke. Conventions are in
:mod:`logswarm.detect.base`; deep detectors live in :mod:`logswarm.detect.deep` (optional
``deep`` extra) and follow the same contract.
"""

from __future__ import annotations

from logswarm.detect.base import (
    CALIBRATION_MODES,
    PAD_ID,
    BaseDetector,
    calibrate_offset,
    out_of_fold_scores,
)
from logswarm.detect.classical import (
    IsolationForestDetector,
    LocalOutlierFactorDetector,
    OneClassSVMDetector,
    PCADetector,
    UnseenVectorDetector,
)
from logswarm.detect.consensus import ConsensusDetector
from logswarm.detect.invariants import Invariant, InvariantsMiner
from logswarm.detect.lines import TemplateRarityScorer
from logswarm.detect.severity import SeverityThresholds, classify_severity, severity_rule

__all__ = [
    "CALIBRATION_MODES",
    "PAD_ID",
    "BaseDetector",
    "ConsensusDetector",
    "Invariant",
    "InvariantsMiner",
    "IsolationForestDetector",
    "LocalOutlierFactorDetector",
    "OneClassSVMDetector",
    "PCADetector",
    "SeverityThresholds",
    "TemplateRarityScorer",
    "UnseenVectorDetector",
    "calibrate_offset",
    "classify_severity",
    "out_of_fold_scores",
    "severity_rule",
]
