"""The analysis report: what ``logswarm analyze`` writes and what every renderer reads.

One pydantic model, so the JSON report is the schema of record and the Markdown / HTML
renderers (:mod:`logswarm.report.render`) are pure functions of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from logswarm.incidents import Incident

__all__ = [
    "AnalysisReport",
    "DetectionMetrics",
    "GroundTruthIncident",
    "InputSummary",
    "ScorePoint",
    "TemplateSummary",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputSummary(_Model):
    """What was read, and what could not be."""

    paths: list[str]
    format: str = Field(description="The format override, or 'auto'")
    lines_read: int
    records: int
    duplicates_dropped: int = 0
    dead_letters: int
    dead_letter_path: str | None = None
    #: Record count per source kind (``cloudtrail``, ``vpcflow``, ...).
    by_source: dict[str, int] = Field(default_factory=dict)
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None


class TemplateSummary(_Model):
    template_id: int
    template: str
    count: int


class ScorePoint(_Model):
    """The anomaly score of one window, for the score-over-time plot."""

    t: datetime
    score: float
    flagged: bool
    label: bool | None = None


class DetectionMetrics(_Model):
    """The seed's Model 1 metrics of the detection layer, when labels exist."""

    unit: str = Field(description="What was counted: 'window', 'session', 'line' or 'incident'")
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    false_positive_rate: float
    #: First anomalous record to incident, data time, per detected ground-truth incident.
    detection_latency_seconds_mean: float | None = None
    detection_latency_seconds_max: float | None = None
    incidents_expected: int | None = None
    incidents_detected: int | None = None
    #: Per detector, its own window verdicts (score above its threshold) against the same
    #: labels: what each detector would do alone, before consensus and hysteresis. With
    #: ``AnalysisConfig(deep=True)`` it includes ``deeplog``, the sequence model.
    by_detector: dict[str, ConfusionCounts] = Field(default_factory=dict)


class ConfusionCounts(_Model):
    """One detector's window verdicts against the labels."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def accuracy(self) -> float:
        """(TP + TN) / windows: the seed's "sequence anomaly detection accuracy" for DeepLog."""
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 0.0


class GroundTruthIncident(_Model):
    """An injected incident of a generated scenario: what really happened."""

    id: str
    kind: str
    root_cause: str
    start: datetime
    end: datetime
    entities: list[str] = Field(default_factory=list)
    remediation: str | None = None


class AnalysisReport(_Model):
    """Everything one analysis run found, serialisable to JSON."""

    schema_version: int = 1
    logswarm_version: str
    generated_at: datetime
    duration_seconds: float
    lines_per_second: float
    inputs: InputSummary
    templates: list[TemplateSummary] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    score_series: list[ScorePoint] = Field(default_factory=list)
    metrics: DetectionMetrics | None = None
    ground_truth: list[GroundTruthIncident] | None = None
    #: Free-form notes a person should read (e.g. "no timestamps: windows by line count").
    notes: list[str] = Field(default_factory=list)
    #: The topology the agents ran (``--topology``), if any.
    topology: str | None = None
    #: One ``logswarm.agents.IncidentAnalysis`` per incident, as JSON (root cause, plan,
    #: validation, trajectory). Kept as plain data so reports never depend on the agents.
    analyses: list[dict[str, Any]] = Field(default_factory=list)
