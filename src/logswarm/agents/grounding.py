"""The grounding checker: is every claim backed by evidence that really exists in its context?

The seed scores Models 2-3 on a *grounding score (evidence citation)* and asks the Validation
agent to "detect hallucinations or unsupported claims". Both rest on one rule: a claim must
cite at least one evidence id, and every id it cites must exist in the context the agent was
given (the incident's ``L#/T#/E#/D#``, retrieved ``K#``, tool observations ``O#``).

Score = grounded claims / all claims. A claim with no citation is ``uncited``; a claim citing
an id absent from the context is ``unknown_id`` (an invented citation). Plan steps are checked
as well: a target that is not an entity of the incident is ``unknown_target`` — the rule that
keeps a log line saying "delete the namespace" from becoming an action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from logswarm.agents.contracts import (
    ACTION_TARGET_KINDS,
    Claim,
    GroundingReport,
    Hallucination,
    PlanStep,
    RetrievalOutput,
)
from logswarm.incidents import Incident

__all__ = ["check_grounding", "collect_claims", "context_ids", "split_plan_by_targets"]


def context_ids(incident: Incident, retrieval: RetrievalOutput | None = None) -> set[str]:
    """Every id an agent working on ``incident`` (with this retrieval) may cite."""
    ids = incident.evidence_ids()
    if retrieval is not None:
        ids.update(hit.id for hit in retrieval.documents)
        ids.update(obs.id for obs in retrieval.observations)
    return ids


def collect_claims(value: object) -> list[Claim]:
    """Every :class:`Claim` inside a contract model, depth first, in field order."""
    found: list[Claim] = []
    _walk(value, found)
    return found


def _walk(value: object, found: list[Claim]) -> None:
    if isinstance(value, Claim):
        found.append(value)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _walk(getattr(value, name), found)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _walk(item, found)


def check_grounding(
    claims: Iterable[Claim],
    *,
    context: set[str],
    steps: Sequence[PlanStep] = (),
    incident: Incident | None = None,
) -> GroundingReport:
    """Score ``claims`` against ``context`` and list what is not grounded.

    With ``steps`` and ``incident``, plan targets that are not entities of the incident count
    as hallucinations too (they do not change the claim-based score).
    """
    total = grounded = citations = valid = 0
    problems: list[Hallucination] = []
    for claim in claims:
        total += 1
        cited = list(dict.fromkeys(claim.evidence))
        citations += len(cited)
        unknown = [i for i in cited if i not in context]
        valid += len(cited) - len(unknown)
        if not cited:
            problems.append(Hallucination(text=claim.text, reason="uncited"))
        elif unknown:
            problems.append(Hallucination(text=claim.text, reason="unknown_id", ids=unknown))
        else:
            grounded += 1
    if incident is not None:
        _, rejected = split_plan_by_targets(steps, incident)
        for step in rejected:
            problems.append(
                Hallucination(
                    text=f"{step.action} {step.target}",
                    reason="unknown_target",
                    ids=[step.target_evidence],
                )
            )
    return GroundingReport(
        score=grounded / total if total else 0.0,
        claims_total=total,
        claims_grounded=grounded,
        citations_total=citations,
        citations_valid=valid,
        hallucinations=problems,
    )


def split_plan_by_targets(
    steps: Sequence[PlanStep], incident: Incident
) -> tuple[list[PlanStep], list[PlanStep]]:
    """(steps whose target is an entity of the incident of the right kind, the others).

    A step passes only if ``target_evidence`` names an entity of the incident whose value is
    ``target`` and whose kind is what the action acts on.
    """
    by_id = {e.id: e for e in incident.entities}
    kept: list[PlanStep] = []
    rejected: list[PlanStep] = []
    for step in steps:
        entity = by_id.get(step.target_evidence)
        wanted = ACTION_TARGET_KINDS.get(step.action)
        ok = (
            entity is not None
            and entity.value == step.target
            and entity.kind == step.target_kind
            and wanted == entity.kind
        )
        (kept if ok else rejected).append(step)
    return kept, rejected
