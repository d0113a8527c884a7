"""Feature vectors for time windows of multi-source logs, where no session id exists.

CloudTrail, VPC Flow Logs and pod logs share no request id, so the pipeline judges time
windows instead of sessions. A window's vector is its template counts (vocabulary fitted on
training windows, with an "unknown template" column) followed by a fixed set of numeric
signals that templates alone miss: volume, error rate, distinct entities, flow bytes and
rejects, CloudTrail error codes. Counts are ``log1p``-damped by default because window volumes
span orders of magnitude and a detector should not read "busy" as "broken".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from logswarm.features.sequences import UNKNOWN_FEATURE
from logswarm.records import Severity

__all__ = ["NUMERIC_FEATURES", "WindowFeatures", "WindowLike"]


class WindowLike(Protocol):
    """What :class:`WindowFeatures` reads from a window (an optional ``numeric`` dict too)."""

    @property
    def n(self) -> int: ...
    @property
    def templates(self) -> Mapping[int, int]: ...
    @property
    def severities(self) -> Mapping[int, int]: ...
    @property
    def entities(self) -> Mapping[Any, int]: ...


#: Numeric columns, in output order, after the template columns.
NUMERIC_FEATURES: tuple[str, ...] = (
    "records",
    "error_rate",
    "errors",
    "warning_rate",
    "distinct_entities",
    "flow_bytes",
    "flow_packets",
    "flow_reject",
    "cloudtrail_error",
    "cloudtrail_console_login_failure",
)
_LOGGED = frozenset(
    {
        "records",
        "errors",
        "distinct_entities",
        "flow_bytes",
        "flow_packets",
        "flow_reject",
        "cloudtrail_error",
        "cloudtrail_console_login_failure",
    }
)


class WindowFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Windows → dense feature matrix: template counts, unknown count, numeric signals.

    ``min_template_windows``: a template enters the vocabulary only if it occurs in at least
    this many training windows; rarer ones count as unknown (one stray line in training should
    not make a template "normal").
    """

    def __init__(self, *, log_counts: bool = True, min_template_windows: int = 1) -> None:
        self.log_counts = log_counts
        self.min_template_windows = min_template_windows

    vocabulary_: dict[int, int]
    feature_names_: list[str]

    def fit(self, X: Sequence[WindowLike], y: Any = None) -> WindowFeatures:
        """Learn the template vocabulary from training windows; ``y`` is ignored."""
        del y
        df: dict[int, int] = {}
        for w in X:
            for tid, c in w.templates.items():
                if c > 0:
                    df[tid] = df.get(tid, 0) + 1
        kept = sorted(t for t, d in df.items() if d >= self.min_template_windows)
        self.vocabulary_ = {t: i for i, t in enumerate(kept)}
        self.feature_names_ = [f"E{t}" for t in kept] + [UNKNOWN_FEATURE, *NUMERIC_FEATURES]
        return self

    def transform(self, X: Sequence[WindowLike]) -> npt.NDArray[np.float64]:
        """One row per window."""
        check_is_fitted(self, "vocabulary_")
        vocab = self.vocabulary_
        n_t = len(vocab)
        out = np.zeros((len(X), n_t + 1 + len(NUMERIC_FEATURES)), dtype=np.float64)
        for i, w in enumerate(X):
            row = out[i]
            for tid, c in w.templates.items():
                row[vocab.get(tid, n_t)] += c
            for j, value in enumerate(_numeric(w)):
                row[n_t + 1 + j] = value
        if self.log_counts:
            np.log1p(out[:, : n_t + 1], out=out[:, : n_t + 1])
            for j, name in enumerate(NUMERIC_FEATURES):
                if name in _LOGGED:
                    col = n_t + 1 + j
                    np.log1p(out[:, col], out=out[:, col])
        return out

    def get_feature_names_out(self, input_features: Any = None) -> npt.NDArray[np.object_]:
        del input_features
        check_is_fitted(self, "vocabulary_")
        return np.asarray(self.feature_names_, dtype=object)


def _numeric(w: WindowLike) -> tuple[float, ...]:
    n = w.n
    errors = sum(c for sev, c in w.severities.items() if sev >= Severity.ERROR)
    warnings = w.severities.get(Severity.WARNING, 0)
    numeric: Mapping[str, float] = getattr(w, "numeric", None) or {}
    distinct = len(w.entities) + int(getattr(w, "entity_overflow", 0))
    return (
        float(n),
        errors / n if n else 0.0,
        float(errors),
        warnings / n if n else 0.0,
        float(distinct),
        float(numeric.get("flow_bytes", 0.0)),
        float(numeric.get("flow_packets", 0.0)),
        float(numeric.get("flow_reject", 0.0)),
        float(numeric.get("cloudtrail_error", 0.0)),
        float(numeric.get("cloudtrail_console_login_failure", 0.0)),
    )
