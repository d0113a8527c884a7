"""Consensus across classical and deep detectors, with each detector's contribution kept.

Why: the seed asks the Anomaly Detection agent to "reduce false positives through multi-model
consensus", and the incident must say which detectors agreed and how strongly. Classical and
deep detectors read different inputs (event-count vectors vs key sequences), so each member
brings its own feature function from sessions to its input; this module needs no torch.

The fusion rule
---------------
Every member follows LogSwarm's detector contract, so its ``anomaly_score`` is already on one
common scale: 0 at the median training normal, 1 at its calibrated threshold, higher is more
abnormal. Write ``s_i`` for member ``i``'s score capped at ``cap`` (so one detector's extreme
value cannot outweigh the others on its own) and ``w_i`` for its weight.

- ``rule="vote"`` (default): member ``i`` votes when ``s_i > 1``; the session is flagged when
  the weight of the voters is *strictly more* than ``quorum`` of the total weight. With equal
  weights and ``quorum=0.5`` that is a strict majority: 2 of 2, 2 of 3, 3 of 4.
- ``rule="mean"``: flagged when the weighted mean ``Σ w_i s_i / Σ w_i`` exceeds 1.

Either way the fused score is that weighted mean, and member ``i``'s contribution to it is
``w_i s_i / Σ w``; both, with each member's vote, are kept per session
(:class:`FusionResult`) and turn into :class:`logswarm.incidents.DetectorScore` evidence.

Calibrating the consensus itself
--------------------------------
When several members must agree, each one's false positives are filtered by the others, so
each can afford a looser threshold than it would alone. How much looser is read off normals
that no member trained on (:func:`loosest_member_fpr`): the adjustable members' thresholds are
loosened together, step by step, as long as the consensus still flags at most ``target_fpr``
of those held-out normals. No label is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from logswarm.incidents import DetectorScore

__all__ = [
    "MEMBER_FPR_GRID",
    "ConsensusFusion",
    "FusionMember",
    "FusionResult",
    "ScoredDetector",
    "loosest_member_fpr",
]

#: Candidate per-member false-positive rates tried by :func:`loosest_member_fpr`, tightest first.
MEMBER_FPR_GRID = (0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2)

FloatArray = npt.NDArray[np.float64]
Sessions = Sequence[Sequence[int]]


class ScoredDetector(Protocol):
    """What a member must offer: LogSwarm's detector contract (see ``logswarm.detect.base``)."""

    def fit(self, X: Any, y: Any = None) -> Any: ...

    def anomaly_score(self, X: Any) -> FloatArray: ...


@dataclass(frozen=True, slots=True)
class FusionMember:
    """One detector in the consensus, with the function that turns sessions into its input."""

    name: str
    detector: ScoredDetector
    #: Sessions -> the detector's input; None passes the sessions through (sequence detectors).
    features: Callable[[Sessions], Any] | None = None
    weight: float = 1.0

    def inputs(self, sessions: Sessions) -> Any:
        return sessions if self.features is None else self.features(sessions)


@dataclass(frozen=True, slots=True)
class FusionResult:
    """Per-session consensus outcome with every member's part in it."""

    members: tuple[str, ...]
    #: ``(n_sessions, n_members)`` capped normalised scores (1.0 = the member's threshold).
    scores: FloatArray
    #: ``(n_sessions, n_members)`` whether each member flagged the session.
    votes: npt.NDArray[np.bool_]
    #: ``(n_sessions, n_members)`` each member's share of the fused score.
    contributions: FloatArray
    #: ``(n_sessions,)`` weighted mean of the member scores.
    fused: FloatArray
    #: ``(n_sessions,)`` the consensus verdict.
    flagged: npt.NDArray[np.bool_]

    def evidence(self, index: int, *, first_id: int = 1) -> list[DetectorScore]:
        """The session's per-detector verdicts as incident evidence (ids ``D<first_id>``...)."""
        rows = [
            DetectorScore(
                id=f"D{first_id + j}",
                detector=name,
                score=float(self.scores[index, j]),
                flagged=bool(self.votes[index, j]),
            )
            for j, name in enumerate(self.members)
        ]
        rows.append(
            DetectorScore(
                id=f"D{first_id + len(self.members)}",
                detector="consensus",
                score=float(self.fused[index]),
                flagged=bool(self.flagged[index]),
            )
        )
        return rows

    def agreed(self, index: int) -> list[str]:
        """Names of the members that flagged the session (``Incident.detectors_agreed``)."""
        return [name for j, name in enumerate(self.members) if self.votes[index, j]]


class ConsensusFusion:
    """Fuses detectors of any kind under one documented rule (see the module docstring).

    ``fit`` fits every member on its view of the (normal) training sessions unless
    ``prefit=True``, in which case the members are used as given.
    """

    def __init__(
        self,
        members: Sequence[FusionMember],
        *,
        rule: str = "vote",
        quorum: float = 0.5,
        cap: float = 10.0,
        prefit: bool = False,
    ) -> None:
        self.members = list(members)
        self.rule = rule
        self.quorum = quorum
        self.cap = cap
        self.prefit = prefit

    def _check(self) -> None:
        if not self.members:
            raise ValueError("a consensus needs at least one member")
        names = [m.name for m in self.members]
        if len(set(names)) != len(names):
            raise ValueError(f"member names must be unique, got {names}")
        if self.rule not in ("vote", "mean"):
            raise ValueError(f"rule must be 'vote' or 'mean', got {self.rule!r}")
        if any(m.weight <= 0 for m in self.members):
            raise ValueError("member weights must be positive")

    def fit(self, sessions: Sessions, y: Any = None) -> ConsensusFusion:
        """Fit each member on normal sessions (``y`` is ignored)."""
        del y
        self._check()
        if not self.prefit:
            for member in self.members:
                member.detector.fit(member.inputs(sessions))
        return self

    def evaluate(self, sessions: Sessions) -> FusionResult:
        """Every member's score and vote, the fused score and the verdict."""
        self._check()
        scores = np.column_stack(
            [
                np.minimum(
                    np.asarray(m.detector.anomaly_score(m.inputs(sessions)), float), self.cap
                )
                for m in self.members
            ]
        )
        weights = np.array([m.weight for m in self.members], dtype=np.float64)
        votes = scores > 1.0
        contributions = scores * weights / weights.sum()
        fused = contributions.sum(axis=1)
        if self.rule == "vote":
            flagged = (votes * weights).sum(axis=1) > self.quorum * weights.sum()
        else:
            flagged = fused > 1.0
        return FusionResult(
            members=tuple(m.name for m in self.members),
            scores=scores,
            votes=votes,
            contributions=contributions,
            fused=fused,
            flagged=np.asarray(flagged, dtype=bool),
        )

    def predict(self, sessions: Sessions) -> npt.NDArray[np.int_]:
        """``-1`` for flagged sessions, ``+1`` otherwise (scikit-learn's outlier polarity)."""
        return np.where(self.evaluate(sessions).flagged, -1, 1)


def loosest_member_fpr(
    held_out_scores: Sequence[npt.ArrayLike],
    fixed_votes: Sequence[npt.ArrayLike] = (),
    *,
    target_fpr: float,
    quorum: float = 0.5,
    grid: Sequence[float] = MEMBER_FPR_GRID,
) -> float:
    """The loosest common ``target_fpr`` of the adjustable members that keeps the consensus at
    ``target_fpr`` on held-out normals (see the module docstring).

    ``held_out_scores[i]`` are adjustable member ``i``'s ``score_samples`` (higher is normal) on
    the held-out normals; at a candidate rate ``q`` it votes for the normals below its ``q``
    quantile (the rule of :func:`logswarm.detect.base.calibrate_offset`). ``fixed_votes[j]``
    are the votes, on the same normals, of members whose threshold stays as it is. Members
    weigh the same; a normal is flagged when strictly more than ``quorum`` of them vote.
    Returns the largest ``q`` of ``grid`` whose consensus flags at most ``target_fpr`` of the
    normals, or the smallest ``q`` when none does.
    """
    scores = [np.asarray(s, dtype=np.float64).ravel() for s in held_out_scores]
    fixed = [np.asarray(v, dtype=bool).ravel() for v in fixed_votes]
    if not scores:
        raise ValueError("at least one adjustable member is needed")
    n = scores[0].size
    if n == 0 or any(s.size != n for s in scores) or any(v.size != n for v in fixed):
        raise ValueError("every member needs one score or vote per held-out normal, n > 0")
    steps = sorted(float(q) for q in grid)
    if not steps or not all(0.0 <= q < 1.0 for q in steps):
        raise ValueError("grid rates must be in [0, 1)")
    n_members = len(scores) + len(fixed)
    fixed_count = np.sum(fixed, axis=0) if fixed else np.zeros(n)
    chosen = steps[0]
    for q in steps:
        votes = fixed_count + sum(
            (s < np.quantile(s, q, method="lower")).astype(float) for s in scores
        )
        if np.mean(votes > quorum * n_members) > target_fpr:
            break
        chosen = q
    return chosen
