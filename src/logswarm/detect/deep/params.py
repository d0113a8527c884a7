"""DeepLog's parameter-value model: an LSTM over the numeric fields of one log key.

Why: a log line can have the right key in the right place and still be wrong in its values
(a request that took 30 s instead of 30 ms, a retry counter that jumps). DeepLog keeps, for each
log key, the time series of its parameter vectors (elapsed time since the previous line, numeric
fields) and flags a line whose vector the model could not predict from the previous ones.

Input is one key's series: a 2-D float array, one row per occurrence in time order, one column
per parameter. Keep one detector per log key (a dict from template id to detector). Row ``t``'s
score is minus the squared prediction error of row ``t`` from the ``window`` rows before it, in
units of the training columns' standard deviations (rows without a full history are predicted
from the training mean history). The threshold is calibrated on the *last*
``calibration_fraction`` of the training series (time order kept: the model is judged on values
it has not seen yet, as it will be in operation), which replaces the paper's Gaussian interval
with the equivalent quantile.

It saves and loads like the sequence detectors (:func:`logswarm.detect.deep.save_detector`):
the forecaster's ``state_dict`` plus JSON metadata (column means and scales, threshold).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import torch
from sklearn.utils.validation import validate_data
from torch import nn

from logswarm.detect.base import BaseDetector
from logswarm.detect.deep._runtime import seed_everything, torch_threads

__all__ = ["ParameterValueDetector"]

FloatArray = npt.NDArray[np.float64]


class _Forecaster(nn.Module):
    def __init__(self, n_params: int, hidden_size: int) -> None:
        super().__init__()
        self.rnn = nn.LSTM(n_params, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_params)

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(history)
        pred: torch.Tensor = self.head(out[:, -1])
        return pred


class ParameterValueDetector(BaseDetector):
    """Per-row anomaly scores of one log key's parameter-vector series; see the module docstring."""

    kind: ClassVar[str] = "parameter-value"

    mean_: FloatArray
    std_: FloatArray
    module_: _Forecaster
    loss_history_: list[float]

    def __init__(
        self,
        *,
        window: int = 5,
        hidden_size: int = 32,
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 5e-3,
        target_fpr: float = 0.003,
        calibration_fraction: float = 0.2,
        num_threads: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.window = window
        self.hidden_size = hidden_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.target_fpr = target_fpr
        self.calibration_fraction = calibration_fraction
        self.num_threads = num_threads
        self.random_state = random_state

    def _validate(self, X: Any, *, reset: bool) -> Any:
        return validate_data(self, X, reset=reset, dtype=np.float64, ensure_min_samples=2)

    def _windows(self, Z: FloatArray) -> tuple[torch.Tensor, torch.Tensor]:
        """Histories ``(n, window, p)`` (zero = the training mean before the series starts)."""
        padded = np.vstack([np.zeros((self.window, Z.shape[1])), Z])
        hist = np.stack([padded[i : i + self.window] for i in range(Z.shape[0])])
        return torch.as_tensor(hist, dtype=torch.float32), torch.as_tensor(Z, dtype=torch.float32)

    def _fit(self, X: FloatArray) -> FloatArray:
        n_cal = round(self.calibration_fraction * X.shape[0])
        train = X[: X.shape[0] - n_cal] if n_cal else X
        if train.shape[0] < 2:
            raise ValueError("too few rows to train on after keeping some for calibration")
        self.mean_ = train.mean(axis=0)
        self.std_ = np.maximum(train.std(axis=0), 1e-9)
        with torch_threads(self.num_threads):
            rng, _ = seed_everything(self.random_state)
            self.module_ = _Forecaster(X.shape[1], self.hidden_size)
            hist, target = self._windows((train - self.mean_) / self.std_)
            optimiser = torch.optim.Adam(self.module_.parameters(), lr=self.learning_rate)
            self.loss_history_ = []
            self.module_.train()
            for _ in range(self.epochs):
                order = rng.permutation(len(hist))
                total = 0.0
                for i in range(0, len(order), self.batch_size):
                    idx = torch.as_tensor(order[i : i + self.batch_size])
                    loss = ((self.module_(hist[idx]) - target[idx]) ** 2).mean()
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * len(idx)
                self.loss_history_.append(total / len(order))
            self.module_.eval()
            scores = self._score(X)
        return scores[X.shape[0] - n_cal :] if n_cal else scores

    def _score(self, X: FloatArray) -> FloatArray:
        with torch_threads(self.num_threads), torch.no_grad():
            hist, target = self._windows((X - self.mean_) / self.std_)
            err = ((self.module_(hist) - target) ** 2).sum(dim=1)
        return np.asarray(-err.numpy(), dtype=np.float64)

    # --- persistence (used by logswarm.detect.deep.persistence) ------------------------------

    def _learned_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        meta = {
            "offset_": self.offset_,
            "score_scale_": self.score_scale_,
            "n_features_in_": self.n_features_in_,
            "loss_history_": list(self.loss_history_),
            "mean_": [float(v) for v in self.mean_],
            "std_": [float(v) for v in self.std_],
        }
        return meta, {f"module.{k}": v for k, v in self.module_.state_dict().items()}

    def _restore(self, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.offset_ = float(meta["offset_"])
        self.score_scale_ = float(meta["score_scale_"])
        self.n_features_in_ = int(meta["n_features_in_"])
        self.loss_history_ = [float(v) for v in meta["loss_history_"]]
        self.mean_ = np.asarray(meta["mean_"], dtype=np.float64)
        self.std_ = np.asarray(meta["std_"], dtype=np.float64)
        if self.mean_.shape != (self.n_features_in_,) or self.std_.shape != self.mean_.shape:
            raise ValueError("saved column statistics do not match n_features_in_")
        module = _Forecaster(self.n_features_in_, self.hidden_size)
        prefix = "module."
        module.load_state_dict({k[len(prefix) :]: v for k, v in tensors.items()})
        module.eval()
        self.module_ = module
