"""Prometheus as a verification source: a PromQL range query over httpx, judged by a threshold.

The reviewer asks "over the last N seconds, did this query stay below/above T?". This module
answers with Prometheus's HTTP API (``/api/v1/query_range``): every returned series is folded
with the check's reducer and must pass; no series at all is a failure, since a fix that cannot
be measured is not verified. The httpx client is injected (tests point it at a real Prometheus
on loopback), as is the clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from logswarm.remediation.errors import VerificationError
from logswarm.remediation.plan import PrometheusCheck
from logswarm.remediation.reviewer import CheckResult, reduce_values

__all__ = ["PrometheusSource"]


def _now() -> datetime:
    return datetime.now(UTC)


class PrometheusSource:
    """Evaluates :class:`PrometheusCheck` against one Prometheus server."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        clock: Callable[[], datetime] = _now,
        max_points: int = 120,
    ) -> None:
        #: Its ``base_url`` is the Prometheus server, e.g. ``http://127.0.0.1:9090``.
        self.client = client
        self.clock = clock
        self.max_points = max_points

    def query_range(
        self, query: str, *, start: datetime, end: datetime, step_seconds: float
    ) -> list[list[float]]:
        """Values of every series the query returns in ``[start, end]``, NaNs dropped."""
        try:
            response = self.client.get(
                "/api/v1/query_range",
                params={
                    "query": query,
                    "start": f"{start.timestamp():.3f}",
                    "end": f"{end.timestamp():.3f}",
                    "step": f"{step_seconds:g}",
                },
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise VerificationError(f"Prometheus query failed: {type(exc).__name__}") from exc
        if response.status_code != httpx.codes.OK or body.get("status") != "success":
            error = str(body.get("error", response.status_code))[:300]
            raise VerificationError(f"Prometheus rejected the query: {error}")
        data = body.get("data", {})
        if data.get("resultType") != "matrix":
            raise VerificationError(f"unexpected result type {data.get('resultType')!r}")
        series: list[list[float]] = []
        for item in data.get("result", []):
            values = [float(v) for _, v in item.get("values", [])]
            values = [v for v in values if not math.isnan(v)]
            if values:
                series.append(values)
        return series

    def evaluate(self, check: PrometheusCheck) -> CheckResult:
        end = self.clock()
        start = end - timedelta(seconds=check.window_seconds)
        step = max(1.0, check.window_seconds / self.max_points)
        series = self.query_range(check.query, start=start, end=end, step_seconds=step)
        if not series:
            return CheckResult(check=check.query, passed=False, detail="no data in the window")
        reduced = [reduce_values(values, check.reduce) for values in series]
        failing = [v for v in reduced if not check.comparison.holds(v, check.threshold)]
        # Report the worst series: the one that failed, else the one closest to failing.
        value = (
            failing[0]
            if failing
            else (max(reduced) if check.comparison.value[0] == "<" else min(reduced))
        )
        return CheckResult(
            check=check.query,
            passed=not failing,
            value=value,
            detail=(
                f"{len(series)} series, {check.reduce} over {check.window_seconds}s; "
                f"{len(failing)} not {check.comparison.value} {check.threshold}"
            ),
        )
