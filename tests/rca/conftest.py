"""Shared fixtures for the RCA tests: the datasets folder (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def datasets() -> Path:
    """The shared public datasets ($LOGSWARM_DATASETS or ../shared/datasets); skip if absent."""
    env = os.environ.get("LOGSWARM_DATASETS")
    root = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "datasets"
    if not root.is_dir():
        pytest.skip(f"shared datasets are not present at {root}")
    return root
