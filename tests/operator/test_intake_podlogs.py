"""Pod-log polling: each line once, across polls; bad lines kept; selectors and containers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from logswarm.api.v1alpha1 import PodLogSource
from logswarm.features import extract_entities
from logswarm.incidents import EntityKind
from logswarm.operator.intake.config import IntakeConfig
from logswarm.operator.intake.podlogs import PodLogPoller, PodRef, selector_string
from logswarm.records import Severity


class FakeReader:
    """A kubelet's log endpoint: ``since_seconds`` is honoured loosely (returns everything)."""

    def __init__(self) -> None:
        self.pods: dict[str | None, list[PodRef]] = {}
        self.logs: dict[tuple[str, str], list[str]] = {}
        self.calls: list[tuple[str, str, int]] = []
        self.selectors: list[str] = []

    def list_pods(self, namespace: str | None, selector: str) -> list[PodRef]:
        self.selectors.append(selector)
        return list(self.pods.get(namespace, []))

    def read(self, pod: PodRef, container: str, *, since_seconds: int) -> str:
        self.calls.append((pod.name, container, since_seconds))
        return "\n".join(self.logs.get((pod.name, container), []))


WEB = PodRef("shop", "web-1", ("web", "sidecar"), {"app": "storefront"}, "2026-11-25T05:00:00Z")


def poller(reader: FakeReader, **source: object) -> PodLogPoller:
    return PodLogPoller(
        reader,
        [PodLogSource.model_validate({"namespaces": ["shop"], **source})],
        default_namespace="shop",
        poll_seconds=15,
        backfill_seconds=900,
        max_pods=10,
    )


def test_lines_are_read_once_across_polls() -> None:
    reader = FakeReader()
    reader.pods["shop"] = [WEB]
    reader.logs[("web-1", "web")] = [
        "2026-11-25T06:00:00.000000001Z GET / 200",
        '2026-11-25T06:00:01.5Z {"level": "error", "msg": "db down", "ip": "10.0.0.7"}',
    ]
    p = poller(reader, container="web")
    first = p.poll()
    assert [r.message for r in first.records] == ["GET / 200", "db down"]
    assert first.records[1].severity == Severity.ERROR
    assert first.records[0].timestamp == datetime(2026, 11, 25, 6, 0, tzinfo=UTC).replace(
        microsecond=0
    )
    assert all(r.service == "storefront" for r in first.records)
    assert first.records[1].file == "pod/shop/web-1/web"
    assert first.records[1].line == 2
    entities = extract_entities(first.records[1])
    assert (EntityKind.POD, "web-1") in entities
    assert (EntityKind.IP, "10.0.0.7") in entities
    assert reader.calls[0] == ("web-1", "web", 900)  # backfill on first read
    reader.logs[("web-1", "web")].append("2026-11-25T06:00:20Z GET /cart 200")
    second = p.poll()
    assert [r.message for r in second.records] == ["GET /cart 200"]
    assert second.records[0].line == 3
    assert reader.calls[-1] == ("web-1", "web", 35)  # since the last poll, with slack


def test_only_the_named_container_is_read_and_the_selector_is_passed() -> None:
    reader = FakeReader()
    reader.pods["shop"] = [WEB]
    poller(reader, container="sidecar", selector={"matchLabels": {"tier": "fe", "app": "s"}}).poll()
    assert {c[1] for c in reader.calls} == {"sidecar"}
    assert reader.selectors == ["app=s,tier=fe"]


def test_a_line_without_a_kubelet_timestamp_is_a_dead_letter() -> None:
    reader = FakeReader()
    reader.pods["shop"] = [WEB]
    reader.logs[("web-1", "web")] = ["garbage without a time"]
    result = poller(reader, container="web").poll()
    assert not result.records
    (letter,) = result.dead_letters
    assert letter.reason == "no kubelet timestamp"
    assert letter.file == "pod/shop/web-1/web"


def test_a_failing_read_is_reported_and_the_rest_goes_on() -> None:
    class Flaky(FakeReader):
        def read(self, pod: PodRef, container: str, *, since_seconds: int) -> str:
            if container == "web":
                raise RuntimeError("403 Forbidden")
            return "2026-11-25T06:00:00Z sidecar ok"

    reader = Flaky()
    reader.pods["shop"] = [WEB]
    result = poller(reader).poll()
    assert [r.message for r in result.records] == ["sidecar ok"]
    assert result.errors == ["read shop/web-1/web: 403 Forbidden"]


def test_pods_are_capped_newest_first_and_gone_pods_forgotten() -> None:
    reader = FakeReader()
    old = PodRef("shop", "old", ("c",), {}, "2026-01-01T00:00:00Z")
    new = PodRef("shop", "new", ("c",), {}, "2026-06-01T00:00:00Z")
    reader.pods["shop"] = [old, new]
    p = poller(reader)
    p.max_pods = 1
    p.poll()
    assert [c[0] for c in reader.calls] == ["new"]
    reader.pods["shop"] = []
    p.poll()
    assert p._seen == {}


def test_selector_string_is_sorted() -> None:
    source = PodLogSource.model_validate({"selector": {"matchLabels": {"b": "2", "a": "1"}}})
    assert selector_string(source) == "a=1,b=2"


def test_intake_settings_come_from_the_environment() -> None:
    config = IntakeConfig.from_environ(
        {
            "LOGSWARM_NAMESPACE": "logswarm-system",
            "LOGSWARM_INTAKE_PORT": "9999",
            "LOGSWARM_INTAKE_ENABLED": "false",
            "LOGSWARM_INTAKE_DEFAULT_POOL": "core",
            "LOGSWARM_INTAKE_WINDOW_SECONDS": "30",
        }
    )
    assert (config.port, config.enabled, config.default_pool) == (9999, False, "core")
    assert config.namespace == "logswarm-system"
    assert config.stream.window_seconds == 30.0
    assert IntakeConfig.from_environ({}).enabled is True
    with pytest.raises(ValueError, match="boolean"):
        IntakeConfig.from_environ({"LOGSWARM_INTAKE_ENABLED": "maybe"})


def test_lines_of_one_write_share_a_timestamp_and_are_all_read_once() -> None:
    reader = FakeReader()
    reader.pods["shop"] = [WEB]
    trace = [
        "2026-11-25T06:00:05.123456789Z Traceback (most recent call last):",
        '2026-11-25T06:00:05.123456789Z   File "app.py", line 3',
    ]
    reader.logs[("web-1", "web")] = list(trace)
    p = poller(reader, container="web")
    assert len(p.poll().records) == 2
    reader.logs[("web-1", "web")].append("2026-11-25T06:00:05.123456789Z ValueError: boom")
    assert [r.message for r in p.poll().records] == ["ValueError: boom"]
    assert p.poll().records == []


@pytest.mark.asyncio
async def test_pod_logs_reach_the_detector_and_an_anomaly_becomes_an_incident() -> None:
    from logswarm.api.v1alpha1 import IncidentSource
    from logswarm.operator.intake.config import StreamConfig
    from logswarm.operator.intake.server import Intake, PoolKey
    from tests.operator.test_intake_server import FakeWriter
    from tests.operator.test_intake_stream import minutes

    reader = FakeReader()
    reader.pods["shop"] = [WEB]
    reader.logs[("web-1", "web")] = [
        f"{r.timestamp.strftime('%Y-%m-%dT%H:%M:%S.%fZ')} {r.message}"  # type: ignore[union-attr]
        for r in minutes(0, 20, anomalous={15})
    ]
    writer = FakeWriter()
    intake = Intake(IntakeConfig(stream=StreamConfig(n_estimators=25)), writer)
    await intake.start()
    try:
        result = poller(reader, container="web").poll()
        key = PoolKey("shop", "core", IncidentSource.DETECTOR)
        assert intake.accept(key, result.records, result.dead_letters)
        await intake.drained()
    finally:
        await intake.stop()
    ((detection, namespace, pool, source),) = writer.detections
    assert (namespace, pool, source) == ("shop", "core", IncidentSource.DETECTOR)
    assert detection.opened
    assert all(s.file == "pod/shop/web-1/web" for s in detection.incident.samples)
    assert ("pod", "web-1") in {(e.kind.value, e.value) for e in detection.incident.entities}
