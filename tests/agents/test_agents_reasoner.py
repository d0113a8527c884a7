"""The deterministic reasoner on hand-built incidents: cause, culprit, plan, from evidence only."""

from __future__ import annotations

from logswarm.agents.contracts import (
    ExecutorInput,
    IntentCategory,
    IntentInput,
    MetricObservation,
    PlannerInput,
    RCAInput,
    RecommenderInput,
    RetrievalInput,
    ReviewerInput,
    ValidationInput,
)
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.grounding import check_grounding, collect_claims, context_ids
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.incidents import Entity, EntityKind, Incident
from tests.agents.fakes import bad_deploy_incident, credential_incident, oom_incident


def _plan(reasoner: DeterministicReasoner, incident: Incident):  # type: ignore[no-untyped-def]
    rca = reasoner.rca(RCAInput(incident=incident))
    recs = reasoner.recommend(RecommenderInput(incident=incident, rca=rca))
    plan = reasoner.plan(PlannerInput(incident=incident, rca=rca, recommendations=recs))
    steps = reasoner.execute(ExecutorInput(incident=incident, plan=plan, recommendations=recs))
    return rca, steps


def test_oom_points_at_checkout_not_at_its_noisier_caller(reasoner: DeterministicReasoner) -> None:
    incident = oom_incident()
    rca, executed = _plan(reasoner, incident)
    assert rca.root_cause.category == "oom"
    assert rca.root_cause.entity_value in {"checkout", "checkout-7c9d5b-x2x9q"}
    assert [(s.action, s.target) for s in executed.steps] == [
        ("patch_resources", "checkout"),
        ("restart_deployment", "checkout"),
    ]
    assert executed.steps[0].params == {"memory_limit_factor": 2}
    assert all(s.dry_run for s in executed.steps)


def test_bad_deploy_is_rolled_back(reasoner: DeterministicReasoner) -> None:
    rca, executed = _plan(reasoner, bad_deploy_incident())
    assert rca.root_cause.category == "bad_deploy"
    assert rca.root_cause.entity_value in {"payments", "payments-6b7f9-k2j4z"}
    assert [(s.action, s.target) for s in executed.steps] == [("rollback_deployment", "payments")]


def test_credential_compromise_deactivates_the_key_and_blocks_the_new_ip(
    reasoner: DeterministicReasoner,
) -> None:
    incident = credential_incident()
    rca, executed = _plan(reasoner, incident)
    assert rca.root_cause.category == "credential_compromise"
    assert rca.root_cause.entity_value == "AKIAEXAMPLE123"
    actions = [(s.action, s.target) for s in executed.steps]
    assert actions == [
        ("deactivate_access_key", "AKIAEXAMPLE123"),
        ("add_nacl_deny", "203.0.113.77"),
    ]
    intent = reasoner.intent(IntentInput(incident=incident))
    assert intent.category == IntentCategory.SECURITY_THREAT
    assert intent.blast_radius == "account"
    assert intent.urgency == "immediate"
    assert "security" in intent.routing_tags


def test_injected_instructions_in_a_log_line_never_become_an_action(
    reasoner: DeterministicReasoner,
) -> None:
    _, executed = _plan(reasoner, credential_incident())
    assert all("namespace" not in s.target and s.target != "prod" for s in executed.steps)


def test_every_reasoner_claim_is_grounded(reasoner: DeterministicReasoner) -> None:
    for incident in (oom_incident(), bad_deploy_incident(), credential_incident()):
        rca, executed = _plan(reasoner, incident)
        report = check_grounding(
            [*collect_claims(rca), *collect_claims(executed)],
            context=context_ids(incident),
            steps=executed.steps,
            incident=incident,
        )
        assert report.score == 1.0, report.hallucinations
        assert report.hallucinations == []


def test_dependencies_move_blame_from_caller_to_callee(reasoner: DeterministicReasoner) -> None:
    """Two services log the same errors; the graph says who calls whom."""
    base = oom_incident()
    # Strip the OOM-specific lines: only timeouts remain, in both services.
    incident = base.model_copy(
        update={
            "templates": [base.templates[2]],
            "samples": [
                s.model_copy(update={"message": f"upstream request timeout in {svc}", "service": svc})
                for s, svc in zip(base.samples[:4], ["frontend", "checkout", "frontend", "checkout"], strict=True)
            ],
            "entities": [Entity(id="E1", kind=EntityKind.DEPLOYMENT, value="frontend", count=5),
                         Entity(id="E2", kind=EntityKind.DEPLOYMENT, value="checkout", count=5)],
        }
    )  # fmt: skip
    forward = reasoner.rca(RCAInput(incident=incident, dependencies={"frontend": ["checkout"]}))
    backward = reasoner.rca(RCAInput(incident=incident, dependencies={"checkout": ["frontend"]}))
    assert forward.root_cause.entity_value == "checkout"
    assert backward.root_cause.entity_value == "frontend"


def test_no_known_signal_means_unknown_cause_and_escalation(
    reasoner: DeterministicReasoner,
) -> None:
    base = oom_incident()
    incident = base.model_copy(
        update={
            "templates": [],
            "samples": [
                base.samples[0].model_copy(update={"message": "value drifted", "severity": "INFO"})
            ],
        }
    )
    rca = reasoner.rca(RCAInput(incident=incident))
    assert rca.root_cause.category == "unknown"
    plan = reasoner.plan(PlannerInput(incident=incident, rca=rca))
    assert plan.escalate
    assert plan.playbook_id is None
    verdict = reasoner.validate(ValidationInput(incident=incident, rca=rca))
    assert verdict.verdict == "need_more_evidence"
    assert verdict.requested_evidence


def test_validation_rejects_an_invented_culprit(reasoner: DeterministicReasoner) -> None:
    incident = oom_incident()
    rca = reasoner.rca(RCAInput(incident=incident))
    forged = rca.model_copy(
        update={"root_cause": rca.root_cause.model_copy(update={"entity": "E99"})}
    )
    verdict = reasoner.validate(ValidationInput(incident=incident, rca=forged))
    assert verdict.verdict == "reject"


def test_retrieval_queries_logs_and_finds_the_runbook(env_with_logs: AgentEnvironment) -> None:
    reasoner = DeterministicReasoner(env_with_logs)
    out = reasoner.retrieve(RetrievalInput(incident=oom_incident()))
    assert out.documents[0].category == "oom"
    assert out.tool_calls
    assert all(c.tool == "query_logs" and c.ok for c in out.tool_calls)
    assert out.observations
    assert out.observations[0].id == "O1"
    assert {o.id for o in out.observations} <= {i for c in out.tool_calls for i in c.observations}


def test_reviewer_judges_from_before_and_after_metrics(reasoner: DeterministicReasoner) -> None:
    incident = oom_incident()
    _, executed = _plan(reasoner, incident)
    query = executed.steps[0].verification
    assert query is not None
    pending = reasoner.review(ReviewerInput(incident=incident, steps=executed.steps))
    assert pending.verdict == "unverified"
    assert not pending.rollback
    worse = [
        MetricObservation(query=s.verification or "", before=3, after=5) for s in executed.steps
    ]
    failed = reasoner.review(ReviewerInput(incident=incident, steps=executed.steps, metrics=worse))
    assert failed.verdict == "not_resolved"
    assert failed.rollback
    better = [
        MetricObservation(query=s.verification or "", before=3, after=0) for s in executed.steps
    ]
    fixed = reasoner.review(ReviewerInput(incident=incident, steps=executed.steps, metrics=better))
    assert fixed.verdict == "resolved"
    assert not fixed.rollback


def test_validation_reports_failed_tool_calls_without_blocking(
    reasoner: DeterministicReasoner,
) -> None:
    from logswarm.agents.contracts import RetrievalOutput, ToolCallRecord

    incident = oom_incident()
    retrieval = RetrievalOutput(
        tool_calls=[ToolCallRecord(tool="query_metrics", ok=False, error="prometheus: down")]
    )
    rca = reasoner.rca(RCAInput(incident=incident, retrieval=retrieval))
    verdict = reasoner.validate(ValidationInput(incident=incident, rca=rca, retrieval=retrieval))
    assert verdict.verdict == "accept"
    assert verdict.issues == ["1 tool calls failed: query_metrics: prometheus: down"]


# --- network shape and the suite's causes ------------------------------------------------------


def _flows(lines: list[str], entities: list[tuple[EntityKind, str, int]]) -> Incident:
    from tests.agents.fakes import _incident

    return _incident(
        "inc-net",
        "vpc flows",
        services=["vpc"],
        templates=[
            ("REJECT tcp <*>:<*> -> <*>:<*> packets=<*> bytes=<*>", 400, 2.0),
            ("ACCEPT tcp <*>:<*> -> <*>:<*> packets=<*> bytes=<*>", 120, 30.0),
        ],
        lines=[(0.1 * i, "vpc", "INFO", text) for i, text in enumerate(lines)],
        entities=entities,
    )


def test_one_source_to_many_ports_is_a_scan_not_a_flood(reasoner: DeterministicReasoner) -> None:
    lines = [
        f"REJECT tcp 198.51.7.9:40000 -> 10.0.101.5:{port} packets=1 bytes=44"
        for port in (21, 22, 23, 25, 110, 135, 139, 445, 3389)
    ]
    incident = _flows(
        lines, [(EntityKind.IP, "10.0.101.5", 390), (EntityKind.IP, "198.51.7.9", 400)]
    )
    rca, executed = _plan(reasoner, incident)
    assert rca.root_cause.category == "port_scan"
    assert rca.root_cause.entity_value == "198.51.7.9"
    assert [(s.action, s.target) for s in executed.steps] == [("add_nacl_deny", "198.51.7.9")]


def test_many_sources_to_one_port_is_a_flood_and_never_blocks_the_victim(
    reasoner: DeterministicReasoner,
) -> None:
    sources = [f"{a}.{b}.9.{c}" for a, b, c in ((5, 1, 2), (31, 4, 7), (46, 2, 9), (77, 8, 3),
                                              (94, 5, 6), (5, 7, 1), (31, 9, 4), (46, 6, 8))]  # fmt: skip
    lines = [f"ACCEPT tcp {s}:5{i}000 -> 10.0.101.5:443 packets=20000 bytes=1200000"
             for i, s in enumerate(sources)]  # fmt: skip
    incident = _flows(
        lines,
        [(EntityKind.ENI, "eni-0aaaabbbbccccdddd", 500), (EntityKind.IP, "10.0.101.5", 500)]
        + [(EntityKind.IP, s, 30) for s in sources],
    )
    rca, executed = _plan(reasoner, incident)
    assert rca.root_cause.category == "ddos"
    assert executed.steps
    assert all(s.target != "10.0.101.5" for s in executed.steps)


def test_a_scan_from_inside_the_vpc_isolates_the_pod(reasoner: DeterministicReasoner) -> None:
    lines = [
        f"REJECT tcp 10.0.1.77:40022 -> 10.0.{2 + i % 2}.10:{port} packets=1 bytes=60"
        for i, port in enumerate((22, 80, 2379, 3306, 5432, 6379, 9200, 10250))
    ]
    incident = _flows(
        lines,
        [
            (EntityKind.IP, "10.0.1.77", 88),
            (EntityKind.IP, "10.0.2.10", 44),
            (EntityKind.POD, "cart-5d9f8-abcde", 3),
        ],
    )
    rca, executed = _plan(reasoner, incident)
    assert rca.root_cause.category == "lateral_movement"
    assert [(s.action, s.target) for s in executed.steps] == [("isolate_pod", "cart-5d9f8-abcde")]


def test_without_lines_the_flow_counts_still_tell_a_scan(reasoner: DeterministicReasoner) -> None:
    incident = _flows([], [(EntityKind.IP, "10.0.101.5", 380), (EntityKind.IP, "198.51.7.9", 420)])
    rca = reasoner.rca(RCAInput(incident=incident))
    assert rca.root_cause.category == "port_scan"
    assert rca.root_cause.entity_value == "198.51.7.9"


def test_hikari_pool_exhaustion_is_a_connection_pool_cause(reasoner: DeterministicReasoner) -> None:
    from tests.agents.fakes import _incident

    msg = ("HikariPool-1 - Connection is not available, request timed out after 30000ms "
           "(total=10, active=10, idle=0, waiting=31)")  # fmt: skip
    incident = _incident(
        "inc-pool",
        "payment errors",
        services=["payment"],
        templates=[("HikariPool-1 - Connection is not available, request timed out after <*>", 130, 0.0)],
        lines=[(float(i), "payment", "ERROR", msg) for i in range(5)],
        entities=[(EntityKind.POD, "payment-6c7d-xk2lp", 130), (EntityKind.DEPLOYMENT, "payment", 130)],
    )  # fmt: skip
    rca, executed = _plan(reasoner, incident)
    assert rca.root_cause.category == "connection_pool"
    assert executed.steps[0].action == "restart_deployment"
