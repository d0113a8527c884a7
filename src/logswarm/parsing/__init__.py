"""Template mining, the Preprocessing agent's first step: turn free-text messages into events.

Every later stage (event-count matrices, detectors, incident evidence) speaks in template
ids, so this package gives each message a stable id and a readable template:

- :mod:`logswarm.parsing.masking`: variables (IPs, UUIDs, paths, numbers...) become ``<*>``;
- :mod:`logswarm.parsing.miner`: the Drain-style :class:`TemplateMiner`, with learning
  separated from read-only matching and explicit versioned JSON state;
"""

from __future__ import annotations

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
    "Masker",
    "MinerConfig",
    "TemplateMatch",
    "TemplateMiner",
    "TemplateStateError",
    "mask",
    "mask_tokens",
]
