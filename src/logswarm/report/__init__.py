"""Reports of an analysis run: the model (:mod:`.model`) and its renderers."""

from __future__ import annotations

from logswarm.report.model import (
    AnalysisReport,
    DetectionMetrics,
    GroundTruthIncident,
    InputSummary,
    ScorePoint,
    TemplateSummary,
)

__all__ = [
    "AnalysisReport",
    "DetectionMetrics",
    "GroundTruthIncident",
    "InputSummary",
    "ScorePoint",
    "TemplateSummary",
]
