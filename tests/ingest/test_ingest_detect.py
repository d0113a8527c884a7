"""Format auto-detection from content, including an ambiguous file and the override."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from logswarm.ingest import FORMATS, UnknownFormatError, detect_format, read_lines, read_logs
from logswarm.records import SourceKind

SAMPLES = {
    "jsonl": '{"time": "2024-01-01T00:00:00Z", "level": "info", "msg": "hi"}\n' * 3,
    "cloudtrail": '{"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", '
    '"eventName": "GetObject"}\n',
    "container": "2024-01-01T00:00:00.1Z stdout F hello\n2024-01-01T00:00:00.2Z stderr P a\n",
    "syslog": "<34>Oct 11 22:14:15 mymachine su: failed\nJun 14 15:16:01 combo sshd[1]: x\n",
    "vpcflow": "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 "
    "4249 1418530010 1418530070 ACCEPT OK\n",
    "csv": "time,level,message\n2024-01-01T00:00:00Z,INFO,hello\n2024-01-01T00:00:01Z,WARN,x\n",
    "text": "081109 203615 148 INFO dfs.DataNode: Receiving block\nplain words here\n",
}


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_detects_each_format(tmp_path, fmt) -> None:
    path = tmp_path / "sample.log"  # the name never decides
    path.write_text(SAMPLES[fmt])
    assert detect_format(path) == fmt
    gz = tmp_path / "sample.bin"
    gz.write_bytes(gzip.compress(SAMPLES[fmt].encode()))
    assert detect_format(gz) == fmt


def test_docker_json_and_records_and_arrays(tmp_path) -> None:
    docker = tmp_path / "d.log"
    docker.write_text(
        json.dumps({"log": "hi\n", "stream": "stdout", "time": "2024-01-01T00:00:00Z"})
    )
    array = tmp_path / "a.json"
    array.write_text('[\n  {"eventSource": "iam.amazonaws.com", "eventName": "ListUsers"}\n]')
    apache = tmp_path / "apache.log"
    apache.write_text("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok\n")
    assert detect_format(docker) == "container"
    assert detect_format(array) == "cloudtrail"
    assert detect_format(apache) == "text"


def test_ambiguous_file_goes_to_the_majority_and_override_wins(tmp_path, dead) -> None:
    # One JSON line among text lines: the majority (text) wins, the JSON line stays a message.
    path = tmp_path / "mixed.log"
    path.write_text('{"msg": "json"}\nplain line one\nplain line two\n')
    assert detect_format(path) == "text"
    records = list(read_logs([path], dead_letters=dead))
    assert [r.source for r in records] == [SourceKind.TEXT] * 3
    # Forcing jsonl reads the same file as JSON: the text lines become dead letters.
    forced = list(read_logs([path], fmt="jsonl", dead_letters=dead))
    assert [r.message for r in forced] == ["json"]
    assert [d.line for d in dead.letters] == [2, 3]


def test_tie_goes_to_the_more_specific_format(tmp_path) -> None:
    path = tmp_path / "tie.log"
    path.write_text("<14>Oct 11 22:14:15 host app: syslog\nfree text\n")
    assert detect_format(path) == "syslog"


def test_unknown_format_lists_the_valid_ones(dead) -> None:
    with pytest.raises(UnknownFormatError) as info:
        read_lines(["x"], fmt="xml", dead_letters=dead)
    assert str(info.value) == ("unknown log format 'xml'; valid formats are: " + ", ".join(FORMATS))
    with pytest.raises(UnknownFormatError):
        read_logs([Path(__file__)], fmt="yaml", dead_letters=dead)


def test_auto_format_for_streams(dead) -> None:
    records = list(read_lines(SAMPLES["syslog"].splitlines(), fmt="auto", dead_letters=dead))
    assert [r.source for r in records] == [SourceKind.SYSLOG] * 2
