"""The ranker's logic on a tiny synthetic call chain gw → b → c.

In the normal phase every request logs gw#1, b#1, b#2, c#1, c#2. After the fault time, pod c
throws between c#1 and c#2 (an "exception" fault: c logs no error) and b logs an ERROR; the
single-signal "most error lines" baseline blames b, the ranker must blame c.
"""

from __future__ import annotations

from logswarm.datasets.nezha import LogLine, PodMetrics, Span
from logswarm.rca.ranker import (
    Gates,
    RankerConfig,
    Window,
    rank_pods,
    rank_single_signal,
    slice_window,
)
from logswarm.rca.signals import (
    Key,
    callers_of,
    calling_operations,
    latency_change,
    mine_invariants,
    ochiai_blame,
    resource_zscores,
    trace_views,
    violations,
)

S = 1_000_000_000
T0 = 1000 * S


def _request(i: int, t: int, *, broken: bool) -> tuple[list[LogLine], list[Span]]:
    tid = f"t{i}"
    logs = [
        LogLine(t, "gw", tid, "g", "INFO", "gw#1", ""),
        LogLine(t + 1, "b", tid, "sb", "INFO", "b#1", ""),
        LogLine(t + 2, "c", tid, "sc", "INFO", "c#1", ""),
    ]
    if broken:
        logs.append(LogLine(t + 4, "b", tid, "sb", "ERROR", "b#err", ""))
    else:
        logs += [
            LogLine(t + 3, "c", tid, "sc", "INFO", "c#2", ""),
            LogLine(t + 4, "b", tid, "sb", "INFO", "b#2", ""),
        ]
    spans = [
        Span(tid, "g", "root", "gw", "/", t, t + 10_000_000),
        Span(tid, "b", "g", "b", "B.call", t + 1, t + 9_000_000),
        Span(tid, "sc", "b", "c", "C.call", t + 2, t + 5_000_000),
    ]
    return logs, spans


def _phase(start: int, n: int, *, broken: bool, prefix: str) -> tuple[list[LogLine], list[Span]]:
    logs: list[LogLine] = []
    spans: list[Span] = []
    for i in range(n):
        lg, sp = _request(i, start + i * S, broken=broken)
        logs += [
            LogLine(x.ts_ns, x.pod, prefix + x.trace_id, x.span_id, x.level, x.template, "")
            for x in lg
        ]
        spans += [
            Span(
                prefix + s.trace_id,
                s.span_id,
                s.parent_id,
                s.pod,
                s.operation,
                s.start_ns,
                s.end_ns,
            )
            for s in sp
        ]
    return logs, spans


def _flat_metrics(pods: list[str], spike: str | None = None) -> dict[str, PodMetrics]:
    out: dict[str, PodMetrics] = {}
    for pod in pods:
        times = list(range(0, 1200, 60))
        cpu = [10.0 + (i % 3) for i in range(len(times))]
        if pod == spike:
            cpu = [v if t < 1000 else 95.0 for t, v in zip(times, cpu, strict=True)]
        out[pod] = PodMetrics(
            pod, times, {"CpuUsageRate(%)": cpu, "MemoryUsageRate(%)": [20.0] * len(times)}
        )
    return out


def _window(*, broken: bool, spike: str | None = None):  # type: ignore[no-untyped-def]
    normal_logs, normal_spans = _phase(0, 40, broken=False, prefix="n")
    pre_logs, pre_spans = _phase(T0 - 60 * S, 50, broken=False, prefix="p")
    post_logs, post_spans = _phase(T0 + S, 60, broken=broken, prefix="q")
    return slice_window(
        pre_logs + post_logs,
        pre_spans + post_spans,
        T0,
        metrics=_flat_metrics(["gw", "b", "c"], spike),
        normal_logs=normal_logs,
        normal_spans=normal_spans,
    )


def test_missing_line_in_callee_is_blamed_not_the_erroring_caller() -> None:
    w = _window(broken=True)
    assert rank_single_signal(w, "error_lines").pods[0] == "b"
    ranking = rank_pods(w, Gates(latency=99.0, resources=99.0))
    assert ranking.pods[0] == "c"
    assert ranking.votes["missing_lines"]["c"] == 1.0


def test_quiet_window_gives_no_log_votes() -> None:
    w = _window(broken=False)
    ranking = rank_pods(w, Gates(latency=99.0, resources=99.0))
    assert ranking.votes["missing_lines"] == {}
    assert ranking.votes["trace_blame"] == {}
    assert not any(ranking.active.values())


def test_resource_spike_votes_only_past_its_gate() -> None:
    w = _window(broken=True, spike="b")
    # the spike outvotes nothing when gated out: the log signals point at c
    assert rank_pods(w, Gates(latency=99.0, resources=1e9)).votes["resources"] == {}
    both = rank_pods(w, Gates(latency=99.0, resources=3.0))
    assert both.active["resources"]
    assert both.votes["resources"]["b"] == 1.0


def test_invariants_and_ochiai() -> None:
    logs, spans = _phase(0, 10, broken=False, prefix="n")
    views = trace_views(logs, spans)
    rules = {(i.antecedent, i.consequent) for i in mine_invariants(views.values())}
    assert (("c", "c#1"), ("c", "c#2")) in rules
    assert views["nt0"].callees["gw"] == {"b"}
    assert views["nt0"].callees["b"] == {"c"}
    # one failing trace where b is anomalous: b and its callee c are covered, gw is not
    scores, failed = ochiai_blame(views.values(), {"nt0": {"b"}})
    assert failed == 1
    assert scores["b"] == scores["c"] > 0
    assert scores["gw"] == 0.0


def test_self_time_does_not_blame_callers_for_callee_slowness() -> None:
    _base_logs, base = _phase(0, 30, broken=False, prefix="n")
    slow = [
        Span(
            s.trace_id,
            s.span_id,
            s.parent_id,
            s.pod,
            s.operation,
            s.start_ns,
            s.end_ns + (200_000_000 if s.pod in ("c", "b", "gw") else 0),
        )
        for s in base
    ]
    change = latency_change(slow, base, self_time=True, min_spans=5)
    assert change["c"] > 3.0
    assert abs(change["b"]) < 0.5
    assert abs(change["gw"]) < 0.5
    whole = latency_change(slow, base, self_time=False, min_spans=5)
    assert whole["gw"] > 3.0


def test_resource_z_uses_history_before_t0() -> None:
    z = resource_zscores(_flat_metrics(["a", "b"], spike="b"), 1000)
    assert z["b"] > 10
    assert z["a"] < 3


# A second call chain gw → b → c → d with separate client spans, as OpenTelemetry's HTTP client
# instrumentation records them: b's handler span has a client span whose child is c's handler.
def _chain(
    i: int, t: int, *, stop_in_b: bool = False, c_down: bool = False
) -> tuple[list[LogLine], list[Span]]:
    tid = f"x{i}"
    logs = [
        LogLine(t, "gw", tid, "g", "INFO", "gw#1", ""),
        LogLine(t + 1, "b", tid, "b", "INFO", "b#1", ""),
    ]
    spans = [
        Span(tid, "g", "root", "gw", "/", t, t + 9_000),
        Span(tid, "b", "g", "b", "B.handle", t + 1, t + 8_000),
    ]
    if stop_in_b:  # b throws before calling c: no client span, c and d never reached
        logs.append(LogLine(t + 5, "gw", tid, "g", "ERROR", "gw#err", ""))
        return logs, spans
    spans.append(Span(tid, "bc", "b", "b", "HTTP GET", t + 2, t + 7_000))
    if c_down:  # b calls c, which never answers: a dangling client span
        logs.append(LogLine(t + 5, "b", tid, "b", "ERROR", "b#err", ""))
        return logs, spans
    logs += [
        LogLine(t + 3, "c", tid, "c", "INFO", "c#1", ""),
        LogLine(t + 4, "d", tid, "d", "INFO", "d#1", ""),
        LogLine(t + 6, "b", tid, "b", "INFO", "b#2", ""),
    ]
    spans += [
        Span(tid, "c", "bc", "c", "C.handle", t + 3, t + 6_000),
        Span(tid, "cd", "c", "c", "HTTP GET", t + 3, t + 5_000),
        Span(tid, "d", "cd", "d", "D.handle", t + 4, t + 4_000),
    ]
    return logs, spans


def _chains(n: int, start: int, **kw: bool) -> tuple[list[LogLine], list[Span]]:
    logs: list[LogLine] = []
    spans: list[Span] = []
    for i in range(n):
        lg, sp = _chain(start + i, (start + i) * S, **kw)
        logs += lg
        spans += sp
    return logs, spans


def _chain_window(**kw: bool) -> Window:
    normal_logs, normal_spans = _chains(40, 0)
    post_logs, post_spans = _chains(40, 1000, **kw)
    return slice_window(
        post_logs,
        post_spans,
        T0,
        metrics={},
        normal_logs=normal_logs,
        normal_spans=normal_spans,
    )


def test_absent_pods_missing_lines_blame_the_caller_where_execution_stopped() -> None:
    normal_logs, normal_spans = _chains(20, 0)
    by_antecedent: dict[Key, list[Key]] = {}
    for inv in mine_invariants(trace_views(normal_logs, []).values()):
        by_antecedent.setdefault(inv.antecedent, []).append(inv.consequent)
    callers = callers_of(normal_spans)
    assert callers == {"b": {"gw"}, "c": {"b"}, "d": {"c"}}
    ops = calling_operations(normal_spans)
    assert ("b", "HTTP GET") in ops
    assert ("b", "B.handle") not in ops  # its child is b's own client span

    logs, spans = _chain(99, 99 * S, stop_in_b=True)
    view = trace_views(logs, spans)["x99"]
    # per statement, the unreached pods c and d (and b's own b#2) are missing
    assert violations(view, by_antecedent) == {"b", "c", "d"}
    # with the call graph, c and d were never reached: the blame stays with b
    assert violations(view, by_antecedent, callers=callers, calling_ops=ops) == {"b"}

    logs, spans = _chain(98, 98 * S, c_down=True)
    view = trace_views(logs, spans)["x98"]
    # b called c and got no answer (dangling client span): c keeps the blame
    assert violations(view, by_antecedent, callers=callers, calling_ops=ops) == {"b", "c", "d"}


def test_ranker_blames_the_pod_that_stopped_not_the_pods_it_never_called() -> None:
    stopped = rank_pods(_chain_window(stop_in_b=True), Gates(latency=99.0, resources=99.0))
    assert stopped.pods[0] == "b"
    assert stopped.votes["missing_lines"] == {"b": 1.0}
    old = rank_pods(
        _chain_window(stop_in_b=True),
        Gates(latency=99.0, resources=99.0),
        RankerConfig(absent_to_caller=False),
    )
    assert old.votes["missing_lines"]["d"] == 1.0  # the per-statement blame this replaces
    down = rank_pods(_chain_window(c_down=True), Gates(latency=99.0, resources=99.0))
    # b called c and got no answer: the unreached c and d keep their blame beside b's own b#2
    assert down.votes["missing_lines"]["c"] == down.votes["missing_lines"]["d"] == 1.0
