"""Saving and loading deep detectors as ``state_dict`` tensors plus JSON metadata.

Why not pickle: loading a pickle runs arbitrary code, and a pickled estimator only loads with
the exact class layout that wrote it. A saved detector is a folder with two files:

- ``model.json``: format version, detector kind, its constructor parameters and learned scalars
  (threshold, vocabulary, ...), readable by people and by other tools;
- ``weights.pt``: a flat ``{name: tensor}`` mapping written with ``torch.save`` and read back
  with ``torch.load(weights_only=True)``, which refuses anything but tensors and plain containers.

Classes are looked up in an explicit registry by kind, never by an arbitrary name from the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Protocol

import torch

from logswarm.detect.base import BaseDetector
from logswarm.detect.deep.deeplog import DeepLogDetector
from logswarm.detect.deep.logbert import LogBERTDetector
from logswarm.detect.deep.params import ParameterValueDetector

__all__ = ["FORMAT", "ModelFormatError", "SavableDetector", "load_detector", "save_detector"]

#: Version of the folder layout; bumped when a reader could misread an older folder.
FORMAT = "logswarm.deep-detector/1"
_META = "model.json"
_WEIGHTS = "weights.pt"


class SavableDetector(Protocol):
    """What a savable detector offers: its kind, parameters and learned state as tensors + JSON."""

    kind: ClassVar[str]

    def get_params(self, deep: bool = True) -> dict[str, Any]: ...

    def _learned_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]: ...

    def _restore(self, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None: ...


_KINDS: dict[str, type[SavableDetector]] = {
    DeepLogDetector.kind: DeepLogDetector,
    LogBERTDetector.kind: LogBERTDetector,
    ParameterValueDetector.kind: ParameterValueDetector,
}


class ModelFormatError(ValueError):
    """A saved-model folder is missing, incomplete, or of another format or kind."""


def save_detector(detector: SavableDetector, path: str | Path) -> Path:
    """Write a fitted detector to the folder ``path`` (created if needed); return the folder."""
    if not hasattr(detector, "module_"):
        raise ValueError("only a fitted detector can be saved")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    learned, tensors = detector._learned_state()
    meta = {
        "format": FORMAT,
        "kind": detector.kind,
        "params": detector.get_params(deep=False),
        "learned": learned,
        "torch_version": torch.__version__,
    }
    torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, folder / _WEIGHTS)
    (folder / _META).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    return folder


def load_detector(path: str | Path) -> BaseDetector:
    """Read a detector saved by :func:`save_detector` (on this or another machine)."""
    folder = Path(path)
    meta_path, weights_path = folder / _META, folder / _WEIGHTS
    if not meta_path.is_file() or not weights_path.is_file():
        raise ModelFormatError(
            f"{folder} is not a saved LogSwarm deep detector: expected {_META} and {_WEIGHTS} in it"
        )
    try:
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ModelFormatError(f"{meta_path} is not valid JSON: {e}") from e
    if meta.get("format") != FORMAT:
        raise ModelFormatError(
            f"{meta_path} has format {meta.get('format')!r}, expected {FORMAT!r}"
        )
    kind = meta.get("kind")
    cls = _KINDS.get(str(kind))
    if cls is None:
        raise ModelFormatError(
            f"{meta_path} holds unknown detector kind {kind!r}; known: {sorted(_KINDS)}"
        )
    tensors = torch.load(weights_path, map_location="cpu", weights_only=True)
    if not isinstance(tensors, dict) or not all(
        isinstance(v, torch.Tensor) for v in tensors.values()
    ):
        raise ModelFormatError(f"{weights_path} does not hold a flat mapping of tensors")
    detector = cls(**meta["params"])
    detector._restore(meta["learned"], tensors)
    assert isinstance(detector, BaseDetector)
    return detector
