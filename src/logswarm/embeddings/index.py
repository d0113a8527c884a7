"""A FAISS vector index with stable string ids, saved with FAISS's own writer plus JSON.

Why: the Retrieval agent asks "which past incidents (or templates) look like this one?". FAISS
answers nearest-neighbour queries over millions of vectors in milliseconds; the ids an agent
cites must be the project's (incident ids, template ids), not FAISS's row numbers, so the
mapping from row to id (and an optional small JSON payload per row) is kept beside the index.

On disk an index is a folder: ``index.faiss`` written by ``faiss.write_index`` and
``ids.json`` (format version, dimension, index kind, ids, payloads). No pickle.

Index kinds: ``"flat"`` (exact inner product: with unit vectors, cosine similarity) for up to a
few hundred thousand vectors; ``"hnsw"`` (graph index, approximate, sub-millisecond search, slow
to build) and ``"ivf"`` (inverted lists, approximate, needs training vectors) beyond.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

__all__ = ["FORMAT", "IndexFormatError", "SearchHit", "VectorIndex"]

FORMAT = "logswarm.vector-index/1"
_INDEX = "index.faiss"
_IDS = "ids.json"
_KINDS = ("flat", "hnsw", "ivf")


class IndexFormatError(ValueError):
    """A saved index folder is missing, incomplete or inconsistent."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One neighbour: the caller's id, its similarity (inner product) and its payload."""

    id: str
    score: float
    payload: dict[str, Any] | None = None


class VectorIndex:
    """Nearest-neighbour search by inner product over ``dimension``-d float32 vectors."""

    def __init__(
        self,
        dimension: int,
        *,
        kind: str = "flat",
        hnsw_m: int = 32,
        ivf_lists: int = 1024,
        ivf_probe: int = 16,
    ) -> None:
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        self.dimension = dimension
        self.kind = kind
        self.ivf_probe = ivf_probe
        self._ids: list[str] = []
        self._payloads: list[dict[str, Any] | None] = []
        self._index: Any
        if kind == "flat":
            self._index = faiss.IndexFlatIP(dimension)
        elif kind == "hnsw":
            self._index = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        else:
            quantizer = faiss.IndexFlatIP(dimension)
            self._index = faiss.IndexIVFFlat(
                quantizer, dimension, ivf_lists, faiss.METRIC_INNER_PRODUCT
            )

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def _matrix(self, vectors: npt.ArrayLike) -> npt.NDArray[np.float32]:
        m = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
        if m.ndim == 1:
            m = m.reshape(1, -1)
        if m.ndim != 2 or m.shape[1] != self.dimension:
            raise ValueError(f"expected vectors of dimension {self.dimension}, got shape {m.shape}")
        return m

    def add(
        self,
        ids: Sequence[str],
        vectors: npt.ArrayLike,
        payloads: Sequence[dict[str, Any] | None] | None = None,
    ) -> None:
        """Add vectors under the caller's ids (an IVF index trains on the first batch)."""
        m = self._matrix(vectors)
        if len(ids) != m.shape[0]:
            raise ValueError(f"{len(ids)} ids for {m.shape[0]} vectors")
        if payloads is not None and len(payloads) != len(ids):
            raise ValueError(f"{len(payloads)} payloads for {len(ids)} ids")
        if not self._index.is_trained:
            self._index.train(m)
        self._index.add(m)
        self._ids.extend(str(i) for i in ids)
        self._payloads.extend(payloads if payloads is not None else [None] * len(ids))

    def search(self, queries: npt.ArrayLike, k: int = 5) -> list[list[SearchHit]]:
        """The ``k`` most similar stored vectors for each query, best first."""
        q = self._matrix(queries)
        if not self._ids:
            return [[] for _ in range(q.shape[0])]
        if self.kind == "ivf":
            self._index.nprobe = self.ivf_probe
        scores, rows = self._index.search(q, min(k, len(self._ids)))
        return [
            [
                SearchHit(self._ids[r], float(s), self._payloads[r])
                for s, r in zip(srow, rrow, strict=True)
                if r >= 0
            ]
            for srow, rrow in zip(scores, rows, strict=True)
        ]

    def save(self, path: str | Path) -> Path:
        """Write the folder ``path``: ``index.faiss`` (FAISS's writer) and ``ids.json``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(folder / _INDEX))
        meta = {
            "format": FORMAT,
            "dimension": self.dimension,
            "kind": self.kind,
            "ivf_probe": self.ivf_probe,
            "ids": self._ids,
            "payloads": self._payloads,
        }
        (folder / _IDS).write_text(json.dumps(meta), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, path: str | Path) -> VectorIndex:
        """Read a folder written by :meth:`save`."""
        folder = Path(path)
        if not (folder / _INDEX).is_file() or not (folder / _IDS).is_file():
            raise IndexFormatError(
                f"{folder} is not a saved vector index: expected {_INDEX} and {_IDS}"
            )
        try:
            meta = json.loads((folder / _IDS).read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise IndexFormatError(f"{folder / _IDS} is not valid JSON: {e}") from e
        if meta.get("format") != FORMAT:
            raise IndexFormatError(
                f"{folder / _IDS} has format {meta.get('format')!r}, expected {FORMAT!r}"
            )
        index = faiss.read_index(str(folder / _INDEX))
        if index.ntotal != len(meta["ids"]) or index.d != meta["dimension"]:
            raise IndexFormatError(
                f"{folder}: the FAISS index holds {index.ntotal} vectors of dimension {index.d}, "
                f"ids.json describes {len(meta['ids'])} of dimension {meta['dimension']}"
            )
        self = cls(int(meta["dimension"]), kind=str(meta["kind"]), ivf_probe=int(meta["ivf_probe"]))
        self._index = index
        self._ids = [str(i) for i in meta["ids"]]
        self._payloads = list(meta["payloads"])
        return self
