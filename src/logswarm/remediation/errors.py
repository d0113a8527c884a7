"""The remediation layer's exception tree, so callers can tell "retry" from "give up" from "ask a person".

Every lower-level failure (an HTTP error from the API server, a botocore ClientError, a
malformed journal line) is re-raised as one of these with the original chained as
``__cause__``; nothing above this package needs to import kubernetes or botocore to handle it::

    RemediationError
    ├── PlanRejectedError            the untrusted plan failed screening (vocabulary, evidence, limits)
    ├── PolicyDeniedError            the safety policy refused an action
    ├── ApprovalRequiredError        the policy wants a person's approval that is not on record
    ├── ActionError             a backend could not carry out an action
    │   ├── TargetNotFoundError      the object the action names does not exist
    │   ├── DryRunError        the server-side dry run rejected the change
    │   └── ConflictExhaustedError   optimistic-concurrency retries ran out
    ├── RollbackError           an undo could not be completed
    ├── ReceiptStoreError       the write-ahead journal is unreadable or unwritable
    └── VerificationError       a metric source could not be queried
"""

from __future__ import annotations

__all__ = [
    "ActionError",
    "ApprovalRequiredError",
    "ConflictExhaustedError",
    "DryRunError",
    "PlanRejectedError",
    "PolicyDeniedError",
    "ReceiptStoreError",
    "RemediationError",
    "RollbackError",
    "TargetNotFoundError",
    "VerificationError",
]


class RemediationError(Exception):
    """Base of every error raised by :mod:`logswarm.remediation`."""


class PlanRejectedError(RemediationError):
    """The plan (untrusted input) failed screening; ``reasons`` says why, one line per problem."""

    def __init__(self, message: str, *, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons


class PolicyDeniedError(RemediationError):
    """The safety policy denies an action outright (protected target, blast radius too large...)."""


class ApprovalRequiredError(RemediationError):
    """An action needs a recorded human approval that does not exist yet."""


class ActionError(RemediationError):
    """A backend failed to carry out (or to prepare) an action."""


class TargetNotFoundError(ActionError):
    """The object an action names is not there."""


class DryRunError(ActionError):
    """The server-side dry run (Kubernetes ``dryRun=All``, EC2 ``DryRun``) rejected the change."""


class ConflictExhaustedError(ActionError):
    """The object kept changing under us; optimistic-concurrency retries ran out."""


class RollbackError(RemediationError):
    """An undo could not be completed; the receipt stays in the store for another attempt."""


class ReceiptStoreError(RemediationError):
    """The receipt journal could not be read or written."""


class VerificationError(RemediationError):
    """A metric source (Prometheus, CloudWatch, the API server) could not answer."""
