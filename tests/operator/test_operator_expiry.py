"""A Remediation nobody approves in time expires: it never runs, and a late approval is refused.

Pure tests with an injected clock. ``api=None`` is deliberate: an expired Remediation must be
decided before anything is read from (or done to) the cluster, so any API use would crash.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from logswarm.api.v1alpha1 import RemediationPhase, RemediationStatus
from logswarm.operator.remediation import awaiting_since, expire, reconcile_remediation

ASKED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TIMEOUT = 3600.0


def _body(phase: str, *, approver: str | None = None, reason: str = "ApprovalRequired") -> Any:
    meta: dict[str, Any] = {"name": "scale-down", "namespace": "shop", "generation": 1}
    if approver:
        meta["annotations"] = {"logswarm.io/approved-by": approver}
    return {
        "metadata": meta,
        "spec": {
            "incidentRef": {"name": "web-errors"},
            "steps": [
                {
                    "id": "s1",
                    "action": {
                        "kind": "k8s.workload.scale",
                        "namespace": "shop",
                        "name": "web",
                        "replicas": 1,
                    },
                }
            ],
        },
        "status": {
            "phase": phase,
            "observedGeneration": 1,
            "conditions": [
                {
                    "type": "Approved",
                    "status": "False",
                    "reason": reason,
                    "message": "s1: awaiting approval",
                    "lastTransitionTime": ASKED.isoformat(),
                    "observedGeneration": 1,
                }
            ],
        },
    }


def _at(seconds: float) -> Any:
    return lambda: ASKED + timedelta(seconds=seconds)


def test_waiting_is_measured_from_when_approval_was_first_required() -> None:
    status = RemediationStatus.model_validate(_body("AwaitingApproval")["status"])
    assert awaiting_since(status) == ASKED
    assert awaiting_since(RemediationStatus.model_validate(_body("Succeeded")["status"])) is None


def test_it_expires_at_the_deadline_not_before() -> None:
    body = _body("AwaitingApproval", reason="ApproverNotAllowed")
    assert expire(body, timeout_seconds=TIMEOUT, clock=_at(TIMEOUT - 1)) is None
    outcome = expire(body, timeout_seconds=TIMEOUT, clock=_at(TIMEOUT))
    assert outcome is not None
    assert outcome.status.phase is RemediationPhase.EXPIRED
    approved = {c.type: c for c in outcome.status.conditions}["Approved"]
    assert (approved.status, approved.reason) == ("False", "Expired")
    assert "expired at 2026-03-01T13:00:00+00:00" in approved.message
    assert {c.type: c.reason for c in outcome.status.conditions}["Succeeded"] == "Expired"
    ((kind, reason, message),) = outcome.events
    assert (kind, reason) == ("Warning", "Expired")
    assert "will never run" in message
    # A timeout of 0 turns expiry off; a Remediation not waiting never expires.
    assert expire(body, timeout_seconds=0, clock=_at(10 * TIMEOUT)) is None
    assert expire(_body("Verifying"), timeout_seconds=TIMEOUT, clock=_at(10 * TIMEOUT)) is None


def test_an_approval_after_the_deadline_never_starts_an_execution() -> None:
    # The approval handler may see the annotation before the timer fired: still expired.
    body = _body("AwaitingApproval", approver="alice@example.com")
    outcome = reconcile_remediation(
        cast(Any, None),
        body,
        approval_timeout_seconds=TIMEOUT,
        approval_event=True,
        clock=_at(TIMEOUT + 5),
    )
    assert outcome.status.phase is RemediationPhase.EXPIRED
    assert outcome.status.approved_by is None
    assert outcome.status.receipts == []


def test_a_late_approval_of_an_expired_remediation_is_refused_with_a_reason() -> None:
    expired = expire(_body("AwaitingApproval"), timeout_seconds=TIMEOUT, clock=_at(TIMEOUT))
    assert expired is not None
    body = _body("AwaitingApproval", approver="alice@example.com")
    body["status"] = expired.status.model_dump(mode="json", exclude_none=True)
    body["metadata"]["generation"] = 2  # even an edited spec does not revive it
    outcome = reconcile_remediation(
        cast(Any, None),
        body,
        approval_timeout_seconds=TIMEOUT,
        approval_event=True,
        clock=_at(2 * TIMEOUT),
    )
    assert outcome.status.phase is RemediationPhase.EXPIRED
    ((kind, reason, message),) = outcome.events
    assert (kind, reason) == ("Warning", "ApprovalRefused")
    assert message.startswith("approval by alice@example.com refused: this Remediation has expired")
    # Seen again on resume (not an approval event): quietly stays expired.
    quiet = reconcile_remediation(
        cast(Any, None),
        body,
        approval_timeout_seconds=TIMEOUT,
        clock=_at(2 * TIMEOUT),
    )
    assert quiet.events == []
    assert quiet.status.phase is RemediationPhase.EXPIRED
