"""The generator: deterministic bundles, real on-disk formats, ground truth that matches the files."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from logswarm.scenarios import (
    CATALOGUE,
    DEMO_SCENARIOS,
    REMEDIATIONS,
    GeneratedBundle,
    generate,
    generate_demo,
    generate_lines,
    load_bundle,
    load_ground_truth,
    load_line_labels,
)

CRI = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) [FP] ")
RFC5424 = re.compile(r"^<\d{1,3}>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ \S+ \S+ - - ")
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _records(bundle: GeneratedBundle, rel: str) -> list[str]:
    """The lines of a file as labels count them (CloudTrail: one JSON text per record)."""
    path = bundle.logs_dir / rel
    if rel.endswith(".json.gz"):
        doc = json.loads(gzip.decompress(path.read_bytes()))
        return [json.dumps(r) for r in doc["Records"]]
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBundle:
    return generate_demo(tmp_path_factory.mktemp("demo"), seed=7)


@pytest.fixture(scope="module")
def per_scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedBundle]:
    root = tmp_path_factory.mktemp("scenarios")
    return {
        name: generate(
            [name], out_dir=root / name, seed=11, duration=timedelta(hours=1), background_rate=1.0
        )
        for name in sorted(CATALOGUE)
    }


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(
    demo: GeneratedBundle, tmp_path: Path
) -> None:
    again = generate_demo(tmp_path / "again", seed=7)
    assert _digest(again.root) == _digest(demo.root)
    other = generate_demo(tmp_path / "other", seed=8)
    assert _digest(other.root) != _digest(demo.root)


def test_demo_size_mix_and_manifest(demo: GeneratedBundle) -> None:
    assert 30_000 <= demo.total_lines <= 80_000
    assert [g.kind for g in demo.ground_truth] == list(DEMO_SCENARIOS)
    kinds = {rel.split("/")[0] for rel in demo.files}
    assert {"pods", "kubernetes", "nodes", "AWSLogs"} <= kinds
    reopened = load_bundle(demo.root)
    assert reopened.files == demo.files
    assert reopened.ground_truth == demo.ground_truth
    assert load_ground_truth(demo.root) == demo.ground_truth
    # answers live outside the logs the analysis reads
    assert not any(
        (demo.logs_dir / name).exists() for name in ("ground_truth.json", "labels.jsonl")
    )


def test_every_file_parses_as_its_format(demo: GeneratedBundle) -> None:
    seen: set[str] = set()
    for rel in demo.files:
        path = demo.logs_dir / rel
        if rel.startswith("pods/"):
            seen.add("cri")
            assert re.match(r"^pods/[a-z0-9-]+_[a-z0-9-]+_[0-9a-f-]{36}/[a-z0-9-]+/0\.log$", rel)
            for line in path.read_text(encoding="utf-8").splitlines():
                assert CRI.match(line), line
                payload = line.split(" ", 3)[3]
                if payload.startswith("{"):
                    doc = json.loads(payload)
                    assert {"level", "ts", "msg"} <= doc.keys()
        elif rel == "kubernetes/events.jsonl":
            seen.add("events")
            for line in path.read_text(encoding="utf-8").splitlines():
                ev = json.loads(line)
                assert ev["kind"] == "Event"
                assert ev["type"] in ("Normal", "Warning")
                assert ev["involvedObject"]["name"]
                assert ev["reason"]
        elif rel.startswith("nodes/"):
            seen.add("syslog")
            for line in path.read_text(encoding="utf-8").splitlines():
                assert RFC5424.match(line), line
        elif "/CloudTrail/" in rel:
            seen.add("cloudtrail")
            assert rel.endswith(".json.gz")
            records = json.loads(gzip.decompress(path.read_bytes()))["Records"]
            assert len(records) == demo.files[rel]
            for rec in records:
                assert EVENT_TIME.match(rec["eventTime"])
                assert rec["userIdentity"]["accountId"] == rel.split("/")[1]
        elif "/vpcflowlogs/" in rel:
            seen.add("flow")
            lines = path.read_text(encoding="utf-8").splitlines()
            assert lines[0].split() == [
                "version",
                "account-id",
                "interface-id",
                "srcaddr",
                "dstaddr",
                "srcport",
                "dstport",
                "protocol",
                "packets",
                "bytes",
                "start",
                "end",
                "action",
                "log-status",
            ]
            for line in lines[1:]:
                f = line.split(" ")
                assert len(f) == 14
                assert f[0] == "2"
                assert f[12] in ("ACCEPT", "REJECT")
                assert int(f[10]) <= int(f[11])
        else:
            pytest.fail(f"unexpected file {rel}")
    assert seen == {"cri", "events", "syslog", "cloudtrail", "flow"}


def test_text_files_are_in_time_order(demo: GeneratedBundle) -> None:
    for rel in demo.files:
        if rel.startswith("pods/") or rel.startswith("nodes/"):
            lines = (demo.logs_dir / rel).read_text(encoding="utf-8").splitlines()
            stamps = [line.split(" ", 2)[1 if rel.startswith("nodes/") else 0] for line in lines]
            assert stamps == sorted(stamps), rel


def test_metrics_series_show_the_incident(demo: GeneratedBundle) -> None:
    with demo.metrics_path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    assert set(rows[0]) == {"timestamp", "service", "metric", "value"}
    oom = next(g for g in demo.ground_truth if g.kind == "oom_killed")
    restarts = [
        float(r["value"]) for r in rows if r["service"] == "checkout" and r["metric"] == "restarts"
    ]
    assert restarts[0] == 0
    assert restarts[-1] >= 1
    before = [
        float(r["value"])
        for r in rows
        if r["service"] == "checkout"
        and r["metric"] == "memory_mib"
        and r["timestamp"] < oom.start.strftime("%Y-%m-%dT%H:%M:%SZ")
    ]
    assert max(before) < 450


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_ground_truth_matches_generated_files(
    name: str, per_scenario: dict[str, GeneratedBundle]
) -> None:
    bundle = per_scenario[name]
    (gt,) = bundle.ground_truth
    assert gt.kind == name
    assert gt.remediation in REMEDIATIONS
    assert re.match(r"^[a-z0-9_]+:[a-z_]+/\S+$", gt.root_cause), gt.root_cause
    assert bundle.start <= gt.start <= gt.end <= bundle.end
    labels = load_line_labels(bundle.root)
    assert len(labels) >= 5
    cache: dict[str, list[str]] = {}
    for rel, line in sorted(labels):
        lines = cache.setdefault(rel, _records(bundle, rel))
        assert 1 <= line <= len(lines), (rel, line)
        text = lines[line - 1]
        assert any(e in text or e in rel for e in gt.entities), (rel, line, text[:200])
    # the analysis input never names the scenario or carries a label field
    for rel in cache:
        for text in cache[rel]:
            assert "logswarm" not in text.lower()
            assert "ground_truth" not in text


def test_background_only_has_no_truth_and_no_labels(tmp_path: Path) -> None:
    bundle = generate(
        None, out_dir=tmp_path / "bg", duration=timedelta(minutes=20), background_rate=2.0
    )
    assert bundle.ground_truth == []
    assert load_line_labels(bundle.root) == set()
    assert bundle.total_lines >= 2.0 * 20 * 60


def test_generate_lines_writes_exactly_n(tmp_path: Path) -> None:
    bundle = generate_lines(20_000, out_dir=tmp_path / "n", duration=timedelta(hours=1))
    assert bundle.total_lines == 20_000
    labels = bundle.labels_path.read_text(encoding="utf-8").splitlines()
    assert len(labels) == bundle.labelled_lines > 0


def test_unknown_scenario_and_foreign_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        generate(["no_such_fault"], out_dir=tmp_path / "x")
    (tmp_path / "foreign" / "logs").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        generate(None, out_dir=tmp_path / "foreign", duration=timedelta(minutes=5))


def test_catalogue_is_consistent() -> None:
    assert len(CATALOGUE) >= 18
    for spec in CATALOGUE.values():
        assert spec.category in ("kubernetes", "aws")
        assert spec.minutes > 0
        assert spec.title
