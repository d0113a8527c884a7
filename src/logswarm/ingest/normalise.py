"""Common key spellings, severities and labels: how a dict of fields becomes a record.

JSON lines, CSV rows and the JSON payload inside a container log all carry the same facts under
different names (``time``/``@timestamp``/``ts``, ``level``/``severity``/``log.level``...). The
look-up tables live here once, so every reader normalises the same way. A dotted name such as
``kubernetes.labels.app`` is looked up both as a literal key and as a nested path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from logswarm.ingest.timeparse import parse_time_value
from logswarm.records import Severity

__all__ = [
    "ACCOUNT_KEYS",
    "HOST_KEYS",
    "LABEL_KEYS",
    "LEVEL_KEYS",
    "MESSAGE_KEYS",
    "REGION_KEYS",
    "SERVICE_KEYS",
    "TIME_KEYS",
    "first_str",
    "first_value",
    "parse_label",
    "severity_from_value",
    "sniff_severity",
    "time_from",
]

TIME_KEYS: Final = (
    "time", "timestamp", "@timestamp", "ts", "eventTime", "datetime", "date", "Timestamp",
    "Time", "time_local", "asctime",
)  # fmt: skip
LEVEL_KEYS: Final = (
    "level", "severity", "lvl", "log.level", "levelname", "loglevel", "Level", "Severity",
    "severity_text", "log_level",
)  # fmt: skip
MESSAGE_KEYS: Final = (
    "message", "msg", "log", "text", "Message", "@message", "Content", "content", "MESSAGE",
)  # fmt: skip
SERVICE_KEYS: Final = (
    "service", "service.name", "app", "application", "kubernetes.labels.app",
    "kubernetes.labels.app.kubernetes.io/name", "kubernetes.container_name",
    "k8s.container.name", "container_name", "container", "Service", "component", "Component",
)  # fmt: skip
HOST_KEYS: Final = ("host", "hostname", "host.name", "kubernetes.host", "node", "Node", "Host")
REGION_KEYS: Final = ("region", "awsRegion", "aws_region", "cloud.region", "Region")
ACCOUNT_KEYS: Final = (
    "account", "account_id", "accountId", "recipientAccountId", "cloud.account.id", "account-id",
)  # fmt: skip
LABEL_KEYS: Final = ("logswarm_label", "label", "Label")

_MISSING: Final = object()


def _lookup(obj: Mapping[str, Any], key: str) -> Any:
    value = obj.get(key, _MISSING)
    if value is not _MISSING or "." not in key:
        return value
    # Nested path: try the longest literal key at each level ("kubernetes" -> "labels" ->
    # "app.kubernetes.io/name"), since label keys themselves contain dots.
    parts = key.split(".")
    current: Any = obj
    i = 0
    while i < len(parts):
        if not isinstance(current, Mapping):
            return _MISSING
        for j in range(len(parts), i, -1):
            candidate = ".".join(parts[i:j])
            if candidate in current:
                current = current[candidate]
                i = j
                break
        else:
            return _MISSING
    return current


def first_value(obj: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first key present (``None`` values count as absent)."""
    for key in keys:
        value = _lookup(obj, key)
        if value is not _MISSING and value is not None:
            return value
    return None


def first_str(obj: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """Like :func:`first_value`, for scalars rendered as text; dicts and lists are skipped."""
    for key in keys:
        value = _lookup(obj, key)
        if value is _MISSING or value is None or isinstance(value, dict | list):
            continue
        text = value if isinstance(value, str) else str(value)
        if text:
            return text
    return None


def time_from(obj: Mapping[str, Any]) -> datetime | None:
    """The record time from the first time-like key that parses."""
    for key in TIME_KEYS:
        value = obj.get(key)
        if value is not None:
            result = parse_time_value(value)
            if result is not None:
                return result
    return None


# pino/bunyan numeric levels (10..60) and syslog severities (0..7).
_PINO: Final = {
    10: Severity.TRACE, 20: Severity.DEBUG, 30: Severity.INFO, 40: Severity.WARNING,
    50: Severity.ERROR, 60: Severity.CRITICAL,
}  # fmt: skip
SYSLOG_SEVERITY: Final = (
    Severity.EMERGENCY, Severity.ALERT, Severity.CRITICAL, Severity.ERROR,
    Severity.WARNING, Severity.NOTICE, Severity.INFO, Severity.DEBUG,
)  # fmt: skip


def severity_from_value(value: object) -> Severity | None:
    """A level as a word (``warn``, ``E``), a pino number (``50``) or a syslog number (``3``)."""
    if isinstance(value, str):
        found = Severity.parse(value)
        if found is None and value.isdigit():
            return severity_from_value(int(value))
        return found
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if 0 <= value <= 7:
        return SYSLOG_SEVERITY[value]
    return _PINO.get(value)


_LEVEL_WORDS: Final = (
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "ERR", "SEVERE", "CRIT",
    "CRITICAL", "FATAL", "ALERT", "EMERG", "PANIC",
)  # fmt: skip
#: Level words as they stand in free text: upper case or title case ("Info", Windows CBS).
_SNIFF_WORDS: Final = {
    spelling: sev
    for word in _LEVEL_WORDS
    for spelling in (word, word.title())
    if (sev := Severity.parse(word)) is not None
}
_PUNCT: Final = "[]():,<>|\"'"


def sniff_severity(message: str) -> Severity | None:
    """A level written in free text: a klog prefix (``E0101 ...``), ``ERROR``, ``[warn]``,
    ``level=warn``.

    Only the first eight words are looked at, where a level column sits: a later "error" in
    the message body is content, not the level. Lower-case words count only in brackets.
    """
    if len(message) > 5 and message[0] in "IWEF" and message[1:5].isdigit():
        return Severity.parse(message[0])
    words = _SNIFF_WORDS
    for token in message[:160].split(None, 8)[:8]:
        found = words.get(token.strip(_PUNCT))
        if found is not None:
            return found
        if token[0] == "[" and token.endswith("]"):
            found = Severity.parse(token[1:-1])
            if found is not None:
                return found
    at = message.find("level=", 0, 200)
    if at >= 0:
        word = message[at + 6 : at + 20].split(None, 1)
        if word:
            return Severity.parse(word[0].strip(_PUNCT))
    return None


_TRUE: Final = frozenset({"1", "true", "yes", "y", "anomaly", "anomalous", "abnormal",
                          "attack", "malicious", "alert", "fail", "failure"})  # fmt: skip
_FALSE: Final = frozenset({"0", "false", "no", "n", "normal", "benign", "success", "-",
                           "ok", ""})  # fmt: skip


def parse_label(value: object) -> bool | None:
    """A ground-truth label as a bool: ``True`` means anomalous.

    Accepts booleans, 0/1 and common words (``anomaly``, ``attack``, ``normal``, BGL's ``-``),
    and Loghub's alert categories (an upper-case tag such as BGL's ``KERNDTLB`` means anomalous);
    anything else (``checkout``) is not a label and gives ``None``.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0 if value in (0, 1) else None
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        tag = value.strip()
        if len(tag) >= 3 and tag.isupper() and tag.isalnum():
            return True
    return None
