"""Query metrics: Prometheus over its HTTP API, CloudWatch through an injected client.

The Reviewer verifies a fix from metrics and the RCA agent checks resource pressure; both ask a
:class:`MetricSource`. :class:`PrometheusMetrics` speaks Prometheus' ``/api/v1/query_range``
with httpx (the client is passed in, so tests use ``httpx.MockTransport`` or a real
Prometheus). :class:`CloudWatchMetrics` takes any object with boto3's ``get_metric_data``
method: boto3 itself stays out of :mod:`logswarm.agents`, the operator wires the real client.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from logswarm.agents.tools.base import ToolResult

__all__ = [
    "CloudWatchClient",
    "CloudWatchMetrics",
    "InMemoryMetrics",
    "MetricQuery",
    "MetricSeries",
    "MetricSource",
    "PrometheusMetrics",
]


class MetricQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(description="PromQL, or 'Namespace/MetricName' for CloudWatch")
    start: datetime
    end: datetime
    step_seconds: float = Field(default=60.0, gt=0)
    #: CloudWatch dimensions (ignored by Prometheus).
    dimensions: dict[str, str] = Field(default_factory=dict)
    statistic: str = "Average"


class MetricSeries(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: dict[str, str] = Field(default_factory=dict)
    points: list[tuple[datetime, float]] = Field(default_factory=list)

    def last(self) -> float | None:
        return self.points[-1][1] if self.points else None


class MetricSource(Protocol):
    def query_range(self, query: MetricQuery) -> ToolResult[list[MetricSeries]]: ...


class PrometheusMetrics:
    """Prometheus' HTTP API (``/api/v1/query_range``) through a caller-owned httpx client."""

    def __init__(self, *, base_url: str, client: httpx.Client) -> None:
        self._base = base_url.rstrip("/")
        self._client = client

    def query_range(self, query: MetricQuery) -> ToolResult[list[MetricSeries]]:
        params = {
            "query": query.query,
            "start": f"{query.start.timestamp():.3f}",
            "end": f"{query.end.timestamp():.3f}",
            "step": f"{query.step_seconds:g}",
        }
        try:
            response = self._client.get(f"{self._base}/api/v1/query_range", params=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as e:
            return ToolResult.failure("query_metrics", e)
        if response.status_code != httpx.codes.OK or body.get("status") != "success":
            message = body.get("error") or f"HTTP {response.status_code}"
            return ToolResult.failure("query_metrics", f"prometheus: {message}")
        series: list[MetricSeries] = []
        for item in body.get("data", {}).get("result", []):
            points = [
                (datetime.fromtimestamp(float(t), tz=query.start.tzinfo), float(v))
                for t, v in item.get("values", [])
                if not math.isnan(float(v))
            ]
            series.append(MetricSeries(labels=dict(item.get("metric", {})), points=points))
        return ToolResult.success("query_metrics", series)


class CloudWatchClient(Protocol):
    """The one boto3 CloudWatch method used; a real ``boto3.client("cloudwatch")`` fits."""

    def get_metric_data(self, **kwargs: Any) -> Mapping[str, Any]: ...


class CloudWatchMetrics:
    """CloudWatch ``GetMetricData`` through an injected client (boto3 or a fake)."""

    def __init__(self, *, client: CloudWatchClient) -> None:
        self._client = client

    def query_range(self, query: MetricQuery) -> ToolResult[list[MetricSeries]]:
        namespace, _, name = query.query.rpartition("/")
        if not namespace or not name:
            return ToolResult.failure(
                "query_metrics", f"expected 'Namespace/MetricName', got {query.query!r}"
            )
        request = {
            "MetricDataQueries": [
                {
                    "Id": "m0",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": namespace,
                            "MetricName": name,
                            "Dimensions": [
                                {"Name": k, "Value": v} for k, v in query.dimensions.items()
                            ],
                        },
                        "Period": max(60, int(query.step_seconds)),
                        "Stat": query.statistic,
                    },
                }
            ],
            "StartTime": query.start,
            "EndTime": query.end,
        }
        try:
            answer = self._client.get_metric_data(**request)
        except Exception as e:
            return ToolResult.failure("query_metrics", e)
        series: list[MetricSeries] = []
        for result in answer.get("MetricDataResults", []):
            pairs = sorted(
                zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
            )
            series.append(
                MetricSeries(
                    labels={"id": str(result.get("Id", "")), **query.dimensions},
                    points=[(t, float(v)) for t, v in pairs],
                )
            )
        return ToolResult.success("query_metrics", series)


class InMemoryMetrics:
    """Fixed series per query string: for the CLI's demo and for tests."""

    def __init__(self, series: Mapping[str, Sequence[MetricSeries]]) -> None:
        self._series = {k: list(v) for k, v in series.items()}

    def query_range(self, query: MetricQuery) -> ToolResult[list[MetricSeries]]:
        if query.query not in self._series:
            return ToolResult.failure("query_metrics", f"no such series: {query.query}")
        out = [
            MetricSeries(
                labels=s.labels,
                points=[(t, v) for t, v in s.points if query.start <= t <= query.end],
            )
            for s in self._series[query.query]
        ]
        return ToolResult.success("query_metrics", out)
