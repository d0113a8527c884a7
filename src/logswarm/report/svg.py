"""Hand-drawn inline SVG plots for the HTML report.

Why not a plotting library: the report must be one self-contained file with no scripts and no
network, matplotlib/plotly are heavy dependencies for three simple charts, and every label in
these charts can come from a log line (a template, an entity) — drawing the SVG ourselves keeps
escaping in one place. Every function returns a complete ``<svg>`` element as a string whose text
content has already been escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from logswarm.incidents import Incident, IncidentSeverity
from logswarm.report.model import GroundTruthIncident, ScorePoint

__all__ = ["SEVERITY_COLOURS", "bar_chart", "incident_timeline", "score_timeline"]

SEVERITY_COLOURS: dict[IncidentSeverity, str] = {
    IncidentSeverity.CRITICAL: "#b91c1c",
    IncidentSeverity.HIGH: "#ea580c",
    IncidentSeverity.MEDIUM: "#ca8a04",
    IncidentSeverity.LOW: "#2563eb",
}
_TRUTH = "#16a34a"
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _e(text: object) -> str:
    return escape(str(text), quote=True)


class _TimeAxis:
    """Maps datetimes onto ``[x0, x1]`` pixels and draws readable HH:MM ticks."""

    def __init__(self, start: datetime, end: datetime, x0: float, x1: float) -> None:
        if end <= start:
            end = start + timedelta(seconds=1)
        self.start, self.end, self.x0, self.x1 = start, end, x0, x1
        self.span = (end - start).total_seconds()

    def x(self, t: datetime) -> float:
        frac = (t - self.start).total_seconds() / self.span
        return self.x0 + max(0.0, min(1.0, frac)) * (self.x1 - self.x0)

    def ticks(self, y: float, height: float) -> str:
        steps = (60, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
        step = next(
            (s for s in steps if self.span / s <= 8), 86400 * max(1, int(self.span // 86400 // 8))
        )
        first = self.start.replace(second=0, microsecond=0)
        epoch = int(first.timestamp())
        t = datetime.fromtimestamp(-(-epoch // step) * step, tz=self.start.tzinfo)
        out: list[str] = []
        while t <= self.end:
            x = self.x(t)
            label = t.strftime("%H:%M") if step < 86400 else t.strftime("%m-%d")
            out.append(
                f'<line x1="{x:.1f}" y1="{y - height:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
                f'stroke="#e5e7eb"/><text x="{x:.1f}" y="{y + 14:.1f}" text-anchor="middle" '
                f'{_FONT} fill="#6b7280">{label}</text>'
            )
            t += timedelta(seconds=step)
        return "".join(out)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
    )


def score_timeline(
    points: Sequence[ScorePoint],
    *,
    truth: Sequence[GroundTruthIncident] = (),
    incidents: Sequence[Incident] = (),
    width: int = 960,
    height: int = 240,
) -> str:
    """Anomaly score per window; flagged windows in red, ground-truth spans shaded green."""
    title = "Anomaly score over time"
    pad_l, pad_r, pad_t, pad_b = 44, 12, 14, 30
    if not points:
        return (
            _open(width, 40, title) + f'<text x="8" y="24" {_FONT}>No windows scored.</text></svg>'
        )
    pts = sorted(points, key=lambda p: p.t)
    start, end = pts[0].t, pts[-1].t
    for g in truth:
        start, end = min(start, g.start), max(end, g.end)
    axis = _TimeAxis(start, end, pad_l, width - pad_r)
    top = max(1.0, max(p.score for p in pts)) * 1.08
    bottom = min(0.0, min(p.score for p in pts))
    y0, y1 = height - pad_b, pad_t

    def y(v: float) -> float:
        return y0 - (v - bottom) / (top - bottom) * (y0 - y1)

    parts = [_open(width, height, title)]
    parts.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    for g in truth:
        xa, xb = axis.x(g.start), axis.x(g.end)
        parts.append(
            f'<rect class="truth" x="{xa:.1f}" y="{y1}" width="{max(2.0, xb - xa):.1f}" '
            f'height="{y0 - y1}" fill="{_TRUTH}" fill-opacity="0.15"><title>ground truth {_e(g.id)}: '
            f"{_e(g.kind)}</title></rect>"
        )
    for inc in incidents:
        xa, xb = axis.x(inc.window.start), axis.x(inc.window.end)
        colour = SEVERITY_COLOURS[inc.severity]
        parts.append(
            f'<rect class="incident" x="{xa:.1f}" y="{y1 - 8}" width="{max(2.0, xb - xa):.1f}" height="5" '
            f'fill="{colour}"><title>{_e(inc.id)}: {_e(inc.title)}</title></rect>'
        )
    parts.append(axis.ticks(y0, y0 - y1))
    for v in (bottom, (bottom + top) / 2, top):
        parts.append(
            f'<text x="{pad_l - 4}" y="{y(v) + 4:.1f}" text-anchor="end" {_FONT} fill="#6b7280">{v:.2g}</text>'
        )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{axis.x(p.t):.1f},{y(p.score):.1f}" for i, p in enumerate(pts)
    )
    parts.append(f'<path d="{path}" fill="none" stroke="#1f2937" stroke-width="1.2"/>')
    for p in pts:
        if p.flagged:
            parts.append(
                f'<circle class="flagged" cx="{axis.x(p.t):.1f}" cy="{y(p.score):.1f}" r="2.6" '
                f'fill="#dc2626"><title>{_e(p.t.isoformat())} score {p.score:.3g}</title></circle>'
            )
    parts.append(
        f'<line x1="{pad_l}" y1="{y0}" x2="{width - pad_r}" y2="{y0}" stroke="#9ca3af"/></svg>'
    )
    return "".join(parts)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str = "Top templates",
    width: int = 960,
    bar_height: int = 18,
    label_chars: int = 90,
) -> str:
    """Horizontal bars, largest first; long labels are cut (the full text is in a tooltip)."""
    rows = list(items)
    if not rows:
        return _open(width, 40, title) + f'<text x="8" y="24" {_FONT}>Nothing to show.</text></svg>'
    gap = 6
    height = len(rows) * (bar_height + gap) + 10
    label_w = width * 0.58
    bar_w = width - label_w - 70
    top = max(v for _, v in rows) or 1.0
    parts = [_open(width, height, title)]
    for i, (label, value) in enumerate(rows):
        yy = 5 + i * (bar_height + gap)
        short = label if len(label) <= label_chars else label[: label_chars - 1] + "…"
        w = max(1.0, value / top * bar_w)
        parts.append(
            f'<g class="bar"><title>{_e(label)}</title>'
            f'<text x="{label_w - 6:.1f}" y="{yy + bar_height - 5}" text-anchor="end" '
            f'font-family="ui-monospace, monospace" font-size="10.5" fill="#111827">{_e(short)}</text>'
            f'<rect x="{label_w:.1f}" y="{yy}" width="{w:.1f}" height="{bar_height}" fill="#4f46e5" rx="2"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{yy + bar_height - 5}" {_FONT} fill="#374151">'
            f"{value:,.0f}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def incident_timeline(
    incidents: Sequence[Incident],
    *,
    truth: Sequence[GroundTruthIncident] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    width: int = 960,
    row: int = 22,
) -> str:
    """A Gantt-like row per incident coloured by severity, with ground-truth rows in green."""
    title = "Incident timeline"
    bars: list[tuple[str, datetime, datetime, str, str]] = []
    for inc in sorted(incidents, key=lambda i: i.window.start):
        bars.append(
            (
                inc.id,
                inc.window.start,
                inc.window.end,
                SEVERITY_COLOURS[inc.severity],
                f"{inc.severity.value}: {inc.title}",
            )
        )
    for g in sorted(truth, key=lambda g: g.start):
        bars.append((f"truth {g.id}", g.start, g.end, _TRUTH, f"{g.kind} ({g.root_cause})"))
    if not bars:
        return _open(width, 40, title) + f'<text x="8" y="24" {_FONT}>No incidents.</text></svg>'
    lo = start or min(b[1] for b in bars)
    hi = end or max(b[2] for b in bars)
    label_w = 190
    height = len(bars) * row + 34
    axis = _TimeAxis(lo, hi, label_w, width - 12)
    parts = [_open(width, height, title), axis.ticks(height - 22, height - 26)]
    for i, (label, a, b, colour, tip) in enumerate(bars):
        yy = 4 + i * row
        xa, xb = axis.x(a), axis.x(b)
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<g class="span"><title>{_e(label)} — {_e(tip)} ({_e(a.strftime("%H:%M:%S"))}–'
            f"{_e(b.strftime('%H:%M:%S'))})</title>"
            f'<text x="{label_w - 6}" y="{yy + row - 8}" text-anchor="end" {_FONT} fill="#111827">'
            f"{_e(short)}</text>"
            f'<rect x="{xa:.1f}" y="{yy + 3}" width="{max(3.0, xb - xa):.1f}" height="{row - 8}" '
            f'fill="{colour}" rx="3"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
