"""The grounding checker: score = grounded claims / claims; invented ids and targets flagged."""

from __future__ import annotations

from logswarm.agents.contracts import Claim, PlanStep
from logswarm.agents.grounding import check_grounding, context_ids, split_plan_by_targets
from logswarm.incidents import EntityKind
from tests.agents.fakes import oom_incident


def _step(target: str, evidence: str, action: str = "restart_deployment") -> PlanStep:
    return PlanStep(
        order=1, action=action, target_kind=EntityKind.DEPLOYMENT, target=target,
        target_evidence=evidence, risk="low", rationale=Claim(text="r", evidence=[evidence]),
    )  # fmt: skip


def test_score_counts_fully_grounded_claims() -> None:
    incident = oom_incident()
    claims = [
        Claim(text="checkout ran out of memory", evidence=["L2", "E3"]),
        Claim(text="no citation"),
        Claim(text="half invented", evidence=["L1", "L99"]),
        Claim(text="retrieved runbook", evidence=["K1"]),
    ]
    report = check_grounding(claims, context=context_ids(incident))
    assert report.claims_total == 4
    assert report.claims_grounded == 1
    assert report.score == 0.25
    assert report.citations_total == 5
    assert report.citations_valid == 3
    reasons = {(h.reason, tuple(h.ids)) for h in report.hallucinations}
    assert reasons == {("uncited", ()), ("unknown_id", ("L99",)), ("unknown_id", ("K1",))}


def test_no_claims_scores_zero() -> None:
    assert check_grounding([], context={"L1"}).score == 0.0


def test_plan_targets_must_be_entities_of_the_right_kind() -> None:
    incident = oom_incident()  # E3 = deployment checkout, E2 = pod checkout-...
    good = _step("checkout", "E3")
    wrong_value = _step("prod", "E3")
    wrong_kind = _step("checkout-7c9d5b-x2x9q", "E2")
    unknown = _step("checkout", "E42")
    kept, rejected = split_plan_by_targets([good, wrong_value, wrong_kind, unknown], incident)
    assert kept == [good]
    assert rejected == [wrong_value, wrong_kind, unknown]
    report = check_grounding(
        [], context=context_ids(incident), steps=[good, unknown], incident=incident
    )
    assert [h.reason for h in report.hallucinations] == ["unknown_target"]
