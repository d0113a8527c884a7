"""Seed Models 4-6 (auction, federated, debate) next to ``rag`` on the scenario suite.

Run (from the repository root; offline deterministic reasoner, no network)::

    .venv/bin/python bench/coordination.py --seeds 1,2,3 --out docs/benchmarks/coordination.md

Every kind of ``logswarm.scenarios.CATALOGUE`` when the script runs, once per seed, goes through
the CLI's path (generate, ingest, detect, match to the ground truth); each topology then runs
the whole suite in sequence on one agent process (so the auction's reputation ledger spans the
sequence). The figures come from :mod:`logswarm.evaluation.coordination`; this script only
orders the work, times it and writes the markdown report.

When ``--out`` already holds the marker line :data:`GENERATED_MARK`, everything above it (the
hand-written method and reading of the figures) is kept and only what follows is replaced.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from logswarm.agents.contracts import SPECIALIST_DOMAINS
from logswarm.evaluation import coordination as ec
from logswarm.evaluation.topologies import CauseVocabulary, MetricCell
from logswarm.scenarios import CATALOGUE

TOPOLOGIES = ("auction", "federated", "debate", "rag")
GENERATED_MARK = (
    "<!-- Everything below this line is written by bench/coordination.py; edit above it. -->"
)

DEFINITIONS: dict[str, str] = {
    "rca_category_top1": "RCA top-1 category: runs whose root-cause category equals the "
    "scenario's (both mapped through the packaged runbooks) / runs.",
    "remediation_proposed": "Remediation correctness (proposed): runs whose executor plan "
    "holds a step with the scenario's labelled remediation action (action name only, target "
    "not checked) / runs.",
    "remediation_final": "Remediation correctness (final): as above on the run's final plan "
    "(for `debate`, the plan as the safety gate let it through).",
    "resolution_wall_ms": "Mean resolution time: wall time of one `run_topology` call on one "
    "incident (whole graph, to the reviewer / feedback), mean over runs.",
    "throughput": "Incident throughput: incidents / wall time of the whole sequential "
    "sequence on one agent process.",
    "run_errors": "Runs whose analysis recorded an error (should be 0).",
    "bidding_efficiency": "Bidding efficiency: auctions awarded to the specialist answering "
    "for the true cause's playbook domain / auctions whose true domain one specialist answers "
    "for.",
    "jain_fairness": "Load distribution fairness: Jain's index (sum x)^2 / (n sum x^2) over "
    "awards per specialist (n = 4): 1 when even, 0.25 when one takes all. It follows the "
    "suite's mix of domains; it is not a target to reach 1.",
    "time_to_plan_ms": "Time to plan: sum of trajectory step latencies up to the executor's "
    "plan, mean over runs.",
    "awards_by_ledger": "Awards decided by the ledger: auctions whose winner is not the most "
    "confident bidder (what a fresh ledger, reputation 1 and nobody busy, would award) / "
    "auctions; among those, how often the ledger's winner was the specialist answering for "
    "the true cause's domain, how often the bidder it passed over was, and how many runs got "
    "the right category. 0 means the feedback loop never changed an award.",
    "reward_right": "Mean feedback reward of auctions whose final category is right.",
    "reward_wrong": "Mean feedback reward of auctions whose final category is wrong. A reward "
    "that does not separate right from wrong cannot teach the ledger who is right.",
    "correlation": "Cross-region correlation accuracy: multi-region cases whose synthesizer "
    "scope (global / regional) is the constructed truth / cases.",
    "privacy_compliance": "Privacy compliance score: share of gateway messages (insights) "
    "carrying no raw data (no 32-character slice of an evidence line, no value of an IP, IAM "
    "principal, access key, instance or account), mean over runs; min shown.",
    "bandwidth_ratio": "Bandwidth cost against the evidence: bytes of the insights that "
    "crossed the gateway / bytes of the incident's evidence lines (its samples) the regions "
    "hold, summed over runs.",
    "bandwidth_vs_logs": "Bandwidth cost against centralising the logs: bytes of the insights "
    "that crossed the gateway / bytes of the case's log files as written (one hour of one "
    "region at 2 background lines/s), summed over the single-region suite runs.",
    "local_rca": "Local RCA accuracy: each non-quiet region's own analysis whose category is "
    "the truth placed in that region / such analyses.",
    "global_rca": "Global RCA accuracy: runs whose final root cause (the lead region's answer "
    "to the synthesis) has the true category / cases with one true cause (single and same-N).",
    "global_rca_multi": "As global RCA accuracy, on the same-2 and same-3 cases only.",
    "coordination_ms": "Global coordination latency: latency of the gateway, synthesizer and "
    "respond steps (what the federation adds on top of the regional analyses), mean over runs.",
    "regional_ms": "Regional analysis latency: the slowest region step of a run (regions run "
    "side by side in a deployment), mean over runs.",
    "debate_quality": "Debate quality: the referee's evidence score (0.35 grounding + 0.25 "
    "coverage + 0.2 confidence + 0.2 support) of the selected argument, mean over runs.",
    "referee_agreement": "Referee agreement rate: share of debaters naming the category the "
    "referee selected, mean over runs.",
    "debate_selection": "Debate selection accuracy: among runs where some debater named the "
    "true category, share where the referee selected it.",
    "safety_violations": "Safety violations: steps the safety gate let through that the policy "
    "denies, or marked allow where the policy requires approval, re-checked independently of "
    "the gate; total over runs (must be 0).",
    "human_override": "Human override ratio: runs handed to a person (the gate held or "
    "blocked a step, or the referee flagged the debate unresolved) / runs.",
    "accuracy_pass": "Improvement curve: RCA top-1 category per pass over the suite (2 passes "
    "in sequence on one agent process), memory off vs on; per (pass, seed) block in the "
    "table above.",
    "error_repeat": "Error repeat rate (same incident): pass-1 misses missed again when the "
    "identical case comes back in pass 2 / pass-1 misses; reduction = rate with memory off - "
    "rate with memory on.",
    "error_recur": "Error repeat rate (recurrence): within pass 1, misses of a kind whose next "
    "seed (a new incident of the same kind, other logs) is missed too / misses of a kind that "
    "recurs; reduction = off - on.",
    "retrieval": "Memory retrieval accuracy: before each incident, the Context Memory "
    "Manager is queried with the incident's text (k = 20, the role contract's maximum; "
    "runbooks and the case's own earlier entry skipped); share whose top remembered incident "
    "has the true category, among incidents for which memory held another incident of that "
    "category (the stored category is what that run concluded, not the truth).",
}


def fmt(cell: MetricCell | None, *, unit: str = "ratio") -> str:
    if cell is None:
        return "n/a"
    if cell.value is None:
        return f"n/a ({cell.reason})"
    if unit == "ratio":
        text = f"{cell.value:.3f}"
    elif unit == "ms":
        text = f"{cell.value:.1f} ms"
    elif unit == "small":
        text = f"{cell.value:.1e}"
    elif unit == "per_s":
        text = f"{cell.value:.2f} /s"
    else:
        text = f"{cell.value:g}"
    detail = cell.detail or (f"n={cell.n}" if cell.n else "")
    return f"{text} ({detail})" if detail else text


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out.extend("| " + " | ".join(r) + " |" for r in rows)
    return out


def definitions(keys: Sequence[str]) -> list[str]:
    return [f"- **{k}** — {DEFINITIONS[k]}" for k in keys]


def machine_note() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return (
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} logical "
        f"CPUs shared with other jobs (load average {load[0]:.1f} at the end of the run); "
        "offline deterministic reasoner; timings are wall clock on a shared machine and move "
        "with its load."
    )


def tree_note() -> str:
    """The commit, and whether files that affect the run had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent

    def git(*argv: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *argv], capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return ""
        return done.stdout.rstrip("\n")  # keep the status column's leading blank

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return "not a git checkout"
    changed = git("status", "--short", "--", "src/logswarm", "bench/coordination.py").splitlines()
    if not changed:
        return f"commit `{head}`, no uncommitted change under src/logswarm or in this script"
    paths = ", ".join(f"`{c[3:]}`" for c in changed)
    return f"commit `{head}` plus uncommitted changes in {paths}"


def progression_rows(points: Sequence[ec.ReputationPoint], *, marks: int = 8) -> list[list[str]]:
    if not points:
        return []
    n = len(points)
    chosen = sorted({1, n, *(max(1, round(n * i / marks)) for i in range(1, marks))})
    rows: list[list[str]] = []
    for index in chosen:
        p = points[index - 1]
        ok = "yes" if p.winner == p.expected else ("-" if p.expected is None else "no")
        rep = [f"{p.reputation.get(r, float('nan')):.3f}" for r in SPECIALIST_DOMAINS]
        reward = "n/a" if p.reward is None else f"{p.reward:.3f}"
        winner = (p.winner or "none").removesuffix("_specialist")
        rows.append([str(index), p.kind, winner, ok, reward, *rep])
    return rows


def quarter_rows(points: Sequence[ec.ReputationPoint]) -> list[list[str]]:
    rows: list[list[str]] = []
    n = len(points)
    for q in range(4):
        chunk = points[q * n // 4 : (q + 1) * n // 4]
        if not chunk:
            continue
        rewards = [p.reward for p in chunk if p.reward is not None]
        counted = [p for p in chunk if p.expected is not None]
        eff = sum(1 for p in counted if p.winner == p.expected) / len(counted) if counted else None
        rows.append(
            [
                f"{chunk[0].index}-{chunk[-1].index}",
                f"{statistics.fmean(rewards):.3f}" if rewards else "n/a",
                "n/a" if eff is None else f"{eff:.3f} ({len(counted)})",
            ]
        )
    return rows


def misses(runs: Mapping[str, Sequence[ec.CaseRun]]) -> list[list[str]]:
    vocab = CauseVocabulary.packaged()
    by_kind: dict[str, dict[str, list[int]]] = {}
    for topology, rs in runs.items():
        for r in rs:
            slot = by_kind.setdefault(r.case.kind, {t: [0, 0] for t in runs})
            slot[topology][1] += 1
            slot[topology][0] += ec.category_hit(r, vocab)
    rows = []
    for kind, per in sorted(by_kind.items()):
        if all(h == n for h, n in per.values()):
            continue
        rows.append([kind, *(f"{per[t][0]}/{per[t][1]}" for t in runs)])
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--kinds", default="", help="comma list; default every catalogue kind")
    parser.add_argument(
        "--levels", default="1,2,4,8,16,32,64", help="incidents in flight, scalability curve"
    )
    parser.add_argument("--repeats", type=int, default=3, help="repeats per level")
    parser.add_argument(
        "--workload",
        type=int,
        default=0,
        help="incidents per level (default: every case, at least the widest level)",
    )
    parser.add_argument("--memory-topologies", default="debate,rag")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks/coordination.md"))
    args = parser.parse_args(argv)
    command = ".venv/bin/python bench/coordination.py " + shlex.join(
        list(argv if argv is not None else sys.argv[1:])
    )
    seeds = [int(s) for s in args.seeds.split(",") if s]
    kinds = [k for k in args.kinds.split(",") if k] or list(CATALOGUE)
    levels = [int(x) for x in args.levels.split(",") if x]

    work = tempfile.TemporaryDirectory(prefix="logswarm-coord-")
    try:
        return _run(args, command, seeds, kinds, levels, Path(work.name))
    finally:
        work.cleanup()


def _run(
    args: argparse.Namespace,
    command: str,
    seeds: list[int],
    kinds: list[str],
    levels: list[int],
    work: Path,
) -> int:
    started = time.perf_counter()
    run_date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    tree = tree_note()  # at the start: what is imported is what runs
    t0 = time.perf_counter()
    cases, skipped = ec.build_suite(kinds, seeds, work)
    print(f"suite: {len(cases)} cases, {len(skipped)} skipped, "
          f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip

    runs: dict[str, list[ec.CaseRun]] = {}
    common: dict[str, dict[str, MetricCell]] = {}
    for topology in TOPOLOGIES:
        harness = ec.Harness()
        t0 = time.perf_counter()
        runs[topology] = ec.run_sequence(harness, topology, cases)
        common[topology] = ec.common_metrics(runs[topology], total_wall_s=time.perf_counter() - t0)
        print(f"{topology}: {time.perf_counter() - t0:.1f} s", flush=True)

    auction = ec.auction_metrics(runs["auction"])
    progression = ec.reputation_progression(runs["auction"])
    curve = ec.scalability_curve(
        cases, levels=levels, repeats=args.repeats, workload=args.workload or None
    )
    print("scalability done", flush=True)
    region_cases = ec.build_region_cases(cases)
    region_runs = ec.run_region_cases(ec.Harness(), region_cases)
    federated = ec.federated_metrics(runs["federated"], region_runs)
    debate = ec.debate_metrics(runs["debate"])
    memory: dict[str, dict[str, MetricCell]] = {}
    curves: dict[str, tuple[list[tuple[str, MetricCell]], list[tuple[str, MetricCell]]]] = {}
    for topology in [t for t in args.memory_topologies.split(",") if t]:
        off = ec.memory_experiment(cases, topology=topology, memory=False)
        on = ec.memory_experiment(cases, topology=topology, memory=True)
        memory[topology] = ec.memory_metrics(off, on)
        curves[topology] = (ec.improvement_curve(off), ec.improvement_curve(on))
        print(f"memory {topology} done", flush=True)
    duration = time.perf_counter() - started

    kinds_used = sorted({c.kind for c in cases})
    header: list[str] = [
        "# Coordination benchmark: seed Models 4-6 next to `rag`",
        "",
        "The seed's Model 4 (`auction`, Contract Net), Model 5 (`federated`, regions + gateway "
        "+ global synthesizer) and Model 6 (`debate`, debaters + referee + safety gate) run on "
        "the scenario suite with the offline deterministic reasoner, next to `rag` (Model 2, "
        "one centralised pipeline) as the control.",
    ]
    lines: list[str] = [
        "## Run",
        "",
        "Generated by `bench/coordination.py`; rerun it rather than editing figures by hand. "
        "Figures come from `logswarm.evaluation.coordination` (per-run metric functions: "
        "`logswarm.agents.topology.metrics`, definitions in docs/agents.md, *Models 4-6*).",
        "",
        "```",
        command,
        "```",
        "",
        f"- Run date: {run_date}; whole script {duration:.0f} s.",
        f"- Machine: {machine_note()}",
        f"- Tree (when the run started): {tree}",
        f"- Suite: {len(kinds_used)} kinds of `logswarm.scenarios.CATALOGUE` "
        + (
            f"(every kind registered when the script ran: {len(CATALOGUE)})"
            if set(kinds) == set(CATALOGUE)
            else f"(chosen with --kinds, of {len(CATALOGUE)} registered)"
        )
        + f" x seeds {', '.join(map(str, seeds))} = {len(cases)} cases "
        f"(each kind alone in a 1 h bundle, background rate 2/s, through generate -> ingest -> "
        f"detect -> match to ground truth). Skipped (pipeline reported no matching incident): "
        f"{len(skipped)}" + (": " + "; ".join(skipped) if skipped else "") + ".",
        "- Backend: offline deterministic reasoner (`BackendConfig()`), no model call, no "
        "network. Each topology runs the suite in seed-major order (all kinds of seed 1, "
        "then seed 2, ...) on one agent process whose log tools are pointed at each case's "
        "own records.",
        "",
        "## All topologies",
        "",
    ]
    keys = ["rca_category_top1", "remediation_proposed", "remediation_final",
            "resolution_wall_ms", "throughput", "run_errors"]  # fmt: skip
    units = {"resolution_wall_ms": "ms", "throughput": "per_s", "run_errors": "count"}
    lines += table(
        ["metric", *TOPOLOGIES],
        [[k, *(fmt(common[t][k], unit=units.get(k, "ratio")) for t in TOPOLOGIES)] for k in keys],
    )
    miss = misses(runs)
    lines += ["", "Kinds where some topology misses the category (hits/runs):", ""]
    lines += table(["kind", *TOPOLOGIES], miss) if miss else ["(none)"]
    lines += ["", *definitions(keys), ""]

    lines += ["## Model 4: auction", ""]
    keys4 = ["bidding_efficiency", "jain_fairness", "time_to_plan_ms", "awards_by_ledger",
             "reward_right", "reward_wrong"]  # fmt: skip
    lines += table(
        ["metric", "auction"],
        [[k, fmt(auction[k], unit="ms" if k.endswith("_ms") else "ratio")] for k in keys4],
    )
    lines += ["", *definitions(keys4), ""]
    lines += [
        "### Scalability curve",
        "",
        "Every level runs the same workload (the suite's cases in order, cycled to at least "
        "the widest level): at level N a pool of N threads sharing one fresh agent process "
        f"(one auctioneer, one ledger) keeps N incidents in flight; {args.repeats} repeats per "
        "level, interleaved (every level once, then again) so that a change in the machine's "
        "load spreads over the levels. Latency: one incident's run, from the moment a worker "
        "starts it to its analysis, mean and p95 over all repeats; throughput: incidents / "
        "time to the last analysis, median of repeats; CPU: process CPU time (all threads) per "
        "incident, median of repeats — unlike the wall clock, it does not move with other "
        "jobs on the machine. One untimed warm-up run precedes the curve. Threads "
        "share one interpreter and the offline roles are CPU-bound, so this measures "
        "contention in one process, not horizontal scaling (one agent pod per role would be "
        "the next measurement); bidding efficiency, over the same incidents at every level, "
        "shows whether awards stay right when specialists are busy (availability = 1/(1 + "
        "open tasks) enters the award score).",
        "",
    ]
    lines += table(
        [
            "incidents in flight",
            "incidents run",
            "throughput (/s)",
            "latency mean (ms)",
            "latency p95 (ms)",
            "CPU per incident (ms)",
            "bidding efficiency",
        ],
        [
            [
                str(p.level),
                f"{p.incidents} x {p.repeats}",
                f"{p.throughput:.2f}",
                f"{p.latency_mean_ms:.0f}",
                f"{p.latency_p95_ms:.0f}",
                f"{p.cpu_ms_per_incident:.1f}",
                "n/a" if p.bidding_efficiency is None else f"{p.bidding_efficiency:.3f}",
            ]
            for p in curve
        ],
    )
    lines += [
        "",
        "### RL reward progression: reputation feedback instead",
        "",
        "**PPO (or any RL) bidding is not implemented.** Specialists bid a confidence computed "
        "from their domain's evidence; the only learning is the auctioneer's reputation "
        "ledger (reputation <- 0.8 r + 0.2 (0.5 + reward), clipped to [0.5, 1.5]; reward = "
        "the reviewer's verdict when it has one, else the winner's RCA confidence x "
        "grounding). Its progression over the sequential suite run (incident index in "
        "seed-major order) is reported below in place of an RL reward curve.",
        "",
    ]
    lines += table(
        [
            "incident",
            "kind",
            "winner",
            "right specialist",
            "reward",
            *(r.removesuffix("_specialist") for r in SPECIALIST_DOMAINS),
        ],
        progression_rows(progression),
    )
    lines += ["", "Per quarter of the sequence:", ""]
    lines += table(
        ["incidents", "mean reward", "bidding efficiency (counted)"], quarter_rows(progression)
    )
    lines += [""]

    lines += ["## Model 5: federated", ""]
    layouts = {
        "single": "one region",
        "same-2": "same kind, seeds s1/s2 in eu-west-1/us-east-1 (global)",
        "same-3": "same kind, three seeds in three regions (global)",
        "mixed": "this kind + the next kind with another category, two regions (regional)",
    }
    lines += [
        "Multi-region cases are built per kind from the suite's cases (the truth is known by "
        "construction): each copy of an incident is *relocated* — its stream paths get the "
        "region as a path segment (`/<region>/...`, which is what "
        "`coordination.federation.region_of_line` reads first), region names inside lines "
        "and entities are rewritten to that region, evidence ids are shifted apart — and "
        "copies are merged into one incident. Layouts: "
        + "; ".join(f"`{k}` = {v}" for k, v in layouts.items())
        + f". {len(region_cases)} cases "
        f"({', '.join(f'{k} {sum(1 for c in region_cases if c.layout == k)}' for k in layouts)})"
        ". Privacy, bandwidth, local RCA and latencies pool the single-region suite runs and "
        "these cases.",
        "",
    ]
    keys5 = ["correlation_all", "correlation_single", "correlation_same-2", "correlation_same-3",
             "correlation_mixed", "privacy_compliance", "bandwidth_ratio", "bandwidth_vs_logs",
             "local_rca", "global_rca", "global_rca_multi", "coordination_ms",
             "regional_ms"]  # fmt: skip
    units5 = {"coordination_ms": "ms", "regional_ms": "ms", "bandwidth_vs_logs": "small"}
    lines += table(
        ["metric", "federated"],
        [[k, fmt(federated[k], unit=units5.get(k, "ratio"))] for k in keys5],
    )
    lines += [
        "| federated model divergence | n/a (no federated learning: regional coordinators "
        "run the same deterministic reasoner; no model is trained or averaged) |",
        "",
        *definitions(["correlation", "privacy_compliance", "bandwidth_ratio",
                      "bandwidth_vs_logs", "local_rca", "global_rca", "global_rca_multi",
                      "coordination_ms", "regional_ms"]),
        "",
    ]  # fmt: skip

    lines += ["## Model 6: debate", ""]
    keys6 = ["debate_quality", "referee_agreement", "debate_selection", "safety_violations",
             "human_override"]  # fmt: skip
    lines += table(
        ["metric", "debate"],
        [[k, fmt(debate[k], unit="count" if k == "safety_violations" else "ratio")]
         for k in keys6],
    )  # fmt: skip
    lines += ["", *definitions(keys6), ""]
    lines += [
        "### Memory: improvement curve, error repeats, retrieval",
        "",
        "The Context Memory Manager is wired in sequence by the harness: the suite runs twice "
        "on one agent process; with memory on, each run's own conclusion (its root cause, "
        "plan actions and reviewer verdict — not the truth) is stored after it, in the "
        "knowledge base the Retrieval agent searches. Memory entries are keyed by kind and "
        "seed (pipeline incident ids repeat across bundles). **Caveat:** the `debate` graph "
        "has no retrieval step (debaters call the reasoner's RCA without retrieved context), "
        "so memory cannot change its answers; `rag` reads the knowledge base and is the "
        "topology where memory can act.",
        "",
    ]
    mem_keys = sorted({k for cells in memory.values() for k in cells})
    if memory:
        lines += table(
            ["metric", *memory],
            [[k, *(fmt(memory[t].get(k)) for t in memory)] for k in mem_keys],
        )
        lines += [
            "",
            "Improvement curve over the sequence, RCA top-1 category per block "
            "(a block = one seed's kinds within one pass, in run order):",
            "",
        ]
        blocks = [label for label, _ in next(iter(curves.values()))[0]]
        lines += table(
            ["block", *(f"{t} {m}" for t in curves for m in ("off", "on"))],
            [
                [
                    label,
                    *(fmt(dict(curve)[label]) for t in curves for curve in curves[t]),
                ]
                for label in blocks
            ],
        )
    lines += ["", *definitions(["accuracy_pass", "error_repeat", "error_recur", "retrieval"]),
              ""]  # fmt: skip
    write_report(args.out, header, lines)
    print(f"wrote {args.out} ({duration:.0f} s)")
    return 0


def write_report(out: Path, header: Sequence[str], body: Sequence[str]) -> None:
    """Write the generated ``body`` below :data:`GENERATED_MARK`, keeping what is above it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    existing = out.read_text(encoding="utf-8") if out.exists() else ""
    if GENERATED_MARK in existing:
        kept = existing.split(GENERATED_MARK, 1)[0].rstrip("\n").splitlines()
    else:
        kept = list(header)
    out.write_text("\n".join([*kept, "", GENERATED_MARK, "", *body]) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
