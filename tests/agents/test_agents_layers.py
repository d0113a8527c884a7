"""Layering rules of the agents package that import-linter cannot see on its own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "logswarm"
IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(litellm|kubernetes|boto3|botocore|kopf)\b", re.MULTILINE
)
ALLOWED = {
    "litellm": {"agents/llm.py"},
    "kubernetes": {"agents/tools/kube_reader.py"},
}


def test_only_the_named_modules_import_litellm_or_kubernetes() -> None:
    for path in sorted((SRC / "agents").rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        for module in IMPORT.findall(path.read_text(encoding="utf-8")):
            assert rel in ALLOWED.get(module, set()), f"{rel} imports {module}"


def test_importing_the_agents_package_does_not_load_litellm() -> None:
    code = (
        "import sys, logswarm.agents, logswarm.agents.llm, logswarm.agents.tools.kube_reader;"
        "bad = [m for m in ('litellm', 'kubernetes', 'faiss') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""
