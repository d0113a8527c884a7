"""Scoring the pod ranker on a labelled Nezha day: top-k per fault type, signals and baselines.

The fault labels (pod, type) are used here and only here, after ranking, to score. Inference sees
the fault time alone (the moment an alert would fire), the evidence around it, the fault-free
phase and the metric history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from logswarm.datasets.nezha import NezhaDay
from logswarm.rca.ranker import (
    BASELINES,
    SIGNALS,
    Gates,
    RankerConfig,
    Ranking,
    Window,
    _all_pods,
    _order,
    combine,
    gates_at,
    null_statistics,
    null_window,
    rank_single_signal,
    signal_scores,
    slice_window,
)

__all__ = ["FaultResult", "NezhaEvaluation", "TopK", "evaluate_day", "quiet_times"]

_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class TopK:
    n: int
    top1: float
    top3: float
    top5: float


@dataclass(slots=True)
class FaultResult:
    index: int
    fault_type: str
    pod: str
    ranking: Ranking
    positions: dict[str, int | None] = field(default_factory=dict)


@dataclass(slots=True)
class NezhaEvaluation:
    """Per-fault positions of the true pod for the combined ranker, each signal and baseline."""

    gates: Gates
    faults: list[FaultResult]
    variants: list[str] = field(default_factory=list)

    def methods(self) -> list[str]:
        return ["combined", *SIGNALS, *BASELINES]

    def topk(self, method: str, fault_type: str | None = None) -> TopK:
        pos = [
            f.positions.get(method)
            for f in self.faults
            if fault_type is None or f.fault_type == fault_type
        ]
        n = len(pos)

        def share(k: int) -> float:
            return sum(1 for p in pos if p is not None and p <= k) / n if n else 0.0

        return TopK(n, share(1), share(3), share(5))

    def fault_types(self) -> list[str]:
        seen: dict[str, None] = {}
        for f in self.faults:
            seen.setdefault(f.fault_type, None)
        return list(seen)


def quiet_times(day: NezhaDay, *, margin_s: int = 900, step: int = 3) -> list[int]:
    """Metric sample times at least ``margin_s`` from every fault time (every ``step``-th)."""
    times = sorted({t for pm in day.metrics.values() for t in pm.times})
    starts = [f.inject_ns // _NS for f in day.faults]
    first = times[0] if times else 0
    out = [t for t in times if t - first >= 1800 and all(abs(t - s) >= margin_s for s in starts)]
    return out[::step]


def _position(ranked: Sequence[str], pod: str) -> int | None:
    try:
        return list(ranked).index(pod) + 1
    except ValueError:
        return None


def _null_windows(day: NezhaDay, null_cfg: RankerConfig) -> list[Window]:
    return [
        null_window(
            slice_window(
                day.logs,
                day.spans,
                f.inject_ns,
                metrics={},
                normal_logs=day.normal_logs,
                normal_spans=day.normal_spans,
                config=null_cfg,
            )
        )
        for f in day.faults
    ]


def evaluate_day(
    day: NezhaDay,
    config: RankerConfig | None = None,
    *,
    level: float = 0.9,
    sensitivity_levels: Sequence[float] = (0.8, 0.95),
    ablations: Sequence[tuple[str, RankerConfig]] = (),
) -> NezhaEvaluation:
    """Calibrate gates on fault-free evidence, rank every fault window, score against labels.

    ``sensitivity_levels`` re-rank with the gates at other null quantiles, and one variant with
    the two log signals always voting, to show how much the headline depends on those choices.
    ``ablations`` (label, config) re-run the whole pipeline, gates included, with another config
    (for example a mechanism switched off), so the document can show what it changed.
    """
    cfg = config or RankerConfig()
    null_cfg = replace(cfg, lead_s=0.0)
    quiet = quiet_times(day)
    null_stats = null_statistics(_null_windows(day, null_cfg), day.metrics, quiet, config=null_cfg)
    gates = gates_at(null_stats, level)
    variants: dict[str, tuple[Gates, RankerConfig]] = {
        f"gates at null q{lv:.2f}": (gates_at(null_stats, lv), cfg) for lv in sensitivity_levels
    }
    variants[f"q{level:.2f}, log signals always vote"] = (
        gates,
        replace(cfg, always_on=("trace_blame", "missing_lines")),
    )
    ablated: list[tuple[str, Gates, RankerConfig]] = []
    for label, acfg in ablations:
        anull = replace(acfg, lead_s=0.0)
        astats = null_statistics(_null_windows(day, anull), day.metrics, quiet, config=anull)
        ablated.append((label, gates_at(astats, level), acfg))
    results: list[FaultResult] = []
    for f in day.faults:
        w = slice_window(
            day.logs,
            day.spans,
            f.inject_ns,
            metrics=day.metrics,
            normal_logs=day.normal_logs,
            normal_spans=day.normal_spans,
            config=cfg,
        )
        scores, stats = signal_scores(w, cfg)
        pods = _all_pods(w)
        ranking = combine(scores, stats, pods, gates, cfg)
        res = FaultResult(f.index, f.fault_type, f.pod, ranking)
        res.positions["combined"] = ranking.position(f.pod)
        for name in SIGNALS:
            res.positions[name] = _position(_order(scores[name], pods), f.pod)
        for name in BASELINES:
            res.positions[name] = rank_single_signal(w, name).position(f.pod)
        for label, (g, c) in variants.items():
            res.positions[label] = combine(scores, stats, pods, g, c).position(f.pod)
        for label, agates, acfg in ablated:
            ascores, astat = signal_scores(w, acfg)
            res.positions[label] = combine(ascores, astat, pods, agates, acfg).position(f.pod)
        results.append(res)
    return NezhaEvaluation(gates, results, [*variants, *(label for label, _, _ in ablated)])
