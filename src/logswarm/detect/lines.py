"""Unsupervised per-line scoring for logs with no session id: record severity, then rarity.

Why a separate scorer: logs such as BGL's RAS stream have no session to count events over, so
the judgement is per line. Two label-free signals carry it: the level the line was logged at
(a FATAL line is direct evidence) and how surprising its template is *given everything read
before it* (an alert storm repeats a template that normal operation rarely emits).

Score of line ``i`` (higher is more abnormal)::

    severity_i + surprisal_i / log(n_i + V_i + 1)

``severity_i`` is the record's :class:`~logswarm.records.Severity` ordinal; ``surprisal_i =
-log((c_i + 1) / (n_i + V_i + 1))`` where ``n_i`` lines and ``V_i`` distinct templates were
read before line ``i`` and ``c_i`` of them had its template. The normalised surprisal lies in
``(0, 1]`` (1 for a template never read), so severity orders the levels and rarity orders the
lines within a level. Counting is prequential (each line is scored, then counted), the only
way a one-pass stream can be read.

That order dependence is why this is not a :class:`~logswarm.detect.base.BaseDetector`: a
line's score depends on the lines before it in the same batch, so scikit-learn's "scores of a
subset equal the subset of scores" check cannot hold. :meth:`TemplateRarityScorer.score`
continues from the fitted counts without changing them.

Threshold: the ``1 - flag_rate`` quantile of the prequential scores of the calibration lines.
With no labels, ``flag_rate`` is the assumed share of lines worth a look (the calibration part
may hold anomalies too); it is chosen before seeing any result, never from labels.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from logswarm.detect.base import FloatArray

__all__ = ["TemplateRarityScorer"]


class TemplateRarityScorer:
    """Prequential template rarity within record severity, thresholded at a flag rate."""

    def __init__(self, *, flag_rate: float = 0.05) -> None:
        self.flag_rate = flag_rate

    counts_: Counter[Hashable]
    n_lines_: int
    threshold_: float

    def fit(
        self, templates: Sequence[Hashable], severities: Sequence[float]
    ) -> TemplateRarityScorer:
        """Read the calibration lines in order; set ``threshold_`` at ``flag_rate``."""
        if not 0.0 < self.flag_rate < 1.0:
            raise ValueError(f"flag_rate must be in (0, 1), got {self.flag_rate!r}")
        if len(templates) == 0:
            raise ValueError("cannot calibrate on zero lines")
        counts: Counter[Hashable] = Counter()
        scores = self._run(templates, severities, counts, 0)
        self.counts_ = counts
        self.n_lines_ = len(templates)
        self.threshold_ = float(np.quantile(scores, 1.0 - self.flag_rate, method="higher"))
        return self

    def score(self, templates: Sequence[Hashable], severities: Sequence[float]) -> FloatArray:
        """Scores of lines read after the calibration lines, in order (higher is more abnormal)."""
        self._check_fitted()
        return self._run(templates, severities, Counter(self.counts_), self.n_lines_)

    def predict(self, templates: Sequence[Hashable], severities: Sequence[float]) -> Any:
        """True for lines scored above ``threshold_``."""
        return self.score(templates, severities) > self.threshold_

    def _check_fitted(self) -> None:
        if not hasattr(self, "threshold_"):
            raise ValueError("TemplateRarityScorer is not fitted; call fit() first")

    @staticmethod
    def _run(
        templates: Sequence[Hashable],
        severities: Sequence[float],
        counts: Counter[Hashable],
        n_read: int,
    ) -> FloatArray:
        if len(templates) != len(severities):
            raise ValueError("templates and severities must pair up one to one")
        out = np.empty(len(templates), dtype=np.float64)
        n = n_read
        for i, (tid, sev) in enumerate(zip(templates, severities, strict=True)):
            denominator = n + len(counts) + 1
            surprisal = -math.log((counts.get(tid, 0) + 1) / denominator)
            out[i] = float(sev) + surprisal / max(math.log(denominator), 1e-12)
            counts[tid] += 1
            n += 1
        return out
