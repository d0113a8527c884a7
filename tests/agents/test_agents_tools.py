"""Tools: typed queries, real HTTP for Prometheus' API, injected clients, errors as data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from logswarm.agents.tools import (
    CloudWatchMetrics,
    InMemoryClusterReader,
    InMemoryMetrics,
    LogQuery,
    MetricQuery,
    MetricSeries,
    PrometheusMetrics,
    RecordStore,
    Toolbox,
    ToolResult,
)
from logswarm.records import Severity
from tests.agents.fakes import T0, oom_incident, records_for

STORE = RecordStore(records_for(oom_incident()))


def test_query_logs_by_time_entity_severity_and_text() -> None:
    by_entity = STORE.query(LogQuery(entity="frontend-5f6d-abcde"))
    assert by_entity.ok
    assert by_entity.value is not None
    assert by_entity.value.total == 2
    window = STORE.query(LogQuery(start=T0 + timedelta(minutes=2), end=T0 + timedelta(minutes=3)))
    assert window.value is not None
    assert [h.line for h in window.value.hits] == [102, 103, 104]
    errors = STORE.query(LogQuery(min_severity=Severity.CRITICAL))
    assert errors.value is not None
    assert errors.value.total == 1
    limited = STORE.query(LogQuery(contains="checkout", limit=2))
    assert limited.value is not None
    assert limited.value.total == 6
    assert len(limited.value.hits) == 2
    by_service = STORE.query(LogQuery(service="frontend"))
    assert by_service.value is not None
    assert by_service.value.total == 2


def test_query_logs_reports_a_bad_window_as_data() -> None:
    result = STORE.query(LogQuery(start=T0, end=T0 - timedelta(minutes=1)))
    assert not result.ok
    assert result.error
    assert "after" in result.error


def test_missing_sources_answer_with_errors_not_exceptions() -> None:
    box = Toolbox()
    results: list[ToolResult[Any]] = [
        box.query_logs(LogQuery()),
        box.query_metrics(MetricQuery(query="up", start=T0, end=T0)),
        box.get_object(kind="Pod", namespace="default", name="x"),
        box.deployment_history(namespace="default", name="x"),
        box.get_configmap(namespace="default", name="x"),
    ]
    assert all(not r.ok and r.error for r in results)


def test_prometheus_query_range_over_http() -> None:
    seen: list[httpx.Request] = []

    def prometheus(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params["query"] == "bad(":
            return httpx.Response(
                400, json={"status": "error", "errorType": "bad_data", "error": "parse error"}
            )
        start = float(request.url.params["start"])
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"pod": "checkout-1"}, "values": [[start, "3"], [start + 60, "NaN"], [start + 120, "0"]]},
        ]}})  # fmt: skip

    with httpx.Client(transport=httpx.MockTransport(prometheus)) as client:
        prom = PrometheusMetrics(base_url="http://prometheus:9090/", client=client)
        ok = prom.query_range(
            MetricQuery(query="kube_pod_restarts", start=T0, end=T0 + timedelta(minutes=5))
        )
        bad = prom.query_range(MetricQuery(query="bad(", start=T0, end=T0))
    assert ok.ok
    assert ok.value is not None
    assert ok.value[0].labels == {"pod": "checkout-1"}
    assert [v for _, v in ok.value[0].points] == [3.0, 0.0]
    assert seen[0].url.path == "/api/v1/query_range"
    assert seen[0].url.params["step"] == "60"
    assert not bad.ok
    assert bad.error == "prometheus: parse error"


def test_prometheus_unreachable_is_data() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as client:
        result = PrometheusMetrics(base_url="http://p", client=client).query_range(
            MetricQuery(query="up", start=T0, end=T0)
        )
    assert not result.ok
    assert result.error_type == "ConnectError"


class FakeCloudWatch:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def get_metric_data(self, **kwargs: Any) -> Mapping[str, Any]:
        self.calls.append(kwargs)
        if kwargs["MetricDataQueries"][0]["MetricStat"]["Metric"]["MetricName"] == "Boom":
            raise RuntimeError("AccessDenied")
        return {
            "MetricDataResults": [
                {"Id": "m0", "Timestamps": [T0 + timedelta(minutes=1), T0], "Values": [2.0, 1.0]}
            ]
        }


def test_cloudwatch_through_an_injected_client() -> None:
    cw = FakeCloudWatch()
    metrics = CloudWatchMetrics(client=cw)
    result = metrics.query_range(
        MetricQuery(
            query="AWS/Lambda/Throttles",
            start=T0,
            end=T0,
            dimensions={"FunctionName": "f"},
            statistic="Sum",
        )
    )
    assert result.ok
    assert result.value is not None
    assert [v for _, v in result.value[0].points] == [1.0, 2.0]  # sorted by time
    stat = cw.calls[0]["MetricDataQueries"][0]["MetricStat"]
    assert stat["Metric"]["Namespace"] == "AWS/Lambda"
    assert stat["Stat"] == "Sum"
    assert stat["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": "f"}]
    assert not metrics.query_range(MetricQuery(query="AWS/Lambda/Boom", start=T0, end=T0)).ok
    assert not metrics.query_range(MetricQuery(query="nonamespace", start=T0, end=T0)).ok


def test_in_memory_metrics_filter_by_window() -> None:
    series = MetricSeries(labels={}, points=[(T0, 1.0), (T0 + timedelta(hours=1), 2.0)])
    metrics = InMemoryMetrics({"up": [series]})
    result = metrics.query_range(MetricQuery(query="up", start=T0, end=T0 + timedelta(minutes=5)))
    assert result.value is not None
    assert result.value[0].points == [(T0, 1.0)]


def _cluster() -> InMemoryClusterReader:
    deployment = {"kind": "Deployment", "metadata": {"name": "payments", "namespace": "shop"}}

    def rs(rev: int, image: str) -> dict[str, Any]:
        return {
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"payments-{rev}", "namespace": "shop",
                "annotations": {"deployment.kubernetes.io/revision": str(rev), "kubernetes.io/change-cause": f"deploy {image}"},
                "ownerReferences": [{"kind": "Deployment", "name": "payments"}],
            },
            "spec": {"template": {"spec": {"containers": [{"image": image}]}}},
        }  # fmt: skip

    configmap = {
        "kind": "ConfigMap",
        "metadata": {"name": "payments-config", "namespace": "shop", "resourceVersion": "7"},
        "data": {"POOL_SIZE": "5"},
    }
    events = [
        {"involvedObject": {"kind": "Deployment", "name": "payments", "namespace": "shop"}, "reason": "ScalingReplicaSet", "lastTimestamp": "2026-03-01T12:00:30Z"},
        {"involvedObject": {"kind": "Pod", "name": "other", "namespace": "shop"}, "reason": "Pulled"},
    ]  # fmt: skip
    return InMemoryClusterReader(
        [deployment, rs(13, "payments:2.3.9"), rs(14, "payments:2.4.0"), configmap], events
    )


def test_kubernetes_object_history_and_configmap() -> None:
    box = Toolbox(cluster=_cluster())
    obj = box.get_object(kind="Deployment", namespace="shop", name="payments")
    assert obj.ok
    assert obj.value is not None
    assert [e["reason"] for e in obj.value.events] == ["ScalingReplicaSet"]
    history = box.deployment_history(namespace="shop", name="payments")
    assert history.value is not None
    assert [(r.revision, r.images) for r in history.value] == [
        (14, ["payments:2.4.0"]),
        (13, ["payments:2.3.9"]),
    ]
    assert history.value[0].change_cause == "deploy payments:2.4.0"
    cm = box.get_configmap(namespace="shop", name="payments-config")
    assert cm.value is not None
    assert cm.value.data == {"POOL_SIZE": "5"}
    assert cm.value.resource_version == "7"
    missing = box.get_object(kind="Pod", namespace="shop", name="ghost")
    assert not missing.ok
    assert missing.error_type == "ObjectNotFoundError"
    assert not box.deployment_history(namespace="shop", name="ghost").ok
