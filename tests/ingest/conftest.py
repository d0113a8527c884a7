"""Shared fixtures for the ingestion tests: sample files, a dead-letter sink, a fixed 'now'."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logswarm.ingest import IngestOptions, IngestStats, InMemoryDeadLetters, read_lines, read_logs
from logswarm.records import LogRecord

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
#: A fixed "now" so that year-less timestamps (RFC 3164) parse the same on every run.
REFERENCE = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)
OPTIONS = IngestOptions(reference_time=REFERENCE)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def datasets() -> Path:
    """The shared public datasets ($LOGSWARM_DATASETS or ../shared/datasets); skip if absent."""
    env = os.environ.get("LOGSWARM_DATASETS")
    root = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "datasets"
    if not root.is_dir():
        pytest.skip(f"shared datasets are not present at {root}")
    return root


@pytest.fixture
def dead() -> InMemoryDeadLetters:
    return InMemoryDeadLetters()


@pytest.fixture
def stats() -> IngestStats:
    return IngestStats()


Lines = Callable[..., list[LogRecord]]


@pytest.fixture
def parse_lines(dead: InMemoryDeadLetters, stats: IngestStats) -> Lines:
    """``parse_lines(["..."], fmt="syslog")`` -> records; dead letters land in ``dead``."""

    def run(lines: Iterable[str], **kwargs: object) -> list[LogRecord]:
        kwargs.setdefault("options", OPTIONS)
        return list(read_lines(lines, dead_letters=dead, stats=stats, **kwargs))  # type: ignore[arg-type]

    return run


@pytest.fixture
def parse_files(dead: InMemoryDeadLetters, stats: IngestStats) -> Lines:
    """``parse_files([path], fmt=None)`` -> records; dead letters land in ``dead``."""

    def run(paths: list[Path | str], **kwargs: object) -> list[LogRecord]:
        kwargs.setdefault("options", OPTIONS)
        return list(read_logs(paths, dead_letters=dead, stats=stats, **kwargs))  # type: ignore[arg-type]

    return run
