"""Invariants Mining finds the count relations of normal sessions and flags what breaks them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from logswarm.detect import ConsensusDetector, Invariant, InvariantsMiner, UnseenVectorDetector
from logswarm.evaluation.detection import flagged


def _sessions(n: int, seed: int) -> np.ndarray:
    """Columns: open, close (= open), write (= 3 x open), retry (free), never (always 0)."""
    rng = np.random.default_rng(seed)
    opened = rng.integers(1, 5, size=n)
    retry = rng.integers(0, 3, size=n)
    return np.column_stack([opened, opened, 3 * opened, retry, np.zeros(n)]).astype(float)


def test_mines_the_planted_relations_and_nothing_spurious() -> None:
    det = InvariantsMiner().fit(_sessions(300, seed=0))
    names = ["open", "close", "write", "retry", "never"]
    text = set(det.describe(names))
    assert "n(never) = 0" in text
    assert "n(open) = n(close)" in text
    assert any("3·n(" in t and "write" in t for t in text)
    assert all("retry" not in t for t in text)  # retry is free: no relation holds for it
    assert len(det.invariants_) == 3  # a basis: n(close) = n(write)/3 is implied, not repeated


def test_flags_sessions_that_break_an_invariant_and_only_those() -> None:
    det = InvariantsMiner().fit(_sessions(300, seed=0))
    normal = _sessions(50, seed=1)
    unclosed = normal[:5].copy()
    unclosed[:, 1] -= 1  # one block opened, never closed
    novel = normal[5:10].copy()
    novel[:, 4] = 1.0  # an event never seen in training
    pred = flagged(det.predict(np.vstack([normal, unclosed, novel])))
    assert not pred[:50].any()
    assert pred[50:].all()
    broken = det.violated(unclosed[:1])[0]
    assert [inv.describe(["open", "close", "write", "retry", "never"]) for inv in broken] == [
        "n(open) = n(close)"
    ]


def test_support_below_one_tolerates_noise_in_training_normals() -> None:
    X = _sessions(500, seed=2)
    X[:5, 1] += 1  # 1 % of "normal" sessions break open = close
    strict = InvariantsMiner(min_support=1.0).fit(X)
    tolerant = InvariantsMiner(min_support=0.98).fit(X)
    assert "n(x0) = n(x1)" not in strict.describe()
    assert "n(x0) = n(x1)" in tolerant.describe()
    relation = next(i for i in tolerant.invariants_ if i.columns == (0, 1))
    assert relation.support == pytest.approx(0.99)


def test_threshold_tolerates_violations_common_among_training_normals() -> None:
    X = _sessions(500, seed=3)
    X[:25, 1] += 1  # 5 % break open = close, above the 1 % target...
    det = InvariantsMiner(min_support=0.9, calibration="in_sample").fit(X)
    # ...so one violation is within normal variation, and only a worse one is flagged.
    assert det.offset_ == -1.0
    worse = X[25:26].copy()
    worse[:, 1] += 2
    assert flagged(det.predict(X[:25])).sum() == 0
    assert flagged(det.predict(worse)).all()


def test_json_round_trip_keeps_invariants_and_verdicts() -> None:
    det = InvariantsMiner().fit(_sessions(200, seed=4))
    back = InvariantsMiner.from_json(json.loads(json.dumps(det.to_json())))
    X = np.vstack([_sessions(20, seed=5), [[1.0, 2.0, 3.0, 0.0, 0.0]]])
    assert back.invariants_ == det.invariants_
    assert back.predict(X).tolist() == det.predict(X).tolist()
    assert back.predict(X)[-1] == -1


def test_json_refuses_foreign_or_inconsistent_documents() -> None:
    with pytest.raises(ValueError, match="version-1"):
        InvariantsMiner.from_json({"format": "something else", "version": 1})
    doc = InvariantsMiner().fit(_sessions(50, seed=6)).to_json()
    doc["invariants"].append({"columns": [9], "coefficients": [1], "support": 1.0})
    with pytest.raises(ValueError, match="outside"):
        InvariantsMiner.from_json(doc)


def test_describe_reads_both_sides() -> None:
    inv = Invariant(columns=(0, 2), coefficients=(2, -1), support=1.0)
    assert inv.describe(["a", "b", "c"]) == "2·n(a) = n(c)"
    assert Invariant((1,), (1,), 1.0).describe() == "n(x1) = 0"


def test_vote_with_memorisation_drops_new_but_consistent_sessions() -> None:
    train = _sessions(300, seed=7)
    longer = np.array([[9.0, 9.0, 27.0, 0.0, 0.0]])  # never seen, yet every relation holds
    broken = np.array([[2.0, 1.0, 6.0, 0.0, 0.0]])  # never seen, and a block left open
    members = [("unseen", UnseenVectorDetector()), ("invariants", InvariantsMiner())]
    vote = ConsensusDetector(members, rule="vote", min_votes=2).fit(train)
    unseen = UnseenVectorDetector().fit(train)
    X = np.vstack([longer, broken])
    assert flagged(unseen.predict(X)).tolist() == [True, True]
    assert flagged(vote.predict(X)).tolist() == [False, True]
    assert vote.agreeing(X) == [["unseen"], ["unseen", "invariants"]]
