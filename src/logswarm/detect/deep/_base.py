"""What DeepLog and LogBERT share: input validation, held-out calibration, the top-g threshold.

Why held-out calibration: a sequence model memorises the sessions it was trained on, so its
scores on them are far more confident than on new normal sessions. A threshold set on those
in-sample scores would flag many new normals. So ``fit`` keeps ``calibration_fraction`` of the
training normals aside (chosen by ``random_state``), trains on the rest and calibrates
``offset_`` on the kept-aside normals' scores. No label is ever used: the data is assumed normal.
"""

from __future__ import annotations

import copy
from abc import abstractmethod
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from logswarm.detect.base import BaseDetector
from logswarm.detect.deep._runtime import seed_everything, torch_threads
from logswarm.detect.deep._sequences import (
    KeyVocabulary,
    as_key_matrix,
    rows_to_lists,
)

__all__ = ["TorchSequenceDetector", "weighted_step"]

FloatArray = npt.NDArray[np.float64]


def weighted_step(
    optimiser: torch.optim.Optimizer, loss: torch.Tensor, weight: torch.Tensor
) -> tuple[float, float]:
    """One optimiser step on ``loss``, a mean weighted by ``weight``.

    Returns what the batch adds to its epoch's weighted mean loss: ``(loss * sum(weight),
    sum(weight))``.
    """
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    optimiser.step()
    mass = float(weight.sum())
    return float(loss.detach()) * mass, mass


class TorchSequenceDetector(BaseDetector):
    """Base of the torch sequence detectors (see the module docstring).

    Subclasses set ``kind`` (the name written into saved metadata), implement
    :meth:`_build_module`, :meth:`_train` and :meth:`_score_tokens`, and may store extra learned
    state through :meth:`_extra_state` / :meth:`_load_extra_state` (JSON-able values or tensors).
    """

    kind: ClassVar[str]

    # Parameters every subclass declares in its __init__.
    calibration_fraction: float
    threshold: str
    top_g: int
    num_threads: int
    random_state: int | None

    #: Learned: the known keys.
    vocabulary_: KeyVocabulary
    #: Learned: the network.
    module_: nn.Module
    #: Learned: mean training loss of each epoch (convergence is visible, and tested).
    loss_history_: list[float]
    #: Learned: scores of the held-out training normals the threshold was calibrated on.
    calibration_scores_: FloatArray
    #: Learned: positions, in the training sessions given to ``fit``, of those held-out
    #: normals (aligned with ``calibration_scores_``; empty when nothing was held out). Lets a
    #: caller calibrate a consensus on normals no member trained on.
    calibration_index_: npt.NDArray[np.intp]
    #: Learned: mean loss per predicted token on the held-out training normals (NaN when the
    #: model has no such loss or nothing was held out). Lower means new normal sessions
    #: surprise the model less: a label-free way to compare configurations.
    held_out_loss_: float

    # --- subclass hooks --------------------------------------------------------------------

    @abstractmethod
    def _build_module(self, vocab_size: int) -> nn.Module:
        """A freshly initialised network for ``vocab_size`` tokens."""

    @abstractmethod
    def _train(self, tokens: list[list[int]], rng: np.random.Generator) -> list[float]:
        """Train ``self.module_`` on token sessions; return the loss of each epoch."""

    @abstractmethod
    def _score_tokens(self, tokens: list[list[int]]) -> FloatArray:
        """Scores (higher is normal) of token sessions with the trained module."""

    def _token_loss(self, tokens: list[list[int]]) -> float:
        """Mean loss per predicted token of token sessions (NaN: the model defines none)."""
        del tokens
        return float("nan")

    def _extra_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Learned state beyond the module: JSON-able metadata and tensors."""
        return {}, {}

    def _load_extra_state(self, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        del meta, tensors

    # --- BaseDetector ----------------------------------------------------------------------

    def _validate(self, X: Any, *, reset: bool) -> Any:
        matrix = as_key_matrix(X)
        if matrix.shape[0] == 0:
            raise ValueError("no sessions given")
        if reset:
            # Sessions have any length: the width seen in fit is informative, not a constraint.
            self.n_features_in_ = int(matrix.shape[1])
        return matrix

    def fit(self, X: Any, y: Any = None) -> TorchSequenceDetector:
        """Train on normal sessions, calibrate on a held-out share of them; ``y`` is ignored."""
        if self.threshold not in ("calibrated", "top_g"):
            raise ValueError(f"threshold must be 'calibrated' or 'top_g', got {self.threshold!r}")
        if not 0.0 <= self.calibration_fraction < 1.0:
            raise ValueError("calibration_fraction must be in [0, 1)")
        super().fit(X, y)
        return self

    def _calibrate(self, train_scores: FloatArray) -> None:
        self.calibration_scores_ = np.asarray(train_scores, dtype=np.float64)
        super()._calibrate(train_scores)
        if self.threshold == "top_g":
            # The published rule: flag when some key falls outside the top g predictions.
            median = self.offset_ + self.score_scale_
            self.offset_ = 0.0
            self.score_scale_ = max(median, 1e-12)

    def recalibrated(self, target_fpr: float) -> Self:
        """A copy sharing the trained network, with its threshold set at another ``target_fpr``.

        For a member of a conjunctive consensus: when several detectors must agree, each one's
        false positives are filtered by the others, so each can afford a looser threshold.
        Costs no training: the held-out calibration scores are kept.
        """
        twin = copy.copy(self)
        twin.target_fpr = target_fpr
        twin.threshold = "calibrated"
        twin._calibrate(self.calibration_scores_)
        return twin

    def _fit(self, X: Any) -> FloatArray:
        sessions = rows_to_lists(X)
        with torch_threads(self.num_threads):
            rng, _ = seed_everything(self.random_state)
            n = len(sessions)
            n_cal = round(self.calibration_fraction * n)
            if n - n_cal < 1:
                raise ValueError("too few sessions to train on after keeping some for calibration")
            order = rng.permutation(n)
            cal_idx, train_idx = order[:n_cal], order[n_cal:]
            self.calibration_index_ = np.asarray(cal_idx, dtype=np.intp)
            train = [sessions[i] for i in train_idx]
            self.vocabulary_ = KeyVocabulary.from_sequences(train)
            self.module_ = self._build_module(self.vocabulary_.size)
            self.loss_history_ = self._train(self.vocabulary_.encode(train), rng)
            self.module_.eval()
            calibrate_on = self.vocabulary_.encode(
                [sessions[i] for i in cal_idx] if n_cal else train
            )
            with torch.no_grad():
                self.held_out_loss_ = self._token_loss(calibrate_on) if n_cal else float("nan")
                return self._score_tokens(calibrate_on)

    def _score(self, X: Any) -> FloatArray:
        tokens = self.vocabulary_.encode(rows_to_lists(X))
        # Log sessions repeat massively: score each distinct session once.
        index: dict[tuple[int, ...], int] = {}
        rows = [index.setdefault(tuple(t), len(index)) for t in tokens]
        with torch_threads(self.num_threads), torch.no_grad():
            distinct_scores = self._score_tokens([list(t) for t in index])
        return distinct_scores[np.asarray(rows, dtype=np.intp)]

    # --- persistence (used by logswarm.detect.deep.persistence) ------------------------------

    def _learned_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        meta, tensors = self._extra_state()
        meta = {
            **meta,
            "offset_": self.offset_,
            "score_scale_": self.score_scale_,
            "n_features_in_": self.n_features_in_,
            "loss_history_": list(self.loss_history_),
            "calibration_scores_": [float(v) for v in self.calibration_scores_],
            "held_out_loss_": self.held_out_loss_,
            "calibration_index_": [int(i) for i in self.calibration_index_],
            "vocabulary": list(self.vocabulary_.keys),
        }
        module_state = {f"module.{k}": v for k, v in self.module_.state_dict().items()}
        return meta, {**module_state, **tensors}

    def _restore(self, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.vocabulary_ = KeyVocabulary(tuple(int(k) for k in meta["vocabulary"]))
        self.offset_ = float(meta["offset_"])
        self.score_scale_ = float(meta["score_scale_"])
        self.n_features_in_ = int(meta["n_features_in_"])
        self.loss_history_ = [float(v) for v in meta["loss_history_"]]
        self.calibration_scores_ = np.asarray(meta["calibration_scores_"], dtype=np.float64)
        self.held_out_loss_ = float(meta.get("held_out_loss_", float("nan")))
        self.calibration_index_ = np.asarray(meta.get("calibration_index_", []), dtype=np.intp)
        module = self._build_module(self.vocabulary_.size)
        prefix = "module."
        module.load_state_dict(
            {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        )
        module.eval()
        self.module_ = module
        self._load_extra_state(meta, {k: v for k, v in tensors.items() if not k.startswith(prefix)})
