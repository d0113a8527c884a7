"""DeepLog and LogBERT on tiny data: they learn, catch wrong order, save and load exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.deep
torch = pytest.importorskip("torch")

from logswarm.detect.deep import (  # noqa: E402
    DeepLogDetector,
    LogBERTDetector,
    ModelFormatError,
    load_detector,
    save_detector,
)


def _normal_sessions(n: int = 160, seed: int = 0) -> list[list[int]]:
    """Two session shapes with a variable-length middle, like HDFS blocks."""
    rng = np.random.default_rng(seed)
    out: list[list[int]] = []
    for _ in range(n):
        if rng.random() < 0.7:
            out.append([10, *[11] * int(rng.integers(1, 4)), 12, 13, 14])
        else:
            out.append([20, 21, *[22] * int(rng.integers(1, 3)), 23])
    return out


NORMAL_PROBES = [[10, 11, 12, 13, 14], [10, 11, 11, 12, 13, 14], [20, 21, 22, 23]]
#: Every key is a known one; only the order is wrong (the seed's "valid line, wrong order").
OUT_OF_ORDER = [10, 11, 13, 12, 14]
TRUNCATED = [10, 11, 12]


def _small(cls: type[Any], **extra: Any) -> Any:
    common: dict[str, Any] = {
        "epochs": 40,
        "batch_size": 4,
        "learning_rate": 0.01,
        "random_state": 0,
        "top_g": 1,
        "target_fpr": 0.0,
        "threshold": "calibrated",
    }
    if cls is DeepLogDetector:
        common |= {"embedding_dim": 8, "hidden_size": 16, "num_layers": 1}
    else:
        common |= {"d_model": 16, "n_heads": 2, "n_layers": 1, "ff_dim": 32, "dropout": 0.0}
    return cls(**(common | extra))


@pytest.fixture(scope="module")
def train() -> list[list[int]]:
    return _normal_sessions()


@pytest.fixture(scope="module", params=["lstm", "gru", "lstm-window", "lstm-mixture", "logbert"])
def fitted(request: pytest.FixtureRequest, train: list[list[int]]) -> Any:
    if request.param == "logbert":
        # Attention needs more steps than recurrence to settle on such tiny data.
        return _small(LogBERTDetector, epochs=80).fit(train)
    if request.param == "lstm-window":
        # The paper's fixed history: 3 keys are enough to see 13 arrive before 12.
        return _small(DeepLogDetector, history=3).fit(train)
    if request.param == "lstm-mixture":
        return _small(DeepLogDetector, n_models=2).fit(train)
    return _small(DeepLogDetector, cell=request.param).fit(train)


def test_training_converges(fitted: Any) -> None:
    losses = fitted.loss_history_
    assert len(losses) == fitted.epochs
    assert losses[-1] < 0.5 * losses[0]
    if isinstance(fitted, DeepLogDetector):
        # Next-key loss on the kept-aside normals: learnt, so well below a uniform guess.
        assert 0.0 < fitted.held_out_loss_ < 0.5 * np.log(fitted.vocabulary_.size)
    else:
        assert np.isnan(fitted.held_out_loss_)


def test_out_of_order_and_truncated_sessions_are_flagged_normal_ones_not(fitted: Any) -> None:
    assert fitted.predict(NORMAL_PROBES).tolist() == [1, 1, 1]
    assert fitted.predict([OUT_OF_ORDER, TRUNCATED]).tolist() == [-1, -1]
    normal = fitted.score_samples(NORMAL_PROBES)
    assert fitted.score_samples([OUT_OF_ORDER]).max() < normal.min()
    assert (fitted.anomaly_score([OUT_OF_ORDER]) > 1.0).all()


def test_an_unseen_key_is_flagged(fitted: Any) -> None:
    assert fitted.predict([[10, 11, 99, 13, 14]]).tolist() == [-1]


def test_save_and_load_give_identical_scores(fitted: Any, tmp_path: Path) -> None:
    probes = [*NORMAL_PROBES, OUT_OF_ORDER, TRUNCATED]
    folder = save_detector(fitted, tmp_path / "model")
    meta = json.loads((folder / "model.json").read_text())
    assert meta["kind"] == fitted.kind
    assert meta["params"]["random_state"] == 0
    loaded = load_detector(folder)
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.score_samples(probes), fitted.score_samples(probes))
    assert loaded.offset_ == fitted.offset_
    np.testing.assert_array_equal(loaded.held_out_loss_, fitted.held_out_loss_)
    # The weights file holds tensors only: it loads with torch's safe loader.
    tensors = torch.load(folder / "weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in tensors.values())


def test_same_random_state_same_model(train: list[list[int]]) -> None:
    a = _small(DeepLogDetector, epochs=5).fit(train)
    b = _small(DeepLogDetector, epochs=5).fit(train)
    c = _small(DeepLogDetector, epochs=5, random_state=1).fit(train)
    probes = [*NORMAL_PROBES, OUT_OF_ORDER]
    np.testing.assert_array_equal(a.score_samples(probes), b.score_samples(probes))
    assert not np.array_equal(a.score_samples(probes), c.score_samples(probes))


def test_explain_points_at_the_misplaced_key(train: list[list[int]]) -> None:
    det = _small(DeepLogDetector).fit(train)
    surprise = det.explain([OUT_OF_ORDER])[0]
    assert surprise.position == 2
    assert surprise.actual == 13
    assert 12 in surprise.expected
    assert surprise.margin < 0


def test_a_window_only_sees_its_last_h_keys(train: list[list[int]]) -> None:
    """With h=1 the model cannot tell [10 11 11 ...] from [10 11 ...]; the order still counts."""
    det = _small(DeepLogDetector, history=1).fit(train)
    a, b = det.score_samples([[10, 11, 11, 12, 13, 14], [10, 11, 11, 11, 12, 13, 14]])
    # Both only ever show 11 -> 11 and 11 -> 12 steps, which normal sessions contain.
    assert det.predict([[10, 11, 11, 12, 13, 14]]).tolist() == [1]
    assert det.predict([OUT_OF_ORDER]).tolist() == [-1]
    assert np.isfinite([a, b]).all()


def test_a_mixture_differs_from_its_first_member(train: list[list[int]]) -> None:
    one = _small(DeepLogDetector, epochs=5).fit(train)
    two = _small(DeepLogDetector, epochs=5, n_models=2).fit(train)
    probes = [*NORMAL_PROBES, OUT_OF_ORDER]
    assert not np.array_equal(one.score_samples(probes), two.score_samples(probes))
    with pytest.raises(ValueError, match="n_models"):
        _small(DeepLogDetector, n_models=0).fit(train)
    with pytest.raises(ValueError, match="history"):
        _small(DeepLogDetector, history=0).fit(train)


def test_top_g_threshold_is_the_published_rule(train: list[list[int]]) -> None:
    det = _small(DeepLogDetector, threshold="top_g", top_g=1).fit(train)
    assert det.offset_ == 0.0
    assert det.predict([OUT_OF_ORDER]).tolist() == [-1]


def test_estimator_contract(train: list[list[int]]) -> None:
    from sklearn.base import clone

    det = _small(DeepLogDetector, epochs=2)
    assert det.get_params()["hidden_size"] == 16
    assert clone(det).get_params() == det.get_params()
    assert det.fit(train) is det
    assert not hasattr(clone(det), "module_")
    with pytest.raises(ValueError, match="cell"):
        _small(DeepLogDetector, cell="rnn").fit(train)


def test_loading_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match=r"model\.json and weights\.pt"):
        load_detector(tmp_path / "nowhere")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.json").write_text(json.dumps({"format": "other", "kind": "deeplog"}))
    (tmp_path / "m" / "weights.pt").write_bytes(b"")
    with pytest.raises(ModelFormatError, match="format"):
        load_detector(tmp_path / "m")


def test_recalibrated_twin_shares_the_network_and_loosens_the_threshold(fitted: Any) -> None:
    loose = fitted.recalibrated(0.5)
    assert loose.module_ is fitted.module_
    assert loose.offset_ >= fitted.offset_
    assert fitted.target_fpr == 0.0
    share_below = float(np.mean(fitted.calibration_scores_ < loose.offset_))
    assert share_below <= 0.5


def test_a_deep_detector_joins_the_consensus_with_its_evidence(
    fitted: Any, train: list[list[int]]
) -> None:
    from logswarm.detect.deep import ConsensusFusion, FusionMember

    other = _small(DeepLogDetector, cell="gru", epochs=20).fit(train)
    fusion = ConsensusFusion([FusionMember("a", fitted), FusionMember("b", other)], prefit=True)
    result = fusion.evaluate([NORMAL_PROBES[0], OUT_OF_ORDER])
    assert result.flagged.tolist() == [False, True]
    assert result.agreed(1) == ["a", "b"]
    assert {e.detector for e in result.evidence(1)} == {"a", "b", "consensus"}


def test_parameter_value_model_flags_an_unpredictable_value() -> None:
    from logswarm.detect.deep import ParameterValueDetector

    rng = np.random.default_rng(0)
    t = np.arange(400)
    # Two parameters of one log key: a periodic latency and a batch counter that wraps.
    series = np.column_stack([10 + 3 * np.sin(t / 5), t % 20]) + rng.normal(0, 0.1, (400, 2))
    det = ParameterValueDetector(epochs=30, window=5, target_fpr=0.0, random_state=0)
    det.fit(series[:300])
    assert det.loss_history_[-1] < 0.5 * det.loss_history_[0]
    live = series.copy()
    live[350, 0] += 8.0  # one request far slower than the rhythm predicts
    flags = det.predict(live)[300:]
    assert flags[50] == -1
    assert (flags == -1).mean() < 0.05


def test_parameter_value_model_saves_and_loads_with_identical_scores(tmp_path: Path) -> None:
    from logswarm.detect.deep import ParameterValueDetector

    rng = np.random.default_rng(1)
    t = np.arange(200)
    series = np.column_stack([5 + np.cos(t / 4), t % 7]) + rng.normal(0, 0.1, (200, 2))
    det = ParameterValueDetector(epochs=5, window=4, hidden_size=8, random_state=0)
    det.fit(series[:150])
    folder = save_detector(det, tmp_path / "params")
    meta = json.loads((folder / "model.json").read_text())
    assert meta["kind"] == "parameter-value"
    assert meta["params"]["window"] == 4
    loaded = load_detector(folder)
    assert isinstance(loaded, ParameterValueDetector)
    live = series.copy()
    live[170, 0] += 6.0
    np.testing.assert_array_equal(loaded.score_samples(live), det.score_samples(live))
    np.testing.assert_array_equal(loaded.predict(live), det.predict(live))
    assert loaded.offset_ == det.offset_
    tensors = torch.load(folder / "weights.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in tensors.values())
    with pytest.raises(ValueError, match="features"):
        loaded.score_samples(live[:, :1])


def test_logbert_rescored_with_the_papers_miss_count(train: list[list[int]]) -> None:
    det = _small(LogBERTDetector, epochs=80).fit(train)
    held_out = [train[i] for i in det.calibration_index_]
    assert len(held_out) == round(det.calibration_fraction * len(train))
    misses = det.rescored("misses", held_out)
    assert misses.module_ is det.module_
    assert det.scoring == "margin"
    scores = misses.score_samples([*NORMAL_PROBES, OUT_OF_ORDER, [10, 11, 99, 98, 14]])
    # Minus the miss count, plus a tie-break smaller than one miss.
    assert np.allclose(scores, np.round(scores), atol=0.2)
    assert max(scores[3], scores[4]) < scores[:3].min()
    assert misses.predict([*NORMAL_PROBES, OUT_OF_ORDER]).tolist() == [1, 1, 1, -1]
    with pytest.raises(ValueError, match="scoring"):
        det.rescored("votes", held_out)
