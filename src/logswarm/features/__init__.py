"""Windows and features: from parsed records to the vectors and sequences detectors read.

Sits between parsing (records carry ``template_id``) and detection (:mod:`logswarm.detect`).
Sessions by id or sliding time windows; event-count matrices for sessions; feature vectors for
time windows of multi-source logs; entity extraction for the evidence incidents carry.
"""

from __future__ import annotations

from logswarm.features.entities import extract_entities
from logswarm.features.sequences import UNKNOWN_FEATURE, EventCountVectorizer, pad_sequences
from logswarm.features.window_features import NUMERIC_FEATURES, WindowFeatures, WindowLike
from logswarm.features.windows import (
    KeyFunction,
    SlidingWindower,
    TimeWindowCounts,
    WindowCounters,
    by_field,
    by_pod,
    hdfs_block_id,
    numeric_increments,
    session_sequences,
    session_windows,
    sliding_windows,
)

__all__ = [
    "NUMERIC_FEATURES",
    "UNKNOWN_FEATURE",
    "EventCountVectorizer",
    "KeyFunction",
    "SlidingWindower",
    "TimeWindowCounts",
    "WindowCounters",
    "WindowFeatures",
    "WindowLike",
    "by_field",
    "by_pod",
    "extract_entities",
    "hdfs_block_id",
    "numeric_increments",
    "pad_sequences",
    "session_sequences",
    "session_windows",
    "sliding_windows",
]
