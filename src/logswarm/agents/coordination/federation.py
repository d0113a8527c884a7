"""Seed Model 5 offline: regional coordinators, the federation gateway, the global synthesizer.

Data locality is the point of the model, so the split is explicit:

- :func:`split_by_region` cuts an incident into one sub-incident per region (evidence keeps its
  ids). A line's region comes from its stream metadata — an AWS region segment in its file
  path (``AWSLogs/<acct>/CloudTrail/<region>/...``) or in the line — else, when the incident
  names exactly one region (its ``regions``, a region entity, a node's
  ``*.<region>.compute.internal`` name), that one; else :data:`DEFAULT_REGION` when it names
  none (the documented single-region fallback), or ``unassigned`` when it names several.
- a :class:`RegionalCoordinator` analyses its region's evidence with the reasoner, inside the
  region, and writes a :class:`~logswarm.agents.contracts.RegionalReport`;
- the :class:`FederationGateway` is the only way out of a region: it forwards *insights*
  (category, culprit kind, an evidence-id list, a keyed pseudonym of the culprit, counts) and
  drops every free-text field, so no raw line — nor a culprit's name — crosses it. It is a
  mechanism, not a model: data governance must not depend on a model's discretion;
- the :class:`GlobalSynthesizer` correlates insights: the same cause category in at least
  ``min_regions`` regions is a global incident, otherwise the most confident regional one.
"""

from __future__ import annotations

import hashlib
import re

from logswarm.agents.contracts import (
    Claim,
    CorrelationGroup,
    GatewayInput,
    GatewayOutput,
    RCAInput,
    RegionalInput,
    RegionalInsight,
    RegionalOutput,
    RegionalReport,
    RootCause,
    SynthesizerInput,
    SynthesizerOutput,
)
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.incidents import EntityKind, EvidenceLine, Incident

__all__ = [
    "DEFAULT_REGION",
    "UNASSIGNED_REGION",
    "FederationGateway",
    "GlobalSynthesizer",
    "RegionalCoordinator",
    "fingerprint",
    "incident_regions",
    "region_of_line",
    "split_by_region",
]

#: The region of evidence whose streams name none (a single-cluster demo): one region.
DEFAULT_REGION = "local"
#: Lines of a multi-region incident whose stream names no region.
UNASSIGNED_REGION = "unassigned"

_REGION = re.compile(
    r"(?<![a-z0-9-])([a-z]{2}(?:-gov)?-(?:north|south|east|west|central|northeast|southeast|"
    r"northwest|southwest)-\d)(?![a-z0-9-])"
)


def incident_regions(incident: Incident) -> list[str]:
    """Regions the incident's metadata names: its ``regions``, region entities, node names."""
    found = set(incident.regions)
    for entity in incident.entities:
        if entity.kind is EntityKind.REGION:
            found.add(entity.value)
        elif entity.kind is EntityKind.NODE:
            found.update(_REGION.findall(entity.value))
    for line in incident.samples:
        found.update(_REGION.findall(line.file))
    return sorted(found)


def region_of_line(line: EvidenceLine, regions: list[str]) -> str:
    """The region a line's stream belongs to (see the module docstring for the fallbacks)."""
    match = _REGION.search(line.file)
    if match:
        return match.group(1)
    # A line's text may mention any region; it counts only for a region the metadata names.
    match = _REGION.search(line.message)
    if match and match.group(1) in regions:
        return match.group(1)
    if len(regions) == 1:
        return regions[0]
    return DEFAULT_REGION if not regions else UNASSIGNED_REGION


def split_by_region(incident: Incident) -> dict[str, Incident]:
    """One sub-incident per region, evidence ids unchanged; one region: the incident itself."""
    regions = incident_regions(incident)
    by_region: dict[str, list[EvidenceLine]] = {}
    for line in incident.samples:
        by_region.setdefault(region_of_line(line, regions), []).append(line)
    if len(by_region) <= 1:
        region = next(iter(by_region), regions[0] if len(regions) == 1 else DEFAULT_REGION)
        return {region: incident.model_copy(update={"regions": [region]})}
    out: dict[str, Incident] = {}
    for region, lines in sorted(by_region.items()):
        template_ids = {line.template_id for line in lines if line.template_id is not None}
        texts = " ".join(line.message.lower() for line in lines)
        services = {line.service for line in lines if line.service}
        out[region] = incident.model_copy(
            update={
                "regions": [region],
                "samples": lines,
                "templates": [t for t in incident.templates if t.template_id in template_ids],
                "entities": [
                    e
                    for e in incident.entities
                    if e.value.lower() in texts or e.value in services or e.value == region
                ],
                "services": [s for s in incident.services if s in services],
                "record_count": len(lines),
            }
        )
    return out


def fingerprint(kind: str, value: str, *, salt: str = "") -> str:
    """A keyed pseudonym of an entity: equal (kind, value) give equal fingerprints."""
    return hashlib.sha256(f"{salt}\x00{kind}\x00{value.lower()}".encode()).hexdigest()[:16]


class RegionalCoordinator:
    """Analyses one region's evidence inside the region; answers global verdicts locally."""

    def __init__(self, reasoner: DeterministicReasoner, *, salt: str = "") -> None:
        self._reasoner = reasoner
        self._salt = salt

    def run(self, inp: RegionalInput) -> RegionalOutput:
        incident = inp.incident
        if not incident.samples and not incident.templates:
            report = RegionalReport(region=inp.region, quiet=True, lines=0, raw_bytes=0)
            return RegionalOutput(region=inp.region, phase=inp.phase, report=report)
        rca = self._reasoner.rca(RCAInput(incident=incident, dependencies=inp.dependencies))
        culprit = next((e for e in incident.entities if e.id == rca.root_cause.entity), None)
        report = RegionalReport(
            region=inp.region,
            quiet=False,
            rca=rca,
            lines=len(incident.samples),
            raw_bytes=sum(len(line.message.encode()) for line in incident.samples),
            services=sorted(incident.services),
            culprit_kind=str(culprit.kind) if culprit else None,
            culprit_fingerprint=(
                fingerprint(culprit.kind, culprit.value, salt=self._salt) if culprit else None
            ),
        )
        if inp.phase == "analyse":
            return RegionalOutput(region=inp.region, phase="analyse", report=report)
        synthesis = inp.synthesis
        chain = list(rca.causal_chain)
        if (
            synthesis is not None
            and synthesis.scope == "global"
            and inp.region in synthesis.regions
        ):
            chain = [
                Claim(
                    text=(
                        f"The federation reports the same cause ({synthesis.category}) in "
                        f"regions {', '.join(synthesis.regions)}: a global incident."
                    ),
                    evidence=rca.root_cause.summary.evidence,
                ),
                *chain,
            ][:8]
        return RegionalOutput(
            region=inp.region,
            phase="respond",
            report=report,
            rca=rca.model_copy(update={"causal_chain": chain}),
        )


class FederationGateway:
    """Forwards insights, never data: the only fields that leave a region are listed here."""

    def run(self, inp: GatewayInput) -> GatewayOutput:
        insights: list[RegionalInsight] = []
        redactions: list[str] = []
        for report in inp.reports:
            if report.quiet or report.rca is None:
                insights.append(RegionalInsight(region=report.region, status="quiet"))
                continue
            root = report.rca.root_cause
            insights.append(
                RegionalInsight(
                    region=report.region,
                    status="anomaly",
                    category=root.category,
                    culprit_kind=report.culprit_kind,
                    culprit_ref=root.entity,
                    culprit_fingerprint=report.culprit_fingerprint,
                    services=report.services,
                    evidence=list(root.summary.evidence),
                    confidence=root.confidence,
                    lines=report.lines,
                )
            )
            redactions.append(
                f"{report.region}: summary and causal-chain text, culprit name, alternatives"
            )
        shared = sum(len(i.model_dump_json().encode()) for i in insights)
        return GatewayOutput(
            insights=insights,
            bytes_raw=sum(r.raw_bytes for r in inp.reports),
            bytes_shared=shared,
            redactions=redactions,
        )


class GlobalSynthesizer:
    """Cross-region correlation: one cause in ``min_regions`` regions is a global incident."""

    def run(self, inp: SynthesizerInput) -> SynthesizerOutput:
        anomalies = [i for i in inp.insights if i.status == "anomaly"]
        groups: list[CorrelationGroup] = []
        by_category: dict[str, list[RegionalInsight]] = {}
        for insight in anomalies:
            if insight.category != "unknown":
                by_category.setdefault(insight.category, []).append(insight)
        for category, members in sorted(by_category.items()):
            prints = {m.culprit_fingerprint for m in members}
            groups.append(
                CorrelationGroup(
                    category=category,
                    regions=sorted({m.region for m in members}),
                    same_culprit=len(members) > 1 and len(prints) == 1 and None not in prints,
                    confidence=round(max(m.confidence for m in members), 4),
                )
            )
        groups.sort(key=lambda g: (-len(g.regions), -g.confidence, g.category))
        if groups and len(groups[0].regions) >= inp.min_regions:
            top = groups[0]
            members = sorted(by_category[top.category], key=lambda m: (-m.confidence, m.region))
            lead = members[0]
            text = (
                f"Global incident: {top.category} in {len(top.regions)} regions "
                f"({', '.join(top.regions)})"
                + (", same culprit everywhere." if top.same_culprit else ".")
            )
            return self._out("global", top.category, top.regions, lead, groups, text)
        if anomalies:
            lead = sorted(anomalies, key=lambda m: (-m.confidence, m.region))[0]
            text = f"Regional incident: {lead.category} in {lead.region} only."
            return self._out("regional", lead.category, [lead.region], lead, groups, text)
        return SynthesizerOutput(
            scope="none",
            category="unknown",
            groups=groups,
            root_cause=RootCause(
                category="unknown",
                summary=Claim(text="No region reports an anomaly."),
                confidence=0.0,
            ),
        )

    @staticmethod
    def _out(
        scope: str,
        category: str,
        regions: list[str],
        lead: RegionalInsight,
        groups: list[CorrelationGroup],
        text: str,
    ) -> SynthesizerOutput:
        claim = Claim(text=text, evidence=lead.evidence[:12])
        return SynthesizerOutput.model_validate(
            {
                "scope": scope,
                "category": category,
                "regions": regions,
                "lead_region": lead.region,
                "groups": [g.model_dump() for g in groups],
                "root_cause": RootCause(
                    category=category,
                    entity=lead.culprit_ref,
                    summary=claim,
                    confidence=lead.confidence,
                ).model_dump(),
                "claims": [claim.model_dump()],
            }
        )
