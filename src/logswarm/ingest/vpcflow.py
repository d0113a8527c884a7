"""Amazon VPC Flow Logs: who talked to whom, and was it let through.

Flow logs are space-separated records. The default (version 2) format has 14 fields; custom
formats choose their own list, which S3 delivery writes as a header line (``version account-id
...``). This reader takes the field list from, in order: a header line in the file (it may also
reappear mid-file where delivered files were concatenated), ``IngestOptions.vpc_fields``, or the
default v2 list. Names are AWS's (``account-id``, ``pkt-srcaddr``; ``${...}`` and underscores are
accepted and normalised).

Every record gets the ``start`` time, ``account`` from ``account-id``, ``region`` when the
format has it, ``host`` the instance or interface, ``service`` ``"vpc"``, and a readable message
(``REJECT tcp 10.0.0.1:443 -> 1.2.3.4:51234 packets=3 bytes=180``). ``REJECT`` is a WARNING.
``NODATA`` and ``SKIPDATA`` lines are valid records (no traffic; records skipped by AWS), not dead
letters. Numeric fields become ``int`` in ``fields``; ``-`` becomes ``None``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from logswarm.ingest._context import ReadContext
from logswarm.ingest.sources import Source
from logswarm.ingest.timeparse import epoch_to_datetime
from logswarm.records import LogRecord, Severity, SourceKind

__all__ = ["DEFAULT_FIELDS", "KNOWN_FIELDS", "flow_record", "normalise_field_name", "read_vpcflow"]

DEFAULT_FIELDS: Final = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
)  # fmt: skip
KNOWN_FIELDS: Final = frozenset(DEFAULT_FIELDS) | {
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    "region", "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service",
    "pkt-dst-aws-service", "flow-direction", "traffic-path", "ecs-cluster-arn",
    "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
    "ecs-container-id", "ecs-second-container-id", "ecs-service-name",
    "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id", "reject-reason",
}  # fmt: skip
_NUMERIC: Final = frozenset(
    {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
     "tcp-flags", "type", "traffic-path", "flow-direction-code"}
)  # fmt: skip
_PROTOCOLS: Final = {
    1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 58: "icmpv6",
    132: "sctp",
}  # fmt: skip


def normalise_field_name(name: str) -> str:
    """``${account-id}`` / ``account_id`` -> ``account-id``."""
    name = name.strip()
    if name.startswith("${") and name.endswith("}"):
        name = name[2:-1]
    return name.replace("_", "-").lower()


def _is_header(tokens: list[str]) -> bool:
    if not tokens or tokens[0][:1].isdigit():
        return False
    names = [normalise_field_name(t) for t in tokens]
    known = sum(1 for n in names if n in KNOWN_FIELDS)
    return known * 2 > len(names)


def _endpoint(addr: Any, port: Any) -> str:
    if addr is None:
        return "-"
    return f"{addr}:{port}" if port is not None else str(addr)


def flow_record(values: dict[str, Any], *, origin: str, line: int) -> LogRecord:
    """One parsed flow-log line as a record."""
    status = values.get("log-status")
    action = values.get("action")
    start = values.get("start")
    timestamp = epoch_to_datetime(float(start)) if isinstance(start, int) else None
    if status in ("NODATA", "SKIPDATA"):
        message = f"{status} {values.get('interface-id') or '-'}"
        severity = Severity.NOTICE if status == "SKIPDATA" else Severity.INFO
    else:
        proto = values.get("protocol")
        pname = _PROTOCOLS.get(proto, str(proto)) if isinstance(proto, int) else "-"
        message = (
            f"{action or '-'} {pname} "
            f"{_endpoint(values.get('srcaddr'), values.get('srcport'))} -> "
            f"{_endpoint(values.get('dstaddr'), values.get('dstport'))} "
            f"packets={values.get('packets')} bytes={values.get('bytes')}"
        )
        severity = Severity.WARNING if action == "REJECT" else Severity.INFO
    account = values.get("account-id")
    region = values.get("region")
    host = values.get("instance-id") or values.get("interface-id")
    return LogRecord(
        timestamp=timestamp, source=SourceKind.VPC_FLOW, message=message, severity=severity,
        service="vpc", region=region, account=account, host=host, fields=values,
        file=origin, line=line,
    )  # fmt: skip


def read_vpcflow(source: Source, ctx: ReadContext) -> Iterator[LogRecord]:
    """Records from flow-log lines; a line with the wrong number of fields is a dead letter."""
    window = ctx.window(SourceKind.VPC_FLOW)
    stats = ctx.stats
    names: tuple[str, ...] = ctx.options.vpc_fields or DEFAULT_FIELDS
    names = tuple(normalise_field_name(n) for n in names)
    numeric = tuple(n in _NUMERIC for n in names)
    origin = ctx.origin
    for lineno, text in source.lines(ctx):
        tokens = text.split()
        if _is_header(tokens):
            names = tuple(normalise_field_name(t) for t in tokens)
            numeric = tuple(n in _NUMERIC for n in names)
            continue
        if window is not None and window.seen(text):
            stats.duplicates_dropped += 1
            continue
        if len(tokens) != len(names):
            ctx.dead(
                text,
                f"flow log line has {len(tokens)} fields, the format has {len(names)}",
                lineno,
            )
            continue
        # Runs once per field of every flow line: kept inline, no per-field function call.
        values = {
            name: None if tok == "-" else int(tok) if num and tok.isdigit() else tok
            for name, tok, num in zip(names, tokens, numeric, strict=True)
        }
        yield flow_record(values, origin=origin, line=lineno)
