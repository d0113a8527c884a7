"""DeepLog: a recurrent next-key model over log-key sessions (Du et al., CCS'17).

Why it exists: count-based detectors see *which* templates occurred, not in *what order*. A
session whose lines are all valid but arrive in an order the system never produces (the seed's
"valid line, wrong order") is invisible to them; a model of "what usually follows what" sees it.

What differs from the paper, and why:

- By default the history is the whole session prefix (the LSTM/GRU state), not a fixed window
  of ``h`` keys, so order violations further back than ``h`` still count. ``history=h`` gives
  the paper's fixed window (``h=10`` on HDFS): each key is predicted from the ``h`` keys before
  it only.
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
- ``n_models > 1`` trains that many networks from different initialisations (and batch orders)
  and predicts with their mixture, ``log mean_m p_m(key)``. One network's idiosyncratic
  certainty about a rare-but-normal continuation is averaged away, so the held-out normals'
  scores spread less and a threshold calibrated on them is steadier from seed to seed.
"""

from __future__ import annotations

import math
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


class _MixtureNet(nn.Module):
    """Several next-key nets; outputs the log of their mean predicted probabilities."""

    def __init__(self, nets: list[_NextKeyNet]) -> None:
        super().__init__()
        self.nets = nn.ModuleList(nets)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        stacked = torch.stack([torch.log_softmax(net(tokens), dim=-1) for net in self.nets])
        return torch.logsumexp(stacked, dim=0) - math.log(len(self.nets))


def _shift(sessions: list[list[int]], max_length: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``[BOS, k1..kn]`` and targets ``[k1..kn, EOS]`` (padded with PAD)."""
    inputs = pad_batch([[BOS, *s] for s in sessions], max_length=max_length)
    targets = pad_batch([[*s, EOS] for s in sessions], max_length=max_length)
    return inputs, targets


def _windows(session: list[int], h: int) -> tuple[list[list[int]], list[int]]:
    """The paper's fixed-window view: for each target (keys, then EOS), the ``h`` tokens before it.

    The history of the first keys starts with ``BOS`` and is shorter than ``h``; it is
    left-padded with ``PAD`` so that the last input position is always the newest key.
    """
    framed = [BOS, *session]
    targets = [*session, EOS]
    histories = [framed[max(0, t - h + 1) : t + 1] for t in range(len(targets))]
    return [[PAD] * (h - len(w)) + w for w in histories], targets


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
    history:
        ``None`` (default): each key is predicted from the whole session before it. An int
        ``h``: from the ``h`` keys before it only, the paper's window (``h=10`` on HDFS).
    n_models:
        Networks trained from different initialisations; scores use their mixture.
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
        history: int | None = None,
        n_models: int = 1,
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
        self.history = history
        self.n_models = n_models
        self.max_length = max_length
        self.session_weighting = session_weighting
        self.num_threads = num_threads
        self.random_state = random_state

    def _build_module(self, vocab_size: int) -> nn.Module:
        if self.cell not in _CELLS:
            raise ValueError(f"cell must be one of {_CELLS}, got {self.cell!r}")
        if self.history is not None and self.history < 1:
            raise ValueError(f"history must be None or a positive int, got {self.history!r}")
        if self.n_models < 1:
            raise ValueError(f"n_models must be at least 1, got {self.n_models!r}")
        nets = [
            _NextKeyNet(
                vocab_size, self.embedding_dim, self.hidden_size, self.num_layers, self.cell
            )
            for _ in range(self.n_models)
        ]
        # A single network is saved exactly as before ensembles existed.
        return nets[0] if len(nets) == 1 else _MixtureNet(nets)

    def _members(self) -> list[nn.Module]:
        module = self.module_
        return list(module.nets) if isinstance(module, _MixtureNet) else [module]

    def _batches(
        self, sessions: list[list[int]], max_length: int | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(inputs, targets, session_row)`` of sessions, in the full-prefix or window view.

        Full prefix: one row per session, ``(B, T)`` inputs and targets. Window of ``h``: one
        row per predicted token, ``(P, h)`` inputs and ``(P, 1)`` targets; ``session_row`` says
        which session each row belongs to.
        """
        if self.history is None:
            inputs, targets = _shift(sessions, max_length)
            return inputs, targets, torch.arange(len(sessions))
        rows: list[list[int]] = []
        tgts: list[int] = []
        owner: list[int] = []
        for i, s in enumerate(sessions):
            cut = s[:max_length] if max_length is not None else s
            w, t = _windows(cut, self.history)
            rows += w
            tgts += t
            owner += [i] * len(t)
        return (
            torch.as_tensor(rows, dtype=torch.long),
            torch.as_tensor(tgts, dtype=torch.long).unsqueeze(1),
            torch.as_tensor(owner, dtype=torch.long),
        )

    def _next_key_log_probs(self, inputs: torch.Tensor) -> torch.Tensor:
        """Log-probabilities of the next token at each input position (windowed: the last only)."""
        log_probs = torch.log_softmax(self.module_(inputs), dim=-1)
        return log_probs if self.history is None else log_probs[:, -1:]

    def _train(self, tokens: list[list[int]], rng: np.random.Generator) -> list[float]:
        distinct, counts = distinct_with_counts(tokens)
        weights = session_weights(counts, self.session_weighting)
        loss_fn = nn.CrossEntropyLoss(ignore_index=PAD, reduction="none")
        per_member: list[list[float]] = []
        for module in self._members():
            optimiser = torch.optim.Adam(module.parameters(), lr=self.learning_rate)
            history: list[float] = []
            module.train()
            for _ in range(self.epochs):
                total, norm = 0.0, 0.0
                for batch in length_batches([len(s) for s in distinct], self.batch_size, rng):
                    inputs, targets, owner = self._batches(
                        [distinct[i] for i in batch], self.max_length
                    )
                    logits = module(inputs)
                    if self.history is not None:
                        logits = logits[:, -1:]  # a window predicts its next token only
                    per_key = loss_fn(logits.transpose(1, 2), targets)  # (rows, T)
                    row_w = weights[torch.as_tensor(batch)][owner]
                    w = row_w.unsqueeze(1) * (targets != PAD)
                    loss = (per_key * w).sum() / w.sum()
                    batch_total, batch_norm = weighted_step(optimiser, loss, w)
                    total += batch_total
                    norm += batch_norm
                history.append(total / max(norm, 1e-12))
            module.eval()
            per_member.append(history)
        # The epoch loss reported is the members' mean.
        return [float(np.mean(epoch)) for epoch in zip(*per_member, strict=True)]

    def _margins(self, tokens: list[list[int]]) -> list[torch.Tensor]:
        """Per-session top-g margins of every predicted token (keys, then the end)."""
        out: list[torch.Tensor] = [torch.empty(0)] * len(tokens)
        with torch.no_grad():
            for batch in length_batches([len(s) for s in tokens], 256):
                sessions = [tokens[i] for i in batch]
                inputs, targets, owner = self._batches(sessions, None)
                log_probs = self._next_key_log_probs(inputs)
                margins = topg_margin(log_probs, targets, self.top_g)
                if self.history is None:
                    for row, i in enumerate(batch):
                        out[int(i)] = margins[row, : len(tokens[i]) + 1]
                else:
                    flat = margins[:, 0]
                    for row, i in enumerate(batch):
                        out[int(i)] = flat[owner == row]
        return out

    def _token_loss(self, tokens: list[list[int]]) -> float:
        """Mean negative log-likelihood of each predicted token (keys and the end)."""
        total, count = 0.0, 0
        for batch in length_batches([len(s) for s in tokens], 256):
            inputs, targets, _ = self._batches([tokens[i] for i in batch], None)
            log_probs = self._next_key_log_probs(inputs)
            picked = torch.gather(log_probs, -1, targets.unsqueeze(-1)).squeeze(-1)
            real = targets != PAD
            total -= float(picked[real].sum())
            count += int(real.sum())
        return total / max(count, 1)

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
                inputs, _, _ = self._batches([toks], None)
                if self.history is None:
                    log_probs = self._next_key_log_probs(inputs)[0, pos]
                else:
                    log_probs = self._next_key_log_probs(inputs[pos : pos + 1])[0, 0]
                best = torch.topk(log_probs, min(top, log_probs.shape[-1])).indices.tolist()
                expected = tuple(self.vocabulary_.decode(int(t)) for t in best)
                actual = seq[pos] if pos < len(seq) else None
                result.append(KeySurprise(pos, actual, expected, float(m[pos])))
        return result
