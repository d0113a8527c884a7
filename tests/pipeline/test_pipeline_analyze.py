"""The analysis job end to end on generated JSON-line logs with a known injected incident."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from logswarm.incidents import EntityKind
from logswarm.ingest import InMemoryDeadLetters
from logswarm.pipeline.analyze import AnalysisConfig, analyze
from logswarm.report.model import AnalysisReport, GroundTruthIncident

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SERVICES = ("checkout", "payments", "catalog")
FAULT_START, FAULT_MINUTES = 70, 3


def _write_logs(path: Path, *, seed: int = 3) -> set[int]:
    """Two hours of three services' INFO traffic, plus an OOM storm in one checkout pod.

    Returns the (1-based) line numbers of the injected lines.
    """
    rng = random.Random(seed)
    lines: list[tuple[datetime, dict[str, object], bool]] = []
    for minute in range(120):
        for service in SERVICES:
            for _ in range(rng.randint(18, 24)):
                t = T0 + timedelta(minutes=minute, seconds=rng.uniform(0, 59.9))
                pod = f"{service}-7d9f8b6c4-{rng.choice('abcdef')}x2k9"
                msg = rng.choice(
                    [
                        f"GET /api/{service}/{rng.randint(1, 999)} 200 in {rng.randint(3, 90)}ms",
                        f"cache hit ratio {rng.random():.2f} for {service}",
                        f"processed order {rng.randint(10_000, 99_999)} in {rng.randint(5, 40)}ms",
                    ]
                )
                lines.append(
                    (t, {"level": "info", "msg": msg, "service": service, "pod": pod}, False)
                )
        if FAULT_START <= minute < FAULT_START + FAULT_MINUTES:
            for k in range(25):
                t = T0 + timedelta(minutes=minute, seconds=k * 2.1)
                lines.append(
                    (
                        t,
                        {
                            "level": "error",
                            "msg": f"container checkout OOMKilled: memory limit 512Mi exceeded (rss {700 + k}Mi)",
                            "service": "checkout",
                            "pod": "checkout-7d9f8b6c4-oomx1",
                        },
                        True,
                    )
                )
    lines.sort(key=lambda item: item[0])
    injected: set[int] = set()
    with path.open("w", encoding="utf-8") as fh:
        for n, (t, doc, bad) in enumerate(lines, start=1):
            fh.write(json.dumps({"time": t.isoformat(), **doc}) + "\n")
            if bad:
                injected.add(n)
    return injected


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[AnalysisReport, InMemoryDeadLetters, Path]:
    folder = tmp_path_factory.mktemp("logs")
    logs = folder / "app.jsonl"
    injected = _write_logs(logs)
    with logs.open("a", encoding="utf-8") as fh:
        fh.write('{"time": "2026-03-01T01:00:00Z", "level": "info", "msg": "truncated\n')
    labels = {(str(logs.resolve()), n) for n in injected}
    truth = [
        GroundTruthIncident(
            id="gt-1",
            kind="oom",
            root_cause="oom:deployment/checkout",
            start=T0 + timedelta(minutes=FAULT_START),
            end=T0 + timedelta(minutes=FAULT_START + FAULT_MINUTES),
            entities=["checkout-7d9f8b6c4-oomx1"],
            remediation="patch_resources",
        )
    ]
    dead = InMemoryDeadLetters()
    report = analyze(
        [logs], dead_letters=dead, labels=labels, ground_truth=truth, config=AnalysisConfig()
    )
    return report, dead, logs


def test_the_injected_incident_is_found_with_its_evidence(
    run: tuple[AnalysisReport, InMemoryDeadLetters, Path],
) -> None:
    report, _, logs = run
    oom = [
        i for i in report.incidents if "checkout-7d9f8b6c4-oomx1" in i.entity_values(EntityKind.POD)
    ]
    assert oom, f"no incident names the OOM pod; got {[i.title for i in report.incidents]}"
    inc = oom[0]
    assert any("OOMKilled" in t.template for t in inc.templates)
    assert inc.templates[0].baseline_rate == 0.0  # never seen in normal windows
    assert all(s.file == str(logs) and s.line > 0 for s in inc.samples)
    assert any("OOMKilled" in s.message for s in inc.samples)
    assert len(inc.detectors_agreed) >= AnalysisConfig().min_agree
    assert inc.window.start >= T0 + timedelta(minutes=FAULT_START - 1)
    assert inc.window.end <= T0 + timedelta(minutes=FAULT_START + FAULT_MINUTES + 1)


def test_metrics_are_computed_against_labels(
    run: tuple[AnalysisReport, InMemoryDeadLetters, Path],
) -> None:
    report, _, _ = run
    m = report.metrics
    assert m is not None
    assert m.unit == "window"
    assert m.tp == FAULT_MINUTES  # every faulty checkout minute flagged
    assert m.recall == 1.0
    assert m.false_positive_rate < 0.05
    assert m.incidents_expected == 1
    assert m.incidents_detected == 1
    assert m.detection_latency_seconds_max is not None
    assert m.detection_latency_seconds_max <= 60.0
    # Each detector's own verdicts against the same windows, before the consensus.
    assert set(m.by_detector) == {"isolation_forest", "one_class_svm", "lof"}
    windows = m.tp + m.fp + m.fn + m.tn
    for counts in m.by_detector.values():
        assert counts.tp + counts.fp + counts.fn + counts.tn == windows
        assert counts.tp + counts.fn == m.tp + m.fn  # the same labels
    # Every window the pipeline flags was flagged by at least one detector on its own.
    assert m.tp + m.fp <= sum(c.tp + c.fp for c in m.by_detector.values())


def test_malformed_line_is_counted_and_kept(
    run: tuple[AnalysisReport, InMemoryDeadLetters, Path],
) -> None:
    report, dead, logs = run
    assert report.inputs.dead_letters == 1
    assert dead.count == 1
    letter = dead.letters[0]
    assert letter.file == str(logs)
    assert "truncated" in letter.raw
    assert letter.reason


def test_report_round_trips_through_json(
    run: tuple[AnalysisReport, InMemoryDeadLetters, Path],
) -> None:
    report, _, _ = run
    assert AnalysisReport.model_validate_json(report.model_dump_json()) == report


def test_every_evidence_id_is_unique_within_an_incident(
    run: tuple[AnalysisReport, InMemoryDeadLetters, Path],
) -> None:
    report, _, _ = run
    for inc in report.incidents:
        ids = [
            e.id for group in (inc.templates, inc.samples, inc.entities, inc.scores) for e in group
        ]
        assert len(ids) == len(set(ids))


def test_too_little_data_flags_nothing(tmp_path: Path) -> None:
    logs = tmp_path / "tiny.jsonl"
    logs.write_text(
        '{"time": "2026-03-01T00:00:00Z", "level": "error", "msg": "boom"}\n', encoding="utf-8"
    )
    report = analyze([logs], dead_letters=InMemoryDeadLetters())
    assert report.incidents == []
    assert report.metrics is None
