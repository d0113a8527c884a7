"""Built-in resources behave as on a real cluster, minus the controllers envtest does not run."""

from __future__ import annotations

import kubernetes.client
import pytest
from kubernetes.client.exceptions import ApiException

from tests.support.envtest import EnvTest

pytestmark = pytest.mark.envtest


def _deployment(name: str) -> dict[str, object]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "example.invalid/app:1"}]},
            },
        },
    }


def test_deployment_round_trip_with_resource_version(envtest: EnvTest) -> None:
    with envtest.api_client() as api:
        core = kubernetes.client.CoreV1Api(api)
        apps = kubernetes.client.AppsV1Api(api)
        core.create_namespace({"metadata": {"name": "smoke-deployments"}})

        created = apps.create_namespaced_deployment("smoke-deployments", _deployment("web"))
        read = apps.read_namespaced_deployment("web", "smoke-deployments")

        assert read.metadata.uid == created.metadata.uid
        assert read.metadata.resource_version == created.metadata.resource_version
        assert int(read.metadata.resource_version) > 0
        assert read.spec.replicas == 2
        # No controller-manager: nobody creates ReplicaSets or reports replicas.
        assert not read.status.replicas


def test_stale_resource_version_is_a_conflict(envtest: EnvTest, envtest_namespace: str) -> None:
    with envtest.api_client() as api:
        apps = kubernetes.client.AppsV1Api(api)
        created = apps.create_namespaced_deployment(envtest_namespace, _deployment("api"))
        apps.patch_namespaced_deployment("api", envtest_namespace, {"spec": {"replicas": 3}})

        stale = _deployment("api")
        stale["metadata"] = {"name": "api", "resourceVersion": created.metadata.resource_version}
        with pytest.raises(ApiException) as conflict:
            apps.replace_namespaced_deployment("api", envtest_namespace, stale)
    assert conflict.value.status == 409


def test_generate_name_and_server_side_dry_run(envtest: EnvTest, envtest_namespace: str) -> None:
    with envtest.api_client() as api:
        core = kubernetes.client.CoreV1Api(api)
        body = {"metadata": {"generateName": "cfg-"}, "data": {"k": "v"}}
        dry = core.create_namespaced_config_map(envtest_namespace, body, dry_run="All")
        made = core.create_namespaced_config_map(envtest_namespace, body)
        names = [
            cm.metadata.name for cm in core.list_namespaced_config_map(envtest_namespace).items
        ]

    assert made.metadata.name.startswith("cfg-")
    assert dry.metadata.name not in names
    assert names.count(made.metadata.name) == 1
