"""The README's cluster quick start works, as written, against a real API server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.quickstart.readme_quickstart import (
    README,
    normalise,
    readme_commands,
    readme_output,
    render,
    run_quickstart,
)
from tests.support.envtest import running_envtest

pytestmark = pytest.mark.envtest


def test_readme_quick_start_runs_and_its_output_is_current(tmp_path: Path) -> None:
    # A cluster of its own: the quick start begins with `helm install` on an empty cluster,
    # and Helm will not adopt CRDs that other tests applied to the shared one.
    text = README.read_text()
    commands = readme_commands(text)
    assert commands[0].startswith("helm install"), commands
    with running_envtest() as cluster:
        steps = run_quickstart(cluster, commands, tmp_path)
    assert [s.command for s in steps] == commands
    captured = render(steps)
    assert normalise(captured) == normalise(readme_output(text)), (
        "the README's quick start output is stale; refresh it with "
        "`.venv/bin/python tests/quickstart/readme_quickstart.py --write`\n" + captured
    )
