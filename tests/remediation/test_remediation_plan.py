"""The vocabulary, plan screening and the receipt journal, without any server."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

import logswarm.remediation as remediation
from logswarm.incidents import EntityKind
from logswarm.remediation import (
    ActionKind,
    ActionSpec,
    PlanStatus,
    Receipt,
    ReceiptStore,
    ReceiptStoreError,
    RemediationPlan,
    StepState,
    screen_plan,
)
from logswarm.remediation.redteam import make_incident
from logswarm.remediation.vocabulary import ACTION_ADAPTER

INCIDENT = make_incident(
    [
        (EntityKind.DEPLOYMENT, "shop/checkout"),
        (EntityKind.POD, "checkout-1"),
        (EntityKind.NAMESPACE, "shop"),
    ]
)


def test_the_vocabulary_is_closed_and_matches_action_kind() -> None:
    union = typing.get_args(typing.get_args(ActionSpec)[0])
    kinds = {cls.model_fields["kind"].default for cls in union}
    assert kinds == {k.value for k in ActionKind}


def test_public_api_is_what_all_says() -> None:
    assert sorted(remediation.__all__) == remediation.__all__
    for name in remediation.__all__:
        assert hasattr(remediation, name)


def test_the_package_does_not_pull_cloud_clients_in() -> None:
    import subprocess
    import sys

    code = (
        "import sys, logswarm.remediation, logswarm.remediation.redteam;"
        "print(sorted(m for m in ('kubernetes', 'boto3', 'botocore') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_qualified_entity_attests_both_name_and_namespace() -> None:
    plan = {
        "id": "p",
        "incident_id": "inc-1",
        "steps": [
            {
                "id": "s1",
                "action": {
                    "kind": "k8s.deployment.restart",
                    "namespace": "shop",
                    "name": "checkout",
                },
            }
        ],
    }
    screening = screen_plan(plan, incident=INCIDENT)
    assert screening.accepted, screening.problems
    assert screening.require().steps[0].action.target() == "deployment shop/checkout"


def test_screening_problems_do_not_echo_the_payload() -> None:
    payload = "A" * 5000
    plan = {
        "id": "p",
        "incident_id": "inc-1",
        "steps": [{"id": "s1", "action": {"kind": "k8s.node.cordon", "name": payload}}],
    }
    screening = screen_plan(plan, incident=INCIDENT)
    assert not screening.accepted
    assert all(payload[:300] not in p for p in screening.problems)


def test_receipts_round_trip_through_json() -> None:
    receipt = Receipt.model_validate(
        {
            "plan_id": "p",
            "step_id": "s1",
            "idempotency_key": "p/s1",
            "action": {
                "kind": "k8s.workload.scale",
                "namespace": "shop",
                "name": "checkout",
                "replicas": 2,
            },
            "changed": True,
            "pre_image": {"replicas": 5},
            "applied_at": "2026-03-01T12:00:00Z",
        }
    )
    assert Receipt.model_validate_json(receipt.model_dump_json()) == receipt
    assert ACTION_ADAPTER.validate_python(receipt.action.model_dump()) == receipt.action


def _plan() -> RemediationPlan:
    return RemediationPlan.model_validate(
        {
            "id": "p",
            "incident_id": "inc-1",
            "steps": [
                {"id": "s1", "action": {"kind": "k8s.node.cordon", "name": "n1"}},
                {"id": "s2", "action": {"kind": "k8s.node.uncordon", "name": "n2"}},
            ],
        }
    )


def test_journal_replays_intent_without_outcome_as_touched(tmp_path: Path) -> None:
    store = ReceiptStore(tmp_path)
    plan = _plan()
    store.begin(plan)
    store.record_intent(
        "p",
        step_id="s1",
        idempotency_key="p/s1",
        action=plan.steps[0].action,
        pre_image={"unschedulable": False},
    )
    record = ReceiptStore(tmp_path).load("p")
    assert record.status is PlanStatus.RUNNING
    assert record.steps["s1"].state is StepState.INTENDED
    assert [s.step_id for s in record.touched()] == ["s1"]
    assert store.unfinished() == ["p"]


def test_a_torn_last_line_is_ignored_but_a_corrupt_middle_is_an_error(tmp_path: Path) -> None:
    store = ReceiptStore(tmp_path)
    plan = _plan()
    store.begin(plan)
    store.record_intent(
        "p", step_id="s1", idempotency_key="p/s1", action=plan.steps[0].action, pre_image={}
    )
    path = tmp_path / "p.jsonl"
    with path.open("a") as handle:
        handle.write('{"type": "applied", "rec')
    assert store.load("p").steps["s1"].state is StepState.INTENDED

    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "garbage", *lines[1:]]) + "\n")
    with pytest.raises(ReceiptStoreError, match="corrupt"):
        store.load("p")


def test_a_plan_id_cannot_be_reused_for_other_content(tmp_path: Path) -> None:
    store = ReceiptStore(tmp_path)
    store.begin(_plan())
    other = _plan().model_copy(update={"rationale": "different"})
    with pytest.raises(ReceiptStoreError, match="other content"):
        store.begin(other)
