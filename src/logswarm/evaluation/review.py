"""Review sheets: how a person scores the seed's human satisfaction and audit satisfaction.

No metric computed from a run can say whether an SRE found an analysis useful or could audit
it; the seed lists both (Model 1's *human satisfaction*, Model 3's *human audit
satisfaction*). So ``logswarm bench topologies`` writes one Markdown sheet per incident and
topology — the claimed root cause, the evidence it cites (resolved to the actual lines,
templates and entities), the plan, the validation verdict — with score fields a person fills
in, and :func:`aggregate_reviews` reads the filled sheets back into means per topology.

A sheet is plain Markdown a person edits in any editor. Its machine-readable parts are a
one-line JSON header in an HTML comment (which topology, incident and bundle it is about) and
the ``- field: value`` lines under ``## Scores``; everything else is for the reader. Scores are
integers 1-5; a blank field means "not scored" and is left out of the means, a malformed one
is reported as an error, never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from logswarm.agents.analysis import IncidentAnalysis
from logswarm.evaluation.topologies import ReviewMeans
from logswarm.incidents import Incident
from logswarm.report.model import GroundTruthIncident

__all__ = [
    "SCORE_FIELDS",
    "ReviewAggregate",
    "ReviewSheet",
    "aggregate_reviews",
    "parse_review_sheet",
    "render_review_sheet",
    "write_review_sheets",
]

#: The score fields of a sheet, each an integer 1-5 (5 best).
SCORE_FIELDS: tuple[str, ...] = ("satisfaction", "audit")
_TEXT_FIELDS: tuple[str, ...] = ("reviewer", "comment")
_HEADER = re.compile(r"^<!-- logswarm-review (\{.*\}) -->\s*$")
_FIELD = re.compile(r"^\s*[-*]\s*([a-z_]+)\s*:(.*)$")
_VERSION = 1


class ReviewSheet(BaseModel):
    """What one filled (or blank) sheet says."""

    model_config = ConfigDict(extra="forbid")

    path: str
    topology: str
    incident_id: str
    bundle: str
    scores: dict[str, int] = Field(default_factory=dict)
    reviewer: str = ""
    comment: str = ""
    errors: list[str] = Field(default_factory=list)


class ReviewAggregate(BaseModel):
    """Means per topology over every sheet read, and what could not be read."""

    model_config = ConfigDict(extra="forbid")

    sheets: int
    by_topology: dict[str, ReviewMeans]
    errors: list[str] = Field(default_factory=list)


def _md(text: object) -> str:
    """One line of Markdown-inert text (log lines may hold anything)."""
    flat = " ".join(str(text).split())
    return re.sub(r"([\\`*_{}\[\]()#+!|<>~])", r"\\\1", flat)


def _evidence_text(incident: Incident, analysis: IncidentAnalysis) -> dict[str, str]:
    """Every citeable id of the run, resolved to what it stands for."""
    out: dict[str, str] = {}
    for t in incident.templates:
        out[t.id] = f"template ({t.count}x): {t.template}"
    for s in incident.samples:
        when = s.timestamp.isoformat() if s.timestamp else "-"
        out[s.id] = f"line {s.location} at {when}: {s.message}"
    for e in incident.entities:
        out[e.id] = f"{e.kind.value} {e.value}"
    for d in incident.scores:
        out[d.id] = f"detector {d.detector} score {d.score:.2f}"
    for step in analysis.trajectory:
        if step.role != "retrieval" or step.output is None:
            continue
        for doc in step.output.get("documents", []):
            out.setdefault(str(doc.get("id")), f"{doc.get('kind')} '{doc.get('title')}'")
        for obs in step.output.get("observations", []):
            out.setdefault(str(obs.get("id")), f"tool {obs.get('tool')}: {obs.get('summary')}")
    return out


def render_review_sheet(
    *,
    topology: str,
    bundle: str,
    incident: Incident,
    analysis: IncidentAnalysis,
    truth: GroundTruthIncident | None,
) -> str:
    """The Markdown sheet of one incident as one topology analysed it."""
    header = {
        "v": _VERSION,
        "topology": topology,
        "incident": incident.id,
        "bundle": bundle,
    }
    evidence = _evidence_text(incident, analysis)
    cause = analysis.root_cause
    lines = [
        f"<!-- logswarm-review {json.dumps(header, sort_keys=True)} -->",
        f"# Review: {_md(incident.id)} ({_md(topology)} topology, bundle {_md(bundle)})",
        "",
        f"**Incident:** {_md(incident.title)} — severity {incident.severity.value}, "
        f"{incident.window.start.isoformat()} to {incident.window.end.isoformat()}, "
        f"services {_md(', '.join(incident.services) or '-')}",
        "",
        "## Claimed root cause",
        "",
    ]
    if cause is None:
        lines.append("No root cause stated.")
    else:
        lines += [
            f"**{_md(cause.category)}** in `{_md(cause.entity_value or '-')}` "
            f"(confidence {analysis.confidence:.2f}): {_md(cause.summary.text)}",
            "",
            f"Cites: {', '.join(cause.summary.evidence) or 'nothing'}",
        ]
    if analysis.causal_chain:
        lines += ["", "Causal chain, from cause to symptoms:", ""]
        lines += [
            f"{i}. {_md(c.text)} [{', '.join(c.evidence)}]"
            for i, c in enumerate(analysis.causal_chain, start=1)
        ]
    cited = list(
        dict.fromkeys([*analysis.cited_evidence, *(s.target_evidence for s in analysis.plan)])
    )
    lines += ["", "## Evidence cited", ""]
    if cited:
        lines += [
            f"- **{_md(i)}**: {_md(evidence.get(i, 'NOT IN THE CONTEXT, an invented id'))}"
            for i in cited
        ]
    else:
        lines.append("Nothing cited.")
    lines += ["", "## Plan", ""]
    if analysis.plan:
        for step in analysis.plan:
            lines.append(
                f"{step.order}. `{step.action}` on {step.target_kind.value} "
                f"`{_md(step.target)}` ({step.target_evidence}, risk {step.risk}, "
                f"{'dry run' if step.dry_run else 'live'}): {_md(step.rationale.text)}"
            )
    else:
        lines.append(
            f"No action planned (status {analysis.plan_status}"
            f"{', escalated to a person' if analysis.escalate else ''})."
        )
    if analysis.validation is not None:
        v = analysis.validation
        lines += [
            "",
            f"**Validation:** {v.verdict} (grounding {v.grounding.score:.2f}"
            f"{'; ' + _md('; '.join(v.issues)) if v.issues else ''})",
        ]
    lines += [
        "",
        f"**Grounding:** {analysis.grounding.claims_grounded}/{analysis.grounding.claims_total} "
        f"claims grounded; {len(analysis.grounding.hallucinations)} flagged.",
        "",
        "## Scores",
        "",
        "Fill in an integer from 1 (useless) to 5 (excellent) after each colon; leave it empty "
        "to skip. *satisfaction*: would you act on this analysis? *audit*: can you follow every "
        "claim to the evidence it cites?",
        "",
        *(f"- {name}: " for name in SCORE_FIELDS),
        *(f"- {name}: " for name in _TEXT_FIELDS),
        "",
    ]
    if truth is not None:
        lines += [
            "## Ground truth (read after scoring)",
            "",
            f"Injected `{_md(truth.kind)}`: cause `{_md(truth.root_cause)}`, "
            f"remediation `{_md(truth.remediation or '-')}`.",
            "",
        ]
    return "\n".join(lines)


def write_review_sheets(
    out_dir: Path,
    *,
    topology: str,
    bundle: str,
    items: Iterable[tuple[Incident, IncidentAnalysis, GroundTruthIncident | None]],
) -> list[Path]:
    """Write one sheet per (incident, analysis) under ``out_dir/topology/``."""
    folder = out_dir / topology
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for incident, analysis, truth in items:
        path = folder / f"{bundle}--{incident.id}.md"
        path.write_text(
            render_review_sheet(
                topology=topology,
                bundle=bundle,
                incident=incident,
                analysis=analysis,
                truth=truth,
            ),
            encoding="utf-8",
        )
        written.append(path)
    return written


def parse_review_sheet(text: str, *, path: str = "<sheet>") -> ReviewSheet:
    """Read the header and the score fields of one sheet; problems go to ``errors``."""
    lines = text.splitlines()
    header: Mapping[str, object] | None = None
    for line in lines[:5]:
        m = _HEADER.match(line)
        if m:
            try:
                loaded = json.loads(m.group(1))
            except ValueError:
                loaded = None
            header = loaded if isinstance(loaded, dict) else None
            break
    if header is None:
        return ReviewSheet(
            path=path,
            topology="?",
            incident_id="?",
            bundle="?",
            errors=[f"{path}: no logswarm-review header line"],
        )
    sheet = ReviewSheet(
        path=path,
        topology=str(header.get("topology", "?")),
        incident_id=str(header.get("incident", "?")),
        bundle=str(header.get("bundle", "?")),
    )
    in_scores = False
    for line in lines:
        if line.startswith("## "):
            in_scores = line.strip() == "## Scores"
            continue
        if not in_scores:
            continue
        m = _FIELD.match(line)
        if not m:
            continue
        name, value = m.group(1), m.group(2).strip()
        if name in SCORE_FIELDS:
            if not value:
                continue
            if not re.fullmatch(r"[1-5]", value):
                sheet.errors.append(f"{path}: {name} must be an integer 1-5, got {value!r}")
                continue
            sheet.scores[name] = int(value)
        elif name == "reviewer":
            sheet.reviewer = value
        elif name == "comment":
            sheet.comment = value
    return sheet


def aggregate_reviews(paths: Sequence[Path]) -> ReviewAggregate:
    """Read every sheet (files, or folders searched for ``*.md``) and average per topology."""
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.rglob("*.md")) if p.is_dir() else [p])
    sheets = [parse_review_sheet(f.read_text(encoding="utf-8"), path=str(f)) for f in files]
    errors = [e for s in sheets for e in s.errors]
    by_topology: dict[str, ReviewMeans] = {}
    for topo in sorted({s.topology for s in sheets if s.topology != "?"}):
        mine = [s for s in sheets if s.topology == topo]
        sat = [s.scores["satisfaction"] for s in mine if "satisfaction" in s.scores]
        aud = [s.scores["audit"] for s in mine if "audit" in s.scores]
        by_topology[topo] = ReviewMeans(
            sheets=len(mine),
            satisfaction_n=len(sat),
            satisfaction_mean=sum(sat) / len(sat) if sat else None,
            audit_n=len(aud),
            audit_mean=sum(aud) / len(aud) if aud else None,
        )
    return ReviewAggregate(sheets=len(sheets), by_topology=by_topology, errors=errors)
