"""The scorecard's metric definitions, on hand-made trajectories with known answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from logswarm.agents.analysis import IncidentAnalysis
from logswarm.agents.catalogue import Runbook, load_catalogue
from logswarm.agents.contracts import Claim, RCAOutput, Role, ToolCallRecord
from logswarm.evaluation.topologies import (
    METRICS,
    BundleRun,
    CauseVocabulary,
    ReviewMeans,
    Scorecard,
    TruthCause,
    chain_correct,
    chain_failure,
    format_cell,
    parse_root_cause,
    render_scorecard_html,
    render_scorecard_markdown,
    same_entity,
    score_topologies,
    trajectory_coherence,
)
from logswarm.incidents import Incident
from logswarm.report.model import ConfusionCounts, DetectionMetrics
from tests.evaluation.builders import (
    cause,
    good_rag_outputs,
    oom_incident,
    oom_truth,
    planner,
    retrieval,
    run_scripted,
    validation,
)

NOW = datetime(2026, 3, 2, tzinfo=UTC)
VOCAB = CauseVocabulary.packaged()


def _score(
    analyses: dict[str, list[IncidentAnalysis]],
    *,
    incidents: list[Incident] | None = None,
    detection: DetectionMetrics | None = None,
    reviews: dict[str, ReviewMeans] | None = None,
) -> Scorecard:
    run = BundleRun(
        bundle="b0",
        seed=1,
        incidents=incidents or [oom_incident()],
        ground_truth=[oom_truth()],
        detection=detection,
        analyses=analyses,
    )
    return score_topologies(
        [run],
        topologies=list(analyses),
        backend="scripted",
        seeds=[1],
        vocab=VOCAB,
        reviews=reviews,
        generated_at=NOW,
    )


def _value(card: Scorecard, key: str, topology: str) -> float | None:
    return card.row(key).cells[topology].value


def test_parse_root_cause_forms() -> None:
    assert parse_root_cause("oom:deployment/checkout") == TruthCause(
        "oom", "deployment", "checkout"
    )
    assert parse_root_cause("ddos:eni/eni-0a/b") == TruthCause("ddos", "eni", "eni-0a/b")
    assert parse_root_cause("port_scan") == TruthCause("port_scan", None, None)


def test_same_entity_accepts_a_pod_of_the_culprit_deployment_only() -> None:
    assert same_entity("checkout", "checkout")
    assert same_entity("checkout-7c9d5b-x2x9q", "checkout")
    assert not same_entity("checkout", "checkout-7c9d5b-x2x9q")
    assert not same_entity("checkoutv2", "checkout")
    assert not same_entity(None, "checkout")


def test_vocabulary_maps_runbook_categories_to_playbook_categories() -> None:
    catalogue = load_catalogue()
    playbook = catalogue.playbooks[0]
    vocab = CauseVocabulary.from_resources(
        catalogue,
        [Runbook(name="x.md", title="x", category="scenario_word", playbook=playbook.id, text="")],
    )
    assert vocab.canonical("scenario_word") == playbook.category
    assert vocab.canonical(playbook.category) == playbook.category
    assert vocab.canonical(None) == "unknown"


def test_grounding_is_one_when_every_claim_is_cited_and_lower_with_an_invented_id() -> None:
    incident = oom_incident()
    outputs = good_rag_outputs(incident)
    grounded = run_scripted("linear", incident, outputs)
    invented_outputs = dict(outputs)
    root = cause("oom", "E1", "checkout-7c9d5b-x2x9q", ["L1", "E1"])
    invented_outputs[Role.PLANNER] = planner(root, summary_evidence=["L99"])
    invented = run_scripted("linear", incident, invented_outputs)
    card = _score({"linear": [grounded], "rag": [invented]})
    assert _value(card, "grounding", "linear") == 1.0
    assert _value(card, "grounding", "rag") == pytest.approx(2 / 3)  # summary, diagnosis, step


def test_rca_top1_top3_and_category_on_a_correct_and_a_wrong_answer() -> None:
    incident = oom_incident()
    good = run_scripted("rag", incident, good_rag_outputs(incident))
    wrong_outputs = good_rag_outputs(incident)
    right = cause("oom", "E2", "checkout", ["L1", "E2"])
    wrong_outputs[Role.ROOT_CAUSE_ANALYSIS] = RCAOutput(
        root_cause=cause("oom", "E3", "frontend", ["L3", "E3"]),  # right category, wrong culprit
        alternatives=[cause("dns_failure", "E3", "frontend", ["L3"]), right],
    )
    wrong = run_scripted("rag", incident, wrong_outputs)
    card = _score({"rag": [good], "smart": [wrong]})
    assert _value(card, "rca_top1", "rag") == 1.0
    assert _value(card, "rca_top1", "smart") == 0.0
    assert _value(card, "rca_top3", "smart") == 1.0
    assert _value(card, "rca_category_top1", "smart") == 1.0
    kind = card.per_kind[0]
    assert (kind.kind, kind.truth, kind.detected) == ("oom_killed", 1, 1)
    assert kind.rca_top1 == {"rag": 1, "smart": 0}


def test_rag_hit_rate_uses_the_first_round_and_is_na_without_retrieval() -> None:
    incident = oom_incident()
    hit = run_scripted("rag", incident, good_rag_outputs(incident))
    miss_outputs = good_rag_outputs(incident)
    miss_outputs[Role.RETRIEVAL] = retrieval(["dns_failure", "ddos", "deadlock", "oom"])
    miss = run_scripted("rag", incident, miss_outputs)  # oom only 4th: outside the top 3
    linear = run_scripted("linear", incident, good_rag_outputs(incident))
    card = _score({"rag": [hit], "smart": [miss], "linear": [linear]})
    assert _value(card, "rag_hit_rate", "rag") == 1.0
    assert _value(card, "rag_hit_rate", "smart") == 0.0
    cell = card.row("rag_hit_rate").cells["linear"]
    assert cell.value is None
    assert cell.reason == "linear has no retrieval step"
    for key in ("rca_chain_correctness", "tool_call_accuracy", "evidence_validation_accuracy"):
        assert card.row(key).cells["linear"].value is None, key
        assert "n/a (linear" in format_cell(card.row(key).cells["linear"], "ratio")


def test_chain_correctness_requires_the_cause_first_in_time() -> None:
    incident = oom_incident()
    good = run_scripted("rag", incident, good_rag_outputs(incident))
    truth = parse_root_cause(oom_truth().root_cause)
    assert chain_correct(good, incident, truth, VOCAB)
    swapped = good_rag_outputs(incident)
    rca = swapped[Role.ROOT_CAUSE_ANALYSIS]
    assert isinstance(rca, RCAOutput)
    swapped[Role.ROOT_CAUSE_ANALYSIS] = rca.model_copy(
        update={
            "causal_chain": [
                Claim(text="checkout-7c9d5b-x2x9q ran out of memory", evidence=["L2", "E1"]),
                Claim(text="it was killed", evidence=["L1"]),  # earlier than the first claim
            ]
        }
    )
    out_of_order = run_scripted("rag", incident, swapped)
    assert not chain_correct(out_of_order, incident, truth, VOCAB)
    assert chain_failure(out_of_order, incident, truth, VOCAB) == "later_claim_cites_earlier_line"
    invented = good_rag_outputs(incident)
    invented[Role.ROOT_CAUSE_ANALYSIS] = rca.model_copy(
        update={"causal_chain": [Claim(text="checkout died", evidence=["E1", "L42"])]}
    )
    invented_run = run_scripted("rag", incident, invented)
    assert chain_failure(invented_run, incident, truth, VOCAB) == "claim_not_grounded"
    elsewhere = good_rag_outputs(incident)
    elsewhere[Role.ROOT_CAUSE_ANALYSIS] = rca.model_copy(
        update={"causal_chain": [Claim(text="frontend failed", evidence=["E3", "D1"])]}
    )
    elsewhere_run = run_scripted("rag", incident, elsewhere)
    assert chain_failure(elsewhere_run, incident, truth, VOCAB) == "first_claim_misses_culprit"
    card = _score({"rag": [good], "smart": [out_of_order]})
    assert _value(card, "rca_chain_correctness", "rag") == 1.0
    assert _value(card, "rca_chain_correctness", "smart") == 0.0
    detail = card.row("rca_chain_correctness").cells["smart"].detail
    assert detail == "0/1; failed: later_claim_cites_earlier_line x1"


def test_trajectory_coherence_flags_a_planner_that_contradicts_the_rca() -> None:
    incident = oom_incident()
    good = run_scripted("rag", incident, good_rag_outputs(incident))
    assert trajectory_coherence(good, VOCAB) == (2, 2, [])
    outputs = good_rag_outputs(incident)
    outputs[Role.PLANNER] = planner(cause("dns_failure", "E3", "frontend", ["L3"]))
    passed, applicable, failed = trajectory_coherence(run_scripted("rag", incident, outputs), VOCAB)
    assert (passed, applicable) == (1, 2)
    assert failed == ["diagnosis_agrees_with_rca"]


def test_smart_validation_accuracy_and_a_loop_that_adds_nothing() -> None:
    incident = oom_incident()
    outputs = good_rag_outputs(incident)
    rca = outputs[Role.ROOT_CAUSE_ANALYSIS]
    assert isinstance(rca, RCAOutput)
    # First round thin, second accepted: retrieval runs twice with the same documents.
    outputs[Role.VALIDATION] = [
        validation(incident, rca, "need_more_evidence"),
        validation(incident, rca, "accept"),
    ]
    looped = run_scripted("smart", incident, outputs)
    assert [s.role for s in looped.trajectory].count(Role.RETRIEVAL) == 2
    passed, applicable, failed = trajectory_coherence(looped, VOCAB)
    assert failed == ["retrieval_round_2_adds"]
    assert (passed, applicable) == (2, 3)
    wrongly_rejected = good_rag_outputs(incident)
    wrongly_rejected[Role.VALIDATION] = validation(incident, rca, "reject")
    rejected = run_scripted("smart", incident, wrongly_rejected)
    card = _score({"smart": [looped], "rag": [run_scripted("rag", incident, outputs)]})
    assert _value(card, "evidence_validation_accuracy", "smart") == 1.0  # accepts a correct RCA
    assert card.row("evidence_validation_accuracy").cells["smart"].detail == (
        "1/1; accepted 1 right + 0 wrong, held back 0 right + 0 wrong"
    )
    assert (
        card.row("evidence_validation_accuracy").cells["rag"].reason == "rag has no validation step"
    )
    card = _score({"smart": [rejected]})
    assert _value(card, "evidence_validation_accuracy", "smart") == 0.0


def test_tool_call_accuracy_step_success_and_cost() -> None:
    incident = oom_incident()
    outputs = good_rag_outputs(incident)
    outputs[Role.RETRIEVAL] = retrieval(
        ["oom"],
        tool_calls=[
            ToolCallRecord(tool="query_logs", arguments={"entity": "checkout"}, ok=True,
                           observations=["O1"]),
            ToolCallRecord(tool="query_logs", arguments={"entity": "ip-10-0-9-9"}, ok=True,
                           observations=["O2"]),  # not a ground-truth entity
            ToolCallRecord(tool="query_metrics", arguments={}, ok=False, error="down"),
        ],
    )  # fmt: skip
    analysis = run_scripted("rag", incident, outputs, backend="deterministic (fallback)")
    card = _score({"rag": [analysis]})
    assert _value(card, "tool_call_accuracy", "rag") == pytest.approx(1 / 3)
    assert _value(card, "step_success", "rag") == 0.0  # every step answered by the fallback
    assert _value(card, "cost_per_incident", "rag") == 0.0
    ttfr = _value(card, "time_to_first_response", "rag")
    assert ttfr is not None
    assert ttfr >= 0.0


def test_shared_detection_rows_purity_and_reviews() -> None:
    incident = oom_incident()
    second = oom_incident("inc-2")  # same truth, but the topology names another cause
    outputs = good_rag_outputs(incident)
    a1 = run_scripted("rag", incident, outputs)
    wrong = good_rag_outputs(second)
    wrong[Role.ROOT_CAUSE_ANALYSIS] = RCAOutput(
        root_cause=cause("dns_failure", "E3", "frontend", ["L3"])
    )
    a2 = run_scripted("rag", second, wrong)
    detection = DetectionMetrics(unit="window", tp=8, fp=2, fn=8, tn=82, precision=0.8,
                                 recall=0.5, f1=0.615, false_positive_rate=2 / 84)  # fmt: skip
    card = _score(
        {"rag": [a1, a2]},
        incidents=[incident, second],
        detection=detection,
        reviews={"rag": ReviewMeans(sheets=3, satisfaction_n=2, satisfaction_mean=4.5)},
    )
    assert _value(card, "precision", "rag") == pytest.approx(0.8)
    assert _value(card, "recall", "rag") == pytest.approx(0.5)
    assert _value(card, "fpr", "rag") == pytest.approx(2 / 84)
    assert _value(card, "incident_detection", "rag") == 1.0
    assert _value(card, "detection_latency", "rag") == pytest.approx(60.0)
    assert _value(card, "cluster_purity", "rag") == 1.0  # two groups, one kind each
    assert card.row("sequence_anomaly_accuracy").cells["rag"].value is None
    assert _value(card, "human_satisfaction", "rag") == 4.5
    assert card.row("audit_satisfaction").cells["rag"].value is None
    assert [r.key for r in card.rows] == [m.key for m in METRICS]


def test_sequence_anomaly_accuracy_counts_deeplogs_own_window_verdicts() -> None:
    incident = oom_incident()
    analyses = {"rag": [run_scripted("rag", incident, good_rag_outputs(incident))]}
    counts = {"tp": 8, "fp": 2, "fn": 8, "tn": 82}
    with_deeplog = DetectionMetrics(
        unit="window", **counts, precision=0.8, recall=0.5, f1=0.615,
        false_positive_rate=2 / 84,
        by_detector={
            "deeplog": ConfusionCounts(tp=6, fp=5, fn=10, tn=79),
            "lof": ConfusionCounts(tp=1, fp=0, fn=15, tn=84),
        },
    )  # fmt: skip
    cell = _score(analyses, detection=with_deeplog).row("sequence_anomaly_accuracy").cells["rag"]
    assert cell.value == pytest.approx(85 / 100)  # DeepLog's verdicts, not LOF's or the vote's
    assert cell.n == 100
    assert cell.detail == "85/100 windows; flagging nothing scores 0.840"
    without = with_deeplog.model_copy(update={"by_detector": {}})
    cell = _score(analyses, detection=without).row("sequence_anomaly_accuracy").cells["rag"]
    assert cell.value is None
    assert cell.reason is not None
    assert "--deep" in cell.reason


def test_renderers_write_every_metric_and_escape_labels() -> None:
    incident = oom_incident()
    card = _score({"linear": [run_scripted("linear", incident, good_rag_outputs(incident))]})
    md = render_scorecard_markdown(card)
    html = render_scorecard_html(card)
    for spec in METRICS:
        assert f"| {spec.label}" in md
        assert spec.label in html
    assert "n/a (linear has no retrieval step)" in md
    assert html.count("<svg") == 2
    assert "<script" not in html
    card.per_kind[0].kind = "<b>x</b>"
    assert "<b>x</b>" not in render_scorecard_html(card)
