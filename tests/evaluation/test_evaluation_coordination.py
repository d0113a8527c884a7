"""The Models 4-6 benchmark plumbing on real runs: two kinds, generated and detected.

Scenarios go through the CLI's path (:func:`logswarm.evaluation.coordination.build_case`);
the checks are on what the suite-level figures are computed from, not on speed.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from logswarm.agents.catalogue import load_catalogue
from logswarm.agents.contracts import Role
from logswarm.agents.coordination import split_by_region
from logswarm.agents.topology import metrics as tm
from logswarm.evaluation import coordination as ec
from logswarm.evaluation.topologies import CauseVocabulary

KINDS = ("dns_failure", "credential_compromise")


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[ec.ScenarioCase]:
    work: Path = tmp_path_factory.mktemp("coordination-eval")
    built, skipped = ec.build_suite(KINDS, [1], work)
    assert skipped == []
    # a second seed of one kind, so a same-cause two-region case can be built
    built.append(ec.build_case("credential_compromise", 2, work))
    return built


@pytest.fixture(scope="module")
def runs(cases: list[ec.ScenarioCase]) -> dict[str, list[ec.CaseRun]]:
    return {t: ec.run_sequence(ec.Harness(), t, cases) for t in ("auction", "federated", "debate")}


def test_common_metrics_count_every_run(runs: dict[str, list[ec.CaseRun]]) -> None:
    for topology, rs in runs.items():
        cells = ec.common_metrics(rs)
        top1 = cells["rca_category_top1"]
        assert top1.n == 3, topology
        assert top1.value is not None
        assert 0.0 <= top1.value <= 1.0
        assert cells["run_errors"].value == 0.0
        throughput = cells["throughput"].value
        assert throughput is not None
        assert throughput > 0
        # throughput is runs over the summed wall time when no total is given
        assert throughput == pytest.approx(3 / sum(r.wall_s for r in rs))


def test_proposed_plan_is_the_executor_output(runs: dict[str, list[ec.CaseRun]]) -> None:
    for run in runs["debate"]:
        plan = ec.proposed_plan(run.analysis.trajectory)
        # the gate can only remove steps from what the executor proposed
        assert {s.order for s in run.analysis.plan} <= {s.order for s in plan}


def test_auction_fairness_efficiency_and_progression(runs: dict[str, list[ec.CaseRun]]) -> None:
    cells = ec.auction_metrics(runs["auction"])
    fairness = cells["jain_fairness"].value
    assert fairness is not None
    assert 0.0 < fairness <= 1.0
    assert cells["jain_fairness"].n == 3  # one award per auction
    assert cells["bidding_efficiency"].value is not None
    points = ec.reputation_progression(runs["auction"])
    assert [p.index for p in points] == [1, 2, 3]
    first = points[0]
    assert first.winner is not None
    assert first.reward is not None
    # feedback moved the winner's reputation off neutral; the others are untouched
    assert first.reputation[first.winner] != 1.0
    assert all(v == 1.0 for r, v in first.reputation.items() if r != first.winner)
    assert cells["awards_by_ledger"].n == 3
    rewarded = [c.n for c in (cells["reward_right"], cells["reward_wrong"]) if c.value is not None]
    assert sum(rewarded) == 3  # every run's feedback reward, split by the outcome


def _with_award(run: ec.CaseRun, update: Callable[[dict[str, Any]], None]) -> ec.CaseRun:
    """``run`` with its award step's recorded output edited by ``update``."""
    steps = []
    for step in run.analysis.trajectory:
        out = step.output
        if step.role == Role.COORDINATOR and out is not None and out.get("phase") == "award":
            out = copy.deepcopy(out)
            update(out)
        steps.append(step.model_copy(update={"output": out}))
    analysis = run.analysis.model_copy(update={"trajectory": steps})
    return ec.CaseRun(run.case, analysis, run.wall_s)


def test_awards_by_ledger_counts_awards_the_bids_alone_would_not_give(
    runs: dict[str, list[ec.CaseRun]],
) -> None:
    run = runs["auction"][0]  # a fresh ledger: the most confident bid wins
    assert ec.auction_metrics([run])["awards_by_ledger"].value == 0.0

    def hand_to_runner_up(out: dict[str, Any]) -> None:
        award = out["award"]
        award["winner"] = next(
            s["specialist"] for s in award["ranking"] if s["specialist"] != award["winner"]
        )

    moved = ec.auction_metrics([_with_award(run, hand_to_runner_up)])["awards_by_ledger"]
    assert moved.value == 1.0
    assert moved.n == 1
    # the detail says whether the overridden bidder was the specialist the truth calls for
    vocab, catalogue = CauseVocabulary.packaged(), load_catalogue()
    domain = ec.domain_of(run.case.category, vocab=vocab, catalogue=catalogue)
    expected = tm.specialist_for_domain(domain) if domain else None
    first_winner = ec.reputation_progression([run])[0].winner
    passed = int(expected is not None and first_winner == expected)
    assert f"passed over the right one {passed}" in moved.detail


def test_domain_of_follows_the_catalogue() -> None:
    vocab, catalogue = CauseVocabulary.packaged(), load_catalogue()
    assert ec.domain_of("dns_failure", vocab=vocab, catalogue=catalogue) == "network"
    assert ec.domain_of("no-such-category", vocab=vocab, catalogue=catalogue) is None


def test_relocated_incidents_carry_their_region(cases: list[ec.ScenarioCase]) -> None:
    cred = next(c for c in cases if c.kind == "credential_compromise")
    moved = ec.relocate_incident(cred.incident, "us-east-1", 1000)
    assert list(split_by_region(moved)) == ["us-east-1"]
    assert {s.id for s in moved.samples}.isdisjoint({s.id for s in cred.incident.samples})
    merged = ec.merge_incidents([ec.relocate_incident(cred.incident, "eu-west-1", 0), moved])
    assert sorted(split_by_region(merged)) == ["eu-west-1", "us-east-1"]


def test_federated_metrics_on_region_cases(
    cases: list[ec.ScenarioCase], runs: dict[str, list[ec.CaseRun]]
) -> None:
    region_cases = ec.build_region_cases(cases)
    layouts = {c.name: c.layout for c in region_cases}
    assert layouts["credential_compromise/same-2"] == "same-2"
    assert "dns_failure/same-2" not in layouts  # one seed: nothing to place in a second region
    assert sum(1 for v in layouts.values() if v == "mixed") == 2
    region_runs = ec.run_region_cases(ec.Harness(), region_cases)
    cells = ec.federated_metrics(runs["federated"], region_runs)
    assert cells["privacy_compliance"].value == 1.0
    ratio = cells["bandwidth_ratio"].value
    assert ratio is not None
    assert ratio > 0.0
    assert cells["correlation_all"].n == len(region_cases)
    assert cells["local_rca"].n >= len(region_cases)
    # the figure reads the synthesizer: a wrong truth label turns a hit into a miss
    same = next(r for r in region_runs if r.case.layout == "same-2")
    assert tm.correlation_accuracy([(same.analysis.trajectory, same.case.scope)]) == 1.0
    assert tm.correlation_accuracy([(same.analysis.trajectory, "regional")]) == 0.0
    assert cells["coordination_ms"].value is not None
    # against shipping the bundles' log files, the insights are a far smaller share
    assert all(c.log_bytes > 0 for c in cases)
    vs_logs = cells["bandwidth_vs_logs"].value
    assert vs_logs is not None
    assert 0.0 < vs_logs < ratio


def test_debate_safety_and_override(runs: dict[str, list[ec.CaseRun]]) -> None:
    cells = ec.debate_metrics(runs["debate"])
    assert cells["safety_violations"].value == 0.0
    override = cells["human_override"].value
    assert override is not None
    assert 0.0 <= override <= 1.0
    agreement = cells["referee_agreement"].value
    assert agreement is not None
    assert 0.0 < agreement <= 1.0


def test_memory_in_sequence_stores_and_retrieves(cases: list[ec.ScenarioCase]) -> None:
    on = ec.memory_experiment(cases, topology="rag", memory=True, passes=2)
    off = ec.memory_experiment(cases, topology="rag", memory=False, passes=2)
    assert [len(p.runs) for p in on] == [3, 3]
    assert off[0].retrieval == []
    # cases: dns_failure s1, credential_compromise s1, credential_compromise s2.
    # Pass 1: dns meets an empty memory; credential s2 meets credential s1's entry.
    assert on[0].retrieval[0] == (False, False)
    assert on[0].retrieval[2] == (True, True)
    # Pass 2: memory holds every case's own pass-1 entry; that is not retrieval, so dns
    # (no other dns incident remembered) is not counted, the two credential cases are.
    assert [held for held, _ in on[1].retrieval] == [False, True, True]
    cells = ec.memory_metrics(off, on)
    assert cells["retrieval_pass2"].n == 2
    assert "accuracy_on_pass2" in cells
    curve = ec.improvement_curve(on)
    assert [label for label, _ in curve] == [
        "pass 1, seed 1",
        "pass 1, seed 2",
        "pass 2, seed 1",
        "pass 2, seed 2",
    ]
    assert [cell.n for _, cell in curve] == [2, 1, 2, 1]
    per_pass = (curve[0][1], curve[1][1])
    assert sum(round((c.value or 0) * c.n) for c in per_pass) == round(
        (cells["accuracy_on_pass1"].value or 0) * 3
    )
    # what was stored reaches the Retrieval agent of the next pass
    assert any(
        s.role == Role.RETRIEVAL and any("incident:" in d for d in r.analysis.retrieved)
        for r in on[1].runs
        for s in r.analysis.trajectory
    )


def _missed(run: ec.CaseRun) -> ec.CaseRun:
    """``run`` scored against a cause category nobody names: a miss."""
    truth = run.case.truth.model_copy(update={"root_cause": "no-such-category:pod/x"})
    return ec.CaseRun(dataclasses.replace(run.case, truth=truth), run.analysis, run.wall_s)


def test_error_recurrence_follows_a_kind_to_its_next_seed(
    runs: dict[str, list[ec.CaseRun]],
) -> None:
    dns, cred1, cred2 = runs["auction"]
    # a credential miss at seed 1 repeated at seed 2 (a lone dns miss has no recurrence)
    repeated = ec.MemoryPass(
        index=1, memory=False, runs=[_missed(dns), _missed(cred1), _missed(cred2)]
    )
    fixed = ec.MemoryPass(index=1, memory=True, runs=[_missed(dns), _missed(cred1), cred2])
    cells = ec.memory_metrics([repeated], [fixed])
    assert cells["error_recur_off"].value == 1.0
    assert cells["error_recur_off"].n == 1
    hit = ec.category_hit(cred2, CauseVocabulary.packaged())
    assert cells["error_recur_on"].value == (0.0 if hit else 1.0)
    assert cells["error_recur_reduction"].value == (1.0 if hit else 0.0)
    # one pass each: no second pass to repeat in
    assert cells["error_repeat_reduction"].value is None


def test_scalability_curve_runs_the_same_workload_at_each_level(
    cases: list[ec.ScenarioCase],
) -> None:
    points = ec.scalability_curve(cases, levels=(1, 2), repeats=1)
    assert [p.level for p in points] == [1, 2]
    for p in points:
        # every case at every level: levels differ in concurrency only, not in the mix
        assert p.incidents == len(cases)
        assert p.throughput > 0
        assert 0 < p.latency_mean_ms <= p.latency_p95_ms + 1e-9
        assert p.cpu_ms_per_incident > 0
        assert p.bidding_efficiency is not None
    # the workload is cycled up to the widest level
    (wide,) = ec.scalability_curve(cases, levels=(5,), repeats=1)
    assert wide.incidents == 5
