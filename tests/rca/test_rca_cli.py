"""``logswarm rca``: the subcommand on a tiny synthetic Stratus folder and on a missing one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logswarm.cli.main import main


def _folder(root: Path) -> None:
    base = root / "aws_cloudtrail_stratus_detonations"
    (base / "detonation-logs").mkdir(parents=True)
    event = {
        "eventVersion": "1.09",
        "eventTime": "2024-07-30T21:31:21Z",
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": "StopLogging",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "1.2.3.4",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s"},
        "requestParameters": {"name": "trail"},
        "recipientAccountId": "1",
    }
    (base / "detonation-logs" / "t1.json").write_text(json.dumps([event]))
    row = {"stratus_technique_id": "t1", "mitre_tactics": "Defense Evasion", "event": event}
    (base / "events_labeled.jsonl").write_text(json.dumps(row) + "\n")


def test_rca_stratus_on_a_tiny_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _folder(tmp_path)
    assert main(["rca", "stratus", "--datasets", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "right tactic: 1/1" in out
    assert "Defense Evasion" in out


def test_rca_missing_datasets_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rca", "nezha", "--datasets", str(tmp_path / "absent")]) == 2
    assert "LOGSWARM_DATASETS" in capsys.readouterr().out
