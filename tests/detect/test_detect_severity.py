"""The severity rule maps scores and evidence to Critical/High/Medium/Low as documented."""

from __future__ import annotations

import pytest

from logswarm.detect import classify_severity, severity_rule
from logswarm.incidents import IncidentSeverity as S
from logswarm.records import Severity


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (1.01, S.LOW),
        (1.5, S.MEDIUM),
        (2.49, S.MEDIUM),
        (2.5, S.HIGH),
        (4.0, S.CRITICAL),
        (50, S.CRITICAL),
    ],
)
def test_score_bands(score: float, expected: S) -> None:
    assert classify_severity(score) is expected


def test_fatal_record_or_broad_agreement_bumps_one_level_once() -> None:
    assert classify_severity(1.2, record_severity=Severity.CRITICAL) is S.MEDIUM
    assert classify_severity(1.2, record_severity=Severity.ERROR) is S.LOW
    assert classify_severity(1.2, detectors_agreeing=3) is S.MEDIUM
    assert classify_severity(1.2, record_severity=Severity.ALERT, detectors_agreeing=4) is S.MEDIUM
    assert classify_severity(9.0, record_severity=Severity.EMERGENCY) is S.CRITICAL


def test_positional_rule_matches_keyword_function() -> None:
    assert severity_rule(2.6, Severity.CRITICAL, 1) is S.CRITICAL
