"""Where lines that cannot become records go, so that nothing is silently dropped.

The seam is :class:`DeadLetterSink`, a one-method protocol with a ``count``: the CLI writes
dead letters as JSON lines beside the report (:class:`JsonlDeadLetterWriter`), tests and library
users keep them in memory (:class:`InMemoryDeadLetters`).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol, runtime_checkable

from logswarm.records import DeadLetter

__all__ = ["DeadLetterSink", "InMemoryDeadLetters", "JsonlDeadLetterWriter"]


@runtime_checkable
class DeadLetterSink(Protocol):
    """Receives every line a reader could not turn into a record."""

    @property
    def count(self) -> int:
        """How many letters this sink has received."""
        ...

    def write(self, letter: DeadLetter) -> None:
        """Keep one dead letter."""
        ...


class InMemoryDeadLetters:
    """Keeps dead letters in a list: for tests, notebooks and small library uses."""

    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    @property
    def count(self) -> int:
        return len(self.letters)

    def write(self, letter: DeadLetter) -> None:
        self.letters.append(letter)


class JsonlDeadLetterWriter:
    """Writes one JSON object per line: ``{"raw", "reason", "file", "line"}``.

    The file is opened on the first letter only, so a clean run leaves no empty file behind.
    Use it as a context manager (or call :meth:`close`) so the last lines reach the disk.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._count = 0
        self._handle: IO[str] | None = None

    @property
    def count(self) -> int:
        return self._count

    def write(self, letter: DeadLetter) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", encoding="utf-8")
        self._handle.write(json.dumps(letter.to_json_dict(), ensure_ascii=False))
        self._handle.write("\n")
        self._count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> JsonlDeadLetterWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
