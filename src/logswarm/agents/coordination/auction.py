"""Seed Model 4 offline: the auctioneer and the four domain specialists (Contract Net).

A specialist bids with a confidence computed from the evidence of *its* domain only: the
playbooks of its domain (:data:`~logswarm.agents.contracts.SPECIALIST_PLAYBOOK_DOMAINS`: the
performance specialist also answers for the platform playbooks) that the incident's lines match (the reasoner's own matching), plus
domain cues a specialist of that trade looks at first — CloudTrail / VPC flow records and IAM
entities for security; latency, CPU and memory for performance; DNS and connection errors for
network; database, pool and lock errors for database. Once awarded, it analyses the incident
with its domain's playbooks only, so a wrong award yields a wrong (or ``unknown``) diagnosis —
the award matters.

The auctioneer's award rule (documented in docs/agents.md, *Model 4*)::

    score(bid) = (confidence + 0.01) * reputation * availability
    availability = 1 / (1 + open tasks of the bidder)

highest score wins; ties go to the higher confidence, then to the role name. Reputation starts
at 1.0 and moves after each task by an exponential average of the reward (``0.8 r + 0.2 (0.5 +
reward)``, clipped to [0.5, 1.5]): the reviewer's verdict when it has one (resolved 1, not
resolved 0), else the winner's RCA confidence times its grounding score. The ledger lives in
the auctioneer (one per agent process), so the feedback loop spans incidents.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from logswarm.agents.catalogue import PlaybookCatalogue
from logswarm.agents.contracts import (
    SPECIALIST_DOMAINS,
    SPECIALIST_PLAYBOOK_DOMAINS,
    Award,
    Bid,
    BidScore,
    Claim,
    CoordinatorInput,
    CoordinatorOutput,
    RCAInput,
    RCAOutput,
    SpecialistInput,
    SpecialistOutput,
    TaskAnnouncement,
)
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.errors import ContractError
from logswarm.agents.grounding import check_grounding, collect_claims, context_ids
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.incidents import EntityKind, Incident

__all__ = ["AWARD_RULE", "Auctioneer", "Specialist", "domain_evidence"]

AWARD_RULE = (
    "score = (confidence + 0.01) x reputation x 1/(1 + open tasks); "
    "highest wins, ties by confidence then role name"
)

_CUES: dict[str, re.Pattern[str]] = {
    "security": re.compile(
        r"accessdenied|unauthori[sz]ed|forbidden|\biam\b|assumerole|consolelogin|mfa|"
        r"credential|access ?key|privilege|malware|certificate|x509",
        re.IGNORECASE,
    ),
    "performance": re.compile(
        r"latency|slow|p9[59]|cpu|memory|oom|throttl|saturat|capacity|exhaust|load average",
        re.IGNORECASE,
    ),
    "network": re.compile(
        r"\bdns\b|nxdomain|servfail|no such host|resolve|connection refused|connection reset|"
        r"unreachable|no route|i/o timeout|reject|packets?|flood|port",
        re.IGNORECASE,
    ),
    "database": re.compile(
        r"postgres|mysql|database|\bdb\b|sql|connection pool|pool exhausted|deadlock|\block|"
        r"replica|replication|query|transaction",
        re.IGNORECASE,
    ),
}
_SOURCE_CUES = {"security": {"cloudtrail", "vpcflow"}, "network": {"vpcflow"}}
_ENTITY_CUES = {
    "security": {
        EntityKind.ACCESS_KEY,
        EntityKind.IAM_USER,
        EntityKind.IAM_ROLE,
        EntityKind.SECURITY_GROUP,
    },
    "network": {EntityKind.IP, EntityKind.VPC, EntityKind.ENI},
    "performance": {EntityKind.ASG, EntityKind.LAMBDA},
}
_SEVERITY_WEIGHT = {"ERROR": 1.0, "CRITICAL": 1.2, "ALERT": 1.2, "EMERGENCY": 1.2, "WARNING": 0.6}


def domain_evidence(
    reasoner: DeterministicReasoner, incident: Incident, domain: str
) -> tuple[float, list[str]]:
    """(weighted evidence score, cited ids) of ``domain`` in ``incident``."""
    dx = reasoner.diagnose(incident)
    score = 0.0
    cited: list[str] = []
    owned = _owned(domain)
    for playbook, value, ids in dx.categories:
        if playbook.domain in owned:
            score += value
            cited.extend(ids)
    cues = _CUES[domain]
    for line in incident.samples:
        if cues.search(line.message):
            score += 0.5 * _SEVERITY_WEIGHT.get(line.severity.upper(), 0.2)
            cited.append(line.id)
    for template in incident.templates:
        if cues.search(template.template):
            score += 0.25
            cited.append(template.id)
    sources = {s.lower() for s in incident.sources}
    if sources & _SOURCE_CUES.get(domain, set()):
        score += 0.5
    for entity in incident.entities:
        if entity.kind in _ENTITY_CUES.get(domain, set()):
            score += 0.25
            cited.append(entity.id)
    return score, list(dict.fromkeys(cited))


def _owned(domain: str) -> tuple[str, ...]:
    """Playbook domains the specialist of ``domain`` answers for."""
    role = next((r for r, d in SPECIALIST_DOMAINS.items() if d == domain), None)
    return SPECIALIST_PLAYBOOK_DOMAINS.get(role, (domain,)) if role else (domain,)


def _domain_reasoner(env: AgentEnvironment, domain: str) -> DeterministicReasoner:
    catalogue = env.catalogue
    owned = _owned(domain)
    restricted = PlaybookCatalogue(
        version=catalogue.version,
        playbooks=[p for p in catalogue.playbooks if p.domain in owned],
    )
    return DeterministicReasoner(AgentEnvironment(catalogue=restricted, toolbox=env.toolbox))


class Specialist:
    """One domain specialist: bids from its domain's evidence, solves with its playbooks."""

    def __init__(self, role: str, reasoner: DeterministicReasoner) -> None:
        if role not in SPECIALIST_DOMAINS:
            raise ContractError(f"{role!r} is not a specialist role")
        self.role = role
        self.domain = SPECIALIST_DOMAINS[role]
        self._reasoner = reasoner
        self._solver = _domain_reasoner(reasoner.env, self.domain)

    def bid(self, incident: Incident) -> Bid:
        score, cited = domain_evidence(self._reasoner, incident, self.domain)
        confidence = round(score / (score + 2.0), 4)
        text = (
            f"{self.domain.title()} evidence weighs {score:.2f} in this incident."
            if cited
            else f"No {self.domain} evidence in this incident."
        )
        return Bid(
            specialist=self.role,
            domain=self.domain,
            confidence=confidence,
            evidence_score=round(score, 4),
            rationale=Claim(text=text, evidence=cited[:12]),
        )

    def run(self, inp: SpecialistInput) -> SpecialistOutput:
        bid = self.bid(inp.incident)
        rca: RCAOutput | None = None
        if inp.phase == "solve":
            rca = self._solver.rca(RCAInput(incident=inp.incident, dependencies=inp.dependencies))
        return SpecialistOutput(specialist=self.role, domain=self.domain, bid=bid, rca=rca)


@dataclass(slots=True)
class _Ledger:
    reputation: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(SPECIALIST_DOMAINS, 1.0)
    )
    open_tasks: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPECIALIST_DOMAINS, 0))
    awarded: dict[str, str] = field(default_factory=dict)


class Auctioneer:
    """The coordinator of Model 4: announce, award by :data:`AWARD_RULE`, learn from feedback."""

    def __init__(self, reasoner: DeterministicReasoner) -> None:
        self._reasoner = reasoner
        self._ledger = _Ledger()

    @property
    def reputation(self) -> dict[str, float]:
        return dict(self._ledger.reputation)

    def run(self, inp: CoordinatorInput) -> CoordinatorOutput:
        if inp.phase == "announce":
            return self._announce(inp)
        if inp.phase == "award":
            return self._award(inp)
        return self._feedback(inp)

    def _announce(self, inp: CoordinatorInput) -> CoordinatorOutput:
        incident = inp.incident
        digest = hashlib.sha256(incident.model_dump_json().encode()).hexdigest()[:8]
        hints = [
            d
            for d in dict.fromkeys(SPECIALIST_DOMAINS.values())
            if domain_evidence(self._reasoner, incident, d)[0] > 0
        ]
        evidence = [t.id for t in incident.templates[:3]] + [s.id for s in incident.scores[:2]]
        task = TaskAnnouncement(
            task_id=f"{incident.id}-{digest}",
            incident_id=incident.id,
            summary=Claim(
                text=f"Find the root cause of: {incident.title[:300]}", evidence=evidence
            ),
            domain_hints=hints,
        )
        return CoordinatorOutput(phase="announce", task=task, reputation=self.reputation)

    def _award(self, inp: CoordinatorInput) -> CoordinatorOutput:
        if inp.task is None:
            raise ContractError("award needs the announced task")
        ledger = self._ledger
        ranking: list[BidScore] = []
        for bid in inp.bids:
            reputation = ledger.reputation.get(bid.specialist, 1.0)
            availability = 1.0 / (1.0 + ledger.open_tasks.get(bid.specialist, 0))
            ranking.append(
                BidScore(
                    specialist=bid.specialist,
                    confidence=bid.confidence,
                    reputation=round(reputation, 4),
                    availability=round(availability, 4),
                    score=round((bid.confidence + 0.01) * reputation * availability, 6),
                )
            )
        ranking.sort(key=lambda s: (-s.score, -s.confidence, s.specialist))
        winner = ranking[0].specialist if ranking else None
        if winner is not None:
            ledger.open_tasks[winner] = ledger.open_tasks.get(winner, 0) + 1
            ledger.awarded[inp.task.task_id] = winner
        best = next((b for b in inp.bids if b.specialist == winner), None)
        text = (
            f"Awarded to {winner} (score {ranking[0].score:.3f} of {len(ranking)} bids)."
            if winner
            else "No bids: nothing to award."
        )
        award = Award(
            task_id=inp.task.task_id,
            winner=winner,
            rule=AWARD_RULE,
            ranking=ranking,
            rationale=Claim(text=text, evidence=best.rationale.evidence if best else []),
        )
        return CoordinatorOutput(
            phase="award", task=inp.task, award=award, reputation=self.reputation
        )

    def _feedback(self, inp: CoordinatorInput) -> CoordinatorOutput:
        ledger = self._ledger
        award = inp.award
        if award is None or award.winner is None:
            return CoordinatorOutput(phase="feedback", reputation=self.reputation)
        winner = award.winner
        if inp.review is not None and inp.review.verdict in ("resolved", "not_resolved"):
            reward = 1.0 if inp.review.verdict == "resolved" else 0.0
            how = f"reviewer verdict {inp.review.verdict}"
        elif inp.rca is not None:
            grounding = check_grounding(
                collect_claims(inp.rca), context=context_ids(inp.incident), incident=inp.incident
            )
            reward = inp.rca.root_cause.confidence * grounding.score
            how = "RCA confidence x grounding (outcome unverified)"
        else:
            reward = 0.0
            how = "no analysis delivered"
        old = ledger.reputation.get(winner, 1.0)
        new = min(1.5, max(0.5, 0.8 * old + 0.2 * (0.5 + reward)))
        ledger.reputation[winner] = round(new, 6)
        ledger.open_tasks[winner] = max(0, ledger.open_tasks.get(winner, 0) - 1)
        ledger.awarded.pop(award.task_id, None)
        claim = Claim(
            text=f"{winner}: reward {reward:.2f} ({how}); reputation {old:.3f} -> {new:.3f}.",
            evidence=inp.rca.root_cause.summary.evidence if inp.rca else [],
        )
        return CoordinatorOutput(
            phase="feedback",
            award=award,
            reputation=self.reputation,
            reward=round(reward, 6),
            claims=[claim],
        )
