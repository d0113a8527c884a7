"""Semantic anomaly (a template far from every known one) and clustering of incidents.

Why: sequence detectors see template *ids*; a template they have never seen is just "unknown".
Its embedding says more: a new ``Connection to 10.0.0.7 refused`` near the known
``Connection to <*> refused`` is a parser artefact, a new ``Kernel panic`` far from everything is
news. :class:`SemanticNoveltyDetector` scores a template by its cosine similarity to the
nearest known template, calibrated like every LogSwarm detector on the known ones (each
template's similarity to its nearest *other* known template, so the threshold reflects how close
distinct normal templates usually are).

Clustering groups incidents that read alike (title plus top templates) so that the Retrieval
agent and the reports can say "this looks like incident X"; :func:`cluster_purity` is the seed's
cluster-purity metric for scoring that grouping against ground truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.cluster import AgglomerativeClustering

from logswarm.detect.base import BaseDetector
from logswarm.embeddings.index import VectorIndex
from logswarm.embeddings.model import TemplateEmbedder, TextEncoder
from logswarm.incidents import Incident

__all__ = [
    "SemanticNoveltyDetector",
    "cluster_embeddings",
    "cluster_incidents",
    "cluster_purity",
    "incident_text",
]

FloatArray = npt.NDArray[np.float64]


class SemanticNoveltyDetector(BaseDetector):
    """Flags templates whose nearest known template is semantically far (input: template texts)."""

    known_: list[str]
    index_: VectorIndex

    def __init__(self, *, encoder: TextEncoder | None = None, target_fpr: float = 0.01) -> None:
        self.encoder = encoder
        self.target_fpr = target_fpr

    def _encoder(self) -> TextEncoder:
        if self.encoder is None:
            # Created once and kept: it caches the model and the embeddings.
            self.encoder = TemplateEmbedder()
        return self.encoder

    def _validate(self, X: Any, *, reset: bool) -> Any:
        texts = [X] if isinstance(X, str) else [str(t) for t in X]
        if not texts:
            raise ValueError("no templates given")
        if reset:
            self.n_features_in_ = 1
        return texts

    def _fit(self, X: list[str]) -> FloatArray:
        self.known_ = list(dict.fromkeys(X))
        vectors = self._encoder().encode(self.known_)
        self.index_ = VectorIndex(vectors.shape[1])
        self.index_.add([str(i) for i in range(len(self.known_))], vectors)
        if len(self.known_) < 2:
            return np.ones(1)
        # Leave-one-out: each known template's similarity to its nearest other known template.
        hits = self.index_.search(vectors, k=2)
        return np.array(
            [next(h.score for h in row if h.id != str(i)) for i, row in enumerate(hits)]
        )

    def _score(self, X: list[str]) -> FloatArray:
        known = set(self.known_)
        vectors = self._encoder().encode(X)
        hits = self.index_.search(vectors, k=1)
        return np.array(
            [1.0 if t in known else row[0].score for t, row in zip(X, hits, strict=True)]
        )

    def nearest(self, templates: Sequence[str]) -> list[tuple[str, float]]:
        """The nearest known template of each input and its cosine similarity (for evidence)."""
        hits = self.index_.search(self._encoder().encode(list(templates)), k=1)
        return [(self.known_[int(row[0].id)], row[0].score) for row in hits]


def incident_text(incident: Incident, *, top: int = 5) -> str:
    """What an incident reads like: its title and most frequent templates."""
    templates = sorted(incident.templates, key=lambda t: -t.count)[:top]
    return " | ".join([incident.title, *(t.template for t in templates)])


def cluster_embeddings(vectors: npt.ArrayLike, *, min_similarity: float = 0.75) -> list[int]:
    """Average-linkage clusters of unit vectors: members are on average ≥ ``min_similarity`` alike."""
    m = np.asarray(vectors, dtype=np.float64)
    if m.shape[0] == 0:
        return []
    if m.shape[0] == 1:
        return [0]
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=1.0 - min_similarity,
    )
    return [int(v) for v in model.fit_predict(m)]


def cluster_incidents(
    incidents: Sequence[Incident],
    *,
    encoder: TextEncoder | None = None,
    min_similarity: float = 0.75,
) -> dict[str, int]:
    """Cluster label of each incident id (incidents that read alike share a label)."""
    enc = encoder if encoder is not None else TemplateEmbedder()
    vectors = enc.encode([incident_text(i) for i in incidents])
    labels = cluster_embeddings(vectors, min_similarity=min_similarity)
    return {i.id: label for i, label in zip(incidents, labels, strict=True)}


def cluster_purity(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """The seed's cluster purity: Σ over clusters of its largest true class, over all items.

    1.0 when every cluster holds a single true class; it does not punish splitting a class
    across clusters, so report the number of clusters beside it.
    """
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels for {len(predicted)} predicted")
    if not truth:
        raise ValueError("purity of zero items is undefined")
    members: dict[Hashable, Counter[Hashable]] = {}
    for t, p in zip(truth, predicted, strict=True):
        members.setdefault(p, Counter())[t] += 1
    return sum(c.most_common(1)[0][1] for c in members.values()) / len(truth)
