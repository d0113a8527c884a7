"""The real ClusterReader against a real kube-apiserver (envtest tier)."""

from __future__ import annotations

from typing import Any

import pytest

from logswarm.agents.tools import Toolbox
from logswarm.agents.tools.kube_reader import KubernetesClusterReader

pytestmark = pytest.mark.envtest


def _deployment(ns: str) -> dict[str, Any]:
    labels = {"app": "payments"}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "payments", "namespace": ns},
        "spec": {
            "replicas": 1, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "app", "image": "payments:2.4.0"}]}},
        },
    }  # fmt: skip


def _replicaset(ns: str, owner_uid: str, revision: int, image: str) -> dict[str, Any]:
    labels = {"app": "payments", "rev": str(revision)}
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": f"payments-{revision}", "namespace": ns,
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "payments", "uid": owner_uid}],
        },
        "spec": {
            "replicas": 0, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }  # fmt: skip


def test_reader_gets_objects_events_history_and_configmaps(
    envtest: Any, envtest_namespace: str
) -> None:
    ns = envtest_namespace
    created = envtest.request(
        "POST", f"/apis/apps/v1/namespaces/{ns}/deployments", body=_deployment(ns)
    )
    uid = created["metadata"]["uid"]
    for rev, image in ((13, "payments:2.3.9"), (14, "payments:2.4.0")):
        envtest.request(
            "POST",
            f"/apis/apps/v1/namespaces/{ns}/replicasets",
            body=_replicaset(ns, uid, rev, image),
        )
    envtest.request(
        "POST", f"/api/v1/namespaces/{ns}/configmaps",
        body={"metadata": {"name": "payments-config"}, "data": {"POOL_SIZE": "5"}},
    )  # fmt: skip
    envtest.request(
        "POST", f"/api/v1/namespaces/{ns}/events",
        body={
            "metadata": {"name": "payments.1"}, "reason": "ScalingReplicaSet", "message": "Scaled up",
            "involvedObject": {"kind": "Deployment", "name": "payments", "namespace": ns},
            "lastTimestamp": "2026-03-01T12:00:30Z", "type": "Normal",
        },
    )  # fmt: skip
    box = Toolbox(cluster=KubernetesClusterReader(api_client=envtest.api_client()))
    obj = box.get_object(kind="Deployment", namespace=ns, name="payments")
    assert obj.ok, obj.error
    assert obj.value is not None
    assert obj.value.object["metadata"]["uid"] == uid
    assert [e["reason"] for e in obj.value.events] == ["ScalingReplicaSet"]
    history = box.deployment_history(namespace=ns, name="payments")
    assert history.value is not None
    assert [(r.revision, r.images) for r in history.value] == [
        (14, ["payments:2.4.0"]),
        (13, ["payments:2.3.9"]),
    ]
    cm = box.get_configmap(namespace=ns, name="payments-config")
    assert cm.value is not None
    assert cm.value.data == {"POOL_SIZE": "5"}
    missing = box.get_object(kind="Pod", namespace=ns, name="ghost")
    assert not missing.ok
    assert missing.error_type == "ObjectNotFoundError"
    unsupported = box.get_object(kind="Gizmo", namespace=ns, name="x")
    assert not unsupported.ok
    assert unsupported.error_type == "ValueError"
