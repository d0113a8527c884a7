"""The analysis job: ingestion → templates → windows → detectors → incidents (see :mod:`.analyze`)."""

from __future__ import annotations

from logswarm.pipeline.analyze import AnalysisConfig, analyze

__all__ = ["AnalysisConfig", "analyze"]
