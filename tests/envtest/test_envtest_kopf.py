"""kopf, the operator framework, logs in with the fixture's kubeconfig and handles events."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.envtest import EnvTest

pytestmark = pytest.mark.envtest

OPERATOR = """
import kopf

@kopf.on.create("configmaps", labels={"smoke": "kopf"})
def seen(patch, **_):
    patch.metadata.setdefault("annotations", {})["smoke/seen-by"] = "kopf"
"""


def test_kopf_operator_handles_an_object(
    envtest: EnvTest, envtest_namespace: str, tmp_path: Path
) -> None:
    (tmp_path / "operator.py").write_text(OPERATOR)
    log = tmp_path / "operator.log"
    # A file, not a pipe: a chatty operator must never block on a pipe nobody reads yet.
    with log.open("w") as sink:
        operator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kopf",
                "run",
                "--standalone",
                "--namespace",
                envtest_namespace,
                str(tmp_path / "operator.py"),
            ],
            env=envtest.environ(),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        configmap = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "watched", "labels": {"smoke": "kopf"}},
        }
        envtest.kubectl("apply", "-n", envtest_namespace, "-f", "-", input=json.dumps(configmap))
        deadline = time.monotonic() + 60
        while True:  # kopf needs a moment to log in and start watching; poll for its mark
            annotations = envtest.kubectl(
                "get",
                "configmap",
                "watched",
                "-n",
                envtest_namespace,
                "-o",
                "jsonpath={.metadata.annotations.smoke/seen-by}",
            ).stdout
            if annotations == "kopf":
                break
            assert operator.poll() is None, "kopf exited early"
            assert time.monotonic() < deadline, "kopf never handled the ConfigMap"
            time.sleep(0.2)
    finally:
        operator.terminate()
        try:
            operator.wait(timeout=30)
        except subprocess.TimeoutExpired:
            operator.kill()
            operator.wait()
    assert "Handler 'seen' succeeded" in log.read_text()
