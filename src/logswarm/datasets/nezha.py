"""Nezha (FSE'23) TrainTicket RCA data: logs, traces, metrics and labelled faults of one day.

The published snapshot is a pair of ``.tar.xz`` archives (``rca_data_<day>.tar.xz`` with the
fault windows and per-pod metrics, ``construct_data_*_faultfree_*.tar.xz`` with minutes of normal
operation). This module streams them with :mod:`tarfile` and parses the CSV members as they go
by: nothing is extracted into the repository and nothing is downloaded. The parsed form is small
enough (a few hundred thousand rows) that no on-disk cache is needed.

Layout facts the loader relies on (see the dataset's PROVENANCE.md, "Clocks and windows"):

- log CSV ``Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log`` where ``Log`` is a
  Docker JSON record whose ``log`` text starts ``HH:MM:SS.mmm LEVEL logger#line ...`` on a UTC+8
  wall clock; ``TimeUnixNano`` is UTC and is the clock used here;
- trace CSV ``TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,
  Duration`` (``ParentID`` is ``root`` for a root span);
- metric CSV per pod with a ``TimeStamp`` (UTC seconds) column and numeric columns;
- the fault list's ``inject_time`` is UTC and reliable; ``inject_timestamp`` is not and is ignored.

The template of a TrainTicket log line is its logging statement (``logger#line``), which is what
Nezha's own inner-service labels are expressed in; lines without that prefix fall back to a
masked text template.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

__all__ = [
    "FAULT_FREE_ARCHIVE",
    "FAULT_LIST",
    "LogLine",
    "NezhaDay",
    "NezhaFault",
    "PodMetrics",
    "Span",
    "line_template",
    "load_nezha_day",
    "nezha_dir",
    "parse_fault_list",
    "read_log_csv",
    "read_metric_csv",
    "read_trace_csv",
]

FAULT_LIST = "labels/2023-01-29-fault_list.json"
FAULT_FREE_ARCHIVE = "construct_data_2023-01-29_30_faultfree_no_metric.tar.xz"
_NS = 1_000_000_000

_PREFIX = re.compile(r"^\s*\d{2}:\d{2}:\d{2}(?:\.\d+)?\s+([A-Z]+)\s+(\S+#\d+)")
_LEVEL_ANY = re.compile(r"\b(ERROR|WARN|WARNING|INFO|DEBUG|TRACE|FATAL)\b")
_MASK = re.compile(r"[0-9a-fA-F]{8,}|\d+")


@dataclass(frozen=True, slots=True)
class NezhaFault:
    """One injected fault: when (UTC), where (pod), what (type; a label, never an input)."""

    index: int
    inject_ns: int
    pod: str
    fault_type: str

    @property
    def inject_time(self) -> datetime:
        return datetime.fromtimestamp(self.inject_ns / _NS, tz=UTC)


@dataclass(frozen=True, slots=True)
class LogLine:
    ts_ns: int
    pod: str
    trace_id: str
    span_id: str
    level: str
    template: str
    message: str


@dataclass(frozen=True, slots=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str
    pod: str
    operation: str
    start_ns: int
    end_ns: int

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns


@dataclass(slots=True)
class PodMetrics:
    """One pod's 1-minute metric samples: ``times`` (UTC seconds) and one list per column."""

    pod: str
    times: list[int] = field(default_factory=list)
    columns: dict[str, list[float]] = field(default_factory=dict)


@dataclass(slots=True)
class NezhaDay:
    """Everything the ranker sees for one day, plus the labelled faults for scoring."""

    day: str
    faults: list[NezhaFault]
    logs: list[LogLine]
    spans: list[Span]
    metrics: dict[str, PodMetrics]
    normal_logs: list[LogLine]
    normal_spans: list[Span]


def nezha_dir(root: Path) -> Path:
    """The dataset folder under a datasets root, or :class:`DatasetMissingError`."""
    path = root / "nezha_trainticket_rca"
    if not (path / FAULT_LIST).is_file():
        from logswarm.datasets import DatasetMissingError

        raise DatasetMissingError(
            f"{path} not found; pass --datasets PATH or set LOGSWARM_DATASETS to the folder "
            "that holds nezha_trainticket_rca/"
        )
    return path


def line_template(text: str) -> tuple[str, str]:
    """(level, template) of one log text: the ``logger#line`` statement when present."""
    m = _PREFIX.match(text)
    if m:
        return m.group(1), m.group(2)
    lv = _LEVEL_ANY.search(text[:120])
    level = lv.group(1) if lv else "INFO"
    if level == "WARNING":
        level = "WARN"
    return level, _MASK.sub("<*>", text.strip())[:120]


def parse_fault_list(data: bytes | str) -> list[NezhaFault]:
    """The fault list JSON (``{"HH": [{inject_time, inject_pod, inject_type, ...}]}``), in time order.

    ``inject_timestamp`` is deliberately ignored (unreliable in this snapshot).
    """
    raw = json.loads(data)
    items: list[tuple[int, str, str]] = []
    for group in raw.values():
        for entry in group:
            when = datetime.strptime(entry["inject_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            items.append((int(when.timestamp()) * _NS, entry["inject_pod"], entry["inject_type"]))
    items.sort()
    return [NezhaFault(i, ns, pod, kind) for i, (ns, pod, kind) in enumerate(items)]


def _text(fh: IO[bytes]) -> io.TextIOWrapper:
    return io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")


def read_log_csv(fh: IO[bytes]) -> Iterator[LogLine]:
    """Log lines of one minute-file (binary stream)."""
    for row in csv.DictReader(_text(fh)):
        raw = row.get("Log") or ""
        try:
            doc = json.loads(raw)
            text = doc.get("log", raw) if isinstance(doc, dict) else raw
        except json.JSONDecodeError:
            text = raw
        level, template = line_template(str(text))
        yield LogLine(
            ts_ns=int(row["TimeUnixNano"]),
            pod=row["PodName"],
            trace_id=row.get("TraceID") or "",
            span_id=row.get("SpanID") or "",
            level=level,
            template=template,
            message=str(text).rstrip("\n")[:300],
        )


def read_trace_csv(fh: IO[bytes]) -> Iterator[Span]:
    """Spans of one minute-file (binary stream)."""
    for row in csv.DictReader(_text(fh)):
        yield Span(
            trace_id=row["TraceID"],
            span_id=row["SpanID"],
            parent_id=row["ParentID"],
            pod=row["PodName"],
            operation=row["OperationName"],
            start_ns=int(row["StartTimeUnixNano"]),
            end_ns=int(row["EndTimeUnixNano"]),
        )


def read_metric_csv(fh: IO[bytes], pod: str) -> PodMetrics:
    """One pod's metric CSV: every numeric column except the time stamps."""
    out = PodMetrics(pod)
    reader = csv.DictReader(_text(fh))
    for row in reader:
        try:
            out.times.append(int(float(row["TimeStamp"])))
        except (KeyError, ValueError):
            continue
        for key, value in row.items():
            if key in ("Time", "TimeStamp", "PodName") or key is None:
                continue
            try:
                num = float(value)
            except (TypeError, ValueError):
                num = float("nan")
            out.columns.setdefault(key, []).append(num)
    return out


def _members(archive: Path) -> Iterator[tuple[str, IO[bytes]]]:
    with tarfile.open(archive, "r:xz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            fh = tar.extractfile(member)
            if fh is not None:
                yield member.name, fh


def _read_archive(
    archive: Path, day: str | None
) -> tuple[list[LogLine], list[Span], dict[str, PodMetrics], bytes | None]:
    logs: list[LogLine] = []
    spans: list[Span] = []
    metrics: dict[str, PodMetrics] = {}
    fault_list: bytes | None = None
    for name, fh in _members(archive):
        parts = name.split("/")
        if day is not None and day not in parts:
            continue
        base = parts[-1]
        kind = parts[-2] if len(parts) >= 2 else ""
        if kind == "log" and base.endswith("_log.csv"):
            logs.extend(read_log_csv(fh))
        elif kind == "trace" and base.endswith("_trace.csv"):
            spans.extend(read_trace_csv(fh))
        elif kind == "metric" and base.endswith("_metric.csv"):
            pod = base[: -len("_metric.csv")]
            metrics[pod] = read_metric_csv(fh, pod)
        elif base.endswith("fault_list.json"):
            fault_list = fh.read()
    logs.sort(key=lambda x: x.ts_ns)
    spans.sort(key=lambda x: x.start_ns)
    return logs, spans, metrics, fault_list


def load_nezha_day(root: Path, day: str = "2023-01-29") -> NezhaDay:
    """Load one TrainTicket day and the fault-free phase from the dataset folder ``root``.

    ``root`` is the ``nezha_trainticket_rca`` folder (see :func:`nezha_dir`).
    """
    archive = root / f"rca_data_{day}.tar.xz"
    if not archive.is_file():
        from logswarm.datasets import DatasetMissingError

        raise DatasetMissingError(f"{archive} not found")
    logs, spans, metrics, inner_faults = _read_archive(archive, day)
    labels = root / FAULT_LIST.replace("2023-01-29", day)
    faults = parse_fault_list(labels.read_bytes() if labels.is_file() else inner_faults or b"{}")
    normal_logs: list[LogLine] = []
    normal_spans: list[Span] = []
    free = root / FAULT_FREE_ARCHIVE
    if free.is_file():
        normal_logs, normal_spans, _, _ = _read_archive(free, None)
    return NezhaDay(day, faults, logs, spans, metrics, normal_logs, normal_spans)
