"""Turn the many spellings of a log timestamp into one timezone-aware UTC ``datetime``.

Every record leaves ingestion with a UTC-aware timestamp or ``None``. A time written without an
offset (``2015-10-18 18:01:47,978``, most Loghub datasets, RFC 3164 syslog) is *taken as UTC*:
the logs do not say which zone they were written in, and guessing the reader's local zone would
make the same file parse differently on different machines.

The hot path is ISO-8601 (JSON lines, CRI, CloudTrail), served by ``datetime.fromisoformat``;
the long tail of legacy styles goes through :class:`LooseTimeParser`, which remembers the
last style that matched so that a file pays for the search once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = ["LooseTimeParser", "epoch_to_datetime", "parse_iso", "parse_time_value", "to_utc"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def to_utc(dt: datetime) -> datetime:
    """Aware datetimes are converted to UTC; naive ones are taken as UTC."""
    tz = dt.tzinfo
    if tz is None:
        return dt.replace(tzinfo=UTC)
    if tz is UTC:
        return dt
    return dt.astimezone(UTC)


def epoch_to_datetime(value: float) -> datetime | None:
    """Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude."""
    v = abs(value)
    if v >= 1e17:
        seconds = value / 1e9
    elif v >= 1e14:
        seconds = value / 1e6
    elif v >= 1e11:
        seconds = value / 1e3
    else:
        seconds = value
    try:
        return _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None


def _is_number(text: str) -> bool:
    head, _, tail = text.partition(".")
    return head.isdigit() and (not tail or tail.isdigit())


def parse_iso(text: str) -> datetime | None:
    """ISO-8601 (``Z``, offsets, 1-9 fractional digits, ``T`` or space), or an epoch number."""
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    # Short digit runs are clock times or ids (HDFS "203615"), not epochs: need >= 9 digits.
    if len(text) >= 9 and _is_number(text):
        return epoch_to_datetime(float(text))
    return None


def parse_time_value(value: object) -> datetime | None:
    """A JSON value that should be a time: an ISO string, an epoch number or a numeric string."""
    if isinstance(value, str):
        result = parse_iso(value.strip())
        if result is None and value:
            return _LOOSE_SHARED.parse(value)
        return result
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return epoch_to_datetime(float(value))
    return None


#: strptime styles seen in the wild (Loghub's 16 systems among them); ``%Y``-less ones get a
#: year from the reader's reference time.
_STYLES: Final[tuple[str, ...]] = (
    "%y%m%d %H%M%S",  # HDFS: 081109 203615
    "%Y-%m-%d %H:%M:%S,%f",  # Hadoop, Zookeeper
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%y/%m/%d %H:%M:%S",  # Spark: 17/06/09 20:10:40
    "%b %d %H:%M:%S",  # syslog, Linux, Mac, OpenSSH: Jun 14 15:16:01
    "%b %d %H:%M:%S.%f",
    "%m-%d %H:%M:%S.%f",  # Android: 03-17 16:13:38.811
    "%Y%m%d-%H:%M:%S:%f",  # HealthApp: 20171223-22:15:29:606
    "%a %b %d %H:%M:%S %Y",  # Apache: Sun Dec 04 04:47:44 2005
    "%m.%d %H:%M:%S",  # Proxifier: 10.30 16:49:06
    "%Y-%m-%d-%H.%M.%S.%f",  # BGL: 2005-06-03-15.42.50.675872
    "%d/%b/%Y:%H:%M:%S %z",  # Apache access log
    "%d/%b/%Y:%H:%M:%S",
    "%b %d %Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y-%m-%d",
)


class LooseTimeParser:
    """Tries ISO-8601, epoch numbers, then :data:`_STYLES`; the last style that matched first.

    Styles without a year (``Jun 14 15:16:01``) take the year of ``reference`` (default: now),
    or the year before when that would put the time more than two days after ``reference``
    (December logs read in January). Not thread-safe (it keeps the last style); make one per
    reader.
    """

    __slots__ = ("_horizon", "_last", "_memo", "year")

    def __init__(self, *, reference: datetime | None = None) -> None:
        ref = to_utc(reference) if reference is not None else datetime.now(UTC)
        self.year = ref.year
        self._horizon = ref + timedelta(days=2)
        self._last: str | None = None
        # Consecutive lines often share a second: remember the last answer.
        self._memo: tuple[str, datetime | None] = ("", None)

    def parse(self, text: str) -> datetime | None:
        memo = self._memo
        if text == memo[0]:
            return memo[1]
        result = self._parse(" ".join(text.split()))
        self._memo = (text, result)
        return result

    def _parse(self, text: str) -> datetime | None:
        if not text:
            return None
        last = self._last
        if last is not None:
            result = self._try(text, last)
            if result is not None:
                return result
        if text[0].isdigit():
            try:
                return to_utc(datetime.fromisoformat(text))
            except ValueError:
                pass
            if _is_number(text):
                return epoch_to_datetime(float(text)) if len(text) >= 9 else None
        for style in _STYLES:
            if style is last:
                continue
            result = self._try(text, style)
            if result is not None:
                self._last = style
                return result
        return None

    def _try(self, text: str, style: str) -> datetime | None:
        try:
            if "%Y" in style or "%y" in style:
                return to_utc(datetime.strptime(text, style))
            # Parse with a leap year so that "Feb 29" survives, then set the real year.
            dt = datetime.strptime(f"2000 {text}", f"%Y {style}")
        except ValueError:
            return None
        try:
            result = dt.replace(year=self.year, tzinfo=UTC)
            if result > self._horizon:
                result = result.replace(year=self.year - 1)
        except ValueError:  # Feb 29 outside a leap year
            return None
        return result


_LOOSE_SHARED = LooseTimeParser()
