"""The topology scorecard: the seed's Model 1-3 metrics, computed from runs against ground truth.

``logswarm bench topologies`` runs the ``linear``, ``rag`` and ``smart`` topologies on generated
scenario bundles; this module turns what those runs left behind — the pipeline's incidents, the
agents' :class:`~logswarm.agents.IncidentAnalysis` (root cause, plan, grounding report,
trajectory) and the bundles' ground truth — into one figure per metric and topology. Every
figure has a written definition (:data:`METRICS`, also printed in the report), is computed the
same way for every topology and backend, and is ``n/a`` with a reason when a topology has
nothing to measure (``linear`` has no retrieval step, so no RAG hit rate) — never a stand-in
number.

Units of scoring:

- a **ground-truth incident** is matched to the earliest reported incident that overlaps it and
  names one of its entities (:func:`logswarm.pipeline.evaluate.match_ground_truth`); RCA,
  retrieval, chain and tool figures score the topology's analysis of that incident;
- a **reported incident** is every incident the pipeline raised, true or not; grounding, cost,
  coherence, step success and validation figures are means over them.

Cause vocabularies: the scenarios name causes ``category:kind/value`` (``oom:deployment/
checkout``); the agents answer with playbook categories. The packaged runbooks link both (a
runbook's front matter carries the scenario category and its playbook id), so categories are
compared after mapping through them (:class:`CauseVocabulary`); nothing is keyed by hand.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from logswarm.agents.analysis import IncidentAnalysis
from logswarm.agents.catalogue import PlaybookCatalogue, Runbook, load_catalogue, load_runbooks
from logswarm.agents.contracts import (
    Claim,
    ExecutorOutput,
    PlannerOutput,
    RCAOutput,
    RetrievalOutput,
    ReviewerOutput,
    Role,
    RootCause,
    ValidationOutput,
)
from logswarm.agents.grounding import check_grounding, context_ids
from logswarm.agents.retrieval import rag_hit_rate
from logswarm.agents.topology.engine import TrajectoryStep
from logswarm.evaluation.detection import detection_metrics
from logswarm.incidents import Incident
from logswarm.pipeline.evaluate import match_ground_truth
from logswarm.report import svg
from logswarm.report.model import DetectionMetrics, GroundTruthIncident

__all__ = [
    "METRICS",
    "BundleRun",
    "CauseVocabulary",
    "MetricCell",
    "MetricRow",
    "MetricSpec",
    "ReviewMeans",
    "Scorecard",
    "TruthCause",
    "cause_matches",
    "chain_correct",
    "chain_failure",
    "format_cell",
    "grouped_bars_svg",
    "parse_root_cause",
    "render_scorecard_html",
    "render_scorecard_markdown",
    "same_entity",
    "score_topologies",
    "trajectory_coherence",
]

Unit = Literal["ratio", "seconds", "ms", "usd"]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    key: str
    label: str
    unit: Unit
    #: Which seed model lists it (1 = baseline metrics, 2 = RAG, 3 = SMART).
    model: int
    #: ``shared`` metrics come from the detection pipeline every topology runs on.
    shared: bool
    definition: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("precision", "Precision", "ratio", 1, True,
               "Window level: flagged (stream, minute) windows holding at least one injected "
               "line / all flagged windows, counts summed over every bundle."),
    MetricSpec("recall", "Recall", "ratio", 1, True,
               "Window level: windows holding injected lines that were flagged / all windows "
               "holding injected lines."),
    MetricSpec("f1", "F1", "ratio", 1, True, "Harmonic mean of the window precision and recall."),
    MetricSpec("fpr", "False-positive rate", "ratio", 1, True,
               "Window level: flagged clean windows / all clean windows."),
    MetricSpec("incident_detection", "Incidents detected", "ratio", 1, True,
               "Ground-truth incidents matched by a reported incident (time overlap and a "
               "shared entity) / ground-truth incidents."),
    MetricSpec("detection_latency", "Detection latency", "seconds", 1, True,
               "Data time from the ground-truth incident's first injected line to the end of "
               "the first flagged window of its matched incident (0 if earlier); mean over "
               "detected ground-truth incidents."),
    MetricSpec("time_to_first_response", "Time to first response", "ms", 1, False,
               "Wall-clock time of the agents from the incident being handed to the topology "
               "to the executor's plan (sum of trajectory step latencies up to the first "
               "executor step); mean over reported incidents that reached an executor step. "
               "Add the detection latency for the time from the first bad line."),
    MetricSpec("cost_per_incident", "Cost per incident", "usd", 1, False,
               "Model cost in USD (litellm's cost map) summed over every call of an "
               "incident's run, mean over reported incidents. The deterministic reasoner "
               "makes no model call: 0 is its true cost."),
    MetricSpec("sequence_anomaly_accuracy", "Sequence anomaly accuracy", "ratio", 2, True,
               "(TP + TN) / windows of DeepLog's own window verdicts (its score above its "
               "threshold, before consensus) against the window labels, over every bundle. Only "
               "with --deep, which adds DeepLog (trained on each bundle's own windows) to the "
               "detection pipeline; HDFS session figures are in docs/benchmarks/deep.md."),
    MetricSpec("rag_hit_rate", "RAG hit rate", "ratio", 2, False,
               "Detected ground-truth incidents whose top-3 retrieved documents (first "
               "retrieval round) include one of the true cause's category / detected "
               "ground-truth incidents (agents.retrieval.rag_hit_rate)."),
    MetricSpec("rca_top1", "RCA accuracy top-1", "ratio", 2, False,
               "Detected ground-truth incidents whose stated root cause has the true cause "
               "category and the true culprit (same name, or a pod of the culprit "
               "deployment) / detected ground-truth incidents."),
    MetricSpec("rca_top3", "RCA accuracy top-3", "ratio", 2, False,
               "As top-1, counting a hit in the root cause or its first two alternatives "
               "(a topology without an RCA step has no alternatives)."),
    MetricSpec("rca_category_top1", "RCA category top-1", "ratio", 2, False,
               "As top-1 on the cause category alone (culprit not required)."),
    MetricSpec("grounding", "Grounding score", "ratio", 2, False,
               "Per reported incident, grounded claims / all claims of the RCA, planner and "
               "executor outputs (agents.grounding: a claim is grounded when it cites at least "
               "one id and every id it cites exists in its context); mean over incidents."),
    MetricSpec("cluster_purity", "Cluster purity", "ratio", 2, False,
               "Reported incidents matched to ground truth, grouped by the cause category the "
               "topology named ('unknown' is one group): sum over groups of the size of the "
               "group's most common true kind / incidents grouped."),
    MetricSpec("trajectory_coherence", "Trajectory coherence", "ratio", 3, False,
               "Per reported incident, passed / applicable hand-off checks: planner diagnosis "
               "= RCA root cause (category and culprit); plan actions belong to the chosen "
               "playbook, or the plan is escalated when the planner escalates; every "
               "retrieval round after the first brings something new; validation that does "
               "not accept leads to escalation; the reviewer checks every verification query "
               "of the plan. Mean over incidents with at least one applicable check."),
    MetricSpec("evidence_validation_accuracy", "Evidence validation accuracy", "ratio", 3, False,
               "Reported incidents where the validation agent's final verdict agrees with "
               "the truth: 'accept' when the incident is real and its top-1 root cause is "
               "correct, anything else otherwise / reported incidents validated."),
    MetricSpec("rca_chain_correctness", "RCA chain correctness", "ratio", 3, False,
               "Detected ground-truth incidents whose causal chain is correct: top-1 root "
               "cause correct, every chain claim grounded, the first claim cites the culprit "
               "(its entity id or a line naming it), and no line cited later in the chain is "
               "earlier than the first claim's earliest line / detected ground-truth incidents "
               "whose analysis has an RCA step."),
    MetricSpec("step_success", "Reasoning-step success rate", "ratio", 3, False,
               "Trajectory steps that returned a contract-valid output from the configured "
               "backend (no error, not answered by the deterministic fallback) / all steps."),
    MetricSpec("tool_call_accuracy", "Tool-call accuracy", "ratio", 3, False,
               "Tool calls made for detected ground-truth incidents that succeeded, returned "
               "at least one observation and (when they name an entity) name a ground-truth "
               "entity of the incident / all such tool calls."),
    MetricSpec("human_satisfaction", "Human satisfaction", "ratio", 1, False,
               "Mean 'satisfaction' score (1-5) of the filled review sheets, shown as a score "
               "out of 5 (sheets are written by `logswarm bench topologies` under reviews/; "
               "`logswarm bench reviews DIR` aggregates them; `--reviews DIR` brings the "
               "means into the scorecard)."),
    MetricSpec("audit_satisfaction", "Human audit satisfaction", "ratio", 3, False,
               "Mean 'audit' score (1-5) of the filled review sheets: could a reviewer follow "
               "the evidence from claims to cited lines?"),
)  # fmt: skip


_SEQUENCE_NA = "no sequence detector in the detection path (run with --deep)"
#: The detector whose window verdicts the sequence anomaly accuracy counts.
SEQUENCE_DETECTOR = "deeplog"


# -- result models -----------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricCell(_Model):
    value: float | None = None
    #: How many items the figure is computed over (incidents, steps, calls...).
    n: int = 0
    reason: str | None = None
    detail: str = ""

    @classmethod
    def na(cls, reason: str) -> MetricCell:
        return cls(value=None, reason=reason)

    @classmethod
    def mean(cls, values: Sequence[float], *, empty: str, detail: str = "") -> MetricCell:
        if not values:
            return cls.na(empty)
        return cls(value=sum(values) / len(values), n=len(values), detail=detail)

    @classmethod
    def share(cls, hits: int, total: int, *, empty: str) -> MetricCell:
        if total == 0:
            return cls.na(empty)
        return cls(value=hits / total, n=total, detail=f"{hits}/{total}")


class MetricRow(_Model):
    key: str
    label: str
    unit: Unit
    model: int
    shared: bool
    definition: str
    cells: dict[str, MetricCell]


class KindRow(_Model):
    kind: str
    truth: int
    detected: int
    #: topology -> (top-1 hits, category-only top-1 hits) over detected incidents of this kind.
    rca_top1: dict[str, int]
    category_top1: dict[str, int]


class Scorecard(_Model):
    title: str = "LogSwarm topology scorecard"
    generated_at: datetime
    command: str | None = None
    backend: str
    topologies: list[str]
    seeds: list[int]
    kinds: list[str]
    bundles: int
    ground_truth_incidents: int
    reported_incidents: int
    rows: list[MetricRow]
    per_kind: list[KindRow]
    notes: list[str] = Field(default_factory=list)
    duration_seconds: float | None = None

    def row(self, key: str) -> MetricRow:
        return next(r for r in self.rows if r.key == key)


class ReviewMeans(_Model):
    """What the filled review sheets of one topology say (see :mod:`.review`)."""

    sheets: int
    satisfaction_n: int = 0
    satisfaction_mean: float | None = None
    audit_n: int = 0
    audit_mean: float | None = None


@dataclass(frozen=True, slots=True)
class BundleRun:
    """One generated bundle, what the pipeline reported, and each topology's analyses."""

    bundle: str
    seed: int
    incidents: Sequence[Incident]
    ground_truth: Sequence[GroundTruthIncident]
    detection: DetectionMetrics | None
    #: topology name -> one analysis per reported incident
    analyses: Mapping[str, Sequence[IncidentAnalysis]]


# -- causes and vocabularies -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TruthCause:
    """A scenario's machine-readable cause, ``category:kind/value``."""

    category: str
    kind: str | None
    value: str | None


def parse_root_cause(text: str) -> TruthCause:
    category, _, rest = text.partition(":")
    if not rest:
        return TruthCause(category=category.strip(), kind=None, value=None)
    kind, sep, value = rest.partition("/")
    if not sep:
        return TruthCause(category=category.strip(), kind=None, value=kind.strip() or None)
    return TruthCause(category=category.strip(), kind=kind.strip(), value=value.strip() or None)


def same_entity(predicted: str | None, truth: str | None) -> bool:
    """Whether ``predicted`` names ``truth``: the same value, or a pod of deployment ``truth``.

    Kubernetes names a deployment's pods ``<deployment>-<replicaset hash>-<pod hash>``, so a
    culprit pod of the culprit deployment is the same answer at a finer grain. The converse
    (the deployment when the truth is one pod) is not accepted.
    """
    if not predicted or not truth:
        return False
    a, b = predicted.strip().lower(), truth.strip().lower()
    return a == b or a.startswith(f"{b}-")


@dataclass(frozen=True, slots=True)
class CauseVocabulary:
    """Maps cause categories of any vocabulary to the playbook catalogue's.

    ``aliases`` come from the runbooks: a runbook with ``category: connection_pool`` and
    ``playbook: connection-pool-exhaustion`` says the scenario category ``connection_pool``
    is the playbook category of ``connection-pool-exhaustion``.
    """

    aliases: Mapping[str, str]
    known: frozenset[str]
    playbook_actions: Mapping[str, frozenset[str]]

    @classmethod
    def from_resources(
        cls, catalogue: PlaybookCatalogue, runbooks: Iterable[Runbook]
    ) -> CauseVocabulary:
        aliases: dict[str, str] = {}
        for rb in runbooks:
            if rb.category is None or rb.playbook is None:
                continue
            playbook = catalogue.get(rb.playbook)
            if playbook is not None and playbook.category != rb.category:
                aliases[rb.category] = playbook.category
        actions = {
            p.id: frozenset(a.action for step in p.steps for a in step.actions)
            for p in catalogue.playbooks
        }
        return cls(aliases=aliases, known=frozenset(catalogue.categories), playbook_actions=actions)

    @classmethod
    def packaged(cls) -> CauseVocabulary:
        return cls.from_resources(load_catalogue(), load_runbooks())

    def canonical(self, category: str | None) -> str:
        if not category:
            return "unknown"
        return self.aliases.get(category, category)


def cause_matches(
    cause: RootCause | None, truth: TruthCause, vocab: CauseVocabulary, *, culprit: bool = True
) -> bool:
    """Same category (after :meth:`CauseVocabulary.canonical`) and, with ``culprit``, entity."""
    if cause is None:
        return False
    if vocab.canonical(cause.category) != vocab.canonical(truth.category):
        return False
    if not culprit or truth.value is None:
        return True
    return same_entity(cause.entity_value, truth.value)


# -- trajectory helpers ------------------------------------------------------------------------


def _outputs(trajectory: Sequence[TrajectoryStep], role: str) -> list[dict[str, Any]]:
    return [s.output for s in trajectory if s.role == role and s.output is not None]


def _last(trajectory: Sequence[TrajectoryStep], role: str, kind: type[M]) -> M | None:
    found = _outputs(trajectory, role)
    if not found:
        return None
    try:
        return kind.model_validate(found[-1])
    except ValidationError:
        return None


def _roles(analysis: IncidentAnalysis) -> set[str]:
    return {s.role for s in analysis.trajectory}


def trajectory_coherence(
    analysis: IncidentAnalysis, vocab: CauseVocabulary
) -> tuple[int, int, list[str]]:
    """(passed, applicable, names of failed checks) of the hand-off checks in :data:`METRICS`."""
    traj = analysis.trajectory
    rca = _last(traj, Role.ROOT_CAUSE_ANALYSIS, RCAOutput)
    planner = _last(traj, Role.PLANNER, PlannerOutput)
    executor = _last(traj, Role.EXECUTOR, ExecutorOutput)
    validation = _last(traj, Role.VALIDATION, ValidationOutput)
    reviewer = _last(traj, Role.REVIEWER, ReviewerOutput)
    checks: list[tuple[str, bool]] = []
    if rca is not None and planner is not None:
        same = vocab.canonical(planner.diagnosis.category) == vocab.canonical(
            rca.root_cause.category
        ) and (planner.diagnosis.entity == rca.root_cause.entity)
        checks.append(("diagnosis_agrees_with_rca", same))
    if planner is not None and executor is not None:
        if planner.escalate:
            ok = executor.status == "escalated"
        elif planner.playbook_id is None:
            ok = not executor.steps
        else:
            allowed = vocab.playbook_actions.get(planner.playbook_id, frozenset())
            ok = all(step.action in allowed for step in executor.steps)
        checks.append(("plan_follows_playbook", ok))
    rounds = []
    for raw in _outputs(traj, Role.RETRIEVAL):
        try:
            rounds.append(RetrievalOutput.model_validate(raw))
        except ValidationError:
            continue
    seen: set[str] = set()
    for i, r in enumerate(rounds):
        items = {f"doc:{d.doc_id}" for d in r.documents} | {
            f"obs:{o.summary}" for o in r.observations
        }
        if i > 0:
            checks.append((f"retrieval_round_{i + 1}_adds", bool(items - seen)))
        seen |= items
    if validation is not None and planner is not None and validation.verdict != "accept":
        checks.append(("unaccepted_validation_escalates", planner.escalate))
    if reviewer is not None and executor is not None:
        wanted = {s.verification for s in executor.steps if s.verification}
        if wanted:
            checked = {c.query for c in reviewer.checks}
            checks.append(("reviewer_checks_plan", wanted <= checked))
    passed = sum(ok for _, ok in checks)
    return passed, len(checks), [name for name, ok in checks if not ok]


def _line_times(incident: Incident) -> dict[str, datetime]:
    return {s.id: s.timestamp for s in incident.samples if s.timestamp is not None}


def chain_correct(
    analysis: IncidentAnalysis,
    incident: Incident,
    truth: TruthCause,
    vocab: CauseVocabulary,
) -> bool:
    """The RCA chain criterion of :data:`METRICS` (the analysis must have an RCA step)."""
    return chain_failure(analysis, incident, truth, vocab) is None


def chain_failure(
    analysis: IncidentAnalysis,
    incident: Incident,
    truth: TruthCause,
    vocab: CauseVocabulary,
) -> str | None:
    """``None`` when the causal chain is correct, else the first criterion it fails."""
    if not cause_matches(analysis.root_cause, truth, vocab):
        return "root_cause_wrong"
    chain: list[Claim] = list(analysis.causal_chain)
    if not chain:
        return "no_chain"
    retrieval = _last(analysis.trajectory, Role.RETRIEVAL, RetrievalOutput)
    report = check_grounding(chain, context=context_ids(incident, retrieval))
    if report.claims_grounded != report.claims_total:
        return "claim_not_grounded"
    entities = {e.id: e.value for e in incident.entities}
    lines = {s.id: s.message for s in incident.samples}
    first = chain[0]
    names_culprit = any(
        same_entity(entities.get(i), truth.value)
        or (truth.value is not None and truth.value.lower() in lines.get(i, "").lower())
        for i in first.evidence
    )
    if truth.value is not None and not names_culprit:
        return "first_claim_misses_culprit"
    times = _line_times(incident)
    first_times = [times[i] for i in first.evidence if i in times]
    later = [times[i] for c in chain[1:] for i in c.evidence if i in times]
    if first_times and later and min(later) < min(first_times):
        return "later_claim_cites_earlier_line"
    return None


def _tool_call_accurate(arguments: Mapping[str, Any], ok: bool, observations: int,
                        truth_entities: Sequence[str]) -> bool:  # fmt: skip
    if not ok or observations == 0:
        return False
    entity = arguments.get("entity")
    if entity is None:
        return True
    return any(same_entity(str(entity), t) for t in truth_entities)


# -- scoring -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Acc:
    """Running tallies of one topology."""

    truth_detected: int = 0
    top1: int = 0
    top3: int = 0
    cat1: int = 0
    rag: list[tuple[Sequence[str | None], str]] = field(default_factory=list)
    chain_n: int = 0
    chain_ok: int = 0
    chain_failures: Counter[str] = field(default_factory=Counter)
    tools_n: int = 0
    tools_ok: int = 0
    has_tools_step: bool = False
    grounding: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    cost_unknown: int = 0
    tokens: int = 0
    ttfr: list[float] = field(default_factory=list)
    coherence: list[float] = field(default_factory=list)
    coherence_failures: Counter[str] = field(default_factory=Counter)
    steps: int = 0
    steps_ok: int = 0
    fallbacks: int = 0
    validated: int = 0
    validated_ok: int = 0
    #: (verdict was accept, the analysis was right) -> count
    validation_confusion: Counter[tuple[bool, bool]] = field(default_factory=Counter)
    has_validation_step: bool = False
    has_rca_step: bool = False
    has_retrieval_step: bool = False
    purity: list[tuple[str, str]] = field(default_factory=list)
    analysed: int = 0


def _truth_of_incidents(
    incidents: Sequence[Incident], truth: Sequence[GroundTruthIncident]
) -> dict[str, GroundTruthIncident]:
    """Reported incident id -> the earliest ground-truth incident it matches."""
    out: dict[str, GroundTruthIncident] = {}
    for inc in incidents:
        for gt in sorted(truth, key=lambda g: g.start):
            if match_ground_truth(gt, [inc]) is not None:
                out[inc.id] = gt
                break
    return out


def score_topologies(
    runs: Sequence[BundleRun],
    *,
    topologies: Sequence[str],
    backend: str,
    seeds: Sequence[int],
    vocab: CauseVocabulary | None = None,
    reviews: Mapping[str, ReviewMeans] | None = None,
    generated_at: datetime,
    command: str | None = None,
    rag_k: int = 3,
) -> Scorecard:
    """Compute every metric of :data:`METRICS` for every topology over ``runs``."""
    vocab = vocab or CauseVocabulary.packaged()
    acc = {t: _Acc() for t in topologies}
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kind_top1: dict[str, Counter[str]] = defaultdict(Counter)
    kind_cat1: dict[str, Counter[str]] = defaultdict(Counter)
    unmapped: set[str] = set()
    tp = fp = fn = tn = 0
    sequence: list[int] = [0, 0, 0]  # DeepLog's right verdicts, windows judged, normal ones
    latencies: list[float] = []
    truth_total = reported = 0
    for run in runs:
        reported += len(run.incidents)
        truth_total += len(run.ground_truth)
        if run.detection is not None:
            tp, fp = tp + run.detection.tp, fp + run.detection.fp
            fn, tn = fn + run.detection.fn, tn + run.detection.tn
            deeplog = run.detection.by_detector.get(SEQUENCE_DETECTOR)
            if deeplog is not None:
                sequence[0] += deeplog.tp + deeplog.tn
                sequence[1] += deeplog.tp + deeplog.fp + deeplog.fn + deeplog.tn
                sequence[2] += deeplog.fp + deeplog.tn
        by_id = {i.id: i for i in run.incidents}
        inc_truth = _truth_of_incidents(run.incidents, run.ground_truth)
        primary: dict[str, Incident | None] = {
            gt.id: match_ground_truth(gt, run.incidents) for gt in run.ground_truth
        }
        for gt in run.ground_truth:
            kinds[gt.kind][0] += 1
            inc = primary[gt.id]
            if inc is None:
                continue
            kinds[gt.kind][1] += 1
            if inc.detected_at is not None:
                latencies.append(max((inc.detected_at - gt.start).total_seconds(), 0.0))
            cat = parse_root_cause(gt.root_cause).category
            if vocab.canonical(cat) not in vocab.known:
                unmapped.add(cat)
        for topo in topologies:
            a_by_id = {a.incident_id: a for a in run.analyses.get(topo, ())}
            tally = acc[topo]
            for gt in run.ground_truth:
                inc = primary[gt.id]
                analysis = a_by_id.get(inc.id) if inc is not None else None
                if inc is None or analysis is None:
                    continue
                _score_truth(tally, analysis, inc, gt, vocab, rag_k=rag_k)
                cause = parse_root_cause(gt.root_cause)
                if cause_matches(analysis.root_cause, cause, vocab):
                    kind_top1[gt.kind][topo] += 1
                if cause_matches(analysis.root_cause, cause, vocab, culprit=False):
                    kind_cat1[gt.kind][topo] += 1
            for analysis in a_by_id.values():
                incident = by_id.get(analysis.incident_id)
                if incident is not None:
                    _score_reported(tally, analysis, incident, inc_truth, vocab)
    rows = _rows(
        acc,
        topologies=topologies,
        detection=(tp, fp, fn, tn),
        sequence=(sequence[0], sequence[1], sequence[2]),
        latencies=latencies,
        truth_total=truth_total,
        detected=sum(v[1] for v in kinds.values()),
        reviews=reviews or {},
    )
    notes: list[str] = []
    if unmapped:
        notes.append(
            "Ground-truth cause categories with no playbook category (neither directly nor "
            f"through a runbook): {', '.join(sorted(unmapped))}. No topology can name them, "
            "so they count as RCA misses; a runbook linking them to a playbook fixes the "
            "vocabulary."
        )
    per_kind = [
        KindRow(
            kind=k,
            truth=v[0],
            detected=v[1],
            rca_top1={t: kind_top1[k][t] for t in topologies},
            category_top1={t: kind_cat1[k][t] for t in topologies},
        )
        for k, v in sorted(kinds.items())
    ]
    return Scorecard(
        generated_at=generated_at,
        command=command,
        backend=backend,
        topologies=list(topologies),
        seeds=list(seeds),
        kinds=sorted(kinds),
        bundles=len(runs),
        ground_truth_incidents=truth_total,
        reported_incidents=reported,
        rows=rows,
        per_kind=per_kind,
        notes=notes,
    )


def _score_truth(
    tally: _Acc,
    analysis: IncidentAnalysis,
    incident: Incident,
    gt: GroundTruthIncident,
    vocab: CauseVocabulary,
    *,
    rag_k: int,
) -> None:
    cause = parse_root_cause(gt.root_cause)
    roles = _roles(analysis)
    tally.truth_detected += 1
    tally.top1 += cause_matches(analysis.root_cause, cause, vocab)
    tally.cat1 += cause_matches(analysis.root_cause, cause, vocab, culprit=False)
    candidates = [c for c in (analysis.root_cause, *analysis.alternatives) if c is not None][:3]
    tally.top3 += any(cause_matches(c, cause, vocab) for c in candidates)
    if Role.RETRIEVAL in roles:
        tally.has_retrieval_step = True
        first = next(s for s in analysis.trajectory if s.role == Role.RETRIEVAL)
        docs = (first.output or {}).get("documents", [])
        retrieved = [vocab.canonical(d.get("category")) for d in docs]
        tally.rag.append((retrieved, vocab.canonical(cause.category)))
    if Role.ROOT_CAUSE_ANALYSIS in roles:
        tally.has_rca_step = True
        tally.chain_n += 1
        failure = chain_failure(analysis, incident, cause, vocab)
        tally.chain_ok += failure is None
        if failure is not None:
            tally.chain_failures[failure] += 1
    truth_entities = [*gt.entities, *([cause.value] if cause.value else [])]
    for step in analysis.trajectory:
        for call in step.tool_calls:
            tally.has_tools_step = True
            tally.tools_n += 1
            tally.tools_ok += _tool_call_accurate(
                call.arguments, call.ok, len(call.observations), truth_entities
            )


def _score_reported(
    tally: _Acc,
    analysis: IncidentAnalysis,
    incident: Incident,
    inc_truth: Mapping[str, GroundTruthIncident],
    vocab: CauseVocabulary,
) -> None:
    tally.analysed += 1
    tally.grounding.append(analysis.grounding.score)
    tally.cost.append(analysis.usage.cost_usd)
    tally.tokens += analysis.usage.total_tokens
    tally.cost_unknown += sum(
        1 for s in analysis.trajectory for c in s.calls if not c.cost_known and not c.cached
    )
    elapsed = 0.0
    for step in analysis.trajectory:
        elapsed += step.latency_ms
        if step.role == Role.EXECUTOR and step.error is None:
            tally.ttfr.append(elapsed)
            break
    passed, applicable, failed = trajectory_coherence(analysis, vocab)
    if applicable:
        tally.coherence.append(passed / applicable)
        tally.coherence_failures.update(failed)
    for step in analysis.trajectory:
        tally.steps += 1
        fallback = "fallback" in step.backend
        tally.fallbacks += fallback
        tally.steps_ok += step.error is None and not fallback
    gt = inc_truth.get(analysis.incident_id)
    if analysis.validation is not None or Role.VALIDATION in _roles(analysis):
        tally.has_validation_step = True
        if analysis.validation is not None:
            correct = gt is not None and cause_matches(
                analysis.root_cause, parse_root_cause(gt.root_cause), vocab
            )
            accepted = analysis.validation.verdict == "accept"
            tally.validated += 1
            tally.validated_ok += accepted == correct
            tally.validation_confusion[(accepted, correct)] += 1
    if gt is not None:
        named = vocab.canonical(analysis.root_cause.category if analysis.root_cause else None)
        tally.purity.append((named, gt.kind))


def _purity(pairs: Sequence[tuple[str, str]]) -> MetricCell:
    if not pairs:
        return MetricCell.na("no reported incident matched ground truth")
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for named, kind in pairs:
        groups[named][kind] += 1
    top = sum(c.most_common(1)[0][1] for c in groups.values())
    return MetricCell(
        value=top / len(pairs), n=len(pairs), detail=f"{len(groups)} groups, {top}/{len(pairs)}"
    )


def _rows(
    acc: Mapping[str, _Acc],
    *,
    topologies: Sequence[str],
    detection: tuple[int, int, int, int],
    sequence: tuple[int, int, int] = (0, 0, 0),
    latencies: Sequence[float],
    truth_total: int,
    detected: int,
    reviews: Mapping[str, ReviewMeans],
) -> list[MetricRow]:
    tp, fp, fn, tn = detection
    shared: dict[str, MetricCell] = {}
    if tp + fp + fn + tn:
        m = detection_metrics(
            [True] * (tp + fn) + [False] * (fp + tn),
            [True] * tp + [False] * fn + [True] * fp + [False] * tn,
            unit="window",
        )
        windows = tp + fp + fn + tn
        shared["precision"] = MetricCell(value=m.precision, n=tp + fp, detail=f"{tp}/{tp + fp}")
        shared["recall"] = MetricCell(value=m.recall, n=tp + fn, detail=f"{tp}/{tp + fn}")
        shared["f1"] = MetricCell(value=m.f1, n=windows)
        shared["fpr"] = MetricCell(value=m.false_positive_rate, n=fp + tn, detail=f"{fp}/{fp + tn}")
    else:
        for key in ("precision", "recall", "f1", "fpr"):
            shared[key] = MetricCell.na("no window labels")
    shared["incident_detection"] = MetricCell.share(detected, truth_total, empty="no ground truth")
    shared["detection_latency"] = MetricCell.mean(
        list(latencies), empty="no ground-truth incident detected"
    )
    right, judged, normal = sequence
    shared["sequence_anomaly_accuracy"] = (
        MetricCell(
            value=right / judged,
            n=judged,
            # Anomalous windows are rare: flagging nothing already scores the normal share.
            detail=f"{right}/{judged} windows; flagging nothing scores {normal / judged:.3f}",
        )
        if judged
        else MetricCell.na(_SEQUENCE_NA)
    )

    rows: list[MetricRow] = []
    for spec in METRICS:
        cells: dict[str, MetricCell] = {}
        for topo in topologies:
            cells[topo] = (
                shared[spec.key]
                if spec.shared
                else _cell(spec.key, acc[topo], reviews.get(topo), topo)
            )
        rows.append(
            MetricRow(
                key=spec.key,
                label=spec.label,
                unit=spec.unit,
                model=spec.model,
                shared=spec.shared,
                definition=spec.definition,
                cells=cells,
            )
        )
    return rows


def _cell(key: str, t: _Acc, review: ReviewMeans | None, topo: str) -> MetricCell:
    no_truth = "no detected ground-truth incident"
    if key == "time_to_first_response":
        return MetricCell.mean(t.ttfr, empty="no incident reached an executor step")
    if key == "cost_per_incident":
        cell = MetricCell.mean(t.cost, empty="no incident analysed")
        tokens = t.tokens / t.analysed if t.analysed else 0.0
        extra = f"{tokens:,.0f} tokens/incident"
        if t.cost_unknown:
            extra += f"; {t.cost_unknown} calls with no known price (counted as 0)"
        return cell.model_copy(update={"detail": extra})
    if key == "rag_hit_rate":
        if not t.has_retrieval_step:
            return MetricCell.na(f"{topo} has no retrieval step")
        hits = round(rag_hit_rate(t.rag, k=3) * len(t.rag))
        return MetricCell.share(hits, len(t.rag), empty=no_truth)
    if key == "rca_top1":
        return MetricCell.share(t.top1, t.truth_detected, empty=no_truth)
    if key == "rca_top3":
        return MetricCell.share(t.top3, t.truth_detected, empty=no_truth)
    if key == "rca_category_top1":
        return MetricCell.share(t.cat1, t.truth_detected, empty=no_truth)
    if key == "grounding":
        return MetricCell.mean(t.grounding, empty="no incident analysed")
    if key == "cluster_purity":
        return _purity(t.purity)
    if key == "trajectory_coherence":
        failures = ", ".join(f"{k} x{v}" for k, v in t.coherence_failures.most_common(3))
        return MetricCell.mean(
            t.coherence,
            empty="no applicable hand-off check",
            detail=f"failed: {failures}" if failures else "",
        )
    if key == "evidence_validation_accuracy":
        if not t.has_validation_step:
            return MetricCell.na(f"{topo} has no validation step")
        cell = MetricCell.share(t.validated_ok, t.validated, empty="no incident validated")
        if cell.value is not None:
            m = t.validation_confusion
            cell = cell.model_copy(
                update={
                    "detail": f"{cell.detail}; accepted {m[True, True]} right + "
                    f"{m[True, False]} wrong, held back {m[False, True]} right + "
                    f"{m[False, False]} wrong"
                }
            )
        return cell
    if key == "rca_chain_correctness":
        if not t.has_rca_step:
            return MetricCell.na(f"{topo} has no RCA step")
        cell = MetricCell.share(t.chain_ok, t.chain_n, empty=no_truth)
        failures = ", ".join(f"{k} x{v}" for k, v in t.chain_failures.most_common())
        if failures and cell.value is not None:
            cell = cell.model_copy(update={"detail": f"{cell.detail}; failed: {failures}"})
        return cell
    if key == "step_success":
        cell = MetricCell.share(t.steps_ok, t.steps, empty="no step ran")
        if t.fallbacks:
            cell = cell.model_copy(update={"detail": f"{cell.detail}; {t.fallbacks} fallbacks"})
        return cell
    if key == "tool_call_accuracy":
        if not t.has_tools_step:
            return MetricCell.na(f"{topo} made no tool call")
        return MetricCell.share(t.tools_ok, t.tools_n, empty="no tool call")
    if key in ("human_satisfaction", "audit_satisfaction"):
        if review is None:
            return MetricCell.na("no review sheets read")
        n, mean = (
            (review.satisfaction_n, review.satisfaction_mean)
            if key == "human_satisfaction"
            else (review.audit_n, review.audit_mean)
        )
        if not n or mean is None:
            return MetricCell.na(f"none of {review.sheets} sheets has this score filled in")
        return MetricCell(value=mean, n=n, detail=f"{mean:.2f}/5 over {n} sheets")
    raise KeyError(key)


# -- presentation helpers (used by the Markdown / HTML templates) -------------------------------


def format_cell(cell: MetricCell, unit: Unit, key: str = "") -> str:
    """A cell as text: the value in its unit, or ``n/a (reason)``."""
    if cell.value is None:
        return f"n/a ({cell.reason})" if cell.reason else "n/a"
    v = cell.value
    if key in ("human_satisfaction", "audit_satisfaction"):
        return f"{v:.2f} / 5"
    if unit == "ratio":
        return f"{v:.3f}"
    if unit == "seconds":
        return f"{v:.1f} s"
    if unit == "ms":
        return f"{v:.1f} ms"
    return f"${v:.4f}"


_PALETTE = ("#4f46e5", "#0d9488", "#ea580c", "#be185d", "#65a30d", "#0369a1")
_FONT = svg._FONT


def grouped_bars_svg(
    groups: Sequence[tuple[str, Mapping[str, float | None]]],
    *,
    series: Sequence[str],
    title: str,
    width: int = 960,
    maximum: float = 1.0,
) -> str:
    """Horizontal grouped bars on ``[0, maximum]``: one group per label, one bar per series.

    ``None`` values draw no bar and print ``n/a``. Labels are escaped here, so the result can
    be marked safe in a template.
    """
    bar, gap, group_gap, label_w, legend_h = 11, 2, 10, 230, 22
    group_h = len(series) * (bar + gap) + group_gap
    height = legend_h + len(groups) * group_h + 10
    plot_w = width - label_w - 70
    e = svg._e
    parts = [svg._open(width, height, title)]
    for i, name in enumerate(series):
        x = label_w + i * 120
        colour = _PALETTE[i % len(_PALETTE)]
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="14" {_FONT} fill="#111827">{e(name)}</text>'
        )
    for g, (label, values) in enumerate(groups):
        y0 = legend_h + g * group_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y0 + group_h / 2:.1f}" text-anchor="end" {_FONT} '
            f'fill="#111827">{e(label)}</text>'
        )
        for i, name in enumerate(series):
            y = y0 + i * (bar + gap)
            value = values.get(name)
            if value is None:
                parts.append(
                    f'<text x="{label_w + 2}" y="{y + bar - 2}" {_FONT} fill="#9ca3af">n/a</text>'
                )
                continue
            w = max(1.0, min(value, maximum) / maximum * plot_w) if maximum > 0 else 1.0
            colour = _PALETTE[i % len(_PALETTE)]
            parts.append(
                f'<g><title>{e(name)}: {value:.3f}</title><rect x="{label_w}" y="{y}" '
                f'width="{w:.1f}" height="{bar}" fill="{colour}" rx="1"/>'
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar - 2}" {_FONT} fill="#374151">'
                f"{value:.2f}</text></g>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _detail(row: MetricRow, topo: str) -> str:
    c = row.cells[topo]
    if c.value is None:
        return c.reason or ""
    parts = [p for p in (c.detail, f"n={c.n}" if c.n else "") if p]
    return "; ".join(parts)


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("logswarm.report", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("md.j2",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["cell"] = lambda row, topo: format_cell(row.cells[topo], row.unit, row.key)
    env.globals["detail"] = _detail
    env.filters["md"] = lambda text: re.sub(
        r"([\\`*_{}\[\]<>|])", r"\\\1", " ".join(str(text).split())
    )
    return env


def render_scorecard_markdown(card: Scorecard) -> str:
    """The scorecard as Markdown: the table, counts, per-kind RCA, notes and definitions."""
    text: str = _environment().get_template("scorecard.md.j2").render(s=card)
    return text


def render_scorecard_html(card: Scorecard) -> str:
    """One self-contained HTML file (inline CSS and SVG, no scripts), plots included."""
    from importlib import resources

    from markupsafe import Markup

    css = (
        resources.files("logswarm.report")
        .joinpath("templates/report.css")
        .read_text(encoding="utf-8")
    )
    ratio_rows = [
        r
        for r in card.rows
        if r.unit == "ratio" and not r.shared and not r.key.endswith("satisfaction")
    ]
    groups = [
        (r.label, {t: r.cells[t].value for t in card.topologies})
        for r in ratio_rows
        if any(c.value is not None for c in r.cells.values())
    ]
    ratios_svg = grouped_bars_svg(
        groups, series=card.topologies, title="Ratio metrics of the topologies"
    )
    kinds = [
        (k.kind, {t: (k.rca_top1[t] / k.detected if k.detected else None) for t in card.topologies})
        for k in card.per_kind
    ]
    kinds_svg = grouped_bars_svg(kinds, series=card.topologies, title="RCA top-1 by kind")
    html: str = (
        _environment()
        .get_template("scorecard.html.j2")
        .render(
            s=card,
            css=Markup(css),  # noqa: S704 - our own static stylesheet
            ratios_svg=Markup(ratios_svg),  # noqa: S704 - labels escaped in grouped_bars_svg
            kinds_svg=Markup(kinds_svg),  # noqa: S704
        )
    )
    return html
