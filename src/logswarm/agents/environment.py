"""What an agent may use besides its input: the playbooks, the tools and the knowledge base.

An :class:`AgentEnvironment` is local to the process that runs a role. It never travels over
the role transport: an agent pod builds its own from its configuration (its Prometheus URL,
its cluster credentials, its index), exactly as the CLI builds one from files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from logswarm.agents.catalogue import PlaybookCatalogue, load_catalogue, load_runbooks
from logswarm.agents.memory import ContextMemoryManager
from logswarm.agents.retrieval import Embedder, HashingEmbedder, KnowledgeBase, runbook_docs
from logswarm.agents.tools import Toolbox

__all__ = ["AgentEnvironment", "default_knowledge_base"]


def default_knowledge_base(embedder: Embedder | None = None) -> KnowledgeBase:
    """A knowledge base holding the packaged runbooks."""
    kb = KnowledgeBase(embedder=embedder or HashingEmbedder())
    kb.add(runbook_docs(load_runbooks()))
    return kb


@dataclass(slots=True)
class AgentEnvironment:
    catalogue: PlaybookCatalogue = field(default_factory=load_catalogue)
    toolbox: Toolbox = field(default_factory=Toolbox)
    knowledge: KnowledgeBase | None = None
    memory: ContextMemoryManager | None = None

    @classmethod
    def default(cls, *, toolbox: Toolbox | None = None) -> AgentEnvironment:
        """Packaged catalogue, runbooks indexed with the hashing embedder, memory on top."""
        kb = default_knowledge_base()
        return cls(
            catalogue=load_catalogue(),
            toolbox=toolbox or Toolbox(),
            knowledge=kb,
            memory=ContextMemoryManager(kb),
        )
