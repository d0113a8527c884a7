"""Read the cluster: an object with its recent events, a Deployment's history, a ConfigMap.

The RCA agent needs cluster facts a log line only hints at ("was there a rollout just before
the crashes?", "what did the ConfigMap say?"). They come through :class:`ClusterReader`, a
read-only protocol; :class:`InMemoryClusterReader` serves fixed objects for the CLI and tests,
and :mod:`logswarm.agents.tools.kube_reader` wraps the kubernetes client for real clusters
(the only module here allowed to import ``kubernetes``). Payloads are raw Kubernetes JSON
(``TypedDict``-free ``dict`` on purpose: we pass them through, we do not model the API).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from logswarm.agents.tools.base import ToolResult

__all__ = [
    "ClusterReader",
    "ConfigMapView",
    "InMemoryClusterReader",
    "ObjectNotFoundError",
    "ObjectWithEvents",
    "Revision",
    "deployment_history",
    "get_configmap",
    "get_object_with_events",
]

KubeObject = dict[str, Any]


class ObjectNotFoundError(LookupError):
    """The reader has no such object."""


class ClusterReader(Protocol):
    """The read-only cluster access the tools need. Implementations raise
    :class:`ObjectNotFoundError` for a missing object; the tools turn any error into data."""

    def get(self, *, kind: str, namespace: str, name: str) -> KubeObject: ...

    def events_for(self, *, kind: str, namespace: str, name: str) -> list[KubeObject]: ...

    def replicasets_of(self, *, namespace: str, deployment: str) -> list[KubeObject]: ...


class ObjectWithEvents(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object: KubeObject
    events: list[KubeObject] = Field(default_factory=list)


class Revision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int
    replicaset: str
    images: list[str]
    created: str | None = None
    change_cause: str | None = None


class ConfigMapView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    namespace: str
    data: dict[str, str] = Field(default_factory=dict)
    resource_version: str | None = None


def get_object_with_events(
    reader: ClusterReader, *, kind: str, namespace: str, name: str, limit: int = 20
) -> ToolResult[ObjectWithEvents]:
    tool = "get_object"
    try:
        obj = reader.get(kind=kind, namespace=namespace, name=name)
        events = reader.events_for(kind=kind, namespace=namespace, name=name)
    except Exception as e:
        return ToolResult.failure(tool, e)
    events = sorted(events, key=lambda ev: str(ev.get("lastTimestamp") or ""))[-limit:]
    return ToolResult.success(tool, ObjectWithEvents(object=obj, events=events))


def deployment_history(
    reader: ClusterReader, *, namespace: str, name: str
) -> ToolResult[list[Revision]]:
    """Revisions of a Deployment, newest first, from its ReplicaSets' annotations."""
    tool = "deployment_history"
    try:
        replicasets = reader.replicasets_of(namespace=namespace, deployment=name)
    except Exception as e:
        return ToolResult.failure(tool, e)
    revisions: list[Revision] = []
    for rs in replicasets:
        meta = rs.get("metadata", {})
        notes = meta.get("annotations", {}) or {}
        try:
            number = int(notes.get("deployment.kubernetes.io/revision", "0"))
        except ValueError:
            number = 0
        containers = rs.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        revisions.append(
            Revision(
                revision=number,
                replicaset=str(meta.get("name", "")),
                images=[str(c.get("image", "")) for c in containers],
                created=meta.get("creationTimestamp"),
                change_cause=notes.get("kubernetes.io/change-cause"),
            )
        )
    revisions.sort(key=lambda r: r.revision, reverse=True)
    return ToolResult.success(tool, revisions)


def get_configmap(reader: ClusterReader, *, namespace: str, name: str) -> ToolResult[ConfigMapView]:
    tool = "get_configmap"
    try:
        obj = reader.get(kind="ConfigMap", namespace=namespace, name=name)
    except Exception as e:
        return ToolResult.failure(tool, e)
    meta = obj.get("metadata", {})
    return ToolResult.success(
        tool,
        ConfigMapView(
            name=str(meta.get("name", name)),
            namespace=str(meta.get("namespace", namespace)),
            data={str(k): str(v) for k, v in (obj.get("data") or {}).items()},
            resource_version=meta.get("resourceVersion"),
        ),
    )


class InMemoryClusterReader:
    """Objects and events held in memory, keyed by (kind, namespace, name)."""

    def __init__(
        self, objects: Iterable[KubeObject] = (), events: Iterable[KubeObject] = ()
    ) -> None:
        self._objects: dict[tuple[str, str, str], KubeObject] = {}
        for obj in objects:
            meta = obj.get("metadata", {})
            key = (str(obj.get("kind")), str(meta.get("namespace", "default")), str(meta["name"]))
            self._objects[key] = obj
        self._events = list(events)

    def get(self, *, kind: str, namespace: str, name: str) -> KubeObject:
        try:
            return self._objects[(kind, namespace, name)]
        except KeyError:
            raise ObjectNotFoundError(f"{kind} {namespace}/{name} not found") from None

    def events_for(self, *, kind: str, namespace: str, name: str) -> list[KubeObject]:
        return [
            ev
            for ev in self._events
            if _involves(ev.get("involvedObject", {}), kind=kind, namespace=namespace, name=name)
        ]

    def replicasets_of(self, *, namespace: str, deployment: str) -> list[KubeObject]:
        self.get(kind="Deployment", namespace=namespace, name=deployment)
        return [
            obj
            for (kind, ns, _), obj in self._objects.items()
            if kind == "ReplicaSet"
            and ns == namespace
            and any(
                ref.get("kind") == "Deployment" and ref.get("name") == deployment
                for ref in obj.get("metadata", {}).get("ownerReferences", [])
            )
        ]


def _involves(ref: Mapping[str, Any], *, kind: str, namespace: str, name: str) -> bool:
    return (
        ref.get("kind") == kind
        and ref.get("name") == name
        and ref.get("namespace", namespace) == namespace
    )
