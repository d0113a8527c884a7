"""Retrieval-augmented context: a FAISS index over runbooks and past incidents.

Seed Model 2's planner asks "what incidents looked like this before, and what fixed them?".
:class:`KnowledgeBase` answers with cosine similarity in a FAISS inner-product index. Vectors
come from an :class:`Embedder`: :mod:`logswarm.embeddings` provides sentence embeddings when
torch is installed; :class:`HashingEmbedder` (signed feature hashing of word uni- and
bigrams) is the dependency-free fallback, so retrieval works in a minimal install and in CI.

Persistence uses explicit formats only: FAISS's own index writer and a JSON list of documents.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from logswarm.agents.catalogue import Runbook
from logswarm.agents.errors import ResourceError
from logswarm.incidents import Incident

__all__ = [
    "Embedder",
    "EncoderEmbedder",
    "HashingEmbedder",
    "KnowledgeBase",
    "KnowledgeDoc",
    "TextEncoder",
    "incident_text",
    "rag_hit_rate",
    "runbook_docs",
]

_TOKEN = re.compile(r"[a-z][a-z0-9_.-]{1,}")


class Embedder(Protocol):
    """Texts to L2-normalised float32 vectors of a fixed dimension."""

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


class TextEncoder(Protocol):
    """The shape of :class:`logswarm.embeddings.model.TextEncoder` (sentence embeddings)."""

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


class EncoderEmbedder:
    """Adapts a :class:`TextEncoder` (e.g. ``logswarm.embeddings``' MiniLM, when torch is
    installed) to :class:`Embedder`, normalising rows so inner product is cosine."""

    def __init__(self, encoder: TextEncoder) -> None:
        self._encoder = encoder

    @property
    def dim(self) -> int:
        return self._encoder.dimension

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = np.asarray(self._encoder.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out: NDArray[np.float32] = np.divide(
            vectors, norms, out=np.zeros_like(vectors), where=norms > 0
        )
        return out


class HashingEmbedder:
    """Signed feature hashing of lower-cased word unigrams and bigrams.

    No vocabulary to fit and nothing to download: good enough to match an incident's templates
    with the runbook or past incident that uses the same words, which is what RAG needs here.
    """

    def __init__(self, dim: int = 1024) -> None:
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = [t.strip(".-_") for t in _TOKEN.findall(text.lower())]
            tokens = [t for t in tokens if t]
            features = tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                sign = 1.0 if value & 1 else -1.0
                out[row, (value >> 1) % self._dim] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out


class KnowledgeDoc(BaseModel):
    """One indexed document: a runbook or a remembered incident."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    kind: Literal["runbook", "incident"]
    title: str
    text: str
    category: str | None = None
    remediation: list[str] = Field(default_factory=list)
    outcome: str | None = None
    signature: str | None = None
    stored_at: str | None = None


class KnowledgeBase:
    """Documents and their vectors in a FAISS ``IndexFlatIP`` (exact cosine search)."""

    def __init__(self, *, embedder: Embedder) -> None:
        self._embedder = embedder
        self._docs: list[KnowledgeDoc] = []
        self._index = self._new_index()

    def _new_index(self) -> Any:
        import faiss  # lazy: keeps `import logswarm.agents` light

        return faiss.IndexFlatIP(self._embedder.dim)

    def __len__(self) -> int:
        return len(self._docs)

    @property
    def documents(self) -> Sequence[KnowledgeDoc]:
        return tuple(self._docs)

    def add(self, docs: Iterable[KnowledgeDoc]) -> None:
        batch = list(docs)
        if not batch:
            return
        vectors = self._embedder.embed([f"{d.title}\n{d.text}" for d in batch])
        self._index.add(vectors)
        self._docs.extend(batch)

    def remove(self, doc_ids: Iterable[str]) -> list[str]:
        """Drop documents by id (the index is rebuilt: flat indexes are cheap to rebuild)."""
        gone = set(doc_ids)
        removed = [d.doc_id for d in self._docs if d.doc_id in gone]
        if removed:
            keep = [d for d in self._docs if d.doc_id not in gone]
            self._docs = []
            self._index = self._new_index()
            self.add(keep)
        return removed

    def search(self, text: str, *, k: int = 3) -> list[tuple[KnowledgeDoc, float]]:
        if not self._docs:
            return []
        query = self._embedder.embed([text])
        scores, ids = self._index.search(query, min(k, len(self._docs)))
        return [
            (self._docs[int(i)], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0
        ]

    def save(self, directory: Path) -> None:
        """Write ``index.faiss`` (FAISS's own format) and ``docs.json``."""
        import faiss

        directory.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(directory / "index.faiss"))
        payload = {
            "version": 1,
            "dim": self._embedder.dim,
            "docs": [d.model_dump() for d in self._docs],
        }
        (directory / "docs.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, *, embedder: Embedder) -> KnowledgeBase:
        import faiss

        try:
            payload = json.loads((directory / "docs.json").read_text(encoding="utf-8"))
            index = faiss.read_index(str(directory / "index.faiss"))
        except (OSError, ValueError, RuntimeError) as e:
            raise ResourceError(f"cannot load knowledge base from {directory}: {e}") from e
        if payload.get("dim") != embedder.dim or index.d != embedder.dim:
            raise ResourceError(
                f"knowledge base dimension {payload.get('dim')} != embedder's {embedder.dim}"
            )
        kb = cls(embedder=embedder)
        kb._docs = [KnowledgeDoc.model_validate(d) for d in payload["docs"]]
        kb._index = index
        return kb


def runbook_docs(runbooks: Iterable[Runbook]) -> list[KnowledgeDoc]:
    return [
        KnowledgeDoc(
            doc_id=f"runbook:{rb.name}",
            kind="runbook",
            title=rb.title,
            text=rb.text,
            category=rb.category,
            remediation=[rb.playbook] if rb.playbook else [],
        )
        for rb in runbooks
    ]


def incident_text(incident: Incident, *, max_samples: int = 8) -> str:
    """What an incident is about, in words: the query text for retrieval."""
    parts = [incident.title]
    parts.extend(t.template for t in incident.templates)
    parts.extend(s.message for s in incident.samples[:max_samples])
    return "\n".join(parts)


def rag_hit_rate(results: Iterable[tuple[Sequence[str | None], str]], *, k: int = 3) -> float:
    """The seed's RAG hit rate: share of queries whose top-``k`` hits include the right answer.

    Each item is (categories of the retrieved documents, best first; the expected category).
    """
    hits = total = 0
    for retrieved, expected in results:
        total += 1
        hits += expected in list(retrieved)[:k]
    return hits / total if total else 0.0
