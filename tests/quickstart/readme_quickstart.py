"""Runs the README's cluster quick start, command by command, against a real API server.

The README must not drift from what the operator does: its quick start block is the script.
Each ``kubectl`` / ``helm`` line of the block between ``<!-- quickstart:commands -->`` markers
runs as written against a fresh envtest cluster (real kube-apiserver + etcd); the output block
between ``<!-- quickstart:output -->`` markers is what those commands printed.

envtest has no kubelet, so the chart's operator Deployment never gets a pod. The one thing
done differently from a real cluster is therefore to run the operator from this machine,
logged in as the chart's own ServiceAccount (a client certificate for that user name), so the
chart's RBAC is what is tested. ``--watch`` lines are run as "poll until the Remediation
reaches a final phase, then print the table once".

Refresh the README's output block after a behaviour change::

    .venv/bin/python tests/quickstart/readme_quickstart.py --write
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.envtest import EnvTest, running_envtest  # noqa: E402

README = REPO_ROOT / "README.md"
COMMANDS_MARK = "<!-- quickstart:commands -->"
OUTPUT_MARK = "<!-- quickstart:output -->"
#: Phases after which a Remediation never changes again.
FINAL_PHASES = {"Succeeded", "RolledBack", "Failed", "Rejected", "Expired"}
#: kubectl's AGE / LAST SEEN cells ("7s", "2m3s", "5h"), the only run-to-run difference.
_AGE = re.compile(r"(?<![\w.])\d+[smhd](\d+[smhd])?(?![\w.])")
#: Confidences and other fractions: the reasoner may move them without changing the story.
_FRACTION = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")


class QuickstartError(AssertionError):
    """A quick start command failed or the cluster never reached the state it shows."""


@dataclass(frozen=True)
class Step:
    command: str
    output: str


def _block_after(text: str, mark: str) -> tuple[int, int]:
    """Start and end offsets of the fenced block's body that follows ``mark``."""
    at = text.index(mark)
    start = text.index("\n", text.index("```", at)) + 1
    end = text.index("```", start)
    return start, end


def readme_commands(text: str) -> list[str]:
    start, end = _block_after(text, COMMANDS_MARK)
    commands = []
    for raw in text[start:end].splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def readme_output(text: str) -> str:
    start, end = _block_after(text, OUTPUT_MARK)
    return text[start:end]


def normalise(output: str) -> list[str]:
    """Lines without ages and with single spaces: what must match between runs."""
    lines = []
    for line in output.splitlines():
        line = _FRACTION.sub("<num>", _AGE.sub("<age>", line))
        lines.append(" ".join(line.split()))
    return [line for line in lines if line]


def render(steps: list[Step]) -> str:
    return "".join(f"$ {s.command}\n{s.output.rstrip()}\n\n" for s in steps).rstrip() + "\n"


def _remediation_phases(cluster: EnvTest, namespace: str) -> list[str | None]:
    result = cluster.kubectl("get", "remediations", "-n", namespace, "-o", "json", check=False)
    if result.returncode != 0:
        return []
    items = json.loads(result.stdout)["items"]
    return [(item.get("status") or {}).get("phase") for item in items]


def _every_remediation_has_a_phase(cluster: EnvTest, namespace: str) -> bool:
    phases = _remediation_phases(cluster, namespace)
    return bool(phases) and all(phases)


def _every_remediation_is_final(cluster: EnvTest, namespace: str) -> bool:
    return all(p in FINAL_PHASES for p in _remediation_phases(cluster, namespace))


def _incidents_settled(cluster: EnvTest, namespace: str) -> bool:
    result = cluster.kubectl("get", "incidents", "-n", namespace, "-o", "json", check=False)
    if result.returncode != 0:
        return False
    items = json.loads(result.stdout)["items"]
    return bool(items) and all(
        any(c["type"] == "Analysed" for c in (i.get("status") or {}).get("conditions", []))
        for i in items
    )


def _eventually(probe: Callable[[], bool], what: str, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            tail = log.read_text()[-4000:] if log.exists() else ""
            raise QuickstartError(f"timed out waiting for {what}\n--- operator log ---\n{tail}")
        time.sleep(0.3)


def _namespace_of(argv: list[str]) -> str:
    for flag in ("-n", "--namespace"):
        if flag in argv:
            return argv[argv.index(flag) + 1]
    return "default"


@contextmanager
def _operator_as_chart_account(
    cluster: EnvTest, release_namespace: str, account: str, log: Path
) -> Iterator[None]:
    kubeconfig = cluster.kubeconfig_for(
        f"system:serviceaccount:{release_namespace}:{account}",
        groups=["system:serviceaccounts", f"system:serviceaccounts:{release_namespace}"],
    )
    env = {
        **cluster.environ(),
        "KUBECONFIG": str(kubeconfig),
        # The chart's default grace is two minutes; nothing in envtest ever becomes ready.
        "LOGSWARM_VERIFY_GRACE_SECONDS": "3",
        "LOGSWARM_VERIFY_INTERVAL_SECONDS": "1",
    }
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "logswarm.operator", "--verbose"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
        )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _helm_release(argv: list[str]) -> tuple[str, str]:
    """Release name and namespace of ``helm install NAME CHART -n NS``."""
    positional = [a for a in argv[2:] if not a.startswith("-")]
    return positional[0], _namespace_of(argv)


def run_quickstart(cluster: EnvTest, commands: list[str], workdir: Path) -> list[Step]:
    """Run ``commands`` as the README shows them; the operator starts after ``helm install``."""
    steps: list[Step] = []
    log = workdir / "operator.log"
    with contextlib.ExitStack() as stack:
        for command in commands:
            argv = shlex.split(command)
            tool = argv[0]
            if tool not in ("kubectl", "helm"):
                raise QuickstartError(f"the quick start may only run kubectl and helm: {command}")
            args = argv[1:]
            watch = "--watch" in args or "-w" in args
            if tool == "kubectl" and args[:1] == ["get"]:
                namespace = _namespace_of(argv)
                if "incidents" in args[1] or "remediations" in args[1]:
                    _eventually(
                        functools.partial(_incidents_settled, cluster, namespace),
                        "the incident to be analysed",
                        log,
                    )
                if "remediations" in args[1]:
                    _eventually(
                        functools.partial(_every_remediation_has_a_phase, cluster, namespace),
                        "a Remediation with a phase",
                        log,
                    )
                if watch:
                    _eventually(
                        functools.partial(_every_remediation_is_final, cluster, namespace),
                        "every Remediation to reach a final phase",
                        log,
                    )
                    args = [a for a in args if a not in ("--watch", "-w")]
            run = cluster.kubectl if tool == "kubectl" else cluster.helm
            result = run(*args, check=False)
            if result.returncode != 0:
                raise QuickstartError(f"`{command}` exited {result.returncode}:\n{result.stderr}")
            output = result.stdout
            if tool == "helm":
                # helm's notes carry the deploy time; keep the lines a reader needs.
                output = "\n".join(
                    line for line in output.splitlines() if not line.startswith("LAST DEPLOYED")
                )
            steps.append(Step(command, output))
            if tool == "helm" and args[:1] == ["install"]:
                release, namespace = _helm_release(argv)
                account = _chart_account(cluster, release, namespace)
                stack.enter_context(_operator_as_chart_account(cluster, namespace, account, log))
    return steps


def _chart_account(cluster: EnvTest, release: str, namespace: str) -> str:
    result = cluster.kubectl(
        "get",
        "serviceaccounts",
        "-n",
        namespace,
        "-l",
        f"app.kubernetes.io/instance={release}",
        "-o",
        "json",
    )
    items: list[dict[str, Any]] = json.loads(result.stdout)["items"]
    if len(items) != 1:
        raise QuickstartError(f"expected one ServiceAccount from release {release}: {items}")
    return str(items[0]["metadata"]["name"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the README's output block")
    options = parser.parse_args(argv)
    text = README.read_text()
    with tempfile.TemporaryDirectory() as tmp, running_envtest() as cluster:
        steps = run_quickstart(cluster, readme_commands(text), Path(tmp))
    rendered = render(steps)
    if options.write:
        start, end = _block_after(text, OUTPUT_MARK)
        README.write_text(text[:start] + rendered + text[end:])
        print(f"wrote {len(steps)} commands' output into {README}")
    else:
        print(rendered)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
