"""A Drain-style template miner: one pass, a fixed-depth parse tree, learning kept apart from matching.

Why our own and not drain3: the Preprocessing agent sits on the hot path of every run and
its state is stored next to incidents. drain3 (the reference, see ``bench/parsing.py``) is
good but pays for generality on every line, and persists its state with jsonpickle, which
constructs arbitrary objects on load. This module keeps Drain's algorithm (He et al.,
ICWS 2017) and changes what measurably helps, on principle and with one configuration for
every source:

- **Masking first** (:mod:`logswarm.parsing.masking`), so variables never reach the tree.
- **Similarity over informative positions**: a position where template and message hold the
  same letter-less token (``<*>``, ``<*>]``) says nothing about whether they are the same
  event, so it is left out of the ratio instead of counting as a mismatch (Drain) or a match.
- **A covering template wins**: if a template already describes the message exactly, it is
  chosen (the most specific one) before any partial match is considered.
- **Piece-wise generalisation**: ``user=root`` and ``user=admin`` become ``user=<*>``, not
  ``<*>``, so templates keep their keys.
- **Merging across lengths**: two clusters whose templates are equal once runs of ``<*>``
  are collapsed are the same event with a multi-token variable; they share one template id.
- **Memoisation**: masking of exact repeated messages is cached, and each tree leaf
  remembers which cluster a token sequence chose until that leaf changes, so a cache hit
  gives exactly the answer a full search would give.

Learning (:meth:`TemplateMiner.learn`) is the only mutating call; :meth:`TemplateMiner.match`
never changes state. State is saved as explicit, versioned JSON, never pickle.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from logswarm.parsing.masking import WILDCARD, Masker, shape

__all__ = [
    "STATE_FORMAT",
    "STATE_VERSION",
    "MinerConfig",
    "TemplateMatch",
    "TemplateMiner",
    "TemplateStateError",
]

STATE_FORMAT = "logswarm.template-miner"
STATE_VERSION = 2


class TemplateStateError(ValueError):
    """A saved miner state cannot be loaded: wrong format, unknown version or malformed."""


@dataclass(frozen=True, slots=True)
class MinerConfig:
    """Settings of the miner. The defaults are the one configuration used for every source."""

    depth: int = 4
    """Depth of the parse tree as Drain counts it (root + length layer + ``depth - 2`` token
    layers). 4 is Drain's and drain3's default: the first two tokens of a message are usually
    its most stable words, deeper trees split events whose early tokens are variables."""

    similarity_threshold: float = 0.5
    """Minimum share of informative positions (those where at least one side holds a word)
    on which template and message agree for the message to join the cluster. 0.5 means "a
    majority agrees"; it is also the value the logparser benchmark uses as Drain's default."""

    max_children: int = 100
    """Children per inner tree node before new tokens are routed to the ``<*>`` child; drain3's
    default. Bounds the fan-out when an early token is an unmasked variable."""

    masking: bool = True
    """Mask IPs, UUIDs, paths, URLs, numbers... before mining (see ``masking``)."""

    mask_digit_pieces: bool = True
    """Treat any word piece holding a digit as a variable (``blk_-16``, ``node-246``,
    ``HTTP/1.1``'s version). On in Loghub-style logs almost every such piece is a variable; it
    costs a little readability on constants such as ``ssh2``."""

    merge_variable_runs: bool = True
    """Give one template id to clusters whose templates are equal once runs of ``<*>`` are
    collapsed (a variable that spans several tokens, such as a list of names)."""

    split_max_values: int = 3
    """A position where one plain word replaced another (``VM Paused`` / ``VM Resumed``) keeps
    one template per word until it has shown more than this many distinct words; then it is
    a variable and those templates merge back into one. Drain's similarity cannot tell a
    verb that names the event from a user name; the number of distinct values can. 3 keeps
    small enumerations (start/stop/pause) apart and gives up on anything richer; 0 or 1
    turns splitting off."""

    cache_size: int = 100_000
    """Distinct messages (and distinct message shapes) whose masked tokens and decisions are
    memoised; each cache is emptied when full so memory stays bounded on long streams."""

    def __post_init__(self) -> None:
        if self.depth < 3:
            raise ValueError(f"depth must be at least 3, got {self.depth}")
        if not 0.0 <= self.similarity_threshold <= 1.0:
            raise ValueError(
                f"similarity_threshold must be within [0, 1], got {self.similarity_threshold}"
            )
        if self.max_children < 2:
            raise ValueError(f"max_children must be at least 2, got {self.max_children}")
        if self.split_max_values < 0:
            raise ValueError(f"split_max_values must not be negative, got {self.split_max_values}")
        if self.cache_size < 0:
            raise ValueError(f"cache_size must not be negative, got {self.cache_size}")


@dataclass(frozen=True, slots=True)
class TemplateMatch:
    """Which template a message belongs to."""

    template_id: int
    """Stable id of the template; the same input order always yields the same ids."""
    template: str
    """The template text, variables written as ``<*>``."""
    created: bool
    """True if this message created a new template id."""


class _Node:
    __slots__ = ("children", "clusters", "version")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.clusters: list[_Cluster] = []
        # Bumped whenever a cluster of this leaf changes: cached decisions check it.
        self.version = 0


class _Cluster:
    """A Drain cluster: one template over one token count, possibly split into groups."""

    __slots__ = (
        "active",
        "cid",
        "groups",
        "leaf",
        "members",
        "path",
        "positions",
        "size",
        "tokens",
    )

    def __init__(self, cid: int, tokens: list[str], path: tuple[str, ...], leaf: _Node) -> None:
        self.cid = cid
        self.tokens = tokens
        self.path = path
        self.leaf = leaf
        self.size = 1
        # Split positions -> the distinct plain words seen there, in order of appearance.
        self.active: dict[int, list[str]] = {}
        self.positions: tuple[int, ...] = ()  # sorted(active)
        # Words at ``positions`` -> a group (template id) of this cluster.
        self.groups: dict[tuple[str, ...], int] = {}
        self.members: list[_Group] = []


class _Group:
    """A template id: a cluster plus the words it holds at the cluster's split positions."""

    __slots__ = ("cluster", "gid", "key", "values")

    def __init__(self, gid: int, cluster: _Cluster, values: dict[int, str]) -> None:
        self.gid = gid
        self.cluster = cluster
        self.values = values
        self.key = ""  # merge key, see _merge_key


class _Seen:
    """What learning one distinct message decided, valid while its leaf is unchanged."""

    __slots__ = ("cluster", "epoch", "gid", "leaf", "tokens", "version")

    def __init__(self, tokens: tuple[str, ...]) -> None:
        self.tokens = tokens
        self.leaf: _Node | None = None
        self.epoch = -1
        self.version = -1
        self.cluster: _Cluster | None = None
        self.gid = -1


@functools.lru_cache(maxsize=65_536)
def _uninformative(token: str) -> bool:
    """A token without a letter (``<*>``, ``<*>]``, ``-``) names no event."""
    return _LETTER.search(token.replace(WILDCARD, "")) is None


_LETTER = re.compile(r"[^\W\d_]")
_PIECE_SPLIT = re.compile(r"([=:,;()\[\]{}\"'|/])")


def _collapse(tokens: list[str]) -> str:
    out: list[str] = []
    for token in tokens:
        if token == WILDCARD and out and out[-1] == WILDCARD:
            continue
        out.append(token)
    return " ".join(out)


_PLAIN = re.compile(r"[A-Za-z]+\d?")


def _plain(token: str) -> bool:
    """A bare word: the kind of token that names an event (``Paused``) as often as not."""
    return _PLAIN.fullmatch(token) is not None


# Units that follow a number; inside a variable span they are part of the value.
_UNITS = frozenset(
    "b B bytes KB MB GB TB KiB MiB GiB TiB k K M G ns us ms s sec secs seconds min mins minutes "  # noqa: SIM905
    "h hr hrs hours d days %".split()
)
_UNIT_PUNCT = "()[]{},;:."


def _merge_key(tokens: list[str]) -> str:
    """Templates with the same key are one event whose variable spans a varying token count.

    The key is the template's words: tokens without a letter (``<*>``, ``(<*>``, ``-``) and
    unit words right after a variable (``<*> KB)``) are left out, so ``<*> bytes sent`` and
    ``<*> bytes (<*> KB) sent`` are one event.
    """
    words: list[str] = []
    after_variable = False
    for token in tokens:
        if _uninformative(token):
            after_variable = token.endswith(WILDCARD)
            continue
        if after_variable and token.strip(_UNIT_PUNCT) in _UNITS:
            continue
        words.append(token)
        after_variable = token.endswith(WILDCARD)
    return " ".join(words)


def _generalise(template_token: str, token: str) -> str:
    """The most specific token that covers both, keeping the punctuation they share."""
    if template_token == WILDCARD:
        return WILDCARD
    left = _PIECE_SPLIT.split(template_token)
    right = _PIECE_SPLIT.split(token)
    if len(left) != len(right) or len(left) == 1 or left[1::2] != right[1::2]:
        return WILDCARD
    merged = [a if a == b else WILDCARD for a, b in zip(left, right, strict=True)]
    if all(piece in (WILDCARD, "") for piece in merged[0::2]):
        return WILDCARD
    return "".join(merged)


class TemplateMiner:
    """Mine templates from log messages, one message at a time.

    >>> miner = TemplateMiner()
    >>> miner.learn("Connection from 10.0.0.1 closed").template
    'Connection from <*> closed'
    """

    def __init__(self, config: MinerConfig | None = None) -> None:
        self.config = config if config is not None else MinerConfig()
        self._masker = Masker(mask_digit_pieces=self.config.mask_digit_pieces)
        self._root: dict[int, _Node] = {}
        self._clusters: list[_Cluster] = []
        self._groups: list[_Group] = []
        self._parent: list[int] = []
        self._members: dict[int, list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        self._prefix_len = self.config.depth - 2
        # Caches: none of them is state; each entry is checked against what it depends on.
        self._seen: dict[str, _Seen] = {}
        self._shapes: dict[str, _Seen] = {}
        self._by_tokens: dict[tuple[str, ...], _Seen] = {}
        self._matches: dict[int, TemplateMatch] = {}
        self._texts: dict[int, str] = {}
        self._epoch = 0  # bumped whenever a tree node is added
        self._by_shape = self.config.masking and self._masker.shape_invariant

    # -- public API ---------------------------------------------------------------------

    def learn(self, message: str) -> TemplateMatch:
        """Assign ``message`` to a template, creating or generalising one as needed."""
        seen = self._seen.get(message)
        if seen is None:
            seen = self._lookup(message)
        leaf = seen.leaf
        if seen.epoch == self._epoch and leaf is not None and seen.version == leaf.version:
            # Nothing in this leaf changed since an identical token sequence was learnt:
            # a full search would pick the same cluster and group, and change nothing.
            cluster = seen.cluster
            if cluster is not None:
                cluster.size += 1
                found = self._matches.get(seen.gid)
                return found if found is not None else self._match_for(seen.gid)
        return self._learn_slow(seen)

    def _learn_slow(self, seen: _Seen) -> TemplateMatch:
        if seen.epoch != self._epoch:
            seen.leaf = self._search_leaf(seen.tokens)
            seen.epoch = self._epoch
        leaf = seen.leaf
        cluster = self._best(leaf, seen.tokens) if leaf is not None else None
        if cluster is None:
            gid, created = self._create(seen.tokens)
            cluster = self._groups[gid].cluster
        else:
            cluster.size += 1
            gid, created = self._absorb(cluster, seen.tokens)
        seen.leaf = self._search_leaf(seen.tokens)
        seen.epoch = self._epoch
        seen.version = cluster.leaf.version if seen.leaf is cluster.leaf else -1
        seen.cluster = cluster
        seen.gid = gid
        if created:
            root = self._find(gid)
            return TemplateMatch(
                template_id=root, template=self._group_template(root), created=root == gid
            )
        return self._match_for(gid)

    def match(self, message: str) -> TemplateMatch | None:
        """The template ``message`` would join, or None if it would create one.

        Never changes the miner: nothing is generalised, split or merged.
        """
        seen = self._lookup(message, remember=False)
        tokens = seen.tokens
        leaf = self._search_leaf(tokens)
        if leaf is None:
            return None
        if (
            seen is not None
            and seen.leaf is leaf
            and seen.epoch == self._epoch
            and seen.version == leaf.version
        ):
            return self._match_for(seen.gid)
        cluster = self._best(leaf, tokens)
        if cluster is None:
            return None
        gid = self._resolve(cluster, tokens)
        return None if gid is None else self._match_for(gid)

    def canonical_id(self, template_id: int) -> int:
        """The id ``template_id`` answers to now: merged templates keep the smallest id."""
        if not 0 <= template_id < len(self._groups):
            raise KeyError(f"unknown template id {template_id}")
        return self._find(template_id)

    def template(self, template_id: int) -> str:
        """The current text of a template, following merges."""
        return self._group_template(self.canonical_id(template_id))

    @property
    def templates(self) -> dict[int, str]:
        """Every template id ever returned -> its current text, in id order.

        An id that was merged into another maps to the text of the id it answers to now
        (see :meth:`canonical_id`), so ids handed out by :meth:`learn` stay valid keys.
        """
        return {gid: self._group_template(self._find(gid)) for gid in range(len(self._groups))}

    def __len__(self) -> int:
        """The number of distinct templates (canonical ids)."""
        return len(self._members)

    def mask(self, message: str) -> str:
        """The message as the miner sees it, after masking (for debugging and tests)."""
        return " ".join(self._lookup(message, remember=False).tokens)

    # -- state ----------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Explicit, versioned, JSON-ready state (see ``from_state``)."""
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "config": asdict(self.config),
            "clusters": [
                {
                    "template": list(c.tokens),
                    "path": list(c.path),
                    "size": c.size,
                    "split": [[p, list(c.active[p])] for p in sorted(c.active)],
                }
                for c in self._clusters
            ],
            "templates": [
                {
                    "id": g.gid,
                    "cluster": g.cluster.cid,
                    "values": [[p, g.values[p]] for p in sorted(g.values)],
                    "group": self._find(g.gid),
                }
                for g in self._groups
            ],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> TemplateMiner:
        """Rebuild a miner from ``to_state()``'s output; rejects unknown formats and versions."""
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise TemplateStateError(
                f"not a template miner state (expected format {STATE_FORMAT!r})"
            )
        version = state.get("version")
        if version != STATE_VERSION:
            raise TemplateStateError(
                f"unsupported template miner state version {version!r}; "
                f"this LogSwarm reads version {STATE_VERSION}"
            )
        try:
            config = _config_from(state["config"])
            miner = cls(config)
            for raw in state["clusters"]:
                miner._restore_cluster(raw)
            for expected_id, raw in enumerate(state["templates"]):
                miner._restore_group(raw, expected_id=expected_id)
            for cluster in miner._clusters:
                miner._reindex(cluster, merge=False)
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise TemplateStateError(f"malformed template miner state: {error}") from error
        return miner

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state as JSON, atomically (a crash never leaves half a file)."""
        target = Path(path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.to_state(), handle, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TemplateMiner:
        """Read a state written by :meth:`save`."""
        try:
            with open(path, encoding="utf-8") as handle:
                state = json.load(handle)
        except json.JSONDecodeError as error:
            raise TemplateStateError(f"{path}: not valid JSON: {error}") from error
        return cls.from_state(state)

    # -- internals: masking and the tree --------------------------------------------------

    def _lookup(self, message: str, *, remember: bool = True) -> _Seen:
        """The cache entry of ``message``: shared by every message with the same tokens."""
        cached = self._seen.get(message)
        if cached is not None:
            return cached
        key = shape(message) if self._by_shape else message
        seen = self._shapes.get(key)
        if seen is None:
            tokens = self._tokens(key)
            seen = self._by_tokens.get(tokens)
            if seen is None:
                seen = _Seen(tokens)
                if remember:
                    self._remember(self._by_tokens, tokens, seen)
            if remember:
                self._remember(self._shapes, key, seen)
        if remember:
            seen_cache = self._seen
            if len(seen_cache) < self.config.cache_size:
                seen_cache[message] = seen
            else:
                self._remember(seen_cache, message, seen)
        return seen

    def _remember(self, cache: dict[Any, _Seen], key: Any, seen: _Seen) -> None:
        limit = self.config.cache_size
        if limit:
            if len(cache) >= limit:
                cache.clear()
            cache[key] = seen

    def _tokens(self, key: str) -> tuple[str, ...]:
        """Tokens of a message, given its shape (or the message itself when not masking by shape)."""
        if not self.config.masking:
            return tuple(key.split())
        return tuple(self._masker.masked_shape(key).split())

    def _search_leaf(self, tokens: tuple[str, ...]) -> _Node | None:
        node = self._root.get(len(tokens))
        if node is None:
            return None
        for token in tokens[: self._prefix_len]:
            child = node.children.get(token)
            if child is None:
                child = node.children.get(WILDCARD)
                if child is None:
                    return None
            node = child
        return node

    def _best(self, leaf: _Node, tokens: tuple[str, ...]) -> _Cluster | None:
        best: _Cluster | None = None
        best_score = -1.0
        best_cover: _Cluster | None = None
        best_cover_const = -1
        for cluster in leaf.clusters:
            same = 0
            informative = 0
            covered = True
            for t, m in zip(cluster.tokens, tokens, strict=True):
                if t == m:
                    if not _uninformative(t):
                        same += 1
                        informative += 1
                else:
                    informative += 1
                    if t != WILDCARD:
                        covered = False
            if covered:
                if same > best_cover_const:
                    best_cover, best_cover_const = cluster, same
                continue
            score = same / informative
            if score > best_score:
                best, best_score = cluster, score
        if best_cover is not None:
            return best_cover
        if best is not None and best_score >= self.config.similarity_threshold:
            return best
        return None

    def _insert_path(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], _Node]:
        node = self._root.get(len(tokens))
        if node is None:
            node = self._root[len(tokens)] = _Node()
            self._epoch += 1
        path: list[str] = []
        limit = self.config.max_children
        for token in tokens[: self._prefix_len]:
            children = node.children
            if token in children:
                key = token
            elif WILDCARD in token:
                key = WILDCARD
            elif WILDCARD in children:
                key = token if len(children) < limit else WILDCARD
            elif len(children) + 1 < limit:
                key = token
            else:
                key = WILDCARD
            child = children.get(key)
            if child is None:
                child = children[key] = _Node()
                self._epoch += 1
            path.append(key)
            node = child
        return tuple(path), node

    # -- internals: clusters and their templates ------------------------------------------

    def _create(self, tokens: tuple[str, ...]) -> tuple[int, bool]:
        path, leaf = self._insert_path(tokens)
        cluster = _Cluster(len(self._clusters), list(tokens), path, leaf)
        self._clusters.append(cluster)
        leaf.clusters.append(cluster)
        leaf.version += 1
        group = self._new_group(cluster, {})
        cluster.groups[()] = group.gid
        self._rekey(group)
        return group.gid, True

    def _new_group(self, cluster: _Cluster, values: dict[int, str]) -> _Group:
        group = _Group(len(self._groups), cluster, values)
        self._groups.append(group)
        self._parent.append(group.gid)
        self._members[group.gid] = [group.gid]
        cluster.members.append(group)
        return group

    def _absorb(self, cluster: _Cluster, tokens: tuple[str, ...]) -> tuple[int, bool]:
        """Generalise ``cluster`` to cover ``tokens``; return its group id and if it is new."""
        template = cluster.tokens
        limit = self.config.split_max_values
        changed = False
        activated: list[tuple[int, str]] = []
        for i, (t, m) in enumerate(zip(template, tokens, strict=True)):
            if t != m and t != WILDCARD:
                general = _generalise(t, m)
                template[i] = general
                changed = True
                if general == WILDCARD and limit >= 2 and _plain(t) and _plain(m):
                    # One word replaced another: maybe two events, maybe a variable. Keep
                    # them apart until the position shows more than ``limit`` words.
                    cluster.active[i] = [t]
                    activated.append((i, t))
        for i, old in activated:
            for group in cluster.members:
                group.values[i] = old
        closing: list[int] = []
        for p, values in cluster.active.items():
            value = tokens[p]
            if value in values:
                continue
            if len(values) < limit and _plain(value):
                values.append(value)
                changed = True
            else:
                closing.append(p)
        for p in closing:
            del cluster.active[p]
            for group in cluster.members:
                group.values.pop(p, None)
        if closing or activated:
            self._reindex(cluster, merge=True)
        key = tuple(tokens[p] for p in cluster.positions)
        gid = cluster.groups.get(key)
        created = gid is None
        if gid is None:
            group = self._new_group(cluster, {p: tokens[p] for p in cluster.positions})
            gid = cluster.groups[key] = group.gid
            changed = True
        if changed or closing or activated:
            cluster.leaf.version += 1
            self._matches.clear()
            self._texts.clear()
            for group in list(cluster.members):
                self._rekey(group)
        return gid, created

    def _resolve(self, cluster: _Cluster, tokens: tuple[str, ...]) -> int | None:
        """The group ``tokens`` would land in, without changing anything (None: a new one)."""
        limit = self.config.split_max_values
        for t, m in zip(cluster.tokens, tokens, strict=True):
            if (
                t != m
                and t != WILDCARD
                and limit >= 2
                and _plain(t)
                and _plain(m)
                and _generalise(t, m) == WILDCARD
            ):
                return None
        keep: list[int] = []
        for p in cluster.positions:
            values = cluster.active[p]
            value = tokens[p]
            if value in values:
                keep.append(p)
            elif len(values) < limit and _plain(value):
                return None
        if len(keep) == len(cluster.positions):
            return cluster.groups.get(tuple(tokens[p] for p in keep))
        roots = [
            self._find(g.gid)
            for g in cluster.members
            if all(g.values.get(p) == tokens[p] for p in keep)
        ]
        return min(roots) if roots else None

    def _reindex(self, cluster: _Cluster, *, merge: bool) -> None:
        """Rebuild ``cluster.groups`` after its split positions changed; merge equal keys."""
        cluster.positions = tuple(sorted(cluster.active))
        index: dict[tuple[str, ...], int] = {}
        for group in cluster.members:
            key = tuple(group.values[p] for p in cluster.positions)
            other = index.get(key)
            if other is None:
                index[key] = group.gid
            elif merge:
                self._union(other, group.gid)
        cluster.groups = index

    def _rekey(self, group: _Group) -> None:
        """Refresh the merge key of ``group`` and join every group that shares it."""
        key = _merge_key(self._group_tokens(group))
        if key == group.key:
            return
        if group.key:
            old = self._by_key.get(group.key)
            if old is not None:
                old.remove(group.gid)
                if not old:
                    del self._by_key[group.key]
        group.key = key
        same = self._by_key.setdefault(key, [])
        if self.config.merge_variable_runs:
            for other in same:
                self._union(other, group.gid)
        same.append(group.gid)

    def _group_tokens(self, group: _Group) -> list[str]:
        tokens = list(group.cluster.tokens)
        for p, value in group.values.items():
            tokens[p] = value
        return tokens

    def _find(self, gid: int) -> int:
        parent = self._parent
        while parent[gid] != gid:
            parent[gid] = parent[parent[gid]]
            gid = parent[gid]
        return gid

    def _union(self, a: int, b: int) -> bool:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return False
        keep, drop = min(ra, rb), max(ra, rb)
        self._parent[drop] = keep
        self._members[keep].extend(self._members.pop(drop))
        self._matches.clear()
        self._texts.clear()
        return True

    def _match_for(self, gid: int) -> TemplateMatch:
        found = self._matches.get(gid)
        if found is None:
            root = self._find(gid)
            found = self._matches[gid] = TemplateMatch(
                template_id=root, template=self._group_template(root), created=False
            )
        return found

    def _group_template(self, root: int) -> str:
        text = self._texts.get(root)
        if text is not None:
            return text
        members = self._members[root]
        if len(members) == 1:
            best = self._group_tokens(self._groups[members[0]])
        else:
            # Members may have generalised differently since they merged: show the most
            # general.
            best = min(
                (self._group_tokens(self._groups[m]) for m in members),
                key=lambda tokens: sum(1 for t in tokens if t != WILDCARD),
            )
        text = _collapse(best) if self.config.merge_variable_runs else " ".join(best)
        self._texts[root] = text
        return text

    # -- internals: state -----------------------------------------------------------------

    def _restore_cluster(self, raw: Mapping[str, Any]) -> None:
        tokens = [str(t) for t in raw["template"]]
        path = tuple(str(p) for p in raw["path"])
        if len(path) != min(self._prefix_len, len(tokens)):
            raise ValueError(
                f"cluster {len(self._clusters)}: path length does not match the tree depth"
            )
        node = self._root.get(len(tokens))
        if node is None:
            node = self._root[len(tokens)] = _Node()
        for key in path:
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Node()
            node = child
        cluster = _Cluster(len(self._clusters), tokens, path, node)
        cluster.size = int(raw["size"])
        for position, values in raw["split"]:
            p = int(position)
            if not 0 <= p < len(tokens) or tokens[p] != WILDCARD:
                raise ValueError(f"cluster {cluster.cid}: split position {p} is not a variable")
            cluster.active[p] = [str(v) for v in values]
        self._clusters.append(cluster)
        node.clusters.append(cluster)

    def _restore_group(self, raw: Mapping[str, Any], *, expected_id: int) -> None:
        gid = int(raw["id"])
        if gid != expected_id:
            raise ValueError(f"template ids must be 0..n-1 in order, got {gid} at {expected_id}")
        cluster = self._clusters[int(raw["cluster"])]
        values = {int(p): str(v) for p, v in raw["values"]}
        if set(values) != set(cluster.active):
            raise ValueError(f"template {gid}: values do not match its cluster's split positions")
        group = self._new_group(cluster, values)
        root = int(raw["group"])
        if not 0 <= root <= gid:
            raise ValueError(f"template {gid}: group {root} must be an earlier template")
        group.key = _merge_key(self._group_tokens(group))
        self._by_key.setdefault(group.key, []).append(gid)
        if root != gid:
            self._union(root, gid)


def _config_from(raw: Any) -> MinerConfig:
    if not isinstance(raw, Mapping):
        raise TypeError("config must be an object")
    known = {f.name for f in fields(MinerConfig)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"unknown config keys {sorted(unknown)}")
    return MinerConfig(**raw)
