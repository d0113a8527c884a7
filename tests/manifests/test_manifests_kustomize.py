"""The GitOps tree: every overlay renders, its objects are valid v1alpha1, and regions differ."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from logswarm.api import v1alpha1 as v1
from tests.support.envtest import EnvTest, find_tool

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
OVERLAYS = sorted(p.name for p in (MANIFESTS / "overlays").iterdir() if p.is_dir())
CRDS = MANIFESTS.parent / "crds"
#: The base runs every sample pool (one per topology) in each region.
SAMPLE_POOLS = sum(
    1
    for p in (MANIFESTS / "samples" / "agentpools").glob("*.yaml")
    if p.name != "kustomization.yaml"
)


def kustomize(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(find_tool("kubectl")), "kustomize", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def test_there_is_an_overlay_per_region() -> None:
    assert OVERLAYS == ["eu-west-1", "us-east-1"]


def test_samples_have_a_pool_per_implemented_topology() -> None:
    from logswarm.agents.topology.run import TOPOLOGY_NAMES

    pools = kustomize(MANIFESTS / "samples" / "agentpools")
    assert sorted(p["spec"]["topology"] for p in pools) == sorted(TOPOLOGY_NAMES)


@pytest.mark.parametrize("region", OVERLAYS)
def test_overlay_renders_valid_pools_for_its_region(region: str) -> None:
    documents = kustomize(MANIFESTS / "overlays" / region)
    assert len(documents) == SAMPLE_POOLS
    for document in documents:
        pool = v1.AgentPool.model_validate(document)
        assert pool.spec.region == region
        assert pool.metadata["namespace"] == "logswarm"
        labels = pool.metadata["labels"]
        assert isinstance(labels, dict)
        assert labels["logswarm.io/region"] == region
        assert pool.spec.allowed_approvers == [f"oncall-{region.split('-')[0]}@example.com"]


def test_regions_differ_only_in_region_settings() -> None:
    eu, us = (kustomize(MANIFESTS / "overlays" / r) for r in OVERLAYS)

    def neutral(document: dict[str, Any]) -> dict[str, Any]:
        document["metadata"]["labels"].pop("logswarm.io/region")
        document["spec"].pop("region")
        document["spec"].pop("allowedApprovers")
        return document

    assert [neutral(d) for d in eu] == [neutral(d) for d in us]


@pytest.mark.envtest
@pytest.mark.parametrize("region", OVERLAYS)
def test_overlay_is_accepted_by_the_api_server(envtest: EnvTest, region: str) -> None:
    envtest.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(CRDS))
    selector = "app.kubernetes.io/part-of=logswarm"
    envtest.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "-l", selector)
    envtest.kubectl("create", "namespace", "logswarm", check=False)
    result = envtest.kubectl(
        "apply", "--dry-run=server", "-k", str(MANIFESTS / "overlays" / region), check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("(server dry run)") == SAMPLE_POOLS
