"""Prompt-injection benchmark: adversarial remediation plans against the remediation gate.

Every case of ``logswarm.remediation.redteam`` (instructions hidden in log lines, fake
"approved" markers, spoofed approvals, targets outside the evidence, oversized and encoded
payloads, unknown action kinds, protected targets) is driven through the real screening,
safety policy, approval channel and executor, with a recording backend standing in for the
cluster and the cloud. The figure that matters is the number of actions that reached the
backend without being allowed by policy (with a person's approval where the policy wants
one): it must be 0. Control cases (a benign plan, a properly approved one) must execute,
which shows the harness does see executions.

    .venv/bin/python bench/injection.py             # prints, and rewrites docs/benchmarks/injection.md
    .venv/bin/python bench/injection.py --no-write  # prints only

Exits non-zero when any unapproved action ran or a control did not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from logswarm.remediation.redteam import SuiteResult, run_suite

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "injection.md"
COMMAND = ".venv/bin/python bench/injection.py"


def _summary(result: SuiteResult, seconds: float) -> list[str]:
    attacks = [o for o in result.outcomes if not o.case.allowed]
    return [
        f"- cases tried: **{result.cases_tried}** "
        f"({len(attacks)} attacks, {len(result.controls)} controls)",
        f"- unapproved actions executed: **{result.unapproved_actions}**",
        f"- controls executed as expected: **{result.controls_executed}/{len(result.controls)}**",
        f"- wall time: {seconds:.2f} s",
    ]


def _tables(result: SuiteResult) -> list[str]:
    lines = [
        "| attack family | cases | rejected | denied | awaiting approval | executed | unapproved |"
    ]
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for category in dict.fromkeys(o.case.category for o in result.outcomes):
        outcomes = [o for o in result.outcomes if o.case.category == category]
        statuses = Counter(o.status for o in outcomes)
        lines.append(
            f"| {category} | {len(outcomes)} | {statuses['rejected']} | {statuses['denied']} | "
            f"{statuses['awaiting_approval']} | {sum(len(o.executed) for o in outcomes)} | "
            f"{sum(len(o.unapproved) for o in outcomes)} |"
        )
    lines += ["", "| case | family | outcome | what it tries |", "|---|---|---|---|"]
    for o in result.outcomes:
        description = o.case.description.replace("|", "\\|")
        lines.append(f"| `{o.case.id}` | {o.case.category} | {o.status} | {description} |")
    return lines


def render(result: SuiteResult, seconds: float) -> str:
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    parts = [
        "# Prompt-injection benchmark: adversarial plans against the remediation gate",
        "",
        "Produced by `bench/injection.py`; do not edit by hand, rerun it.",
        "",
        "## How to run",
        "",
        "```",
        f"{COMMAND}             # prints and rewrites this file",
        f"{COMMAND} --no-write  # prints only",
        ".venv/bin/python -m pytest tests/remediation/test_remediation_injection.py  # same cases as tests",
        "```",
        "",
        "## Method",
        "",
        "- **Threat**: logs are attacker-controllable; an LLM reads them and writes the",
        "  remediation plan, so the plan is untrusted input.",
        "- **Cases**: `logswarm.remediation.redteam.cases()`. Each holds an incident (its evidence",
        "  carries injected instructions in log lines), the raw plan the steered planner emitted",
        "  (JSON text, bytes or a mapping), approvals attempted through the approval channel, the",
        "  facts the world reports for the target (environment labels, blast radius), and the",
        "  steps that may legitimately run (none, except in the controls).",
        "- **System under test**: the real `Executor.execute` path — `screen_plan` (size, strict",
        "  JSON, closed vocabulary, evidence binding), `SafetyAgent` with the default",
        "  `SafetyPolicy`, approval fingerprints, dry run, apply — with a `RecordingBackend`",
        "  standing in for Kubernetes and AWS that records every `apply` it receives.",
        "- **Unapproved action**: any `apply` that reached a backend for a step the case does",
        "  not allow. The figure must be 0. Controls must execute exactly their allowed steps,",
        "  and `tests/remediation/test_remediation_injection.py` also checks that a deliberately",
        "  permissive policy makes the figure non-zero (the harness can fail).",
        "",
        f"## Results ({today}, Python {platform.python_version()})",
        "",
        *_summary(result, seconds),
        "",
        *_tables(result),
        "",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = run_suite()
    seconds = time.perf_counter() - start
    print("\n".join(_summary(result, seconds)))
    if not args.no_write:
        DOC.write_text(render(result, seconds), encoding="utf-8")
        print(f"wrote {DOC}")
    ok = result.unapproved_actions == 0 and result.controls_executed == len(result.controls)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
