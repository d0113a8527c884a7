"""Role agents: who fulfils a role's contract — the reasoner, an LLM, or an LLM with a fallback.

A :class:`RoleAgent` takes the role's input model and returns a :class:`RoleResult` (the
output model plus the model calls it made). Three implementations:

- :class:`DeterministicAgent` — the evidence-based reasoner (Models 1-3 roles) and
  :mod:`logswarm.agents.coordination` (Models 4-6 roles); no model, no cost.
- :class:`LLMAgent` — renders the role's prompt template and asks :class:`StructuredLLM`.
  Retrieval and memory are tool/index work, so an LLM backend delegates them to the reasoner;
  so are the coordination mechanisms (award rule, federation gateway, safety policy).
- :class:`FallbackAgent` — tries the LLM, and when it fails (timeout, still-invalid answer)
  answers with the reasoner, saying so in the trajectory.

Whatever the agent, executor output passes :func:`enforce_targets`: a step whose target is
not an entity of the incident is dropped. That is the guard that keeps text inside a log line
from becoming an action, and it does not depend on the model behaving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel

from logswarm.agents.accounting import CallRecord
from logswarm.agents.contracts import (
    SPECIALIST_DOMAINS,
    Claim,
    ExecutorOutput,
    PlannerInput,
    PlannerOutput,
    RecommenderInput,
    Role,
    SpecialistOutput,
    ValidationInput,
    ValidationOutput,
    contract_for,
)
from logswarm.agents.coordination import MECHANISM_ROLES, CoordinationRoles
from logswarm.agents.errors import ContractError, LLMError
from logswarm.agents.grounding import (
    check_grounding,
    collect_claims,
    context_ids,
    split_plan_by_targets,
)
from logswarm.agents.llm import ModelConfig, StructuredLLM
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.incidents import Incident

__all__ = [
    "DeterministicAgent",
    "FallbackAgent",
    "LLMAgent",
    "RoleAgent",
    "RoleResult",
    "enforce_targets",
]


@dataclass(slots=True)
class RoleResult:
    output: BaseModel
    backend: str
    calls: list[CallRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class RoleAgent(Protocol):
    def run(self, role: str, payload: BaseModel) -> RoleResult: ...


def _check_payload(role: str, payload: BaseModel) -> None:
    expected, _ = contract_for(role)
    if not isinstance(payload, expected):
        raise ContractError(f"{role} expects {expected.__name__}, got {type(payload).__name__}")


class DeterministicAgent:
    """Every role with a contract, answered by :class:`DeterministicReasoner`."""

    def __init__(self, reasoner: DeterministicReasoner) -> None:
        self.reasoner = reasoner
        r = reasoner
        self._handlers: dict[str, Callable[[Any], BaseModel]] = {
            Role.INTENT_CLASSIFIER: r.intent,
            Role.RETRIEVAL: r.retrieve,
            Role.ROOT_CAUSE_ANALYSIS: r.rca,
            Role.VALIDATION: r.validate,
            Role.REMEDIATION_RECOMMENDER: r.recommend,
            Role.PLANNER: r.plan,
            Role.EXECUTOR: r.execute,
            Role.REVIEWER: r.review,
            Role.CONTEXT_MEMORY_MANAGER: r.memory,
        }
        #: Seed Models 4-6 (auction, federation, debate); holds the auctioneer's ledger.
        self.coordination = CoordinationRoles(reasoner)
        self._handlers.update(self.coordination.handlers())

    def run(self, role: str, payload: BaseModel) -> RoleResult:
        _check_payload(role, payload)
        output = self._handlers[role](payload)
        return RoleResult(output=enforce_targets(role, payload, output), backend="deterministic")


#: Roles that are tool / index work rather than language work, and the coordination roles that
#: are mechanisms (award rule, data-governance filter, safety policy) whatever the backend.
_NON_LLM_ROLES = {Role.RETRIEVAL, Role.CONTEXT_MEMORY_MANAGER, *MECHANISM_ROLES}


class LLMAgent:
    """A role answered by a model through :class:`StructuredLLM`, prompts from templates."""

    def __init__(
        self,
        *,
        llm: StructuredLLM,
        configs: dict[str, ModelConfig],
        reasoner: DeterministicReasoner,
    ) -> None:
        self._llm = llm
        self._configs = configs
        self._reasoner = reasoner
        self._tools = DeterministicAgent(reasoner)

    def run(self, role: str, payload: BaseModel) -> RoleResult:
        _check_payload(role, payload)
        if role in _NON_LLM_ROLES or role not in self._configs:
            return self._tools.run(role, payload)
        config = self._configs[role]
        _, output_model = contract_for(role)
        extra = self._extra_context(role, payload)
        messages = [
            {
                "role": "system",
                "content": self._llm.prompts.system(role=role, output_model=output_model),
            },
            {
                "role": "user",
                "content": self._llm.prompts.user(role=role, payload=payload, **extra),
            },
        ]
        output, calls = self._llm.generate(
            role=role, config=config, messages=messages, output_model=output_model
        )
        if role == Role.VALIDATION:
            output = self._ground_validation(payload, output)
        if role in SPECIALIST_DOMAINS and isinstance(output, SpecialistOutput):
            # A specialist speaks for its own domain only, whatever the model wrote there.
            domain = SPECIALIST_DOMAINS[role]
            bid = output.bid.model_copy(update={"specialist": role, "domain": domain})
            output = output.model_copy(update={"specialist": role, "domain": domain, "bid": bid})
        return RoleResult(
            output=enforce_targets(role, payload, output), backend=config.model, calls=calls
        )

    def _extra_context(self, role: str, payload: BaseModel) -> dict[str, Any]:
        catalogue = self._reasoner.catalogue
        if role in (
            Role.ROOT_CAUSE_ANALYSIS,
            Role.DEBATER,
            Role.REGIONAL_COORDINATOR,
            Role.REFEREE,
        ):
            return {"categories": catalogue.categories}
        if role in SPECIALIST_DOMAINS:
            domain = SPECIALIST_DOMAINS[role]
            own = [p.category for p in catalogue.playbooks if p.domain == domain]
            return {"domain": domain, "categories": list(dict.fromkeys(own))}
        if role == Role.REMEDIATION_RECOMMENDER:
            assert isinstance(payload, RecommenderInput)
            category = payload.rca.root_cause.category
            return {"playbooks": catalogue.by_category(category) or catalogue.playbooks}
        if role == Role.PLANNER:
            return {"playbook_ids": [p.id for p in catalogue.playbooks]}
        if role == Role.VALIDATION:
            assert isinstance(payload, ValidationInput)
            report = check_grounding(
                collect_claims(payload.rca),
                context=context_ids(payload.incident, payload.retrieval),
                steps=payload.steps,
                incident=payload.incident,
            )
            return {"grounding": report}
        return {}

    def _ground_validation(self, payload: BaseModel, output: BaseModel) -> BaseModel:
        """The grounding report is computed, not generated: overwrite whatever the model said."""
        assert isinstance(payload, ValidationInput)
        assert isinstance(output, ValidationOutput)
        report = self._extra_context(Role.VALIDATION, payload)["grounding"]
        verdict = output.verdict
        if any(h.reason != "uncited" for h in report.hallucinations) and verdict == "accept":
            verdict = "reject"
        return output.model_copy(update={"grounding": report, "verdict": verdict})


class FallbackAgent:
    """Try ``primary``; on an LLM failure answer with ``fallback`` and note why."""

    def __init__(self, *, primary: RoleAgent, fallback: RoleAgent) -> None:
        self._primary = primary
        self._fallback = fallback

    def run(self, role: str, payload: BaseModel) -> RoleResult:
        try:
            return self._primary.run(role, payload)
        except LLMError as e:
            result = self._fallback.run(role, payload)
            result.backend = f"{result.backend} (fallback)"
            result.notes.append(f"{type(e).__name__}: {e}")
            result.calls.extend(e.records)
            return result


def _incident_of(payload: BaseModel) -> Incident | None:
    incident = getattr(payload, "incident", None)
    return incident if isinstance(incident, Incident) else None


def enforce_targets(role: str, payload: BaseModel, output: BaseModel) -> BaseModel:
    """Invariants no backend may break, applied to every answer.

    - executor: drop steps whose target is not an entity of the incident (kind and value);
    - planner: a plan whose validation did not accept the root cause is escalated to a person.
    """
    if (
        role == Role.PLANNER
        and isinstance(payload, PlannerInput)
        and isinstance(output, PlannerOutput)
        and payload.validation is not None
        and payload.validation.verdict != "accept"
        and not output.escalate
    ):
        return output.model_copy(update={"escalate": True})
    if role != Role.EXECUTOR or not isinstance(output, ExecutorOutput):
        return output
    incident = _incident_of(payload)
    if incident is None:
        return output
    kept, rejected = split_plan_by_targets(output.steps, incident)
    if not rejected:
        return output
    notes = [
        *output.notes,
        *(
            Claim(
                text=f"Dropped {s.action} on {s.target}: not an entity of the incident.",
                evidence=[],
            )
            for s in rejected
        ),
    ]
    kept = [s.model_copy(update={"order": i}) for i, s in enumerate(kept, start=1)]
    status = output.status if kept or output.status == "escalated" else "nothing_to_do"
    return output.model_copy(update={"steps": kept, "notes": notes, "status": status})
