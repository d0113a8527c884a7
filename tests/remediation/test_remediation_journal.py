"""The journal's public storage seam: any JournalStorage gives the executor the same journal.

The file store and the operator's ConfigMap store are two storages under one :class:`Journal`;
here a third, in-memory one proves the seam is complete (the whole write-ahead contract runs
on it) and that the torn-tail rule belongs to the storage, not to the codec.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from logswarm.remediation import (
    FileJournalStorage,
    Journal,
    JournalStorage,
    JournalStore,
    PlanStatus,
    ReceiptStore,
    ReceiptStoreError,
    RemediationPlan,
    StepState,
)
from logswarm.remediation.vocabulary import ScaleWorkload


class MemoryStorage:
    atomic_appends = True

    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {}

    def append(self, plan_id: str, line: str) -> None:
        self.lines.setdefault(plan_id, []).append(line.rstrip("\n"))

    def read(self, plan_id: str) -> list[str] | None:
        return list(self.lines[plan_id]) if plan_id in self.lines else None

    def plan_ids(self) -> list[str]:
        return sorted(self.lines)

    def describe(self, plan_id: str) -> str:
        return f"memory:{plan_id}"


def _plan(plan_id: str = "p1") -> RemediationPlan:
    return RemediationPlan.model_validate(
        {
            "id": plan_id,
            "incident_id": "inc",
            "steps": [
                {
                    "id": "s1",
                    "action": {
                        "kind": "k8s.workload.scale",
                        "namespace": "shop",
                        "name": "web",
                        "replicas": 2,
                    },
                }
            ],
        }
    )


def _run(store: JournalStore) -> None:
    plan = _plan()
    store.begin(plan)
    step = plan.step("s1")
    assert isinstance(step.action, ScaleWorkload)
    store.record_intent(
        plan.id,
        step_id="s1",
        idempotency_key="p1/s1",
        action=step.action,
        pre_image={"replicas": 3},
    )
    store.record_failed(plan.id, step_id="s1", error="boom")
    store.record_rolled_back(plan.id, step_id="s1")
    store.record_finished(plan.id, status=PlanStatus.ROLLED_BACK)


def test_the_same_journal_on_a_file_and_in_memory(tmp_path: Path) -> None:
    memory = MemoryStorage()
    storages: list[JournalStorage] = [memory, FileJournalStorage(tmp_path / "j")]
    records = []
    for storage in storages:
        journal = Journal(storage)
        assert not journal.exists("p1")
        _run(journal)
        assert journal.plan_ids() == ["p1"]
        assert journal.unfinished() == []
        records.append(journal.load("p1"))
    assert records[0].steps["s1"].state is StepState.ROLLED_BACK
    assert records[0].status is PlanStatus.ROLLED_BACK
    assert records[0].steps == records[1].steps
    # ReceiptStore is the file journal, constructed as before.
    assert ReceiptStore(tmp_path / "j").load("p1").steps == records[0].steps
    # Beginning the same plan again resumes it; another plan under the same id is refused.
    assert Journal(memory).begin(_plan()).status is PlanStatus.ROLLED_BACK
    other = _plan().model_copy(update={"rationale": "something else"})
    with pytest.raises(ReceiptStoreError, match="already journaled"):
        Journal(memory).begin(other)


def test_a_corrupt_last_line_is_a_torn_write_only_where_writes_can_tear(tmp_path: Path) -> None:
    file_journal = ReceiptStore(tmp_path)
    memory = MemoryStorage()
    for journal in (file_journal, Journal(memory)):
        journal.begin(_plan())
    with (tmp_path / "p1.jsonl").open("a") as handle:
        handle.write('{"type": "intent", "step_')
    memory.append("p1", '{"type": "intent", "step_')
    assert file_journal.load("p1").steps == {}  # a crash tore the file append: ignored
    with pytest.raises(ReceiptStoreError, match=r"memory:p1:2: corrupt journal line"):
        Journal(memory).load("p1")


def test_a_journal_holding_another_plan_is_an_error() -> None:
    memory = MemoryStorage()
    Journal(memory).begin(_plan("p1"))
    memory.lines["p2"] = memory.lines["p1"]
    with pytest.raises(ReceiptStoreError, match="holds plan p1, not p2"):
        Journal(memory).load("p2")
