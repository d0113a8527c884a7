"""The Nezha loader on a tiny in-memory .tar.xz with the real column layout."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from logswarm.datasets.nezha import line_template, load_nezha_day, parse_fault_list

LOG_HEAD = "Timestamp,TimeUnixNano,Node,PodName,Container,TraceID,SpanID,Log\n"
TRACE_HEAD = (
    "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
)
METRIC_HEAD = "Time,TimeStamp,PodName,CpuUsage(m),CpuUsageRate(%),MemoryUsageRate(%)\n"


def _log_row(ns: int, pod: str, text: str) -> str:
    doc = json.dumps({"log": text + "\n", "stream": "stdout"}).replace('"', '""')
    return f'2023-01-29T09:35:38Z,{ns},1.1.1.1,{pod},server,t1,s1,"{doc}"\n'


def _add(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


FAULTS = {
    "09": [
        {
            "inject_time": "2023-01-29 09:36:00",
            "inject_timestamp": "1674956160",  # 8 h off, as in the real list: must be ignored
            "inject_pod": "ts-b-1",
            "inject_type": "exception",
        }
    ]
}


def _archive(path: Path, top: str) -> None:
    with tarfile.open(path, "w:xz") as tar:
        _add(
            tar,
            f"{top}/2023-01-29/log/09_36_log.csv",
            LOG_HEAD
            + _log_row(1674985000000000000, "ts-a-1", "17:36:40.000 INFO  o.c.A#12 TraceID: t1 x")
            + _log_row(1674984999000000000, "ts-b-1", "17:36:39.000 ERROR o.s.B#7 boom"),
        )
        _add(
            tar,
            f"{top}/2023-01-29/trace/09_36_trace.csv",
            TRACE_HEAD + "t1,s1,root,ts-a-1,/x,1674985000000000000,1674985000500000000,500000\n",
        )
        if top == "rca_data":
            _add(
                tar,
                f"{top}/2023-01-29/metric/ts-a-1_metric.csv",
                METRIC_HEAD + "2023-01-29 09:35:09 +0000 UTC,1674984909,ts-a-1,4.5,0.9,20.5\n",
            )


def test_load_day_from_tar_xz(tmp_path: Path) -> None:
    _archive(tmp_path / "rca_data_2023-01-29.tar.xz", "rca_data")
    _archive(tmp_path / "construct_data_2023-01-29_30_faultfree_no_metric.tar.xz", "construct_data")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "2023-01-29-fault_list.json").write_text(json.dumps(FAULTS))

    day = load_nezha_day(tmp_path)

    assert [x.ts_ns for x in day.logs] == [1674984999000000000, 1674985000000000000]
    first = day.logs[0]
    assert (first.pod, first.level, first.template) == ("ts-b-1", "ERROR", "o.s.B#7")
    assert day.logs[1].template == "o.c.A#12"
    assert day.spans[0].parent_id == "root"
    assert day.spans[0].duration_ns == 500_000_000
    assert day.metrics["ts-a-1"].times == [1674984909]
    assert day.metrics["ts-a-1"].columns["CpuUsageRate(%)"] == [0.9]
    assert len(day.normal_logs) == 2
    assert len(day.normal_spans) == 1
    (fault,) = day.faults
    assert fault.pod == "ts-b-1"
    assert fault.fault_type == "exception"
    # inject_time is UTC; the unreliable inject_timestamp is not used
    assert fault.inject_ns == 1674984960 * 10**9
    assert fault.inject_time.isoformat() == "2023-01-29T09:36:00+00:00"


def test_fault_list_sorted_and_typed() -> None:
    data = {
        "10": [{"inject_time": "2023-01-29 10:00:00", "inject_pod": "p2", "inject_type": "return"}],
        "09": [{"inject_time": "2023-01-29 09:00:00", "inject_pod": "p1", "inject_type": "cpu"}],
    }
    faults = parse_fault_list(json.dumps(data))
    assert [f.pod for f in faults] == ["p1", "p2"]
    assert [f.index for f in faults] == [0, 1]


def test_line_template_statement_and_fallback() -> None:
    assert line_template("17:35:38.386 WARN  o.s.OrderServiceImpl#68 [x][y]") == (
        "WARN",
        "o.s.OrderServiceImpl#68",
    )
    level, tpl = line_template("something failed with code 500 at 0xdeadbeef12 ERROR")
    assert level == "ERROR"
    assert "500" not in tpl
    assert "<*>" in tpl
