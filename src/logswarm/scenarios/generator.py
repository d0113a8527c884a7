"""The public face of the generator: build a world, inject incidents, write a scored bundle.

A bundle is a directory the analysis can be pointed at and scored against::

    <out_dir>/
      logs/                      the input: analyse this folder, nothing else
        pods/<ns>_<pod>_<uid>/<container>/0.log     CRI container logs
        kubernetes/events.jsonl                             core/v1 Events, one per line
        nodes/<node>/messages                               RFC 5424 syslog
        AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz
        AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/*.log  (v2 default format, header)
      metrics/metrics.csv        timestamp,service,metric,value (one-minute steps)
      ground_truth.json          list of GroundTruthIncident
      labels.jsonl               {"file", "line", "incident"} per anomalous line
      manifest.json              seed, span, scenarios and line counts

Ground truth and labels live outside ``logs/`` on purpose: the logs are the analysis' input and
must not carry their own answers. Label ``file`` paths are relative to ``logs/``.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from logswarm.report.model import GroundTruthIncident
from logswarm.scenarios.background import build_streams, traffic_curve
from logswarm.scenarios.catalogue import CATALOGUE
from logswarm.scenarios.engine import Injection, World
from logswarm.scenarios.formats import NS
from logswarm.scenarios.metrics import write_metrics
from logswarm.scenarios.topology import build_topology

__all__ = [
    "BASE_TIME",
    "DEMO_SCENARIOS",
    "GeneratedBundle",
    "generate",
    "generate_demo",
    "generate_lines",
    "load_bundle",
    "load_ground_truth",
    "load_line_labels",
]

#: Every bundle starts here unless told otherwise: a fixed date keeps output byte-identical.
BASE_TIME = datetime(2025, 6, 3, 8, 0, tzinfo=UTC)

#: The built-in demo's incidents: operational and security, Kubernetes and AWS, varied shapes.
DEMO_SCENARIOS: tuple[str, ...] = (
    "crashloop_bad_deploy",
    "credential_compromise",
    "oom_killed",
    "port_scan",
    "db_connection_pool_exhaustion",
    "s3_exfiltration",
)

_MANIFEST = "manifest.json"
_LOGS = "logs"


@dataclass(frozen=True, slots=True)
class GeneratedBundle:
    """Where a generated bundle is and what it holds."""

    root: Path
    logs_dir: Path
    #: Line count per file, relative to :attr:`logs_dir` (CloudTrail files: records).
    files: dict[str, int]
    ground_truth: list[GroundTruthIncident]
    ground_truth_path: Path
    labels_path: Path
    metrics_path: Path
    manifest_path: Path
    seed: int
    start: datetime
    end: datetime
    labelled_lines: int

    @property
    def total_lines(self) -> int:
        return sum(self.files.values())


def _dt(t_ns: int) -> datetime:
    secs, frac = divmod(t_ns, NS)
    return datetime.fromtimestamp(secs, tz=UTC).replace(microsecond=frac // 1000)


def _ns(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("start must be timezone-aware (UTC)")
    return int(dt.timestamp()) * NS + dt.microsecond * 1000


def generate(
    scenarios: Sequence[str] | None,
    *,
    out_dir: Path,
    seed: int = 7,
    duration: timedelta = timedelta(hours=2),
    background_rate: float = 6.0,
    start: datetime = BASE_TIME,
) -> GeneratedBundle:
    """Write a bundle with ``scenarios`` injected into ``duration`` of background.

    ``scenarios`` are catalogue names (see :data:`~logswarm.scenarios.CATALOGUE`; repeats are
    allowed); ``None`` or empty means background only, which is what a detector trains on.
    ``background_rate`` is background log lines per second over all sources together.
    """
    t_start = _ns(start)
    total = int(background_rate * duration.total_seconds())
    return _generate(
        list(scenarios or ()),
        out_dir=out_dir,
        seed=seed,
        t_start=t_start,
        t_end=t_start + int(duration.total_seconds() * NS),
        background_lines=total,
        exact_total=None,
    )


def generate_demo(out_dir: Path, *, seed: int = 7) -> GeneratedBundle:
    """The built-in demo: two hours, six varied incidents, ~45k lines; analyses in seconds."""
    t_start = _ns(BASE_TIME)
    return _generate(
        list(DEMO_SCENARIOS),
        out_dir=out_dir,
        seed=seed,
        t_start=t_start,
        t_end=t_start + 2 * 3600 * NS,
        background_lines=42_000,
        exact_total=None,
    )


def generate_lines(
    n: int,
    *,
    out_dir: Path,
    seed: int = 7,
    duration: timedelta = timedelta(hours=6),
) -> GeneratedBundle:
    """Exactly ``n`` lines (CloudTrail records counted as lines), mostly background, four incidents.

    For the end-to-end benchmark: the incident lines are a tiny fraction, as in production.
    """
    t_start = _ns(BASE_TIME)
    kinds = ["crashloop_bad_deploy", "port_scan", "oom_killed", "credential_compromise"]
    return _generate(
        kinds,
        out_dir=out_dir,
        seed=seed,
        t_start=t_start,
        t_end=t_start + int(duration.total_seconds() * NS),
        background_lines=0,
        exact_total=n,
    )


def _prepare(out_dir: Path) -> None:
    if (out_dir / _MANIFEST).exists():
        for name in (_LOGS, "metrics"):
            shutil.rmtree(out_dir / name, ignore_errors=True)
    elif (out_dir / _LOGS).exists():
        raise FileExistsError(
            f"{out_dir / _LOGS} exists and is not a generated bundle; refusing to mix"
        )
    out_dir.mkdir(parents=True, exist_ok=True)


def _generate(
    names: list[str],
    *,
    out_dir: Path,
    seed: int,
    t_start: int,
    t_end: int,
    background_lines: int,
    exact_total: int | None,
) -> GeneratedBundle:
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {sorted(CATALOGUE)}")
    if t_end <= t_start:
        raise ValueError("duration must be positive")
    out_dir = Path(out_dir)
    _prepare(out_dir)
    topo = build_topology(seed)
    world = World(topo, seed=seed, t_start=t_start, t_end=t_end)
    build_streams(world)

    # Incidents after a warm-up (detectors learn normal first), one per slot, never overlapping.
    span = t_end - t_start
    warmup = span // 4
    slot = (span - warmup - span // 20) // max(1, len(names))
    plan: list[tuple[str, str, int, int]] = []
    outcomes: dict[str, tuple[str, list[str]]] = {}
    for i, name in enumerate(names):
        spec = CATALOGUE[name]
        rng = random.Random(f"logswarm-incident:{seed}:{i}:{name}")
        length = min(int(spec.minutes * 60 * NS), slot * 9 // 10)
        slack = max(0, slot - length)
        start = t_start + warmup + i * slot + int(rng.uniform(0.1, 0.5) * slack)
        incident_id = f"gt-{i + 1:02d}-{name}"
        ctx = Injection(world, incident_id=incident_id, start=start, end=start + length, rng=rng)
        outcome = spec.injector(ctx)
        plan.append((incident_id, name, start, start + length))
        entities = list(outcome.entities)
        entities += [e for e in ctx.affected if e not in entities]
        outcomes[incident_id] = (outcome.root_cause, entities)

    items = sum(len(s.items) for s in world.streams.values())
    headers = sum(1 for s in world.streams.values() if s.header is not None)
    if exact_total is not None:
        background_lines = max(0, exact_total - items - headers)
    world.allocate(background_lines)

    minutes = span // (60 * NS) + 2
    traffic = traffic_curve(seed, t_start=t_start, minutes=minutes)
    logs_dir = out_dir / _LOGS
    counts, labels = world.write(logs_dir, traffic)

    truth: list[GroundTruthIncident] = []
    for incident_id, name, start, end in plan:
        first, last = world.span_of.get(incident_id, [start, end])
        root_cause, entities = outcomes[incident_id]
        truth.append(
            GroundTruthIncident(
                id=incident_id,
                kind=name,
                root_cause=root_cause,
                start=_dt(first),
                end=_dt(last),
                entities=entities,
                remediation=CATALOGUE[name].remediation,
            )
        )
    gt_path = out_dir / "ground_truth.json"
    gt_path.write_text(
        json.dumps([g.model_dump(mode="json") for g in truth], indent=2) + "\n", encoding="utf-8"
    )
    labels_path = out_dir / "labels.jsonl"
    with labels_path.open("w", encoding="utf-8", newline="\n") as f:
        for rel, line, inc in sorted(labels):
            f.write(json.dumps({"file": rel, "line": line, "incident": inc}) + "\n")
    metrics_path = out_dir / "metrics" / "metrics.csv"
    write_metrics(
        metrics_path,
        topo,
        traffic=traffic,
        t_start=t_start,
        t_end=t_end,
        effects=world.metric_effects,
        seed=seed,
    )
    manifest = {
        "generator": "logswarm.scenarios",
        "format_version": 1,
        "seed": seed,
        "start": _dt(t_start).isoformat(),
        "end": _dt(t_end).isoformat(),
        "scenarios": names,
        "logs_dir": _LOGS,
        "total_lines": sum(counts.values()),
        "labelled_lines": len(labels),
        "files": counts,
    }
    manifest_path = out_dir / _MANIFEST
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return GeneratedBundle(
        root=out_dir,
        logs_dir=logs_dir,
        files=counts,
        ground_truth=truth,
        ground_truth_path=gt_path,
        labels_path=labels_path,
        metrics_path=metrics_path,
        manifest_path=manifest_path,
        seed=seed,
        start=_dt(t_start),
        end=_dt(t_end),
        labelled_lines=len(labels),
    )


def load_ground_truth(directory: Path) -> list[GroundTruthIncident]:
    """The injected incidents of the bundle at ``directory``."""
    raw = json.loads((Path(directory) / "ground_truth.json").read_text(encoding="utf-8"))
    return [GroundTruthIncident.model_validate(item) for item in raw]


def load_line_labels(directory: Path) -> set[tuple[str, int]]:
    """``(file relative to logs/, 1-based line)`` of every anomalous line (record for CloudTrail)."""
    out: set[tuple[str, int]] = set()
    with (Path(directory) / "labels.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                doc = json.loads(line)
                out.add((str(doc["file"]), int(doc["line"])))
    return out


def load_bundle(directory: Path) -> GeneratedBundle:
    """Re-open a bundle written earlier (by its manifest)."""
    root = Path(directory)
    manifest = json.loads((root / _MANIFEST).read_text(encoding="utf-8"))
    return GeneratedBundle(
        root=root,
        logs_dir=root / manifest["logs_dir"],
        files=dict(manifest["files"]),
        ground_truth=load_ground_truth(root),
        ground_truth_path=root / "ground_truth.json",
        labels_path=root / "labels.jsonl",
        metrics_path=root / "metrics" / "metrics.csv",
        manifest_path=root / _MANIFEST,
        seed=int(manifest["seed"]),
        start=datetime.fromisoformat(manifest["start"]),
        end=datetime.fromisoformat(manifest["end"]),
        labelled_lines=int(manifest["labelled_lines"]),
    )
