"""The analysis job's optional deep path: DeepLog votes beside the classical detectors.

Logs here have structure in their *order*: every request is "start", "query", "finished". One
checkout minute runs its requests backwards (same templates, same counts: invisible to window
counts), and one later minute has an OOM storm (new template: every detector sees it).
"""

from __future__ import annotations

import importlib.util
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from logswarm.incidents import EntityKind, Incident
from logswarm.ingest import InMemoryDeadLetters
from logswarm.pipeline.analyze import AnalysisConfig, analyze
from logswarm.report.model import AnalysisReport

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SERVICES = ("checkout", "payments", "catalog")
REVERSED_MINUTE, OOM_MINUTE = 50, 90
OOM_POD = "checkout-7d9f8b6c4-oomx1"


def _write_logs(path: Path, *, seed: int = 5) -> None:
    rng = random.Random(seed)
    lines: list[tuple[datetime, dict[str, object]]] = []
    for minute in range(120):
        for service in SERVICES:
            pod = f"{service}-7d9f8b6c4-{rng.choice('abc')}x2k9"
            for req in range(6):
                n = rng.randint(1000, 9999)
                steps = [
                    f"start request {n} on {service}",
                    f"query table {rng.choice(['orders', 'users'])} took {rng.randint(2, 60)}ms",
                    f"finished request {n} with status 200",
                ]
                if service == "checkout" and minute == REVERSED_MINUTE:
                    steps.reverse()
                for k, msg in enumerate(steps):
                    t = T0 + timedelta(minutes=minute, seconds=req * 9 + k * 2)
                    lines.append((t, {"level": "info", "msg": msg, "service": service, "pod": pod}))
        if minute == OOM_MINUTE:
            for k in range(20):
                msg = f"container checkout OOMKilled: memory limit 512Mi exceeded (rss {700 + k}Mi)"
                t = T0 + timedelta(minutes=minute, seconds=k * 2.5 + 1)
                doc = {"level": "error", "msg": msg, "service": "checkout", "pod": OOM_POD}
                lines.append((t, doc))
    lines.sort(key=lambda item: item[0])
    with path.open("w", encoding="utf-8") as fh:
        for t, doc in lines:
            fh.write(json.dumps({"time": t.isoformat(), **doc}) + "\n")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("deep") / "app.jsonl"
    _write_logs(path)
    return path


def _run(logs: Path, **config: Any) -> AnalysisReport:
    return analyze([logs], dead_letters=InMemoryDeadLetters(), config=AnalysisConfig(**config))


def _covering(report: AnalysisReport, minute: int) -> list[Incident]:
    t = T0 + timedelta(minutes=minute, seconds=30)
    return [i for i in report.incidents if i.window.start <= t <= i.window.end]


def test_without_the_deep_path_no_deeplog_evidence(logs: Path) -> None:
    report = _run(logs)
    assert report.incidents
    for inc in report.incidents:
        assert "deeplog" not in {s.detector for s in inc.scores}


@pytest.mark.deep
def test_deeplog_score_reaches_the_incident_evidence(logs: Path) -> None:
    pytest.importorskip("torch")
    report = _run(logs, deep=True)
    oom = [i for i in report.incidents if OOM_POD in i.entity_values(EntityKind.POD)]
    assert oom, f"no incident names the OOM pod; got {[i.title for i in report.incidents]}"
    scores = {s.detector: s for s in oom[0].scores}
    assert set(scores) >= {"isolation_forest", "one_class_svm", "lof", "deeplog"}
    # A template DeepLog never predicts: it agrees, and says so in the evidence.
    assert scores["deeplog"].flagged
    assert scores["deeplog"].score > 1.0
    assert "deeplog" in oom[0].detectors_agreed
    ids = [s.id for s in oom[0].scores]
    assert len(ids) == len(set(ids))


@pytest.mark.deep
def test_only_deeplog_sees_a_minute_whose_requests_run_backwards(logs: Path) -> None:
    pytest.importorskip("torch")
    # One voter is enough here, so every detector's own view of the reversed minute shows.
    report = _run(logs, deep=True, min_agree=1)
    covering = [
        i for i in _covering(report, REVERSED_MINUTE) if "checkout" in (i.services or [i.title])
    ]
    assert covering, "the reversed checkout minute raised no incident"
    assert "deeplog" in covering[0].detectors_agreed
    without = _run(logs, min_agree=1)
    assert not [
        i for i in _covering(without, REVERSED_MINUTE) if "checkout" in (i.services or [i.title])
    ], "window counts alone should not see an order-only anomaly"


def test_deep_path_without_torch_names_the_extra(
    logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from logswarm.detect.deep import DeepExtraMissingError

    real = importlib.util.find_spec

    def no_torch(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "torch" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", no_torch)
    with pytest.raises(DeepExtraMissingError, match=r"logswarm\[deep\]"):
        _run(logs, deep=True)
