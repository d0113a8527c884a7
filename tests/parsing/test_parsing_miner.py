"""The miner: learning vs read-only matching, stable ids, and versioned JSON state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logswarm.parsing import (
    STATE_FORMAT,
    MinerConfig,
    TemplateMiner,
    TemplateStateError,
)

# Real lines (Loghub HDFS, OpenSSH, Zookeeper), copied inline so these tests always run.
LINES = [
    "PacketResponder 1 for block blk_38865049064139660 terminating",
    "Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6",
    "PacketResponder 0 for block blk_-6952295868487656571 terminating",
    "Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
    "Received block blk_-5139040178853744390 of size 67108864 from /10.251.39.160",
    "Accepted password for root from 183.62.140.253 port 34926 ssh2",
    "Received connection request /10.10.34.11:45307",
    "Received connection request /10.10.34.13:37174",
    "Invalid user webmaster from 173.234.31.186",
    "Invalid user test9 from 52.80.34.196",
    "Connection closed by 212.47.254.145 [preauth]",
    "Connection closed by 5.36.59.76 [preauth]",
]


def learnt(lines: list[str] = LINES) -> tuple[TemplateMiner, list[int]]:
    miner = TemplateMiner()
    return miner, [miner.learn(line).template_id for line in lines]


def test_learn_creates_then_generalises() -> None:
    miner = TemplateMiner()
    first = miner.learn("Invalid user web.master from 173.234.31.186")
    second = miner.learn("Invalid user test_9 from 52.80.34.196")
    assert first.created
    assert not second.created
    assert first.template_id == second.template_id
    assert second.template == "Invalid user <*> from <*>"
    assert miner.templates == {first.template_id: "Invalid user <*> from <*>"}
    assert len(miner) == 1


def test_generalisation_keeps_keys() -> None:
    miner = TemplateMiner()
    miner.learn("login ok user=root shell=bash")
    match = miner.learn("login ok user=admin shell=bash")
    assert match.template == "login ok user=<*> shell=bash"


def test_different_events_get_different_ids() -> None:
    miner, ids = learnt()
    # "Invalid user webmaster / test9" and "Accepted password for fztu / root" stay split:
    # too few distinct words yet to tell a variable from an event name (split_max_values).
    assert len(set(ids)) == len(miner) == 8
    assert miner.templates[ids[0]] == "PacketResponder <*> for block <*> terminating"
    assert miner.templates[ids[1]] == "Received block <*> of size <*> from /<*>"
    assert miner.templates[ids[10]] == "Connection closed by <*> [preauth]"


def test_match_never_mutates() -> None:
    miner, _ = learnt()
    before = json.dumps(miner.to_state(), sort_keys=True)
    found = miner.match("PacketResponder 2 for block blk_1 terminating")
    assert found is not None
    assert found.template == "PacketResponder <*> for block <*> terminating"
    assert not found.created
    # Unknown events are not added, and a near match does not generalise anything.
    assert miner.match("a completely new kind of message") is None
    # A third user name would open a new split group: match reports None, learns nothing.
    assert miner.match("Invalid user admin from somewhere.example.org") is None
    assert miner.match("Connection closed by 10.1.1.1 [preauth]") is not None
    assert json.dumps(miner.to_state(), sort_keys=True) == before


def test_match_agrees_with_learn_on_learnt_lines() -> None:
    miner, ids = learnt()
    for line, template_id in zip(LINES, ids, strict=True):
        found = miner.match(line)
        assert found is not None
        assert found.template_id == template_id


def test_ids_are_deterministic_for_the_same_order() -> None:
    one, ids_one = learnt()
    two, ids_two = learnt()
    assert ids_one == ids_two
    assert one.templates == two.templates
    assert ids_one[0] == 0  # ids count from 0 in order of first appearance


def test_variable_length_runs_share_one_template() -> None:
    lines = [
        "Registered handlers for h-1 h-2 then ready",
        "Registered handlers for h-3 h-4 then ready",
        "Registered handlers for h-5 h-6 h-7 then ready",
    ]
    miner = TemplateMiner()
    a, _, b = (miner.learn(line) for line in lines)
    assert b.template_id == a.template_id
    assert not b.created
    assert b.template == "Registered handlers for <*> then ready"
    assert len(miner) == 1

    separate = TemplateMiner(MinerConfig(merge_variable_runs=False))
    a, _, b = (separate.learn(line) for line in lines)
    assert b.template_id != a.template_id
    assert b.created
    assert len(separate) == 2


def test_save_load_round_trip_gives_identical_assignments(tmp_path: Path) -> None:
    miner, _ = learnt(LINES[:8])
    path = tmp_path / "miner.json"
    miner.save(path)
    loaded = TemplateMiner.load(path)
    assert loaded.templates == miner.templates
    assert loaded.to_state() == miner.to_state()
    for line in LINES:
        assert loaded.match(line) == miner.match(line)
    # Learning goes on identically after a reload.
    assert [loaded.learn(x) for x in LINES[8:]] == [miner.learn(x) for x in LINES[8:]]
    assert loaded.to_state() == miner.to_state()


def test_state_is_explicit_versioned_json(tmp_path: Path) -> None:
    miner, _ = learnt()
    path = tmp_path / "miner.json"
    miner.save(path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["format"] == STATE_FORMAT
    assert raw["version"] == 2
    assert raw["config"]["similarity_threshold"] == MinerConfig().similarity_threshold
    assert raw["clusters"][0]["template"] == [
        "PacketResponder",
        "<*>",
        "for",
        "block",
        "<*>",
        "terminating",
    ]


def test_unknown_version_is_rejected() -> None:
    state = TemplateMiner().to_state()
    state["version"] = 1  # the pre-split layout: refused rather than misread
    with pytest.raises(TemplateStateError, match="unsupported template miner state version 1"):
        TemplateMiner.from_state(state)


@pytest.mark.parametrize(
    "state",
    [
        {"format": "drain3", "version": 2},
        {
            "format": STATE_FORMAT,
            "version": 2,
            "config": {"depth": 4, "colour": "red"},
            "clusters": [],
            "templates": [],
        },
        {"format": STATE_FORMAT, "version": 2, "config": {}, "clusters": [{"id": 3}]},
        {
            "format": STATE_FORMAT,
            "version": 2,
            "config": {"depth": 1},
            "clusters": [],
            "templates": [],
        },
        {
            "format": STATE_FORMAT,
            "version": 2,
            "config": {},
            "clusters": [{"template": ["a", "<*>"], "path": ["a", "<*>"], "size": 1, "split": []}],
            "templates": [{"id": 0, "cluster": 5, "values": [], "group": 0}],
        },
        {
            "format": STATE_FORMAT,
            "version": 2,
            "config": {},
            "clusters": [
                {"template": ["a", "b"], "path": ["a", "b"], "size": 1, "split": [[1, ["b"]]]}
            ],
            "templates": [],
        },
    ],
)
def test_malformed_state_is_rejected(state: dict[str, object]) -> None:
    with pytest.raises(TemplateStateError):
        TemplateMiner.from_state(state)


def test_invalid_json_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(TemplateStateError, match="not valid JSON"):
        TemplateMiner.load(path)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="similarity_threshold"):
        MinerConfig(similarity_threshold=1.5)
    with pytest.raises(ValueError, match="depth"):
        MinerConfig(depth=2)


def test_memoised_repeats_match_a_fresh_search() -> None:
    # The same lines learnt with and without the message cache give the same ids.
    lines = LINES * 3
    cached = TemplateMiner()
    uncached = TemplateMiner(MinerConfig(cache_size=0))
    assert [cached.learn(x) for x in lines] == [uncached.learn(x) for x in lines]


def test_unknown_template_id() -> None:
    with pytest.raises(KeyError):
        TemplateMiner().canonical_id(7)


def test_a_few_distinct_words_split_then_merge_back() -> None:
    miner = TemplateMiner()
    paused = miner.learn("Lifecycle event: VM Paused (instance)")
    resumed = miner.learn("Lifecycle event: VM Resumed (instance)")
    assert resumed.created
    assert paused.template_id != resumed.template_id
    assert miner.templates == {
        paused.template_id: "Lifecycle event: VM Paused (instance)",
        resumed.template_id: "Lifecycle event: VM Resumed (instance)",
    }
    assert miner.learn("Lifecycle event: VM Paused (instance)").template_id == paused.template_id
    miner.learn("Lifecycle event: VM Started (instance)")
    # A fourth word: the position is a variable after all, and the split groups merge.
    last = miner.learn("Lifecycle event: VM Stopped (instance)")
    assert last.template == "Lifecycle event: VM <*> (instance)"
    assert last.template_id == paused.template_id
    assert miner.canonical_id(resumed.template_id) == paused.template_id
    assert len(miner) == 1
    # Every id ever handed out is still a key of ``templates``.
    assert miner.templates[resumed.template_id] == "Lifecycle event: VM <*> (instance)"


def test_splitting_can_be_turned_off() -> None:
    miner = TemplateMiner(MinerConfig(split_max_values=0))
    a = miner.learn("Lifecycle event: VM Paused (instance)")
    b = miner.learn("Lifecycle event: VM Resumed (instance)")
    assert a.template_id == b.template_id
    assert b.template == "Lifecycle event: VM <*> (instance)"


def test_learnt_ids_stay_valid_keys() -> None:
    miner, ids = learnt(LINES * 2 + ["Invalid user a.b from 1.2.3.4"] * 3)
    templates = miner.templates
    for template_id in ids:
        assert templates[template_id] == miner.template(template_id)


def test_a_variable_spanning_tokens_with_units_is_one_event() -> None:
    miner = TemplateMiner()
    ids = {
        miner.learn(line).template_id
        for line in [
            "a.example.org:443 close, 0 bytes sent, 12 bytes received, lifetime 00:01",
            "b.example.org:80 close, 1190 bytes (1.16 KB) sent, 5 bytes received, lifetime <1 sec",
            "10.0.0.1:80 close, 7 bytes sent, 9 bytes (2.3 MB) received, lifetime 01:02",
        ]
    }
    assert len({miner.canonical_id(i) for i in ids}) == 1


def test_match_resolves_split_groups_without_learning() -> None:
    miner = TemplateMiner()
    a = miner.learn("Instance spawned successfully.")
    b = miner.learn("Instance destroyed successfully.")
    before = json.dumps(miner.to_state(), sort_keys=True)
    found = miner.match("Instance destroyed successfully.")
    assert found is not None
    assert found.template_id == b.template_id != a.template_id
    assert miner.match("Instance paused successfully.") is None
    assert json.dumps(miner.to_state(), sort_keys=True) == before


def test_round_trip_keeps_split_groups(tmp_path: Path) -> None:
    lines = [
        "Lifecycle event: VM Paused (instance)",
        "Lifecycle event: VM Resumed (instance)",
        "user u-1 logged in",
        "user u-2 logged in",
    ]
    miner, _ = learnt(lines)
    path = tmp_path / "miner.json"
    miner.save(path)
    loaded = TemplateMiner.load(path)
    assert loaded.templates == miner.templates
    more = [
        "Lifecycle event: VM Started (instance)",
        "Lifecycle event: VM Stopped (instance)",
        "user u-3 logged in",
    ]
    assert [loaded.learn(x) for x in more] == [miner.learn(x) for x in more]
    assert loaded.to_state() == miner.to_state()


def test_messages_with_one_shape_share_one_decision() -> None:
    # Different digits, same shape: masked once, and the answers equal an uncached miner's.
    lines = [f"worker {n} took {n * 7} ms on node-{n % 3}" for n in range(50)]
    cached = TemplateMiner()
    uncached = TemplateMiner(MinerConfig(cache_size=0))
    assert [cached.learn(x) for x in lines] == [uncached.learn(x) for x in lines]
    assert len(cached) == 1
