"""The envtest API server itself: it is the pinned release, ready, and speaks to every client."""

from __future__ import annotations

import json
import os

import kubernetes.client
import pytest

from tests.support.envtest import EnvTest, kubernetes_version

pytestmark = pytest.mark.envtest


def test_api_server_is_ready_and_the_pinned_release(envtest: EnvTest) -> None:
    if not os.environ.get("KUBEBUILDER_ASSETS"):  # prebuilt binaries may be another release
        assert envtest.version == kubernetes_version()
    assert envtest.kubectl("get", "--raw", "/readyz").stdout == "ok"


def test_system_namespaces_exist_and_the_admin_is_cluster_admin(envtest: EnvTest) -> None:
    names = json.loads(envtest.kubectl("get", "namespaces", "-o", "json").stdout)
    assert {"default", "kube-system"} <= {item["metadata"]["name"] for item in names["items"]}
    assert envtest.kubectl("auth", "can-i", "*", "*", "--all-namespaces").stdout.strip() == "yes"


def test_python_client_reads_the_kubeconfig(envtest: EnvTest) -> None:
    with envtest.api_client() as api:
        version = kubernetes.client.VersionApi(api).get_code()
    assert version.git_version == envtest.version
