"""DeepLog: a recurrent next-key model over log-key sessions (Du et al., CCS'17).

Why it exists: count-based detectors see *which* templates occurred, not in *what order*. A
session whose lines are all valid but arrive in an order the system never produces (the seed's
"valid line, wrong order") is invisible to them; a model of "what usually follows what" sees it.

What differs from the paper, and why:

- The history is the whole session prefix (the LSTM/GRU state), not a fixed window of ``h``
  keys, so order violations further back than ``h`` still count.
- Sessions are framed by a start token and an end token that the model must predict. An HDFS
  block whose session stops early (its commonest anomaly) then shows as a mispredicted end.
- The top-g rule is kept as a continuous margin, ``log p(key) - log p(g-th best key)``, which
  is non-negative exactly when the key is among the top ``g`` predictions. ``score_samples`` is
  the session's smallest margin; ``threshold="top_g"`` flags a session when it is negative (the
  published rule), ``threshold="calibrated"`` (default) calibrates it on held-out training
  normals at ``target_fpr`` like every other LogSwarm detector.
- Training runs on distinct sessions (HDFS's thousands of normal blocks hold only a few hundred
  distinct key sequences), each weighing the same by default (``session_weighting="distinct"``):
  a rare normal session is learnt as well as a common one, so new normal sessions made of
  rare-but-normal parts are less often flagged (on the LogRobust split this halved the
  false positives shared with the count-based detectors compared with count weighting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from logswarm.detect.deep._base import TorchSequenceDetector, weighted_step
from logswarm.detect.deep._runtime import (
    distinct_with_counts,
    length_batches,
    pad_batch,
    session_weights,
    topg_margin,
    torch_threads,
)
from logswarm.detect.deep._sequences import BOS, EOS, PAD, rows_to_lists

__all__ = ["DeepLogDetector", "KeySurprise"]

FloatArray = npt.NDArray[np.float64]

_CELLS = ("lstm", "gru")


class _NextKeyNet(nn.Module):
    """Embedding -> LSTM/GRU -> logits over the next token."""

    def __init__(
        self, vocab_size: int, embedding_dim: int, hidden_size: int, num_layers: int, cell: str
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD)
        rnn_cls = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn_cls(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(tokens))
        logits: torch.Tensor = self.head(out)
        return logits


def _shift(sessions: list[list[int]], max_length: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``[BOS, k1..kn]`` and targets ``[k1..kn, EOS]`` (padded with PAD)."""
    inputs = pad_batch([[BOS, *s] for s in sessions], max_length=max_length)
    targets = pad_batch([[*s, EOS] for s in sessions], max_length=max_length)
    return inputs, targets


@dataclass(frozen=True, slots=True)
class KeySurprise:
    """Where a session surprised the model most: evidence for an incident."""

    #: 0-based position in the session (``len(session)`` means "the session ended here").
    position: int
    #: The key that occurred (None when the session ended).
    actual: int | None
    #: The keys the model expected, most likely first (None: end of session or a reserved token).
    expected: tuple[int | None, ...]
    #: ``log p(actual) - log p(g-th best)``: negative means outside the top g.
    margin: float


class DeepLogDetector(TorchSequenceDetector):
    """Next-key LSTM (or GRU) over template-id sessions; see the module docstring.

    Parameters
    ----------
    cell:
        ``"lstm"`` (the paper's) or ``"gru"`` (fewer parameters, similar accuracy on HDFS).
    top_g:
        ``g`` of the top-g rule. 9 is the paper's HDFS setting.
    threshold:
        ``"calibrated"`` (held-out training normals at ``target_fpr``) or ``"top_g"``.
    target_fpr:
        Share of held-out training normals allowed below the calibrated threshold.
    calibration_fraction:
        Share of the training sessions kept aside for calibration.
    max_length:
        Training sessions are cut to this many keys (scoring sees whole sessions).
    num_threads:
        torch intra-op threads during fit and scoring (restored afterwards).
    """

    kind: ClassVar[str] = "deeplog"

    def __init__(
        self,
        *,
        cell: str = "lstm",
        embedding_dim: int = 32,
        hidden_size: int = 64,
        num_layers: int = 2,
        top_g: int = 9,
        threshold: str = "calibrated",
        target_fpr: float = 0.003,
        calibration_fraction: float = 0.2,
        epochs: int = 30,
        batch_size: int = 32,
        learning_rate: float = 5e-3,
        max_length: int = 512,
        session_weighting: str = "distinct",
        num_threads: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.cell = cell
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.top_g = top_g
        self.threshold = threshold
        self.target_fpr = target_fpr
        self.calibration_fraction = calibration_fraction
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_length = max_length
        self.session_weighting = session_weighting
        self.num_threads = num_threads
        self.random_state = random_state

    def _build_module(self, vocab_size: int) -> nn.Module:
        if self.cell not in _CELLS:
            raise ValueError(f"cell must be one of {_CELLS}, got {self.cell!r}")
        return _NextKeyNet(
            vocab_size, self.embedding_dim, self.hidden_size, self.num_layers, self.cell
        )

    def _train(self, tokens: list[list[int]], rng: np.random.Generator) -> list[float]:
        distinct, counts = distinct_with_counts(tokens)
        weights = session_weights(counts, self.session_weighting)
        module = self.module_
        optimiser = torch.optim.Adam(module.parameters(), lr=self.learning_rate)
        loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, reduction="none")
        history: list[float] = []
        module.train()
        for _ in range(self.epochs):
            total, norm = 0.0, 0.0
            for batch in length_batches([len(s) for s in distinct], self.batch_size, rng):
                inputs, targets = _shift([distinct[i] for i in batch], self.max_length)
                logits = module(inputs)
                per_key = loss_fn(logits.transpose(1, 2), targets)  # (B, T)
                w = weights[torch.as_tensor(batch)].unsqueeze(1) * (targets != PAD)
                loss = (per_key * w).sum() / w.sum()
                batch_total, batch_norm = weighted_step(optimiser, loss, w)
                total += batch_total
                norm += batch_norm
            history.append(total / max(norm, 1e-12))
        return history

    def _margins(self, tokens: list[list[int]]) -> list[torch.Tensor]:
        """Per-session top-g margins of every predicted token (keys, then the end)."""
        out: list[torch.Tensor] = [torch.empty(0)] * len(tokens)
        with torch.no_grad():
            for batch in length_batches([len(s) for s in tokens], 256):
                sessions = [tokens[i] for i in batch]
                inputs, targets = _shift(sessions, None)
                log_probs = torch.log_softmax(self.module_(inputs), dim=-1)
                margins = topg_margin(log_probs, targets, self.top_g)
                for row, i in enumerate(batch):
                    out[int(i)] = margins[row, : len(tokens[i]) + 1]
        return out

    def _score_tokens(self, tokens: list[list[int]]) -> FloatArray:
        return np.array([float(m.min()) for m in self._margins(tokens)], dtype=np.float64)

    def explain(self, X: Any, *, top: int = 3) -> list[KeySurprise]:
        """For each session, the key that surprised the model most and what it expected instead."""
        matrix = self._validate(X, reset=False)
        sessions = rows_to_lists(matrix)
        tokens = self.vocabulary_.encode(sessions)
        result: list[KeySurprise] = []
        with torch_threads(self.num_threads), torch.no_grad():
            margins = self._margins(tokens)
            for seq, toks, m in zip(sessions, tokens, margins, strict=True):
                pos = int(torch.argmin(m))
                inputs, _ = _shift([toks], None)
                log_probs = torch.log_softmax(self.module_(inputs)[0, pos], dim=-1)
                best = torch.topk(log_probs, min(top, log_probs.shape[-1])).indices.tolist()
                expected = tuple(self.vocabulary_.decode(int(t)) for t in best)
                actual = seq[pos] if pos < len(seq) else None
                result.append(KeySurprise(pos, actual, expected, float(m[pos])))
        return result
