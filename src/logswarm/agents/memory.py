"""The Context Memory Manager: what was learnt from resolved incidents, for the next one.

It stores a resolved incident (evidence text, root cause, remediation, outcome) in the same
knowledge base the Retrieval agent searches, and prunes what a newer entry supersedes: one
entry per *signature* (cause category + culprit kind + services) is kept — the most recent
successful one, since a remediation that later failed must not be recommended again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from logswarm.agents.contracts import (
    KnowledgeHit,
    MemoryEntry,
    MemoryInput,
    MemoryOutput,
    Outcome,
    RootCause,
)
from logswarm.agents.retrieval import KnowledgeBase, KnowledgeDoc, incident_text
from logswarm.incidents import Incident

__all__ = ["ContextMemoryManager", "memory_entry", "signature_of"]


def signature_of(incident: Incident, cause: RootCause) -> str:
    """Same cause category, same kind of culprit, same services: the same problem again."""
    by_id = {e.id: e for e in incident.entities}
    culprit = by_id.get(cause.entity or "")
    kind = culprit.kind.value if culprit else "none"
    services = ",".join(sorted(incident.services)) or "-"
    return f"{cause.category}|{kind}|{services}"


def memory_entry(
    incident: Incident,
    cause: RootCause,
    *,
    remediation: list[str],
    outcome: Outcome,
    now: datetime | None = None,
) -> MemoryEntry:
    """Build the entry to remember ``incident`` by."""
    return MemoryEntry(
        incident_id=incident.id,
        title=incident.title,
        signature=signature_of(incident, cause),
        category=cause.category,
        root_cause=cause.summary.text,
        remediation=remediation,
        outcome=outcome,
        text=incident_text(incident),
        stored_at=(now or datetime.now(UTC)).isoformat(),
    )


class ContextMemoryManager:
    """Stores, queries and prunes remembered incidents in a :class:`KnowledgeBase`."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.knowledge = knowledge

    def handle(self, request: MemoryInput) -> MemoryOutput:
        """The role's contract: one operation per request."""
        if request.operation == "store":
            if request.entry is None:
                return MemoryOutput()
            return self.store(request.entry)
        if request.operation == "prune":
            return MemoryOutput(pruned=self.prune())
        return MemoryOutput(hits=self.query(request.query or "", k=request.k))

    def store(self, entry: MemoryEntry) -> MemoryOutput:
        doc = KnowledgeDoc(
            doc_id=f"incident:{entry.incident_id}",
            kind="incident",
            title=entry.title,
            text=f"{entry.text}\nRoot cause: {entry.root_cause}",
            category=entry.category,
            remediation=entry.remediation,
            outcome=entry.outcome,
            signature=entry.signature,
            stored_at=entry.stored_at,
        )
        replaced = self.knowledge.remove([doc.doc_id])
        self.knowledge.add([doc])
        pruned = self.prune()
        return MemoryOutput(stored=[doc.doc_id], pruned=[p for p in pruned if p not in replaced])

    def prune(self) -> list[str]:
        """Keep one incident per signature: the newest resolved one, else the newest."""
        best: dict[str, KnowledgeDoc] = {}
        for doc in self.knowledge.documents:
            if doc.kind != "incident" or doc.signature is None:
                continue
            held = best.get(doc.signature)
            if held is None or _rank(doc) > _rank(held):
                best[doc.signature] = doc
        keep = {d.doc_id for d in best.values()}
        stale = [
            d.doc_id
            for d in self.knowledge.documents
            if d.kind == "incident" and d.signature is not None and d.doc_id not in keep
        ]
        return self.knowledge.remove(stale)

    def query(self, text: str, *, k: int = 3) -> list[KnowledgeHit]:
        return [
            KnowledgeHit(
                id=f"K{i}",
                doc_id=doc.doc_id,
                kind=doc.kind,
                title=doc.title,
                score=score,
                excerpt=doc.text[:300],
                category=doc.category,
                remediation=doc.remediation,
                outcome=doc.outcome,
            )
            for i, (doc, score) in enumerate(self.knowledge.search(text, k=k), start=1)
        ]


def _rank(doc: KnowledgeDoc) -> tuple[int, str]:
    return (1 if doc.outcome == "resolved" else 0, doc.stored_at or "")
