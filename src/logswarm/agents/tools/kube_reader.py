"""The real :class:`~logswarm.agents.tools.kube.ClusterReader` over the kubernetes client.

The only module of :mod:`logswarm.agents` that imports ``kubernetes`` (import-linter names it
as the exception); the import is lazy so that importing the tools package stays cheap. The
caller passes an ``ApiClient`` already configured (in-cluster or kubeconfig): reading the
environment is the operator's job, not the library's.
"""

from __future__ import annotations

from typing import Any

from logswarm.agents.tools.kube import ObjectNotFoundError

__all__ = ["KubernetesClusterReader"]

KubeObject = dict[str, Any]

_CORE = {"Pod", "ConfigMap", "Service", "Node", "Namespace", "Event"}
_APPS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}


class KubernetesClusterReader:
    """Read-only access through ``kubernetes.client`` (needs get/list RBAC on what it reads)."""

    def __init__(self, *, api_client: Any) -> None:
        from kubernetes import client  # lazy: heavy import, and only this module may

        self._core = client.CoreV1Api(api_client)
        self._apps = client.AppsV1Api(api_client)
        self._api_client = api_client

    def get(self, *, kind: str, namespace: str, name: str) -> KubeObject:
        from kubernetes.client.exceptions import ApiException

        reader = {
            "Pod": lambda: self._core.read_namespaced_pod(name, namespace),
            "ConfigMap": lambda: self._core.read_namespaced_config_map(name, namespace),
            "Service": lambda: self._core.read_namespaced_service(name, namespace),
            "Node": lambda: self._core.read_node(name),
            "Deployment": lambda: self._apps.read_namespaced_deployment(name, namespace),
            "ReplicaSet": lambda: self._apps.read_namespaced_replica_set(name, namespace),
            "StatefulSet": lambda: self._apps.read_namespaced_stateful_set(name, namespace),
            "DaemonSet": lambda: self._apps.read_namespaced_daemon_set(name, namespace),
        }.get(kind)
        if reader is None:
            raise ValueError(f"unsupported kind {kind!r}; one of {sorted(_CORE | _APPS)}")
        try:
            obj = reader()
        except ApiException as e:
            if e.status == 404:
                raise ObjectNotFoundError(f"{kind} {namespace}/{name} not found") from e
            raise
        result: KubeObject = self._api_client.sanitize_for_serialization(obj)
        result.setdefault("kind", kind)
        return result

    def events_for(self, *, kind: str, namespace: str, name: str) -> list[KubeObject]:
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        events = self._core.list_namespaced_event(namespace, field_selector=selector)
        return [self._api_client.sanitize_for_serialization(e) for e in events.items]

    def replicasets_of(self, *, namespace: str, deployment: str) -> list[KubeObject]:
        listing = self._apps.list_namespaced_replica_set(namespace)
        owned = [
            rs
            for rs in listing.items
            if any(
                ref.kind == "Deployment" and ref.name == deployment
                for ref in (rs.metadata.owner_references or [])
            )
        ]
        return [self._api_client.sanitize_for_serialization(rs) for rs in owned]
