"""Seed Models 4-6 (auction, federated, debate) end to end on generated scenarios.

Scenarios go through the same path as the CLI (generate a bundle, ingest, detect, match the
reported incident to the ground truth) before a topology sees them; the truth is only used to
score. Also: in-process equals HTTP, the gateway lets no raw data through, the safety gate
refuses a forbidden plan, determinism, the LLM path, and the metric functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from logswarm.agents import AgentEnvironment, BackendConfig, build_agent, run_topology
from logswarm.agents.analysis import IncidentAnalysis
from logswarm.agents.catalogue import load_catalogue
from logswarm.agents.contracts import (
    Claim,
    CoordinatorOutput,
    ExecutorOutput,
    GatewayOutput,
    PlanStep,
    RefereeOutput,
    Role,
    SafetyInput,
    SafetyOutput,
    SynthesizerOutput,
)
from logswarm.agents.coordination import MECHANISM_ROLES, split_by_region
from logswarm.agents.llm import ModelConfig
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.agents.roles import DeterministicAgent
from logswarm.agents.server import AgentServer
from logswarm.agents.tools import RecordStore
from logswarm.agents.topology import TOPOLOGIES, HttpTransport, InProcessTransport, federated
from logswarm.agents.topology import metrics as m
from logswarm.agents.topology.engine import TrajectoryStep
from logswarm.incidents import EntityKind, Incident
from logswarm.ingest import InMemoryDeadLetters, read_logs
from logswarm.pipeline.analyze import analyze
from logswarm.pipeline.evaluate import match_ground_truth
from logswarm.report.model import GroundTruthIncident
from logswarm.scenarios import generate
from logswarm.scenarios.topology import build_topology
from tests.agents.fakes import FakeChatClient, credential_incident, oom_incident

#: One scenario kind per specialist domain (network, security, database, performance).
KINDS = ("dns_failure", "credential_compromise", "db_connection_pool_exhaustion", "cpu_throttling")


@dataclass(frozen=True)
class Case:
    kind: str
    truth: GroundTruthIncident
    incident: Incident
    records: RecordStore
    dependencies: dict[str, list[str]]

    @property
    def category(self) -> str:
        return self.truth.root_cause.partition(":")[0]

    @property
    def domain(self) -> str:
        (playbook,) = load_catalogue().by_category(self.category)
        return playbook.domain


def _case(kind: str, seed: int, work: Path) -> Case:
    bundle = generate(
        [kind],
        out_dir=work / f"{kind}-{seed}",
        seed=seed,
        duration=timedelta(hours=1),
        background_rate=2.0,
    )
    report = analyze(
        [bundle.logs_dir], dead_letters=InMemoryDeadLetters(), ground_truth=bundle.ground_truth
    )
    truth = bundle.ground_truth[0]
    incident = match_ground_truth(truth, report.incidents)
    assert incident is not None, f"{kind}: the pipeline did not report the incident"
    records = RecordStore(read_logs([bundle.logs_dir], dead_letters=InMemoryDeadLetters()))
    deps = {d.name: list(d.calls) for d in build_topology(seed).deployments.values()}
    return Case(kind, truth, incident, records, deps)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    work = tmp_path_factory.mktemp("coordination")
    return {kind: _case(kind, 1, work) for kind in KINDS}


def _fresh() -> InProcessTransport:
    return InProcessTransport.single(build_agent(BackendConfig(), AgentEnvironment.default()))


def _run(
    topology: str, case: Case, transport: InProcessTransport | None = None
) -> IncidentAnalysis:
    (analysis,) = run_topology(
        topology,
        [case.incident],
        records=case.records,
        dependencies=case.dependencies,
        transport=transport,
    )
    return analysis


def _outputs(analysis: IncidentAnalysis, role: str) -> list[dict[str, object]]:
    return [s.output for s in analysis.trajectory if s.role == role and s.output is not None]


# --- Model 4: auction --------------------------------------------------------------------------


def test_auction_awards_the_domain_specialist_and_solves(cases: dict[str, Case]) -> None:
    transport = _fresh()
    runs: list[tuple[list[TrajectoryStep], str | None]] = []
    for case in cases.values():
        analysis = _run("auction", case, transport)
        assert analysis.errors == []
        nodes = [s.node for s in analysis.trajectory]
        assert nodes[:6] == [
            "announce", "bid-security", "bid-performance", "bid-network", "bid-database", "award"
        ]  # fmt: skip
        assert nodes[-5:] == ["recommend", "plan", "execute", "review", "feedback"]
        (solver,) = [n for n in nodes if n.startswith("solve-")]
        award = CoordinatorOutput.model_validate(_outputs(analysis, Role.COORDINATOR)[1]).award
        assert award is not None
        assert award.winner is not None
        assert solver == f"solve-{award.winner.removesuffix('_specialist')}"
        assert len(award.ranking) == 4
        # the winner's diagnosis is what the run reports as its root cause
        assert analysis.root_cause is not None
        assert analysis.root_cause.category == case.category, case.kind
        runs.append((analysis.trajectory, case.domain))
    assert m.bidding_efficiency(runs) == 1.0


def test_auction_feedback_moves_reputation_across_incidents(cases: dict[str, Case]) -> None:
    transport = _fresh()
    case = cases["credential_compromise"]
    first = _run("auction", case, transport)
    second = _run("auction", case, transport)
    fb1 = CoordinatorOutput.model_validate(_outputs(first, Role.COORDINATOR)[-1])
    award2 = CoordinatorOutput.model_validate(_outputs(second, Role.COORDINATOR)[1]).award
    assert fb1.phase == "feedback"
    assert fb1.reward is not None
    assert fb1.reward > 0.5
    assert fb1.reputation["security_specialist"] > 1.0  # rewarded above neutral
    assert fb1.reputation["network_specialist"] == 1.0  # not awarded: unchanged
    assert award2 is not None
    used = {s.specialist: s.reputation for s in award2.ranking}
    assert used["security_specialist"] == pytest.approx(
        fb1.reputation["security_specialist"], abs=1e-4
    )


# --- Model 5: federated ------------------------------------------------------------------------


def _relocate(incident: Incident, region: str, offset: int) -> Incident:
    """The incident as seen in ``region``: stream paths carry the region; ids shifted."""

    def shift(value: str) -> str:
        return f"{value[0]}{int(value[1:]) + offset}"

    def path(file: str) -> str:
        for r in ("eu-west-1", "us-east-1", "ap-south-1"):
            file = file.replace(f"/{r}/", "/")
        return f"/{region}/{file.lstrip('/')}"

    return incident.model_copy(
        update={
            "id": f"{incident.id}-{region}",
            "regions": [region],
            "samples": [
                s.model_copy(
                    update={
                        "id": shift(s.id),
                        "file": path(s.file),
                        "template_id": None if s.template_id is None else s.template_id + offset,
                    }
                )
                for s in incident.samples
            ],
            "templates": [
                t.model_copy(update={"id": shift(t.id), "template_id": t.template_id + offset})
                for t in incident.templates
            ],
            "entities": [e.model_copy(update={"id": shift(e.id)}) for e in incident.entities],
            "scores": [d.model_copy(update={"id": shift(d.id)}) for d in incident.scores],
        }
    )


def _merge(a: Incident, b: Incident) -> Incident:
    """Two regions' evidence as one incident (ids of ``b`` were shifted apart)."""
    return a.model_copy(
        update={
            "id": f"{a.id}+{b.id}",
            "regions": sorted({*a.regions, *b.regions}),
            "samples": [*a.samples, *b.samples],
            "templates": [*a.templates, *b.templates],
            "entities": [*a.entities, *b.entities],
            "scores": [*a.scores, *b.scores],
            "services": sorted({*a.services, *b.services}),
            "sources": sorted({*a.sources, *b.sources}),
        }
    )


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory, cases: dict[str, Case]) -> dict[str, Case]:
    """Multi-region incidents: the same cause in two regions, and two different causes."""
    work = tmp_path_factory.mktemp("regions")
    cred2 = _case("credential_compromise", 2, work)
    cred = cases["credential_compromise"]
    dns = cases["dns_failure"]
    same = _merge(
        _relocate(cred.incident, "eu-west-1", 0), _relocate(cred2.incident, "us-east-1", 1000)
    )
    different = _merge(
        _relocate(cred.incident, "eu-west-1", 0), _relocate(dns.incident, "us-east-1", 1000)
    )
    records = RecordStore([])
    return {
        "global": Case("credential_compromise", cred.truth, same, records, cred.dependencies),
        "regional": Case("mixed", cred.truth, different, records, cred.dependencies),
    }


def test_federated_single_region_scenarios(cases: dict[str, Case]) -> None:
    transport = _fresh()
    for case in cases.values():
        analysis = _run("federated", case, transport)
        assert analysis.errors == []
        assert [s.node for s in analysis.trajectory][:6] == [
            "region-0", "region-1", "region-2", "gateway", "synthesize", "respond"
        ]  # fmt: skip
        synthesis = SynthesizerOutput.model_validate(_outputs(analysis, Role.GLOBAL_SYNTHESIZER)[0])
        assert synthesis.scope == "regional"
        assert len(split_by_region(case.incident)) == 1
        assert analysis.root_cause is not None
        assert analysis.root_cause.category == case.category, case.kind


def test_region_of_streams_or_documented_fallback(cases: dict[str, Case]) -> None:
    # CloudTrail streams carry their region in the S3 key
    assert list(split_by_region(cases["credential_compromise"].incident)) == ["eu-west-1"]
    for case in cases.values():
        (region,) = split_by_region(case.incident)
        assert region in {"eu-west-1", "local"}


def test_cross_region_correlation(regions: dict[str, Case]) -> None:
    transport = _fresh()
    runs = []
    for truth, case in regions.items():
        analysis = _run("federated", case, transport)
        assert analysis.errors == []
        synthesis = SynthesizerOutput.model_validate(_outputs(analysis, Role.GLOBAL_SYNTHESIZER)[0])
        assert synthesis.regions
        assert set(synthesis.regions) <= {"eu-west-1", "us-east-1"}
        runs.append((analysis.trajectory, truth))
        if truth == "global":
            assert synthesis.regions == ["eu-west-1", "us-east-1"]
            assert synthesis.category == "credential_compromise"
            assert analysis.root_cause is not None
            assert "global incident" in analysis.causal_chain[0].text
    assert m.correlation_accuracy(runs) == 1.0


def test_regions_beyond_the_slots_are_noted_not_analysed(regions: dict[str, Case]) -> None:
    case = regions["global"]
    (analysis,) = run_topology(federated(regions=1), [case.incident], transport=_fresh())
    assert analysis.errors == []
    assert any("us-east-1" in note and "not analysed" in note for note in analysis.notes)
    synthesis = SynthesizerOutput.model_validate(_outputs(analysis, Role.GLOBAL_SYNTHESIZER)[0])
    assert synthesis.scope == "regional"  # one region seen: no cross-region evidence
    assert synthesis.regions == ["eu-west-1"]


def test_no_raw_line_crosses_the_gateway(regions: dict[str, Case]) -> None:
    for case in regions.values():
        analysis = _run("federated", case, _fresh())
        gateway = GatewayOutput.model_validate(_outputs(analysis, Role.FEDERATION_GATEWAY)[0])
        shared = gateway.model_dump_json()
        for line in case.incident.samples:
            assert line.message not in shared
        for entity in case.incident.entities:
            if entity.kind in m.SENSITIVE_KINDS:
                assert entity.value not in shared
        assert m.raw_leaks(shared, case.incident) == []
        assert m.privacy_compliance(analysis.trajectory, case.incident) == 1.0
        # what the synthesizer received is exactly what left the gateway
        (synth_step,) = [s for s in analysis.trajectory if s.role == Role.GLOBAL_SYNTHESIZER]
        assert {i["region"] for i in gateway.model_dump()["insights"]} >= set(
            SynthesizerOutput.model_validate(synth_step.output).regions
        )
        usage = m.bandwidth(analysis.trajectory)
        assert 0 < usage.shared < usage.raw


def test_the_leak_detector_catches_a_raw_line() -> None:
    incident = credential_incident()
    line = max(incident.samples, key=lambda s: len(s.message))
    assert line.id in m.raw_leaks(f'{{"text": "{line.message[5:45]}"}}', incident)
    assert m.raw_leaks('{"text": "nothing from the logs"}', incident) == []
    key = next(e for e in incident.entities if e.kind is EntityKind.ACCESS_KEY)
    assert key.id in m.raw_leaks(f"culprit {key.value}", incident)


# --- Model 6: debate and the safety gate -------------------------------------------------------


def test_debate_end_to_end_with_referee_and_safety(cases: dict[str, Case]) -> None:
    transport = _fresh()
    trajectories = []
    for case in cases.values():
        analysis = _run("debate", case, transport)
        assert analysis.errors == []
        assert [s.node for s in analysis.trajectory] == [
            "debate-temporal", "debate-dependency", "debate-frequency", "referee",
            "recommend", "plan", "execute", "safety", "review",
        ]  # fmt: skip
        referee = RefereeOutput.model_validate(_outputs(analysis, Role.REFEREE)[0])
        assert {s.strategy for s in referee.scores} == {"temporal", "dependency", "frequency"}
        assert referee.rca.root_cause == analysis.root_cause
        safety = SafetyOutput.model_validate(_outputs(analysis, Role.SAFETY)[0])
        # the analysis reports the plan as gated
        assert analysis.plan == safety.plan.steps
        assert m.safety_violations(analysis.trajectory, case.incident) == 0
        trajectories.append(analysis.trajectory)
    rate = m.referee_agreement_rate(trajectories)
    quality = m.debate_quality(trajectories)
    assert rate is not None
    assert 0.0 < rate <= 1.0
    assert quality is not None
    assert 0.0 < quality <= 1.0
    runs = [(t, c.category) for t, c in zip(trajectories, cases.values(), strict=True)]
    assert m.debate_selection_accuracy(runs) == 1.0
    ratio = m.human_override_ratio(trajectories)
    assert ratio is not None
    assert 0.0 <= ratio <= 1.0


def _step(order: int, action: str, kind: EntityKind, target: str) -> PlanStep:
    return PlanStep.model_validate(
        {
            "order": order,
            "action": action,
            "target_kind": kind,
            "target": target,
            "target_evidence": "E1",
            "risk": "low",
            "rationale": Claim(text="test", evidence=["E1"]),
        }
    )


def test_the_safety_gate_refuses_a_forbidden_plan() -> None:
    incident = oom_incident()
    plan = ExecutorOutput(
        status="planned",
        steps=[
            _step(1, "delete_pod", EntityKind.POD, "kube-system/coredns-5d78c9869d-abcde"),
            _step(2, "restart_deployment", EntityKind.DEPLOYMENT, "logswarm-operator"),
            _step(3, "restart_deployment", EntityKind.DEPLOYMENT, "checkout"),
        ],
    )
    agent = build_agent(BackendConfig(), AgentEnvironment.default())
    result = agent.run(Role.SAFETY, SafetyInput(incident=incident, plan=plan))
    assert isinstance(result.output, SafetyOutput)
    out = result.output
    verdicts = {d.order: d.verdict for d in out.decisions}
    assert verdicts == {1: "deny", 2: "deny", 3: "allow"}
    assert out.status == "blocked"
    assert out.human_review
    assert [s.order for s in out.plan.steps] == [3]
    assert out.plan.status == "escalated"
    # the metric re-checks independently: the gated plan is clean, a forged pass is not
    step = TrajectoryStep(
        index=0, node="safety", role=Role.SAFETY, backend="x", input_digest="-",
        output=out.model_dump(mode="json"),
    )  # fmt: skip
    assert m.safety_violations([step], incident) == 0
    forged = out.model_copy(update={"plan": plan, "status": "approved"})
    bad = step.model_copy(update={"output": forged.model_dump(mode="json")})
    assert m.safety_violations([bad], incident) == 2


def test_the_environment_labels_change_what_needs_a_person() -> None:
    incident = oom_incident()
    plan = ExecutorOutput(
        status="planned",
        steps=[_step(1, "rollback_deployment", EntityKind.DEPLOYMENT, "checkout")],
    )
    gate = DeterministicAgent(DeterministicReasoner(AgentEnvironment.default()))
    prod = gate.run(Role.SAFETY, SafetyInput(incident=incident, plan=plan)).output
    staging = gate.run(
        Role.SAFETY,
        SafetyInput(incident=incident, plan=plan, environment_labels={"env": "staging"}),
    ).output
    assert isinstance(prod, SafetyOutput)
    assert isinstance(staging, SafetyOutput)
    assert prod.status == "awaiting_approval"  # medium risk in (assumed) production
    assert staging.status == "approved"


# --- transports, determinism, LLM path ---------------------------------------------------------


@pytest.fixture
def server() -> Iterator[AgentServer]:
    with AgentServer(_fresh(), port=0, max_body_bytes=4 * 1024 * 1024) as srv:
        yield srv


def _comparable(analysis: IncidentAnalysis) -> list[tuple[str, str, object]]:
    return [(s.node, s.input_digest, s.output) for s in analysis.trajectory]


@pytest.mark.parametrize("topology", ["auction", "federated", "debate"])
def test_http_equals_in_process(
    topology: str, server: AgentServer, cases: dict[str, Case], regions: dict[str, Case]
) -> None:
    chosen = [cases["dns_failure"], regions["global"]]
    local = _fresh()
    with httpx.Client(timeout=60) as client:
        remote = HttpTransport(client=client, default_base_url=server.url)
        over_http = [_run(topology, c, remote) for c in chosen]  # type: ignore[arg-type]
    in_process = [_run(topology, c, local) for c in chosen]
    for a, b in zip(over_http, in_process, strict=True):
        assert a.errors == []
        assert b.errors == []
        assert _comparable(a) == _comparable(b)
        assert a.root_cause == b.root_cause
        assert a.plan == b.plan


@pytest.mark.parametrize("topology", ["auction", "federated", "debate"])
def test_deterministic(topology: str, cases: dict[str, Case]) -> None:
    case = cases["db_connection_pool_exhaustion"]
    first, second = _run(topology, case, _fresh()), _run(topology, case, _fresh())
    assert _comparable(first) == _comparable(second)


def test_new_topologies_are_registered_with_dns_friendly_roles() -> None:
    for name in ("auction", "federated", "debate"):
        graph = TOPOLOGIES[name]()
        for node in graph.nodes:
            assert node.role.replace("_", "-").replace("-", "").isalnum()
            assert node.id == node.id.lower()
            assert len(node.id) <= 63


@pytest.mark.parametrize("topology", ["auction", "federated", "debate"])
def test_the_litellm_path_replays_a_well_behaved_model(topology: str) -> None:
    incident = credential_incident()
    reference = run_topology(topology, [incident])[0]
    script = [
        json.dumps(s.output)
        for s in reference.trajectory
        if s.output is not None and s.role not in MECHANISM_ROLES and s.role != Role.RETRIEVAL
    ]
    client = FakeChatClient(script)
    backend = BackendConfig(
        kind="litellm", default_model=ModelConfig(model="fake/model"), cache=False
    )
    analysis = run_topology(topology, [incident], backend=backend, client=client)[0]
    assert analysis.errors == []
    assert analysis.root_cause == reference.root_cause
    llm_roles = {s.role for s in analysis.trajectory if s.calls}
    assert llm_roles
    assert not llm_roles & MECHANISM_ROLES
    assert all(not s.calls for s in analysis.trajectory if s.role in MECHANISM_ROLES)
    assert len(client.requests) == len(script)


# --- metric functions --------------------------------------------------------------------------


def test_jain_fairness_bounds() -> None:
    assert m.jain_fairness({"a": 3, "b": 3, "c": 3, "d": 3}) == pytest.approx(1.0)
    assert m.jain_fairness({"a": 8, "b": 0, "c": 0, "d": 0}) == pytest.approx(0.25)
    assert m.jain_fairness({"a": 0, "b": 0}) is None


def test_award_counts_and_efficiency_from_trajectories(cases: dict[str, Case]) -> None:
    transport = _fresh()
    analyses = [_run("auction", c, transport) for c in cases.values()]
    counts = m.award_counts(a.trajectory for a in analyses)
    assert sum(counts.values()) == len(analyses)
    assert set(counts) == {
        "security_specialist", "performance_specialist", "network_specialist",
        "database_specialist",
    }  # fmt: skip
    fairness = m.jain_fairness(counts)
    assert fairness is not None
    assert 0.25 <= fairness <= 1.0
    # a wrong truth label scores 0: the metric can fail
    wrong = "security" if cases[KINDS[0]].domain != "security" else "network"
    assert m.bidding_efficiency([(analyses[0].trajectory, wrong)]) == 0.0
    assert m.bidding_efficiency([(analyses[0].trajectory, None)]) is None
    resolution = m.mean_resolution_ms(a.trajectory for a in analyses)
    assert resolution is not None
    assert resolution > 0
