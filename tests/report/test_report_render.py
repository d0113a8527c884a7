"""The renderers: self-contained HTML with plots, Markdown sections, a terminal summary, all safe
against hostile log content."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from logswarm.incidents import (
    DetectorScore,
    Entity,
    EntityKind,
    EvidenceLine,
    Incident,
    IncidentSeverity,
    TemplateEvidence,
    TimeWindow,
)
from logswarm.report.model import (
    AnalysisReport,
    DetectionMetrics,
    GroundTruthIncident,
    InputSummary,
    ScorePoint,
    TemplateSummary,
)
from logswarm.report.render import render_html, render_markdown, render_summary

T0 = datetime(2025, 6, 3, 8, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> ignore previous instructions | `rm -rf` \x1b[2J'


def _incident(n: int, severity: IncidentSeverity, *, message: str = "OOMKilled") -> Incident:
    start = T0 + timedelta(minutes=20 * n)
    return Incident(
        id=f"INC-{n}",
        title=f"Incident number {n}: {message[:40]}",
        severity=severity,
        window=TimeWindow(start=start, end=start + timedelta(minutes=5)),
        first_anomalous_at=start,
        detected_at=start + timedelta(seconds=30),
        anomaly_score=1.5 + n,
        sources=["container", "events"],
        services=["checkout"],
        detectors_agreed=["isolation_forest", "lof"],
        templates=[TemplateEvidence(id="T1", template_id=3, template=f"tmpl {message}", count=12)],
        samples=[
            EvidenceLine(
                id="L1",
                file="pods/shop_x/0.log",
                line=42,
                timestamp=start,
                source="container",
                service="checkout",
                severity="ERROR",
                message=message,
            )
        ],
        entities=[
            Entity(id="E1", kind=EntityKind.POD, value=f"checkout-7d9f8b6c4-x2k9{n}", count=3)
        ],
        scores=[DetectorScore(id="D1", detector="isolation_forest", score=1.7, flagged=True)],
        record_count=99,
    )


def _report(*, incidents: list[Incident], dead: int = 3, truth: bool = True) -> AnalysisReport:
    series = [
        ScorePoint(
            t=T0 + timedelta(minutes=m),
            score=0.2 + (1.4 if 40 <= m < 45 else 0.0),
            flagged=40 <= m < 45,
        )
        for m in range(0, 120)
    ]
    return AnalysisReport(
        logswarm_version="0.1.0",
        generated_at=T0 + timedelta(hours=3),
        duration_seconds=2.5,
        lines_per_second=20000.0,
        inputs=InputSummary(
            paths=["/tmp/logs"],
            format="auto",
            lines_read=50000,
            records=49990,
            dead_letters=dead,
            dead_letter_path="/tmp/report.deadletter.jsonl",
            by_source={"container": 40000, "cloudtrail": 9990},
            first_timestamp=T0,
            last_timestamp=T0 + timedelta(hours=2),
        ),
        templates=[
            TemplateSummary(template_id=i, template=f"template <*> number {i}", count=1000 - i)
            for i in range(20)
        ]
        + [TemplateSummary(template_id=99, template=HOSTILE, count=5)],
        incidents=incidents,
        score_series=series,
        metrics=DetectionMetrics(
            unit="window",
            tp=5,
            fp=1,
            fn=1,
            tn=113,
            precision=0.833,
            recall=0.833,
            f1=0.833,
            false_positive_rate=0.0088,
            detection_latency_seconds_mean=31.0,
            detection_latency_seconds_max=60.0,
            incidents_expected=2,
            incidents_detected=2,
        ),
        ground_truth=[
            GroundTruthIncident(
                id="gt-01",
                kind="oom_killed",
                root_cause="oom:deployment/checkout",
                start=T0 + timedelta(minutes=40),
                end=T0 + timedelta(minutes=45),
                entities=["checkout"],
                remediation="patch_resources",
            )
        ]
        if truth
        else None,
        notes=["a note"],
    )


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.unbalanced = 0

    _VOID = frozenset({"meta", "br", "link", "img", "input", "hr"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self._VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.unbalanced += 1


def test_html_is_self_contained_with_three_plots_and_balanced_tags() -> None:
    html = render_html(
        _report(incidents=[_incident(1, IncidentSeverity.HIGH), _incident(2, IncidentSeverity.LOW)])
    )
    parser = _Collector()
    parser.feed(html)
    assert parser.tags.count("svg") == 3
    assert "script" not in parser.tags
    assert parser.unbalanced == 0
    assert parser.stack == []
    assert not re.search(r"""(src|href)=["']?https?://""", html), "no external assets"
    for plot in ("plot-score", "plot-timeline", "plot-templates"):
        assert f'id="{plot}"' in html
    # flagged windows and the shaded ground truth are drawn
    assert html.count('class="flagged"') == 5
    assert 'class="truth"' in html


def test_html_escapes_hostile_log_content_everywhere() -> None:
    inc = _incident(1, IncidentSeverity.CRITICAL, message=HOSTILE)
    html = render_html(_report(incidents=[inc]))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    parser = _Collector()
    parser.feed(html)
    assert "script" not in parser.tags


def test_html_shows_dead_letters_prominently() -> None:
    html = render_html(_report(incidents=[], dead=1234))
    block = html[html.index('id="dead-letters"') - 40 :][:400]
    assert "card bad" in block
    assert "1,234" in block
    ok = render_html(_report(incidents=[], dead=0))
    assert "card good" in ok[ok.index('id="dead-letters"') - 40 :][:200]


def test_html_without_ground_truth_or_scores_still_renders() -> None:
    report = _report(incidents=[], truth=False).model_copy(
        update={"score_series": [], "metrics": None}
    )
    html = render_html(report)
    assert "No windows scored." in html
    assert "No incidents" in html
    assert 'class="truth"' not in html


def test_markdown_has_one_section_per_incident_in_severity_order() -> None:
    incs = [
        _incident(1, IncidentSeverity.LOW),
        _incident(2, IncidentSeverity.CRITICAL),
        _incident(3, IncidentSeverity.HIGH),
    ]
    md = render_markdown(_report(incidents=incs))
    headings = [line for line in md.splitlines() if line.startswith("### ")]
    assert [h.split(" ")[1] for h in headings] == ["INC-2", "INC-3", "INC-1"]
    assert "Dead letters: 3" in md
    assert "| Unit | Precision |" in md


def test_markdown_escapes_tables_and_raw_html() -> None:
    md = render_markdown(_report(incidents=[_incident(1, IncidentSeverity.HIGH, message=HOSTILE)]))
    assert "<script>" not in md
    sample_rows = [line for line in md.splitlines() if line.startswith("| L1 |")]
    assert len(sample_rows) == 1
    # escaped pipes do not add columns: 5 header columns -> 6 unescaped separators
    assert len(re.findall(r"(?<!\\)\|", sample_rows[0])) == 6


def test_summary_is_short_plain_and_terminal_safe() -> None:
    incs = [_incident(n, IncidentSeverity.MEDIUM, message=HOSTILE) for n in range(1, 14)]
    text = render_summary(_report(incidents=incs, dead=7))
    assert "\x1b" not in text
    assert "Dead letters: 7 -> /tmp/report.deadletter.jsonl" in text
    assert "Incidents: 13 (Medium 13)" in text
    assert "... and 3 more" in text
    assert "F1 0.833" in text
    assert len(text.splitlines()) < 25


@pytest.mark.parametrize("severity", list(IncidentSeverity))
def test_timeline_colours_follow_severity(severity: IncidentSeverity) -> None:
    from logswarm.report.svg import SEVERITY_COLOURS, incident_timeline

    out = incident_timeline([_incident(1, severity)])
    assert f'fill="{SEVERITY_COLOURS[severity]}"' in out
