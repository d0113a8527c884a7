"""The seed's Models 4-6 (``auction``, ``federated``, ``debate``) measured on the scenario suite.

Why it exists: the per-run metric functions live beside the topologies
(:mod:`logswarm.agents.topology.metrics`) and read one trajectory at a time; a benchmark also
needs the scenario cases those runs are made on, a harness that keeps agent state (the
auctioneer's reputation ledger, the Context Memory Manager) across a *sequence* of incidents,
multi-region cases for the federation, and one definition of every suite-level figure. This
module is that seam: ``bench/coordination.py`` renders what it returns, and the tests check the
plumbing on real runs. The ``rag`` topology is run through the same harness as the
centralised control.

A :class:`ScenarioCase` goes through the CLI's path (generate a one-incident bundle, ingest,
detect, match the reported incident to the ground truth); the truth is only read to score.
Cause categories are compared after mapping through the packaged runbooks
(:class:`~logswarm.evaluation.topologies.CauseVocabulary`), as the Model 1-3 scorecard does.

Every figure is a :class:`~logswarm.evaluation.topologies.MetricCell`: a value with the count
it is computed over, or ``n/a`` with the reason — never a stand-in number.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Literal

from logswarm.agents import AgentEnvironment, BackendConfig, build_agent, run_topology
from logswarm.agents.analysis import IncidentAnalysis
from logswarm.agents.catalogue import PlaybookCatalogue, load_catalogue
from logswarm.agents.contracts import (
    Award,
    CoordinatorOutput,
    ExecutorOutput,
    MemoryInput,
    MemoryOutput,
    PlanStep,
    RegionalOutput,
    Role,
)
from logswarm.agents.memory import memory_entry
from logswarm.agents.retrieval import incident_text
from logswarm.agents.tools import RecordStore, Toolbox
from logswarm.agents.topology import InProcessTransport
from logswarm.agents.topology import metrics as tm
from logswarm.agents.topology.engine import TrajectoryStep
from logswarm.evaluation.topologies import CauseVocabulary, MetricCell
from logswarm.incidents import Incident, TimeWindow
from logswarm.ingest import InMemoryDeadLetters, read_logs
from logswarm.pipeline.analyze import analyze
from logswarm.pipeline.evaluate import match_ground_truth
from logswarm.report.model import GroundTruthIncident
from logswarm.scenarios import generate
from logswarm.scenarios.topology import build_topology

__all__ = [
    "REGIONS",
    "CaseRun",
    "Harness",
    "MemoryPass",
    "RegionCase",
    "RegionRun",
    "ReputationPoint",
    "ScalabilityPoint",
    "ScenarioCase",
    "UndetectedScenarioError",
    "auction_metrics",
    "build_case",
    "build_region_cases",
    "build_suite",
    "category_hit",
    "common_metrics",
    "debate_metrics",
    "domain_of",
    "federated_metrics",
    "improvement_curve",
    "memory_experiment",
    "memory_metrics",
    "merge_incidents",
    "proposed_plan",
    "relocate_incident",
    "replace_incident",
    "reputation_progression",
    "run_region_cases",
    "run_sequence",
    "scalability_curve",
]

#: Regions the multi-region cases are placed in (names the federation recognises in a path).
REGIONS = ("eu-west-1", "us-east-1", "ap-south-1")

# Same shape as the federation's region pattern (logswarm.agents.coordination.federation).
_AWS_REGION = re.compile(
    r"(?<![a-z0-9-])([a-z]{2}(?:-gov)?-(?:north|south|east|west|central|northeast|southeast|"
    r"northwest|southwest)-\d)(?![a-z0-9-])"
)


class UndetectedScenarioError(LookupError):
    """The pipeline reported no incident matching the scenario's ground truth."""


# --- cases -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScenarioCase:
    """One generated scenario as a topology sees it, with its truth beside it."""

    kind: str
    seed: int
    truth: GroundTruthIncident
    incident: Incident
    records: RecordStore
    dependencies: dict[str, list[str]]
    #: Bytes of the bundle's log files as written: what shipping this hour of the region's logs
    #: to a central analyser would move (the federation's bandwidth is compared against it).
    log_bytes: int = 0

    @property
    def category(self) -> str:
        """The scenario's own cause category (``category:kind/value`` -> ``category``)."""
        return self.truth.root_cause.partition(":")[0]


def build_case(
    kind: str,
    seed: int,
    work: Path,
    *,
    duration: timedelta = timedelta(hours=1),
    background_rate: float = 2.0,
) -> ScenarioCase:
    """Generate ``kind`` alone under ``work``, run the pipeline, return the matched incident.

    Raises :class:`UndetectedScenarioError` when no reported incident matches the ground truth.
    """
    bundle = generate(
        [kind],
        out_dir=work / f"{kind}-{seed}",
        seed=seed,
        duration=duration,
        background_rate=background_rate,
    )
    report = analyze(
        [bundle.logs_dir], dead_letters=InMemoryDeadLetters(), ground_truth=bundle.ground_truth
    )
    truth = bundle.ground_truth[0]
    incident = match_ground_truth(truth, report.incidents)
    if incident is None:
        raise UndetectedScenarioError(
            f"{kind} seed {seed}: the pipeline did not report the incident"
        )
    records = RecordStore(read_logs([bundle.logs_dir], dead_letters=InMemoryDeadLetters()))
    deps = {d.name: list(d.calls) for d in build_topology(seed).deployments.values()}
    log_bytes = sum(p.stat().st_size for p in bundle.logs_dir.rglob("*") if p.is_file())
    return ScenarioCase(kind, seed, truth, incident, records, deps, log_bytes)


def build_suite(
    kinds: Iterable[str], seeds: Sequence[int], work: Path
) -> tuple[list[ScenarioCase], list[str]]:
    """Cases in seed-major order (every kind of seed 1, then seed 2...), and the skips."""
    kinds = list(kinds)
    cases: list[ScenarioCase] = []
    skipped: list[str] = []
    for seed in seeds:
        for kind in kinds:
            try:
                cases.append(build_case(kind, seed, work))
            except UndetectedScenarioError as e:
                skipped.append(str(e))
    return cases, skipped


# --- running -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseRun:
    """One topology run on one case: the analysis and the wall time of the call."""

    case: ScenarioCase
    analysis: IncidentAnalysis
    wall_s: float


class Harness:
    """One agent process (environment, agent, in-process transport) kept across incidents.

    State that is meant to span incidents lives in the agent: the auctioneer's reputation
    ledger and the knowledge base the Context Memory Manager writes into. Before each run the
    environment's toolbox is pointed at the case's own records, so log tools see the right
    bundle (a harness is therefore not for concurrent runs: see :func:`scalability_curve`).
    """

    def __init__(self, backend: BackendConfig | None = None) -> None:
        self.backend = backend or BackendConfig()
        self.env = AgentEnvironment.default()
        self.transport = InProcessTransport.single(build_agent(self.backend, self.env))

    def run(
        self, topology: str, case: ScenarioCase, *, incident: Incident | None = None
    ) -> CaseRun:
        """Run ``topology`` on the case's incident (or ``incident``, e.g. a multi-region one)."""
        self.env.toolbox = Toolbox(logs=case.records)
        started = time.perf_counter()
        (analysis,) = run_topology(
            topology,
            [incident or case.incident],
            records=case.records,
            backend=self.backend,
            dependencies=case.dependencies,
            transport=self.transport,
        )
        return CaseRun(case, analysis, time.perf_counter() - started)

    def memory(self, request: MemoryInput) -> MemoryOutput:
        out = self.transport.invoke(Role.CONTEXT_MEMORY_MANAGER, request).output
        if not isinstance(out, MemoryOutput):  # pragma: no cover - contract violation
            raise TypeError(f"memory answered {type(out).__name__}")
        return out

    def remember(self, run: CaseRun) -> None:
        """Store what the run concluded (its own diagnosis, not the truth) in memory."""
        cause = run.analysis.root_cause
        if cause is None:
            return
        review = run.analysis.review
        entry = memory_entry(
            run.case.incident,
            cause,
            remediation=[s.action for s in proposed_plan(run.analysis.trajectory)],
            outcome=review.verdict if review is not None else "unverified",
        )
        self.memory(MemoryInput(operation="store", entry=entry))


def run_sequence(harness: Harness, topology: str, cases: Sequence[ScenarioCase]) -> list[CaseRun]:
    return [harness.run(topology, c) for c in cases]


# --- shared figures ----------------------------------------------------------------------------


def _vocab() -> CauseVocabulary:
    return CauseVocabulary.packaged()


def category_hit(run: CaseRun, vocab: CauseVocabulary) -> bool:
    cause = run.analysis.root_cause
    return cause is not None and vocab.canonical(cause.category) == vocab.canonical(
        run.case.category
    )


def proposed_plan(trajectory: Sequence[TrajectoryStep]) -> list[PlanStep]:
    """The executor's own plan (before any safety gate), from its first successful step."""
    for step in trajectory:
        if step.role == Role.EXECUTOR and step.output is not None and step.error is None:
            return list(ExecutorOutput.model_validate(step.output).steps)
    return []


def common_metrics(
    runs: Sequence[CaseRun], *, total_wall_s: float | None = None
) -> dict[str, MetricCell]:
    """RCA top-1 category, remediation correctness, mean resolution time, throughput."""
    vocab = _vocab()
    hits = sum(1 for r in runs if category_hit(r, vocab))
    with_remedy = [r for r in runs if r.case.truth.remediation]
    fixed = sum(
        1
        for r in with_remedy
        if any(s.action == r.case.truth.remediation for s in proposed_plan(r.analysis.trajectory))
    )
    gated = sum(
        1 for r in with_remedy if any(s.action == r.case.truth.remediation for s in r.analysis.plan)
    )
    walls = [r.wall_s for r in runs]
    total = total_wall_s if total_wall_s is not None else sum(walls)
    errors = sum(1 for r in runs if r.analysis.errors)
    return {
        "rca_category_top1": MetricCell.share(hits, len(runs), empty="no runs"),
        "remediation_proposed": MetricCell.share(fixed, len(with_remedy), empty="no labels"),
        "remediation_final": MetricCell.share(gated, len(with_remedy), empty="no labels"),
        "resolution_wall_ms": MetricCell.mean(
            [w * 1000.0 for w in walls], empty="no runs", detail="per incident, wall"
        ),
        "throughput": (
            MetricCell(value=len(runs) / total, n=len(runs), detail=f"{total:.2f} s in total")
            if total > 0 and runs
            else MetricCell.na("no runs")
        ),
        "run_errors": MetricCell(value=float(errors), n=len(runs), detail="runs with errors"),
    }


# --- Model 4: auction --------------------------------------------------------------------------


def domain_of(category: str, *, vocab: CauseVocabulary, catalogue: PlaybookCatalogue) -> str | None:
    """The playbook domain of a true cause category (None when its playbooks span several)."""
    domains = {p.domain for p in catalogue.by_category(vocab.canonical(category))}
    return next(iter(domains)) if len(domains) == 1 else None


def _coordinator_outputs(trajectory: Sequence[TrajectoryStep]) -> list[CoordinatorOutput]:
    return [
        CoordinatorOutput.model_validate(s.output)
        for s in trajectory
        if s.role == Role.COORDINATOR and s.output is not None and s.error is None
    ]


def _award(trajectory: Sequence[TrajectoryStep]) -> Award | None:
    return next(
        (o.award for o in _coordinator_outputs(trajectory) if o.phase == "award" and o.award),
        None,
    )


def _winner(trajectory: Sequence[TrajectoryStep]) -> str | None:
    award = _award(trajectory)
    return award.winner if award is not None else None


def _feedback_reward(trajectory: Sequence[TrajectoryStep]) -> float | None:
    last = next(
        (o for o in reversed(_coordinator_outputs(trajectory)) if o.phase == "feedback"), None
    )
    return last.reward if last is not None else None


def _confidence_winner(award: Award) -> str | None:
    """Who a fresh ledger would award (reputation 1, nobody busy): the most confident bid."""
    if not award.ranking:
        return None
    return min(award.ranking, key=lambda s: (-s.confidence, s.specialist)).specialist


def auction_metrics(runs: Sequence[CaseRun]) -> dict[str, MetricCell]:
    """Bidding efficiency, Jain fairness of awards, time to plan (trajectory latency)."""
    vocab, catalogue = _vocab(), load_catalogue()
    labelled = [
        (r.analysis.trajectory, domain_of(r.case.category, vocab=vocab, catalogue=catalogue))
        for r in runs
    ]
    counted = [(t, d) for t, d in labelled if d and tm.specialist_for_domain(d)]
    efficiency = tm.bidding_efficiency(counted)
    counts = tm.award_counts(r.analysis.trajectory for r in runs)
    fairness = tm.jain_fairness(counts)
    awards = ", ".join(f"{k.removesuffix('_specialist')} {v}" for k, v in sorted(counts.items()))
    to_plan = tm.mean_resolution_ms(r.analysis.trajectory for r in runs)
    # Did the ledger change anything? Awards the confidence of the bids alone would not give,
    # and whether the specialist it chose, or the one it passed over, was the right one.
    auctions = decided = decided_right = chose_expected = passed_expected = 0
    for r in runs:
        award = _award(r.analysis.trajectory)
        if award is None or award.winner is None:
            continue
        auctions += 1
        by_bids = _confidence_winner(award)
        if by_bids != award.winner:
            domain = domain_of(r.case.category, vocab=vocab, catalogue=catalogue)
            expected = tm.specialist_for_domain(domain) if domain else None
            decided += 1
            decided_right += category_hit(r, vocab)
            chose_expected += expected is not None and award.winner == expected
            passed_expected += expected is not None and by_bids == expected
    by_ledger = MetricCell.share(decided, auctions, empty="no awards")
    if by_ledger.value is not None:
        by_ledger = by_ledger.model_copy(
            update={
                "detail": f"{decided}/{auctions}: awarded the right specialist {chose_expected}, "
                f"passed over the right one {passed_expected}; right category {decided_right}"
            }
        )
    # Is the feedback signal a learning signal? Its mean when the winner was right vs wrong.
    rewards: dict[bool, list[float]] = {True: [], False: []}
    for r in runs:
        reward = _feedback_reward(r.analysis.trajectory)
        if reward is not None:
            rewards[category_hit(r, vocab)].append(reward)
    return {
        "awards_by_ledger": by_ledger,
        "reward_right": MetricCell.mean(
            rewards[True], empty="no rewarded run with the right category"
        ),
        "reward_wrong": MetricCell.mean(
            rewards[False], empty="no rewarded run with a wrong category"
        ),
        "bidding_efficiency": (
            MetricCell(value=efficiency, n=len(counted), detail=f"{len(counted)} with a specialist")
            if efficiency is not None
            else MetricCell.na("no run with a domain a specialist answers for")
        ),
        "jain_fairness": (
            MetricCell(value=fairness, n=sum(counts.values()), detail=awards)
            if fairness is not None
            else MetricCell.na("no awards")
        ),
        "time_to_plan_ms": (
            MetricCell(value=to_plan, n=len(runs), detail="sum of step latencies up to the plan")
            if to_plan is not None
            else MetricCell.na("no run reached a plan")
        ),
    }


@dataclass(frozen=True, slots=True)
class ReputationPoint:
    """The ledger after the feedback of the ``index``-th incident of a sequence."""

    index: int
    kind: str
    winner: str | None
    expected: str | None
    reward: float | None
    reputation: dict[str, float]


def reputation_progression(runs: Sequence[CaseRun]) -> list[ReputationPoint]:
    """Reward and reputation after each incident of an auction sequence, in order."""
    vocab, catalogue = _vocab(), load_catalogue()
    points: list[ReputationPoint] = []
    for i, run in enumerate(runs, start=1):
        feedback = _coordinator_outputs(run.analysis.trajectory)
        last = next((f for f in reversed(feedback) if f.phase == "feedback"), None)
        domain = domain_of(run.case.category, vocab=vocab, catalogue=catalogue)
        points.append(
            ReputationPoint(
                index=i,
                kind=run.case.kind,
                winner=_winner(run.analysis.trajectory),
                expected=tm.specialist_for_domain(domain) if domain else None,
                reward=last.reward if last else None,
                reputation=dict(last.reputation) if last else {},
            )
        )
    return points


@dataclass(frozen=True, slots=True)
class ScalabilityPoint:
    """One workload run with ``level`` incidents in flight at a time, ``repeats`` times."""

    level: int
    repeats: int
    #: Incidents in the workload (the same ones, in the same order, at every level).
    incidents: int
    throughput: float
    latency_mean_ms: float
    latency_p95_ms: float
    #: CPU time of the process per incident (all threads), median of repeats: unlike the wall
    #: clock, it does not move with other jobs on a shared machine.
    cpu_ms_per_incident: float
    bidding_efficiency: float | None


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def scalability_curve(
    cases: Sequence[ScenarioCase],
    *,
    topology: str = "auction",
    levels: Sequence[int] = (1, 2, 4, 8, 16, 32, 64),
    repeats: int = 3,
    workload: int | None = None,
    backend: BackendConfig | None = None,
    clock: Callable[[], float] = time.perf_counter,
    cpu_clock: Callable[[], float] = time.process_time,
) -> list[ScalabilityPoint]:
    """Throughput and latency as the number of incidents in flight grows.

    Every level runs the *same* workload — the first ``workload`` cases in suite order, cycled
    (default: every case, at least ``max(levels)``) — so that levels differ only in
    concurrency, not in the mix of incidents. At level N a pool of N worker threads sharing
    one fresh agent process (so one auctioneer's ledger: open tasks lower a busy specialist's
    availability) takes the incidents in order. An incident's latency is its own run, from the
    moment a worker starts it to its analysis (slower when N runs share the process);
    throughput is the workload over the time to the last analysis, median over ``repeats``.
    Repeats are interleaved (every level once, then again), so a change in the machine's load
    during the measurement spreads over the levels instead of landing on one. Threads share
    one interpreter, so CPU-bound offline roles do not run in parallel: the curve measures
    contention in one process, not horizontal scaling. The toolbox holds no log records in
    this mode (the auction's roles read none).
    """
    if not cases or not levels:
        return []
    size = workload if workload is not None else max(len(cases), max(levels))
    chosen = [cases[i % len(cases)] for i in range(size)]
    vocab, catalogue = _vocab(), load_catalogue()
    domains = [domain_of(c.category, vocab=vocab, catalogue=catalogue) for c in chosen]
    # One untimed run first: lazy imports and compiled patterns are a process cost, not a load.
    run_topology(topology, [cases[0].incident], backend=backend)
    throughputs: dict[int, list[float]] = {level: [] for level in levels}
    cpu_ms: dict[int, list[float]] = {level: [] for level in levels}
    latencies: dict[int, list[float]] = {level: [] for level in levels}
    hits: dict[int, list[tuple[Sequence[TrajectoryStep], str | None]]] = {
        level: [] for level in levels
    }
    for _ in range(repeats):
        for level in levels:
            transport = InProcessTransport.single(
                build_agent(backend or BackendConfig(), AgentEnvironment.default())
            )

            def one(
                case: ScenarioCase, transport: InProcessTransport = transport
            ) -> tuple[IncidentAnalysis, float]:
                began = clock()
                (analysis,) = run_topology(
                    topology,
                    [case.incident],
                    backend=backend,
                    dependencies=case.dependencies,
                    transport=transport,
                )
                return analysis, clock() - began

            with ThreadPoolExecutor(max_workers=level) as pool:
                start, cpu_start = clock(), cpu_clock()
                done = list(pool.map(one, chosen))
                elapsed, cpu = clock() - start, cpu_clock() - cpu_start
            throughputs[level].append(size / elapsed if elapsed > 0 else float("inf"))
            cpu_ms[level].append(cpu * 1000.0 / size)
            latencies[level].extend(d * 1000.0 for _, d in done)
            hits[level].extend((a.trajectory, d) for (a, _), d in zip(done, domains, strict=True))
    return [
        ScalabilityPoint(
            level=level,
            repeats=repeats,
            incidents=size,
            throughput=statistics.median(throughputs[level]),
            latency_mean_ms=statistics.fmean(latencies[level]),
            latency_p95_ms=_p95(latencies[level]),
            cpu_ms_per_incident=statistics.median(cpu_ms[level]),
            bidding_efficiency=tm.bidding_efficiency(
                (t, d) for t, d in hits[level] if d and tm.specialist_for_domain(d)
            ),
        )
        for level in levels
    ]


# --- Model 5: federated ------------------------------------------------------------------------

Scope = Literal["global", "regional"]


@dataclass(frozen=True, slots=True)
class RegionCase:
    """A (possibly) multi-region incident built from single-region cases, with its truth."""

    name: str
    layout: str
    scope: Scope
    #: The true global cause category (None: the regions disagree, nothing global to find).
    category: str | None
    #: region -> true cause category of the evidence placed there.
    region_truth: dict[str, str]
    incident: Incident
    base: ScenarioCase


def _shift(value: str, offset: int) -> str:
    return f"{value[0]}{int(value[1:]) + offset}"


def _in_region(text: str, region: str) -> str:
    return _AWS_REGION.sub(region, text)


def relocate_incident(incident: Incident, region: str, offset: int) -> Incident:
    """``incident`` as observed in ``region``: the stream paths carry the region as a path
    segment (what the federation reads), region names in lines and entities become ``region``,
    and evidence ids / template ids are shifted by ``offset`` so merged copies do not clash."""

    def path(file: str) -> str:
        stripped = re.sub(r"/+", "/", _AWS_REGION.sub("", file))
        return f"/{region}/{stripped.lstrip('/')}"

    return incident.model_copy(
        update={
            "id": f"{incident.id}@{region}",
            "regions": [region],
            "samples": [
                s.model_copy(
                    update={
                        "id": _shift(s.id, offset),
                        "file": path(s.file),
                        "message": _in_region(s.message, region),
                        "template_id": None if s.template_id is None else s.template_id + offset,
                    }
                )
                for s in incident.samples
            ],
            "templates": [
                t.model_copy(
                    update={
                        "id": _shift(t.id, offset),
                        "template_id": t.template_id + offset,
                        "template": _in_region(t.template, region),
                    }
                )
                for t in incident.templates
            ],
            "entities": [
                e.model_copy(
                    update={"id": _shift(e.id, offset), "value": _in_region(e.value, region)}
                )
                for e in incident.entities
            ],
            "scores": [d.model_copy(update={"id": _shift(d.id, offset)}) for d in incident.scores],
        }
    )


def merge_incidents(parts: Sequence[Incident]) -> Incident:
    """Several regions' evidence as one incident (ids must already be apart)."""
    first = parts[0]
    return first.model_copy(
        update={
            "id": "+".join(p.id for p in parts),
            "regions": sorted({r for p in parts for r in p.regions}),
            "window": TimeWindow(
                start=min(p.window.start for p in parts), end=max(p.window.end for p in parts)
            ),
            "anomaly_score": max(p.anomaly_score for p in parts),
            "samples": [s for p in parts for s in p.samples],
            "templates": [t for p in parts for t in p.templates],
            "entities": [e for p in parts for e in p.entities],
            "scores": [d for p in parts for d in p.scores],
            "services": sorted({s for p in parts for s in p.services}),
            "sources": sorted({s for p in parts for s in p.sources}),
            "record_count": sum(p.record_count for p in parts),
        }
    )


def build_region_cases(cases: Sequence[ScenarioCase]) -> list[RegionCase]:
    """Per kind: ``single`` (one region), ``same-2`` / ``same-3`` (the kind's other seeds in
    two / three regions: a global incident) and ``mixed`` (this kind and the next kind of the
    list with another cause category, in two regions: no global cause)."""
    vocab = _vocab()
    by_kind: dict[str, list[ScenarioCase]] = {}
    for c in cases:
        by_kind.setdefault(c.kind, []).append(c)
    kinds = list(by_kind)
    out: list[RegionCase] = []
    for n, kind in enumerate(kinds):
        seeds = sorted(by_kind[kind], key=lambda c: c.seed)
        base = seeds[0]
        out.append(
            RegionCase(
                name=f"{kind}/single",
                layout="single",
                scope="regional",
                category=base.category,
                region_truth={REGIONS[1]: base.category},
                incident=relocate_incident(base.incident, REGIONS[1], 0),
                base=base,
            )
        )
        for width in (2, 3):
            if len(seeds) < width:
                continue
            parts = [
                relocate_incident(c.incident, REGIONS[i], 1000 * i)
                for i, c in enumerate(seeds[:width])
            ]
            out.append(
                RegionCase(
                    name=f"{kind}/same-{width}",
                    layout=f"same-{width}",
                    scope="global",
                    category=base.category,
                    region_truth={REGIONS[i]: base.category for i in range(width)},
                    incident=merge_incidents(parts),
                    base=base,
                )
            )
        other = next(
            (
                by_kind[k][0]
                for k in kinds[n + 1 :] + kinds[:n]
                if vocab.canonical(by_kind[k][0].category) != vocab.canonical(base.category)
            ),
            None,
        )
        if other is not None:
            out.append(
                RegionCase(
                    name=f"{kind}/mixed:{other.kind}",
                    layout="mixed",
                    scope="regional",
                    category=None,
                    region_truth={REGIONS[0]: base.category, REGIONS[1]: other.category},
                    incident=merge_incidents(
                        [
                            relocate_incident(base.incident, REGIONS[0], 0),
                            relocate_incident(other.incident, REGIONS[1], 1000),
                        ]
                    ),
                    base=base,
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class RegionRun:
    case: RegionCase
    analysis: IncidentAnalysis
    wall_s: float


def run_region_cases(harness: Harness, cases: Sequence[RegionCase]) -> list[RegionRun]:
    out: list[RegionRun] = []
    for rc in cases:
        run = harness.run("federated", rc.base, incident=rc.incident)
        out.append(RegionRun(rc, run.analysis, run.wall_s))
    return out


_FEDERATION_STEPS = frozenset({Role.FEDERATION_GATEWAY, Role.GLOBAL_SYNTHESIZER})


def _coordination_ms(trajectory: Sequence[TrajectoryStep]) -> float:
    """Gateway + synthesizer + the lead region's respond step."""
    total = 0.0
    for step in trajectory:
        if step.role in _FEDERATION_STEPS or step.node == "respond":
            total += step.latency_ms
    return total


def _regional_ms(trajectory: Sequence[TrajectoryStep]) -> float:
    """The slowest region's analysis (regions run side by side in a deployment)."""
    return max(
        (s.latency_ms for s in trajectory if s.node.startswith("region-")),
        default=0.0,
    )


def _local_reports(trajectory: Sequence[TrajectoryStep]) -> list[RegionalOutput]:
    return [
        RegionalOutput.model_validate(s.output)
        for s in trajectory
        if s.node.startswith("region-") and s.output is not None and s.error is None
    ]


def federated_metrics(
    suite: Sequence[CaseRun], regional: Sequence[RegionRun]
) -> dict[str, MetricCell]:
    """Model 5 figures over the single-region suite runs and the multi-region cases."""
    vocab = _vocab()
    cells: dict[str, MetricCell] = {}
    for layout in ("all", "single", "same-2", "same-3", "mixed"):
        chosen = [r for r in regional if layout == "all" or r.case.layout == layout]
        hits = sum(
            1 for r in chosen if tm.correlation_accuracy([(r.analysis.trajectory, r.case.scope)])
        )
        cells[f"correlation_{layout}"] = MetricCell.share(hits, len(chosen), empty="no cases")
    traj_incident = [(r.analysis.trajectory, r.case.incident) for r in suite] + [
        (r.analysis.trajectory, r.case.incident) for r in regional
    ]
    scores = [tm.privacy_compliance(t, i) for t, i in traj_incident]
    measured = [s for s in scores if s is not None]
    cells["privacy_compliance"] = MetricCell.mean(
        measured,
        empty="no gateway messages",
        detail=f"min {min(measured):.3f}" if measured else "",
    )
    bandwidths = [tm.bandwidth(t) for t, _ in traj_incident]
    shared = sum(b.shared for b in bandwidths)
    raw = sum(b.raw for b in bandwidths)
    cells["bandwidth_ratio"] = (
        MetricCell(value=shared / raw, n=len(bandwidths), detail=f"{shared} B shared / {raw} B raw")
        if raw
        else MetricCell.na("no raw evidence")
    )
    # Against the centralised alternative: shipping the region's logs (one bundle per case).
    suite_shared = sum(tm.bandwidth(r.analysis.trajectory).shared for r in suite)
    log_bytes = sum(r.case.log_bytes for r in suite)
    cells["bandwidth_vs_logs"] = (
        MetricCell(
            value=suite_shared / log_bytes,
            n=len(suite),
            detail=f"{suite_shared} B shared / {log_bytes} B of log files",
        )
        if log_bytes
        else MetricCell.na("log volume not recorded")
    )
    # local: every region's own analysis against the truth placed in that region
    local: list[tuple[RegionalOutput, str | None]] = [
        (out, r.case.category) for r in suite for out in _local_reports(r.analysis.trajectory)
    ] + [
        (out, r.case.region_truth.get(out.region))
        for r in regional
        for out in _local_reports(r.analysis.trajectory)
    ]
    local_hits = local_total = 0
    for out, truth in local:
        report = out.report
        if report is None or report.quiet or report.rca is None or truth is None:
            continue
        local_total += 1
        local_hits += vocab.canonical(report.rca.root_cause.category) == vocab.canonical(truth)
    cells["local_rca"] = MetricCell.share(local_hits, local_total, empty="no regional analysis")
    global_runs = [r for r in regional if r.case.category is not None]
    global_hits = sum(
        1
        for r in global_runs
        if r.analysis.root_cause is not None
        and vocab.canonical(r.analysis.root_cause.category)
        == vocab.canonical(r.case.category or "")
    )
    cells["global_rca"] = MetricCell.share(global_hits, len(global_runs), empty="no cases")
    multi = [r for r in global_runs if r.case.layout != "single"]
    multi_hits = sum(
        1
        for r in multi
        if r.analysis.root_cause is not None
        and vocab.canonical(r.analysis.root_cause.category)
        == vocab.canonical(r.case.category or "")
    )
    cells["global_rca_multi"] = MetricCell.share(multi_hits, len(multi), empty="no cases")
    all_traj = [r.analysis.trajectory for r in suite] + [r.analysis.trajectory for r in regional]
    cells["coordination_ms"] = MetricCell.mean(
        [_coordination_ms(t) for t in all_traj], empty="no runs"
    )
    cells["regional_ms"] = MetricCell.mean([_regional_ms(t) for t in all_traj], empty="no runs")
    return cells


# --- Model 6: debate, safety, memory -----------------------------------------------------------


def debate_metrics(runs: Sequence[CaseRun]) -> dict[str, MetricCell]:
    """Debate quality, referee agreement, selection accuracy, safety, human override."""
    vocab = _vocab()
    trajectories = [r.analysis.trajectory for r in runs]

    def cell(value: float | None, empty: str, detail: str = "") -> MetricCell:
        if value is None:
            return MetricCell.na(empty)
        return MetricCell(value=value, n=len(runs), detail=detail)

    selection = [(r.analysis.trajectory, vocab.canonical(r.case.category)) for r in runs]
    eligible = sum(
        1 for t, truth in selection if tm.debate_selection_accuracy([(t, truth)]) is not None
    )
    violations = sum(tm.safety_violations(r.analysis.trajectory, r.case.incident) for r in runs)
    return {
        "debate_quality": cell(tm.debate_quality(trajectories), "no referee output"),
        "referee_agreement": cell(tm.referee_agreement_rate(trajectories), "no referee output"),
        "debate_selection": (
            MetricCell(
                value=tm.debate_selection_accuracy(selection),
                n=eligible,
                detail=f"{eligible} runs where a debater named the true category",
            )
            if eligible
            else MetricCell.na("no debater named the true category")
        ),
        "safety_violations": MetricCell(value=float(violations), n=len(runs), detail="total"),
        "human_override": cell(tm.human_override_ratio(trajectories), "no safety or referee step"),
    }


@dataclass(slots=True)
class MemoryPass:
    """One pass over the suite: the runs, and (memory on) what memory returned before each."""

    index: int
    memory: bool
    runs: list[CaseRun] = field(default_factory=list)
    #: per run: (memory held *another* incident of the true category, the top remembered
    #: incident other than this case's own earlier entry had it)
    retrieval: list[tuple[bool, bool]] = field(default_factory=list)


def _memory_id(case: ScenarioCase) -> str:
    """The doc-id prefix of the case's own entry (incident ids repeat across bundles)."""
    return f"incident:{case.kind}-{case.seed}:"


def _remembered(harness: Harness, *, exclude: str = "\x00") -> set[str]:
    kb = harness.env.knowledge
    if kb is None:
        return set()
    return {
        d.category
        for d in kb.documents
        if d.kind == "incident" and d.category and not d.doc_id.startswith(exclude)
    }


def memory_experiment(
    cases: Sequence[ScenarioCase],
    *,
    topology: str,
    memory: bool,
    passes: int = 2,
    backend: BackendConfig | None = None,
) -> list[MemoryPass]:
    """Run the suite ``passes`` times in sequence on one agent process.

    With ``memory``, the Context Memory Manager is queried before each incident (the top
    remembered *incident*, runbooks skipped, scores retrieval) and the run's own conclusion is
    stored after it; without, nothing is stored. Entry ids carry kind and seed, since incident
    ids repeat across bundles. Retrieval is scored on *other* incidents: from the second pass
    on, memory holds the case's own earlier entry (the same logs), whose recall would be a
    string match, not retrieval; it is skipped, both in what memory holds and in the hits.
    """
    vocab = _vocab()
    harness = Harness(backend)
    out: list[MemoryPass] = []
    for index in range(1, passes + 1):
        current = MemoryPass(index=index, memory=memory)
        for case in cases:
            if memory:
                own = _memory_id(case)
                truth = vocab.canonical(case.category)
                held = truth in {vocab.canonical(c) for c in _remembered(harness, exclude=own)}
                hits = harness.memory(
                    MemoryInput(operation="query", query=incident_text(case.incident), k=20)
                ).hits
                top = next(
                    (h for h in hits if h.kind == "incident" and not h.doc_id.startswith(own)),
                    None,
                )
                found = top is not None and vocab.canonical(top.category) == truth
                current.retrieval.append((held, found))
            run = harness.run(topology, case)
            current.runs.append(run)
            if memory:
                keyed = case.incident.model_copy(
                    update={"id": _memory_id(case).removeprefix("incident:") + case.incident.id}
                )
                harness.remember(CaseRun(replace_incident(case, keyed), run.analysis, run.wall_s))
        out.append(current)
    return out


def replace_incident(case: ScenarioCase, incident: Incident) -> ScenarioCase:
    return ScenarioCase(
        case.kind,
        case.seed,
        case.truth,
        incident,
        case.records,
        case.dependencies,
        case.log_bytes,
    )


def _recurrence_repeats(p: MemoryPass, vocab: CauseVocabulary) -> tuple[int, int]:
    """(misses repeated at the kind's next seed, misses of a kind that recurs) within a pass."""
    by_kind: dict[str, list[bool]] = {}
    for r in p.runs:
        by_kind.setdefault(r.case.kind, []).append(category_hit(r, vocab))
    repeated = recurring = 0
    for hits in by_kind.values():
        for ok, following in pairwise(hits):
            if not ok:
                recurring += 1
                repeated += not following
    return repeated, recurring


def improvement_curve(passes: Sequence[MemoryPass]) -> list[tuple[str, MetricCell]]:
    """RCA top-1 category over the sequence in blocks, in order: one block per (pass, seed).

    Memory off and on run the same cases in the same order, so the difference of two curves
    block by block is what memory changed, not the mix of kinds in a block.
    """
    vocab = _vocab()
    out: list[tuple[str, MetricCell]] = []
    for p in passes:
        by_seed: dict[int, list[bool]] = {}
        for r in p.runs:
            by_seed.setdefault(r.case.seed, []).append(category_hit(r, vocab))
        out.extend(
            (f"pass {p.index}, seed {seed}", MetricCell.share(sum(h), len(h), empty="no runs"))
            for seed, h in by_seed.items()
        )
    return out


def memory_metrics(off: Sequence[MemoryPass], on: Sequence[MemoryPass]) -> dict[str, MetricCell]:
    """Improvement curve, error-repeat reduction and retrieval accuracy, memory off vs on."""
    vocab = _vocab()
    cells: dict[str, MetricCell] = {}

    def hits(p: MemoryPass) -> list[bool]:
        return [category_hit(r, vocab) for r in p.runs]

    for label, passes in (("off", off), ("on", on)):
        for p in passes:
            h = hits(p)
            cells[f"accuracy_{label}_pass{p.index}"] = MetricCell.share(
                sum(h), len(h), empty="no runs"
            )
        if len(passes) >= 2:
            first, last = hits(passes[0]), hits(passes[-1])
            missed = [i for i, ok in enumerate(first) if not ok]
            repeated = sum(1 for i in missed if not last[i])
            cells[f"error_repeat_{label}"] = MetricCell.share(
                repeated, len(missed), empty="no error in the first pass"
            )
        if passes:
            repeated, recurring = _recurrence_repeats(passes[0], vocab)
            cells[f"error_recur_{label}"] = MetricCell.share(
                repeated, recurring, empty="no miss of a kind that recurs at a later seed"
            )
    for name, empty in (
        ("error_repeat", "no error in the first pass"),
        ("error_recur", "no miss of a kind that recurs at a later seed"),
    ):
        a, b = cells.get(f"{name}_off"), cells.get(f"{name}_on")
        if a is not None and b is not None and a.value is not None and b.value is not None:
            cells[f"{name}_reduction"] = MetricCell(
                value=a.value - b.value, n=a.n, detail="repeat rate off - on"
            )
        else:
            cells[f"{name}_reduction"] = MetricCell.na(empty)
    for p in on:
        eligible = [found for held, found in p.retrieval if held]
        cells[f"retrieval_pass{p.index}"] = MetricCell.share(
            sum(eligible),
            len(eligible),
            empty="memory never held another incident of the true category",
        )
    return cells
