"""Numeric features of a (stream, time) window, judged against the rest of its stream.

Multi-source cloud logs have no session ids, so the classical detectors look at time windows.
A raw count is meaningless across streams (a chatty API gateway vs a quiet cron job), so every
volume feature is a robust z-score within the window's own stream, and template rarity is the
window's rarest template measured by how few of the stream's windows contain it. The result is
a small dense matrix (one row per window) that Isolation Forest, One-Class SVM and LOF all
handle quickly, whatever the number of templates.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from logswarm.pipeline.windows import WindowStats

__all__ = ["FEATURE_NAMES", "window_feature_matrix"]

FEATURE_NAMES: tuple[str, ...] = (
    "volume_z",
    "errors_z",
    "warnings_z",
    "error_ratio",
    "distinct_templates_z",
    "distinct_entities_z",
    "max_template_rarity",
    "rare_record_share",
    "new_entity_share",
)

#: A template seen in at most this share of its stream's windows counts as rare.
_RARE_SHARE = 0.02


def _robust_z(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    med = float(np.median(values))
    mad = float(np.median(np.abs(values - med))) * 1.4826
    # A stream with constant volume still gets a finite scale, so one spike stands out.
    scale = max(mad, 0.5)
    return (values - med) / scale


def window_feature_matrix(windows: Sequence[WindowStats]) -> npt.NDArray[np.float64]:
    """One row of :data:`FEATURE_NAMES` per window, in the given order."""
    by_stream: dict[str, list[int]] = defaultdict(list)
    for i, w in enumerate(windows):
        by_stream[w.stream].append(i)
    out = np.zeros((len(windows), len(FEATURE_NAMES)), dtype=np.float64)
    for idx in by_stream.values():
        group = [windows[i] for i in idx]
        n_windows = len(group)
        template_df: Counter[int] = Counter()
        entity_df: Counter[object] = Counter()
        for w in group:
            template_df.update(w.templates.keys())
            entity_df.update(w.entities.keys())
        log_n = math.log(n_windows + 1)
        rare_cut = max(1, int(_RARE_SHARE * n_windows))
        cols = np.array(
            [
                [
                    math.log1p(w.n),
                    math.log1p(w.errors),
                    math.log1p(w.warnings),
                    w.errors / max(w.n, 1),
                    math.log1p(len(w.templates)),
                    math.log1p(len(w.entities)),
                    max(
                        (math.log((n_windows + 1) / template_df[t]) for t in w.templates),
                        default=0.0,
                    )
                    / log_n,
                    sum(c for t, c in w.templates.items() if template_df[t] <= rare_cut)
                    / max(w.n, 1),
                    sum(1 for e in w.entities if entity_df[e] <= rare_cut)
                    / max(len(w.entities), 1),
                ]
                for w in group
            ],
            dtype=np.float64,
        )
        for col in (0, 1, 2, 4, 5):
            cols[:, col] = _robust_z(cols[:, col])
        out[idx] = cols
    return out
