"""The Helm chart: lint, render, documented values, CRDs equal to crds/, least-privilege RBAC."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from logswarm.operator.agentpool import operator_rules, role_rules
from tests.support.envtest import find_tool

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "logswarm"
REGIONS = sorted(p.name for p in CHART.glob("values-*.yaml"))


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(find_tool("helm")), *args], capture_output=True, text=True, check=False, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)}:\n{result.stderr}")
    return result


def render(*args: str) -> list[dict[str, Any]]:
    text = helm("template", "logswarm", str(CHART), "-n", "logswarm-system", *args).stdout
    return [d for d in yaml.safe_load_all(text) if d]


def by_kind(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["kind"] == kind]


@pytest.mark.parametrize("values", ["values.yaml", *REGIONS])
def test_chart_lints_strictly(values: str) -> None:
    result = helm("lint", "--strict", str(CHART), "-f", str(CHART / values))
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_region_examples_exist_and_set_their_region() -> None:
    assert REGIONS == ["values-eu-west-1.yaml", "values-us-east-1.yaml"]
    for name in REGIONS:
        region = name.removeprefix("values-").removesuffix(".yaml")
        (deployment,) = by_kind(render("-f", str(CHART / name)), "Deployment")
        env = {
            e["name"]: e.get("value")
            for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["LOGSWARM_REGION"] == region
        assert env["AWS_REGION"] == region


def test_unknown_values_are_rejected_by_the_schema() -> None:
    result = helm("template", "x", str(CHART), "--set", "operator.replica=2", check=False)
    assert result.returncode != 0
    assert "replica" in result.stderr


def _leaf_keys(values: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in values.items():
        if isinstance(value, dict) and value:
            keys |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.add(prefix + key)
    return keys


def _schema_keys(schema: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, sub in schema.get("properties", {}).items():
        if key == "global":
            continue
        if sub.get("type") == "object" and sub.get("additionalProperties") is False:
            keys |= _schema_keys(sub, f"{prefix}{key}.")
        else:
            keys.add(prefix + key)
    return keys


def test_schema_forbids_unknown_keys_and_covers_every_value() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["additionalProperties"] is False
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    # resources.requests/limits are closed objects in the schema but plain maps in values.
    def fold(keys: set[str]) -> set[str]:
        return {re.sub(r"^operator\.resources\..*", "operator.resources", k) for k in keys}

    assert fold(_leaf_keys(values)) == fold(_schema_keys(schema))


def test_every_value_is_documented_by_a_comment() -> None:
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    for number, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z][\w.-]*):(.*)$", line)
        if not match or match.group(3).strip() == "":
            continue  # a parent mapping, or not a key
        if match.group(1) and re.match(r"^\s+(cpu|memory):", line):
            continue  # inside the documented resources block
        previous = lines[number - 1].strip() if number else ""
        if not previous.startswith("#"):
            undocumented.append(line.strip())
    assert undocumented == []


def test_operator_pod_is_locked_down() -> None:
    (deployment,) = by_kind(render(), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["capabilities"]["drop"] == ["ALL"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"}
    assert container["image"] == "ghcr.io/logswarm/logswarm:0.1.0"


def test_agent_pods_run_the_operators_own_image() -> None:
    (deployment,) = by_kind(render("--set", "image.tag=1.2.3"), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert container["image"] == env["LOGSWARM_AGENT_IMAGE"] == "ghcr.io/logswarm/logswarm:1.2.3"


def _triples(rules: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """Rules as (apiGroup, resource, verb) grants; resourceNames-limited rules grant nothing
    in general and are left out."""
    return {
        (group, resource, verb)
        for rule in rules
        if not rule.get("resourceNames")
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_operator_rbac_has_no_wildcards_and_no_secrets() -> None:
    documents = render()
    roles = {r["metadata"]["name"]: r for r in by_kind(documents, "ClusterRole")}
    assert set(roles) == {"logswarm"}
    for rule in roles["logswarm"]["rules"]:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        assert "secrets" not in rule["resources"]
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])


def test_operator_holds_every_right_it_grants_or_its_executor_uses() -> None:
    """The chart's ClusterRole against the code's list (one source: agentpool.operator_rules).

    Kubernetes refuses a Role with a right its creator lacks, and the operator runs the
    executor itself: a rule missing here breaks pools or remediations only in a cluster.
    """
    (role,) = by_kind(render(), "ClusterRole")
    held = _triples(role["rules"])
    needed = _triples(operator_rules())
    for agent_role in ("planner", "executor", "reviewer"):
        needed |= _triples(role_rules(agent_role))
    assert needed - held == set()
    # And the executor's own pool Role still holds nothing the operator's executor lacks.
    assert _triples(role_rules("executor")) <= held


def test_service_monitor_is_off_by_default_and_selects_the_metrics_service() -> None:
    assert by_kind(render(), "ServiceMonitor") == []
    documents = render("--set", "metrics.serviceMonitor.enabled=true")
    (monitor,) = by_kind(documents, "ServiceMonitor")
    services = [
        s
        for s in by_kind(documents, "Service")
        if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    assert [s["metadata"]["name"] for s in services] == ["logswarm-metrics"]
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "30s"}
    ]
    (deployment,) = by_kind(documents, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LOGSWARM_METRICS_PORT"] == "9090"
    assert {"name": "metrics", "containerPort": 9090} in container["ports"]
    assert "--liveness=http://0.0.0.0:8080/healthz" in container["args"]


def _strip_keep(crd: dict[str, Any]) -> dict[str, Any]:
    annotations = crd["metadata"].pop("annotations", {})
    assert annotations in ({}, {"helm.sh/resource-policy": "keep"})
    return crd


def test_chart_crds_equal_the_repository_crds() -> None:
    rendered = {
        c["metadata"]["name"]: _strip_keep(c) for c in by_kind(render(), "CustomResourceDefinition")
    }
    committed = {}
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        committed[crd["metadata"]["name"]] = crd
    assert rendered == committed
    assert len(rendered) == 3


def test_crd_switches() -> None:
    kept = by_kind(render(), "CustomResourceDefinition")
    assert all(c["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"} for c in kept)
    unkept = by_kind(render("--set", "crds.keep=false"), "CustomResourceDefinition")
    assert len(unkept) == 3
    assert all("annotations" not in c["metadata"] for c in unkept)
    assert by_kind(render("--set", "crds.enabled=false"), "CustomResourceDefinition") == []
