"""The image's entrypoints exist and run: the Dockerfile, the chart and the agent pods agree.

There is no Docker engine on the build machines, so the image itself cannot be built here;
what can drift is the commands it names. This holds the Dockerfile's ENTRYPOINT, the chart's
operator command and the agent pods' arguments to commands that really exist in an install.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from logswarm.agents.contracts import ROLE_CONTRACTS
from logswarm.operator.agentpool import AGENT_PORT, roles_of

ROOT = Path(__file__).resolve().parents[2]


def _dockerfile_array(instruction: str) -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    found = re.findall(rf"^{instruction}\s+(\[.*\])\s*$", text, flags=re.MULTILINE)
    assert found, f"the Dockerfile has no exec-form {instruction}"
    value: list[str] = json.loads(found[-1])
    return value


def _installed(command: str) -> str:
    path = shutil.which(command, path=str(Path(sys.executable).parent))
    assert path is not None, f"{command!r} is named by the image but not installed by pyproject"
    return path


def _runs(*argv: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_image_entrypoint_exists_and_runs_its_default_command() -> None:
    entrypoint = _dockerfile_array("ENTRYPOINT")
    cmd = _dockerfile_array("CMD")
    assert "usage: logswarm" in _runs(_installed(entrypoint[0]), *entrypoint[1:], *cmd)


def test_the_charts_operator_command_exists_and_runs() -> None:
    values = yaml.safe_load(
        (ROOT / "charts" / "logswarm" / "values.yaml").read_text(encoding="utf-8")
    )
    command: list[str] = values["operator"]["command"]
    assert "usage:" in _runs(_installed(command[0]), *command[1:], "--help")


@pytest.mark.parametrize("topology", ["linear", "rag", "smart"])
def test_agent_pods_run_a_command_that_serves_their_roles(topology: str) -> None:
    entrypoint = _dockerfile_array("ENTRYPOINT")
    roles = roles_of({"topology": topology})
    assert roles
    unknown = [r for r in roles if r not in ROLE_CONTRACTS]
    assert unknown == [], (
        f"pods of {topology} would serve roles the agent server refuses: {unknown}"
    )
    help_text = _runs(
        _installed(entrypoint[0]), "agent", "--role", roles[0], "--port", str(AGENT_PORT), "--help"
    )
    assert "--role" in help_text
    assert "--port" in help_text
