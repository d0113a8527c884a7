"""Semantic embeddings of templates and incidents, and the FAISS index the Retrieval agent uses.

Why a room of its own: embeddings serve detection (semantic novelty), grouping (incident
clusters) and retrieval (nearest past incidents), and none of those should depend on the
others. The model (all-MiniLM-L6-v2) comes from the optional ``deep`` extra and is loaded
offline; everything downstream takes any :class:`TextEncoder`, so it also runs on other models.
"""

from __future__ import annotations

from logswarm.embeddings.index import IndexFormatError, SearchHit, VectorIndex
from logswarm.embeddings.model import (
    EMBEDDING_DIM,
    EmbeddingModelMissingError,
    TemplateEmbedder,
    TextEncoder,
    default_model_path,
)
from logswarm.embeddings.semantic import (
    SemanticNoveltyDetector,
    cluster_embeddings,
    cluster_incidents,
    cluster_purity,
    incident_text,
)

__all__ = [
    "EMBEDDING_DIM",
    "EmbeddingModelMissingError",
    "IndexFormatError",
    "SearchHit",
    "SemanticNoveltyDetector",
    "TemplateEmbedder",
    "TextEncoder",
    "VectorIndex",
    "cluster_embeddings",
    "cluster_incidents",
    "cluster_purity",
    "default_model_path",
    "incident_text",
]
