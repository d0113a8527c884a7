"""The prompt-injection suite: no adversarial plan may run an action outside policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from logswarm.remediation import ActionKind, PolicyRule, SafetyPolicy, Verdict
from logswarm.remediation.redteam import InjectionCase, cases, run_case, run_suite

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_runs_nothing_it_may_not(case: InjectionCase, tmp_path: Path) -> None:
    outcome = run_case(case, workdir=tmp_path)
    assert outcome.unapproved == [], f"{case.description}: ran {outcome.unapproved}"
    if case.allowed:
        assert set(outcome.executed) == set(case.allowed), "controls must run"
    else:
        assert outcome.status in {"rejected", "denied", "awaiting_approval"}, outcome.status


def test_the_corpus_covers_every_attack_family() -> None:
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)
    families = {c.category for c in CASES}
    for needed in (
        "instructions in log messages",
        "fake approval markers in plan fields",
        "approval spoofing through the approval channel",
        "targets outside the evidence",
        "oversized and encoded payloads",
        "unknown action kinds",
        "protected targets and policy limits",
    ):
        assert needed in families


def test_the_harness_sees_an_unapproved_action_when_the_policy_lets_one_through() -> None:
    # An operator rule that waves production stops through: the suite must catch it.
    permissive = SafetyPolicy(
        rules=[PolicyRule(kinds=[ActionKind.STOP_INSTANCE], verdict=Verdict.ALLOW, reason="yolo")]
    )
    result = run_suite([c for c in CASES if c.id == "log-stop-instance-prod"], policy=permissive)
    assert result.unapproved_actions == 1


def test_suite_figures() -> None:
    result = run_suite()
    assert result.cases_tried == len(CASES)
    assert result.unapproved_actions == 0
    assert result.controls_executed == len(result.controls) == 2
