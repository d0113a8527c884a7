"""Remediation: the only part of LogSwarm that changes the world (the Executor, Safety and Reviewer agents).

A plan proposed by the agents is untrusted. It is screened against the closed action
vocabulary and the incident's evidence (:mod:`.guard`), rated by a configured policy that alone
decides what needs a person (:mod:`.safety`), dry-run on the servers, applied under a
write-ahead receipt journal (:mod:`.executor`, :mod:`.receipts`), verified from metrics and
rolled back when it did not work (:mod:`.reviewer`). Backends for Kubernetes (:mod:`.kube`)
and AWS (:mod:`.aws`) are the only modules that import those clients; they are not imported
here, so importing this package never pulls kubernetes or boto3 in.
"""

from __future__ import annotations

from logswarm.remediation.audit import (
    AuditEvent,
    AuditKind,
    AuditLog,
    JsonlAuditLog,
    MemoryAuditLog,
)
from logswarm.remediation.backend import ActionBackend
from logswarm.remediation.errors import (
    ActionError,
    ApprovalRequiredError,
    ConflictExhaustedError,
    DryRunError,
    PlanRejectedError,
    PolicyDeniedError,
    ReceiptStoreError,
    RemediationError,
    RollbackError,
    TargetNotFoundError,
    VerificationError,
)
from logswarm.remediation.executor import (
    ExecutionReport,
    ExecutionStatus,
    Executor,
    StepResult,
    StepStatus,
)
from logswarm.remediation.guard import PlanLimits, Screening, screen_plan
from logswarm.remediation.plan import (
    CloudWatchCheck,
    Comparison,
    PlanStep,
    PrometheusCheck,
    ReadinessCheck,
    Receipt,
    RemediationPlan,
    VerificationCheck,
)
from logswarm.remediation.receipts import (
    FileJournalStorage,
    Journal,
    JournalStorage,
    JournalStore,
    PlanRecord,
    PlanStatus,
    ReceiptStore,
    StepState,
)
from logswarm.remediation.reviewer import CheckResult, MetricSource, Review, Reviewer
from logswarm.remediation.safety import (
    Approval,
    ApprovalBook,
    BlastRadius,
    Decision,
    PolicyRule,
    Risk,
    SafetyAgent,
    SafetyPolicy,
    TargetFacts,
    Verdict,
)
from logswarm.remediation.vocabulary import (
    ActionKind,
    ActionSpec,
    AddNaclDenyEntry,
    CordonNode,
    DeactivateAccessKey,
    DeletePod,
    IsolatePod,
    PatchContainerResources,
    Provider,
    RestartDeployment,
    RevokeSecurityGroupIngress,
    RollbackDeployment,
    ScaleWorkload,
    SetAsgDesiredCapacity,
    SetLambdaReservedConcurrency,
    StopInstance,
    UncordonNode,
)

__all__ = [
    "ActionBackend",
    "ActionError",
    "ActionKind",
    "ActionSpec",
    "AddNaclDenyEntry",
    "Approval",
    "ApprovalBook",
    "ApprovalRequiredError",
    "AuditEvent",
    "AuditKind",
    "AuditLog",
    "BlastRadius",
    "CheckResult",
    "CloudWatchCheck",
    "Comparison",
    "ConflictExhaustedError",
    "CordonNode",
    "DeactivateAccessKey",
    "Decision",
    "DeletePod",
    "DryRunError",
    "ExecutionReport",
    "ExecutionStatus",
    "Executor",
    "FileJournalStorage",
    "IsolatePod",
    "Journal",
    "JournalStorage",
    "JournalStore",
    "JsonlAuditLog",
    "MemoryAuditLog",
    "MetricSource",
    "PatchContainerResources",
    "PlanLimits",
    "PlanRecord",
    "PlanRejectedError",
    "PlanStatus",
    "PlanStep",
    "PolicyDeniedError",
    "PolicyRule",
    "PrometheusCheck",
    "Provider",
    "ReadinessCheck",
    "Receipt",
    "ReceiptStore",
    "ReceiptStoreError",
    "RemediationError",
    "RemediationPlan",
    "RestartDeployment",
    "Review",
    "Reviewer",
    "RevokeSecurityGroupIngress",
    "Risk",
    "RollbackDeployment",
    "RollbackError",
    "SafetyAgent",
    "SafetyPolicy",
    "ScaleWorkload",
    "Screening",
    "SetAsgDesiredCapacity",
    "SetLambdaReservedConcurrency",
    "StepResult",
    "StepState",
    "StepStatus",
    "StopInstance",
    "TargetFacts",
    "TargetNotFoundError",
    "UncordonNode",
    "Verdict",
    "VerificationCheck",
    "VerificationError",
    "screen_plan",
]
