"""Root-cause analysis on real data: pod ranking from logs, traces and metrics, and tactics.

- :mod:`logswarm.rca.signals`: per-pod anomaly signals any fault type would leave (missing
  expected log statements, unusual errors attributed down the call graph, self-time latency,
  resource z-scores);
- :mod:`logswarm.rca.ranker`: the fixed, label-free combination of those signals and the trivial
  single-signal baselines;
- :mod:`logswarm.rca.nezha_eval`: scoring against the Nezha TrainTicket labels;
- :mod:`logswarm.rca.tactics`: CloudTrail event groups to MITRE ATT&CK tactics from evidence.

Analysis library code: no cluster or cloud client is imported here.
"""

from __future__ import annotations

from logswarm.rca.ranker import Gates, RankerConfig, Ranking, rank_pods, slice_window
from logswarm.rca.tactics import classify_events

__all__ = ["Gates", "RankerConfig", "Ranking", "classify_events", "rank_pods", "slice_window"]
