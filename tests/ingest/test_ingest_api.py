"""The public surface of logswarm.ingest is what the pipeline and the CLI were promised."""

from __future__ import annotations

import logswarm.ingest as ingest
from logswarm.ingest import IngestError, LogFormatError, SourceError, UnknownFormatError


def test_public_names() -> None:
    assert set(ingest.__all__) == {
        "FORMATS", "DeadLetterSink", "InMemoryDeadLetters", "IngestError", "IngestOptions",
        "IngestStats", "JsonlDeadLetterWriter", "LogFormatError", "LoghubFormat", "SourceError",
        "UnknownFormatError", "detect_format", "read_lines", "read_logs",
    }  # fmt: skip
    assert ingest.FORMATS == (
        "jsonl",
        "csv",
        "syslog",
        "cloudtrail",
        "vpcflow",
        "container",
        "text",
    )


def test_exception_hierarchy() -> None:
    for exc in (UnknownFormatError, LogFormatError, SourceError):
        assert issubclass(exc, IngestError)
