"""The core contracts: severity spellings, record locations, incident evidence ids, dataset loaders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from logswarm.datasets import (
    DatasetMissingError,
    dataset_root,
    load_hdfs_100k,
    load_robustlog_split,
)
from logswarm.incidents import (
    DetectorScore,
    Entity,
    EntityKind,
    EvidenceLine,
    Incident,
    IncidentSeverity,
    TemplateEvidence,
    TimeWindow,
)
from logswarm.records import LogRecord, Severity, SourceKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("warn", Severity.WARNING),
        ("E", Severity.ERROR),
        ("FATAL", Severity.CRITICAL),
        (" info ", Severity.INFO),
    ],
)
def test_severity_spellings_map_to_one_scale(text: str, expected: Severity) -> None:
    assert Severity.parse(text) is expected


def test_unknown_severity_falls_back_to_default() -> None:
    assert Severity.parse("chatty", Severity.INFO) is Severity.INFO
    assert Severity.parse(None) is None


def test_record_location_points_back_at_the_evidence() -> None:
    rec = LogRecord(timestamp=None, source=SourceKind.TEXT, message="x", file="a.log", line=7)
    assert rec.location() == "a.log:7"


def _incident() -> Incident:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return Incident(
        id="inc-1",
        title="OOM in checkout",
        severity=IncidentSeverity.HIGH,
        window=TimeWindow(start=t0, end=t0),
        anomaly_score=2.5,
        templates=[TemplateEvidence(id="T1", template_id=3, template="OOMKilled <*>", count=4)],
        samples=[
            EvidenceLine(
                id="L1", file="a.log", line=3, source="container", severity="ERROR", message="m"
            )
        ],
        entities=[Entity(id="E1", kind=EntityKind.POD, value="checkout-1")],
        scores=[DetectorScore(id="D1", detector="iforest", score=1.4, flagged=True)],
    )


def test_incident_lists_every_citable_evidence_id() -> None:
    assert _incident().evidence_ids() == {"T1", "L1", "E1", "D1"}


def test_incident_round_trips_through_json() -> None:
    inc = _incident()
    assert Incident.model_validate_json(inc.model_dump_json()) == inc


def test_evidence_ids_must_have_their_prefix() -> None:
    with pytest.raises(ValidationError):
        Entity(id="X1", kind=EntityKind.POD, value="p")


def test_entity_values_filter_by_kind() -> None:
    assert _incident().entity_values(EntityKind.POD) == {"checkout-1"}
    assert _incident().entity_values(EntityKind.IP) == set()


def test_incident_severity_rank_orders_most_urgent_first() -> None:
    ranks = [s.rank for s in IncidentSeverity]
    assert ranks == sorted(ranks)
    assert IncidentSeverity.CRITICAL.rank == 0


def test_missing_dataset_root_says_how_to_point_elsewhere(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissingError, match="LOGSWARM_DATASETS"):
        dataset_root(tmp_path / "nope")


def test_robustlog_loader_reads_sequences_and_labels(tmp_path: Path) -> None:
    f = tmp_path / "robust_log_valid.csv"
    f.write_text("Sequence,label\n5 22 11,0\n5 9,1\n", encoding="utf-8")
    sessions = load_robustlog_split(f)
    assert sessions.sequences == [[5, 22, 11], [5, 9]]
    assert sessions.labels == [False, True]
    assert len(sessions.normal()) == 1


def test_hdfs_100k_loader_keeps_one_split(tmp_path: Path) -> None:
    f = tmp_path / "sessions.csv"
    f.write_text(
        "BlockId,Label,Split,EventSequence\nblk_1,0,train,E5 E1\nblk_2,1,test,E2\n",
        encoding="utf-8",
    )
    test = load_hdfs_100k(f, split="test")
    assert test.sequences == [[2]]
    assert test.labels == [True]
    assert test.ids == ["blk_2"]
