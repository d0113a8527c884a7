"""The scenario suite of issue 4: enough kinds, each with truth, evidence, metrics and ingestible files."""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from logswarm.actions import ACTION_NAMES
from logswarm.features import extract_entities
from logswarm.ingest import InMemoryDeadLetters, read_logs
from logswarm.report.model import GroundTruthIncident
from logswarm.scenarios import CATALOGUE, GeneratedBundle, Injection, generate
from logswarm.scenarios.background import build_streams
from logswarm.scenarios.engine import World
from logswarm.scenarios.formats import NS
from logswarm.scenarios.generator import BASE_TIME
from logswarm.scenarios.topology import build_topology

#: The examples issue 4 names, by the catalogue's names for them.
NAMED_IN_ISSUE = (
    "oom_killed",
    "crashloop_bad_deploy",
    "image_pull_failure",
    "readiness_probe_failure",
    "node_disk_pressure",
    "cpu_throttling",
    "dns_failure",
    "certificate_expiry",
    "db_connection_pool_exhaustion",
    "replication_lag",
    "db_deadlock",
    "credential_compromise",
    "iam_privilege_escalation",
    "s3_exfiltration",
    "security_group_open_world",
    "port_scan",
    "ddos",
    "lambda_throttling",
    "asg_capacity",
)

#: Attacks that happen entirely in the AWS control plane: CloudTrail is their only log source
#: (their second view is the metric series), as in a real account.
CONTROL_PLANE_ONLY = frozenset(
    {
        "credential_compromise",
        "iam_privilege_escalation",
        "cloudtrail_logging_disabled",
        "root_account_usage",
    }
)
#: Kinds whose only log source is what the failing service itself writes (plus metrics).
SINGLE_SOURCE = frozenset(
    {
        "db_connection_pool_exhaustion",
        "kafka_consumer_lag",
        "memory_leak",
        "replication_lag",
        "port_scan",
        "pending_pods_requests_too_high",
    }
)


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _suite(out: Path, seed: int) -> GeneratedBundle:
    return generate(
        sorted(CATALOGUE), out_dir=out, seed=seed, duration=timedelta(hours=12), background_rate=0.3
    )


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBundle:
    return _suite(tmp_path_factory.mktemp("suite"), seed=5)


@pytest.fixture(scope="module")
def parsed(suite: GeneratedBundle) -> tuple[int, dict[str, list[tuple[str, set[str], str]]]]:
    """Dead letters, and per incident the (source, entity values, message) of its labelled records."""
    by_position: dict[tuple[str, int], str] = {}
    for line in suite.labels_path.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        by_position[(str((suite.logs_dir / doc["file"]).resolve()), doc["line"])] = doc["incident"]
    dead = InMemoryDeadLetters()
    evidence: dict[str, list[tuple[str, set[str], str]]] = defaultdict(list)
    resolved: dict[str, str] = {}
    for record in read_logs([suite.logs_dir], dead_letters=dead, dedupe=False):
        key = resolved.setdefault(record.file, str(Path(record.file).resolve()))
        incident = by_position.get((key, record.position()))
        if incident is not None:
            values = {value for _, value in extract_entities(record)}
            evidence[incident].append((record.source.value, values, record.message))
    return dead.count, evidence


def _truth(suite: GeneratedBundle, kind: str) -> GroundTruthIncident:
    (gt,) = [g for g in suite.ground_truth if g.kind == kind]
    return gt


def test_suite_has_forty_kinds_covering_the_issue_examples() -> None:
    assert len(CATALOGUE) >= 40
    assert set(NAMED_IN_ISSUE) <= set(CATALOGUE)
    assert {s.category for s in CATALOGUE.values()} == {"kubernetes", "aws"}
    causes = {spec.name: spec.remediation for spec in CATALOGUE.values()}
    assert set(causes.values()) <= ACTION_NAMES
    # the suite exercises most of the action vocabulary, not one action for everything
    assert len(set(causes.values())) >= 10


def test_suite_is_deterministic_per_seed(suite: GeneratedBundle, tmp_path: Path) -> None:
    assert _digest(_suite(tmp_path / "again", seed=5).root) == _digest(suite.root)
    assert _digest(_suite(tmp_path / "other", seed=6).root) != _digest(suite.root)


def test_every_generated_line_parses_without_dead_letters(
    parsed: tuple[int, dict[str, list[tuple[str, set[str], str]]]],
) -> None:
    dead, _ = parsed
    assert dead == 0


@pytest.mark.parametrize("kind", sorted(CATALOGUE))
def test_kind_has_truth_evidence_and_sources(
    kind: str,
    suite: GeneratedBundle,
    parsed: tuple[int, dict[str, list[tuple[str, set[str], str]]]],
) -> None:
    gt = _truth(suite, kind)
    assert gt.remediation == CATALOGUE[kind].remediation
    assert gt.remediation in ACTION_NAMES
    label, _, target = gt.root_cause.partition(":")
    component = target.split("/", 1)[1]
    assert label
    assert component in gt.entities
    records = parsed[1][gt.id]
    assert len(records) >= 3, kind
    # The root-cause component is in the evidence: an extracted entity, or named in a line.
    extracted = set().union(*(values for _, values, _ in records))
    assert component in extracted or any(component in msg for _, _, msg in records), kind
    sources = {source for source, _, _ in records}
    if kind not in CONTROL_PLANE_ONLY | SINGLE_SOURCE:
        assert len(sources) >= 2, (kind, sources)


def _inject(kind: str, seed: int = 1) -> World:
    topo = build_topology(seed)
    t0 = int(BASE_TIME.timestamp()) * NS
    world = World(topo, seed=seed, t_start=t0, t_end=t0 + 3600 * NS)
    build_streams(world)
    spec = CATALOGUE[kind]
    start = t0 + 600 * NS
    ctx = Injection(
        world,
        incident_id="gt-01",
        start=start,
        end=start + int(spec.minutes * 60 * NS),
        rng=random.Random(f"{seed}:{kind}"),
    )
    spec.injector(ctx)
    return world


@pytest.mark.parametrize("kind", sorted(CATALOGUE))
def test_kind_bends_a_metric_series(kind: str) -> None:
    assert _inject(kind).metric_effects, kind


@pytest.mark.parametrize(
    "kind",
    sorted(
        k
        for k, spec in CATALOGUE.items()
        if spec.injector.__module__.startswith("logswarm.scenarios.kinds_")
    ),
)
def test_new_kinds_carry_an_unlabelled_red_herring(kind: str) -> None:
    world = _inject(kind)
    scripted = [it for s in world.streams.values() for it in s.items]
    assert any(inc is None for *_, inc in scripted), kind
    assert any(inc == "gt-01" for *_, inc in scripted), kind


def test_every_cause_label_has_a_playbook_with_the_truths_remediation(
    suite: GeneratedBundle,
) -> None:
    """The reasoner can only be right if the catalogue knows the cause and its fix."""
    from logswarm.agents.catalogue import load_catalogue

    catalogue = load_catalogue()
    for gt in suite.ground_truth:
        label = gt.root_cause.split(":", 1)[0]
        (playbook,) = catalogue.by_category(label)
        actions = {alt.action for step in playbook.steps for alt in step.actions}
        assert gt.remediation in actions, (gt.kind, label, actions)
