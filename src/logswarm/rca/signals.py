"""Per-pod anomaly signals around one fault time, computed from logs, traces and metrics.

Each function here turns one kind of evidence into a score per pod, with no knowledge of the
fault type: the ranker (:mod:`logswarm.rca.ranker`) combines them. The signals are those any
fault would leave somewhere:

- **missing lines**: trace-level log invariants ("when statement A is logged in a trace,
  statement B is logged in the same trace") mined from normal behaviour; a post-fault trace that
  logs A but not B blames B's pod. This is how an injected exception that logs nothing shows up.
  When B's pod is absent from the trace altogether (no span, no line), it was never reached, so
  the blame goes to its nearest caller present in the trace (where execution stopped), unless
  that caller shows a call that got no answer (:func:`violations`);
- **unusual error lines**: ERROR/WARN statements whose rate rose above their normal rate;
- **trace blame**: spectrum-based localisation (Ochiai) over post-fault traces, where a trace
  fails when it carries either of the two log anomalies above and it covers the pods in the call
  subtree (``ParentID`` → ``SpanID``) below the pod that showed the anomaly, so a caller's error
  is attributed to the callees it was waiting on;
- **latency**: the change of each pod's p90 self time (span time minus time in other pods' child
  spans), so slowness is not blamed on every caller up the chain;
- **resources**: robust z-scores of CPU and memory samples after the fault against the pod's own
  history.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from logswarm.datasets.nezha import LogLine, PodMetrics, Span

__all__ = [
    "Invariant",
    "TraceView",
    "callers_of",
    "calling_operations",
    "deepest",
    "error_increase",
    "latency_change",
    "mine_invariants",
    "ochiai_blame",
    "resource_zscores",
    "trace_views",
    "unusual_error_templates",
    "violations",
]

_NS = 1_000_000_000
ERROR_LEVELS = frozenset({"ERROR", "WARN", "FATAL"})

Key = tuple[str, str]  # (pod, template)


@dataclass(slots=True)
class TraceView:
    """One trace: the log statements it carries, the pods it touches and its call edges."""

    trace_id: str
    keys: set[Key] = field(default_factory=set)
    error_lines: list[Key] = field(default_factory=list)
    pods: set[str] = field(default_factory=set)
    callees: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: (pod, operation) of the spans with no child span in another pod.
    local_ops: set[tuple[str, str]] = field(default_factory=set)


def trace_views(logs: Iterable[LogLine], spans: Iterable[Span]) -> dict[str, TraceView]:
    """Group log lines and spans by trace id; call edges are parent-pod → child-pod span links."""
    views: dict[str, TraceView] = {}
    span_list = list(spans)
    for line in logs:
        if not line.trace_id:
            continue
        view = views.get(line.trace_id)
        if view is None:
            view = views[line.trace_id] = TraceView(line.trace_id)
        view.keys.add((line.pod, line.template))
        view.pods.add(line.pod)
        if line.level in ERROR_LEVELS:
            view.error_lines.append((line.pod, line.template))
    pod_of: dict[tuple[str, str], str] = {(s.trace_id, s.span_id): s.pod for s in span_list}
    calls_out: set[tuple[str, str]] = set()
    for s in span_list:
        view = views.get(s.trace_id)
        if view is None:
            view = views[s.trace_id] = TraceView(s.trace_id)
        view.pods.add(s.pod)
        parent = pod_of.get((s.trace_id, s.parent_id))
        if parent is not None and parent != s.pod:
            view.callees[parent].add(s.pod)
            calls_out.add((s.trace_id, s.parent_id))
    for s in span_list:
        if (s.trace_id, s.span_id) not in calls_out:
            views[s.trace_id].local_ops.add((s.pod, s.operation))
    return views


def callers_of(spans: Iterable[Span]) -> dict[str, set[str]]:
    """Per pod, the pods seen calling it (a parent span in another pod) in any trace."""
    pod_of: dict[tuple[str, str], str] = {}
    span_list = list(spans)
    for s in span_list:
        pod_of[(s.trace_id, s.span_id)] = s.pod
    out: dict[str, set[str]] = defaultdict(set)
    for s in span_list:
        parent = pod_of.get((s.trace_id, s.parent_id))
        if parent is not None and parent != s.pod:
            out[s.pod].add(parent)
    return dict(out)


def calling_operations(
    normal: Iterable[Span], *, min_support: int = 5, min_confidence: float = 0.99
) -> set[tuple[str, str]]:
    """(pod, operation) whose spans (almost) always have a child span in another pod normally.

    Such a span without that child is a call that was made and got no answer from the callee's
    side (the callee crashed, was unreachable, or timed out before it could record a span). The
    support and confidence are those of :func:`mine_invariants`.
    """
    span_list = list(normal)
    keys = {(s.trace_id, s.span_id) for s in span_list}
    pod_of = {(s.trace_id, s.span_id): s.pod for s in span_list}
    calls_out = {
        (s.trace_id, s.parent_id)
        for s in span_list
        if (s.trace_id, s.parent_id) in keys and pod_of[(s.trace_id, s.parent_id)] != s.pod
    }
    total: Counter[tuple[str, str]] = Counter()
    calling: Counter[tuple[str, str]] = Counter()
    for s in span_list:
        op = (s.pod, s.operation)
        total[op] += 1
        if (s.trace_id, s.span_id) in calls_out:
            calling[op] += 1
    return {op for op, n in total.items() if n >= min_support and calling[op] / n >= min_confidence}


@dataclass(frozen=True, slots=True)
class Invariant:
    """``antecedent`` logged in a trace implies ``consequent`` logged in it (``confidence``)."""

    antecedent: Key
    consequent: Key
    support: int
    confidence: float


def mine_invariants(
    normal: Iterable[TraceView], *, min_support: int = 5, min_confidence: float = 0.99
) -> list[Invariant]:
    """Trace-level co-occurrence rules that held in (almost) every normal trace."""
    count: Counter[Key] = Counter()
    pair: Counter[tuple[Key, Key]] = Counter()
    for view in normal:
        keys = sorted(view.keys)
        count.update(keys)
        for a in keys:
            for b in keys:
                if a != b:
                    pair[(a, b)] += 1
    out: list[Invariant] = []
    for (a, b), n in pair.items():
        na = count[a]
        if na >= min_support and n / na >= min_confidence:
            out.append(Invariant(a, b, na, n / na))
    return out


def _nearest_present(view: TraceView, pod: str, callers: dict[str, set[str]]) -> set[str]:
    """The closest callers of ``pod`` (walking up ``callers``) that appear in this trace."""
    seen = {pod}
    frontier = {pod}
    while frontier:
        up = {c for p in frontier for c in callers.get(p, ())} - seen
        found = up & view.pods
        if found:
            return found
        seen |= up
        frontier = up
    return set()


def violations(
    view: TraceView,
    by_antecedent: dict[Key, list[Key]],
    *,
    callers: dict[str, set[str]] | None = None,
    calling_ops: AbstractSet[tuple[str, str]] = frozenset(),
) -> set[str]:
    """Pods blamed for expected statements missing from this trace.

    A missing statement blames its own pod when that pod appears in the trace. A pod absent
    from the trace (no span, no line) was never reached, so it cannot be where execution
    stopped: with ``callers`` (the call graph), the blame goes to its nearest callers present in
    the trace. The exception is a present caller with a *dangling call*, a span of an operation
    in ``calling_ops`` with no child in another pod: that call was made and not answered, so the
    absent pod (crashed, unreachable) keeps the blame.
    """
    missing: set[str] = set()
    for key in view.keys:
        for consequent in by_antecedent.get(key, ()):
            if consequent not in view.keys:
                missing.add(consequent[0])
    if callers is None:
        return missing
    dangling = {pod for pod, op in view.local_ops if (pod, op) in calling_ops}
    pods: set[str] = set()
    for pod in missing:
        if pod in view.pods:
            pods.add(pod)
            continue
        up = _nearest_present(view, pod, callers)
        pods |= {pod} if (not up or up & dangling) else up
    return pods


def unusual_error_templates(
    post: Iterable[LogLine],
    post_seconds: float,
    baseline: Iterable[LogLine],
    baseline_seconds: float,
) -> set[Key]:
    """ERROR/WARN statements logged after the fault at a clearly higher rate than normally.

    "Clearly higher": observed count above twice the count expected from the baseline rate plus
    three Poisson standard deviations of that expectation (a fixed, label-free rule).
    """
    base: Counter[Key] = Counter((x.pod, x.template) for x in baseline if x.level in ERROR_LEVELS)
    seen: Counter[Key] = Counter((x.pod, x.template) for x in post if x.level in ERROR_LEVELS)
    scale = post_seconds / max(baseline_seconds, 1.0)
    out: set[Key] = set()
    for key, n in seen.items():
        expected = base[key] * scale
        if n > 2.0 * expected + 3.0 * math.sqrt(expected) and n >= 2:
            out.add(key)
    return out


def error_increase(post: Sequence[LogLine], unusual: set[Key]) -> Counter[str]:
    """Count of unusual error lines per pod (the pod that logged them)."""
    return Counter(x.pod for x in post if (x.pod, x.template) in unusual)


def _below(view: TraceView, pod: str) -> set[str]:
    """Pods reachable from ``pod`` through this trace's call edges (excluding ``pod``)."""
    seen: set[str] = set()
    stack = list(view.callees.get(pod, ()))
    while stack:
        cur = stack.pop()
        if cur in seen or cur == pod:
            continue
        seen.add(cur)
        stack.extend(view.callees.get(cur, ()))
    return seen


def deepest(view: TraceView, pods: set[str]) -> set[str]:
    """The anomalous pods not explained by an anomalous pod below them in this trace.

    A caller depends on its callees: when both look anomalous in one trace, the callee's anomaly
    explains the caller's (its error, its missing "success" line), not the other way round.
    """
    return {p for p in pods if not (_below(view, p) & (pods - {p}))}


def ochiai_blame(
    views: Iterable[TraceView], anomalous: dict[str, set[str]]
) -> tuple[dict[str, float], int]:
    """Ochiai suspiciousness per pod; ``anomalous[trace_id]`` = pods showing a log anomaly.

    A failed trace covers the anomalous pods and every pod below them in the trace's call graph;
    a passed trace covers all its pods. Returns (scores, number of failed traces).
    """
    ef: Counter[str] = Counter()
    ep: Counter[str] = Counter()
    failed = 0
    for view in views:
        bad = anomalous.get(view.trace_id)
        if bad:
            failed += 1
            covered: set[str] = set()
            stack = list(bad)
            while stack:
                pod = stack.pop()
                if pod in covered:
                    continue
                covered.add(pod)
                stack.extend(view.callees.get(pod, ()))
            ef.update(covered)
        else:
            ep.update(view.pods)
    scores: dict[str, float] = {}
    if failed == 0:
        return scores, 0
    for pod in set(ef) | set(ep):
        denom = math.sqrt(failed * (ef[pod] + ep[pod]))
        scores[pod] = ef[pod] / denom if denom else 0.0
    return scores, failed


def _self_times(spans: Sequence[Span]) -> dict[str, list[float]]:
    """Per pod, the self time (ms) of its entry spans: time not spent in other pods' spans."""
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    child_time: defaultdict[tuple[str, str], int] = defaultdict(int)
    entry: list[Span] = []
    for s in spans:
        parent = by_id.get((s.trace_id, s.parent_id))
        if parent is None or parent.pod != s.pod:
            entry.append(s)
    # time inside other pods below an entry span, charged to the entry span of the caller pod
    root_of: dict[tuple[str, str], tuple[str, str]] = {}

    def entry_of(s: Span) -> tuple[str, str]:
        key = (s.trace_id, s.span_id)
        path: list[tuple[str, str]] = []
        cur: Span | None = s
        while cur is not None:
            ck = (cur.trace_id, cur.span_id)
            if ck in root_of:
                found = root_of[ck]
                break
            path.append(ck)
            parent = by_id.get((cur.trace_id, cur.parent_id))
            if parent is None or parent.pod != cur.pod:
                found = ck
                break
            cur = parent
        else:  # pragma: no cover - loop always breaks
            found = key
        for p in path:
            root_of[p] = found
        return found

    for s in entry:
        parent = by_id.get((s.trace_id, s.parent_id))
        if parent is not None:
            child_time[entry_of(parent)] += s.duration_ns
    out: dict[str, list[float]] = defaultdict(list)
    for s in entry:
        own = s.duration_ns - child_time.get((s.trace_id, s.span_id), 0)
        out[s.pod].append(max(own, 0) / 1e6)
    return out


def _quantile(values: list[float], q: float) -> float:
    xs = sorted(values)
    if not xs:
        return 0.0
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_change(
    post: Sequence[Span],
    baseline: Sequence[Span],
    *,
    self_time: bool = True,
    min_spans: int = 5,
) -> dict[str, float]:
    """Per pod, log2 of the p90 (self or whole) span time after / before; >0 means slower."""
    if self_time:
        after, before = _self_times(post), _self_times(baseline)
    else:
        after = defaultdict(list)
        before = defaultdict(list)
        for s in post:
            after[s.pod].append(s.duration_ns / 1e6)
        for s in baseline:
            before[s.pod].append(s.duration_ns / 1e6)
    out: dict[str, float] = {}
    for pod, xs in after.items():
        ys = before.get(pod, [])
        if len(xs) < min_spans or len(ys) < min_spans:
            continue
        out[pod] = math.log2((_quantile(xs, 0.9) + 1.0) / (_quantile(ys, 0.9) + 1.0))
    return out


RESOURCE_COLUMNS = ("CpuUsageRate(%)", "MemoryUsageRate(%)")


def resource_zscores(
    metrics: dict[str, PodMetrics],
    t0_s: int,
    *,
    history_s: int = 1800,
    after_s: int = 180,
    columns: Sequence[str] = RESOURCE_COLUMNS,
) -> dict[str, float]:
    """Per pod, the largest robust z-score (median/MAD of the last ``history_s`` before ``t0_s``)
    of any resource column over the samples in ``[t0_s, t0_s + after_s]``."""
    out: dict[str, float] = {}
    for pod, pm in metrics.items():
        best = 0.0
        for col in columns:
            vals = pm.columns.get(col)
            if not vals:
                continue
            hist = [
                v
                for t, v in zip(pm.times, vals, strict=False)
                if t0_s - history_s <= t < t0_s and not math.isnan(v)
            ]
            now = [
                v
                for t, v in zip(pm.times, vals, strict=False)
                if t0_s <= t <= t0_s + after_s and not math.isnan(v)
            ]
            if len(hist) < 5 or not now:
                continue
            med = _quantile(hist, 0.5)
            mad = _quantile([abs(v - med) for v in hist], 0.5) * 1.4826
            spread = max(mad, 0.05 * abs(med), 1e-6)
            best = max(best, max((v - med) / spread for v in now))
        out[pod] = best
    return out
