"""Retrieval and memory: hashing embedder, FAISS knowledge base, memory pruning, RAG hit rate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from logswarm.agents.catalogue import load_runbooks
from logswarm.agents.contracts import MemoryInput, RCAInput
from logswarm.agents.environment import AgentEnvironment, default_knowledge_base
from logswarm.agents.errors import ResourceError
from logswarm.agents.memory import ContextMemoryManager, memory_entry
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.agents.retrieval import HashingEmbedder, KnowledgeBase, incident_text, rag_hit_rate
from tests.agents.fakes import bad_deploy_incident, credential_incident, oom_incident


def test_hashing_embedder_is_normalised_and_deterministic() -> None:
    emb = HashingEmbedder(dim=256)
    a = emb.embed(["OOMKilled exit code 137", "OOMKilled exit code 137", ""])
    assert a.shape == (3, 256)
    assert a.dtype == np.float32
    assert np.allclose(a[0], a[1])
    assert np.isclose(np.linalg.norm(a[0]), 1.0)
    assert not a[2].any()


@pytest.mark.parametrize(
    ("incident", "category"),
    [
        (oom_incident(), "oom"),
        (bad_deploy_incident(), "bad_deploy"),
        (credential_incident(), "credential_compromise"),
    ],
)
def test_runbooks_are_retrieved_for_matching_incidents(incident, category) -> None:  # type: ignore[no-untyped-def]
    kb = default_knowledge_base()
    hits = kb.search(incident_text(incident), k=3)
    assert category in [d.category for d, _ in hits]


def test_knowledge_base_saves_and_loads_in_explicit_formats(tmp_path: Path) -> None:
    kb = default_knowledge_base()
    kb.save(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"index.faiss", "docs.json"}
    again = KnowledgeBase.load(tmp_path, embedder=HashingEmbedder())
    query = incident_text(oom_incident())
    assert [d.doc_id for d, _ in again.search(query)] == [d.doc_id for d, _ in kb.search(query)]
    with pytest.raises(ResourceError, match="dimension"):
        KnowledgeBase.load(tmp_path, embedder=HashingEmbedder(dim=64))


def test_memory_keeps_the_newest_successful_fix_per_signature() -> None:
    kb = KnowledgeBase(embedder=HashingEmbedder())
    memory = ContextMemoryManager(kb)
    reasoner = DeterministicReasoner(AgentEnvironment(knowledge=kb, memory=memory))
    incident = oom_incident()
    rca = reasoner.rca(RCAInput(incident=incident)).root_cause
    t = datetime(2026, 3, 1, tzinfo=UTC)
    old_ok = memory_entry(
        incident.model_copy(update={"id": "old"}),
        rca,
        remediation=["patch_resources"],
        outcome="resolved",
        now=t,
    )
    newer_failed = memory_entry(
        incident.model_copy(update={"id": "new"}),
        rca,
        remediation=["restart_deployment"],
        outcome="not_resolved",
        now=t + timedelta(days=1),
    )
    newest_ok = memory_entry(
        incident.model_copy(update={"id": "newest"}),
        rca,
        remediation=["patch_resources"],
        outcome="resolved",
        now=t + timedelta(days=2),
    )
    assert memory.store(old_ok).stored == ["incident:old"]
    out = memory.handle(MemoryInput(operation="store", entry=newer_failed))
    assert out.pruned == ["incident:new"]  # a failed fix does not supersede a working one
    out = memory.store(newest_ok)
    assert out.pruned == ["incident:old"]
    assert [d.doc_id for d in kb.documents] == ["incident:newest"]
    hits = memory.handle(MemoryInput(operation="query", query=incident_text(incident))).hits
    assert hits[0].doc_id == "incident:newest"
    assert hits[0].outcome == "resolved"
    other = memory_entry(
        credential_incident(),
        reasoner.rca(RCAInput(incident=credential_incident())).root_cause,
        remediation=[],
        outcome="resolved",
        now=t,
    )
    memory.store(other)
    assert len(kb) == 2


def test_retrieval_surfaces_remembered_incidents() -> None:
    env = AgentEnvironment.default()
    assert env.memory is not None
    reasoner = DeterministicReasoner(env)
    incident = oom_incident()
    rca = reasoner.rca(RCAInput(incident=incident)).root_cause
    env.memory.store(
        memory_entry(
            incident.model_copy(update={"id": "last-week"}),
            rca,
            remediation=["patch_resources"],
            outcome="resolved",
        )
    )
    from logswarm.agents.contracts import RetrievalInput

    out = reasoner.retrieve(RetrievalInput(incident=incident, k=3))
    assert "incident:last-week" in [d.doc_id for d in out.documents]


def test_rag_hit_rate() -> None:
    results = [(["oom", "dns"], "oom"), (["dns", "oom"], "oom"), (["dns"], "oom"), ([], "x")]
    assert rag_hit_rate(results, k=1) == 0.25
    assert rag_hit_rate(results, k=2) == 0.5
    assert rag_hit_rate([], k=3) == 0.0


def test_packaged_runbooks_cover_every_playbook() -> None:
    from logswarm.agents.catalogue import load_catalogue

    names = {rb.name for rb in load_runbooks()}
    for playbook in load_catalogue().playbooks:
        assert playbook.runbook in names, playbook.id


class WordCountEncoder:
    """A stand-in for logswarm.embeddings' sentence encoder: same two members."""

    @property
    def dimension(self) -> int:
        return 3

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        words = ("memory", "deploy", "key")
        return np.array([[t.lower().count(w) for w in words] for t in texts], dtype=np.float32)


def test_a_sentence_encoder_plugs_in_through_the_adapter() -> None:
    from logswarm.agents.retrieval import EncoderEmbedder, KnowledgeDoc

    kb = KnowledgeBase(embedder=EncoderEmbedder(WordCountEncoder()))
    kb.add(
        [
            KnowledgeDoc(doc_id="a", kind="runbook", title="memory", text="memory memory"),
            KnowledgeDoc(doc_id="b", kind="runbook", title="key", text="access key"),
        ]
    )
    assert kb.search("rotate the key", k=1)[0][0].doc_id == "b"
    assert kb.search("nothing in common", k=2)[0][1] == 0.0
