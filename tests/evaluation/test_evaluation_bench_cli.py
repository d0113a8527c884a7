"""``logswarm bench topologies`` and ``bench reviews`` end to end, on two scenario kinds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logswarm.cli.bench import plan_bundles
from logswarm.cli.main import main
from logswarm.evaluation.topologies import METRICS, Scorecard
from tests.support.llm_server import ScriptedOpenAIServer

KINDS = ("oom_killed", "port_scan")


@pytest.fixture(scope="module")
def bench_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    code = main(
        ["bench", "topologies", "--out", str(out), "--seeds", "1", "--kinds", ",".join(KINDS), "-q"]
    )
    assert code == 0
    return out


def test_plan_covers_every_kind_once_per_seed() -> None:
    plan = plan_bundles(["a", "b", "c", "d", "e"], seeds=[1, 2], per_bundle=2)
    assert [(seed, index, len(chunk)) for seed, index, chunk in plan] == [
        (1, 0, 2), (1, 1, 2), (1, 2, 1), (2, 0, 2), (2, 1, 2), (2, 2, 1)
    ]  # fmt: skip
    for seed in (1, 2):
        kinds = sorted(k for s, _, chunk in plan if s == seed for k in chunk)
        assert kinds == ["a", "b", "c", "d", "e"]


def test_scorecard_files_and_figures(bench_out: Path) -> None:
    card = Scorecard.model_validate_json((bench_out / "scorecard.json").read_text("utf-8"))
    assert card.topologies == ["linear", "rag", "smart"]
    assert card.kinds == sorted(KINDS)
    assert card.ground_truth_incidents == 2
    assert card.backend == "deterministic"
    assert card.command is not None
    assert card.command.startswith("logswarm bench topologies --out ")
    assert [r.key for r in card.rows] == [m.key for m in METRICS]
    # Real figures where a topology has the step, n/a with the reason where it has not.
    assert card.row("rag_hit_rate").cells["linear"].reason == "linear has no retrieval step"
    assert card.row("evidence_validation_accuracy").cells["smart"].value is not None
    assert card.row("cost_per_incident").cells["smart"].value == 0.0
    for topology in card.topologies:
        assert card.row("step_success").cells[topology].value == 1.0
        grounding = card.row("grounding").cells[topology]
        assert grounding.value is not None
        assert grounding.n == card.reported_incidents
    md = (bench_out / "scorecard.md").read_text("utf-8")
    html = (bench_out / "scorecard.html").read_text("utf-8")
    assert card.command in md
    assert "| RCA accuracy top-1 | 2 |" in md
    assert "<svg" in html
    assert "RCA accuracy top-1" in html
    assert not (bench_out / "bundles").exists()  # removed unless --keep-bundles
    lines = (bench_out / "analyses.jsonl").read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 3 * card.reported_incidents


def test_review_sheets_feed_back_into_the_scorecard(
    bench_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheets = sorted((bench_out / "reviews" / "smart").glob("*.md"))
    assert sheets
    reviews = tmp_path / "reviews"
    target = reviews / "smart" / sheets[0].name
    target.parent.mkdir(parents=True)
    text = sheets[0].read_text("utf-8")
    target.write_text(
        text.replace("- satisfaction: \n", "- satisfaction: 4\n").replace(
            "- audit: \n", "- audit: 2\n"
        ),
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["bench", "reviews", str(reviews), "--json"]) == 0
    agg = json.loads(capsys.readouterr().out)
    assert agg["by_topology"]["smart"]["satisfaction_mean"] == 4.0
    assert agg["by_topology"]["smart"]["audit_mean"] == 2.0
    out = tmp_path / "with-reviews"
    code = main(
        ["bench", "topologies", "--out", str(out), "--seeds", "1", "--kinds", "port_scan",
         "--topologies", "smart", "--reviews", str(reviews), "-q"]
    )  # fmt: skip
    assert code == 0
    card = Scorecard.model_validate_json((out / "scorecard.json").read_text("utf-8"))
    assert card.row("human_satisfaction").cells["smart"].value == 4.0
    assert card.row("audit_satisfaction").cells["smart"].value == 2.0


def test_bad_arguments_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "topologies", "--out", str(tmp_path), "--kinds", "no_such_kind"]) == 2
    assert "unknown kinds" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="needs --model"):
        main(["bench", "topologies", "--out", str(tmp_path), "--backend", "litellm"])


def test_litellm_backend_over_a_real_socket_counts_fallbacks_as_failed_steps(
    tmp_path: Path,
) -> None:
    """A model that never answers to contract: every model step falls back to the reasoner."""
    with ScriptedOpenAIServer(lambda request: "{}") as server:
        code = main(
            ["bench", "topologies", "--out", str(tmp_path), "--seeds", "1", "--kinds",
             "port_scan", "--topologies", "linear", "--backend", "litellm", "--model",
             "openai/scripted", "--api-base", server.api_base, "--timeout", "20",
             "--max-repairs", "0", "-q"]
        )  # fmt: skip
        assert code == 0
        assert server.requests  # the model was really asked
    card = Scorecard.model_validate_json((tmp_path / "scorecard.json").read_text("utf-8"))
    assert card.backend == "openai/scripted"
    assert "--backend litellm --model openai/scripted" in (card.command or "")
    steps = card.row("step_success").cells["linear"]
    assert steps.value == 0.0
    assert "fallbacks" in steps.detail
    cost = card.row("cost_per_incident").cells["linear"]
    assert cost.detail.split()[0] != "0"  # tokens were counted
