"""The real datasets (skipped when the shared datasets folder is absent)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from logswarm.datasets.nezha import load_nezha_day, nezha_dir
from logswarm.datasets.stratus import load_stratus, stratus_dir
from logswarm.rca.ranker import Gates, RankerConfig, rank_pods, rank_single_signal, slice_window
from logswarm.rca.tactics import classify_events


def test_nezha_day_loads_and_ranks(datasets: Path) -> None:
    day = load_nezha_day(nezha_dir(datasets))
    assert len(day.faults) == 28
    assert Counter(f.fault_type for f in day.faults) == {
        "return": 11,
        "exception": 13,
        "cpu_contention": 4,
    }
    assert len(day.metrics) == 46
    assert len(day.logs) > 150_000
    assert len(day.spans) > 300_000
    assert day.normal_logs
    assert day.normal_spans
    # every fault has evidence on both sides of its (UTC) inject time
    for f in day.faults:
        w = slice_window(
            day.logs, day.spans, f.inject_ns, metrics=day.metrics, config=RankerConfig(lead_s=0.0)
        )
        assert w.pre_logs
        assert w.post_logs
        assert w.post_spans
    # a CPU contention fault: the resource signal alone puts the injected pod first
    cpu = next(f for f in day.faults if f.fault_type == "cpu_contention")
    w = slice_window(
        day.logs,
        day.spans,
        cpu.inject_ns,
        metrics=day.metrics,
        normal_logs=day.normal_logs,
        normal_spans=day.normal_spans,
    )
    assert rank_single_signal(w, "resource_z").pods[0] == cpu.pod
    ranking = rank_pods(w, Gates())
    assert cpu.pod in ranking.pods


def test_stratus_ingested_and_classified(datasets: Path) -> None:
    techniques = load_stratus(stratus_dir(datasets))
    assert len(techniques) == 35
    assert sum(len(t.events) for t in techniques) == 310
    assert all(t.dead_letters == 0 and t.tactics for t in techniques)
    right = sum(classify_events(t.events)[0] in t.tactics for t in techniques)
    assert right / len(techniques) >= 0.85
