"""Review sheets: written from an analysis, filled by a person, read back into means."""

from __future__ import annotations

from pathlib import Path

from logswarm.agents.contracts import RCAOutput, Role
from logswarm.evaluation.review import (
    aggregate_reviews,
    parse_review_sheet,
    render_review_sheet,
    write_review_sheets,
)
from tests.evaluation.builders import (
    cause,
    good_rag_outputs,
    oom_incident,
    oom_truth,
    planner,
    run_scripted,
)


def _fill(text: str, **scores: str) -> str:
    for name, value in scores.items():
        text = text.replace(f"- {name}: \n", f"- {name}: {value}\n", 1)
    return text


def test_sheet_shows_claim_evidence_plan_and_blank_score_fields() -> None:
    incident = oom_incident()
    analysis = run_scripted("rag", incident, good_rag_outputs(incident))
    text = render_review_sheet(
        topology="rag", bundle="s1-b0", incident=incident, analysis=analysis, truth=oom_truth()
    )
    assert "**oom** in `checkout-7c9d5b-x2x9q`" in text
    assert "OOMKilled checkout-7c9d5b-x2x9q exit code 137" in text  # L1 resolved to its line
    assert "`patch_resources` on deployment `checkout`" in text
    assert "- satisfaction: \n" in text
    assert "- audit: \n" in text
    assert text.index("## Scores") < text.index("## Ground truth (read after scoring)")
    blank = parse_review_sheet(text)
    assert (blank.topology, blank.incident_id, blank.bundle) == ("rag", "inc-1", "s1-b0")
    assert blank.scores == {}
    assert blank.errors == []


def test_an_invented_citation_is_marked_on_the_sheet() -> None:
    incident = oom_incident()
    outputs = good_rag_outputs(incident)
    outputs[Role.PLANNER] = planner(cause("oom", "E1", "checkout-7c9d5b-x2x9q", ["L1", "E1"]))
    rca = outputs[Role.ROOT_CAUSE_ANALYSIS]
    assert isinstance(rca, RCAOutput)
    outputs[Role.ROOT_CAUSE_ANALYSIS] = rca.model_copy(
        update={"root_cause": cause("oom", "E1", "checkout-7c9d5b-x2x9q", ["L77"])}
    )
    analysis = run_scripted("rag", incident, outputs)
    text = render_review_sheet(
        topology="rag", bundle="b", incident=incident, analysis=analysis, truth=None
    )
    assert "**L77**: NOT IN THE CONTEXT, an invented id" in text
    assert "Ground truth" not in text


def test_filled_sheets_round_trip_into_means_per_topology(tmp_path: Path) -> None:
    incident = oom_incident()
    for topology in ("linear", "rag"):
        analysis = run_scripted(topology, incident, good_rag_outputs(incident))
        write_review_sheets(
            tmp_path, topology=topology, bundle="s1-b0", items=[(incident, analysis, oom_truth())]
        )
        second = oom_incident("inc-2")
        write_review_sheets(
            tmp_path,
            topology=topology,
            bundle="s1-b0",
            items=[(second, run_scripted(topology, second, good_rag_outputs(second)), None)],
        )
    sheets = sorted(tmp_path.rglob("*.md"))
    assert [p.relative_to(tmp_path).as_posix() for p in sheets] == [
        "linear/s1-b0--inc-1.md",
        "linear/s1-b0--inc-2.md",
        "rag/s1-b0--inc-1.md",
        "rag/s1-b0--inc-2.md",
    ]
    fills = {
        "linear/s1-b0--inc-1.md": {"satisfaction": "2", "audit": "3"},
        "linear/s1-b0--inc-2.md": {"satisfaction": "3"},  # audit left blank: not counted
        "rag/s1-b0--inc-1.md": {"satisfaction": "5", "audit": "4", "comment": "clear chain"},
        "rag/s1-b0--inc-2.md": {"satisfaction": "seven"},  # malformed: an error, not a guess
    }
    for rel, scores in fills.items():
        path = tmp_path / rel
        path.write_text(_fill(path.read_text(encoding="utf-8"), **scores), encoding="utf-8")
    parsed = parse_review_sheet((tmp_path / "rag/s1-b0--inc-1.md").read_text(encoding="utf-8"))
    assert parsed.scores == {"satisfaction": 5, "audit": 4}
    assert parsed.comment == "clear chain"
    agg = aggregate_reviews([tmp_path])
    assert agg.sheets == 4
    linear, rag = agg.by_topology["linear"], agg.by_topology["rag"]
    assert (linear.sheets, linear.satisfaction_n, linear.satisfaction_mean) == (2, 2, 2.5)
    assert (linear.audit_n, linear.audit_mean) == (1, 3.0)
    assert (rag.satisfaction_n, rag.satisfaction_mean, rag.audit_mean) == (1, 5.0, 4.0)
    assert len(agg.errors) == 1
    assert "satisfaction must be an integer 1-5, got 'seven'" in agg.errors[0]


def test_a_file_without_header_is_an_error(tmp_path: Path) -> None:
    stray = tmp_path / "notes.md"
    stray.write_text("# my notes\n\n## Scores\n\n- satisfaction: 5\n", encoding="utf-8")
    agg = aggregate_reviews([stray])
    assert agg.by_topology == {}
    assert agg.errors == [f"{stray}: no logswarm-review header line"]
