"""The generated CRDs against a real API server: accepted, validating, and readable by kubectl."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from logswarm.api.crdgen import CRD_SPECS
from logswarm.api.v1alpha1 import Condition, ConditionStatus, IncidentStatus, RootCauseStatus
from tests.support.envtest import EnvTest

pytestmark = pytest.mark.envtest

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds"
SAMPLES = ROOT / "manifests" / "samples"


def _load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((SAMPLES / name).read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def crds(envtest: EnvTest) -> EnvTest:
    envtest.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRDS))
    names = [f"crd/{spec.plural}.logswarm.io" for spec in CRD_SPECS]
    envtest.kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)
    return envtest


def _apply(envtest: EnvTest, namespace: str, document: dict[str, Any]) -> Any:
    return envtest.kubectl(
        "apply", "-n", namespace, "-f", "-", input=json.dumps(document), check=False
    )


def test_crds_are_established_with_short_names_and_category(crds: EnvTest) -> None:
    resources = crds.kubectl("api-resources", "--api-group=logswarm.io", "-o", "wide").stdout
    for spec in CRD_SPECS:
        assert spec.plural in resources
        for short in spec.resource.short_names:
            assert f" {short} " in resources or f" {short}\n" in resources


def test_short_names_do_not_collide_with_other_resources(crds: EnvTest) -> None:
    table = crds.kubectl("api-resources", "--no-headers").stdout.splitlines()
    others = {
        word
        for line in table
        if "logswarm.io" not in line
        for word in (line.split()[1].split(",") if len(line.split()) >= 5 else [])
    }
    ours = {short for spec in CRD_SPECS for short in spec.resource.short_names}
    assert others, "no short names parsed from kubectl api-resources"
    assert not ours & others


@pytest.mark.parametrize(
    "sample",
    [
        "agentpools/linear.yaml",
        "agentpools/rag.yaml",
        "agentpools/smart.yaml",
        "incident.yaml",
        "remediation.yaml",
    ],
)
def test_samples_are_accepted(crds: EnvTest, envtest_namespace: str, sample: str) -> None:
    result = _apply(crds, envtest_namespace, _load(sample))
    assert result.returncode == 0, result.stderr


def _rejected(envtest: EnvTest, namespace: str, document: dict[str, Any]) -> str:
    result = _apply(envtest, namespace, document)
    assert result.returncode != 0, "the API server accepted an invalid object"
    return str(result.stderr)


def test_unknown_topology_is_rejected_naming_the_field(
    crds: EnvTest, envtest_namespace: str
) -> None:
    pool = _load("agentpools/linear.yaml")
    pool["spec"]["topology"] = "mesh"
    message = _rejected(crds, envtest_namespace, pool)
    assert "spec.topology" in message
    assert "Unsupported value" in message


def test_replicas_out_of_range_are_rejected(crds: EnvTest, envtest_namespace: str) -> None:
    pool = _load("agentpools/linear.yaml")
    pool["spec"]["roles"][0]["replicas"] = 21
    message = _rejected(crds, envtest_namespace, pool)
    assert "spec.roles[0].replicas" in message
    assert "less than or equal to 20" in message


def test_duplicate_roles_are_rejected_by_cel(crds: EnvTest, envtest_namespace: str) -> None:
    pool = _load("agentpools/linear.yaml")
    pool["spec"]["roles"].append({"name": "planner"})
    assert "spec.roles names must be unique" in _rejected(crds, envtest_namespace, pool)


def test_missing_required_field_is_named(crds: EnvTest, envtest_namespace: str) -> None:
    incident = _load("incident.yaml")
    del incident["spec"]["severity"]
    message = _rejected(crds, envtest_namespace, incident)
    assert "spec.severity" in message
    assert "Required value" in message


def test_window_ending_before_it_starts_is_rejected(crds: EnvTest, envtest_namespace: str) -> None:
    incident = _load("incident.yaml")
    incident["spec"]["window"]["end"] = "2026-03-01T13:00:00Z"
    assert "spec.window.end must not be before" in _rejected(crds, envtest_namespace, incident)


def test_action_outside_the_vocabulary_is_rejected(crds: EnvTest, envtest_namespace: str) -> None:
    remediation = _load("remediation.yaml")
    remediation["spec"]["steps"][0]["action"]["kind"] = "k8s.namespace.delete"
    message = _rejected(crds, envtest_namespace, remediation)
    assert "spec.steps[0].action.kind" in message
    assert "Unsupported value" in message


def test_action_fields_must_match_its_kind(crds: EnvTest, envtest_namespace: str) -> None:
    remediation = _load("remediation.yaml")
    scale = copy.deepcopy(remediation)
    # A scale without replicas, then a restart carrying a field of another kind.
    scale["spec"]["steps"][0]["action"] = {
        "kind": "k8s.workload.scale",
        "namespace": "shop",
        "name": "checkout",
    }
    assert "k8s.workload.scale requires" in _rejected(crds, envtest_namespace, scale)
    remediation["spec"]["steps"][0]["action"] = {
        "kind": "k8s.deployment.restart",
        "namespace": "shop",
        "name": "checkout",
        "replicas": 3,
    }
    assert "k8s.deployment.restart takes only" in _rejected(crds, envtest_namespace, remediation)


def test_remediation_without_steps_is_rejected(crds: EnvTest, envtest_namespace: str) -> None:
    remediation = _load("remediation.yaml")
    remediation["spec"]["steps"] = []
    message = _rejected(crds, envtest_namespace, remediation)
    assert "spec.steps" in message


def test_kubectl_get_shows_the_printer_columns_and_status(
    crds: EnvTest, envtest_namespace: str
) -> None:
    ns = envtest_namespace
    assert _apply(crds, ns, _load("incident.yaml")).returncode == 0
    status = IncidentStatus(
        observed_generation=1,
        conditions=[
            Condition(
                type="Analysed",
                status=ConditionStatus.TRUE,
                reason="RootCauseFound",
                message="memory limit halved",
                last_transition_time=datetime(2026, 3, 1, 14, 20, tzinfo=UTC),
                observed_generation=1,
            )
        ],
        root_cause=RootCauseStatus(cause="MemoryLimitTooLow", confidence=0.87, evidence=["T1"]),
    )
    body = {"status": status.model_dump(mode="json", exclude_none=True)}
    patch = ("--subresource=status", "--type=merge", "-p", json.dumps(body))
    crds.kubectl("patch", "incident", "checkout-oom", "-n", ns, *patch)
    deadline = time.monotonic() + 10
    while True:
        table = crds.kubectl("get", "inc", "-n", ns).stdout.splitlines()
        if "MemoryLimitTooLow" in table[-1] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert table[0].split() == ["NAME", "SEVERITY", "POOL", "ROOTCAUSE", "CONFIDENCE", "AGE"]
    assert table[1].split()[:5] == ["checkout-oom", "High", "linear", "MemoryLimitTooLow", "0.87"]
    # The status round-trips through the server into the model unchanged.
    stored = json.loads(
        crds.kubectl("get", "incident", "checkout-oom", "-n", ns, "-o", "json").stdout
    )
    assert IncidentStatus.model_validate(stored["status"]) == status


def test_category_lists_every_kind(crds: EnvTest, envtest_namespace: str) -> None:
    ns = envtest_namespace
    for sample in ("agentpools/linear.yaml", "incident.yaml", "remediation.yaml"):
        assert _apply(crds, ns, _load(sample)).returncode == 0
    names = crds.kubectl("get", "logswarm", "-n", ns, "-o", "name").stdout.split()
    assert sorted(names) == [
        "agentpool.logswarm.io/linear",
        "incident.logswarm.io/checkout-oom",
        "remediation.logswarm.io/checkout-oom-memory",
    ]


def test_pool_and_remediation_tables_have_their_columns(
    crds: EnvTest, envtest_namespace: str
) -> None:
    ns = envtest_namespace
    for sample in ("agentpools/rag.yaml", "remediation.yaml"):
        assert _apply(crds, ns, _load(sample)).returncode == 0
    pools = crds.kubectl("get", "ap", "-n", ns).stdout.splitlines()
    assert pools[0].split() == ["NAME", "TOPOLOGY", "REGION", "READY", "AGE"]
    assert pools[1].split()[:3] == ["rag", "rag", "us-east-1"]
    remediations = crds.kubectl("get", "rem", "-n", ns).stdout.splitlines()
    assert remediations[0].split() == ["NAME", "INCIDENT", "PHASE", "APPROVED", "RISK", "AGE"]
    assert remediations[1].split()[:2] == ["checkout-oom-memory", "checkout-oom"]
    assert "Medium" in remediations[1].split()
