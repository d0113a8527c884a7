"""Loghub format strings (``LoghubFormat``) cut the same fields as the published structured files."""

from __future__ import annotations

import pytest

from logswarm.ingest import LogFormatError, LoghubFormat


def test_fields_are_split() -> None:
    fmt = LoghubFormat("<Date> <Time> <Pid> <Level> <Component>: <Content>")
    fields = fmt.parse(
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
        "blk_38865049064139660 terminating\n"
    )
    assert fields is not None
    assert fields["Component"] == "dfs.DataNode$PacketResponder"
    assert fields["Content"] == "PacketResponder 1 for block blk_38865049064139660 terminating"
    assert fmt.parse("not a line of this log") is None


def test_optional_groups_and_escaped_brackets() -> None:
    fmt = LoghubFormat(r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>")
    with_pid = fmt.parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown")
    without = fmt.parse("Jun 14 15:16:02 combo kernel: Linux version 2.6.5")
    assert with_pid is not None
    assert with_pid["PID"] == "19939"
    assert with_pid["Content"] == "check pass; user unknown"
    assert without is not None
    assert without["PID"] == ""
    assert without["Content"] == "Linux version 2.6.5"


@pytest.mark.parametrize("pattern", ["no fields", "<A> <A>", "<A> (<B>"])
def test_bad_formats_are_rejected(pattern: str) -> None:
    with pytest.raises(LogFormatError):
        LoghubFormat(pattern)
