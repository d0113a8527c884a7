"""Per-kind RCA scorecard of the offline topologies over the scenario suite (a dev measurement).

Why: the deterministic reasoner is the control group every model must beat, so we need to know,
kind by kind, whether it finds the injected root cause and proposes the right remediation —
measured end to end the way the CLI runs it (generate a bundle, ingest and detect, match the
reported incident to the ground truth, run the topology on it), never by handing the reasoner
the scenario's label.

Run (figures for seeds 3-5 are the held-out ones; develop on 0-2)::

    OMP_NUM_THREADS=1 .venv/bin/python tests/scenarios/rca_scorecard.py --seeds 3 4 5

Scoring, per (kind, seed, topology):

- ``detected``: the pipeline reported an incident that matches the truth
  (:func:`logswarm.pipeline.evaluate.match_ground_truth`); the topology runs on every matching
  incident and its answer is the analysis it is most confident in;
- ``cause``: the top-1 cause category equals the truth's cause label (the part of
  ``root_cause`` before ``:``);
- ``top1``: ``cause`` and the culprit is the truth's component (the part after ``/``), or a pod
  of that component, or the component of that pod;
- ``remediation``: the plan contains the truth's remediation action.

A missed detection scores 0 on everything after it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from logswarm.agents import run_topology
from logswarm.agents.analysis import IncidentAnalysis
from logswarm.agents.tools import RecordStore
from logswarm.incidents import Incident
from logswarm.ingest import InMemoryDeadLetters, read_logs
from logswarm.pipeline.analyze import analyze
from logswarm.pipeline.evaluate import match_ground_truth
from logswarm.report.model import GroundTruthIncident
from logswarm.scenarios import CATALOGUE, generate, load_line_labels
from logswarm.scenarios.topology import build_topology

__all__ = ["KindScore", "score", "truth_matches"]

TOPOLOGIES = ("linear", "rag", "smart")


@dataclass(frozen=True, slots=True)
class KindScore:
    kind: str
    seed: int
    topology: str
    detected: bool
    cause: bool
    top1: bool
    remediation: bool
    predicted: str


def _component_matches(predicted: str | None, component: str) -> bool:
    if not predicted:
        return False
    a, b = predicted.lower(), component.lower()
    return a == b or a.startswith(f"{b}-") or b.startswith(f"{a}-")


def truth_matches(
    truth: GroundTruthIncident, analysis: IncidentAnalysis
) -> tuple[bool, bool, bool]:
    """(cause category right, cause and component right, remediation action in the plan)."""
    label, _, target = truth.root_cause.partition(":")
    component = target.split("/", 1)[-1]
    cause = analysis.root_cause
    category_ok = cause is not None and cause.category == label
    top1 = category_ok and cause is not None and _component_matches(cause.entity_value, component)
    actions = {step.action for step in analysis.plan}
    remediation_ok = truth.remediation is not None and truth.remediation in actions
    return category_ok, top1, remediation_ok


def _matching(truth: GroundTruthIncident, incidents: Sequence[Incident]) -> list[Incident]:
    """Every reported incident that overlaps the truth in time and names one of its entities."""
    out: list[Incident] = []
    rest = list(incidents)
    while True:
        hit = match_ground_truth(truth, rest)
        if hit is None:
            return out
        out.append(hit)
        rest = [i for i in rest if i.id != hit.id]


def score(
    kinds: Iterable[str],
    seeds: Sequence[int],
    topologies: Sequence[str] = TOPOLOGIES,
    *,
    work: Path,
) -> list[KindScore]:
    out: list[KindScore] = []
    for kind in kinds:
        for seed in seeds:
            bundle = generate(
                [kind],
                out_dir=work / f"{kind}-{seed}",
                seed=seed,
                duration=timedelta(hours=1),
                background_rate=2.0,
            )
            labels = {
                (str((bundle.logs_dir / f).resolve()), line)
                for f, line in load_line_labels(bundle.root)
            }
            report = analyze(
                [bundle.logs_dir],
                dead_letters=InMemoryDeadLetters(),
                labels=labels,
                ground_truth=bundle.ground_truth,
            )
            truth = bundle.ground_truth[0]
            matched = _matching(truth, report.incidents)
            records = RecordStore(read_logs([bundle.logs_dir], dead_letters=InMemoryDeadLetters()))
            deps = {d.name: list(d.calls) for d in build_topology(seed).deployments.values()}
            for topology in topologies:
                if not matched:
                    out.append(KindScore(kind, seed, topology, False, False, False, False, "-"))
                    continue
                analyses = run_topology(topology, matched, records=records, dependencies=deps)
                # The system's answer: its most confident analysis among the incidents that
                # cover the truth (chosen by the system's own confidence, not by the label).
                analysis = max(analyses, key=lambda a: a.confidence)
                cause_ok, top1, rem_ok = truth_matches(truth, analysis)
                rc = analysis.root_cause
                predicted = f"{rc.category}:{rc.entity_value}" if rc else "-"
                out.append(KindScore(kind, seed, topology, True, cause_ok, top1, rem_ok, predicted))
    return out


def _table(scores: list[KindScore], topologies: Sequence[str]) -> str:
    by: dict[tuple[str, str], list[KindScore]] = defaultdict(list)
    for s in scores:
        by[(s.kind, s.topology)].append(s)
    kinds = sorted({s.kind for s in scores})
    head = (
        "| kind | "
        + " | ".join(f"{t} det/top1/rem" for t in topologies)
        + " | predicted (linear) |"
    )
    rows = [head, "|" + "---|" * (len(topologies) + 2)]
    for kind in kinds:
        cells = []
        for t in topologies:
            group = by[(kind, t)]
            n = len(group)
            cells.append(
                f"{sum(s.detected for s in group)}/{sum(s.top1 for s in group)}/"
                f"{sum(s.remediation for s in group)} of {n}"
            )
        preds = ", ".join(s.predicted for s in by[(kind, topologies[0])])
        rows.append(f"| {kind} | " + " | ".join(cells) + f" | {preds} |")
    for t in topologies:
        group = [s for s in scores if s.topology == t]
        n = len(group) or 1
        rows.append(
            f"\n{t}: detected {sum(s.detected for s in group) / n:.1%}, cause category "
            f"{sum(s.cause for s in group) / n:.1%}, top-1 (cause+component) "
            f"{sum(s.top1 for s in group) / n:.1%}, remediation {sum(s.remediation for s in group) / n:.1%}"
            f" over {len(group)} runs"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--kinds", nargs="*", default=None)
    parser.add_argument("--topologies", nargs="+", default=list(TOPOLOGIES))
    args = parser.parse_args(argv)
    kinds = args.kinds or sorted(CATALOGUE)
    with tempfile.TemporaryDirectory() as tmp:
        scores = score(kinds, args.seeds, args.topologies, work=Path(tmp))
    print(_table(scores, args.topologies))
    return 0


if __name__ == "__main__":
    sys.exit(main())
