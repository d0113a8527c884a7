"""Flagged windows grouped into incidents, each carrying the evidence agents will cite.

Grouping rule (deliberately simple and explainable): flagged windows are taken in time order;
a window joins an open incident when it starts within ``gap`` of the incident's end AND it is
the same stream or shares an entity (pod, IP, access key, ...) with the incident. Otherwise it
opens a new incident. This keeps one bad deploy's symptoms across its pods in one incident,
while an unrelated IAM event at the same minute stays separate.

Evidence is ranked, not dumped: templates by how much more often they occur in the incident
than in the stream's normal windows, entities by concentration in the incident, samples
from the windows' evidence reservoirs (novel templates and the most severe lines first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
from logswarm.pipeline.windows import WindowStats
from logswarm.records import LogRecord, Severity

__all__ = ["FlaggedWindow", "GroupingConfig", "SeverityRule", "group_incidents"]

#: Maps (strongest normalised score, worst record severity, detectors agreeing) to a severity.
SeverityRule = Callable[[float, Severity, int], IncidentSeverity]


@dataclass(frozen=True, slots=True)
class GroupingConfig:
    #: Flagged windows closer than this are candidates for the same incident (two windows).
    gap: timedelta = timedelta(minutes=2)
    max_templates: int = 8
    max_samples: int = 12
    max_entities: int = 15


@dataclass(slots=True)
class FlaggedWindow:
    """A window the detectors flagged, with the per-detector normalised scores."""

    window: WindowStats
    score: float
    detector_scores: dict[str, float]
    agreed: list[str]


@dataclass(slots=True)
class _Group:
    members: list[FlaggedWindow] = field(default_factory=list)
    streams: set[str] = field(default_factory=set)
    entities: set[tuple[EntityKind, str]] = field(default_factory=set)
    end: datetime | None = None


# Entities too generic to link two windows into one incident (every line of a region has one).
_NON_LINKING = {EntityKind.REGION, EntityKind.ACCOUNT, EntityKind.NAMESPACE}


def _linking_entities(win: WindowStats) -> set[tuple[EntityKind, str]]:
    return {e for e in win.entities if e[0] not in _NON_LINKING}


def group_incidents(
    flagged: Sequence[FlaggedWindow],
    *,
    baseline: Mapping[str, Counter[int]],
    baseline_windows: Mapping[str, int],
    template_text: Mapping[int, str],
    severity_of: SeverityRule,
    config: GroupingConfig | None = None,
) -> list[Incident]:
    """Group flagged windows into incidents, most severe first.

    ``baseline[stream]`` counts templates over the stream's unflagged windows and
    ``baseline_windows[stream]`` is how many there were, giving each template's normal rate.
    """
    cfg = config or GroupingConfig()
    groups: list[_Group] = []
    for fw in sorted(flagged, key=lambda f: (f.window.start, f.window.stream)):
        ents = _linking_entities(fw.window)
        target = None
        for group in reversed(groups):
            assert group.end is not None
            if fw.window.start - group.end > cfg.gap:
                continue
            if fw.window.stream in group.streams or ents & group.entities:
                target = group
                break
        if target is None:
            target = _Group()
            groups.append(target)
        target.members.append(fw)
        target.streams.add(fw.window.stream)
        target.entities |= ents
        target.end = max(target.end, fw.window.end) if target.end else fw.window.end
    incidents = [
        _build(i, g, baseline, baseline_windows, template_text, severity_of, cfg)
        for i, g in enumerate(groups, start=1)
    ]
    incidents.sort(key=lambda inc: (inc.severity.rank, -inc.anomaly_score, inc.window.start))
    return incidents


def _build(
    number: int,
    group: _Group,
    baseline: Mapping[str, Counter[int]],
    baseline_windows: Mapping[str, int],
    template_text: Mapping[int, str],
    severity_of: SeverityRule,
    cfg: GroupingConfig,
) -> Incident:
    wins = [m.window for m in group.members]
    templates: Counter[int] = Counter()
    entities: Counter[tuple[EntityKind, str]] = Counter()
    sources: Counter[str] = Counter()
    regions: set[str] = set()
    worst = Severity.TRACE
    for w in wins:
        templates.update(w.templates)
        entities.update(w.entities)
        sources.update(w.sources)
        regions |= w.regions
        if w.severities:
            worst = max(worst, Severity(max(w.severities)))

    def normal_rate(tid: int) -> float:
        """Highest per-window rate of the template in the incident's streams' normal windows."""
        return max(
            (
                baseline[s][tid] / max(baseline_windows.get(s, 0), 1)
                for s in group.streams
                if s in baseline
            ),
            default=0.0,
        )

    # Template surprise: occurrences in the incident vs what its windows would normally hold.
    def surprise(tid: int) -> float:
        return templates[tid] / (normal_rate(tid) * len(wins) + 0.5)

    ranked = sorted(templates, key=lambda t: (-surprise(t), -templates[t], t))[: cfg.max_templates]
    t_evidence = [
        TemplateEvidence(
            id=f"T{i}",
            template_id=tid,
            template=template_text.get(tid, "<unparsed>"),
            count=templates[tid],
            baseline_rate=round(normal_rate(tid), 4),
        )
        for i, tid in enumerate(ranked, start=1)
    ]
    top_templates = set(ranked)

    samples = _pick_samples([r for w in wins for r in w.samples], top_templates, cfg.max_samples)
    l_evidence = [
        EvidenceLine(
            id=f"L{i}",
            file=r.file,
            line=r.line,
            record=r.position() if r.position() != r.line else None,
            timestamp=r.timestamp,
            source=r.source.value,
            service=r.service,
            severity=r.severity.name,
            message=r.message[:2000],
            template_id=r.template_id,
        )
        for i, r in enumerate(samples, start=1)
    ]
    e_evidence = [
        Entity(id=f"E{i}", kind=kind, value=value, count=count)
        for i, ((kind, value), count) in enumerate(
            sorted(entities.items(), key=lambda kv: (-kv[1], kv[0][0].value, kv[0][1]))[
                : cfg.max_entities
            ],
            start=1,
        )
    ]

    best: dict[str, float] = {}
    agreed: set[str] = set()
    for m in group.members:
        for det, s in m.detector_scores.items():
            best[det] = max(best.get(det, 0.0), s)
        agreed.update(m.agreed)
    d_evidence = [
        DetectorScore(id=f"D{i}", detector=det, score=round(s, 4), flagged=s > 1.0)
        for i, (det, s) in enumerate(sorted(best.items()), start=1)
    ]
    score = max(m.score for m in group.members)
    starts = [w.first_ts or w.start for w in wins]
    ends = [w.last_ts or w.end for w in wins]
    first = min(group.members, key=lambda m: m.window.start).window
    severity = severity_of(score, worst, len(agreed))
    return Incident(
        id=f"inc-{number:04d}",
        title=_title(group, t_evidence),
        severity=severity,
        window=TimeWindow(start=min(starts), end=max(ends)),
        first_anomalous_at=min(starts),
        detected_at=first.end,
        anomaly_score=round(score, 4),
        sources=sorted(sources),
        services=sorted(group.streams),
        regions=sorted(regions),
        detectors_agreed=sorted(agreed),
        templates=t_evidence,
        samples=l_evidence,
        entities=e_evidence,
        scores=d_evidence,
        windows=[w.key for w in wins],
        record_count=sum(w.n for w in wins),
    )


def _pick_samples(candidates: list[LogRecord], top: set[int], limit: int) -> list[LogRecord]:
    """Lines of the top templates first (one per template), then the most severe, in time order."""
    chosen: list[LogRecord] = []
    seen_templates: set[int | None] = set()
    for r in candidates:
        if r.template_id in top and r.template_id not in seen_templates:
            chosen.append(r)
            seen_templates.add(r.template_id)
    rest = sorted(
        (r for r in candidates if r not in chosen),
        key=lambda r: (-int(r.severity), r.file, r.line),
    )
    chosen.extend(rest[: max(limit - len(chosen), 0)])
    chosen = chosen[:limit]
    chosen.sort(key=lambda r: (r.timestamp is None, r.timestamp or datetime.min, r.file, r.line))
    return chosen


def _title(group: _Group, templates: list[TemplateEvidence]) -> str:
    streams = ", ".join(sorted(group.streams)[:3]) + ("…" if len(group.streams) > 3 else "")
    headline = templates[0].template if templates else "anomalous activity"
    if len(headline) > 90:
        headline = headline[:87] + "..."
    return f"{streams}: {headline}"
