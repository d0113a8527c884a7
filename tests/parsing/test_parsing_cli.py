"""``logswarm templates`` writes one row per input line, in order, never dropping a line."""

from __future__ import annotations

import argparse
import csv
import gzip
from pathlib import Path

import pytest

from logswarm.cli import templates
from logswarm.parsing import TemplateMiner

FORMAT = "<Date> <Time> <Level> <Component>: <Content>"
LINES = [
    "2024-01-01 10:00:00 INFO sshd: Invalid user web.master from 173.234.31.186",
    "this line has no fields at all",
    "2024-01-01 10:00:01 INFO sshd: Invalid user test_9 from 52.80.34.196",
    "",
    "2024-01-01 10:00:02 WARN kernel: Out of memory: Kill process 3124 (java)",
]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    templates.add_parser(parser.add_subparsers())
    return parser.parse_args(["templates", *argv])


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_rows_follow_input_with_unmatched_lines_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "app.log"
    log.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    out = tmp_path / "assignments.csv"
    assert templates.run(parse([str(log), "--log-format", FORMAT, "--out", str(out)])) == 0
    rows = read_rows(out)
    assert [r["line"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[0]["template"] == rows[2]["template"] == "Invalid user <*> from <*>"
    assert rows[0]["template_id"] == rows[2]["template_id"] != ""
    assert rows[1]["template_id"] == rows[1]["template"] == ""
    assert rows[3]["template_id"] == rows[3]["template"] == ""
    assert rows[4]["template"] == "Out of memory: Kill process <*> (java)"
    assert "2 lines did not match the log format" in capsys.readouterr().err


def test_whole_lines_are_mined_without_a_format(tmp_path: Path) -> None:
    log = tmp_path / "app.log.gz"
    with gzip.open(log, "wt", encoding="utf-8") as handle:
        handle.write("job 1 done\r\njob 2 done\ndisk /dev/sda3 is failing now\n")
    out = tmp_path / "a.csv"
    assert templates.run(parse([str(log), "--out", str(out)])) == 0
    rows = read_rows(out)
    assert [(r["line"], r["template"]) for r in rows] == [
        ("1", "job <*> done"),
        ("2", "job <*> done"),
        ("3", "disk <*> is failing now"),
    ]


def test_state_is_saved_and_reused(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("job 1 done\ndisk /dev/sda3 is failing now\n", encoding="utf-8")
    state = tmp_path / "miner.json"
    out = tmp_path / "a.csv"
    assert templates.run(parse([str(log), "--out", str(out), "--state", str(state)])) == 0
    first = read_rows(out)
    assert len(TemplateMiner.load(state)) == 2
    log.write_text("disk /dev/sdb1 is failing now\n", encoding="utf-8")
    assert templates.run(parse([str(log), "--out", str(out), "--state", str(state)])) == 0
    assert read_rows(out)[0]["template_id"] == first[1]["template_id"]


def test_bad_format_and_bad_state_fail_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "app.log"
    log.write_text("x\n", encoding="utf-8")
    out = tmp_path / "a.csv"
    assert (
        templates.run(parse([str(log), "--log-format", "<Level> <Message>", "--out", str(out)]))
        == 2
    )
    state = tmp_path / "miner.json"
    state.write_text('{"format": "logswarm.template-miner", "version": 99}', encoding="utf-8")
    assert templates.run(parse([str(log), "--out", str(out), "--state", str(state)])) == 2
    err = capsys.readouterr().err
    assert "<Content>" in err
    assert "version 99" in err
