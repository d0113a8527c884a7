"""Masking turns each kind of variable into ``<*>`` and leaves constant words alone."""

from __future__ import annotations

import pytest

from logswarm.parsing import Masker, mask, mask_tokens


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("connect to 10.0.0.1 failed", "connect to <*> failed"),
        ("10.0.0.1:8080 open", "<*>:<*> open"),
        ("Received connection request /10.10.34.11:45307", "Received connection request /<*>:<*>"),
        ("peer fe80::1ff:fe23:4567:890a up", "peer <*> up"),
        ("peer 2001:db8::1 up", "peer <*> up"),
        ("listen on ::1", "listen on <*>"),
        ("id 123e4567-e89b-12d3-a456-426614174000 done", "id <*> done"),
        ("role arn:aws:iam::123456789012:role/Admin assumed", "role <*> assumed"),
        ("bucket arn:aws:s3:::my-bucket read", "bucket <*> read"),
        ("GET https://api.example.com/v1/items?id=7 ok", "GET <*> ok"),
        ("mail to alice@example.com sent", "mail to <*> sent"),
        ("opened /var/log/syslog for append", "opened <*> for append"),
        ("loaded C:\\Windows\\System32\\drivers.sys", "loaded <*>"),
        ("mac 00:1a:2b:3c:4d:5e seen", "mac <*> seen"),
        ("read 0x7fff5a3b bytes", "read <*> bytes"),
        ("hash deadbeef12345678 ok", "hash <*> ok"),
        ("size 12KB after 3.5s", "size <*> after <*>"),
        ("took 250ms", "took <*>"),
        ("retry -1 of +3", "retry <*> of <*>"),
        ("uid=0 euid=0", "uid=<*> euid=<*>"),
        ("block blk_-1608999687919862906 stored", "block <*> stored"),
        ("at 2016-09-28 04:30:30 done", "at <*> done"),
        ("connection at Sun Jul 10 03:04:05 2005", "connection at <*>"),
    ],
)
def test_variables_are_masked(message: str, expected: str) -> None:
    assert mask(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "Instance destroyed successfully.",
        "session closed for user root",
        "Failed to get next element",
        "workerEnv.init() ok",
        "key: value, other: thing",
    ],
)
def test_constant_words_are_kept(message: str) -> None:
    assert mask(message) == message


def test_tokens_split_on_whitespace_after_masking() -> None:
    assert mask_tokens("  from 10.0.0.1\tport 22 ") == ["from", "<*>", "port", "<*>"]


def test_classical_rules_keep_digit_words() -> None:
    narrow = Masker(mask_digit_pieces=False)
    assert narrow("Accepted password for root port 22 ssh2") == (
        "Accepted password for root port <*> ssh2"
    )
    assert narrow("read 0x1f after 20ms") == "read <*> after <*>"
    # The broad rule keeps a word with one trailing digit (a protocol, not a value).
    assert mask("Accepted password for root port 22 ssh2") == (
        "Accepted password for root port <*> ssh2"
    )
    assert mask("user test12 via SOCKS5 on eth0") == "user <*> via SOCKS5 on eth0"


def test_host_with_port_is_masked() -> None:
    assert mask("proxy.example.org:5070 open through proxy") == "<*>:<*> open through proxy"
    assert mask("see docs.example.org for help") == "see docs.example.org for help"


@pytest.mark.parametrize(
    "message",
    [
        "Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6",
        "at 2016-09-28 04:30:30 done after 12ms via ssh2",
        "peer fe80::1ff:fe23:4567:890a up, id 123e4567-e89b-12d3-a456-426614174000",
    ],
)
def test_masking_depends_only_on_the_shape(message: str) -> None:
    from logswarm.parsing.masking import shape

    other = message.translate(str.maketrans("0123456789", "9876543210"))
    if shape(other) == shape(message):
        assert mask(other) == mask(message)
    assert mask(message) == Masker().masked_shape(shape(message))
