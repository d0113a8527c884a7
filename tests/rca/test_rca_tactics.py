"""Tactic classification from CloudTrail evidence (event names, errors, request keys)."""

from __future__ import annotations

from typing import Any

from logswarm.rca.tactics import classify_events, confusion, event_votes


def _ev(name: str, source: str = "ec2.amazonaws.com", **extra: Any) -> dict[str, Any]:
    return {"eventName": name, "eventSource": source, **extra}


def test_logging_tampering_is_defense_evasion() -> None:
    tactic, _ = classify_events(
        [_ev("AssumeRole", "sts.amazonaws.com"), _ev("StopLogging", "cloudtrail.amazonaws.com")]
    )
    assert tactic == "Defense Evasion"


def test_supporting_calls_do_not_vote() -> None:
    assert event_votes(_ev("AssumeRole", "sts.amazonaws.com")) is None
    assert classify_events([_ev("GetCallerIdentity", "sts.amazonaws.com")]) == (None, {})


def test_denied_sweep_of_a_read_counts_in_full() -> None:
    sweep = [
        _ev("DescribeInstanceAttribute", errorCode="Client.UnauthorizedOperation") for _ in range(6)
    ]
    tactic, votes = classify_events([*sweep, _ev("StartInstances")])
    assert tactic == "Discovery"
    assert votes["Discovery"] == 6.0


def test_user_data_change_is_execution_only_with_user_data_key() -> None:
    assert event_votes(_ev("ModifyInstanceAttribute", requestParameters={"userData": {}})) == (
        "Execution",
        1.0,
    )
    assert event_votes(_ev("ModifyInstanceAttribute", requestParameters={"groupSet": {}})) == (
        "Execution",
        0.5,
    )


def test_technique_strings_in_the_event_are_not_read() -> None:
    leaky = _ev(
        "GetSecretValue",
        "secretsmanager.amazonaws.com",
        userAgent="stratus-red-team_persistence-iam-backdoor",
        userIdentity={"arn": "arn:aws:sts::1:assumed-role/stratus-red-team-exfiltration-role/x"},
    )
    assert classify_events([leaky])[0] == "Credential Access"


def test_confusion_counts_only_misses() -> None:
    pairs = [(["Execution"], "Discovery"), (["Persistence", "Privilege Escalation"], "Persistence")]
    assert confusion(pairs) == {("Execution", "Discovery"): 1}
