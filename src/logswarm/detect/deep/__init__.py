"""Deep detectors (DeepLog, LogBERT) and the consensus that fuses them with classical ones.

Why lazy: the sequence models need torch, which lives in the optional ``deep`` extra
(``pip install 'logswarm[deep]'``) because its wheels weigh gigabytes. The fusion rule
(:mod:`logswarm.detect.deep.fusion`) does not, so it imports without torch; touching a model
without torch raises :class:`DeepExtraMissingError` saying what to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from logswarm.detect.deep.fusion import ConsensusFusion, FusionMember, FusionResult

if TYPE_CHECKING:
    from logswarm.detect.deep.deeplog import DeepLogDetector, KeySurprise
    from logswarm.detect.deep.logbert import LogBERTDetector
    from logswarm.detect.deep.params import ParameterValueDetector
    from logswarm.detect.deep.persistence import ModelFormatError, load_detector, save_detector

__all__ = [
    "ConsensusFusion",
    "DeepExtraMissingError",
    "DeepLogDetector",
    "FusionMember",
    "FusionResult",
    "KeySurprise",
    "LogBERTDetector",
    "ModelFormatError",
    "ParameterValueDetector",
    "load_detector",
    "save_detector",
]


class DeepExtraMissingError(ImportError):
    """torch is not installed: the deep detectors need the ``deep`` extra."""


_LAZY = {
    "DeepLogDetector": "logswarm.detect.deep.deeplog",
    "KeySurprise": "logswarm.detect.deep.deeplog",
    "LogBERTDetector": "logswarm.detect.deep.logbert",
    "ModelFormatError": "logswarm.detect.deep.persistence",
    "ParameterValueDetector": "logswarm.detect.deep.params",
    "load_detector": "logswarm.detect.deep.persistence",
    "save_detector": "logswarm.detect.deep.persistence",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if importlib.util.find_spec("torch") is None:
        raise DeepExtraMissingError(
            f"logswarm.detect.deep.{name} needs torch: pip install 'logswarm[deep]'"
        )
    return getattr(importlib.import_module(module), name)
