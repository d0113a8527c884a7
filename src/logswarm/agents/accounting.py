"""Token, cost and latency accounting of model calls, per call and per incident.

Every model call leaves a :class:`CallRecord`; a topology run sums them per step (trajectory)
and per incident (:class:`UsageTotals`), which is the seed's *cost per incident*. Deterministic
roles cost nothing and leave no call record, only their latency in the trajectory.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

__all__ = ["CallRecord", "UsageTotals"]


class CallRecord(BaseModel):
    """One request to a model (a repair attempt is its own record)."""

    model_config = ConfigDict(extra="forbid")

    role: str
    model: str
    attempt: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    #: False when the provider's price is unknown to litellm's local cost map.
    cost_known: bool = True
    latency_ms: float = 0.0
    cached: bool = False
    ok: bool = True
    error: str | None = None


class UsageTotals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    calls: int = 0
    cached_calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def of(cls, records: Iterable[CallRecord]) -> UsageTotals:
        totals = cls()
        for r in records:
            totals.calls += 1
            totals.cached_calls += r.cached
            totals.failed_calls += not r.ok
            totals.prompt_tokens += r.prompt_tokens
            totals.completion_tokens += r.completion_tokens
            totals.cost_usd += r.cost_usd
        return totals
