"""Pod logs of an AgentPool's ``logSources.podLogs``, read periodically and de-duplicated.

Following every pod with ``follow=True`` holds one HTTP stream (and, with the synchronous
client, one thread) per container for as long as the pod lives; a pool watching a hundred pods
would hold a hundred. Instead each poll lists the selected pods and reads each container's log
with ``since_seconds`` covering the time since the last poll and ``timestamps=True``, keeping
only lines newer than the newest line already read from that container (the kubelet's
timestamps are nanosecond-precise and increase within a container's log). The first read of a
container goes ``backfill_seconds`` back, so the detector learns what normal looks like.

:class:`PodLogPoller` is pure bookkeeping over a :class:`PodLogReader` (the kubernetes adapter
:class:`KubePodLogReader` in the operator, a fake in tests). A log line is turned into a record
with its pod, namespace and container as structured fields, so the Incident's entities name
the pod; the line's text stays untrusted evidence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from kubernetes.client import ApiClient, CoreV1Api

from logswarm.api.v1alpha1 import PodLogSource
from logswarm.ingest.jsonl import fields_record
from logswarm.ingest.normalise import sniff_severity
from logswarm.records import DeadLetter, LogRecord, Severity, SourceKind

__all__ = [
    "KubePodLogReader",
    "PodLogPoller",
    "PodLogReader",
    "PodRef",
    "PollResult",
    "selector_string",
]


@dataclass(frozen=True, slots=True)
class PodRef:
    namespace: str
    name: str
    containers: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    created: str = ""


class PodLogReader(Protocol):
    def list_pods(self, namespace: str | None, selector: str) -> list[PodRef]:
        """Running pods matching ``selector`` in ``namespace`` (every namespace when None)."""
        ...

    def read(self, pod: PodRef, container: str, *, since_seconds: int) -> str:
        """The container's log since then, each line prefixed by its RFC 3339 timestamp."""
        ...


def selector_string(source: PodLogSource) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(source.selector.match_labels.items()))


def _service(pod: PodRef, container: str) -> str:
    for key in ("app", "app.kubernetes.io/name", "k8s-app"):
        if pod.labels.get(key):
            return pod.labels[key]
    return container


@dataclass(slots=True)
class PollResult:
    records: list[LogRecord] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class PodLogPoller:
    """Which lines of which containers are new since the last poll."""

    def __init__(
        self,
        reader: PodLogReader,
        sources: Sequence[PodLogSource],
        *,
        default_namespace: str,
        poll_seconds: float,
        backfill_seconds: float,
        max_pods: int,
    ) -> None:
        self.reader = reader
        self.sources = list(sources)
        self.default_namespace = default_namespace
        self.poll_seconds = poll_seconds
        self.backfill_seconds = backfill_seconds
        self.max_pods = max_pods
        self._seen: dict[tuple[str, str, str], _Seen] = {}

    def _pods(self, result: PollResult) -> list[PodRef]:
        pods: dict[tuple[str, str], PodRef] = {}
        for source in self.sources:
            selector = selector_string(source)
            namespaces: list[str | None] = list(source.namespaces) or [None]
            for namespace in namespaces:
                try:
                    found = self.reader.list_pods(namespace, selector)
                except Exception as exc:  # one namespace's failure must not stop the others
                    result.errors.append(f"list pods in {namespace or 'all namespaces'}: {exc}")
                    continue
                for pod in found:
                    if source.container:
                        if source.container not in pod.containers:
                            continue
                        pod = replace(pod, containers=(source.container,))
                    pods.setdefault((pod.namespace, pod.name), pod)
        # Newest pods first: after a rollout the new pods are the ones worth reading.
        return sorted(pods.values(), key=lambda p: p.created, reverse=True)[: self.max_pods]

    def poll(self) -> PollResult:
        result = PollResult()
        live: set[tuple[str, str, str]] = set()
        for pod in self._pods(result):
            for container in pod.containers:
                key = (pod.namespace, pod.name, container)
                live.add(key)
                seen = self._seen.get(key)
                since = self.backfill_seconds if seen is None else 2 * self.poll_seconds + 5
                try:
                    text = self.reader.read(pod, container, since_seconds=max(int(since), 1))
                except Exception as exc:
                    result.errors.append(f"read {pod.namespace}/{pod.name}/{container}: {exc}")
                    continue
                self._seen[key] = self._take(text, pod, container, seen, result)
        for gone in set(self._seen) - live:
            del self._seen[gone]  # bounded by the pods that exist
        return result

    def _take(
        self,
        text: str,
        pod: PodRef,
        container: str,
        seen: _Seen | None,
        result: PollResult,
    ) -> _Seen:
        # Lines of one write (a stack trace) share a timestamp: besides the newest timestamp
        # read, remember how many lines carried it, and skip exactly that many next time.
        state = seen or _Seen()
        newest, same, count = state.newest, state.same, state.lines
        skip = same
        origin = f"pod/{pod.namespace}/{pod.name}/{container}"
        for raw in text.splitlines():
            stamp, _, content = raw.partition(" ")
            key = _nanos(stamp)
            if key is None:
                count += 1
                result.dead_letters.append(
                    DeadLetter(
                        raw=raw[:4096], reason="no kubelet timestamp", file=origin, line=count
                    )
                )
                continue
            if key < state.newest:
                continue  # read in an earlier poll
            if key == state.newest and skip > 0:
                skip -= 1
                continue
            if key == newest:
                same += 1
            else:
                newest, same = key, 1
            count += 1
            ts = datetime.fromtimestamp(key // 1_000_000_000, tz=UTC).replace(
                microsecond=(key % 1_000_000_000) // 1000
            )
            if content.strip():
                result.records.append(_record(content, ts, pod, container, origin, count))
        return _Seen(newest=newest, same=same, lines=count)


@dataclass(frozen=True, slots=True)
class _Seen:
    newest: int = -1
    """Nanoseconds since the epoch of the newest line read (-1: nothing yet)."""
    same: int = 0
    """Lines read that carry exactly ``newest``."""
    lines: int = 0


def _nanos(stamp: str) -> int | None:
    """A kubelet RFC 3339 timestamp (``...T06:00:00.123456789Z``) in integer nanoseconds."""
    if not stamp.endswith("Z") or "T" not in stamp:
        return None
    base, _, fraction = stamp[:-1].partition(".")
    if fraction and not (fraction.isdigit() and len(fraction) <= 9):
        return None
    try:
        whole = datetime.fromisoformat(base).replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(whole.timestamp()) * 1_000_000_000 + int(fraction.ljust(9, "0") or 0)


def _record(
    content: str, ts: datetime, pod: PodRef, container: str, origin: str, line: int
) -> LogRecord:
    kube = {"pod_name": pod.name, "namespace_name": pod.namespace, "container_name": container}
    obj: Any = None
    if content.lstrip().startswith("{"):
        try:
            obj = json.loads(content)
        except json.JSONDecodeError:
            obj = None
    if isinstance(obj, dict):
        record = fields_record(
            {**obj, "kubernetes": kube},
            content,
            source=SourceKind.CONTAINER,
            origin=origin,
            line=line,
        )
        record.timestamp = record.timestamp or ts
    else:
        record = LogRecord(
            timestamp=ts,
            source=SourceKind.CONTAINER,
            message=content.rstrip(),
            severity=sniff_severity(content) or Severity.INFO,
            fields={"kubernetes": kube},
            file=origin,
            line=line,
        )
    record.service = _service(pod, container)
    return record


class KubePodLogReader:
    """:class:`PodLogReader` over the kubernetes client (``CoreV1Api``)."""

    #: A poll never reads more than this from one container (a crash-looping pod's dump).
    limit_bytes = 1024 * 1024

    def __init__(self, api: ApiClient) -> None:
        self.core = CoreV1Api(api)

    def list_pods(self, namespace: str | None, selector: str) -> list[PodRef]:
        kwargs: dict[str, Any] = {"label_selector": selector, "_preload_content": False}
        kwargs["field_selector"] = "status.phase=Running"
        if namespace is None:
            response = self.core.list_pod_for_all_namespaces(**kwargs)
        else:
            response = self.core.list_namespaced_pod(namespace, **kwargs)
        items = json.loads(response.data).get("items", [])
        pods: list[PodRef] = []
        for item in items:
            meta = item.get("metadata") or {}
            containers = tuple(
                str(c.get("name")) for c in (item.get("spec") or {}).get("containers", [])
            )
            pods.append(
                PodRef(
                    namespace=str(meta.get("namespace", "")),
                    name=str(meta.get("name", "")),
                    containers=containers,
                    labels=dict(meta.get("labels") or {}),
                    created=str(meta.get("creationTimestamp", "")),
                )
            )
        return pods

    def read(self, pod: PodRef, container: str, *, since_seconds: int) -> str:
        response = self.core.read_namespaced_pod_log(
            pod.name,
            pod.namespace,
            container=container,
            since_seconds=since_seconds,
            timestamps=True,
            limit_bytes=self.limit_bytes,
            _preload_content=False,
        )
        data: bytes = response.data
        return data.decode("utf-8", errors="replace")
