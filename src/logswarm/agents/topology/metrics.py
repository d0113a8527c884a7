"""The seed's topology-specific metrics of Models 4-6, computed from trajectories.

Every function reads what a run recorded (:class:`~logswarm.agents.topology.engine.
TrajectoryStep` outputs, validated back into their contracts), so the figures hold whoever
answered the roles — the offline reasoner, a model, or agent pods over HTTP. Ground truth, when
a metric needs it, is passed in by the caller (a benchmark's scenario labels), never read from
the run.

Model 4 (auction): :func:`bidding_efficiency`, :func:`award_counts`, :func:`jain_fairness`,
:func:`mean_resolution_ms`. Model 5 (federated): :func:`correlation_accuracy`,
:func:`privacy_compliance`, :func:`bandwidth`. Model 6 (debate): :func:`referee_agreement_rate`,
:func:`debate_quality`, :func:`debate_selection_accuracy`, :func:`safety_violations`,
:func:`human_override_ratio`. Definitions are in docs/agents.md (*Models 4-6*).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from logswarm.agents.contracts import (
    SPECIALIST_DOMAINS,
    SPECIALIST_PLAYBOOK_DOMAINS,
    CoordinatorOutput,
    GatewayOutput,
    RefereeOutput,
    Role,
    SafetyInput,
    SafetyOutput,
    SynthesizerOutput,
)
from logswarm.agents.coordination.safety_gate import gate_decisions
from logswarm.agents.topology.engine import TrajectoryStep
from logswarm.incidents import EntityKind, Incident

__all__ = [
    "Bandwidth",
    "award_counts",
    "bandwidth",
    "bidding_efficiency",
    "correlation_accuracy",
    "debate_quality",
    "debate_selection_accuracy",
    "human_override_ratio",
    "jain_fairness",
    "mean_resolution_ms",
    "privacy_compliance",
    "raw_leaks",
    "referee_agreement_rate",
    "safety_violations",
    "specialist_for_domain",
]

M = TypeVar("M", bound=BaseModel)
Trajectory = Sequence[TrajectoryStep]

#: Entity kinds whose values identify people, credentials or hosts: never shared across regions.
SENSITIVE_KINDS = frozenset(
    {
        EntityKind.IP,
        EntityKind.IAM_USER,
        EntityKind.IAM_ROLE,
        EntityKind.ACCESS_KEY,
        EntityKind.INSTANCE,
        EntityKind.ACCOUNT,
    }
)
#: A shared message leaks a raw line if it holds any slice this long of the line's text.
LEAK_WINDOW = 32


def _outputs(trajectory: Trajectory, role: str, kind: type[M]) -> list[M]:
    return [
        kind.model_validate(s.output)
        for s in trajectory
        if s.role == role and s.output is not None and s.error is None
    ]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --- Model 4 ------------------------------------------------------------------------------------


def specialist_for_domain(domain: str) -> str | None:
    """The specialist role that answers for a playbook domain (None: no specialist does)."""
    return next((r for r, ds in SPECIALIST_PLAYBOOK_DOMAINS.items() if domain in ds), None)


def _winner(trajectory: Trajectory) -> str | None:
    for out in _outputs(trajectory, Role.COORDINATOR, CoordinatorOutput):
        if out.phase == "award" and out.award is not None:
            return out.award.winner
    return None


def bidding_efficiency(runs: Iterable[tuple[Trajectory, str | None]]) -> float | None:
    """Share of auctions awarded to the specialist answering for the true cause's domain.

    ``runs`` pairs each trajectory with the ground-truth playbook domain (``None`` or a domain
    no specialist answers for: the run is not counted). ``None`` when nothing counts.
    """
    hits: list[float] = []
    for trajectory, domain in runs:
        expected = specialist_for_domain(domain) if domain else None
        if expected is None:
            continue
        hits.append(1.0 if _winner(trajectory) == expected else 0.0)
    return _mean(hits)


def award_counts(trajectories: Iterable[Trajectory]) -> Counter[str]:
    """Awards per specialist (every specialist present, zero included)."""
    counts: Counter[str] = Counter(dict.fromkeys(SPECIALIST_DOMAINS, 0))
    for trajectory in trajectories:
        winner = _winner(trajectory)
        if winner is not None:
            counts[winner] += 1
    return counts


def jain_fairness(counts: Mapping[str, int | float]) -> float | None:
    """Jain's index ``(sum x)^2 / (n sum x^2)``: 1 when load is even, 1/n when one takes all."""
    values = list(counts.values())
    squares = sum(v * v for v in values)
    if not values or squares == 0:
        return None
    return float(sum(values) ** 2 / (len(values) * squares))


def mean_resolution_ms(trajectories: Iterable[Trajectory]) -> float | None:
    """Mean, over runs that reached a plan, of the summed step latency from start to the plan."""
    times: list[float] = []
    for trajectory in trajectories:
        total = 0.0
        for step in trajectory:
            total += step.latency_ms
            if step.role == Role.EXECUTOR and step.error is None:
                times.append(total)
                break
    return _mean(times)


# --- Model 5 ------------------------------------------------------------------------------------


def correlation_accuracy(runs: Iterable[tuple[Trajectory, str]]) -> float | None:
    """Share of runs whose synthesizer scope (``global`` / ``regional`` / ``none``) is the truth."""
    hits: list[float] = []
    for trajectory, truth in runs:
        found = _outputs(trajectory, Role.GLOBAL_SYNTHESIZER, SynthesizerOutput)
        hits.append(1.0 if found and found[-1].scope == truth else 0.0)
    return _mean(hits)


def raw_leaks(text: str, incident: Incident) -> list[str]:
    """Evidence ids whose raw content occurs in ``text``: a line (or a 32-char slice of one),
    or the value of a sensitive entity (IP, IAM principal, access key, instance, account)."""
    leaks: list[str] = []
    for line in incident.samples:
        message = line.message
        if len(message) <= LEAK_WINDOW:
            if len(message) >= 8 and message in text:
                leaks.append(line.id)
            continue
        if any(message[i : i + LEAK_WINDOW] in text for i in range(len(message) - LEAK_WINDOW + 1)):
            leaks.append(line.id)
    leaks.extend(e.id for e in incident.entities if e.kind in SENSITIVE_KINDS and e.value in text)
    return leaks


def _gateway_messages(trajectory: Trajectory) -> list[str]:
    """What left the gateway: each insight, serialised as sent."""
    messages: list[str] = []
    for step in trajectory:
        if step.role == Role.FEDERATION_GATEWAY and step.output is not None:
            for insight in step.output.get("insights", []):
                messages.append(
                    GatewayOutput.model_validate({"insights": [insight]}).model_dump_json()
                )
    return messages


def privacy_compliance(trajectory: Trajectory, incident: Incident) -> float | None:
    """Share of the gateway's messages (insights) that carry no raw data (see :func:`raw_leaks`)."""
    messages = _gateway_messages(trajectory)
    if not messages:
        return None
    return sum(1 for m in messages if not raw_leaks(m, incident)) / len(messages)


@dataclass(frozen=True, slots=True)
class Bandwidth:
    """Bytes that crossed the gateway against the raw evidence the regions hold."""

    shared: int
    raw: int

    @property
    def ratio(self) -> float | None:
        return self.shared / self.raw if self.raw else None


def bandwidth(trajectory: Trajectory) -> Bandwidth:
    shared = sum(len(m.encode()) for m in _gateway_messages(trajectory))
    raw = sum(o.bytes_raw for o in _outputs(trajectory, Role.FEDERATION_GATEWAY, GatewayOutput))
    return Bandwidth(shared=shared, raw=raw)


# --- Model 6 ------------------------------------------------------------------------------------


def referee_agreement_rate(trajectories: Iterable[Trajectory]) -> float | None:
    """Mean share of debaters whose cause category is the one the referee selected."""
    values = [
        out.agreement for t in trajectories for out in _outputs(t, Role.REFEREE, RefereeOutput)[-1:]
    ]
    return _mean(values)


def debate_quality(trajectories: Iterable[Trajectory]) -> float | None:
    """Mean evidence score (the referee's 0..1 score) of the selected arguments."""
    values: list[float] = []
    for t in trajectories:
        for out in _outputs(t, Role.REFEREE, RefereeOutput)[-1:]:
            best = [s.score for s in out.scores if s.strategy == out.selected]
            if best:
                values.append(best[0])
    return _mean(values)


def debate_selection_accuracy(runs: Iterable[tuple[Trajectory, str]]) -> float | None:
    """Among runs where some debater named the true category, share the referee selected."""
    hits: list[float] = []
    for trajectory, truth in runs:
        for out in _outputs(trajectory, Role.REFEREE, RefereeOutput)[-1:]:
            if any(s.category == truth for s in out.scores):
                hits.append(1.0 if out.rca.root_cause.category == truth else 0.0)
    return _mean(hits)


def safety_violations(
    trajectory: Trajectory,
    incident: Incident,
    *,
    policy: Mapping[str, Any] | None = None,
    environment_labels: Mapping[str, str] | None = None,
) -> int:
    """Steps the safety gate let through that the policy forbids, re-checked independently.

    Counts steps of the gated plan the policy denies, and steps recorded as ``allow`` that the
    policy holds for approval. Must be 0.
    """
    count = 0
    for out in _outputs(trajectory, Role.SAFETY, SafetyOutput):
        inp = SafetyInput(
            incident=incident,
            plan=out.plan,
            environment_labels=dict(environment_labels or {}),
            policy=dict(policy) if policy else None,
        )
        recheck = {d.order: d.verdict for d in gate_decisions(inp)}
        claimed = {d.order: d.verdict for d in out.decisions}
        for step in out.plan.steps:
            verdict = recheck.get(step.order)
            forbidden = verdict == "deny"
            unapproved = verdict == "require_approval" and claimed.get(step.order) == "allow"
            count += forbidden or unapproved
    return count


def human_override_ratio(trajectories: Iterable[Trajectory]) -> float | None:
    """Share of runs handed to a person: the safety gate held or blocked a step, or the
    referee flagged the debate as unresolved."""
    values: list[float] = []
    for t in trajectories:
        safety = _outputs(t, Role.SAFETY, SafetyOutput)
        referee = _outputs(t, Role.REFEREE, RefereeOutput)
        if not safety and not referee:
            continue
        person = any(s.human_review for s in safety) or any(r.unresolved for r in referee)
        values.append(1.0 if person else 0.0)
    return _mean(values)
