"""Seed Model 6 offline: debaters with distinct reasoning strategies, and an evidence referee.

The seed gets diversity from different models; offline, it comes from different *strategies*
over the same candidate causes (the reasoner's top cause and alternatives):

- ``frequency`` — the cause whose cited evidence is most voluminous (template counts above
  their baseline, sample lines);
- ``temporal`` — the cause whose evidence appears first: causes precede symptoms;
- ``dependency`` — the cause deepest in the service call graph (a failing callee makes its
  callers fail); without a dependency map it says so and keeps the reasoner's order.

The referee scores every argument on evidence (documented in docs/agents.md, *Model 6*)::

    score = 0.35 grounding + 0.25 coverage + 0.2 confidence + 0.2 support

``grounding``: share of the argument's claims whose citations all exist; ``coverage``: share of
the incident's abnormal evidence (new or surging templates, warning-or-worse lines) the
argument cites; ``support``: share of debaters naming the same cause (category and culprit).
Highest score wins (ties: support, then the debaters' order). ``agreement`` is the share of
debaters naming the selected category; below ``min_agreement`` the case is flagged for a
person (``unresolved``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from logswarm.agents.contracts import (
    ArgumentScore,
    Claim,
    DebaterInput,
    DebaterOutput,
    RCAInput,
    RCAOutput,
    RefereeInput,
    RefereeOutput,
    RootCause,
)
from logswarm.agents.grounding import check_grounding, collect_claims, context_ids
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.incidents import Incident

__all__ = ["Debater", "Referee", "abnormal_evidence"]

_ABNORMAL_SEVERITIES = {"WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"}


def abnormal_evidence(incident: Incident) -> set[str]:
    """Evidence ids that say something is wrong: new or surging templates, bad lines."""
    ids = {
        t.id for t in incident.templates if t.baseline_rate == 0 or t.count > 2 * t.baseline_rate
    }
    ids.update(s.id for s in incident.samples if s.severity.upper() in _ABNORMAL_SEVERITIES)
    return ids


def _cited(cause: RootCause) -> list[str]:
    return [*cause.summary.evidence, *([cause.entity] if cause.entity else [])]


def _volume(cause: RootCause, incident: Incident) -> float:
    templates = {t.id: t for t in incident.templates}
    samples = {s.id for s in incident.samples}
    total = 0.0
    for i in cause.summary.evidence:
        if i in templates:
            t = templates[i]
            total += max(0.0, t.count - t.baseline_rate)
        elif i in samples:
            total += 1.0
    return total


def _first_seen(cause: RootCause, incident: Incident) -> datetime | None:
    cited = set(cause.summary.evidence)
    value = (cause.entity_value or "").lower()
    times = [
        s.timestamp
        for s in incident.samples
        if s.timestamp is not None and (s.id in cited or (value and value in s.message.lower()))
    ]
    return min(times) if times else None


def _depth(cause: RootCause, dependencies: Mapping[str, list[str]]) -> int:
    """How many services (transitively) call the cause's service."""
    value = (cause.entity_value or "").lower()
    service = next(
        (s for s in dependencies if value == s.lower() or value.startswith(f"{s.lower()}-")),
        None,
    )
    if service is None:
        service = next(
            (c for cs in dependencies.values() for c in cs if value.startswith(c.lower())), None
        )
    if service is None:
        return -1
    callers: set[str] = set()
    frontier = {service}
    while frontier:
        frontier = {c for c, callees in dependencies.items() if frontier & set(callees)} - callers
        callers |= frontier
    return len(callers)


class Debater:
    """Argues for one of the reasoner's candidate causes from one strategy."""

    def __init__(self, reasoner: DeterministicReasoner) -> None:
        self._reasoner = reasoner

    def run(self, inp: DebaterInput) -> DebaterOutput:
        incident = inp.incident
        base = self._reasoner.rca(RCAInput(incident=incident, dependencies=inp.dependencies))
        candidates = [base.root_cause, *base.alternatives]
        argument: list[Claim]
        if inp.strategy == "frequency":
            volumes = [_volume(c, incident) for c in candidates]
            pick = max(range(len(candidates)), key=lambda i: (volumes[i], -i))
            argument = [
                Claim(
                    text=(
                        f"Frequency: {candidates[pick].category} has the most anomalous "
                        f"evidence ({volumes[pick]:.0f} occurrences above baseline)."
                    ),
                    evidence=candidates[pick].summary.evidence,
                )
            ]
        elif inp.strategy == "temporal":
            seen = [_first_seen(c, incident) for c in candidates]
            timed = [i for i, t in enumerate(seen) if t is not None]
            pick = min(timed, key=lambda i: (seen[i], i)) if timed else 0
            first = seen[pick]
            argument = [
                Claim(
                    text=(
                        f"Temporal: evidence of {candidates[pick].category} comes first"
                        + (f" ({first.isoformat()})" if first else " (no timestamps)")
                        + "; causes precede their symptoms."
                    ),
                    evidence=candidates[pick].summary.evidence,
                )
            ]
        else:
            depths = [_depth(c, inp.dependencies) for c in candidates]
            pick = max(range(len(candidates)), key=lambda i: (depths[i], -i))
            text = (
                f"Dependency: {candidates[pick].entity_value or candidates[pick].category} is "
                f"called by {depths[pick]} affected services; a failing callee explains them."
                if depths[pick] >= 0
                else "Dependency: no call graph covers these causes; keeping the evidence order."
            )
            argument = [Claim(text=text, evidence=candidates[pick].summary.evidence)]
        chosen = candidates[pick]
        others = [c for i, c in enumerate(candidates) if i != pick]
        chain = base.causal_chain if pick == 0 else [chosen.summary]
        rca = RCAOutput(root_cause=chosen, alternatives=others[:3], causal_chain=chain)
        return DebaterOutput(strategy=inp.strategy, rca=rca, argument=argument)


class Referee:
    """Scores arguments on evidence, selects the best, records agreement."""

    def run(self, inp: RefereeInput) -> RefereeOutput:
        incident = inp.incident
        if not inp.arguments:
            empty = RCAOutput(
                root_cause=RootCause(
                    category="unknown", summary=Claim(text="No arguments."), confidence=0.0
                )
            )
            return RefereeOutput(
                selected="none", rca=empty, agreement=0.0, unresolved=True, claims=[]
            )
        context = context_ids(incident)
        abnormal = abnormal_evidence(incident)
        keys = [(a.rca.root_cause.category, a.rca.root_cause.entity) for a in inp.arguments]
        scores: list[ArgumentScore] = []
        for argument, key in zip(inp.arguments, keys, strict=True):
            claims = [*collect_claims(argument.rca), *argument.argument]
            grounding = check_grounding(claims, context=context, incident=incident).score
            cited = {i for c in claims for i in c.evidence} | set(_cited(argument.rca.root_cause))
            coverage = len(cited & abnormal) / len(abnormal) if abnormal else 0.0
            support = keys.count(key) / len(keys)
            confidence = argument.rca.root_cause.confidence
            score = 0.35 * grounding + 0.25 * coverage + 0.2 * confidence + 0.2 * support
            scores.append(
                ArgumentScore(
                    strategy=argument.strategy,
                    category=key[0],
                    entity=key[1],
                    grounding=round(grounding, 4),
                    coverage=round(coverage, 4),
                    support=round(support, 4),
                    score=round(score, 4),
                )
            )
        best = max(range(len(scores)), key=lambda i: (scores[i].score, scores[i].support, -i))
        selected = inp.arguments[best]
        category = selected.rca.root_cause.category
        agreement = sum(1 for k in keys if k[0] == category) / len(keys)
        unresolved = agreement < inp.min_agreement
        dissent = sorted({k[0] for k in keys if k[0] != category})
        claims = [
            Claim(
                text=(
                    f"Selected the {selected.strategy} argument ({category}, score "
                    f"{scores[best].score:.2f}); {agreement:.0%} of debaters agree."
                ),
                evidence=selected.rca.root_cause.summary.evidence,
            )
        ]
        if dissent:
            claims.append(
                Claim(
                    text=f"Unresolved alternatives: {', '.join(dissent)}"
                    + ("; flagged for human review." if unresolved else "."),
                    evidence=[],
                )
            )
        return RefereeOutput(
            selected=selected.strategy,
            rca=selected.rca,
            scores=scores,
            agreement=round(agreement, 4),
            unresolved=unresolved,
            claims=claims,
        )
