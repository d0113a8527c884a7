"""Screening of untrusted plans: the first wall against prompt injection.

A plan was written by an LLM that read attacker-controllable logs, so it is treated exactly
like a request from the internet: size-limited before parsing, parsed as strict JSON (no
duplicate keys that could smuggle a second value past a reviewer, no NaN, bounded nesting),
validated against the closed vocabulary (unknown kinds and fields are errors, never ignored),
bound to its incident, and every target checked against the entities in that incident's
evidence. One bad step rejects the whole plan: a plan that tried something it should not is a
sign the planner was steered, and its other steps are not to be trusted either.

Problems are returned as data (:class:`Screening`) so the planner can be told why; the
executor turns a rejection into :class:`~logswarm.remediation.errors.PlanRejectedError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from logswarm.incidents import EntityKind, Incident
from logswarm.remediation.errors import PlanRejectedError
from logswarm.remediation.plan import ReadinessCheck, RemediationPlan
from logswarm.remediation.vocabulary import EvidenceRequirement

__all__ = ["PlanLimits", "Screening", "screen_plan"]


class PlanLimits(BaseModel):
    """Bounds on the untrusted document, checked before and while it is parsed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_bytes: int = 64 * 1024
    max_depth: int = 8


class Screening(BaseModel):
    """The result of screening: the plan when accepted, else the problems (never both)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: RemediationPlan | None = None
    problems: list[str] = []

    @property
    def accepted(self) -> bool:
        return self.plan is not None and not self.problems

    def require(self) -> RemediationPlan:
        if self.plan is None or self.problems:
            raise PlanRejectedError("plan rejected by screening", reasons=list(self.problems))
        return self.plan


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(f"duplicate key {key[:40]!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _depth(value: Any, limit: int, level: int = 0) -> bool:
    if level > limit:
        return False
    if isinstance(value, dict):
        return all(_depth(v, limit, level + 1) for v in value.values())
    if isinstance(value, list):
        return all(_depth(v, limit, level + 1) for v in value)
    return True


def _parse(raw: str | bytes | Mapping[str, Any], limits: PlanLimits) -> tuple[Any, list[str]]:
    if isinstance(raw, Mapping):
        try:
            text = json.dumps(raw, allow_nan=False)
        except (TypeError, ValueError) as exc:
            return None, [f"plan is not plain JSON data: {type(exc).__name__}"]
        raw = text
    data = raw.encode("utf-8", errors="strict") if isinstance(raw, str) else raw
    if len(data) > limits.max_bytes:
        return None, [f"plan is {len(data)} bytes, over the {limits.max_bytes}-byte limit"]
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return None, ["plan is not valid UTF-8"]
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except _DuplicateKeyError as exc:
        return None, [f"plan has a {exc}"]
    except (ValueError, RecursionError) as exc:
        return None, [f"plan is not valid JSON: {type(exc).__name__}"]
    if not _depth(obj, limits.max_depth):
        return None, [f"plan nests deeper than {limits.max_depth} levels"]
    if not isinstance(obj, dict):
        return None, ["plan must be a JSON object"]
    return obj, []


def _met(requirement: EvidenceRequirement, incident: Incident) -> bool:
    by_kind: dict[EntityKind, set[str]] = {}
    for kind, value in requirement.accepted:
        values = by_kind.setdefault(kind, incident.entity_values(kind))
        if value in values:
            return True
    return False


def screen_plan(
    raw: str | bytes | Mapping[str, Any],
    *,
    incident: Incident,
    limits: PlanLimits | None = None,
) -> Screening:
    """Parse and check an untrusted plan against the vocabulary and ``incident``'s evidence."""
    limits = limits or PlanLimits()
    obj, problems = _parse(raw, limits)
    if problems:
        return Screening(problems=problems)
    try:
        plan = RemediationPlan.model_validate(obj)
    except ValidationError as exc:
        # The input values are not copied (include_input=False): only where and why, although
        # pydantic may quote a short discriminator tag it did not recognise.
        errors = exc.errors(include_input=False, include_url=False, include_context=False)
        return Screening(
            problems=[
                "invalid field "
                + ".".join(str(part) for part in err["loc"])[:200]
                + ": "
                + err["msg"][:200]
                for err in errors[:20]
            ]
        )

    if plan.incident_id != incident.id:
        problems.append("plan names another incident than the one it is screened against")
    seen: set[str] = set()
    evidence = incident.evidence_ids()
    for step in plan.steps:
        if step.id in seen:
            problems.append(f"step id {step.id} is used twice")
        seen.add(step.id)
        for requirement in step.action.evidence_requirements():
            if not _met(requirement, incident):
                problems.append(
                    f"step {step.id}: {requirement.what} is not in the incident's evidence"
                )
        missing = sorted(set(step.cites) - evidence)
        if missing:
            problems.append(f"step {step.id} cites evidence that does not exist: {missing[:5]}")
    for index, check in enumerate(plan.verification):
        if isinstance(check, ReadinessCheck):
            requirement = EvidenceRequirement(
                what=f"{check.workload.lower()} {check.namespace}/{check.name}",
                accepted=(
                    (EntityKind.DEPLOYMENT, check.name),
                    (EntityKind.DEPLOYMENT, f"{check.namespace}/{check.name}"),
                    (EntityKind.SERVICE, check.name),
                ),
            )
            if not _met(requirement, incident):
                problems.append(
                    f"verification {index}: {requirement.what} is not in the incident's evidence"
                )
    if problems:
        return Screening(problems=problems)
    return Screening(plan=plan)
