"""Guess a file's log format from its first lines, so ``logswarm analyze DIR`` needs no flags.

Each of the first 20 non-blank lines votes for the format it looks like (cheap shape checks,
no full parse); the majority wins and ties go to the more specific format
(``cloudtrail`` > ``container`` > ``vpcflow`` > ``syslog`` > ``jsonl`` > ``csv`` > ``text``).
Whole-document shapes are checked first: a file that opens with ``[`` or ``{"Records"`` is JSON
(CloudTrail when it has ``eventSource``). CSV is recognised when lines split into the same
number (>= 2) of columns under a header of short, non-numeric names. Content decides, not the
file name; ``.gz`` is looked through. When the guess is wrong, pass ``fmt`` to override it.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Final

from logswarm.ingest.sources import FileSource
from logswarm.ingest.vpcflow import KNOWN_FIELDS, normalise_field_name

__all__ = ["FORMATS", "detect_format", "detect_text"]

FORMATS: Final[tuple[str, ...]] = (
    "jsonl", "csv", "syslog", "cloudtrail", "vpcflow", "container", "text",
)  # fmt: skip
_PRIORITY: Final = ("cloudtrail", "container", "vpcflow", "syslog", "jsonl", "csv", "text")
_CRI: Final = re.compile(r"\d{4}-\d\d-\d\dT\S+ (?:stdout|stderr) [PF]\S* ")
_BSD: Final = re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S")
_PRI: Final = re.compile(r"<\d{1,3}>")
_SAMPLE_LINES: Final = 20
_FLOW_WORDS: Final = frozenset(("ACCEPT", "REJECT", "NODATA", "SKIPDATA"))
#: A JSON array opens with a value; "[Sun Dec 04 ..." (Apache) or "[10.30 ...]" does not.
_JSON_ARRAY: Final = re.compile(r'\[\s*(?:[{\["\]]|$)')


def _json_vote(line: str) -> str:
    if '"eventSource"' in line and ('"eventName"' in line or '"eventVersion"' in line):
        return "cloudtrail"
    if line.startswith('{"Records"'):
        return "cloudtrail"
    try:
        obj = json.loads(line)
    except ValueError:
        return "jsonl"
    if isinstance(obj, dict) and isinstance(obj.get("log"), str) and "stream" in obj:
        return "container"
    return "jsonl"


def _vpc_vote(tokens: list[str]) -> bool:
    if len(tokens) < 5:
        return False
    if not tokens[0][:1].isdigit():
        names = [normalise_field_name(t) for t in tokens]
        return sum(n in KNOWN_FIELDS for n in names) * 2 > len(names) and "srcaddr" in names
    return tokens[0].isdigit() and (any(t in _FLOW_WORDS or t.startswith("eni-") for t in tokens))


def _line_vote(line: str) -> str:
    if line[0] == "{" or _JSON_ARRAY.match(line):
        return _json_vote(line)
    if _CRI.match(line):
        return "container"
    if _PRI.match(line) or _BSD.match(line):
        return "syslog"
    if _vpc_vote(line.split()):
        return "vpcflow"
    return "text"


def _looks_csv(lines: list[str]) -> bool:
    if len(lines) < 2 or "," not in lines[0]:
        return False
    try:
        rows = list(csv.reader(lines))
    except csv.Error:
        return False
    header = rows[0]
    if len(header) < 2 or any(not h.strip() or len(h) > 64 for h in header):
        return False
    if sum(h.strip().replace(".", "", 1).isdigit() for h in header) * 2 > len(header):
        return False
    body = rows[1:]
    same = sum(len(r) == len(header) for r in body)
    return same * 2 > len(body)


def detect_text(head: str) -> str:
    """The format of a text sample (the first KiB of a file or stream)."""
    stripped = head.lstrip(" \t\r\n\ufeff")
    if not stripped:
        return "text"
    if _JSON_ARRAY.match(stripped) or re.match(r'\{\s*"Records"\s*:', stripped):
        return "cloudtrail" if '"eventSource"' in head else "jsonl"
    lines: list[str] = []
    for line in stripped.splitlines():
        if line.strip():
            lines.append(line)
            if len(lines) > _SAMPLE_LINES:
                break
    if len(lines) > 1 and len(head) >= 65536:
        lines.pop()  # probably cut mid-line
    if stripped.startswith("{") and not _parses(lines[0]):
        # pretty-printed JSON objects
        return "cloudtrail" if '"eventSource"' in head else "jsonl"
    votes = Counter(_line_vote(line) for line in lines[:_SAMPLE_LINES])
    if votes.get("text", 0) * 2 >= sum(votes.values()) and _looks_csv(lines[:_SAMPLE_LINES]):
        votes["csv"] = votes.pop("text", 0) + 1
    best = max(votes.values())
    return next(f for f in _PRIORITY if votes.get(f) == best)


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def detect_format(path: Path | str) -> str:
    """The format of the file at ``path`` (one of :data:`FORMATS`), from its first lines."""
    return detect_text(FileSource(Path(path)).head_text())
