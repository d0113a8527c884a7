"""The state a reader needs while it turns one input (file or stream) into records.

Readers are plain generator functions ``read(source, ctx)``; everything they share — where dead
letters go, the stats, the dedupe windows, the limits — travels in one :class:`ReadContext`
instead of a long argument list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from logswarm.ingest.deadletter import DeadLetterSink
from logswarm.ingest.dedupe import DedupeWindow
from logswarm.ingest.options import IngestOptions
from logswarm.ingest.stats import IngestStats
from logswarm.records import DeadLetter

if TYPE_CHECKING:
    from logswarm.ingest.text import LoghubFormat

__all__ = ["TRAIL_EVENT_IDS", "ReadContext"]

#: The dedupe window keyed by CloudTrail ``eventID`` (unique per event, so any repeat is one).
TRAIL_EVENT_IDS = "cloudtrail-event-id"


@dataclass(slots=True)
class ReadContext:
    """Per-input reading state; ``windows`` is shared across the inputs of one run."""

    origin: str
    sink: DeadLetterSink
    stats: IngestStats
    options: IngestOptions
    windows: dict[str, DedupeWindow] | None = None
    log_format: LoghubFormat | None = None
    reference_time: datetime | None = None
    #: Container metadata from a kubelet log path (namespace, pod, container...).
    path_fields: dict[str, str] = field(default_factory=dict)

    def window(self, kind: str) -> DedupeWindow | None:
        """The dedupe window of one source kind, or ``None`` when dedupe is off.

        Line windows drop a line only when another input delivered it first (a line repeated
        within one file is a real event); the ``cloudtrail-event-id`` window drops any repeat.
        """
        if self.windows is None:
            return None
        win = self.windows.get(kind)
        if win is None:
            win = self.windows[kind] = DedupeWindow(
                self.options.dedupe_window, across_inputs_only=kind != TRAIL_EVENT_IDS
            )
        win.origin = self.origin
        return win

    def dead(self, raw: str, reason: str, line: int) -> None:
        """Send one dead letter, cutting an enormous ``raw`` and saying so in the reason."""
        limit = self.options.max_raw_chars
        if len(raw) > limit:
            reason = f"{reason} (raw truncated to the first {limit} of {len(raw)} characters)"
            raw = raw[:limit]
        self.sink.write(DeadLetter(raw=raw, reason=reason, file=self.origin, line=line))
        self.stats.dead_letters += 1
