"""The rendered chart against a real API server: it applies, installs, and its RBAC is least privilege."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from logswarm.operator.agentpool import operator_rules, role_rules
from tests.support.envtest import EnvTest

pytestmark = pytest.mark.envtest

CHART = Path(__file__).resolve().parents[2] / "charts" / "logswarm"


@pytest.mark.parametrize(
    "values", ["values.yaml", "values-eu-west-1.yaml", "values-us-east-1.yaml"]
)
def test_rendered_chart_passes_server_side_dry_run(
    envtest: EnvTest, envtest_namespace: str, values: str
) -> None:
    rendered = envtest.helm(
        "template", "logswarm", str(CHART), "-n", envtest_namespace, "-f", str(CHART / values)
    ).stdout
    result = envtest.kubectl(
        "apply", "--dry-run=server", "-n", envtest_namespace, "-f", "-", input=rendered, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "deployment.apps/logswarm created (server dry run)" in result.stdout
    assert "customresourcedefinition.apiextensions.k8s.io/incidents.logswarm.io" in result.stdout


def test_helm_install_grants_the_operator_what_it_runs_and_grants_and_no_more(
    envtest: EnvTest, envtest_namespace: str
) -> None:
    release = f"ls-{uuid.uuid4().hex[:6]}"
    # The CRDs come from crds/ (kubectl may have installed them earlier in the session, and
    # Helm refuses to adopt objects it did not create), so the release leaves them alone.
    envtest.kubectl(
        "apply", "--server-side", "--force-conflicts", "-f", str(CHART.parents[1] / "crds")
    )
    envtest.helm(
        "install", release, str(CHART), "-n", envtest_namespace, "--set", "crds.enabled=false"
    )
    account = f"system:serviceaccount:{envtest_namespace}:{release}-logswarm"

    def can(*args: str) -> bool:
        result = envtest.kubectl("auth", "can-i", "--as", account, *args, check=False)
        return result.stdout.strip() == "yes"

    # Reconciling.
    assert can("create", "deployments.apps", "-n", "shop")
    assert can("patch", "remediations.logswarm.io", "--subresource=status", "-n", "shop")
    assert can("create", "roles.rbac.authorization.k8s.io", "-n", "shop")
    # Every right the code needs, one by one, as the API server's authorizer sees it.
    for rule in operator_rules():
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                name, _, sub = resource.partition("/")
                what = f"{name}.{group}" if group else name
                for verb in rule["verbs"]:
                    args = [verb, what, *([f"--subresource={sub}"] if sub else [])]
                    if resource != "nodes":
                        args += ["-n", "shop"]
                    assert can(*args), f"operator cannot {' '.join(args)}"
    # Least privilege still: no secrets, no escalation, nothing cluster-wide beyond nodes.
    assert not can("get", "secrets", "-n", "shop")
    assert not can("bind", "clusterroles/cluster-admin")
    assert not can("escalate", "roles.rbac.authorization.k8s.io", "-n", "shop")
    assert not can("delete", "nodes")
    assert not can("create", "clusterroles.rbac.authorization.k8s.io")

    # Escalation prevention: the operator can create exactly the Roles a pool needs, because
    # it holds what they grant (the API server checks this on create, not can-i).
    for agent_role in ("planner", "executor"):
        role = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": f"probe-{agent_role}", "namespace": envtest_namespace},
            "rules": role_rules(agent_role),
        }
        created = envtest.kubectl(
            "create", "--as", account, "-f", "-", input=json.dumps(role), check=False
        )
        assert created.returncode == 0, created.stderr
    # ...but not one granting a right it lacks.
    secret_reader = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "probe-secrets", "namespace": envtest_namespace},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
    }
    refused = envtest.kubectl(
        "create", "--as", account, "-f", "-", input=json.dumps(secret_reader), check=False
    )
    assert refused.returncode != 0
    assert "attempting to grant RBAC permissions not currently held" in refused.stderr
    status = envtest.helm("status", release, "-n", envtest_namespace).stdout
    assert "STATUS: deployed" in status
