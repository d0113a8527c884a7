"""Container logs: CRI (with partial lines), Docker JSON, kubelet path metadata, JSON payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logswarm.ingest.container import metadata_from_path, workload_of
from logswarm.records import Severity, SourceKind

POD_DIR = "var/log/pods/shop_checkout-7d9f8b6c5d-x2x7k_5f0c1c1e-8a6b-4c1e-9d5e-2b7f1a3c4d5e"


def _write(tmp_path: Path, rel: str, lines: list[str]) -> Path:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_cri_golden_with_kubelet_path(parse_files, tmp_path, dead) -> None:
    path = _write(
        tmp_path,
        f"{POD_DIR}/checkout/0.log",
        [
            "2024-01-01T00:00:00.123456789Z stdout F GET /cart 200 12ms",
            "2024-01-01T00:00:01.000000000Z stderr P first half of a long ",
            "2024-01-01T00:00:01.500000000Z stdout F interleaved on stdout",
            "2024-01-01T00:00:02.000000000Z stderr F second half",
            '2024-01-01T00:00:03Z stdout F {"level":"error","msg":"payment failed","order":42}',
            "not a cri line",
        ],
    )
    a, b, c, d = parse_files([path])
    assert a.source is SourceKind.CONTAINER
    assert a.timestamp == datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert (a.message, a.service, a.line) == ("GET /cart 200 12ms", "checkout", 1)
    assert a.fields == {
        "namespace": "shop",
        "pod": "checkout-7d9f8b6c5d-x2x7k",
        "uid": "5f0c1c1e-8a6b-4c1e-9d5e-2b7f1a3c4d5e",
        "container": "checkout",
        "stream": "stdout",
    }
    assert (b.message, b.line) == ("interleaved on stdout", 3)
    # the partial is joined and located where it started
    assert (c.message, c.line, c.fields["stream"]) == (
        "first half of a long second half",
        2,
        "stderr",
    )
    assert (d.message, d.severity, d.fields["order"]) == ("payment failed", Severity.ERROR, 42)
    assert d.fields["pod"] == "checkout-7d9f8b6c5d-x2x7k"
    [letter] = dead.letters
    assert (letter.line, letter.raw) == (6, "not a cri line")
    assert letter.reason.startswith("not a CRI log line")


def test_docker_json_with_containers_path(parse_files, tmp_path) -> None:
    cid = "a" * 64
    path = _write(
        tmp_path,
        f"var/log/containers/api-0_prod_server-{cid}.log",
        [
            json.dumps({"log": "listening on :8080\n", "stream": "stdout",
                        "time": "2024-02-01T12:00:00.000000001Z"}),
            json.dumps({"log": "part one ", "stream": "stdout", "time": "2024-02-01T12:00:01Z"}),
            json.dumps({"log": "part two\n", "stream": "stdout", "time": "2024-02-01T12:00:01Z"}),
            json.dumps({"log": "WARN cache miss ratio high\n", "stream": "stderr",
                        "time": "2024-02-01T12:00:02Z"}),
        ],
    )  # fmt: skip
    a, b, c = parse_files([path])
    assert (a.message, a.service, a.fields["namespace"]) == ("listening on :8080", "api", "prod")
    assert a.fields["container_id"] == cid
    assert (b.message, b.line) == ("part one part two", 2)
    assert c.severity is Severity.WARNING


def test_unterminated_partial_is_kept_and_marked(parse_lines) -> None:
    [rec] = parse_lines(["2024-01-01T00:00:00Z stdout P cut off"], fmt="container")
    assert rec.message == "cut off"
    assert rec.fields["partial"] is True


@pytest.mark.parametrize(
    ("pod", "workload"),
    [
        ("checkout-7d9f8b6c5d-x2x7k", "checkout"),
        ("redis-0", "redis"),
        ("fluent-bit-4xk9z", "fluent-bit"),
        ("standalone", "standalone"),
    ],
)
def test_workload_of(pod, workload) -> None:
    assert workload_of(pod) == workload


def test_no_metadata_outside_kubelet_paths() -> None:
    assert metadata_from_path("/tmp/app.log") == {}
