"""Drop exact duplicates within a bounded window of recent lines.

Log shippers re-send on retry, rotated files overlap, and a CloudTrail trail that delivers to two
buckets doubles every event. Exact duplicates (same source kind and same raw line, or the same
CloudTrail ``eventID``) inflate counts and skew detectors, so they are dropped here. The window is
a FIFO of the last ``window`` distinct keys (a deque plus a set of hashes), so memory stays
bounded however long the run is; a duplicate older than the window gets through, by design.
"""

from __future__ import annotations

import collections

__all__ = ["DedupeWindow"]


class DedupeWindow:
    """Remembers the hashes of the last ``window`` distinct keys.

    Python's string hash (64-bit, salted per process) is the key: a false "duplicate" needs a
    hash collision inside the window, about 1 in 10^9 for a window of 100k.
    """

    __slots__ = ("_order", "_seen", "window")

    def __init__(self, window: int = 65536) -> None:
        if window < 1:
            raise ValueError(f"dedupe window must be at least 1, got {window}")
        self.window = window
        self._seen: set[int] = set()
        self._order: collections.deque[int] = collections.deque()

    def seen(self, key: str) -> bool:
        """True if ``key`` is a duplicate of a key in the window; otherwise remember it."""
        h = hash(key)
        seen = self._seen
        if h in seen:
            return True
        seen.add(h)
        order = self._order
        order.append(h)
        if len(order) > self.window:
            seen.discard(order.popleft())
        return False

    def __len__(self) -> int:
        return len(self._order)
