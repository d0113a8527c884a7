"""The rendered chart against a real API server: it applies, installs, and its RBAC is least privilege."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

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


def test_helm_install_grants_the_operator_only_what_it_needs(
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

    assert can("create", "deployments.apps", "-n", "shop")
    assert can("patch", "remediations.logswarm.io", "--subresource=status", "-n", "shop")
    assert can("bind", f"clusterroles/{release}-logswarm-executor")
    assert not can("bind", "clusterroles/cluster-admin")
    assert not can("delete", "pods", "-n", "shop")
    assert not can("patch", "nodes")
    assert not can("get", "secrets", "-n", "shop")
    assert not can("create", "networkpolicies.networking.k8s.io", "-n", "shop")
    status = envtest.helm("status", release, "-n", envtest_namespace).stdout
    assert "STATUS: deployed" in status
