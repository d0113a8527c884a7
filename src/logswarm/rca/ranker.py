"""Multi-signal root-cause ranking of pods around a fault time, and its single-signal baselines.

Why a fixed rule: the only labelled data here is one TrainTicket day with 28 faults, far too few
to fit weights without fitting the answers. The combination has no fitted weight and is the same
for every fault (the fault type is never an input):

1. every signal gives a non-negative score per pod (:mod:`logswarm.rca.signals`);
2. a signal votes in a window only when its window statistic (anomalous traces per minute,
   traces missing a pod's expected statements per minute, largest self-time p90 change, largest
   resource z-score) exceeds its gate, the 90th percentile of the same statistic over fault-free
   evidence (:func:`calibrate`): each may fire spuriously in about one normal window in ten;
   when no signal passes its gate, all vote (there is always *some* ranking);
3. a voting signal is divided by its maximum over pods, so each contributes at most 1;
4. the pod score is the unweighted sum of the votes; ties keep the alphabetical pod order.

Windows: evidence from ``pre_s`` seconds before to ``post_s`` seconds after the fault time.
Everything from ``lead_s`` before the fault time on is scored (the default, ``lead_s = pre_s``,
scores the whole window: in this data a fault's effect is often visible up to a minute before
the recorded injection time), against normal behaviour = the fault-free phase (plus any part of
the window before ``t0 - lead_s``). Normal-phase pods are matched to the window's pods by
workload name (:func:`workload`), since pods are recreated between phases.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from logswarm.datasets.nezha import LogLine, PodMetrics, Span
from logswarm.rca.signals import (
    Key,
    callers_of,
    calling_operations,
    deepest,
    error_increase,
    latency_change,
    mine_invariants,
    ochiai_blame,
    resource_zscores,
    trace_views,
    unusual_error_templates,
    violations,
)

__all__ = [
    "BASELINES",
    "SIGNALS",
    "Gates",
    "RankerConfig",
    "Ranking",
    "Window",
    "align_pods",
    "calibrate",
    "combine",
    "gates_at",
    "null_statistics",
    "null_window",
    "rank_pods",
    "rank_single_signal",
    "signal_scores",
    "slice_window",
    "workload",
]

_NS = 1_000_000_000
SIGNALS = ("trace_blame", "missing_lines", "latency", "resources")
BASELINES = ("error_lines", "resource_z", "span_p90")


@dataclass(frozen=True, slots=True)
class RankerConfig:
    """The fixed knobs (chosen before evaluation; see the module docstring)."""

    pre_s: float = 90.0
    post_s: float = 150.0
    #: Evidence from this many seconds before the fault time is scored as possibly faulty.
    lead_s: float = 90.0
    #: Signals that vote without a gate.
    always_on: tuple[str, ...] = ()
    invariant_support: int = 5
    invariant_confidence: float = 0.99
    min_spans: int = 20
    #: Missing statements of a pod absent from the trace blame its nearest present caller
    #: (:func:`logswarm.rca.signals.violations`); False restores per-statement blame (ablation).
    absent_to_caller: bool = True


@dataclass(frozen=True, slots=True)
class Gates:
    """Per-signal thresholds on the window statistic (see :func:`signal_scores`).

    The defaults are a-priori guesses used when no calibration is available; :func:`calibrate`
    replaces them with a quantile of each statistic over fault-free (null) windows.
    """

    trace_blame: float = 1.0
    missing_lines: float = 1.0
    latency: float = 1.0
    resources: float = 3.0

    def threshold(self, name: str) -> float:
        return float(getattr(self, name))


@dataclass(slots=True)
class Window:
    """The evidence the ranker may use for one fault time."""

    t0_ns: int
    pre_logs: list[LogLine]
    post_logs: list[LogLine]
    pre_spans: list[Span]
    post_spans: list[Span]
    normal_logs: Sequence[LogLine]
    normal_spans: Sequence[Span]
    metrics: dict[str, PodMetrics]


@dataclass(slots=True)
class Ranking:
    """Pods best first, with each signal's per-pod vote (for explanation)."""

    pods: list[str]
    scores: dict[str, float]
    votes: dict[str, dict[str, float]] = field(default_factory=dict)
    active: dict[str, bool] = field(default_factory=dict)

    def position(self, pod: str) -> int | None:
        """1-based rank of ``pod`` (None when it was not ranked at all)."""
        try:
            return self.pods.index(pod) + 1
        except ValueError:
            return None


def null_window(w: Window) -> Window:
    """The pre-fault part of ``w`` split in two, as a window of its own.

    Its first half plays "pre" and its second half "post", with the same normal phase, so the
    statistics it yields are computed exactly as for a real window but over time in which nothing
    was injected: samples of the null distribution.
    """
    if w.pre_logs:
        start = w.pre_logs[0].ts_ns
        mid = start + (w.t0_ns - start) // 2
    else:
        mid = w.t0_ns
    return Window(
        mid,
        [x for x in w.pre_logs if x.ts_ns < mid],
        [x for x in w.pre_logs if x.ts_ns >= mid],
        [x for x in w.pre_spans if x.start_ns < mid],
        [x for x in w.pre_spans if x.start_ns >= mid],
        w.normal_logs,
        w.normal_spans,
        {},
    )


def _quantile(values: Sequence[float], q: float) -> float:
    xs = sorted(values)
    if not xs:
        return 0.0
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def null_statistics(
    null_windows: Sequence[Window],
    metrics: dict[str, PodMetrics],
    quiet_times_s: Sequence[int],
    config: RankerConfig | None = None,
) -> dict[str, list[float]]:
    """Each signal's window statistic over fault-free evidence (see :func:`calibrate`)."""
    stats: dict[str, list[float]] = {name: [] for name in SIGNALS}
    for w in null_windows:
        _, st = signal_scores(w, config)
        for name in ("trace_blame", "missing_lines", "latency"):
            stats[name].append(st[name])
    for t in quiet_times_s:
        z = resource_zscores(metrics, t)
        stats["resources"].append(max(z.values(), default=0.0))
    return stats


def gates_at(null_stats: dict[str, list[float]], level: float = 0.9) -> Gates:
    """Gates at the ``level`` quantile of each signal's null statistics."""
    default = Gates()
    return Gates(
        **{
            name: (_quantile(vals, level) if vals else default.threshold(name))
            for name, vals in null_stats.items()
        }
    )


def calibrate(
    null_windows: Sequence[Window],
    metrics: dict[str, PodMetrics],
    quiet_times_s: Sequence[int],
    *,
    level: float = 0.9,
    config: RankerConfig | None = None,
) -> Gates:
    """Gates at the ``level`` quantile of each statistic over fault-free evidence.

    Log, trace and latency statistics come from ``null_windows`` (see :func:`null_window`);
    the resource statistic from ``quiet_times_s``, times known to be far from any fault.
    No fault label is used: only which stretches of time were fault-free.
    """
    return gates_at(null_statistics(null_windows, metrics, quiet_times_s, config), level)


def workload(pod: str) -> str:
    """A pod's workload name: ``ts-order-service-5b67c48447-mv5hb`` → ``ts-order-service``.

    Pods are recreated between phases (the fault-free minutes of the next day run under other
    pod names), so normal behaviour is matched by workload, then renamed to the current pod.
    """
    parts = pod.split("-")
    if len(parts) >= 3 and any(c.isdigit() for c in parts[-2]) and len(parts[-1]) == 5:
        return "-".join(parts[:-2])
    return pod


def align_pods(
    logs: Sequence[LogLine], spans: Sequence[Span], pods: Iterable[str]
) -> tuple[list[LogLine], list[Span]]:
    """Rename the pods of (normal-phase) logs and spans to the pods of the same workload in
    ``pods``; pods of other workloads keep their names."""
    current = {workload(p): p for p in sorted(pods)}

    def to(pod: str) -> str:
        return current.get(workload(pod), pod)

    return (
        [replace(x, pod=to(x.pod)) for x in logs],
        [replace(x, pod=to(x.pod)) for x in spans],
    )


def slice_window(
    logs: Sequence[LogLine],
    spans: Sequence[Span],
    t0_ns: int,
    *,
    metrics: dict[str, PodMetrics],
    normal_logs: Sequence[LogLine] = (),
    normal_spans: Sequence[Span] = (),
    config: RankerConfig | None = None,
) -> Window:
    """Cut time-sorted logs and spans into the pre/post windows around ``t0_ns``."""
    cfg = config or RankerConfig()
    lo = t0_ns - int(cfg.pre_s * _NS)
    hi = t0_ns + int(cfg.post_s * _NS)
    lt = [x.ts_ns for x in logs]
    st = [x.start_ns for x in spans]
    split = t0_ns - int(cfg.lead_s * _NS)
    a, m, b = (bisect.bisect_left(lt, v) for v in (lo, split, hi))
    c, n, d = (bisect.bisect_left(st, v) for v in (lo, split, hi))
    pods = {x.pod for x in logs[a:b]} | {x.pod for x in spans[c:d]} | set(metrics)
    norm_logs, norm_spans = align_pods(normal_logs, normal_spans, pods)
    return Window(
        t0_ns,
        list(logs[a:m]),
        list(logs[m:b]),
        list(spans[c:n]),
        list(spans[n:d]),
        norm_logs,
        norm_spans,
        metrics,
    )


def _extent_s(times: Sequence[int], gap_s: float = 10.0) -> float:
    """Covered seconds of a time series made of separate blocks (gaps over ``gap_s`` skipped)."""
    if not times:
        return 0.0
    xs = sorted(times)
    total = 0
    start = prev = xs[0]
    for t in xs[1:]:
        if t - prev > gap_s * _NS:
            total += prev - start
            start = t
        prev = t
    total += prev - start
    return max(total / _NS, 1.0)


def _normalise(scores: dict[str, float]) -> dict[str, float]:
    top = max(scores.values(), default=0.0)
    if top <= 0:
        return {}
    return {p: max(v, 0.0) / top for p, v in scores.items()}


def _order(scores: dict[str, float], pods: set[str]) -> list[str]:
    return sorted(pods, key=lambda p: (-scores.get(p, 0.0), p))


def _all_pods(w: Window) -> set[str]:
    pods = {x.pod for x in w.post_logs} | {x.pod for x in w.post_spans}
    pods |= {x.pod for x in w.pre_logs} | {x.pod for x in w.pre_spans}
    return pods | set(w.metrics)


def signal_scores(
    w: Window, config: RankerConfig | None = None
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Raw per-pod score of every signal, and each signal's window statistic for its gate.

    Gate statistics: anomalous traces per minute (``trace_blame``), the largest count of traces
    missing a pod's expected statements per minute (``missing_lines``), the largest self-time p90
    log2 ratio (``latency``) and the largest resource robust z-score (``resources``).
    """
    cfg = config or RankerConfig()
    baseline_logs = list(w.normal_logs) + w.pre_logs
    baseline_spans = list(w.normal_spans) + w.pre_spans
    base_s = _extent_s([x.ts_ns for x in w.normal_logs]) + _extent_s([x.ts_ns for x in w.pre_logs])
    post_s = _extent_s([x.ts_ns for x in w.post_logs])
    post_min = max(post_s / 60.0, 1.0 / 60.0)

    normal_views = trace_views(baseline_logs, [])
    invariants = mine_invariants(
        normal_views.values(),
        min_support=cfg.invariant_support,
        min_confidence=cfg.invariant_confidence,
    )
    by_antecedent: dict[Key, list[Key]] = {}
    for inv in invariants:
        by_antecedent.setdefault(inv.antecedent, []).append(inv.consequent)

    unusual = unusual_error_templates(w.post_logs, post_s, baseline_logs, base_s)
    views = trace_views(w.post_logs, w.post_spans)
    callers: dict[str, set[str]] | None = None
    calling_ops: set[tuple[str, str]] = set()
    if cfg.absent_to_caller:
        # who may call whom is structure, not anomaly: every span seen may contribute an edge
        callers = callers_of([*baseline_spans, *w.post_spans])
        calling_ops = calling_operations(
            baseline_spans,
            min_support=cfg.invariant_support,
            min_confidence=cfg.invariant_confidence,
        )
    anomalous: dict[str, set[str]] = {}
    missing: Counter[str] = Counter()
    for tid, view in views.items():
        gone = violations(view, by_antecedent, callers=callers, calling_ops=calling_ops)
        errs = {pod for pod, tpl in view.error_lines if (pod, tpl) in unusual}
        if gone or errs:
            root = deepest(view, gone | errs)
            anomalous[tid] = root
            missing.update(gone & root)
    blame, failed = ochiai_blame(views.values(), anomalous)
    latency = latency_change(w.post_spans, baseline_spans, self_time=True, min_spans=cfg.min_spans)
    resources = resource_zscores(w.metrics, w.t0_ns // _NS)

    scores = {
        "trace_blame": dict(blame),
        "missing_lines": {p: float(v) for p, v in missing.items()},
        "latency": latency,
        "resources": resources,
    }
    stats = {
        "trace_blame": failed / post_min,
        "missing_lines": max(missing.values(), default=0) / post_min,
        "latency": max(latency.values(), default=0.0),
        "resources": max(resources.values(), default=0.0),
    }
    return scores, stats


def rank_pods(w: Window, gates: Gates | None = None, config: RankerConfig | None = None) -> Ranking:
    """The fixed multi-signal rule of the module docstring."""
    scores, stats = signal_scores(w, config)
    return combine(scores, stats, _all_pods(w), gates, config)


def combine(
    scores: dict[str, dict[str, float]],
    stats: dict[str, float],
    pods: set[str],
    gates: Gates | None = None,
    config: RankerConfig | None = None,
) -> Ranking:
    """Gate, normalise and sum precomputed signal scores (see the module docstring)."""
    gate = gates or Gates()
    cfg = config or RankerConfig()
    total: dict[str, float] = dict.fromkeys(pods, 0.0)
    votes: dict[str, dict[str, float]] = {}
    passed = {name: name in cfg.always_on or stats[name] > gate.threshold(name) for name in SIGNALS}
    fallback = not any(passed.values())
    for name in SIGNALS:
        norm = _normalise(scores[name]) if (passed[name] or fallback) else {}
        votes[name] = norm
        for pod, v in norm.items():
            if pod in total:
                total[pod] += v
    return Ranking(_order(total, pods), total, votes, dict(passed))


def rank_single_signal(w: Window, name: str) -> Ranking:
    """The trivial baselines: one raw signal, no gating, no combination.

    - ``error_lines``: most ERROR lines per pod in the scored part of the window;
    - ``resource_z``: largest CPU/memory robust z-score after the fault time;
    - ``span_p90``: largest increase of a pod's p90 span duration (whole spans, not self time)
      against normal behaviour.
    """
    pods = _all_pods(w)
    if name == "error_lines":
        scores: dict[str, float] = {
            p: float(n)
            for p, n in Counter(x.pod for x in w.post_logs if x.level == "ERROR").items()
        }
    elif name == "resource_z":
        scores = resource_zscores(w.metrics, w.t0_ns // _NS)
    elif name == "span_p90":
        scores = latency_change(w.post_spans, list(w.normal_spans) + w.pre_spans, self_time=False)
    else:
        raise ValueError(f"unknown baseline {name!r}; expected one of {BASELINES}")
    return Ranking(_order(scores, pods), scores)


def unusual_error_counts(w: Window) -> Counter[str]:
    """Unusual error lines per pod (exposed for explanations and tests)."""
    baseline_logs = list(w.normal_logs) + w.pre_logs
    base_s = _extent_s([x.ts_ns for x in w.normal_logs]) + _extent_s([x.ts_ns for x in w.pre_logs])
    post_s = _extent_s([x.ts_ns for x in w.post_logs])
    unusual = unusual_error_templates(w.post_logs, post_s, baseline_logs, base_s)
    return error_increase(w.post_logs, unusual)
