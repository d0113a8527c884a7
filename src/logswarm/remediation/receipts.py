"""The write-ahead receipt journal: why a crash can never leave an unrecorded change behind.

For every step the executor first records its *intent* together with the pre-image it just
read, then changes the world, then records the *outcome* (a :class:`Receipt`, or the error).
A process that dies anywhere in between leaves a journal from which a fresh executor can tell
exactly which steps may have happened and how to undo them: an intent without an outcome is
rolled back from the intent's pre-image (restoring a pre-image is harmless when the write never
happened), or re-applied under the same idempotency key.

The journal's meaning (:class:`Journal`: events, replay) is separate from where its lines are
kept (:class:`JournalStorage`): one JSON Lines file per plan, appended and fsync'ed
(:class:`FileJournalStorage`, behind :class:`ReceiptStore`), or the operator's ConfigMap per
Remediation. A torn last file line (the crash hit the write itself) is ignored, any other
corruption is an error rather than a guess.
"""

from __future__ import annotations

import enum
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError

from logswarm.remediation.errors import ReceiptStoreError
from logswarm.remediation.plan import Receipt, RemediationPlan
from logswarm.remediation.vocabulary import ActionSpec

__all__ = [
    "FileJournalStorage",
    "Journal",
    "JournalStorage",
    "JournalStore",
    "PlanRecord",
    "PlanStatus",
    "ReceiptStore",
    "StepRecord",
    "StepState",
    "replay_lines",
]


class StepState(enum.StrEnum):
    PENDING = "pending"
    #: Intent recorded, outcome unknown: the change may or may not have happened.
    INTENDED = "intended"
    APPLIED = "applied"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"


class PlanStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    at: datetime = Field(default_factory=_now)


class _PlanBegun(_Event):
    type: Literal["plan"] = "plan"
    plan: RemediationPlan


class _Intent(_Event):
    type: Literal["intent"] = "intent"
    step_id: str
    idempotency_key: str
    action: ActionSpec
    pre_image: dict[str, JsonValue]


class _Applied(_Event):
    type: Literal["applied"] = "applied"
    receipt: Receipt


class _Failed(_Event):
    type: Literal["failed"] = "failed"
    step_id: str
    error: str


class _RolledBack(_Event):
    type: Literal["rolled_back"] = "rolled_back"
    step_id: str


class _RollbackFailed(_Event):
    type: Literal["rollback_failed"] = "rollback_failed"
    step_id: str
    error: str


class _Finished(_Event):
    type: Literal["finished"] = "finished"
    status: PlanStatus


_JournalEvent = Annotated[
    _PlanBegun | _Intent | _Applied | _Failed | _RolledBack | _RollbackFailed | _Finished,
    Field(discriminator="type"),
]
_EVENT: TypeAdapter[_JournalEvent] = TypeAdapter(_JournalEvent)


@dataclass
class StepRecord:
    """What the journal knows about one step."""

    step_id: str
    state: StepState = StepState.PENDING
    action: ActionSpec | None = None
    idempotency_key: str | None = None
    #: From the latest intent: enough to undo even when the outcome was never recorded.
    intent_pre_image: dict[str, JsonValue] | None = None
    receipt: Receipt | None = None
    error: str | None = None


@dataclass
class PlanRecord:
    """A plan's journal replayed into its current state."""

    plan: RemediationPlan
    steps: dict[str, StepRecord] = field(default_factory=dict)
    status: PlanStatus = PlanStatus.RUNNING

    def touched(self) -> list[StepRecord]:
        """Steps that may have changed the world and are not undone yet, in plan order."""
        live = {StepState.INTENDED, StepState.APPLIED, StepState.ROLLBACK_FAILED}
        out: list[StepRecord] = []
        for planned in self.plan.steps:
            step = self.steps.get(planned.id)
            if step is None:
                continue
            # A failed write may still have landed (a timeout after the server applied it):
            # restoring the pre-image is harmless if it did not.
            failed_after_intent = (
                step.state is StepState.FAILED and step.intent_pre_image is not None
            )
            if step.state in live or failed_after_intent:
                out.append(step)
        return out


class JournalStorage(Protocol):
    """Where each plan's journal lines live: append-only, one JSON document per line.

    The journal's meaning (events, replay, the write-ahead rules) is :class:`Journal`'s; a
    storage only keeps lines. Implementations: :class:`FileJournalStorage` (a directory of
    fsync'ed files) and the operator's ConfigMap storage (one ConfigMap per Remediation).
    """

    #: True when an append is all-or-nothing (an API object replace): then a corrupt last
    #: line is corruption, not a write torn by a crash, and is reported rather than skipped.
    atomic_appends: bool

    def append(self, plan_id: str, line: str) -> None:
        """Durably add ``line`` (ending in a newline) to the plan's journal, creating it."""
        ...

    def read(self, plan_id: str) -> list[str] | None:
        """The plan's journal lines, or None when it has no journal."""
        ...

    def plan_ids(self) -> list[str]: ...

    def describe(self, plan_id: str) -> str:
        """Where the plan's journal is, for error messages."""
        ...


class JournalStore(Protocol):
    """What the executor needs from a journal (:class:`Journal` implements it)."""

    def begin(self, plan: RemediationPlan) -> PlanRecord: ...

    def record_intent(
        self,
        plan_id: str,
        *,
        step_id: str,
        idempotency_key: str,
        action: ActionSpec,
        pre_image: dict[str, JsonValue],
    ) -> None: ...

    def record_applied(self, receipt: Receipt) -> None: ...

    def record_failed(self, plan_id: str, *, step_id: str, error: str) -> None: ...

    def record_rolled_back(self, plan_id: str, *, step_id: str) -> None: ...

    def record_rollback_failed(self, plan_id: str, *, step_id: str, error: str) -> None: ...

    def record_finished(self, plan_id: str, *, status: PlanStatus) -> None: ...

    def exists(self, plan_id: str) -> bool: ...

    def plan_ids(self) -> list[str]: ...

    def unfinished(self) -> list[str]: ...

    def load(self, plan_id: str) -> PlanRecord: ...


class FileJournalStorage:
    """One JSON Lines file per plan in ``directory``, each append flushed and fsync'ed."""

    atomic_appends = False

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, plan_id: str) -> Path:
        # plan ids are validated slugs, so they are safe file names.
        return self.directory / f"{plan_id}.jsonl"

    def append(self, plan_id: str, line: str) -> None:
        try:
            with self._lock, self._path(plan_id).open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise ReceiptStoreError(f"cannot append to journal of plan {plan_id}") from exc

    def read(self, plan_id: str) -> list[str] | None:
        path = self._path(plan_id)
        if not path.exists():
            return None
        try:
            return path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ReceiptStoreError(f"cannot read journal of plan {plan_id}") from exc

    def plan_ids(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.jsonl"))

    def describe(self, plan_id: str) -> str:
        return str(self._path(plan_id))


class Journal:
    """The write-ahead journal over any :class:`JournalStorage`: events in, records out."""

    def __init__(self, storage: JournalStorage) -> None:
        self.storage = storage

    def _append(self, plan_id: str, event: _Event) -> None:
        self.storage.append(plan_id, event.model_dump_json() + "\n")

    # -- writing ------------------------------------------------------------------------

    def begin(self, plan: RemediationPlan) -> PlanRecord:
        """Start a plan's journal, or return the existing one (resuming the same plan)."""
        if self.exists(plan.id):
            record = self.load(plan.id)
            if record.plan != plan:
                raise ReceiptStoreError(f"plan {plan.id} already journaled with other content")
            return record
        self._append(plan.id, _PlanBegun(plan=plan))
        return self.load(plan.id)

    def record_intent(
        self,
        plan_id: str,
        *,
        step_id: str,
        idempotency_key: str,
        action: ActionSpec,
        pre_image: dict[str, JsonValue],
    ) -> None:
        self._append(
            plan_id,
            _Intent(
                step_id=step_id,
                idempotency_key=idempotency_key,
                action=action,
                pre_image=pre_image,
            ),
        )

    def record_applied(self, receipt: Receipt) -> None:
        self._append(receipt.plan_id, _Applied(receipt=receipt))

    def record_failed(self, plan_id: str, *, step_id: str, error: str) -> None:
        self._append(plan_id, _Failed(step_id=step_id, error=error))

    def record_rolled_back(self, plan_id: str, *, step_id: str) -> None:
        self._append(plan_id, _RolledBack(step_id=step_id))

    def record_rollback_failed(self, plan_id: str, *, step_id: str, error: str) -> None:
        self._append(plan_id, _RollbackFailed(step_id=step_id, error=error))

    def record_finished(self, plan_id: str, *, status: PlanStatus) -> None:
        self._append(plan_id, _Finished(status=status))

    # -- reading ------------------------------------------------------------------------

    def exists(self, plan_id: str) -> bool:
        return bool(self.storage.read(plan_id))

    def plan_ids(self) -> list[str]:
        return self.storage.plan_ids()

    def unfinished(self) -> list[str]:
        """Plans whose journal has no final status: a process died while running them."""
        return [pid for pid in self.plan_ids() if self.load(pid).status is PlanStatus.RUNNING]

    def load(self, plan_id: str) -> PlanRecord:
        where = self.storage.describe(plan_id)
        lines = self.storage.read(plan_id)
        if lines is None:
            raise ReceiptStoreError(f"cannot read journal of plan {plan_id}: {where} is missing")
        record = replay_lines(lines, where=where, torn_tail_ok=not self.storage.atomic_appends)
        if record.plan.id != plan_id:
            raise ReceiptStoreError(f"{where} holds plan {record.plan.id}, not {plan_id}")
        return record


class ReceiptStore(Journal):
    """A directory of per-plan journals (the file-backed :class:`Journal`)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(FileJournalStorage(directory))
        self.directory = directory


def replay_lines(lines: list[str], *, where: str, torn_tail_ok: bool = True) -> PlanRecord:
    """A plan's journal lines replayed into its current state.

    ``torn_tail_ok``: a corrupt *last* line is a write the crash tore, and is ignored; any
    other corrupt line is an error rather than a guess.
    """
    events: list[_JournalEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(_EVENT.validate_json(line))
        except ValidationError as exc:
            if torn_tail_ok and number == len(lines):
                break  # torn final write: the crash happened while appending it
            raise ReceiptStoreError(f"{where}:{number}: corrupt journal line") from exc
    if not events or not isinstance(events[0], _PlanBegun):
        raise ReceiptStoreError(f"{where}: journal does not start with its plan")
    record = PlanRecord(plan=events[0].plan)
    for event in events[1:]:
        _replay(record, event)
    return record


def _replay(record: PlanRecord, event: _JournalEvent) -> None:
    if isinstance(event, _Finished):
        record.status = event.status
        return
    if isinstance(event, _PlanBegun):
        return
    step_id = event.receipt.step_id if isinstance(event, _Applied) else event.step_id
    step = record.steps.setdefault(step_id, StepRecord(step_id=step_id))
    if isinstance(event, _Intent):
        step.state = StepState.INTENDED
        step.action = event.action
        step.idempotency_key = event.idempotency_key
        step.intent_pre_image = event.pre_image
        # A new intent after a finished plan means it is being resumed.
        record.status = PlanStatus.RUNNING
    elif isinstance(event, _Applied):
        step.state = StepState.APPLIED
        step.receipt = event.receipt
        step.action = event.receipt.action
        step.idempotency_key = event.receipt.idempotency_key
        step.error = None
    elif isinstance(event, _Failed):
        step.state = StepState.FAILED
        step.error = event.error
    elif isinstance(event, _RolledBack):
        step.state = StepState.ROLLED_BACK
    else:
        step.state = StepState.ROLLBACK_FAILED
        step.error = event.error
