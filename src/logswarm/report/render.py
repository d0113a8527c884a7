"""Renderers of :class:`~logswarm.report.model.AnalysisReport`: HTML, Markdown and a terminal summary.

They are pure functions of the report model, so the JSON report stays the record and any of these
can be regenerated from it. Every string that came from a log (messages, templates, entity
values, file names, even incident titles) is untrusted: HTML goes through Jinja2 autoescaping plus
a Content-Security-Policy that forbids scripts, Markdown escapes its metacharacters and raw HTML,
and the terminal summary strips control characters so a log line cannot rewrite the screen with
ANSI sequences.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from logswarm.incidents import Incident, IncidentSeverity
from logswarm.report import svg
from logswarm.report.model import AnalysisReport

__all__ = ["render_html", "render_markdown", "render_summary"]

_TOP_TEMPLATES = 15


def _fmt_time(t: datetime | None) -> str:
    if t is None:
        return "–"
    if t.tzinfo is None:
        return t.strftime("%Y-%m-%d %H:%M:%S")
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def _ordered(report: AnalysisReport) -> list[Incident]:
    """Most urgent first, then by time: the order a person should read them in."""
    return sorted(report.incidents, key=lambda i: (i.severity.rank, i.window.start, i.id))


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("logswarm.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["fmt_time"] = _fmt_time
    env.globals["fmt_seconds"] = _fmt_seconds
    return env


def render_html(report: AnalysisReport) -> str:
    """One self-contained HTML file: inline CSS and SVG, no scripts, no external assets."""
    css = (
        resources.files("logswarm.report")
        .joinpath("templates/report.css")
        .read_text(encoding="utf-8")
    )
    truth = report.ground_truth or []
    score_svg = svg.score_timeline(report.score_series, truth=truth, incidents=report.incidents)
    span_start = report.inputs.first_timestamp
    span_end = report.inputs.last_timestamp
    timeline_svg = svg.incident_timeline(
        report.incidents, truth=truth, start=span_start, end=span_end
    )
    top = sorted(report.templates, key=lambda t: (-t.count, t.template_id))[:_TOP_TEMPLATES]
    templates_svg = svg.bar_chart([(t.template, float(t.count)) for t in top])
    template = _environment().get_template("report.html.j2")
    # The SVG builders escape every label themselves; the CSS is ours. Both are marked safe.
    return template.render(
        r=report,
        incidents=_ordered(report),
        css=Markup(css),  # noqa: S704 - our own static stylesheet
        score_svg=Markup(score_svg),  # noqa: S704 - escaped in logswarm.report.svg
        timeline_svg=Markup(timeline_svg),  # noqa: S704
        templates_svg=Markup(templates_svg),  # noqa: S704
    )


# -- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def _md(text: object) -> str:
    """Escape for a Markdown table cell or heading: no markup, no raw HTML, one line."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def render_markdown(report: AnalysisReport) -> str:
    """A Markdown report: summary, metrics, one ``###`` section per incident with its evidence."""
    inp = report.inputs
    lines = [
        "# LogSwarm analysis report",
        "",
        f"Generated {_fmt_time(report.generated_at)} by LogSwarm {_md(report.logswarm_version)} in "
        f"{report.duration_seconds:.2f} s ({report.lines_per_second:,.0f} lines/s).",
        "",
        f"- **Lines read:** {inp.lines_read:,} · **records:** {inp.records:,} · "
        f"**duplicates dropped:** {inp.duplicates_dropped:,}",
        f"- **Dead letters: {inp.dead_letters:,}**"
        + (f" (written to {_md(inp.dead_letter_path)})" if inp.dead_letter_path else ""),
        f"- **Incidents:** {len(report.incidents)}" + _severity_counts(report),
        f"- **Time span:** {_fmt_time(inp.first_timestamp)} → {_fmt_time(inp.last_timestamp)}",
        "- **By source:** "
        + (", ".join(f"{_md(k)} {v:,}" for k, v in sorted(inp.by_source.items())) or "–"),
        "- **Paths:** " + (", ".join(_md(p) for p in inp.paths) or "–"),
        "",
    ]
    if report.metrics:
        m = report.metrics
        lines += ["## Detection metrics", ""]
        lines += _table(
            [
                "Unit",
                "Precision",
                "Recall",
                "F1",
                "FPR",
                "TP",
                "FP",
                "FN",
                "TN",
                "Latency mean",
                "Latency max",
            ],
            [
                [
                    m.unit,
                    f"{m.precision:.3f}",
                    f"{m.recall:.3f}",
                    f"{m.f1:.3f}",
                    f"{m.false_positive_rate:.4f}",
                    m.tp,
                    m.fp,
                    m.fn,
                    m.tn,
                    _fmt_seconds(m.detection_latency_seconds_mean),
                    _fmt_seconds(m.detection_latency_seconds_max),
                ]
            ],
        )
        if m.incidents_expected is not None:
            lines += [f"Incidents detected: {m.incidents_detected} of {m.incidents_expected}.", ""]
    lines += ["## Incidents", ""]
    if not report.incidents:
        lines += ["No incidents were raised.", ""]
    for inc in _ordered(report):
        lines += [
            f"### {_md(inc.id)} · {inc.severity.value} · {_md(inc.title)}",
            "",
            f"- **Window:** {_fmt_time(inc.window.start)} → {_fmt_time(inc.window.end)} "
            f"({_fmt_seconds(inc.window.seconds)})",
            f"- **Anomaly score:** {inc.anomaly_score:.3f} · **records:** {inc.record_count:,}",
            "- **Detectors agreed:** " + (", ".join(_md(d) for d in inc.detectors_agreed) or "–"),
            "- **Sources:** "
            + (", ".join(_md(s) for s in inc.sources) or "–")
            + " · **services:** "
            + (", ".join(_md(s) for s in inc.services) or "–"),
            "",
        ]
        if inc.templates:
            lines += ["**Templates**", ""]
            lines += _table(
                ["Id", "Template", "Count", "Baseline"],
                [[t.id, t.template, t.count, f"{t.baseline_rate:.2f}"] for t in inc.templates],
            )
        if inc.samples:
            lines += ["**Sample lines**", ""]
            lines += _table(
                ["Id", "Where", "Time", "Severity", "Message"],
                [
                    [s.id, s.location, _fmt_time(s.timestamp), s.severity, s.message]
                    for s in inc.samples
                ],
            )
        if inc.entities:
            lines += ["**Entities**", ""]
            lines += _table(
                ["Id", "Kind", "Value", "Count"],
                [[e.id, e.kind.value, e.value, e.count] for e in inc.entities],
            )
        if inc.scores:
            lines += ["**Detector scores**", ""]
            lines += _table(
                ["Id", "Detector", "Score", "Flagged"],
                [
                    [d.id, d.detector, f"{d.score:.3f}", "yes" if d.flagged else "no"]
                    for d in inc.scores
                ],
            )
    if report.ground_truth:
        lines += ["## Ground truth", ""]
        lines += _table(
            ["Id", "Kind", "Root cause", "Start", "End", "Entities", "Remediation"],
            [
                [
                    g.id,
                    g.kind,
                    g.root_cause,
                    _fmt_time(g.start),
                    _fmt_time(g.end),
                    ", ".join(g.entities),
                    g.remediation or "–",
                ]
                for g in report.ground_truth
            ],
        )
    if report.notes:
        lines += ["## Notes", ""] + [f"- {_md(n)}" for n in report.notes] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _severity_counts(report: AnalysisReport) -> str:
    counts = Counter(i.severity for i in report.incidents)
    if not counts:
        return ""
    return " (" + ", ".join(f"{s.value} {counts[s]}" for s in IncidentSeverity if counts[s]) + ")"


# -- terminal ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _plain(text: object, limit: int = 120) -> str:
    """One terminal-safe line: control characters (ANSI escapes included) become ``?``."""
    flat = _CONTROL.sub("?", " ".join(str(text).split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_summary(report: AnalysisReport, *, max_incidents: int = 10) -> str:
    """A short plain-text summary for the terminal."""
    inp = report.inputs
    out = [
        f"LogSwarm analysed {inp.lines_read:,} lines ({inp.records:,} records) from "
        f"{len(inp.paths)} path(s) in {report.duration_seconds:.2f} s "
        f"({report.lines_per_second:,.0f} lines/s)",
    ]
    if inp.by_source:
        out.append(
            "Sources: "
            + ", ".join(f"{_plain(k, 30)} {v:,}" for k, v in sorted(inp.by_source.items()))
        )
    dead = f"Dead letters: {inp.dead_letters:,}"
    if inp.dead_letters and inp.dead_letter_path:
        dead += f" -> {_plain(inp.dead_letter_path)}"
    out.append(dead)
    out.append(f"Incidents: {len(report.incidents)}{_severity_counts(report)}")
    ordered = _ordered(report)
    for inc in ordered[:max_incidents]:
        ents = ", ".join(f"{e.kind.value}={_plain(e.value, 60)}" for e in inc.entities[:4])
        out.append(
            f"  [{inc.severity.value:<8}] {_plain(inc.id, 24)} {_plain(inc.title, 70)}  "
            f"{inc.window.start.strftime('%H:%M:%S')}–{inc.window.end.strftime('%H:%M:%S')}"
            + (f"  {ents}" if ents else "")
        )
    if len(ordered) > max_incidents:
        out.append(f"  ... and {len(ordered) - max_incidents} more")
    if report.metrics:
        m = report.metrics
        line = (
            f"Metrics ({_plain(m.unit, 20)}): precision {m.precision:.3f} recall {m.recall:.3f} "
            f"F1 {m.f1:.3f} FPR {m.false_positive_rate:.4f}"
        )
        if m.detection_latency_seconds_mean is not None:
            line += f" latency {_fmt_seconds(m.detection_latency_seconds_mean)}"
        if m.incidents_expected is not None:
            line += f" incidents {m.incidents_detected}/{m.incidents_expected}"
        out.append(line)
    for note in report.notes:
        out.append(f"Note: {_plain(note)}")
    return "\n".join(out) + "\n"
