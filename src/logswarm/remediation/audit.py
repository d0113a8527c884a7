"""The audit trail: every screening, policy decision, approval, change and rollback, as JSON lines.

Auditors and incident reviewers need to answer "who allowed this, and why" long after the
process that did it has gone, so the trail is an append-only JSON Lines file that any tool can
read. The in-memory log exists for tests and for callers that forward events elsewhere; both
sit behind the small :class:`AuditLog` protocol.
"""

from __future__ import annotations

import enum
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = ["AuditEvent", "AuditKind", "AuditLog", "JsonlAuditLog", "MemoryAuditLog"]


class AuditKind(enum.StrEnum):
    SCREENED = "screened"
    DECISION = "decision"
    APPROVAL = "approval"
    APPROVAL_REFUSED = "approval_refused"
    DRY_RUN = "dry_run"
    APPLIED = "applied"
    APPLY_FAILED = "apply_failed"
    VERIFIED = "verified"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"


class AuditEvent(BaseModel):
    """One line of the trail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    kind: AuditKind
    #: Who acted: ``safety-policy``, ``executor``, ``reviewer`` or a person's identity.
    actor: str
    plan_id: str | None = None
    step_id: str | None = None
    detail: dict[str, JsonValue] = Field(default_factory=dict)


class AuditLog(Protocol):
    def write(self, event: AuditEvent) -> None: ...


class MemoryAuditLog:
    """Keeps events in a list (tests, or a caller that ships them elsewhere)."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def write(self, event: AuditEvent) -> None:
        self.events.append(event)

    def of_kind(self, kind: AuditKind) -> list[AuditEvent]:
        return [e for e in self.events if e.kind is kind]


class JsonlAuditLog:
    """Appends one JSON object per line and syncs it to disk before returning."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: AuditEvent) -> None:
        line = event.model_dump_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def read(self) -> list[AuditEvent]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [AuditEvent.model_validate_json(line) for line in handle if line.strip()]
