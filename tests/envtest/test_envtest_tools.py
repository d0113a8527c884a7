"""kubectl 1.35 and helm 4 from scripts/install/k8s-tools.sh run, and reach the API server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.envtest import EnvTest, find_tool

pytestmark = pytest.mark.envtest

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: smoke\nversion: 0.1.0\n",
    "values.yaml": "# greeting: what the ConfigMap says.\ngreeting: hello\n",
    "templates/configmap.yaml": (
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: {{ .Release.Name }}-smoke\n"
        "data:\n"
        "  greeting: {{ .Values.greeting | quote }}\n"
    ),
}


def _version(tool: str, *args: str) -> str:
    return subprocess.run(
        [str(find_tool(tool)), *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_kubectl_is_1_35_and_helm_is_4() -> None:
    assert "Client Version: v1.35." in _version("kubectl", "version", "--client")
    assert _version("helm", "version", "--template", "{{.Version}}").startswith("v4.")


def test_helm_renders_a_chart_that_applies_to_the_api_server(
    envtest: EnvTest, envtest_namespace: str, tmp_path: Path
) -> None:
    chart = tmp_path / "smoke"
    for name, text in CHART.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)

    envtest.helm("lint", str(chart))
    rendered = envtest.helm(
        "template", "demo", str(chart), "--namespace", envtest_namespace, "--set", "greeting=hi"
    ).stdout
    [configmap] = [doc for doc in yaml.safe_load_all(rendered) if doc]
    assert configmap["metadata"]["name"] == "demo-smoke"
    assert configmap["data"] == {"greeting": "hi"}

    envtest.kubectl("apply", "--dry-run=server", "-n", envtest_namespace, "-f", "-", input=rendered)
    envtest.kubectl("apply", "-n", envtest_namespace, "-f", "-", input=rendered)
    greeting = envtest.kubectl(
        "get", "configmap", "demo-smoke", "-n", envtest_namespace, "-o", "jsonpath={.data.greeting}"
    )
    assert greeting.stdout == "hi"
