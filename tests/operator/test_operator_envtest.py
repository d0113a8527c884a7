"""The operator against a real API server: pools become agent pods with least privilege,
incidents are analysed through the pool's agent pods (or visibly in-process), and remediations
— Kubernetes and AWS — wait for a person, execute with receipts, and roll back when
verification fails.

The operator runs as a subprocess (``python -m logswarm.operator``), exactly as in a pod,
logging in from the fixture's kubeconfig. envtest has no controller-manager, so Deployments
never get pods or status unless a test writes it: that is how readiness is simulated here, and
why a readiness check right after a change fails (which exercises rollback).
"""

from __future__ import annotations

import functools
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from prometheus_client.parser import text_string_to_metric_families

from logswarm.api.v1alpha1 import RemediationSpec
from logswarm.operator.incident import analyse
from logswarm.remediation import Receipt, ReceiptStore
from tests.support.envtest import EnvTest
from tests.support.moto_server import DUMMY_ACCESS_KEY, DUMMY_SECRET_KEY

pytestmark = pytest.mark.envtest

CRDS = Path(__file__).resolve().parents[2] / "crds"
T = TypeVar("T")


def _eventually(
    probe: Callable[[], T | None], *, what: str, timeout: float = 60.0, log: Path | None = None
) -> T:
    """Poll ``probe`` until it returns something truthy, with a deadline (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = log.read_text()[-4000:] if log and log.exists() else ""
            pytest.fail(f"timed out waiting for {what}\n--- operator log ---\n{tail}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def crds(envtest: EnvTest) -> None:
    envtest.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRDS))
    envtest.kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", str(CRDS))


@contextmanager
def _operator(
    envtest: EnvTest, namespace: str, log: Path, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    # A file, not a pipe: a chatty operator must never block on a pipe nobody reads.
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "logswarm.operator", "--namespace", namespace, "--verbose"],
            env={**envtest.environ(), **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get(envtest: EnvTest, namespace: str, *what: str) -> Any:
    result = envtest.kubectl("get", *what, "-n", namespace, "-o", "json", check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def _apply(envtest: EnvTest, namespace: str, obj: dict[str, Any]) -> None:
    envtest.kubectl("apply", "-n", namespace, "-f", "-", input=json.dumps(obj))


def _condition(obj: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    if obj is None:
        return None
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == kind), None)


def _can_i(envtest: EnvTest, *args: str) -> str:
    result = envtest.kubectl("auth", "can-i", *args, check=False)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.strip()


def _allowed(envtest: EnvTest, verb: str, resource: str, namespace: str, who: str) -> bool:
    return _can_i(envtest, verb, resource, "-n", namespace, who) == "yes"


def _pool(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "logswarm.io/v1alpha1",
        "kind": "AgentPool",
        "metadata": {"name": name},
        "spec": {"topology": "linear", **spec},
    }


def test_agent_pool_yields_agent_pods_with_least_privilege(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    with _operator(envtest, ns, log):
        _apply(envtest, ns, _pool("team"))
        roles = ["planner", "executor", "reviewer"]
        names = {f"team-{r}" for r in roles}

        def deployments() -> list[dict[str, Any]] | None:
            found = _get(envtest, ns, "deployments", "-l", "logswarm.io/pool=team")
            items = found["items"] if found else []
            return items if {d["metadata"]["name"] for d in items} == names else None

        items = _eventually(deployments, what="the pool's Deployments", log=log)
        pool = _get(envtest, ns, "agentpool", "team")
        owner = {"kind": "AgentPool", "name": "team", "uid": pool["metadata"]["uid"]}
        for kind in ("services", "serviceaccounts", "roles", "rolebindings"):
            listed = _get(envtest, ns, kind, "-l", "logswarm.io/pool=team")["items"]
            assert {o["metadata"]["name"] for o in listed} == names, kind
            items += listed
        items.append(_get(envtest, ns, "configmap", "team-config"))
        for obj in items:
            (ref,) = obj["metadata"]["ownerReferences"]
            assert {k: ref[k] for k in owner} == owner

        # Least privilege, proven by the API server's own authorizer.
        def sa(role: str) -> str:
            return f"--as=system:serviceaccount:{ns}:team-{role}"

        _eventually(
            lambda: _can_i(envtest, "patch", "deployments", "-n", ns, sa("executor")) == "yes",
            what="the executor's RoleBinding to take effect",
        )
        for role in ("planner", "reviewer"):
            _eventually(
                functools.partial(_allowed, envtest, "list", "pods", ns, sa(role)),
                what=f"{role} may read pods",
            )
            for verb, resource in (("patch", "deployments"), ("delete", "pods")):
                assert _can_i(envtest, verb, resource, "-n", ns, sa(role)) == "no"
        assert _can_i(envtest, "get", "secrets", "-n", ns, sa("executor")) == "no"
        assert _can_i(envtest, "patch", "deployments", "-n", "default", sa("executor")) == "no"

        # No controller-manager: the pool is not Ready until the test plays the controller.
        status = _eventually(
            lambda: _condition(_get(envtest, ns, "agentpool", "team"), "Ready"),
            what="the pool's Ready condition",
            log=log,
        )
        assert status["status"] == "False"
        for name in sorted(names):
            envtest.kubectl(
                "patch",
                "deployment",
                name,
                "-n",
                ns,
                "--subresource=status",
                "--type=merge",
                "-p",
                json.dumps(
                    {
                        "status": {
                            "observedGeneration": 1,
                            "replicas": 1,
                            "readyReplicas": 1,
                            "updatedReplicas": 1,
                            "availableReplicas": 1,
                        }
                    }
                ),
            )
        _eventually(
            lambda: (
                (_condition(_get(envtest, ns, "agentpool", "team"), "Ready") or {}).get("status")
                == "True"
            ),
            what="the pool to become Ready",
            log=log,
        )
        pool = _get(envtest, ns, "agentpool", "team")
        assert {r["name"]: r["ready"] for r in pool["status"]["roles"]} == dict.fromkeys(
            roles, True
        )
        assert pool["status"]["readyRoles"] == "3/3"

        # A spec change rolls out: new replicas, and a new config hash on the pod template.
        def template_hash() -> str:
            deployment = _get(envtest, ns, "deployment", "team-planner")
            return str(deployment["spec"]["template"]["metadata"]["annotations"])

        before = template_hash()
        roles_spec = [
            {"name": "planner", "replicas": 2},
            {"name": "executor"},
            {"name": "reviewer"},
        ]
        envtest.kubectl(
            "patch",
            "agentpool",
            "team",
            "-n",
            ns,
            "--type=merge",
            "-p",
            json.dumps({"spec": {"roles": roles_spec}}),
        )
        _eventually(
            lambda: _get(envtest, ns, "deployment", "team-planner")["spec"]["replicas"] == 2,
            what="the new replica count to roll out",
            log=log,
        )
        assert template_hash() != before
    assert "Traceback" not in log.read_text()


def _web(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def _incident(ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "logswarm.io/v1alpha1",
        "kind": "Incident",
        "metadata": {"name": "web-errors"},
        "spec": {
            "summary": "web returns 5xx",
            "severity": "High",
            "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:10:00Z"},
            "poolRef": {"name": "ops"},
            "evidence": {
                "entities": [
                    {"id": "E1", "kind": "deployment", "value": "web"},
                    {"id": "E2", "kind": "namespace", "value": ns},
                ]
            },
        },
    }


def _oom_incident(ns: str) -> dict[str, Any]:
    """The Incident of an OOM-killed web Deployment, with the line that says so."""
    incident = _incident(ns)
    incident["spec"]["evidence"]["samples"] = [
        {
            "id": "L1",
            "file": "web.log",
            "line": 1,
            "source": "kubernetes",
            "severity": "ERROR",
            "message": "OOMKilled: container web in deployment web exceeded its memory limit",
        }
    ]
    return incident


def _remediation(
    name: str, ns: str, replicas: int, verification: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "logswarm.io/v1alpha1",
        "kind": "Remediation",
        "metadata": {"name": name},
        "spec": {
            "incidentRef": {"name": "web-errors"},
            "steps": [
                {
                    "id": "scale-web",
                    "action": {
                        "kind": "k8s.workload.scale",
                        "namespace": ns,
                        "name": "web",
                        "replicas": replicas,
                    },
                    "cites": ["E1"],
                }
            ],
            "verification": verification or [],
        },
    }


def _replicas(envtest: EnvTest, ns: str) -> int:
    return int(_get(envtest, ns, "deployment", "web")["spec"]["replicas"])


def _phase(envtest: EnvTest, ns: str, name: str) -> str | None:
    obj = _get(envtest, ns, "remediation", name)
    return (obj.get("status") or {}).get("phase") if obj else None


def test_remediation_waits_for_an_allowed_approver_then_executes_with_a_receipt(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    _apply(envtest, ns, _web(3))
    _apply(envtest, ns, _pool("ops", allowedApprovers=["alice@example.com"]))
    _apply(envtest, ns, _incident(ns))
    with _operator(envtest, ns, log):
        # Scaling 3 -> 1 in (presumed) production reduces capacity: a person must approve.
        _apply(envtest, ns, _remediation("scale-down", ns, 1))
        _eventually(
            lambda: _phase(envtest, ns, "scale-down") == "AwaitingApproval",
            what="the remediation to await approval",
            log=log,
        )
        approved = _condition(_get(envtest, ns, "remediation", "scale-down"), "Approved")
        assert approved is not None
        assert (approved["status"], approved["reason"]) == ("False", "ApprovalRequired")
        assert _replicas(envtest, ns) == 3

        # Someone not on the pool's list cannot approve.
        envtest.kubectl(
            "annotate", "remediation", "scale-down", "-n", ns, "logswarm.io/approved-by=mallory"
        )
        _eventually(
            lambda: (
                (_condition(_get(envtest, ns, "remediation", "scale-down"), "Approved") or {}).get(
                    "reason"
                )
                == "ApproverNotAllowed"
            ),
            what="mallory's approval to be refused",
            log=log,
        )
        assert _replicas(envtest, ns) == 3

        envtest.kubectl(
            "annotate",
            "remediation",
            "scale-down",
            "-n",
            ns,
            "--overwrite",
            "logswarm.io/approved-by=alice@example.com",
        )
        _eventually(
            lambda: _phase(envtest, ns, "scale-down") == "Succeeded",
            what="the approved remediation to succeed",
            log=log,
        )
    assert _replicas(envtest, ns) == 1
    obj = _get(envtest, ns, "remediation", "scale-down")
    status = obj["status"]
    assert status["approvedBy"] == "alice@example.com"
    (receipt,) = status["receipts"]
    assert receipt["stepId"] == "scale-web"
    assert receipt["changed"] is True
    assert receipt["idempotencyKey"] == "scale-down/scale-web"
    assert receipt["preImage"]["replicas"] == 3
    assert [s["state"] for s in status["steps"]] == ["applied"]
    for kind, expected in (("Approved", "True"), ("Applied", "True"), ("Succeeded", "True")):
        condition = _condition(obj, kind)
        assert condition is not None
        assert condition["status"] == expected, condition
        assert condition["observedGeneration"] == obj["metadata"]["generation"]
    # The write-ahead journal the executor resumes from, owned by the Remediation.
    journal = _get(envtest, ns, "configmap", "scale-down-journal")
    assert journal["metadata"]["ownerReferences"][0]["uid"] == obj["metadata"]["uid"]
    kinds = [json.loads(line)["type"] for line in journal["data"]["journal.jsonl"].splitlines()]
    assert kinds == ["plan", "intent", "applied", "finished"]
    events = envtest.kubectl(
        "get", "events", "-n", ns, "--field-selector=involvedObject.name=scale-down", "-o", "json"
    )
    reasons = {e["reason"] for e in json.loads(events.stdout)["items"]}
    assert {
        "ApprovalRequired",
        "ApprovalRefused",
        "Approved",
        "Applying",
        "StepApplied",
        "Applied",
        "Verified",
    } <= reasons
    # The step and the verification ran as kopf sub-handlers of the approval, in that order.
    assert _subhandlers_succeeded(log, "approval_changed/metadata.annotations") == [
        "step.scale-web",
        "verify",
    ]


def _subhandlers_succeeded(log: Path, parent: str) -> list[str]:
    """The sub-handlers of ``parent`` kopf reported as succeeded, in the order it did."""
    found = re.findall(rf"Handler '{parent}/([^']+)' succeeded", log.read_text())
    return list(dict.fromkeys(found))


def test_failed_verification_rolls_the_change_back(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    _apply(envtest, ns, _web(3))
    _apply(envtest, ns, _pool("ops", allowedApprovers=["alice@example.com"]))
    _apply(envtest, ns, _incident(ns))
    readiness = [{"type": "readiness", "namespace": ns, "name": "web"}]
    with _operator(envtest, ns, log, LOGSWARM_VERIFY_GRACE_SECONDS="1"):
        # Scaling up is low risk: the policy allows it without a person.
        _apply(envtest, ns, _remediation("scale-up", ns, 5, readiness))
        _eventually(
            lambda: _phase(envtest, ns, "scale-up") == "RolledBack",
            what="the unverified change to be rolled back",
            log=log,
        )
    assert _replicas(envtest, ns) == 3
    obj = _get(envtest, ns, "remediation", "scale-up")
    assert _condition(obj, "Approved")["reason"] == "PolicyAllowed"  # type: ignore[index]
    assert _condition(obj, "Applied")["status"] == "True"  # type: ignore[index]
    assert _condition(obj, "Verified")["status"] == "False"  # type: ignore[index]
    assert _condition(obj, "RolledBack")["status"] == "True"  # type: ignore[index]
    assert _condition(obj, "Succeeded")["status"] == "False"  # type: ignore[index]
    (receipt,) = obj["status"]["receipts"]
    assert receipt["preImage"]["replicas"] == 3
    assert [s["state"] for s in obj["status"]["steps"]] == ["rolled_back"]


def _rolled_out(envtest: EnvTest, ns: str, *names: str) -> None:
    """Play the Deployment controller (envtest has none): each current spec fully rolled out."""
    for name in names:
        deployment = _get(envtest, ns, "deployment", name)
        replicas = int(deployment["spec"].get("replicas", 1))
        status = {
            "observedGeneration": int(deployment["metadata"]["generation"]),
            "replicas": replicas,
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
            "availableReplicas": replicas,
        }
        envtest.kubectl(
            "patch", "deployment", name, "-n", ns, "--subresource=status", "--type=merge",
            "-p", json.dumps({"status": status}),
        )  # fmt: skip


def test_an_operator_killed_mid_remediation_is_replaced_without_repeating_a_step(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    """SIGKILL, not a polite stop: the operator dies after both steps landed, while the
    rollout is still being verified. Its successor neither applies a step again nor loses the
    verification: once the rollout is ready the Remediation succeeds, receipts intact."""
    ns = envtest_namespace
    api = _web(2)
    api["metadata"]["name"] = "api"
    api["metadata"]["labels"] = api["spec"]["selector"]["matchLabels"] = {"app": "api"}
    api["spec"]["template"]["metadata"]["labels"] = {"app": "api"}
    _apply(envtest, ns, _web(3))
    _apply(envtest, ns, api)
    _apply(envtest, ns, _pool("ops"))
    incident = _incident(ns)
    incident["spec"]["evidence"]["entities"].append(
        {"id": "E3", "kind": "deployment", "value": "api"}
    )
    _apply(envtest, ns, incident)
    remediation = _remediation(
        "scale-both",
        ns,
        4,
        [
            {"type": "readiness", "namespace": ns, "name": "web"},
            {"type": "readiness", "namespace": ns, "name": "api"},
        ],
    )
    remediation["spec"]["steps"].append(
        {
            "id": "scale-api",
            "action": {"kind": "k8s.workload.scale", "namespace": ns, "name": "api", "replicas": 3},
        }
    )
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    grace = {"LOGSWARM_VERIFY_GRACE_SECONDS": "600", "LOGSWARM_VERIFY_INTERVAL_SECONDS": "1"}
    with _operator(envtest, ns, first_log, **grace) as first:
        _apply(envtest, ns, remediation)  # scaling up: within the policy, no person needed
        _eventually(
            lambda: _phase(envtest, ns, "scale-both") == "Verifying",
            what="both steps to be applied and verification to begin",
            log=first_log,
        )
        first.kill()
        first.wait(timeout=30)
    assert _replicas(envtest, ns) == 4
    assert int(_get(envtest, ns, "deployment", "api")["spec"]["replicas"]) == 3

    with _operator(envtest, ns, second_log, **grace):
        _eventually(
            lambda: "verify" in second_log.read_text(),
            what="the new operator to resume the verification",
            log=second_log,
        )
        _rolled_out(envtest, ns, "web", "api")
        _eventually(
            lambda: _phase(envtest, ns, "scale-both") == "Succeeded",
            what="the resumed remediation to verify",
            log=second_log,
        )
    lines = _get(envtest, ns, "configmap", "scale-both-journal")["data"]["journal.jsonl"]
    events = [json.loads(line) for line in lines.splitlines()]
    assert [e["step_id"] for e in events if e["type"] == "intent"] == ["scale-web", "scale-api"]
    assert [e["type"] for e in events].count("finished") == 1
    status = _get(envtest, ns, "remediation", "scale-both")["status"]
    receipts = {r["stepId"]: r["preImage"] for r in status["receipts"]}
    assert receipts == {"scale-web": {"replicas": 3}, "scale-api": {"replicas": 2}}
    verified = _condition(_get(envtest, ns, "remediation", "scale-both"), "Verified")
    assert verified is not None
    assert verified["status"] == "True"
    # kopf's progress record outlived the first operator: its successor ran only the verify
    # sub-handler (the journal above is the second guard, for a crash kopf did not record).
    assert _subhandlers_succeeded(first_log, "reconcile_remediation_handler") == [
        "step.scale-web",
        "step.scale-api",
    ]
    assert _subhandlers_succeeded(second_log, "reconcile_remediation_handler") == ["verify"]
    assert re.search(r"Handler '[^']*/step\.", second_log.read_text()) is None


def test_a_restarted_operator_resumes_without_repeating_a_step(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    """An operator died after step 1 of 2: the journal says so, the world shows it.

    The new operator must apply step 2 only; step 1's receipt keeps its original pre-image
    (re-applying it would find nothing to change and record replicas 5 as the pre-image).
    """
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    api = _web(2)
    api["metadata"]["name"] = "api"
    api["metadata"]["labels"] = api["spec"]["selector"]["matchLabels"] = {"app": "api"}
    api["spec"]["template"]["metadata"]["labels"] = {"app": "api"}
    _apply(envtest, ns, _web(5))  # step 1 already landed: 3 -> 5
    _apply(envtest, ns, api)
    _apply(envtest, ns, _pool("ops"))
    incident = _incident(ns)
    incident["spec"]["evidence"]["entities"].append(
        {"id": "E3", "kind": "deployment", "value": "api"}
    )
    _apply(envtest, ns, incident)
    remediation = _remediation("scale-both", ns, 5)
    remediation["spec"]["steps"].append(
        {
            "id": "scale-api",
            "action": {"kind": "k8s.workload.scale", "namespace": ns, "name": "api", "replicas": 4},
        }
    )
    _apply(envtest, ns, remediation)
    created = _get(envtest, ns, "remediation", "scale-both")

    # The journal the dead operator left: plan begun, step 1 intended and applied.
    plan = RemediationSpec.model_validate(remediation["spec"]).to_plan(
        "scale-both", incident_id="web-errors"
    )
    store = ReceiptStore(tmp_path / "journal")
    store.begin(plan)
    step = plan.step("scale-web")
    store.record_intent(
        plan.id,
        step_id=step.id,
        idempotency_key=f"{plan.id}/{step.id}",
        action=step.action,
        pre_image={"replicas": 3},
    )
    applied_at = datetime(2026, 1, 1, tzinfo=UTC)
    store.record_applied(
        Receipt(
            plan_id=plan.id,
            step_id=step.id,
            idempotency_key=f"{plan.id}/{step.id}",
            action=step.action,
            changed=True,
            pre_image={"replicas": 3},
            post_image={"replicas": 5},
            applied_at=applied_at,
        )
    )
    journal = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "scale-both-journal",
            "ownerReferences": [
                {
                    "apiVersion": "logswarm.io/v1alpha1",
                    "kind": "Remediation",
                    "name": "scale-both",
                    "uid": created["metadata"]["uid"],
                }
            ],
        },
        "data": {"journal.jsonl": (tmp_path / "journal" / "scale-both.jsonl").read_text()},
    }
    _apply(envtest, ns, journal)

    with _operator(envtest, ns, log):
        _eventually(
            lambda: _phase(envtest, ns, "scale-both") == "Succeeded",
            what="the interrupted remediation to finish",
            log=log,
        )
    assert _replicas(envtest, ns) == 5
    assert int(_get(envtest, ns, "deployment", "api")["spec"]["replicas"]) == 4
    status = _get(envtest, ns, "remediation", "scale-both")["status"]
    receipts = {r["stepId"]: r for r in status["receipts"]}
    assert receipts["scale-web"]["preImage"] == {"replicas": 3}
    assert receipts["scale-api"]["preImage"] == {"replicas": 2}
    lines = _get(envtest, ns, "configmap", "scale-both-journal")["data"]["journal.jsonl"]
    intents = [
        event["step_id"]
        for event in map(json.loads, lines.splitlines())
        if event["type"] == "intent"
    ]
    assert intents == ["scale-web", "scale-api"]  # step 1 was never attempted again
    # Resumed as sub-handlers of the resume handler: step 1 found applied, step 2 applied.
    assert _subhandlers_succeeded(log, "reconcile_remediation_handler") == [
        "step.scale-web",
        "step.scale-api",
        "verify",
    ]


def test_an_incident_is_analysed_and_yields_a_remediation(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    _apply(envtest, ns, _web(3))
    _apply(envtest, ns, _pool("ops"))
    incident = _oom_incident(ns)
    with _operator(envtest, ns, log):
        _apply(envtest, ns, incident)
        obj = _eventually(
            lambda: (
                _condition(_get(envtest, ns, "incident", "web-errors"), "Analysed")
                and _get(envtest, ns, "incident", "web-errors")
            ),
            what="the incident to be analysed",
            log=log,
        )
        remediation = _eventually(
            lambda: _get(envtest, ns, "remediation", "web-errors-1"),
            what="the proposed Remediation",
            log=log,
        )
        _eventually(
            lambda: "AnalysedInProcess" in _event_reasons(envtest, ns, "web-errors"),
            what="the Warning Event of the in-process fallback",
            log=log,
        )
    status = obj["status"]
    assert status["topology"] == "linear"
    assert status["rootCause"]["evidence"]
    assert 0 < status["rootCause"]["confidence"] <= 1
    assert [t["role"] for t in status["trajectory"]][:1] == ["planner"]
    assert status["remediationRefs"] == [{"name": "web-errors-1"}]
    (owner,) = remediation["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"]) == ("Incident", obj["metadata"]["uid"])
    actions = [s["action"] for s in remediation["spec"]["steps"]]
    assert all(a["namespace"] == ns and a["name"] == "web" for a in actions)
    # envtest runs no pods: the pool is not ready, and the default mode says so where people
    # look — the Analysed condition, every trajectory entry and a Warning Event.
    analysed = _condition(obj, "Analysed")
    assert analysed is not None
    message = analysed["message"]
    assert "analysed in the operator, in-process (deterministic), falling back because " in message
    # (whether the pool's status was written yet is a race between its handler and this one)
    assert "agent pods of AgentPool ops not ready" in message
    assert message.endswith(": planner, executor, reviewer")
    assert all("[in-process: deterministic]" in t["summary"] for t in status["trajectory"])


def _event_reasons(envtest: EnvTest, ns: str, name: str) -> set[str]:
    events = envtest.kubectl(
        "get", "events", "-n", ns, f"--field-selector=involvedObject.name={name}", "-o", "json"
    )
    return {e["reason"] for e in json.loads(events.stdout)["items"]}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return str(response.read().decode())
    except OSError:
        return None


def _sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


def test_metrics_are_served_after_an_incident_and_a_remediation(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    port = _free_port()
    _apply(envtest, ns, _web(3))
    _apply(envtest, ns, _pool("ops"))
    with _operator(envtest, ns, log, LOGSWARM_METRICS_PORT=str(port)):
        _apply(envtest, ns, _incident(ns))
        _eventually(
            lambda: _condition(_get(envtest, ns, "incident", "web-errors"), "Analysed"),
            what="the incident to be analysed",
            log=log,
        )
        _apply(envtest, ns, _remediation("scale-up", ns, 4))  # low risk: runs unapproved
        _eventually(
            lambda: _phase(envtest, ns, "scale-up") == "Succeeded",
            what="the remediation to succeed",
            log=log,
        )

        def scraped() -> str | None:
            text = _scrape(port)
            done = text and _sample(
                text, "logswarm_operator_remediation_outcomes_total", outcome="Succeeded"
            )
            return text if done else None

        text = _eventually(scraped, what="/metrics to count the outcome", log=log)
    incident = _get(envtest, ns, "incident", "web-errors")
    phase = incident["status"]["phase"]
    assert _sample(text, "logswarm_operator_incidents", severity="High", phase=phase) == 1
    assert (
        _sample(text, "logswarm_operator_incident_first_response_seconds_count", severity="High")
        == 1
    )
    # The window started 2026-01-01: detection "latency" is the whole time since, and honest.
    latency = _sample(
        text, "logswarm_operator_incident_detection_latency_seconds_sum", severity="High"
    )
    assert latency is not None
    assert latency > 86400
    for kind in ("AgentPool", "Incident", "Remediation"):
        count = _sample(text, "logswarm_operator_reconcile_seconds_count", kind=kind, result="ok")
        assert count is not None, kind
        assert count >= 1, kind
    # The offline reasoner spends no tokens; the per-role series exist only when some were spent.
    tokens = sum(t["tokens"] for t in incident["status"]["trajectory"])
    assert (_sample(text, "logswarm_operator_llm_tokens_total") or 0) == tokens


def test_a_role_removed_from_the_pool_loses_its_children(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    roles = [{"name": "planner"}, {"name": "executor"}, {"name": "reviewer"}]
    kinds = ("deployments", "services", "serviceaccounts", "roles", "rolebindings")

    def names(kind: str) -> set[str]:
        found = _get(envtest, ns, kind, "-l", "logswarm.io/pool=slim")
        return {o["metadata"]["name"] for o in (found or {}).get("items", [])}

    # Someone else's object with the pool's labels but no owner reference: never touched.
    stranger = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": "slim-reviewer-sidecar",
            "labels": {
                "logswarm.io/pool": "slim",
                "logswarm.io/role": "reviewer",
                "app.kubernetes.io/managed-by": "logswarm-operator",
            },
        },
    }
    _apply(envtest, ns, stranger)
    with _operator(envtest, ns, log):
        _apply(envtest, ns, _pool("slim", roles=roles))
        every = {"slim-planner", "slim-executor", "slim-reviewer"}
        _eventually(
            lambda: all(names(k) >= every for k in kinds),
            what="every role's children",
            log=log,
        )
        envtest.kubectl(
            "patch",
            "agentpool",
            "slim",
            "-n",
            ns,
            "--type=merge",
            "-p",
            json.dumps({"spec": {"roles": roles[:2]}}),
        )
        _eventually(
            lambda: all("slim-reviewer" not in names(k) for k in kinds),
            what="the removed role's children to be deleted",
            log=log,
        )
        for kind in kinds:
            assert {"slim-planner", "slim-executor"} <= names(kind), kind
        assert "slim-reviewer-sidecar" in names("serviceaccounts")
        events = envtest.kubectl(
            "get", "events", "-n", ns, "--field-selector=involvedObject.name=slim", "-o", "json"
        )
        removed = [e for e in json.loads(events.stdout)["items"] if e["reason"] == "RoleRemoved"]
        assert removed
        assert "Deployment/slim-reviewer" in removed[0]["message"]
    assert "Traceback" not in log.read_text()


def test_an_unapproved_remediation_expires_and_refuses_a_late_approval(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    _apply(envtest, ns, _web(3))
    _apply(envtest, ns, _pool("ops", allowedApprovers=["alice@example.com"]))
    _apply(envtest, ns, _incident(ns))
    with _operator(envtest, ns, log, LOGSWARM_APPROVAL_TIMEOUT_SECONDS="3"):
        _apply(envtest, ns, _remediation("scale-down", ns, 1))  # needs a person
        _eventually(
            lambda: _phase(envtest, ns, "scale-down") == "Expired",
            what="the unapproved remediation to expire (timer every 10 s)",
            timeout=90,
            log=log,
        )
        envtest.kubectl(
            "annotate",
            "remediation",
            "scale-down",
            "-n",
            ns,
            "logswarm.io/approved-by=alice@example.com",
        )

        def refused() -> list[dict[str, Any]]:
            events = envtest.kubectl(
                "get",
                "events",
                "-n",
                ns,
                "--field-selector=involvedObject.name=scale-down",
                "-o",
                "json",
            )
            return [
                e for e in json.loads(events.stdout)["items"] if e["reason"] == "ApprovalRefused"
            ]

        (event,) = _eventually(refused, what="the late approval to be refused", log=log)
    assert (
        "approval by alice@example.com refused: this Remediation has expired" in (event["message"])
    )
    assert _replicas(envtest, ns) == 3  # never executed
    obj = _get(envtest, ns, "remediation", "scale-down")
    assert obj["status"]["phase"] == "Expired"
    approved = _condition(obj, "Approved")
    assert approved is not None
    assert (approved["status"], approved["reason"]) == ("False", "Expired")
    assert _get(envtest, ns, "configmap", "scale-down-journal") is None  # no journal, no step


def _sg_world(clients: Any) -> tuple[str, dict[str, Any]]:
    group = clients.ec2.create_security_group(GroupName="web-sg", Description="web")["GroupId"]
    rule = {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": "203.0.113.7/32"}],
    }
    clients.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[rule])
    return group, rule


def _has_rule(clients: Any, group: str) -> bool:
    (found,) = clients.ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    return any(
        p.get("FromPort") == 22 and any(r["CidrIp"] == "203.0.113.7/32" for r in p["IpRanges"])
        for p in found["IpPermissions"]
    )


def _revoke(name: str, group: str, verification: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "logswarm.io/v1alpha1",
        "kind": "Remediation",
        "metadata": {"name": name},
        "spec": {
            "incidentRef": {"name": "ssh-probe"},
            "steps": [
                {
                    "id": "close-ssh",
                    "action": {
                        "kind": "aws.ec2.revoke_security_group_ingress",
                        "group_id": group,
                        "protocol": "tcp",
                        "from_port": 22,
                        "to_port": 22,
                        "cidr": "203.0.113.7/32",
                    },
                    "cites": ["E1"],
                }
            ],
            "verification": verification,
        },
    }


def test_an_aws_remediation_runs_against_the_configured_endpoint_and_rolls_back(
    envtest: EnvTest,
    envtest_namespace: str,
    crds: None,
    tmp_path: Path,
    moto_server: Any,
    aws_clients: Any,
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    group, _ = _sg_world(aws_clients)
    _apply(envtest, ns, _pool("ops", allowedApprovers=["alice@example.com"]))
    incident = _incident(ns)
    incident["metadata"]["name"] = "ssh-probe"
    incident["spec"]["evidence"]["entities"] = [
        {"id": "E1", "kind": "security_group", "value": group},
        {"id": "E2", "kind": "ip", "value": "203.0.113.7"},
    ]
    _apply(envtest, ns, incident)
    aws_env = {
        "LOGSWARM_REGION": "us-east-1",
        "LOGSWARM_AWS_ENDPOINT_URL": moto_server.endpoint_url,
        # Dummy credentials for moto, given to the operator process only.
        "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
        "LOGSWARM_VERIFY_GRACE_SECONDS": "1",
    }
    # CloudWatch has no datapoints for this metric in moto: verification fails, so the
    # revoked rule must be put back from the receipt's pre-image.
    no_data = [
        {
            "type": "cloudwatch",
            "namespace": "AWS/EC2",
            "metric_name": "NetworkPacketsIn",
            "dimensions": {"InstanceId": "i-00000000000000000"},
            "comparison": "<",
            "threshold": 1000,
        }
    ]
    with _operator(envtest, ns, log, **aws_env):
        _apply(envtest, ns, _revoke("close-ssh", group, []))
        phase = _eventually(
            lambda: (
                _phase(envtest, ns, "close-ssh") in {"AwaitingApproval", "Succeeded"}
                and _phase(envtest, ns, "close-ssh")
            ),
            what="the AWS remediation to be decided",
            log=log,
        )
        if phase == "AwaitingApproval":
            envtest.kubectl(
                "annotate",
                "remediation",
                "close-ssh",
                "-n",
                ns,
                "logswarm.io/approved-by=alice@example.com",
            )
        _eventually(
            lambda: _phase(envtest, ns, "close-ssh") == "Succeeded",
            what="the revocation to succeed",
            log=log,
        )
        assert not _has_rule(aws_clients, group)
        (receipt,) = _get(envtest, ns, "remediation", "close-ssh")["status"]["receipts"]
        assert receipt["kind"] == "aws.ec2.revoke_security_group_ingress"
        assert receipt["changed"] is True

        # Put the rule back, then revoke it again under a check that cannot pass.
        _sg_rule_again(aws_clients, group)
        _apply(envtest, ns, _revoke("close-ssh-checked", group, no_data))
        phase = _eventually(
            lambda: (
                _phase(envtest, ns, "close-ssh-checked")
                in {"AwaitingApproval", "RolledBack", "Failed"}
                and _phase(envtest, ns, "close-ssh-checked")
            ),
            what="the checked remediation to be decided",
            log=log,
        )
        if phase == "AwaitingApproval":
            envtest.kubectl(
                "annotate",
                "remediation",
                "close-ssh-checked",
                "-n",
                ns,
                "logswarm.io/approved-by=alice@example.com",
            )
        _eventually(
            lambda: _phase(envtest, ns, "close-ssh-checked") == "RolledBack",
            what="the unverified revocation to be rolled back",
            log=log,
        )
    assert _has_rule(aws_clients, group)  # restored in moto from the pre-image
    obj = _get(envtest, ns, "remediation", "close-ssh-checked")
    assert _condition(obj, "Applied")["status"] == "True"  # type: ignore[index]
    verified = _condition(obj, "Verified")
    assert verified is not None
    assert verified["status"] == "False"
    assert "no datapoints" in verified["message"]
    assert _condition(obj, "RolledBack")["status"] == "True"  # type: ignore[index]


def _sg_rule_again(clients: Any, group: str) -> None:
    clients.ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "203.0.113.7/32"}],
            }
        ],
    )
    assert _has_rule(clients, group)


# --- the Incident's topology through the pool's agent pods -----------------------------------


@contextmanager
def _agent_servers(roles: list[str], logs: Path) -> Iterator[dict[str, str]]:
    """One real ``logswarm agent --role R`` process per role on loopback (what each agent pod
    runs); yields role -> base URL. envtest runs no pods, so these stand in for them."""
    processes: list[subprocess.Popen[bytes]] = []
    paths = {role: logs / f"agent-{role}.log" for role in roles}
    try:
        for role, path in paths.items():
            with path.open("w") as sink:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "logswarm.cli.main", "agent", "--role", role,
                         "--host", "127.0.0.1", "--port", "0"],
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                    )
                )  # fmt: skip

        def url(path: Path) -> str | None:
            # "logswarm agent: serving R with ... on http://127.0.0.1:PORT"
            for line in path.read_text().splitlines():
                if line.startswith("logswarm agent: serving") and " on http://" in line:
                    return line.rsplit(" on ", 1)[-1].strip()
            return None

        urls = {
            role: _eventually(functools.partial(url, path), what=f"the {role} agent", log=path)
            for role, path in paths.items()
        }
        for role, base in urls.items():
            _eventually(lambda base=base: _fetch(f"{base}/readyz"), what=f"{role} to be ready")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except OSError:
        return None


def _role_requests(base: str, role: str) -> float:
    text = _fetch(f"{base}/metrics") or ""
    return _sample(text, "logswarm_agent_requests_total", role=role, status="200") or 0.0


def test_in_agents_mode_an_incident_waits_for_the_agent_pods_then_runs_through_them(
    envtest: EnvTest, envtest_namespace: str, crds: None, tmp_path: Path
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    roles = ["planner", "executor", "reviewer"]
    _apply(envtest, ns, _web(3))
    _apply(envtest, ns, _pool("ops"))
    incident = _oom_incident(ns)
    with _agent_servers(roles, tmp_path) as urls:
        env = {
            "LOGSWARM_ANALYSIS_MODE": "agents",
            # The agent Services' URLs, pointed at the local agent processes.
            "LOGSWARM_AGENT_URLS": ",".join(f"{r}={u}" for r, u in urls.items()),
            "LOGSWARM_AGENT_RETRY_SECONDS": "2",
        }
        with _operator(envtest, ns, log, **env):
            _eventually(
                lambda: (_get(envtest, ns, "deployments", "-l", "logswarm.io/pool=ops") or {}).get(
                    "items"
                ),
                what="the pool's Deployments",
                log=log,
            )
            _apply(envtest, ns, incident)
            waiting = _eventually(
                lambda: _condition(_get(envtest, ns, "incident", "web-errors"), "Analysed"),
                what="the incident to wait for its agents",
                log=log,
            )
            assert (waiting["status"], waiting["reason"]) == ("False", "AgentsNotReady")
            assert "not ready: planner, executor, reviewer" in waiting["message"]
            _eventually(
                lambda: "AgentsNotReady" in _event_reasons(envtest, ns, "web-errors"),
                what="the AgentsNotReady Event",
                log=log,
            )
            assert _get(envtest, ns, "remediation", "web-errors-1") is None
            assert all(_role_requests(urls[r], r) == 0 for r in roles)

            _rolled_out(envtest, ns, *[f"ops-{r}" for r in roles])
            analysed = _eventually(
                lambda: (
                    (_condition(_get(envtest, ns, "incident", "web-errors"), "Analysed") or {}).get(
                        "status"
                    )
                    == "True"
                    and _get(envtest, ns, "incident", "web-errors")
                ),
                what="the incident to be analysed through the agent pods",
                log=log,
            )
            remediation = _eventually(
                lambda: _get(envtest, ns, "remediation", "web-errors-1"),
                what="the proposed Remediation",
                log=log,
            )
        # Every role of the topology was asked over HTTP, by its own agent process.
        for role in roles:
            assert _role_requests(urls[role], role) >= 1, role
    status = analysed["status"]
    message = _condition(analysed, "Analysed")["message"]  # type: ignore[index]
    assert "by the pool's agent pods over HTTP (deterministic)" in message
    assert [t["role"] for t in status["trajectory"]][:1] == ["planner"]
    assert all("[http: deterministic]" in t["summary"] for t in status["trajectory"])
    assert {(t["transport"], t["backend"]) for t in status["trajectory"]} == {
        ("http", "deterministic")
    }
    # The same answer as the in-process path, from the same topology code.
    local = analyse(
        analysed,
        topology="linear",
        read_workload=lambda n, name: _get(envtest, n, "deployment", name),
    )
    assert status["rootCause"] == local.status.model_dump(mode="json")["rootCause"]
    expected = local.remediations[0]["spec"]
    assert [s["id"] for s in remediation["spec"]["steps"]] == [s["id"] for s in expected["steps"]]
    for got, want in zip(remediation["spec"]["steps"], expected["steps"], strict=True):
        assert want["action"].items() <= got["action"].items()  # the API server adds defaults
    assert remediation["spec"]["verification"] == expected["verification"]
    (owner,) = remediation["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"]) == ("Incident", analysed["metadata"]["uid"])
    assert "Traceback" not in log.read_text()


def test_a_leaked_access_key_yields_an_aws_remediation_that_runs_after_approval(
    envtest: EnvTest,
    envtest_namespace: str,
    crds: None,
    tmp_path: Path,
    moto_server: Any,
    aws_clients: Any,
) -> None:
    ns = envtest_namespace
    log = tmp_path / "operator.log"
    aws_clients.iam.create_user(UserName="alice")
    key = aws_clients.iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    _apply(envtest, ns, _pool("ops", allowedApprovers=["sre@example.com"]))
    incident = _incident(ns)
    incident["metadata"]["name"] = "key-leak"
    incident["spec"]["summary"] = "access key used from an unusual location"
    incident["spec"]["evidence"] = {
        "samples": [
            {
                "id": "L1",
                "file": "cloudtrail/2026/01/01/trail.json",
                "line": 1,
                "source": "cloudtrail",
                "severity": "WARNING",
                "message": f"ConsoleLogin by alice with access key {key} from 198.51.100.23 "
                "(impossible travel, unusual location)",
            },
            {
                "id": "L2",
                "file": "cloudtrail/2026/01/01/trail.json",
                "line": 2,
                "source": "cloudtrail",
                "severity": "WARNING",
                "message": f"GetCallerIdentity userName=alice accessKeyId={key} "
                "sourceIPAddress=198.51.100.23",
            },
        ],
        "entities": [
            {"id": "E1", "kind": "access_key", "value": key, "count": 2},
            {"id": "E2", "kind": "iam_user", "value": "alice", "count": 2},
            {"id": "E3", "kind": "ip", "value": "198.51.100.23", "count": 2},
        ],
    }
    aws_env = {
        "LOGSWARM_REGION": "us-east-1",
        "LOGSWARM_AWS_ENDPOINT_URL": moto_server.endpoint_url,
        # Dummy credentials for moto, given to the operator process only.
        "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
    }

    def key_status() -> str:
        (meta,) = aws_clients.iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
        return str(meta["Status"])

    with _operator(envtest, ns, log, **aws_env):
        _apply(envtest, ns, incident)
        remediation = _eventually(
            lambda: _get(envtest, ns, "remediation", "key-leak-1"),
            what="the proposed AWS Remediation",
            log=log,
        )
        (step,) = remediation["spec"]["steps"]
        assert step["action"] == {
            "kind": "aws.iam.deactivate_access_key",
            "user_name": "alice",
            "access_key_id": key,
        }
        assert remediation["spec"]["verification"] == []
        phase = _eventually(
            lambda: (
                _phase(envtest, ns, "key-leak-1") in {"AwaitingApproval", "Succeeded"}
                and _phase(envtest, ns, "key-leak-1")
            ),
            what="the AWS remediation to be decided",
            log=log,
        )
        assert phase == "AwaitingApproval"  # a high-risk step: a person decides
        assert key_status() == "Active"
        envtest.kubectl(
            "annotate", "remediation", "key-leak-1", "-n", ns,
            "logswarm.io/approved-by=sre@example.com",
        )  # fmt: skip
        _eventually(
            lambda: _phase(envtest, ns, "key-leak-1") == "Succeeded",
            what="the key to be deactivated",
            log=log,
        )
    assert key_status() == "Inactive"
    obj = _get(envtest, ns, "remediation", "key-leak-1")
    (receipt,) = obj["status"]["receipts"]
    assert receipt["kind"] == "aws.iam.deactivate_access_key"
    assert receipt["preImage"] == {"status": "Active"}
    proposed = _condition(_get(envtest, ns, "incident", "key-leak"), "RemediationProposed")
    assert proposed is not None
    assert proposed["reason"] == "PartlyProposed"  # the NACL deny names no ACL: not guessed
    assert "add_nacl_deny" in proposed["message"]
    assert "network_acl_id" in proposed["message"]
