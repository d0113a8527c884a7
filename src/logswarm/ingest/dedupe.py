"""Drop re-delivered records: the same line arriving from another file, or a CloudTrail event twice.

Log shippers re-send on retry, rotated files overlap, and a CloudTrail trail that delivers to two
buckets doubles every event. Those duplicates inflate counts and skew detectors, so they are
dropped here. What is *not* a duplicate: the same line repeated inside one file. Logs with
one-second timestamps legitimately repeat identical lines (719 of Loghub's 2,000 Windows lines
do), and those are real events. So a line counts as a duplicate only when it was first seen in a
*different* input; a CloudTrail ``eventID`` is unique by definition and counts anywhere.

The window is a FIFO of the last ``window`` distinct keys (a deque plus a dict of hashes), so
memory stays bounded however long the run is; a duplicate older than the window gets through, by
design.
"""

from __future__ import annotations

import collections

__all__ = ["DedupeWindow"]


class DedupeWindow:
    """Remembers the hashes of the last ``window`` distinct keys, and which input each came from.

    Python's string hash (64-bit, salted per process) is the key: a false "duplicate" needs a
    hash collision inside the window, about 1 in 10^9 for a window of 100k.
    ``origin`` is the input being read now (the reading context sets it); with
    ``across_inputs_only`` a key only counts as seen when it came from another input.
    """

    __slots__ = ("_order", "_seen", "across_inputs_only", "origin", "window")

    def __init__(self, window: int = 65536, *, across_inputs_only: bool = False) -> None:
        if window < 1:
            raise ValueError(f"dedupe window must be at least 1, got {window}")
        self.window = window
        self.across_inputs_only = across_inputs_only
        self.origin = ""
        self._seen: dict[int, str] = {}
        self._order: collections.deque[int] = collections.deque()

    def seen(self, key: str) -> bool:
        """True if ``key`` duplicates a key in the window; otherwise remember it."""
        h = hash(key)
        seen = self._seen
        first = seen.get(h)
        if first is not None:
            return not self.across_inputs_only or first != self.origin
        seen[h] = self.origin
        order = self._order
        order.append(h)
        if len(order) > self.window:
            del seen[order.popleft()]
        return False

    def __len__(self) -> int:
        return len(self._order)
