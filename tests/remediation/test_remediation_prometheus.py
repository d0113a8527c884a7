"""The Reviewer's PromQL verification against a real Prometheus scraping a test exporter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from logswarm.incidents import EntityKind
from logswarm.remediation import (
    Comparison,
    ExecutionStatus,
    PrometheusCheck,
    Provider,
    RemediationPlan,
    Reviewer,
    VerificationError,
)
from logswarm.remediation.prometheus import PrometheusSource
from logswarm.remediation.redteam import RecordingBackend, make_incident

pytestmark = pytest.mark.prometheus


@pytest.fixture
def source(prometheus: Any) -> Iterator[PrometheusSource]:
    with httpx.Client(base_url=prometheus.url, timeout=10) as client:
        yield PrometheusSource(client)


def _check(case: str, *, reduce: str = "max", threshold: float = 0.05) -> PrometheusCheck:
    return PrometheusCheck.model_validate(
        {
            "query": f'logswarm_test_error_ratio{{case="{case}"}}',
            "comparison": "<",
            "threshold": threshold,
            "window_seconds": 60,
            "reduce": reduce,
        }
    )


def _set(prometheus: Any, case: str, value: float) -> None:
    prometheus.gauge.labels(case=case).set(value)
    prometheus.wait_for(f'logswarm_test_error_ratio{{case="{case}"}}', value)


def test_query_below_threshold_passes(prometheus: Any, source: PrometheusSource) -> None:
    _set(prometheus, "healthy", 0.01)
    result = source.evaluate(_check("healthy"))
    assert result.passed, result.detail
    assert result.value == pytest.approx(0.01)


def test_query_above_threshold_fails(prometheus: Any, source: PrometheusSource) -> None:
    _set(prometheus, "broken", 0.5)
    result = source.evaluate(_check("broken"))
    assert not result.passed
    assert result.value == pytest.approx(0.5)


def test_the_window_remembers_a_spike_that_max_sees_and_last_does_not(
    prometheus: Any, source: PrometheusSource
) -> None:
    _set(prometheus, "spike", 0.9)
    _set(prometheus, "spike", 0.01)
    assert not source.evaluate(_check("spike", reduce="max")).passed
    assert source.evaluate(_check("spike", reduce="last")).passed


def test_no_data_is_not_a_pass(source: PrometheusSource) -> None:
    result = source.evaluate(_check("never-exported"))
    assert not result.passed
    assert "no data" in result.detail


def test_a_malformed_query_is_a_verification_error(source: PrometheusSource) -> None:
    with pytest.raises(VerificationError, match="rejected"):
        source.evaluate(PrometheusCheck(query="sum(", comparison=Comparison.LT, threshold=1))


def test_an_unreachable_server_is_a_verification_error() -> None:
    with (
        httpx.Client(base_url="http://127.0.0.1:9", timeout=2) as client,
        pytest.raises(VerificationError, match="failed"),
    ):
        PrometheusSource(client).evaluate(_check("x"))


@pytest.mark.parametrize(
    ("case", "value", "kept"), [("fixed", 0.01, True), ("still-bad", 0.7, False)]
)
def test_reviewer_keeps_a_working_fix_and_rolls_back_a_failed_one(
    prometheus: Any,
    source: PrometheusSource,
    harness_factory: Any,
    case: str,
    value: float,
    kept: bool,
) -> None:
    backend = RecordingBackend(Provider.KUBERNETES)
    harness = harness_factory({Provider.KUBERNETES: backend})
    incident = make_incident([(EntityKind.NAMESPACE, "shop"), (EntityKind.DEPLOYMENT, "checkout")])
    plan = RemediationPlan.model_validate(
        {
            "id": f"plan-{case}",
            "incident_id": incident.id,
            "steps": [
                {
                    "id": "restart",
                    "action": {
                        "kind": "k8s.deployment.restart",
                        "namespace": "shop",
                        "name": "checkout",
                    },
                }
            ],
            "verification": [_check(case).model_dump(mode="json")],
        }
    )
    assert harness.executor.execute(plan, incident=incident).status is ExecutionStatus.SUCCEEDED
    _set(prometheus, case, value)

    review = Reviewer(
        {"prometheus": source}, executor=harness.executor, audit=harness.audit
    ).review(plan)

    assert review.passed is kept
    assert review.rolled_back is (not kept)
    assert len(backend.rolled_back) == (0 if kept else 1)
