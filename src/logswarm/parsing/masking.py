"""Masking: replace the variable parts of a log message with ``<*>`` before template mining.

Why it exists: a Drain-style miner groups messages by their constant tokens, so every
variable that reaches it (an IP, a request id, a byte count) either splits one event into
many templates or wastes a position of the similarity score. Masking the variables whose
shape is unmistakable *before* mining makes the tree shallower, the similarity honest and
the templates readable.

Design choices, all for speed on the hot path of a million-line run:

- every pattern is compiled once, at import time, and applied with ``re.sub`` on the whole
  message (the loop runs in C), never per token;
- each pattern has a cheap substring guard (``"://" in message``, ``"@" in message``...) so
  a message pays only for the patterns that could possibly match it;
- the broad "any word piece that holds a digit is a variable" rule (``mask_digit_pieces``)
  subsumes numbers, hex, sizes and durations in one pass. It splits a token only at
  punctuation that separates a key from its value (``=``, ``:``, ``,``, brackets, quotes,
  ``/``), so ``uid=0`` becomes ``uid=<*>`` and ``blk_-1608`` becomes ``<*>``.

The order matters: structured shapes (URLs, e-mails, ARNs, UUIDs, IPs, paths) go first, so
that a URL is one ``<*>`` rather than a scatter of masked pieces.

**Shapes.** With the digit-piece rule on, every digit ends up inside a ``<*>`` (except in a
word with one trailing digit, such as ``ssh2``), so the masked message cannot depend on
*which* digits a message holds, nor on how many there are in a row: the rules are written to
read a message whose digit runs were collapsed to one ``0`` (its :func:`shape`; runs glued
to a letter are kept). The miner caches masked tokens by shape, so ``took 12 ms`` and ``took 3051 ms``
are masked once. Rules therefore never count digits (bounds on digit runs are written
loosely), which also makes them a little more forgiving than the textbook shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["WILDCARD", "Masker", "mask", "mask_tokens", "shape"]

WILDCARD = "<*>"
"""The one placeholder for a variable, in masked messages and in templates alike."""

_HEX = "[0-9A-Fa-f]"
_HEX4 = r"[0-9A-Fa-f]{1,4}"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"

# (name, guard, pattern). The guard is a substring that every match must contain; a rule
# whose name is in _NEED_DIGIT is skipped outright for a message without any digit.
_STRUCTURED: tuple[tuple[str, str, str], ...] = (
    ("url", "://", r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+"),
    ("email", "@", r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b"),
    ("arn", "arn:", r"\barn:[\w-]+:[\w-]*:[\w-]*:\d*:[^\s\"',]+"),
    (
        "uuid",
        "-",
        # Five dash-separated hex groups holding a digit (lengths are not checked: see shapes).
        r"\b(?=[0-9A-Fa-f-]*\d)[0-9A-Fa-f]{1,8}-[0-9A-Fa-f]{1,4}-[0-9A-Fa-f]{1,4}-[0-9A-Fa-f]{1,4}"
        r"-[0-9A-Fa-f]{1,12}\b",
    ),
    (
        "ipv6",
        ":",
        # Full form, or any compressed form with "::" and at least one group. A port, when
        # present, is written "[v6]:port" and is left to the number rule.
        rf"(?<![\w:.])(?:(?:{_HEX4}:){{7}}{_HEX4}"
        rf"|(?:{_HEX4}:){{1,6}}:(?:{_HEX4}(?::{_HEX4}){{0,5}})?"
        rf"|::{_HEX4}(?::{_HEX4}){{0,6}})(?:%\w+)?(?![\w:])",
    ),
    # A host name with a port (``proxy.example.org:5070``): the name is as variable as an IP.
    (
        "hostport",
        ".",
        # The look-ahead right after the start is implied by the rest (the whole match is
        # [\w.-] characters followed by ":digit"); it rejects most word starts in one scan.
        r"(?<![\w.:/-])(?=[\w.-]*+:\d)[A-Za-z][\w-]*(?:\.[\w-]+)*\.[A-Za-z][A-Za-z-]+"
        r"(?=:\d+(?![\w.:]))",
    ),
    # Written to start with a digit (the look-behind then checks the character before it),
    # so the regex engine skips to candidate digits in C instead of trying every position.
    ("ipv4", ".", r"\d(?<![\w.]\d)\d{0,2}(?:\.\d{1,3}){3}(?![\w.])"),
    (
        "datetime",
        ":",
        # A clock time with whatever date words surround it: "Sun Jul 10 03:04:05 2005",
        # "Jul 10 03:04:05", "2015-10-18 18:01:47,978", "2016-09-28T04:30:30Z".
        rf"(?:\b{_WEEKDAY},?\s+)?(?:\b{_MONTH}\s+\d{{1,2}},?\s+|\b\d{{1,2}}\s+{_MONTH}\s+"
        r"|\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,2}[T\s-]?)?"
        r"(?<![\w.:])\d{1,2}:\d{1,2}(?::\d{1,2}(?:[.,]\d+)?)?(?![\w:])"
        r"(?:\s?(?:Z|[+-]\d{1,2}:?\d{1,2})\b)?"
        rf"(?:\s+\d{{1,4}}(?=\s|$))?",
    ),
    ("mac", ":", r"(?<![\w:])[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}(?![\w:])"),
    # Absolute POSIX paths (at least one segment) and Windows drive paths.
    ("path", "/", r"(?<![\w.:/<>*-])(?:/[\w.@%+~$-]+)+/?"),
    ("winpath", "\\", r"\b[A-Za-z]:\\[^\s\"']*"),
)

# Used only when the broad digit-piece rule is off: the narrower classical shapes.
_NUMERIC: tuple[tuple[str, str, str], ...] = (
    ("hex", "0", r"\b0[xX][0-9A-Fa-f]+\b"),
    ("hexrun", "", r"\b(?=[A-Fa-f]*\d)[0-9A-Fa-f]{8,}\b"),
    (
        "quantity",
        "",
        r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:ns|us|µs|ms|s|sec|secs|min|mins|h|hrs|d"
        r"|B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|bytes)\b",
    ),
    ("number", "", r"(?<![\w.])[-+]?\d+(?:\.\d+)*(?![\w]|\.\w)"),
)

# A piece of a token is what lies between key/value punctuation. A piece holding a digit is
# a variable (ids, counters, versions, sizes, timestamps). "<" and ">" are separators so
# that an already masked "<*>" never merges into its neighbour.
_SEPARATORS = r"\s=,:;()\[\]{}\"'|<>/"
# Start only at a piece boundary (the look-behind rejects every other position at once),
# check the piece holds a digit, then take the whole piece.
# A word with one trailing digit (``ssh2``, ``SOCKS5``, ``md5``, ``eth0``) names a protocol
# or a device far more often than it holds a value, so it is kept.
# Possessive quantifiers: no backtracking can change the outcome here (a letter run is never
# followed by a letter when the next character must be a digit), so none is attempted.
_DIGIT_PIECE = (
    rf"(?<![^{_SEPARATORS}])(?=[^{_SEPARATORS}\d]*+\d)"
    rf"(?![A-Za-z]{{2,}}+\d(?:[{_SEPARATORS}]|$))[^{_SEPARATORS}]++"
)


_NEED_DIGIT = frozenset(
    {"uuid", "datetime", "hostport", "ipv4", "mac", "hex", "hexrun", "quantity", "number"}
)


# A cheap search that must succeed before a costly pattern is run at all. Each starts with
# a literal character, which the regex engine scans for at C speed, and checks what precedes
# it with a fixed-width look-behind (``:(?<=\d:)\d`` finds exactly what ``\d:\d`` finds).
_PRECHECKS: dict[str, str] = {
    "uuid": rf"-(?<={_HEX}{{4}}-){_HEX}{{4}}-",
    "ipv6": rf":(?:(?<={_HEX}:){_HEX4}:|:)",
    "datetime": r":(?<=\d:)\d",
    "hostport": r":(?<=[A-Za-z]:)\d",
    "ipv4": r"\.(?<=\d\.)\d{1,3}\.\d",
    "mac": rf":(?<={_HEX}:){_HEX}{{1,2}}:",
}


@dataclass(frozen=True, slots=True)
class _Rule:
    guard: str
    needs_digit: bool
    precheck: re.Pattern[str] | None
    regex: re.Pattern[str]

    def apply(self, message: str) -> str:
        if self.guard not in message:
            return message
        if self.precheck is not None and self.precheck.search(message) is None:
            return message
        return self.regex.sub(WILDCARD, message)


def _compile(rules: tuple[tuple[str, str, str], ...]) -> tuple[_Rule, ...]:
    return tuple(
        _Rule(
            guard=guard,
            needs_digit=name in _NEED_DIGIT,
            precheck=re.compile(_PRECHECKS[name]) if name in _PRECHECKS else None,
            regex=re.compile(pattern),
        )
        for name, guard, pattern in rules
    )


_STRUCTURED_RULES = _compile(_STRUCTURED)
_NUMERIC_RULES = _compile(_NUMERIC)
_DIGIT_PIECE_RE = re.compile(_DIGIT_PIECE)
_HAS_DIGIT_RE = re.compile(r"\d")


# A digit run right after a letter is kept verbatim: ``ssh2`` must stay ``ssh2``. Written to
# start with the digit (the look-behind checks the character before it) so the engine skips
# to digits in C: the same matches as ``(?<![A-Za-z\d])\d+``.
_DIGIT_RUN_RE = re.compile(r"\d(?<![A-Za-z\d]\d)\d*")


def shape(message: str) -> str:
    """``message`` with each digit run not glued to a letter collapsed to ``0``.

    What the default rules read: they never count digits, and they keep a digit only when it
    follows a letter (``ssh2``), so two messages with one shape mask alike.
    """
    return _DIGIT_RUN_RE.sub("0", message)


class Masker:
    """A masking function bound to one choice of rules; build once, call many times.

    ``Masker(mask_digit_pieces=False)`` keeps only the classical shapes (numbers, hex,
    quantities) instead of the broad digit-piece rule, for callers that want tokens such as
    ``ssh2`` or ``HTTP/1.1`` kept verbatim.
    """

    __slots__ = ("_finalise", "_rules", "shape_invariant")

    def __init__(self, *, mask_digit_pieces: bool = True) -> None:
        self._rules = _STRUCTURED_RULES
        self._finalise: Callable[[str], str]
        self.shape_invariant = mask_digit_pieces
        """True if ``masker(m) == masker.masked_shape(shape(m))`` for every message ``m``:
        every digit is masked, so which digits a message holds cannot matter."""
        if mask_digit_pieces:
            self._finalise = _mask_digit_pieces
        else:
            self._finalise = _mask_numeric

    def __call__(self, message: str) -> str:
        """Return ``message`` with every recognised variable replaced by ``<*>``."""
        if self.shape_invariant:
            return self.masked_shape(shape(message))
        return self.masked_shape(message)

    def masked_shape(self, text: str) -> str:
        """Mask ``text`` as given (callers that cache by :func:`shape` pass the shape)."""
        # The loop of _Rule.apply, inlined: this runs once per distinct message shape.
        has_digit = _HAS_DIGIT_RE.search(text) is not None
        for rule in self._rules:
            if (
                rule.guard in text
                and (has_digit or not rule.needs_digit)
                and (rule.precheck is None or rule.precheck.search(text) is not None)
            ):
                text = rule.regex.sub(WILDCARD, text)
        return self._finalise(text) if has_digit else text

    def tokens(self, message: str) -> list[str]:
        """Mask ``message`` and split it on whitespace: the token list the miner consumes."""
        return self(message).split()


def _mask_digit_pieces(message: str) -> str:
    return _DIGIT_PIECE_RE.sub(WILDCARD, message)


def _mask_numeric(message: str) -> str:
    for rule in _NUMERIC_RULES:
        message = rule.apply(message)
    return message


_DEFAULT = Masker()


def mask(message: str) -> str:
    """Mask ``message`` with the default rules (see the module docstring)."""
    return _DEFAULT(message)


def mask_tokens(message: str) -> list[str]:
    """Mask ``message`` with the default rules and split it into whitespace tokens."""
    return _DEFAULT.tokens(message)
