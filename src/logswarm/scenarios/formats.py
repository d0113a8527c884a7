"""Exact on-disk formats of every source the generator writes, shared by background and incidents.

Background traffic and injected incidents must be indistinguishable in *form* (only content and
timing may differ), otherwise a detector could learn the generator instead of the fault. So both
go through the functions here: the CRI line prefix, each application's own log style, Kubernetes
Event objects, CloudTrail records, VPC Flow Log v2 records and RFC 5424 syslog.

Times are integer nanoseconds since the Unix epoch (UTC): CRI logs keep nanoseconds, and integer
arithmetic keeps the output byte-identical for a seed.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

import numpy as np

__all__ = [
    "FLOW_LOG_HEADER",
    "NS",
    "app_line",
    "clf",
    "cloudtrail_record",
    "cri_line",
    "flow_line",
    "iso_ms",
    "iso_ns",
    "iso_s",
    "k8s_event",
    "klog_prefix",
    "nginx_access",
    "stamps",
    "syslog_line",
    "uuid_text",
]

NS = 1_000_000_000
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_CACHE: dict[int, tuple[str, str]] = {}

FLOW_LOG_HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status"
)


def uuid_text(h: str) -> str:
    """32 hex digits written as a version-4 UUID (as CloudTrail event ids and Kubernetes uids)."""
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _day(day: int) -> tuple[str, str]:
    """(``YYYY-MM-DD``, ``DD/Mon/YYYY``) for a day number since the epoch, cached."""
    got = _DAY_CACHE.get(day)
    if got is None:
        d = datetime.fromtimestamp(day * 86400, tz=UTC)
        got = (d.strftime("%Y-%m-%d"), f"{d.day:02d}/{_MONTHS[d.month - 1]}/{d.year}")
        _DAY_CACHE[day] = got
    return got


def _split(t_ns: int) -> tuple[str, int, int, int, int]:
    secs, frac = divmod(t_ns, NS)
    day, sod = divmod(secs, 86400)
    h, rem = divmod(sod, 3600)
    m, s = divmod(rem, 60)
    return _day(day)[0], h, m, s, frac


def stamps(times: list[int]) -> list[str]:
    """``YYYY-MM-DDTHH:MM:SS.nnnnnnnnn`` (no zone) for many times at once, computed in C.

    The per-style formatters below slice these strings, so a million lines cost one numpy call
    instead of a million ``divmod`` chains.
    """
    if not times:
        return []
    arr = np.array(times, dtype=np.int64).astype("datetime64[ns]")
    out: list[str] = np.datetime_as_string(arr, unit="ns").tolist()
    return out


def _stamp(t_ns: int) -> str:
    return iso_ns(t_ns)[:-1]


def iso_ns(t_ns: int) -> str:
    """RFC 3339 with nanoseconds, as the CRI runtime writes it."""
    date, h, m, s, frac = _split(t_ns)
    return f"{date}T{h:02d}:{m:02d}:{s:02d}.{frac:09d}Z"


def iso_ms(t_ns: int) -> str:
    date, h, m, s, frac = _split(t_ns)
    return f"{date}T{h:02d}:{m:02d}:{s:02d}.{frac // 1_000_000:03d}Z"


def iso_s(t_ns: int) -> str:
    """CloudTrail's ``eventTime`` (whole seconds, ``Z``)."""
    date, h, m, s, _ = _split(t_ns)
    return f"{date}T{h:02d}:{m:02d}:{s:02d}Z"


def clf(t_ns: int, stamp: str | None = None) -> str:
    """nginx's ``$time_local`` in UTC."""
    st = stamp or _stamp(t_ns)
    return f"{st[8:10]}/{_MONTHS[int(st[5:7]) - 1]}/{st[:4]}:{st[11:19]} +0000"


def klog_prefix(t_ns: int, letter: str = "I", stamp: str | None = None) -> str:
    """klog's ``I0603 08:00:01.123456`` header (kubelet, kube-proxy...)."""
    st = stamp or _stamp(t_ns)
    return f"{letter}{st[5:7]}{st[8:10]} {st[11:26]}"


def cri_line(t_ns: int, message: str, *, stream: str = "stdout") -> str:
    """One line of a kubelet container log (``<time> <stream> F <message>``)."""
    return f"{iso_ns(t_ns)} {stream} F {message}"


_JAVA_LEVEL = {"debug": "DEBUG", "info": " INFO", "warn": " WARN", "error": "ERROR"}
_PY_LEVEL = {"debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERROR"}
_PG_LEVEL = {"debug": "DEBUG", "info": "LOG", "warn": "WARNING", "error": "ERROR"}
_DNS_LEVEL = {"debug": "DEBUG", "info": "INFO", "warn": "WARNING", "error": "ERROR"}


def app_line(
    style: str,
    t_ns: int,
    level: str,
    message: str,
    *,
    logger: str = "app",
    fields: dict[str, Any] | None = None,
    stamp: str | None = None,
) -> str:
    """An application message in the style its service really logs in (not yet CRI-wrapped).

    ``level`` is one of ``debug``, ``info``, ``warn``, ``error``. ``nginx`` lines are access-log
    lines and are built by :func:`nginx_access`; here they fall back to nginx's error-log format.
    ``stamp`` is ``t_ns`` pre-formatted by :func:`stamps` (a speed-up for bulk writers).
    """
    st = stamp or _stamp(t_ns)
    extra = fields or {}
    if style == "json":
        line_no = 20 + zlib.crc32(message.encode()) % 400
        doc: dict[str, Any] = {
            "level": level,
            "ts": st[:23] + "Z",
            "logger": logger,
            "caller": f"{logger}/handler.go:{line_no}",
            "msg": message,
        }
        doc.update(extra)
        return json.dumps(doc, separators=(",", ":"))
    kv = "".join(f" {k}={v}" for k, v in extra.items())
    if style == "java":
        return (
            f"{st[:10]} {st[11:23]} {_JAVA_LEVEL[level]} 1 --- [nio-8080-exec-{(t_ns // 7) % 10 + 1}] "
            f"{logger:<40} : {message}{kv}"
        )
    if style == "python":
        return f"{st[:10]} {st[11:19]},{st[20:23]} {_PY_LEVEL[level]} [{logger}] {message}{kv}"
    if style == "postgres":
        pid = (t_ns // 1000) % 9000 + 1000
        return f"{st[:10]} {st[11:23]} UTC [{pid}] {_PG_LEVEL[level]}:  {message}"
    if style == "coredns":
        return f"[{_DNS_LEVEL[level]}] {message}"
    ngx = {"debug": "debug", "info": "notice", "warn": "warn", "error": "error"}[level]
    return f"{st[:10].replace('-', '/')} {st[11:19]} [{ngx}] 29#29: *{t_ns % 99991} {message}"


def nginx_access(
    t_ns: int,
    *,
    client: str,
    method: str,
    path: str,
    status: int,
    size: int,
    agent: str,
    rt: float,
    upstream: str,
) -> str:
    """nginx's combined format plus request and upstream timing, as ingress controllers log."""
    return (
        f'{client} - - [{clf(t_ns)}] "{method} {path} HTTP/1.1" {status} {size} "-" "{agent}" '
        f'rt={rt:.3f} upstream="{upstream}"'
    )


def k8s_event(
    t_ns: int,
    *,
    namespace: str,
    kind: str,
    name: str,
    uid: str,
    reason: str,
    message: str,
    type_: str = "Normal",
    component: str = "kubelet",
    host: str | None = None,
    count: int = 1,
    first_ns: int | None = None,
) -> str:
    """A core/v1 Event as one JSON line (what an event exporter ships)."""
    stamp = iso_s(t_ns)
    suffix = f"{(t_ns // 1000) & 0xFFFFFFFFFFFF:x}"
    source: dict[str, str] = {"component": component}
    if host:
        source["host"] = host
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{name}.{suffix}",
            "namespace": namespace,
            "creationTimestamp": stamp,
        },
        "involvedObject": {
            "kind": kind,
            "namespace": namespace,
            "name": name,
            "uid": uid,
            "apiVersion": "v1" if kind in ("Pod", "Node") else "apps/v1",
        },
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": iso_s(first_ns if first_ns is not None else t_ns),
        "lastTimestamp": stamp,
        "count": count,
        "type": type_,
        "reportingComponent": component,
    }
    return json.dumps(doc, separators=(",", ":"))


def cloudtrail_record(
    t_ns: int,
    *,
    event_id: str,
    account: str,
    region: str,
    event_source: str,
    event_name: str,
    user_type: str,
    principal: str,
    access_key: str | None,
    source_ip: str,
    user_agent: str,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
    read_only: bool = False,
    event_type: str = "AwsApiCall",
    resources: list[dict[str, str]] | None = None,
    additional: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One CloudTrail record (``eventVersion`` 1.09) for an IAM user, an assumed role or root."""
    if user_type == "Root":
        identity: dict[str, Any] = {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
        }
    elif user_type == "IAMUser":
        identity = {
            "type": "IAMUser",
            "principalId": "AIDA" + event_id.replace("-", "").upper()[:17],
            "arn": f"arn:aws:iam::{account}:user/{principal}",
            "accountId": account,
            "userName": principal,
        }
    else:
        identity = {
            "type": "AssumedRole",
            "principalId": "AROA" + event_id.replace("-", "").upper()[:17] + ":" + principal,
            "arn": f"arn:aws:sts::{account}:assumed-role/{principal}/session",
            "accountId": account,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": f"arn:aws:iam::{account}:role/{principal}",
                    "accountId": account,
                    "userName": principal,
                },
                "attributes": {"creationDate": iso_s(t_ns - 600 * NS), "mfaAuthenticated": "false"},
            },
        }
    if access_key:
        identity["accessKeyId"] = access_key
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": iso_s(t_ns),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
    }
    if error_code:
        rec["errorCode"] = error_code
        rec["errorMessage"] = error_message or error_code
    rec["requestParameters"] = request
    rec["responseElements"] = response
    if additional:
        rec["additionalEventData"] = additional
    rec["requestID"] = event_id[::-1]
    rec["eventID"] = event_id
    rec["readOnly"] = read_only
    if resources:
        rec["resources"] = resources
    rec["eventType"] = event_type
    rec["managementEvent"] = event_source != "s3.amazonaws.com" or event_name == "ListBuckets"
    rec["recipientAccountId"] = account
    rec["eventCategory"] = "Management" if rec["managementEvent"] else "Data"
    return rec


def flow_line(
    *,
    account: str,
    eni: str,
    src: str,
    dst: str,
    sport: int,
    dport: int,
    proto: int,
    packets: int,
    size: int,
    start_s: int,
    end_s: int,
    action: str,
) -> str:
    """A VPC Flow Log record in the default (version 2) format."""
    return (
        f"2 {account} {eni} {src} {dst} {sport} {dport} {proto} {packets} {size} "
        f"{start_s} {end_s} {action} OK"
    )


_SYSLOG_SEVERITY = {"debug": 7, "info": 6, "notice": 5, "warn": 4, "error": 3, "crit": 2}
_SYSLOG_FACILITY = {"kernel": 0, "kubelet": 3, "containerd": 3, "systemd": 3, "sshd": 4}


def syslog_line(
    t_ns: int, host: str, app: str, pid: int, level: str, message: str, *, stamp: str | None = None
) -> str:
    """RFC 5424, so that the year and the zone are never guessed by the reader."""
    pri = _SYSLOG_FACILITY.get(app, 1) * 8 + _SYSLOG_SEVERITY[level]
    st = stamp or _stamp(t_ns)
    proc = "-" if app == "kernel" else str(pid)
    return f"<{pri}>1 {st[:26]}Z {host} {app} {proc} - - {message}"
