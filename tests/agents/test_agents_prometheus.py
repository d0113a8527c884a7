"""The metrics tool against a real Prometheus (prometheus tier)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from logswarm.agents.tools import MetricQuery, PrometheusMetrics
from tests.support.prometheus import GAUGE_NAME, RunningPrometheus

pytestmark = pytest.mark.prometheus


def test_query_range_reads_what_prometheus_scraped(prometheus: RunningPrometheus) -> None:
    prometheus.gauge.labels(case="agents-tool").set(0.42)
    query = f'{GAUGE_NAME}{{case="agents-tool"}}'
    prometheus.wait_for(query, 0.42)
    now = datetime.now(UTC)
    with httpx.Client(timeout=10) as client:
        metrics = PrometheusMetrics(base_url=prometheus.url, client=client)
        result = metrics.query_range(
            MetricQuery(query=query, start=now - timedelta(minutes=2), end=now, step_seconds=1)
        )
        broken = metrics.query_range(MetricQuery(query="sum(", start=now, end=now))
    assert result.ok, result.error
    assert result.value is not None
    assert result.value[0].labels["case"] == "agents-tool"
    assert result.value[0].last() == 0.42
    assert not broken.ok
    assert broken.error is not None
    assert broken.error.startswith("prometheus:")
