"""Event-count matrices and window feature vectors."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pytest

from logswarm.features import (
    NUMERIC_FEATURES,
    UNKNOWN_FEATURE,
    EventCountVectorizer,
    WindowFeatures,
    pad_sequences,
)
from logswarm.records import Severity


def test_counts_with_unknown_column() -> None:
    v = EventCountVectorizer().fit([[5, 5, 22], [11]])
    assert v.get_feature_names_out().tolist() == ["E5", "E11", "E22", UNKNOWN_FEATURE]
    X = v.transform([[5, 5, 5, 99, 98], []])
    assert X.tolist() == [[3.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]]


def test_unknown_column_can_be_dropped_and_sparse_output() -> None:
    v = EventCountVectorizer(unknown=False, sparse=True).fit([[1, 2]])
    X = v.transform([[1, 3, 3]])
    assert X.shape == (1, 2)
    assert X.toarray().tolist() == [[1.0, 0.0]]


def test_tfidf_weights_and_zero_mean() -> None:
    train = [[1, 2], [1], [1, 1]]
    v = EventCountVectorizer(term_weighting="tf-idf").fit(train)
    n = 3
    idf1, idf2, idf_unk = math.log((1 + n) / (1 + 3)), math.log((1 + n) / (1 + 1)), math.log(1 + n)
    assert v.transform([[1, 2, 7]])[0] == pytest.approx([idf1, idf2, idf_unk])
    z = EventCountVectorizer(term_weighting="tf-idf", normalization="zero-mean").fit(train)
    assert z.transform(train).mean(axis=0) == pytest.approx(np.zeros(3))


def test_vectorizer_json_round_trip() -> None:
    v = EventCountVectorizer(term_weighting="tf-idf").fit([[1, 2, 2], [3]])
    back = EventCountVectorizer.from_json(v.to_json())
    seqs = [[1, 2, 9], [3, 3]]
    assert np.array_equal(back.transform(seqs), v.transform(seqs))


def test_strings_are_refused() -> None:
    with pytest.raises(TypeError):
        EventCountVectorizer().fit(["abc"])


def test_pad_sequences() -> None:
    out = pad_sequences([[1, 2, 3], [4]], max_len=2)
    assert out.tolist() == [[1, 2], [4, -1]]
    assert pad_sequences([[7], [8, 9]]).tolist() == [[7, -1], [8, 9]]


@dataclass
class _Win:
    n: int
    templates: Counter[int]
    severities: Counter[int] = field(default_factory=Counter)
    entities: Counter[tuple[str, str]] = field(default_factory=Counter)
    numeric: dict[str, float] = field(default_factory=dict)


def test_window_features_columns_and_values() -> None:
    train = [_Win(4, Counter({1: 3, 2: 1})), _Win(2, Counter({1: 2}))]
    wf = WindowFeatures(log_counts=False).fit(train)
    names = wf.get_feature_names_out().tolist()
    assert names[:3] == ["E1", "E2", UNKNOWN_FEATURE]
    assert names[3:] == list(NUMERIC_FEATURES)
    w = _Win(
        4,
        Counter({1: 1, 7: 3}),
        Counter({Severity.ERROR: 2, Severity.INFO: 2}),
        Counter({("ip", "10.0.0.1"): 4}),
        {"flow_reject": 5.0},
    )
    row = dict(zip(names, wf.transform([w])[0], strict=True))
    assert row["E1"] == 1
    assert row[UNKNOWN_FEATURE] == 3
    assert row["error_rate"] == 0.5
    assert row["errors"] == 2
    assert row["distinct_entities"] == 1
    assert row["flow_reject"] == 5
    logged = WindowFeatures().fit(train).transform([w])[0]
    assert logged[2] == pytest.approx(math.log1p(3))


def test_rare_training_templates_count_as_unknown() -> None:
    train = [_Win(1, Counter({1: 1})), _Win(1, Counter({1: 1})), _Win(1, Counter({2: 1}))]
    wf = WindowFeatures(min_template_windows=2).fit(train)
    assert wf.get_feature_names_out().tolist()[:2] == ["E1", UNKNOWN_FEATURE]
