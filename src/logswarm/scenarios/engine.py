"""The generator's machinery: output streams, the injection context scenarios write through, and
the writer that merges background with incidents into real files plus their line labels.

Why streams: every output file is one :class:`Stream` that knows its time span, how much sampled
background it carries and which scripted items (incident lines, cron jobs, logins) go into it.
Background is *sampled lazily at write time* from a shared traffic curve, one stream at a time,
so a million-line bundle never sits in memory, and the exact number of background lines is
chosen up front (``generate_lines(n)`` writes exactly ``n`` lines).

Labels never enter the logs: the writer records the (file, line) of every item that belongs to an
incident and the caller writes them to ``labels.jsonl``. For CloudTrail files, which hold many
records on one physical line, the "line" of a record is its 1-based index in ``Records``
(the same number ingestion puts into ``fields["recordIndex"]``).
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from logswarm.scenarios import formats as fmt
from logswarm.scenarios.formats import NS
from logswarm.scenarios.topology import Node, Pod, Topology

__all__ = [
    "Injection",
    "MetricEffect",
    "Payload",
    "Renderer",
    "Stream",
    "World",
]

Payload = str | dict[str, Any]
#: Turns sorted background times (ns) into that many payloads, drawing randomness from ``rng``.
Renderer = Callable[[list[int], np.random.Generator], list[Payload]]

CLOUDTRAIL_PERIOD_S = 300
FLOW_PERIOD_S = 600
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(slots=True)
class Stream:
    """One output file: its span, its sampled background and its scripted items."""

    rel_path: str
    kind: str
    t0: int
    t1: int
    #: Share of the background volume per second of span; 0 means no sampled background.
    weight: float = 0.0
    render: Renderer | None = None
    header: str | None = None
    #: (time, sequence, payload, incident id or None for scripted background)
    items: list[tuple[int, int, Payload, str | None]] = field(default_factory=list)
    #: Spans with no sampled background (a crashed or evicted pod says nothing).
    gaps: list[tuple[int, int]] = field(default_factory=list)
    count: int = 0


@dataclass(frozen=True, slots=True)
class MetricEffect:
    """How an incident bends one metric of one service over a span.

    ``op``: ``add`` / ``mul`` apply a constant; ``ramp`` moves linearly from the normal value to
    ``value`` over the span; ``set`` replaces it; ``count`` adds ``value`` once per started
    minute cumulatively (restarts).
    """

    service: str
    metric: str
    start: int
    end: int
    op: str
    value: float


def _stable(*parts: object) -> int:
    return zlib.crc32(":".join(str(p) for p in parts).encode())


class World:
    """All streams of one bundle and the facts scenarios need to reach them."""

    def __init__(self, topo: Topology, *, seed: int, t_start: int, t_end: int) -> None:
        self.topo = topo
        self.seed = seed
        self.t_start = t_start
        self.t_end = t_end
        self.streams: dict[str, Stream] = {}
        self.metric_effects: list[MetricEffect] = []
        self.span_of: dict[str, list[int]] = {}
        self._seq = itertools.count()
        self._pod_stream: dict[str, Stream] = {}
        self._node_stream: dict[str, Stream] = {}
        self._ct: list[Stream] = []
        self._flow: list[Stream] = []
        self._events: Stream | None = None
        self.extra_pods: list[Pod] = []

    # -- stream registry -------------------------------------------------------------------

    def add_stream(self, stream: Stream) -> Stream:
        self.streams[stream.rel_path] = stream
        return stream

    def pod_stream(self, pod: Pod) -> Stream:
        got = self._pod_stream.get(pod.name)
        if got is None:
            got = self.add_stream(Stream(pod.log_path, "container", self.t_start, self.t_end))
            self._pod_stream[pod.name] = got
        return got

    def set_pod_stream(self, pod: Pod, stream: Stream) -> None:
        self._pod_stream[pod.name] = self.add_stream(stream)

    def node_stream(self, node: Node) -> Stream:
        return self._node_stream[node.name]

    def set_node_stream(self, node: Node, stream: Stream) -> None:
        self._node_stream[node.name] = self.add_stream(stream)

    def events_stream(self) -> Stream:
        assert self._events is not None
        return self._events

    def set_events_stream(self, stream: Stream) -> None:
        self._events = self.add_stream(stream)

    def make_periodic(self, kind: str) -> list[Stream]:
        """CloudTrail (5 min) or flow-log (10 min) delivery files covering the whole span."""
        aws = self.topo.aws
        period = CLOUDTRAIL_PERIOD_S if kind == "cloudtrail" else FLOW_PERIOD_S
        out: list[Stream] = []
        t = self.t_start - self.t_start % (period * NS)
        while t < self.t_end:
            stamp = fmt.iso_s(t)
            y, mo, d = stamp[:4], stamp[5:7], stamp[8:10]
            compact = stamp[:16].replace("-", "").replace(":", "") + "Z"
            rnd = random.Random(_stable(self.seed, kind, t))
            suffix = "".join(rnd.choice(_ALNUM) for _ in range(16))
            if kind == "cloudtrail":
                rel = (
                    f"AWSLogs/{aws.account_id}/CloudTrail/{aws.region}/{y}/{mo}/{d}/"
                    f"{aws.account_id}_CloudTrail_{aws.region}_{compact}_{suffix}.json.gz"
                )
                header = None
            else:
                rel = (
                    f"AWSLogs/{aws.account_id}/vpcflowlogs/{aws.region}/{y}/{mo}/{d}/"
                    f"{aws.account_id}_vpcflowlogs_{aws.region}_{aws.flow_log_id}_{compact}_"
                    f"{suffix[:8].lower()}.log"
                )
                header = fmt.FLOW_LOG_HEADER
            stream = Stream(
                rel, kind, max(t, self.t_start), min(t + period * NS, self.t_end), header=header
            )
            out.append(self.add_stream(stream))
            t += period * NS
        if kind == "cloudtrail":
            self._ct = out
        else:
            self._flow = out
        return out

    def _periodic_for(self, streams: list[Stream], t: int) -> Stream:
        for s in streams:
            if s.t0 <= t < s.t1:
                return s
        return streams[-1] if t >= streams[-1].t0 else streams[0]

    def cloudtrail_stream(self, t: int) -> Stream:
        return self._periodic_for(self._ct, t)

    def flow_stream(self, t: int) -> Stream:
        return self._periodic_for(self._flow, t)

    # -- items -----------------------------------------------------------------------------

    def put(self, stream: Stream, t: int, payload: Payload, incident: str | None) -> None:
        t = min(max(t, self.t_start), self.t_end - 1)
        stream.items.append((t, next(self._seq), payload, incident))
        if incident is not None:
            span = self.span_of.setdefault(incident, [t, t])
            span[0] = min(span[0], t)
            span[1] = max(span[1], t)

    # -- writing ---------------------------------------------------------------------------

    def allocate(self, total: int) -> None:
        """Share ``total`` background lines among streams by weight x open time (exactly)."""
        sampled = [s for s in self.streams.values() if s.weight > 0 and s.render is not None]
        mass = [s.weight * _open_seconds(s) for s in sampled]
        whole = sum(mass)
        if whole <= 0 or total <= 0:
            return
        raw = [total * m / whole for m in mass]
        counts = [int(r) for r in raw]
        order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], sampled[i].rel_path))
        for i in order[: total - sum(counts)]:
            counts[i] += 1
        for s, c in zip(sampled, counts, strict=True):
            s.count = c

    def write(
        self, logs_dir: Path, traffic: np.ndarray
    ) -> tuple[dict[str, int], list[tuple[str, int, str]]]:
        """Write every stream; return line counts per file and (file, line, incident) labels."""
        counts: dict[str, int] = {}
        labels: list[tuple[str, int, str]] = []
        for rel in sorted(self.streams):
            stream = self.streams[rel]
            rng = np.random.default_rng([self.seed, _stable(rel)])
            times = _sample_times(stream, traffic, self.t_start, rng)
            background = stream.render(times, rng) if stream.render and times else []
            n, lab = _write_stream(logs_dir / rel, stream, times, background)
            counts[rel] = n
            labels.extend((rel, line, inc) for line, inc in lab)
        return counts, labels


def _open_seconds(s: Stream) -> float:
    gap = sum(max(0, min(b, s.t1) - max(a, s.t0)) for a, b in s.gaps)
    return max(0, s.t1 - s.t0 - gap) / NS


def _sample_times(
    stream: Stream, traffic: np.ndarray, t_start: int, rng: np.random.Generator
) -> list[int]:
    """``stream.count`` sorted times following the shared per-minute traffic curve, skipping gaps."""
    if stream.count <= 0:
        return []
    t0 = (stream.t0 - t_start) / NS
    t1 = (stream.t1 - t_start) / NS
    cuts = {t0, t1}
    cuts.update(float(m) for m in np.arange(np.ceil(t0 / 60) * 60, t1, 60.0))
    gaps = [((a - t_start) / NS, (b - t_start) / NS) for a, b in stream.gaps]
    for a, b in gaps:
        cuts.update(x for x in (a, b) if t0 < x < t1)
    edges = np.array(sorted(cuts))
    lo, hi = edges[:-1], edges[1:]
    mid = (lo + hi) / 2
    idx = np.clip((mid // 60).astype(np.int64), 0, len(traffic) - 1)
    w = traffic[idx] * (hi - lo)
    for a, b in gaps:
        w[(mid > a) & (mid < b)] = 0.0
    cdf = np.concatenate([[0.0], np.cumsum(w)])
    if cdf[-1] <= 0:
        return []
    u = np.sort(rng.random(stream.count)) * cdf[-1]
    k = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, len(w) - 1)
    frac = np.where(w[k] > 0, (u - cdf[k]) / np.where(w[k] > 0, w[k], 1.0), 0.0)
    secs = lo[k] + frac * (hi[k] - lo[k])
    out = np.minimum(np.round(secs * NS).astype(np.int64) + t_start, stream.t1 - 1)
    return [int(x) for x in np.maximum.accumulate(out)]


def _write_stream(
    path: Path, stream: Stream, times: list[int], background: list[Payload]
) -> tuple[int, list[tuple[int, str]]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    items = sorted(stream.items, key=lambda it: (it[0], it[1]))
    merged: list[Payload] = []
    labels: list[tuple[int, str]] = []
    first = 1 if stream.header is None else 2
    if not items:
        merged = background
    else:
        j = 0
        nb = len(background)
        for t, _, payload, inc in items:
            while j < nb and times[j] <= t:
                merged.append(background[j])
                j += 1
            if inc is not None:
                labels.append((first + len(merged), inc))
            merged.append(payload)
        merged.extend(background[j:])
    if stream.kind == "cloudtrail":
        body = json.dumps({"Records": merged}, separators=(",", ":")).encode()
        with (
            path.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
        ):
            gz.write(body)
        return len(merged), labels
    with path.open("w", encoding="utf-8", newline="\n") as f:
        if stream.header is not None:
            f.write(stream.header + "\n")
        if merged:
            f.write("\n".join(merged) + "\n")  # type: ignore[arg-type]
    return len(merged) + (0 if stream.header is None else 1), labels


class Injection:
    """What a scenario's injector writes through: every item it emits is labelled with the incident.

    All times are integer nanoseconds; :meth:`at` turns seconds after the incident's planned
    start into one. Randomness comes only from :attr:`rng`, seeded per incident.
    """

    def __init__(
        self, world: World, *, incident_id: str, start: int, end: int, rng: random.Random
    ) -> None:
        self.world = world
        self.topo = world.topo
        self.aws = world.topo.aws
        self.incident_id: str | None = incident_id
        self.start = start
        self.end = end
        self.rng = rng
        #: Entities touched as symptoms (callers, replacement pods): added to the ground truth.
        self.affected: list[str] = []

    @contextlib.contextmanager
    def unlabelled(self) -> Iterator[None]:
        """Write scripted *background* (a red herring) through the same helpers: no labels."""
        saved = self.incident_id
        self.incident_id = None
        try:
            yield
        finally:
            self.incident_id = saved

    def involve(self, *names: str) -> None:
        """Record entities the incident touched beyond the ones its injector reports."""
        self.affected.extend(n for n in names if n not in self.affected)

    def at(self, seconds: float) -> int:
        return self.start + int(seconds * NS)

    def jitter(self, t: int, spread_s: float) -> int:
        return t + int(self.rng.uniform(0, spread_s) * NS)

    # -- Kubernetes ------------------------------------------------------------------------

    def app(
        self,
        pod: Pod,
        t: int,
        level: str,
        message: str,
        *,
        logger: str | None = None,
        stream: str = "stdout",
        **fields: Any,
    ) -> None:
        """An application line in the pod's own style, CRI-wrapped, into its log file."""
        style = self.topo.deployments[pod.deployment].style
        text = fmt.app_line(
            style, t, level, message, logger=logger or pod.deployment, fields=fields
        )
        self.world.put(
            self.world.pod_stream(pod), t, fmt.cri_line(t, text, stream=stream), self.incident_id
        )

    def raw(self, pod: Pod, t: int, text: str, *, stream: str = "stderr") -> None:
        """A line the app did not format (a panic, a stack trace line)."""
        self.world.put(
            self.world.pod_stream(pod), t, fmt.cri_line(t, text, stream=stream), self.incident_id
        )

    def access(self, pod: Pod, t: int, *, path: str, status: int, rt: float, upstream: str) -> None:
        """An nginx access line on a frontend pod (how callers see a failing backend)."""
        client = f"10.0.{101 + self.rng.randint(0, 2)}.{self.rng.randint(10, 250)}"
        text = fmt.nginx_access(
            t,
            client=client,
            method="POST" if "checkout" in path else "GET",
            path=path,
            status=status,
            size=self.rng.randint(150, 600),
            agent=_BROWSER,
            rt=rt,
            upstream=upstream,
        )
        self.world.put(self.world.pod_stream(pod), t, fmt.cri_line(t, text), self.incident_id)

    def event(
        self,
        t: int,
        *,
        kind: str,
        name: str,
        namespace: str,
        uid: str,
        reason: str,
        message: str,
        type_: str = "Warning",
        component: str = "kubelet",
        host: str | None = None,
        count: int = 1,
        first: int | None = None,
    ) -> None:
        text = fmt.k8s_event(
            t,
            namespace=namespace,
            kind=kind,
            name=name,
            uid=uid,
            reason=reason,
            message=message,
            type_=type_,
            component=component,
            host=host,
            count=count,
            first_ns=first,
        )
        self.world.put(self.world.events_stream(), t, text, self.incident_id)

    def pod_event(
        self,
        t: int,
        pod: Pod,
        reason: str,
        message: str,
        *,
        type_: str = "Warning",
        component: str = "kubelet",
        count: int = 1,
        first: int | None = None,
    ) -> None:
        self.event(
            t,
            kind="Pod",
            name=pod.name,
            namespace=pod.namespace,
            uid=pod.uid,
            reason=reason,
            message=message,
            type_=type_,
            component=component,
            host=pod.node.name,
            count=count,
            first=first,
        )

    def syslog(
        self, node: Node, t: int, app: str, level: str, message: str, *, pid: int = 0
    ) -> None:
        line = fmt.syslog_line(t, node.short, app, pid or _PIDS.get(app, 1), level, message)
        self.world.put(self.world.node_stream(node), t, line, self.incident_id)

    def kubelet(self, node: Node, t: int, level: str, message: str) -> None:
        """A kubelet line in klog format (``I0603 08:00:01.123456    1873 file.go:12] ...``)."""
        letter = {"info": "I", "warn": "W", "error": "E"}[level]
        self.syslog(node, t, "kubelet", level, f"{fmt.klog_prefix(t, letter)}    1873 {message}")

    def silence(self, pod: Pod, start: int, end: int) -> None:
        """The pod writes no background between ``start`` and ``end`` (it is down)."""
        self.world.pod_stream(pod).gaps.append((start, end))

    def new_pod(
        self,
        deployment: str,
        *,
        rs_hash: str | None = None,
        image: str | None = None,
        background_from: int | None = None,
    ) -> Pod:
        """A pod created during the incident; with ``background_from`` it then serves normally."""
        pod = self.topo.new_pod(deployment, rs_hash=rs_hash, image=image)
        self.world.extra_pods.append(pod)
        stream = self.world.pod_stream(pod)
        if background_from is not None:
            template = self.world.pod_stream(self.topo.deployments[deployment].pods[0])
            stream.t0 = background_from
            stream.weight = template.weight
            stream.render = template.render
        return pod

    # -- AWS -------------------------------------------------------------------------------

    def cloudtrail(self, t: int, **kwargs: Any) -> None:
        """A CloudTrail record (see :func:`formats.cloudtrail_record` for the keywords)."""
        event_id = _uuid(self.rng)
        rec = fmt.cloudtrail_record(
            t, event_id=event_id, account=self.aws.account_id, region=self.aws.region, **kwargs
        )
        self.world.put(self.world.cloudtrail_stream(t), t, rec, self.incident_id)

    def flow(
        self,
        t: int,
        *,
        eni: str,
        src: str,
        dst: str,
        sport: int,
        dport: int,
        packets: int,
        size: int,
        action: str = "ACCEPT",
        proto: int = 6,
        seconds: int = 1,
    ) -> None:
        start_s = t // NS
        line = fmt.flow_line(
            account=self.aws.account_id,
            eni=eni,
            src=src,
            dst=dst,
            sport=sport,
            dport=dport,
            proto=proto,
            packets=packets,
            size=size,
            start_s=start_s,
            end_s=start_s + seconds,
            action=action,
        )
        self.world.put(self.world.flow_stream(t), t, line, self.incident_id)

    # -- metrics ---------------------------------------------------------------------------

    def metric(
        self, service: str, metric: str, *, start: int, end: int, op: str, value: float
    ) -> None:
        self.world.metric_effects.append(MetricEffect(service, metric, start, end, op, value))


_BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
_PIDS = {"kubelet": 1873, "containerd": 1402, "systemd": 1, "sshd": 2211}


def _uuid(rng: random.Random) -> str:
    return fmt.uuid_text(f"{rng.getrandbits(128):032x}")
