"""The deterministic, evidence-based reasoner: every role's contract without an LLM.

It is the offline default and the seed's control group ("everything else must beat this").
It reasons only from what an agent would see — the incident's templates, sample lines,
entities and detector scores, retrieved knowledge and tool observations — never from a
scenario's labels:

- **cause category**: every playbook of the catalogue lists textual signals; evidence items
  (templates weighted by novelty against their baseline, lines weighted by severity) vote for
  the categories whose signals they contain; an entity kind the playbook can act on must exist.
- **culprit**: candidate entities are scored by co-occurrence with anomalous evidence, time
  order (the cause precedes its symptoms), service dependencies (a failing callee explains
  failing callers, not the reverse) and whether their kind can be the cause of the category.
- **remediation**: the category's playbook, each step bound to an entity of the incident
  related to the culprit (same name, pod of a deployment, co-occurring in the same lines).

Every claim it makes cites the evidence it used, so its grounding score is the yardstick for
the LLM backends.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from logswarm.agents.catalogue import FlowShape, Playbook, PlaybookCatalogue
from logswarm.agents.contracts import (
    ACTION_TARGET_KINDS,
    MAX_CITATIONS,
    Claim,
    ExecutorInput,
    ExecutorOutput,
    IntentCategory,
    IntentInput,
    IntentOutput,
    KnowledgeHit,
    MemoryInput,
    MemoryOutput,
    Observation,
    PlannerInput,
    PlannerOutput,
    PlanStep,
    RCAInput,
    RCAOutput,
    Recommendation,
    RecommenderInput,
    RecommenderOutput,
    RetrievalInput,
    RetrievalOutput,
    ReviewerInput,
    ReviewerOutput,
    Role,
    RootCause,
    Subtask,
    ToolCallRecord,
    ValidationInput,
    ValidationOutput,
    VerificationCheck,
)
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.grounding import check_grounding, collect_claims, context_ids
from logswarm.agents.retrieval import incident_text
from logswarm.agents.tools import LogQuery
from logswarm.incidents import Entity, EntityKind, Incident, IncidentSeverity
from logswarm.records import Severity

__all__ = ["DeterministicReasoner", "Diagnosis", "FlowShapeEvidence", "flow_shape"]

_SEVERITY_WEIGHT = {
    "TRACE": 0.05, "DEBUG": 0.05, "INFO": 0.2, "NOTICE": 0.3, "WARNING": 0.6,
    "ERROR": 1.0, "CRITICAL": 1.4, "ALERT": 1.5, "EMERGENCY": 1.5,
}  # fmt: skip
_BLAST = {
    EntityKind.POD: "single_resource", EntityKind.NODE: "single_resource",
    EntityKind.IP: "single_resource", EntityKind.INSTANCE: "single_resource",
    EntityKind.DEPLOYMENT: "service", EntityKind.LAMBDA: "service",
    EntityKind.SECURITY_GROUP: "multi_service", EntityKind.ASG: "multi_service",
    EntityKind.ACCESS_KEY: "account",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class FlowShapeEvidence:
    """What the network evidence looks like, independent of any cause label.

    ``shape`` is one of the catalogue's flow shapes (``scan``, ``internal_scan``, ``flood``,
    ``brute_force``, ``beacon``); ``culprit`` the address that shape singles out (the scanner,
    the brute-forcer, the beaconing host), if any; ``strength`` how many evidence points the
    shape is worth (exact flows read from lines count more than entity-count proxies).
    """

    shape: FlowShape
    culprit: str | None
    strength: float
    evidence: list[str]


@dataclass(slots=True)
class _Item:
    """One piece of evidence as text, with how much it says about an anomaly."""

    id: str
    text: str
    weight: float
    timestamp: datetime | None = None
    abnormal: bool = True


@dataclass(slots=True)
class _Candidate:
    entity: Entity
    score: float
    first_seen: datetime | None
    evidence: list[str] = field(default_factory=list)
    #: Whether any evidence text names this entity (fields-only entities are not named).
    named: bool = False


@dataclass(slots=True)
class Diagnosis:
    """The reasoner's full view of an incident (exposed for the benchmarks' explanations)."""

    categories: list[tuple[Playbook, float, list[str]]]
    candidates: list[_Candidate]
    items: list[_Item]
    shape: FlowShapeEvidence | None = None


class DeterministicReasoner:
    """Implements every role with contracts from :mod:`logswarm.agents.contracts`."""

    def __init__(self, env: AgentEnvironment) -> None:
        self.env = env

    @property
    def catalogue(self) -> PlaybookCatalogue:
        return self.env.catalogue

    # -- shared analysis ------------------------------------------------------------------------

    def diagnose(
        self,
        incident: Incident,
        *,
        retrieval: RetrievalOutput | None = None,
        dependencies: dict[str, list[str]] | None = None,
    ) -> Diagnosis:
        items = _evidence_items(incident, retrieval)
        present = {e.kind for e in incident.entities}
        shape = flow_shape(incident, items)
        categories: list[tuple[Playbook, float, list[str]]] = []
        for playbook in self.catalogue.playbooks:
            score = 0.0
            cited: list[str] = []
            for item in items:
                n = playbook.matches(item.text)
                if n:
                    score += item.weight * min(n, 2)
                    cited.append(item.id)
            if shape is not None and playbook.flow_shape == shape.shape:
                score += shape.strength
                cited.extend(shape.evidence)
            if retrieval is not None:
                for hit in retrieval.documents:
                    if hit.category == playbook.category and hit.score > 0.2:
                        score += 0.5 * hit.score
                        cited.append(hit.id)
            if score and not present.intersection(playbook.culprit_kinds):
                score *= 0.5
            if score:
                categories.append((playbook, score, list(dict.fromkeys(cited))))
        categories.sort(key=lambda c: c[1], reverse=True)
        top = categories[0][0] if categories else None
        candidates = _rank_entities(incident, items, top, dependencies or {}, shape)
        return Diagnosis(categories=categories, candidates=candidates, items=items, shape=shape)

    # -- Intent Classifier ----------------------------------------------------------------------

    def intent(self, inp: IntentInput) -> IntentOutput:
        incident = inp.incident
        dx = self.diagnose(incident)
        top = dx.categories[0] if dx.categories else None
        category = top[0].intent if top else IntentCategory.UNKNOWN
        domains = list(dict.fromkeys(p.domain for p, _, _ in dx.categories[:2]))
        kinds = {e.kind for e in incident.entities}
        if category == IntentCategory.SECURITY_THREAT and kinds & {
            EntityKind.ACCESS_KEY,
            EntityKind.IAM_USER,
            EntityKind.IAM_ROLE,
        }:
            blast = "account"
        elif len(incident.services) > 1:
            blast = "multi_service"
        elif incident.services:
            blast = "service"
        else:
            blast = "single_resource"
        rationale: list[Claim] = []
        if top:
            rationale.append(
                Claim(
                    text=f"The evidence matches the signals of '{top[0].title}'.",
                    evidence=top[2][:5],
                )
            )
        if dx.candidates:
            c = dx.candidates[0]
            rationale.append(
                Claim(
                    text=f"{c.entity.kind} {c.entity.value} is the entity most tied to the anomaly.",
                    evidence=[c.entity.id, *c.evidence[:3]],
                )
            )
        urgency = {
            IncidentSeverity.CRITICAL: "immediate",
            IncidentSeverity.HIGH: "high",
            IncidentSeverity.MEDIUM: "normal",
            IncidentSeverity.LOW: "low",
        }[incident.severity]
        return IntentOutput(
            category=category,
            severity=incident.severity,
            urgency=urgency,
            affected_services=list(incident.services),
            blast_radius=blast,
            key_entities=[c.entity.id for c in dx.candidates[:3]],
            routing_tags=domains,
            rationale=rationale,
        )

    # -- Retrieval ------------------------------------------------------------------------------

    def retrieve(self, inp: RetrievalInput) -> RetrievalOutput:
        incident = inp.incident
        documents: list[KnowledgeHit] = []
        claims: list[Claim] = []
        query = incident_text(incident)
        if inp.requested:
            query += "\n" + "\n".join(inp.requested)
        k = inp.k + 2 * inp.round
        if self.env.knowledge is not None:
            for i, (doc, score) in enumerate(self.env.knowledge.search(query, k=k), start=1):
                documents.append(
                    KnowledgeHit(
                        id=f"K{i}",
                        doc_id=doc.doc_id,
                        kind=doc.kind,
                        title=doc.title,
                        score=round(score, 4),
                        excerpt=doc.text[:400],
                        category=doc.category,
                        remediation=doc.remediation,
                        outcome=doc.outcome,
                    )
                )
            if documents:
                best = documents[0]
                claims.append(
                    Claim(
                        text=f"The closest known case is '{best.title}' ({best.kind}).",
                        evidence=[best.id],
                    )
                )
        observations: list[Observation] = []
        calls: list[ToolCallRecord] = []
        if self.env.toolbox.logs is not None:
            wanted = self._entities_to_probe(incident, inp)
            span = max(incident.window.seconds, 60.0)
            start = incident.window.start - timedelta(seconds=span * inp.round)
            for entity in wanted:
                # Network records (flow logs) are all INFO: for addresses the lines themselves
                # are the evidence (ports, peers), so they are not filtered by severity.
                network = entity.kind in (EntityKind.IP, EntityKind.ENI)
                query_args = LogQuery(
                    start=start,
                    end=incident.window.end,
                    entity=entity.value,
                    min_severity=None if network else Severity.WARNING,
                    limit=20,
                )
                result = self.env.toolbox.query_logs(query_args)
                record = ToolCallRecord(
                    tool="query_logs",
                    arguments=query_args.model_dump(mode="json", exclude_none=True),
                    ok=result.ok,
                    error=result.error,
                )
                what = "lines" if network else "warning-or-worse lines"
                if result.ok and result.value is not None and result.value.total:
                    obs_id = f"O{len(observations) + 1}"
                    hits = result.value.hits
                    first = hits[0]
                    when = first.timestamp.isoformat() if first.timestamp else "-"
                    observations.append(
                        Observation(
                            id=obs_id,
                            tool="query_logs",
                            summary=(
                                f"{result.value.total} {what} mention "
                                f"{entity.value}; first at {when}: {first.message[:200]}"
                            ),
                            data={
                                "entity": entity.id,
                                "total": result.value.total,
                                "first_at": when,
                                "lines": [
                                    {
                                        "t": h.timestamp.isoformat() if h.timestamp else None,
                                        "severity": h.severity,
                                        "message": h.message[:300],
                                    }
                                    for h in hits[:10]
                                ],
                            },
                        )
                    )
                    record.observations.append(obs_id)
                    claims.append(
                        Claim(
                            text=f"{result.value.total} {what} mention {entity.value}.",
                            evidence=[obs_id, entity.id],
                        )
                    )
                calls.append(record)
        return RetrievalOutput(
            documents=documents, observations=observations, tool_calls=calls, claims=claims
        )

    def _entities_to_probe(self, incident: Incident, inp: RetrievalInput) -> list[Entity]:
        by_id = {e.id: e for e in incident.entities}
        chosen = [by_id[i] for i in (inp.intent.key_entities if inp.intent else []) if i in by_id]
        if not chosen:
            chosen = [c.entity for c in self.diagnose(incident).candidates[:3]]
        return chosen[: 2 + inp.round]

    # -- Root Cause Analysis --------------------------------------------------------------------

    def rca(self, inp: RCAInput) -> RCAOutput:
        incident = inp.incident
        dx = self.diagnose(incident, retrieval=inp.retrieval, dependencies=inp.dependencies)
        causes = _causes(dx, incident)
        chain = _causal_chain(dx, incident, causes[0])
        return RCAOutput(root_cause=causes[0], alternatives=causes[1:3], causal_chain=chain)

    # -- Validation -----------------------------------------------------------------------------

    def validate(self, inp: ValidationInput) -> ValidationOutput:
        incident = inp.incident
        report = check_grounding(
            collect_claims(inp.rca),
            context=context_ids(incident, inp.retrieval),
            steps=inp.steps,
            incident=incident,
        )
        issues: list[str] = []
        requested: list[str] = []
        cause = inp.rca.root_cause
        invented = [h for h in report.hallucinations if h.reason != "uncited"]
        if invented:
            issues.append(f"{len(invented)} claims cite evidence or targets that do not exist")
        if report.score < inp.min_grounding:
            issues.append(f"grounding {report.score:.2f} below {inp.min_grounding:.2f}")
        if cause.entity is not None and cause.entity not in incident.evidence_ids():
            issues.append(f"culprit {cause.entity} is not an entity of the incident")
        if cause.category == "unknown":
            issues.append("no cause category is supported by the evidence")
            requested.append("earlier logs of the affected services")
        if cause.confidence < inp.min_confidence:
            issues.append(f"confidence {cause.confidence:.2f} below {inp.min_confidence:.2f}")
            if cause.entity_value:
                requested.append(f"warning and error lines mentioning {cause.entity_value}")
            requested.extend(f"logs mentioning {a.entity_value}" for a in inp.rca.alternatives[:1])
        if invented or (cause.entity is not None and cause.entity not in incident.evidence_ids()):
            verdict = "reject"
        elif issues:
            verdict = "need_more_evidence"
        else:
            verdict = "accept"
        failed_tools = [c for c in (inp.retrieval.tool_calls if inp.retrieval else []) if not c.ok]
        if failed_tools:  # reported, not blocking: the claims are checked on what did return
            issues.append(
                f"{len(failed_tools)} tool calls failed: "
                + "; ".join(f"{c.tool}: {c.error}" for c in failed_tools[:3])
            )
        confidence = cause.confidence * (0.5 + 0.5 * report.score)
        return ValidationOutput(
            verdict=verdict,
            grounding=report,
            issues=issues,
            requested_evidence=requested,
            confidence=round(confidence, 4),
        )

    # -- Remediation Recommender ----------------------------------------------------------------

    def recommend(self, inp: RecommenderInput) -> RecommenderOutput:
        incident = inp.incident
        cause = inp.rca.root_cause
        recs: list[Recommendation] = []
        for playbook in self.catalogue.by_category(cause.category)[:1]:
            for action, target, params, risk in _bind_steps(playbook, incident, cause):
                priority = len(recs) + 1
                recs.append(
                    Recommendation(
                        playbook_id=playbook.id,
                        action=action,
                        target=target.id,
                        target_value=target.value,
                        params=params,
                        priority=priority,
                        risk=risk,
                        confidence=cause.confidence,
                        depends_on=[priority - 1] if priority > 1 else [],
                        blast_radius=_BLAST.get(target.kind, "service"),
                        rationale=Claim(
                            text=f"{playbook.title}: {action} on {target.value}.",
                            evidence=list(
                                dict.fromkeys(
                                    [target.id, *([cause.entity] if cause.entity else [])]
                                )
                            ),
                        ),
                    )
                )
        claims = (
            [
                Claim(
                    text=f"Playbook {recs[0].playbook_id} applies.", evidence=cause.summary.evidence
                )
            ]
            if recs
            else []
        )
        return RecommenderOutput(recommendations=recs, claims=claims)

    # -- Planner --------------------------------------------------------------------------------

    def plan(self, inp: PlannerInput) -> PlannerOutput:
        incident = inp.incident
        if inp.rca is not None:
            diagnosis = inp.rca.root_cause
        else:  # Model 1: the planner reads the detector alerts itself.
            diagnosis = self.rca(RCAInput(incident=incident, retrieval=inp.retrieval)).root_cause
        playbooks = self.catalogue.by_category(diagnosis.category)
        if inp.recommendations and inp.recommendations.recommendations:
            playbook_id: str | None = inp.recommendations.recommendations[0].playbook_id
        else:
            playbook_id = playbooks[0].id if playbooks else None
        escalate = playbook_id is None or (
            inp.validation is not None and inp.validation.verdict != "accept"
        )
        evidence = list(dict.fromkeys(diagnosis.summary.evidence))
        subtasks = [
            Subtask(
                description=f"Apply playbook {playbook_id} as a dry run",
                assignee=Role.EXECUTOR,
                evidence=evidence[:3],
            ),
            Subtask(
                description="Verify the fix from metrics; roll back if they do not recover",
                assignee=Role.REVIEWER,
                evidence=evidence[:3],
            ),
        ]
        verb = "Escalate to a person" if escalate else f"Apply {playbook_id}"
        return PlannerOutput(
            summary=Claim(text=f"{diagnosis.summary.text} {verb}.", evidence=evidence),
            diagnosis=diagnosis,
            playbook_id=playbook_id,
            subtasks=subtasks if playbook_id else [],
            escalate=escalate,
        )

    # -- Executor (plan level) ------------------------------------------------------------------

    def execute(self, inp: ExecutorInput) -> ExecutorOutput:
        incident = inp.incident
        plan = inp.plan
        steps: list[PlanStep] = []
        if inp.recommendations and inp.recommendations.recommendations:
            for rec in sorted(inp.recommendations.recommendations, key=lambda r: r.priority):
                playbook = self.catalogue.get(rec.playbook_id)
                steps.append(
                    _step(
                        len(steps) + 1, rec.action, rec.target, incident, rec.params, rec.risk,
                        playbook, rec.rationale,
                    )
                )  # fmt: skip
        elif plan.playbook_id and (playbook := self.catalogue.get(plan.playbook_id)):
            for action, target, params, risk in _bind_steps(playbook, incident, plan.diagnosis):
                rationale = Claim(
                    text=f"{playbook.title}: {action} on {target.value}.",
                    evidence=list(dict.fromkeys([target.id, *plan.summary.evidence[:2]])),
                )
                steps.append(
                    _step(
                        len(steps) + 1,
                        action,
                        target.id,
                        incident,
                        params,
                        risk,
                        playbook,
                        rationale,
                    )
                )
        if not steps:
            # The claim rests on the entities that were candidate targets; cite them, or make
            # no claim at all when the incident names none (an uncited claim is a hallucination).
            considered = [e.id for e in incident.entities][:MAX_CITATIONS]
            notes = (
                [
                    Claim(
                        text="No action of the vocabulary fits these entities.", evidence=considered
                    )
                ]
                if considered
                else []
            )
            return ExecutorOutput(
                status="escalated" if plan.escalate else "nothing_to_do", notes=notes
            )
        return ExecutorOutput(status="escalated" if plan.escalate else "planned", steps=steps)

    # -- Reviewer -------------------------------------------------------------------------------

    def review(self, inp: ReviewerInput) -> ReviewerOutput:
        observed = {m.query: m for m in inp.metrics}
        checks: list[VerificationCheck] = []
        for step in inp.steps:
            if not step.verification:
                continue
            metric = observed.get(step.verification)
            ok: bool | None = None
            if metric is not None and metric.before is not None and metric.after is not None:
                ok = metric.after < metric.before or metric.after == 0
            checks.append(
                VerificationCheck(
                    query=step.verification,
                    expectation="the metric falls back to its healthy level",
                    ok=ok,
                    evidence=[step.target_evidence],
                )
            )
        outcomes = [c.ok for c in checks]
        if checks and all(o is True for o in outcomes):
            verdict = "resolved"
        elif any(o is False for o in outcomes):
            verdict = "not_resolved"
        else:
            verdict = "unverified"
        claims = [
            Claim(
                text=f"Check '{c.query}' {'passed' if c.ok else 'failed' if c.ok is False else 'is pending'}.",
                evidence=c.evidence,
            )
            for c in checks
        ]
        return ReviewerOutput(
            verdict=verdict,
            rollback=verdict == "not_resolved",
            checks=checks,
            claims=claims,
        )

    # -- Context Memory Manager -----------------------------------------------------------------

    def memory(self, inp: MemoryInput) -> MemoryOutput:
        if self.env.memory is None:
            return MemoryOutput()
        return self.env.memory.handle(inp)


# --- helpers -----------------------------------------------------------------------------------


def _evidence_items(incident: Incident, retrieval: RetrievalOutput | None) -> list[_Item]:
    items: list[_Item] = []
    for t in incident.templates:
        novelty = math.log1p(t.count / (t.baseline_rate + 1.0))
        items.append(_Item(id=t.id, text=t.template, weight=0.5 + novelty))
    for line in incident.samples:
        weight = _SEVERITY_WEIGHT.get(line.severity.upper(), 0.3)
        items.append(
            _Item(
                id=line.id,
                text=f"{line.service or ''} {line.message}",
                weight=weight,
                timestamp=line.timestamp,
                abnormal=weight >= 0.6,
            )
        )
    if retrieval is not None:
        seen: set[tuple[str, str]] = set()
        for obs in retrieval.observations:
            lines = obs.data.get("lines")
            if not isinstance(lines, list):
                items.append(_Item(id=obs.id, text=obs.summary, weight=0.5))
                continue
            for line in lines:
                if not isinstance(line, dict):
                    continue
                key = (str(line.get("t")), str(line.get("message")))
                if key in seen:
                    continue
                seen.add(key)
                stamp = line.get("t")
                weight = _SEVERITY_WEIGHT.get(str(line.get("severity", "")).upper(), 0.3) * 0.8
                items.append(
                    _Item(
                        id=obs.id,
                        text=str(line.get("message", "")),
                        weight=weight,
                        timestamp=datetime.fromisoformat(stamp) if isinstance(stamp, str) else None,
                        abnormal=weight >= 0.45,
                    )
                )
    return items


def _mentions(item: _Item, entity: Entity) -> bool:
    return entity.value.lower() in item.text.lower()


def _rank_entities(
    incident: Incident,
    items: list[_Item],
    top: Playbook | None,
    dependencies: dict[str, list[str]],
    shape: FlowShapeEvidence | None = None,
) -> list[_Candidate]:
    kinds = list(top.culprit_kinds) if top else []
    candidates: list[_Candidate] = []
    for entity in incident.entities:
        mention = 0.0
        cited: list[str] = []
        first: datetime | None = None
        for item in items:
            if not _mentions(item, entity):
                continue
            boost = 2.0 if top is not None and top.matches(item.text) else 1.0
            mention += item.weight * boost
            cited.append(item.id)
            if (
                item.abnormal
                and item.timestamp is not None
                and (first is None or item.timestamp < first)
            ):
                first = item.timestamp
        if entity.kind in kinds:
            # The playbook lists culprit kinds most specific first: prefer them clearly.
            kind_factor = 1.0 + 2.0 * (len(kinds) - kinds.index(entity.kind)) / len(kinds)
        elif entity.kind in ACTION_TARGET_KINDS.values() or entity.kind == EntityKind.SERVICE:
            kind_factor = 0.5
        else:
            kind_factor = 0.2
        if (
            top is not None
            and top.external_culprit
            and entity.kind == EntityKind.IP
            and not _is_public(entity.value)
        ):
            kind_factor *= 0.2  # an address inside the VPC is the victim of an outside attack
        score = (mention + 0.1 * math.log1p(entity.count)) * kind_factor
        if (
            shape is not None
            and top is not None
            and top.flow_shape == shape.shape
            and entity.value == shape.culprit
        ):
            score += 3.0 * kind_factor
            cited.extend(shape.evidence[:2])
        candidates.append(
            _Candidate(
                entity=entity, score=score, first_seen=first, evidence=cited, named=mention > 0
            )
        )
    # Time order: the earliest abnormal entity gets the largest bonus (ties share a rank).
    firsts = sorted({c.first_seen for c in candidates if c.first_seen is not None})
    rank_of = {t: rank for rank, t in enumerate(firsts)}
    for c in candidates:
        if c.first_seen is not None:
            c.score += 1.0 / (1.0 + rank_of[c.first_seen])
    if dependencies:
        _apply_dependencies(
            candidates, incident, dependencies, sign=-1.0 if top and top.blame == "caller" else 1.0
        )
    if top is not None:
        _prefer_specific(candidates, kinds)
    candidates.sort(key=lambda c: (-c.score, c.entity.id))
    return candidates


def _prefer_specific(candidates: list[_Candidate], kinds: list[EntityKind]) -> None:
    """An entity of a more specific culprit kind seen as often as a better-scored, less specific
    one names the same actor (an access key and the user it belongs to occur in the same
    records; a key rarely appears in a record's text): it inherits that score."""
    ranked = [c for c in candidates if c.entity.kind in kinds]
    for c in ranked:
        for d in ranked:
            if (
                kinds.index(d.entity.kind) > kinds.index(c.entity.kind)
                and d.score > c.score
                and c.entity.count >= 3
                and abs(c.entity.count - d.entity.count)
                <= 0.1 * max(c.entity.count, d.entity.count)
            ):
                c.score = d.score + 0.01
                c.evidence = list(dict.fromkeys([*c.evidence, *d.evidence]))


def _service_of(entity: Entity, services: Iterable[str]) -> str | None:
    value = entity.value
    for service in sorted(services, key=len, reverse=True):
        if value == service or value.startswith(f"{service}-"):
            return service
    return None


def _apply_dependencies(
    candidates: list[_Candidate],
    incident: Incident,
    dependencies: dict[str, list[str]],
    *,
    sign: float = 1.0,
) -> None:
    known = set(dependencies) | {s for callees in dependencies.values() for s in callees}
    anomalous = {s for s in incident.services} | {
        line.service
        for line in incident.samples
        if line.service and line.severity.upper() in {"ERROR", "CRITICAL", "WARNING"}
    }
    for c in candidates:
        service = _service_of(c.entity, known)
        if service is None:
            continue
        callers = [
            s for s, callees in dependencies.items() if service in callees and s in anomalous
        ]
        failing_callees = [s for s in dependencies.get(service, []) if s in anomalous]
        c.score += sign * (0.75 * len(callers) - 0.75 * len(failing_callees))


def _causes(dx: Diagnosis, incident: Incident) -> list[RootCause]:
    """Top cause (best category x best compatible entity), then alternatives."""
    causes: list[RootCause] = []
    total_cat = sum(s for _, s, _ in dx.categories) or 1.0
    cand_total = sum(max(c.score, 0.0) for c in dx.candidates[:3]) or 1.0
    agreed = [d for d in incident.scores if d.flagged]
    categories: list[tuple[Playbook | None, float, list[str]]] = list(dx.categories[:3])
    if not categories:
        categories = [(None, 0.0, [])]
    for playbook, cat_score, cited in categories:
        kinds = set(playbook.culprit_kinds) if playbook else set()
        pool = [c for c in dx.candidates if c.entity.kind in kinds] or dx.candidates
        culprit = _pick_culprit(pool, playbook.culprit_kinds if playbook else [])
        share = cat_score / total_cat if playbook else 0.0
        strength = min(1.0, cat_score / 3.0)
        entity_share = max(culprit.score, 0.0) / cand_total if culprit else 0.0
        detectors = min(1.0, 0.5 + 0.25 * len(agreed))
        # A cause with no entity of a kind it can be located in is only half an explanation.
        located = 1.0 if culprit is None or not kinds or culprit.entity.kind in kinds else 0.5
        # A handful of records (one routine rollout event) is thin evidence whatever it says.
        volume = min(1.0, math.log1p(max(incident.record_count, 0)) / math.log1p(10))
        confidence = max(
            0.05,
            min(
                0.95,
                (0.45 * share + 0.25 * strength + 0.3 * entity_share)
                * detectors
                * located
                * volume,
            ),
        )
        category = playbook.category if playbook else "unknown"
        evidence = list(
            dict.fromkeys(
                [
                    *([culprit.entity.id] if culprit else []),
                    *cited[:3],
                    *(culprit.evidence[:2] if culprit else []),
                ]
            )
        )
        what = playbook.title if playbook else "An anomaly with no known cause pattern"
        where = f" in {culprit.entity.kind} {culprit.entity.value}" if culprit else ""
        causes.append(
            RootCause(
                category=category,
                entity=culprit.entity.id if culprit else None,
                entity_value=culprit.entity.value if culprit else None,
                summary=Claim(text=f"{what}{where}.", evidence=evidence),
                confidence=round(confidence, 4),
            )
        )
    if dx.categories:
        # Alternatives also include the second-best culprit for the top category.
        playbook = dx.categories[0][0]
        pool = [c for c in dx.candidates if c.entity.kind in set(playbook.culprit_kinds)]
        if len(pool) > 1:
            second = pool[1]
            causes.insert(
                1,
                RootCause(
                    category=playbook.category,
                    entity=second.entity.id,
                    entity_value=second.entity.value,
                    summary=Claim(
                        text=f"{playbook.title} in {second.entity.kind} {second.entity.value}.",
                        evidence=list(dict.fromkeys([second.entity.id, *second.evidence[:3]])),
                    ),
                    confidence=round(
                        causes[0].confidence * second.score / max(pool[0].score, 1e-9) * 0.8, 4
                    ),
                ),
            )
    return causes


def _pick_culprit(pool: list[_Candidate], kinds: list[EntityKind]) -> _Candidate | None:
    """The best-scored candidate, unless the most specific culprit kind present has a clear
    candidate that no line's text names (an access key, a security group, an ENI are often
    only in a record's fields, so text mentions undercount them): it wins when it occurs at
    least twice as often as any other entity of its kind.
    """
    if not pool:
        return None
    first = next((k for k in kinds if any(c.entity.kind == k for c in pool)), None)
    if first is not None:
        of_kind = sorted(
            (c for c in pool if c.entity.kind == first), key=lambda c: (-c.entity.count, -c.score)
        )
        top = of_kind[0]
        runner_up = max((c.entity.count for c in of_kind[1:]), default=0)
        if not top.named and top.entity.count >= max(1, 2 * runner_up):
            return top
    return pool[0]


def _causal_chain(dx: Diagnosis, incident: Incident, cause: RootCause) -> list[Claim]:
    chain: list[Claim] = []
    timed = sorted(
        (
            line
            for line in incident.samples
            if line.timestamp is not None
            and line.severity.upper() in {"WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"}
        ),
        key=lambda line: line.timestamp,  # type: ignore[arg-type, return-value]
    )
    culprit_lines = [
        line
        for line in timed
        if cause.entity_value and cause.entity_value.lower() in line.message.lower()
    ]
    if culprit_lines:
        first = culprit_lines[0]
        chain.append(
            Claim(
                text=f"The first abnormal line about {cause.entity_value} is: {first.message[:160]}",
                evidence=[first.id, *([cause.entity] if cause.entity else [])],
            )
        )
    if dx.categories:
        playbook, _, cited = dx.categories[0]
        chain.append(
            Claim(
                text=f"The evidence carries the signals of '{playbook.title}'.", evidence=cited[:4]
            )
        )
    later = [line for line in timed if line not in culprit_lines[:1]]
    services = sorted(
        {line.service for line in later if line.service and line.service != cause.entity_value}
    )
    if later and services:
        chain.append(
            Claim(
                text=f"Errors follow in {', '.join(services[:4])}.",
                evidence=[line.id for line in later[:4]],
            )
        )
    flagged = [d for d in incident.scores if d.flagged]
    if flagged:
        chain.append(
            Claim(
                text=f"{len(flagged)} detector(s) flagged the window: {', '.join(d.detector for d in flagged)}.",
                evidence=[d.id for d in flagged],
            )
        )
    return [c for c in chain if c.evidence]


def _related(target: Entity, culprit_value: str | None, incident: Incident) -> float:
    """How strongly ``target`` is tied to the culprit: same name, owner prefix, shared lines."""
    if culprit_value is None:
        return 0.0
    a, b = target.value.lower(), culprit_value.lower()
    if a == b:
        return 3.0
    if b.startswith(f"{a}-") or a.startswith(f"{b}-"):
        return 2.0
    shared = sum(
        1 for line in incident.samples if a in line.message.lower() and b in line.message.lower()
    )
    return min(1.0, 0.25 * shared)


def _bind_steps(
    playbook: Playbook, incident: Incident, cause: RootCause
) -> list[tuple[str, Entity, dict[str, str | int | float | bool], str]]:
    """Each playbook step bound to the incident entity it should act on (steps with no
    suitable entity are dropped: a target must exist in the evidence)."""
    bound: list[tuple[str, Entity, dict[str, str | int | float | bool], str]] = []
    for step in playbook.steps:
        for alt in step.actions:
            pool = [e for e in incident.entities if e.kind == alt.target_kind]
            if alt.action == "add_nacl_deny":
                # Blocking one of our own addresses would cut the victim off, not the attacker.
                pool = [e for e in pool if _is_public(e.value)]
            if not pool:
                continue
            best = max(
                pool, key=lambda e: (_related(e, cause.entity_value, incident), e.count, e.id)
            )
            bound.append((alt.action, best, dict(step.params), step.risk))
            break
    return bound


def _step(
    order: int,
    action: str,
    target_id: str,
    incident: Incident,
    params: dict[str, str | int | float | bool],
    risk: str,
    playbook: Playbook | None,
    rationale: Claim,
) -> PlanStep:
    by_id = {e.id: e for e in incident.entities}
    entity = by_id.get(target_id)
    kind = entity.kind if entity else ACTION_TARGET_KINDS[action]
    value = entity.value if entity else target_id
    verification = (
        playbook.verification.replace("{target}", value)
        if playbook and playbook.verification
        else None
    )
    return PlanStep(
        order=order,
        action=action,
        target_kind=kind,
        target=value,
        target_evidence=target_id,
        params=params,
        risk=risk,
        reversible=True,
        dry_run=True,
        verification=verification,
        rationale=rationale,
    )


# --- network shape --------------------------------------------------------------------------

_FLOW_LINE = re.compile(
    r"\b(ACCEPT|REJECT)\s+\w+\s+(\S+?):(\d+)\s+->\s+(\S+?):(\d+)\s+packets=(\d+)"
)
_FLOW_TEMPLATE = re.compile(r"^(ACCEPT|REJECT)\s+\w+\s+<\*>")


#: Address space a VPC (and a cluster in it) uses; anything else is "outside".
_INSIDE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "0.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128",
    )
)  # fmt: skip


def _is_public(value: str) -> bool:
    """An address outside the VPC's private space (documentation ranges count as outside)."""
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not any(addr.version == n.version and addr in n for n in _INSIDE)


def flow_shape(incident: Incident, items: list[_Item]) -> FlowShapeEvidence | None:
    """The shape of the incident's network flows, from flow lines if any, else entity counts.

    From lines (samples, or lines a log query returned): one source to many destination ports
    is a scan (``internal_scan`` when the source is inside the VPC); many sources to one
    destination port is a flood; one outside source to one port of inside hosts is brute
    force; one inside source to one outside address on one port is a beacon. Without lines,
    the flow templates' REJECT share and how concentrated the outside addresses are stand in.
    """
    flows: list[tuple[str, str, str, str, int, int]] = []
    cite: list[str] = []
    for item in items:
        m = _FLOW_LINE.search(item.text)
        if m:
            action, src, _sport, dst, dport, packets = m.groups()
            flows.append((item.id, action, src, dst, int(dport), int(packets)))
            cite.append(item.id)
    if len(flows) >= 6:
        return _shape_from_flows(flows, list(dict.fromkeys(cite)))
    return _shape_from_counts(incident)


def _shape_from_flows(
    flows: list[tuple[str, str, str, str, int, int]], cite: list[str]
) -> FlowShapeEvidence | None:
    by_src = Counter(f[2] for f in flows)
    src, n = by_src.most_common(1)[0]
    mine = [f for f in flows if f[2] == src]
    ports = {f[4] for f in mine}
    dsts = {f[3] for f in mine}
    ev = cite[:4]
    if n >= 0.5 * len(flows):
        if len(ports) >= 5 and len(ports) >= 0.5 * len(mine):
            shape: FlowShape = "scan" if _is_public(src) else "internal_scan"
            return FlowShapeEvidence(shape, src, 3.0, ev)
        if len(ports) == 1 and _is_public(src) and not any(_is_public(d) for d in dsts):
            return FlowShapeEvidence("brute_force", src, 2.5, ev)
        if (
            len(ports) == 1
            and not _is_public(src)
            and len(dsts) == 1
            and _is_public(next(iter(dsts)))
        ):
            return FlowShapeEvidence("beacon", next(iter(dsts)), 2.0, ev)
    by_target = Counter((f[3], f[4]) for f in flows)
    (dst, _port), m = by_target.most_common(1)[0]
    sources = {f[2] for f in flows if (f[3], f[4]) == (dst, _port)}
    if m >= 0.5 * len(flows) and len(sources) >= 5:
        return FlowShapeEvidence("flood", dst, 3.0, ev)
    return None


def _shape_from_counts(incident: Incident) -> FlowShapeEvidence | None:
    tpls = [t for t in incident.templates if _FLOW_TEMPLATE.match(t.template)]
    total = sum(t.count for t in tpls)
    if total < 20:
        return None
    rejects = sum(t.count for t in tpls if t.template.startswith("REJECT"))
    ips = [e for e in incident.entities if e.kind == EntityKind.IP]
    public = sorted((e for e in ips if _is_public(e.value)), key=lambda e: -e.count)
    private = sorted((e for e in ips if not _is_public(e.value)), key=lambda e: -e.count)
    ev = [t.id for t in tpls[:2]]
    rejecting = rejects >= 0.5 * total
    if public and public[0].count >= 0.5 * total and rejecting:
        return FlowShapeEvidence("scan", public[0].value, 2.0, [*ev, public[0].id])
    if len(public) >= 6 and public[0].count < 0.25 * total:
        return FlowShapeEvidence("flood", None, 2.0, ev)
    if rejecting and private and (not public or public[0].count < 0.2 * total):
        return FlowShapeEvidence("internal_scan", private[0].value, 1.5, [*ev, private[0].id])
    return None
