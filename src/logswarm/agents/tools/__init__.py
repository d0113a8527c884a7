"""Tools agents call instead of guessing: logs, metrics, and cluster objects.

Each tool is typed (pydantic arguments and results) and returns a
:class:`~logswarm.agents.tools.base.ToolResult` — errors included, as data. :class:`Toolbox`
bundles whichever sources a run has (any may be missing: the tool then answers with an
error, and the agent carries on with the evidence it has).
"""

from __future__ import annotations

from dataclasses import dataclass

from logswarm.agents.tools.base import ToolResult
from logswarm.agents.tools.kube import (
    ClusterReader,
    ConfigMapView,
    InMemoryClusterReader,
    ObjectNotFoundError,
    ObjectWithEvents,
    Revision,
    deployment_history,
    get_configmap,
    get_object_with_events,
)
from logswarm.agents.tools.logs import LogHit, LogQuery, LogQueryResult, LogSource, RecordStore
from logswarm.agents.tools.metrics import (
    CloudWatchClient,
    CloudWatchMetrics,
    InMemoryMetrics,
    MetricQuery,
    MetricSeries,
    MetricSource,
    PrometheusMetrics,
)

__all__ = [
    "CloudWatchClient",
    "CloudWatchMetrics",
    "ClusterReader",
    "ConfigMapView",
    "InMemoryClusterReader",
    "InMemoryMetrics",
    "LogHit",
    "LogQuery",
    "LogQueryResult",
    "LogSource",
    "MetricQuery",
    "MetricSeries",
    "MetricSource",
    "ObjectNotFoundError",
    "ObjectWithEvents",
    "PrometheusMetrics",
    "RecordStore",
    "Revision",
    "ToolResult",
    "Toolbox",
]


@dataclass(frozen=True, slots=True)
class Toolbox:
    """The data sources of one run. A missing source makes its tool answer with an error."""

    logs: LogSource | None = None
    metrics: MetricSource | None = None
    cluster: ClusterReader | None = None

    def query_logs(self, query: LogQuery) -> ToolResult[LogQueryResult]:
        if self.logs is None:
            return ToolResult.failure("query_logs", "no log source configured for this run")
        return self.logs.query(query)

    def query_metrics(self, query: MetricQuery) -> ToolResult[list[MetricSeries]]:
        if self.metrics is None:
            return ToolResult.failure("query_metrics", "no metric source configured for this run")
        return self.metrics.query_range(query)

    def get_object(self, *, kind: str, namespace: str, name: str) -> ToolResult[ObjectWithEvents]:
        if self.cluster is None:
            return ToolResult.failure("get_object", "no cluster reader configured for this run")
        return get_object_with_events(self.cluster, kind=kind, namespace=namespace, name=name)

    def deployment_history(self, *, namespace: str, name: str) -> ToolResult[list[Revision]]:
        if self.cluster is None:
            return ToolResult.failure(
                "deployment_history", "no cluster reader configured for this run"
            )
        return deployment_history(self.cluster, namespace=namespace, name=name)

    def get_configmap(self, *, namespace: str, name: str) -> ToolResult[ConfigMapView]:
        if self.cluster is None:
            return ToolResult.failure("get_configmap", "no cluster reader configured for this run")
        return get_configmap(self.cluster, namespace=namespace, name=name)
