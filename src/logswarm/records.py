"""The normalised log record and the dead-letter entry: the contract between ingestion and analysis.

Every reader in :mod:`logswarm.ingest` yields :class:`LogRecord` and every later stage reads
only this shape, whatever the source was (CloudTrail, VPC Flow Logs, syslog, container logs...).
A line that cannot become a record becomes a :class:`DeadLetter` instead, so nothing is
silently dropped.

``LogRecord`` is a slotted dataclass, not a pydantic model: it sits on the hot path of a
million-line run, and validation happens once, in the reader that builds it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["DeadLetter", "LogRecord", "Severity", "SourceKind"]


class Severity(enum.IntEnum):
    """Syslog-like severity of a single record; higher is worse.

    Incident severity (Critical/High/Medium/Low) is a different scale, see
    :class:`logswarm.incidents.IncidentSeverity`.
    """

    TRACE = 0
    DEBUG = 1
    INFO = 2
    NOTICE = 3
    WARNING = 4
    ERROR = 5
    CRITICAL = 6
    ALERT = 7
    EMERGENCY = 8

    @classmethod
    def parse(cls, text: str | None, default: Severity | None = None) -> Severity | None:
        """Map the many spellings of a level (``warn``, ``E``, ``FATAL``, ``err``...) to one scale."""
        if text is None:
            return default
        key = text.strip().upper()
        return _SEVERITY_ALIASES.get(key, default)


_SEVERITY_ALIASES: dict[str, Severity] = {
    "TRACE": Severity.TRACE,
    "T": Severity.TRACE,
    "FINEST": Severity.TRACE,
    "FINER": Severity.TRACE,
    "DEBUG": Severity.DEBUG,
    "D": Severity.DEBUG,
    "FINE": Severity.DEBUG,
    "V": Severity.DEBUG,
    "VERBOSE": Severity.DEBUG,
    "INFO": Severity.INFO,
    "I": Severity.INFO,
    "INFORMATION": Severity.INFO,
    "NORMAL": Severity.INFO,
    "NOTICE": Severity.NOTICE,
    "N": Severity.NOTICE,
    "WARN": Severity.WARNING,
    "WARNING": Severity.WARNING,
    "W": Severity.WARNING,
    "ERROR": Severity.ERROR,
    "ERR": Severity.ERROR,
    "E": Severity.ERROR,
    "SEVERE": Severity.ERROR,
    "FAILURE": Severity.ERROR,
    "CRITICAL": Severity.CRITICAL,
    "CRIT": Severity.CRITICAL,
    "C": Severity.CRITICAL,
    "FATAL": Severity.CRITICAL,
    "F": Severity.CRITICAL,
    "ALERT": Severity.ALERT,
    "A": Severity.ALERT,
    "EMERG": Severity.EMERGENCY,
    "EMERGENCY": Severity.EMERGENCY,
    "PANIC": Severity.EMERGENCY,
}


class SourceKind(enum.StrEnum):
    """Which reader produced a record; downstream routing (and the detectors' features) key on it."""

    JSONL = "jsonl"
    CSV = "csv"
    SYSLOG = "syslog"
    CLOUDTRAIL = "cloudtrail"
    VPC_FLOW = "vpcflow"
    CONTAINER = "container"
    TEXT = "text"


@dataclass(slots=True)
class LogRecord:
    """One normalised log event.

    ``timestamp`` is timezone-aware UTC, or ``None`` when the source had no usable time
    (kept, not dropped: ordering then falls back to ``file``/``line``).
    ``fields`` holds everything structured the source carried (CloudTrail's ``eventName``,
    a flow log's ``srcaddr``, a JSON line's keys...), with the original key names.
    ``file`` and ``line`` point back at the evidence: 1-based line number in the named file
    (for multi-record files such as CloudTrail, the record's 1-based index is in
    ``fields["recordIndex"]``).
    """

    timestamp: datetime | None
    source: SourceKind
    message: str
    severity: Severity = Severity.INFO
    service: str | None = None
    region: str | None = None
    account: str | None = None
    host: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    file: str = "-"
    line: int = 0
    #: Filled in by the template miner (``logswarm.parsing``); ``None`` until parsed.
    template_id: int | None = None
    #: Ground-truth label when the source carries one (generated demo, labelled datasets).
    label: bool | None = None

    def position(self) -> int:
        """Where the record sits in its file: its line, or, in a multi-record file (a CloudTrail
        delivery is one physical line), its 1-based index among the file's records."""
        index = self.fields.get("recordIndex")
        return index if isinstance(index, int) else self.line

    def location(self) -> str:
        """``file:line`` (or ``file:line#record``) — how a person or an agent's citation finds
        this record again."""
        index = self.fields.get("recordIndex")
        suffix = f"#{index}" if isinstance(index, int) else ""
        return f"{self.file}:{self.line}{suffix}"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A line that could not be turned into a :class:`LogRecord`, kept with the reason why."""

    raw: str
    reason: str
    file: str
    line: int

    def to_json_dict(self) -> dict[str, Any]:
        return {"raw": self.raw, "reason": self.reason, "file": self.file, "line": self.line}
