"""Small torch helpers the deep detectors share: threads, seeding, batching, top-g margins.

Why: both models train on the same shape of data (sessions of very different lengths, many of
them duplicates) on a 2-core machine shared with other work. Batching sessions of similar length
together and training on distinct sessions weighted by their count keeps an epoch to a fraction
of a second; capping torch's threads (and restoring the caller's setting afterwards) keeps a fit
from starving its neighbours.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch

from logswarm.detect.deep._sequences import PAD

__all__ = [
    "distinct_with_counts",
    "length_batches",
    "pad_batch",
    "seed_everything",
    "session_weights",
    "topg_margin",
    "torch_threads",
]


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with torch limited to ``n`` intra-op threads, then restore the setting."""
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def seed_everything(
    random_state: int | np.random.Generator | None,
) -> tuple[np.random.Generator, int]:
    """A numpy generator and a torch seed derived from ``random_state`` (and torch seeded with it).

    Seeding torch's global generator is what makes parameter initialisation reproducible; the
    derived seed is drawn from the numpy generator so that ``None`` still means "fresh".
    """
    rng = (
        random_state
        if isinstance(random_state, np.random.Generator)
        else np.random.default_rng(random_state)
    )
    seed = int(rng.integers(0, 2**31 - 1))
    torch.manual_seed(seed)
    return rng, seed


def distinct_with_counts(sequences: Sequence[Sequence[int]]) -> tuple[list[list[int]], list[int]]:
    """Distinct sessions (first-seen order) and how often each occurred."""
    counts: dict[tuple[int, ...], int] = {}
    for seq in sequences:
        key = tuple(seq)
        counts[key] = counts.get(key, 0) + 1
    return [list(k) for k in counts], list(counts.values())


def session_weights(counts: Sequence[int], rule: str) -> torch.Tensor:
    """Training weight of each distinct session from how often it occurred.

    ``"count"`` reproduces the data's distribution; ``"sqrt"`` and ``"distinct"`` give
    rare normal sessions more say, so that the model learns them well enough not to flag them.
    """
    c = torch.as_tensor(list(counts), dtype=torch.float32)
    if rule == "count":
        return c
    if rule == "sqrt":
        return c.sqrt()
    if rule == "distinct":
        return torch.ones_like(c)
    raise ValueError(f"session_weighting must be 'count', 'sqrt' or 'distinct', got {rule!r}")


def length_batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator | None = None
) -> list[np.ndarray]:
    """Index batches of similar length; with ``rng`` the batch order is shuffled (training)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def pad_batch(rows: Sequence[Sequence[int]], *, max_length: int | None = None) -> torch.Tensor:
    """A ``(batch, longest)`` LongTensor right-padded with ``PAD``."""
    width = max((len(r) for r in rows), default=1)
    if max_length is not None:
        width = min(width, max_length)
    out = torch.full((len(rows), max(width, 1)), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        row = row[:width]
        if row:
            out[i, : len(row)] = torch.as_tensor(list(row), dtype=torch.long)
    return out


def topg_margin(log_probs: torch.Tensor, targets: torch.Tensor, g: int) -> torch.Tensor:
    """``log p(target) - log p(g-th most likely key)``: non-negative exactly when the target is in the top g.

    A continuous form of DeepLog's top-g rule, so that the same number can be thresholded at 0
    (the published rule) or calibrated on training normals.
    """
    g = max(1, min(int(g), log_probs.shape[-1]))
    kth = torch.topk(log_probs, g, dim=-1).values[..., -1]
    target_lp = torch.gather(log_probs, -1, targets.unsqueeze(-1)).squeeze(-1)
    return target_lp - kth
