"""Template mining, the Preprocessing agent's first step: turn free-text messages into events.

Every later stage (event-count matrices, detectors, incident evidence) speaks in template
ids, so this package gives each message a stable id and a readable template:

- :mod:`logswarm.parsing.masking`: variables (IPs, UUIDs, paths, numbers...) become ``<*>``;
- :mod:`logswarm.parsing.miner`: the Drain-style :class:`TemplateMiner`, with learning
  separated from read-only matching and explicit versioned JSON state;
- :mod:`logswarm.parsing.log_format`: Loghub format strings, to cut the message out of a line.
"""

from __future__ import annotations

from logswarm.parsing.log_format import LogFormat, LogFormatError
from logswarm.parsing.masking import WILDCARD, Masker, mask, mask_tokens
from logswarm.parsing.miner import (
    STATE_FORMAT,
    STATE_VERSION,
    MinerConfig,
    TemplateMatch,
    TemplateMiner,
    TemplateStateError,
)

__all__ = [
    "STATE_FORMAT",
    "STATE_VERSION",
    "WILDCARD",
    "LogFormat",
    "LogFormatError",
    "Masker",
    "MinerConfig",
    "TemplateMatch",
    "TemplateMiner",
    "TemplateStateError",
    "mask",
    "mask_tokens",
]
