"""Per-service metric time series written beside the logs, bent by the injected incidents.

The agents' tools query metrics (latency, error rate, CPU, memory, restarts) to confirm a cause
and, after a remediation, to verify it worked; the reviewer role needs a before/after. So every
bundle carries a one-minute series per service that follows the same traffic curve as the logs
and shows each incident's footprint (:class:`~logswarm.scenarios.engine.MetricEffect`).

The file is long-format CSV (``timestamp,service,metric,value``): any metric a scenario invents
appears without a schema change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from logswarm.scenarios.engine import MetricEffect
from logswarm.scenarios.formats import NS, iso_s
from logswarm.scenarios.topology import Topology

__all__ = ["write_metrics"]

_STEP = 60 * NS

#: Normal level per workload: (cpu millicores at peak, memory MiB, p90 latency ms, requests/s)
_BASE: dict[str, tuple[float, float, float, float]] = {
    "frontend": (180, 96, 45, 60),
    "checkout": (220, 380, 120, 6),
    "cart": (150, 210, 35, 22),
    "payment": (260, 620, 310, 5),
    "catalog": (170, 260, 28, 40),
    "orders-db": (320, 1800, 6, 75),
    "coredns": (60, 40, 2, 90),
}


def write_metrics(
    path: Path,
    topo: Topology,
    *,
    traffic: np.ndarray,
    t_start: int,
    t_end: int,
    effects: list[MetricEffect],
    seed: int,
) -> int:
    """Write the series; return the number of rows."""
    rng = np.random.default_rng([seed, 2])
    n = max(1, (t_end - t_start) // _STEP)
    times = t_start + np.arange(n, dtype=np.int64) * _STEP
    load = traffic[:n]
    series: dict[tuple[str, str], np.ndarray] = {}

    def noise(scale: float) -> np.ndarray:
        out: np.ndarray = rng.normal(1.0, scale, n)
        return out

    for name, (cpu, mem, lat, rps) in _BASE.items():
        series[(name, "cpu_millicores")] = cpu * load * noise(0.06)
        series[(name, "memory_mib")] = mem * (1 + 0.02 * np.sin(np.arange(n) / 7.0)) * noise(0.01)
        series[(name, "latency_p90_ms")] = lat * (0.8 + 0.2 * load) * noise(0.08)
        series[(name, "error_rate")] = np.abs(rng.normal(0.002, 0.001, n))
        series[(name, "requests_per_second")] = rps * load * noise(0.05)
        series[(name, "restarts")] = np.zeros(n)
    series[("payment", "cpu_throttled_percent")] = np.abs(rng.normal(1.0, 0.5, n))
    series[("payment", "db_pool_active")] = np.clip(rng.normal(2.0, 0.8, n), 0, 10)
    for node in topo.nodes:
        key = f"node/{node.name}"
        series[(key, "cpu_percent")] = 35 * load * noise(0.05)
        series[(key, "memory_percent")] = 58 * noise(0.01)
        series[(key, "disk_used_percent")] = 61 + np.arange(n) * 0.01
    for fn in topo.aws.lambdas:
        series[(f"lambda/{fn}", "invocations")] = 120 * load * noise(0.1)
        series[(f"lambda/{fn}", "throttles")] = np.zeros(n)
        series[(f"lambda/{fn}", "concurrent_executions")] = 4 * load * noise(0.1)
    asg = f"asg/{topo.aws.asg}"
    series[(asg, "desired_capacity")] = np.full(n, float(len(topo.nodes)))
    series[(asg, "in_service_instances")] = np.full(n, float(len(topo.nodes)))
    series[(asg, "max_size")] = np.full(n, 6.0)

    for eff in effects:
        values = series.setdefault((eff.service, eff.metric), np.zeros(n))
        span = max(1, eff.end - eff.start)
        inside = (times + _STEP > eff.start) & (times <= eff.end)
        frac = np.clip((times - eff.start) / span, 0.0, 1.0)
        if eff.op == "add":
            values[inside] += eff.value
        elif eff.op == "mul":
            values[inside] *= eff.value
        elif eff.op == "set":
            values[inside] = eff.value
        elif eff.op == "ramp":
            values[inside] += (eff.value - values[inside]) * frac[inside]
        elif eff.op == "count":
            minutes = np.clip((times - eff.start) / _STEP, 0, span / _STEP)
            values += np.floor(minutes * eff.value)
        else:
            raise ValueError(f"unknown metric effect {eff.op!r}")

    path.parent.mkdir(parents=True, exist_ok=True)
    keys = sorted(series)
    rows = 0
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write("timestamp,service,metric,value\n")
        for i in range(n):
            stamp = iso_s(int(times[i]))
            lines = [
                f"{stamp},{svc},{metric},{max(0.0, float(series[(svc, metric)][i])):.3f}"
                for svc, metric in keys
            ]
            f.write("\n".join(lines) + "\n")
            rows += len(lines)
    return rows
