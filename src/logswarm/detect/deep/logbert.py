"""LogBERT-style detector: masked log-key prediction plus a hypersphere objective (Guo et al., 2021).

Why a second deep model: DeepLog reads a session left to right and judges each key by its past
only; a bidirectional transformer judges each key by its whole context, and its session
embedding (the output at the start token, LogBERT's ``DIST``) is a vector the retrieval and
clustering side can reuse. The volume-of-hypersphere (VHM) objective pulls the embeddings of
normal sessions towards a centre ``c``, so that distance to ``c`` is a second, global anomaly
signal next to the local one (mispredicted masked keys).

Scoring is deterministic (no random masks at inference): positions are masked in
``mask_groups`` interleaved groups (every ``mask_groups``-th key, each offset in turn), so every
key, and the session's end token, is predicted once from its context. ``score_samples`` is

    min over positions of (log p(key) - log p(g-th best key))  -  distance_weight * d² / d²_median

where ``d`` is the start token's distance to ``c`` and ``d²_median`` its median over training
sessions. The first term is negative when some key falls outside the top ``g`` predictions (the
LogBERT rule), the second grows with distance from the normal hypersphere.

``scoring="misses"`` is the paper's own rule instead: minus the number of keys outside the top
``g`` predictions (ties broken by the smallest margin, scaled down so it never outweighs one
miss); the calibrated threshold then plays the part of the paper's ``r``. :meth:`rescored`
switches an already trained model between the two.

Small by design (2 layers, 64 dimensions): it trains on 2 CPU cores in about a minute on HDFS.
``epochs`` defaults to 40 because the training loss was still falling at 20 (HDFS training
normals: 0.43 at epoch 20, 0.31 at epoch 40, flattening over the last five), a label-free rule.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any, ClassVar, Self

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
)
from logswarm.detect.deep._sequences import BOS, EOS, MASK, PAD, rows_to_lists

__all__ = ["LogBERTDetector"]

_SCORINGS = ("margin", "misses")
#: Weight of the smallest margin in ``scoring="misses"``: margins stay within a few tens of
#: nats, so the tie-break moves a score by well under one miss.
_TIE_BREAK = 1e-3

FloatArray = npt.NDArray[np.float64]


class _MaskedKeyNet(nn.Module):
    """Token + position embeddings -> transformer encoder -> (per-token logits, DIST vector)."""

    def __init__(
        self,
        vocab_size: int,
        d_model: int,
        n_heads: int,
        n_layers: int,
        ff_dim: int,
        max_positions: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.max_positions = max_positions
        self.tokens = nn.Embedding(vocab_size, d_model, padding_idx=PAD)
        self.positions = nn.Embedding(max_positions, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, ff_dim, dropout=dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        length = tokens.shape[1]
        # Positions beyond the table share its last row: long sessions still score.
        pos = torch.clamp(torch.arange(length), max=self.max_positions - 1)
        h = self.tokens(tokens) + self.positions(pos).unsqueeze(0)
        h = self.norm(self.encoder(h, src_key_padding_mask=tokens == PAD))
        logits: torch.Tensor = self.head(h)
        return logits, h[:, 0]


def _frame(sessions: list[list[int]], max_length: int | None) -> torch.Tensor:
    """``[DIST, k1..kn, EOS]`` rows padded with PAD (cut to ``max_length`` keys)."""
    cut = [s[:max_length] if max_length is not None else s for s in sessions]
    return pad_batch([[BOS, *s, EOS] for s in cut])


class LogBERTDetector(TorchSequenceDetector):
    """Masked-key transformer with a hypersphere objective; see the module docstring."""

    kind: ClassVar[str] = "logbert"

    #: Learned: centre of the normal sessions' DIST vectors.
    center_: torch.Tensor
    #: Learned: median squared distance of training sessions to the centre.
    radius2_: float

    def __init__(
        self,
        *,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        ff_dim: int = 128,
        dropout: float = 0.1,
        mask_ratio: float = 0.25,
        vhm_weight: float = 0.1,
        distance_weight: float = 1.0,
        scoring: str = "margin",
        top_g: int = 9,
        threshold: str = "calibrated",
        target_fpr: float = 0.003,
        calibration_fraction: float = 0.2,
        epochs: int = 40,
        batch_size: int = 32,
        learning_rate: float = 2e-3,
        max_length: int = 512,
        session_weighting: str = "distinct",
        num_threads: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.ff_dim = ff_dim
        self.dropout = dropout
        self.mask_ratio = mask_ratio
        self.vhm_weight = vhm_weight
        self.distance_weight = distance_weight
        self.scoring = scoring
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

    @property
    def _mask_groups(self) -> int:
        return max(1, round(1.0 / max(self.mask_ratio, 1e-6)))

    def _build_module(self, vocab_size: int) -> nn.Module:
        if self.scoring not in _SCORINGS:
            raise ValueError(f"scoring must be one of {_SCORINGS}, got {self.scoring!r}")
        return _MaskedKeyNet(
            vocab_size,
            self.d_model,
            self.n_heads,
            self.n_layers,
            self.ff_dim,
            self.max_length + 2,
            self.dropout,
        )

    def _net(self) -> _MaskedKeyNet:
        assert isinstance(self.module_, _MaskedKeyNet)
        return self.module_

    def _dist_vectors(self, sessions: list[list[int]]) -> torch.Tensor:
        net = self._net()
        out = torch.zeros(len(sessions), self.d_model)
        for batch in length_batches([len(s) for s in sessions], 256):
            _, dist = net(_frame([sessions[i] for i in batch], self.max_length))
            out[torch.as_tensor(batch)] = dist
        return out

    def _train(self, tokens: list[list[int]], rng: np.random.Generator) -> list[float]:
        distinct, counts = distinct_with_counts(tokens)
        weights = session_weights(counts, self.session_weighting)
        net = self._net()
        optimiser = torch.optim.AdamW(net.parameters(), lr=self.learning_rate)
        loss_fn = nn.CrossEntropyLoss(reduction="none")
        gen = torch.Generator().manual_seed(int(rng.integers(0, 2**31 - 1)))
        center = torch.zeros(self.d_model)
        history: list[float] = []
        for epoch in range(self.epochs):
            if epoch > 0 and self.vhm_weight > 0:
                # LogBERT re-estimates the centre from the current model each epoch.
                net.eval()
                with torch.no_grad():
                    dist = self._dist_vectors(distinct)
                    center = (dist * weights.unsqueeze(1)).sum(0) / weights.sum()
            net.train()
            total, norm = 0.0, 0.0
            for batch in length_batches([len(s) for s in distinct], self.batch_size, rng):
                framed = _frame([distinct[i] for i in batch], self.max_length)
                maskable = (framed != PAD) & (framed != BOS)
                chosen = (torch.rand(framed.shape, generator=gen) < self.mask_ratio) & maskable
                # At least one masked token per session, so every session teaches something.
                lengths = maskable.sum(1)
                forced = (torch.rand(len(batch), generator=gen) * lengths).long() + 1
                chosen[torch.arange(len(batch)), forced] = True
                inputs = framed.masked_fill(chosen, MASK)
                logits, dist = net(inputs)
                per_tok = loss_fn(logits.transpose(1, 2), framed)  # (B, T)
                w = weights[torch.as_tensor(batch)]
                mlm = ((per_tok * chosen).sum(1) / chosen.sum(1) * w).sum() / w.sum()
                loss = mlm
                if epoch > 0 and self.vhm_weight > 0:
                    vhm = (((dist - center) ** 2).sum(1) * w).sum() / w.sum()
                    loss = mlm + self.vhm_weight * vhm
                batch_total, batch_norm = weighted_step(optimiser, loss, w)
                total += batch_total
                norm += batch_norm
            history.append(total / max(norm, 1e-12))
        net.eval()
        with torch.no_grad():
            dist = self._dist_vectors(distinct)
            self.center_ = (dist * weights.unsqueeze(1)).sum(0) / weights.sum()
            d2 = ((dist - self.center_) ** 2).sum(1).numpy()
            self.radius2_ = max(_weighted_median(d2, weights.numpy()), 1e-12)
        return history

    def _score_tokens(self, tokens: list[list[int]]) -> FloatArray:
        net = self._net()
        groups = self._mask_groups
        scores = np.zeros(len(tokens), dtype=np.float64)
        with torch.no_grad():
            for batch in length_batches([len(s) for s in tokens], 128):
                framed = _frame([tokens[i] for i in batch], None)
                maskable = (framed != PAD) & (framed != BOS)
                worst = torch.full((len(batch),), math.inf)
                misses = torch.zeros(len(batch))
                positions = torch.arange(framed.shape[1])
                for g in range(groups):
                    chosen = maskable & (positions % groups == g).unsqueeze(0)
                    if not bool(chosen.any()):
                        continue
                    logits, _ = net(framed.masked_fill(chosen, MASK))
                    margins = topg_margin(torch.log_softmax(logits, -1), framed, self.top_g)
                    margins = margins.masked_fill(~chosen, math.inf)
                    worst = torch.minimum(worst, margins.min(1).values)
                    misses += (margins < 0).sum(1)
                if self.scoring == "misses":
                    s = -misses + _TIE_BREAK * worst
                else:
                    _, dist = net(framed)
                    d2 = ((dist - self.center_) ** 2).sum(1)
                    s = worst - self.distance_weight * d2 / self.radius2_
                scores[np.asarray(batch)] = s.numpy()
        return scores

    def rescored(self, scoring: str, held_out: Sequence[Sequence[int]]) -> Self:
        """A copy sharing the trained network that scores with ``scoring``, its threshold
        recalibrated at ``target_fpr`` on ``held_out`` normal sessions (ones it did not train
        on, e.g. the training sessions at ``calibration_index_``). Costs no training."""
        if scoring not in _SCORINGS:
            raise ValueError(f"scoring must be one of {_SCORINGS}, got {scoring!r}")
        twin = copy.copy(self)
        twin.scoring = scoring
        twin.threshold = "calibrated"
        tokens = twin.vocabulary_.encode(rows_to_lists(twin._validate(held_out, reset=False)))
        with torch.no_grad():
            twin._calibrate(twin._score_tokens(tokens))
        return twin

    def _extra_state(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        return {"radius2_": self.radius2_}, {"center_": self.center_.clone()}

    def _load_extra_state(self, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.radius2_ = float(meta["radius2_"])
        self.center_ = tensors["center_"]


def _weighted_median(values: npt.NDArray[Any], weights: npt.NDArray[Any]) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])
