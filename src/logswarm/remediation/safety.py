"""The Safety (HiTL) agent: a policy, not a model, decides what may run and what needs a person.

Every step of a screened plan is rated on three axes — the action's kind, the scope of its
target (namespace, protected objects, environment labels) and its blast radius (pods, users,
instances, nodes affected, measured by the backend from the live world) — and gets one of
three verdicts: allow, require approval, deny. Protected targets (kube-system and the other
system namespaces, LogSwarm's own namespace and workloads, the account's root identity, the
executor's own credentials) are denied outright and no rule can lift that.

Nothing in a plan can influence the verdict except the action itself: an approval is a record
made by :meth:`SafetyAgent.approve` on a person's behalf, bound to a fingerprint of the exact
action, by an identity that is not one of the agents. Every decision and approval goes to the
audit log. This module is pure policy: it never imports kubernetes or boto3.
"""

from __future__ import annotations

import enum
import fnmatch
import ipaddress
import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from logswarm.remediation.audit import AuditEvent, AuditKind, AuditLog
from logswarm.remediation.errors import ApprovalRequiredError, PolicyDeniedError
from logswarm.remediation.plan import PlanStep, RemediationPlan, step_fingerprint
from logswarm.remediation.vocabulary import (
    ActionKind,
    ActionSpec,
    AddNaclDenyEntry,
    CordonNode,
    DeactivateAccessKey,
    Provider,
    ScaleWorkload,
    SetAsgDesiredCapacity,
    SetLambdaReservedConcurrency,
    StopInstance,
    UncordonNode,
)

__all__ = [
    "Approval",
    "ApprovalBook",
    "BlastRadius",
    "Decision",
    "PolicyRule",
    "Risk",
    "SafetyAgent",
    "SafetyPolicy",
    "TargetFacts",
    "Verdict",
]


class Verdict(enum.StrEnum):
    ALLOW = "allow"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"


class Risk(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


class BlastRadius(BaseModel):
    """How much of the world an action touches."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pods: int = 0
    users: int = 0
    instances: int = 0
    nodes: int = 0

    def exceeds(self, limit: BlastRadius) -> list[str]:
        """Which dimensions are above ``limit`` (empty when none)."""
        return [
            f"{name} {getattr(self, name)} > {getattr(limit, name)}"
            for name in ("pods", "users", "instances", "nodes")
            if getattr(self, name) > getattr(limit, name)
        ]


class TargetFacts(BaseModel):
    """What a backend observed about an action's target, read-only, before anything runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exists: bool = True
    blast_radius: BlastRadius = BlastRadius()
    #: Namespace labels (Kubernetes) or resource tags (AWS): what environment rules match on.
    labels: dict[str, str] = Field(default_factory=dict)
    #: True when the action lowers capacity (scale down, fewer ASG instances, less concurrency).
    reduces_capacity: bool = False
    #: Set by the backend when the target is protected for a reason only it can see
    #: (the executor's own access key, a resource labelled as LogSwarm's own).
    protected_reason: str | None = None


class PolicyRule(BaseModel):
    """An operator's override: for matching actions, use this verdict instead of the default.

    Rules come from configuration kept in git, never from a plan. They cannot lift a denial
    for a protected target or a blast radius above ``deny_above``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: list[ActionKind] = Field(default_factory=list, description="Empty matches any kind.")
    namespaces: list[str] = Field(
        default_factory=list, description="fnmatch patterns; empty matches any (and AWS)."
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Every pair must be on the target's labels/tags."
    )
    verdict: Verdict
    reason: str = "operator rule"

    def matches(self, action: ActionSpec, facts: TargetFacts) -> bool:
        if self.kinds and ActionKind(action.kind) not in self.kinds:
            return False
        if self.namespaces:
            namespace = getattr(action, "namespace", None)
            if namespace is None or not any(
                fnmatch.fnmatchcase(namespace, p) for p in self.namespaces
            ):
                return False
        return all(facts.labels.get(k) == v for k, v in self.labels.items())


_DEFAULT_RISK: dict[ActionKind, Risk] = {
    ActionKind.RESTART_DEPLOYMENT: Risk.LOW,
    ActionKind.SCALE_WORKLOAD: Risk.LOW,
    ActionKind.CORDON_NODE: Risk.LOW,
    ActionKind.UNCORDON_NODE: Risk.LOW,
    ActionKind.ROLLBACK_DEPLOYMENT: Risk.MEDIUM,
    ActionKind.DELETE_POD: Risk.MEDIUM,
    ActionKind.ISOLATE_POD: Risk.MEDIUM,
    ActionKind.PATCH_RESOURCES: Risk.MEDIUM,
    ActionKind.DEACTIVATE_ACCESS_KEY: Risk.MEDIUM,
    ActionKind.REVOKE_SG_INGRESS: Risk.MEDIUM,
    ActionKind.ADD_NACL_DENY: Risk.MEDIUM,
    ActionKind.SET_ASG_DESIRED: Risk.LOW,
    ActionKind.SET_LAMBDA_CONCURRENCY: Risk.LOW,
    ActionKind.STOP_INSTANCE: Risk.HIGH,
}


class SafetyPolicy(BaseModel):
    """The safety policy, loaded from configuration; every default errs on the side of a person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protected_namespaces: list[str] = Field(
        default_factory=lambda: ["kube-system", "kube-public", "kube-node-lease"],
        description="The control plane's namespaces: an outage there takes the cluster down.",
    )
    self_namespace: str = Field(
        "logswarm-system",
        description="LogSwarm's own namespace: the remediator must never remediate itself.",
    )
    self_names: list[str] = Field(
        default_factory=lambda: ["logswarm*"],
        description="fnmatch patterns of LogSwarm's own workloads, in any namespace.",
    )
    protected_labels: dict[str, str] = Field(
        default_factory=lambda: {"app.kubernetes.io/part-of": "logswarm"},
        description="A target carrying any of these labels/tags is LogSwarm's own.",
    )
    protected_iam_users: list[str] = Field(
        default_factory=lambda: ["root"],
        description="The account's root identity is never touched (lockout risk).",
    )
    protected_nodes: list[str] = Field(default_factory=list, description="fnmatch patterns.")
    production_labels: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "env": ["prod", "production"],
            "environment": ["prod", "production"],
        },
        description="A target with any of these label values is production.",
    )
    treat_unlabelled_as_production: bool = Field(
        True, description="Unknown environment: assume the worst."
    )
    risk: dict[ActionKind, Risk] = Field(default_factory=lambda: dict(_DEFAULT_RISK))
    #: Highest risk allowed without approval, in production and elsewhere.
    auto_allow_production: Risk = Risk.LOW
    auto_allow_other: Risk = Risk.MEDIUM
    approval_above: BlastRadius = Field(
        default_factory=lambda: BlastRadius(pods=10, users=1, instances=2, nodes=1),
        description="Above any of these, a person must approve.",
    )
    deny_above: BlastRadius = Field(
        default_factory=lambda: BlastRadius(pods=200, users=20, instances=50, nodes=5),
        description="Above any of these, nobody may approve: split the change up.",
    )
    min_nacl_prefix_without_approval: int = Field(
        24, description="Denying a whole /16 blocks 65k addresses: a person should look."
    )
    min_nacl_prefix: int = Field(8, description="Shorter prefixes (0.0.0.0/0...) are denied.")
    rules: list[PolicyRule] = Field(default_factory=list)
    approvers: list[str] = Field(
        default_factory=list,
        description="When non-empty, only these identities may approve (fnmatch patterns).",
    )
    agent_identities: list[str] = Field(
        default_factory=lambda: [
            "logswarm*",
            "system:serviceaccount:*",
            "*agent*",
            "executor",
            "reviewer",
            "planner",
            "safety-policy",
        ],
        description="Identities that can never approve: the agents must not approve themselves.",
    )
    approval_ttl_seconds: int = Field(3600, gt=0, description="Stale approvals expire.")


class Approval(BaseModel):
    """A person's yes to one exact step, with who and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_id: str
    step_id: str
    fingerprint: str
    approver: str
    approved_at: datetime
    comment: str = ""


class Decision(BaseModel):
    """The policy's verdict on one step, with its reasons (what the audit log records)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_id: str
    step_id: str
    kind: ActionKind
    target: str
    verdict: Verdict
    risk: Risk
    reasons: list[str]
    blast_radius: BlastRadius
    production: bool
    fingerprint: str
    approval: Approval | None = None
    decided_at: datetime

    @property
    def executable(self) -> bool:
        return self.verdict is Verdict.ALLOW or (
            self.verdict is Verdict.REQUIRE_APPROVAL and self.approval is not None
        )


class ApprovalBook:
    """Recorded approvals, keyed by fingerprint; optionally persisted as a JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._approvals: dict[str, Approval] = {}
        if path is not None and path.exists():
            for raw in json.loads(path.read_text(encoding="utf-8")):
                approval = Approval.model_validate(raw)
                self._approvals[approval.fingerprint] = approval

    def add(self, approval: Approval) -> None:
        with self._lock:
            self._approvals[approval.fingerprint] = approval
            if self.path is not None:
                data = [a.model_dump(mode="json") for a in self._approvals.values()]
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                tmp.replace(self.path)

    def get(self, fingerprint: str) -> Approval | None:
        return self._approvals.get(fingerprint)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SafetyAgent:
    """Rates steps against the policy, records approvals, and writes every decision to audit."""

    ACTOR = "safety-policy"

    def __init__(
        self,
        policy: SafetyPolicy | None = None,
        *,
        audit: AuditLog,
        approvals: ApprovalBook | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.policy = policy or SafetyPolicy()
        self.audit = audit
        self.approvals = approvals or ApprovalBook()
        self.clock = clock

    # -- approvals ----------------------------------------------------------------------

    def approve(
        self, plan: RemediationPlan, step_id: str, *, approver: str, comment: str = ""
    ) -> Approval:
        """Record that ``approver`` (a person) approves exactly this step of this plan."""
        step = plan.step(step_id)
        problem = self._approver_problem(approver)
        if problem is not None:
            self.audit.write(
                AuditEvent(
                    kind=AuditKind.APPROVAL_REFUSED,
                    actor=approver[:200],
                    plan_id=plan.id,
                    step_id=step_id,
                    detail={"reason": problem},
                )
            )
            raise PolicyDeniedError(f"approval by {approver!r} refused: {problem}")
        approval = Approval(
            plan_id=plan.id,
            step_id=step_id,
            fingerprint=step_fingerprint(plan.id, step),
            approver=approver,
            approved_at=self.clock(),
            comment=comment[:2000],
        )
        self.approvals.add(approval)
        self.audit.write(
            AuditEvent(
                kind=AuditKind.APPROVAL,
                actor=approver,
                plan_id=plan.id,
                step_id=step_id,
                detail={"fingerprint": approval.fingerprint, "comment": approval.comment},
            )
        )
        return approval

    def _approver_problem(self, approver: str) -> str | None:
        policy = self.policy
        if not approver or approver != approver.strip() or len(approver) > 200:
            return "approver identity is empty or malformed"
        if not approver.isprintable():
            return "approver identity has control characters"
        lowered = approver.lower()
        if any(fnmatch.fnmatchcase(lowered, p.lower()) for p in policy.agent_identities):
            return "agents cannot approve their own actions"
        if policy.approvers and not any(fnmatch.fnmatchcase(approver, p) for p in policy.approvers):
            return "not an authorised approver"
        return None

    def _valid_approval(self, plan_id: str, fingerprint: str) -> Approval | None:
        approval = self.approvals.get(fingerprint)
        if approval is None or approval.plan_id != plan_id:
            return None
        if self._approver_problem(approval.approver) is not None:
            return None  # the approver list changed since: the approval no longer counts
        age = self.clock() - approval.approved_at
        if age > timedelta(seconds=self.policy.approval_ttl_seconds) or age < timedelta(0):
            return None
        return approval

    # -- decisions ----------------------------------------------------------------------

    def decide(
        self, plan: RemediationPlan, *, facts: Mapping[str, TargetFacts | None]
    ) -> list[Decision]:
        """Rate every step; ``facts[step_id]`` is None when the backend could not assess it."""
        decisions = [self._decide_step(plan, step, facts.get(step.id)) for step in plan.steps]
        for decision in decisions:
            self.audit.write(
                AuditEvent(
                    kind=AuditKind.DECISION,
                    actor=self.ACTOR,
                    plan_id=plan.id,
                    step_id=decision.step_id,
                    detail=decision.model_dump(mode="json", exclude={"plan_id", "step_id"}),
                )
            )
        return decisions

    def require_executable(self, decisions: list[Decision]) -> None:
        """Raise unless every decision lets its step run (used by the executor's gate)."""
        for decision in decisions:
            if decision.verdict is Verdict.DENY:
                raise PolicyDeniedError(f"step {decision.step_id}: " + "; ".join(decision.reasons))
        for decision in decisions:
            if not decision.executable:
                raise ApprovalRequiredError(
                    f"step {decision.step_id} ({decision.target}) needs a person's approval: "
                    + "; ".join(decision.reasons)
                )

    def _decide_step(
        self, plan: RemediationPlan, step: PlanStep, facts: TargetFacts | None
    ) -> Decision:
        policy = self.policy
        action = step.action
        kind = ActionKind(action.kind)
        fingerprint = step_fingerprint(plan.id, step)
        reasons: list[str] = []
        known = facts if facts is not None else TargetFacts()
        production = self._is_production(known.labels)

        deny = self._protected(action, known)
        if facts is None:
            reasons.append("target could not be assessed: blast radius unknown")
        elif not facts.exists:
            deny.append("target does not exist")
        over = known.blast_radius.exceeds(policy.deny_above)
        if over:
            deny.append("blast radius above the hard limit: " + ", ".join(over))
        deny.extend(self._action_specific_denials(action))

        risk = policy.risk.get(kind, Risk.HIGH)
        risk = max(risk, self._action_specific_risk(action, known))
        if known.reduces_capacity:
            risk = max(risk, Risk.MEDIUM)
            reasons.append("reduces capacity")

        if deny:
            verdict = Verdict.DENY
            reasons = deny + reasons
        else:
            limit = policy.auto_allow_production if production else policy.auto_allow_other
            verdict = Verdict.ALLOW if risk <= limit else Verdict.REQUIRE_APPROVAL
            reasons.append(
                f"{risk.name.lower()} risk in {'production' if production else 'non-production'}"
            )
            for rule in policy.rules:
                if rule.matches(action, known):
                    verdict = rule.verdict
                    reasons.append(f"rule: {rule.reason}")
                    break
            over_approval = known.blast_radius.exceeds(policy.approval_above)
            if over_approval and verdict is Verdict.ALLOW:
                verdict = Verdict.REQUIRE_APPROVAL
                reasons.append("blast radius needs approval: " + ", ".join(over_approval))
            if facts is None and verdict is Verdict.ALLOW:
                verdict = Verdict.REQUIRE_APPROVAL

        approval = None
        if verdict is Verdict.REQUIRE_APPROVAL:
            approval = self._valid_approval(plan.id, fingerprint)
            reasons.append(
                f"approved by {approval.approver} at {approval.approved_at.isoformat()}"
                if approval
                else "awaiting approval"
            )
        return Decision(
            plan_id=plan.id,
            step_id=step.id,
            kind=kind,
            target=action.target(),
            verdict=verdict,
            risk=risk,
            reasons=reasons,
            blast_radius=known.blast_radius,
            production=production,
            fingerprint=fingerprint,
            approval=approval,
            decided_at=self.clock(),
        )

    def _is_production(self, labels: Mapping[str, str]) -> bool:
        for key, values in self.policy.production_labels.items():
            if key in labels:
                return labels[key].lower() in {v.lower() for v in values}
        return self.policy.treat_unlabelled_as_production

    def _protected(self, action: ActionSpec, facts: TargetFacts) -> list[str]:
        policy = self.policy
        found: list[str] = []
        if facts.protected_reason:
            found.append(f"protected target: {facts.protected_reason}")
        if any(facts.labels.get(k) == v for k, v in policy.protected_labels.items()):
            found.append("protected target: labelled as LogSwarm's own")
        namespace = getattr(action, "namespace", None)
        if namespace is not None:
            if namespace in policy.protected_namespaces:
                found.append(f"protected namespace {namespace}")
            if namespace == policy.self_namespace:
                found.append(f"LogSwarm's own namespace {namespace}")
        name = getattr(action, "name", None)
        if action.provider is Provider.KUBERNETES and name is not None:
            if isinstance(action, CordonNode | UncordonNode):
                if any(fnmatch.fnmatchcase(name, p) for p in policy.protected_nodes):
                    found.append(f"protected node {name}")
            elif any(fnmatch.fnmatchcase(name, p) for p in policy.self_names):
                found.append(f"LogSwarm's own workload {name}")
        protected_users = {u.lower() for u in policy.protected_iam_users}
        if isinstance(action, DeactivateAccessKey) and action.user_name.lower() in protected_users:
            found.append(f"protected identity {action.user_name}")
        return found

    def _action_specific_denials(self, action: ActionSpec) -> list[str]:
        if isinstance(action, AddNaclDenyEntry):
            prefix = ipaddress.ip_network(action.cidr).prefixlen
            if prefix < self.policy.min_nacl_prefix:
                return [f"NACL deny for /{prefix} would cut off too much of the internet"]
        return []

    def _action_specific_risk(self, action: ActionSpec, facts: TargetFacts) -> Risk:
        if isinstance(action, ScaleWorkload) and action.replicas == 0:
            return Risk.HIGH
        if isinstance(action, SetAsgDesiredCapacity) and action.desired_capacity == 0:
            return Risk.HIGH
        if isinstance(action, SetLambdaReservedConcurrency) and action.reserved_concurrency == 0:
            return Risk.HIGH
        if isinstance(action, StopInstance):
            return Risk.HIGH
        if isinstance(action, AddNaclDenyEntry):
            prefix = ipaddress.ip_network(action.cidr).prefixlen
            if prefix < self.policy.min_nacl_prefix_without_approval:
                return Risk.HIGH
        return Risk.LOW
