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

from logswarm.parsing.masking import WILDCARD, Masker

__all__ = [
    "STATE_FORMAT",
    "STATE_VERSION",
    "MinerConfig",
    "TemplateMatch",
    "TemplateMiner",
    "TemplateStateError",
]

STATE_FORMAT = "logswarm.template-miner"
STATE_VERSION = 1


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

    cache_size: int = 100_000
    """Exact messages whose masked tokens are memoised; the cache is emptied when full so
    memory stays bounded on long streams."""

    def __post_init__(self) -> None:
        if self.depth < 3:
            raise ValueError(f"depth must be at least 3, got {self.depth}")
        if not 0.0 <= self.similarity_threshold <= 1.0:
            raise ValueError(
                f"similarity_threshold must be within [0, 1], got {self.similarity_threshold}"
            )
        if self.max_children < 2:
            raise ValueError(f"max_children must be at least 2, got {self.max_children}")
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


class _Cluster:
    __slots__ = ("cid", "key", "path", "size", "tokens")

    def __init__(self, cid: int, tokens: list[str], path: tuple[str, ...]) -> None:
        self.cid = cid
        self.tokens = tokens
        self.path = path
        self.size = 1
        self.key = _collapse(tokens)


class _Node:
    __slots__ = ("children", "clusters", "memo")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.clusters: list[_Cluster] = []
        # token sequence -> cluster chosen by a full search; emptied when the leaf changes.
        self.memo: dict[tuple[str, ...], _Cluster | None] = {}


_MEMO_LIMIT = 10_000


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
        self._parent: dict[int, int] = {}
        self._members: dict[int, list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        self._token_cache: dict[str, tuple[str, ...]] = {}
        self._prefix_len = self.config.depth - 2

    # -- public API ---------------------------------------------------------------------

    def learn(self, message: str) -> TemplateMatch:
        """Assign ``message`` to a template, creating or generalising one as needed."""
        tokens = self._tokens(message, remember=True)
        leaf = self._search_leaf(tokens)
        cluster: _Cluster | None = None
        if leaf is not None:
            cluster = leaf.memo.get(tokens, _MISSING) if leaf.memo else _MISSING
            if cluster is _MISSING:
                cluster = self._best(leaf, tokens)
                if len(leaf.memo) >= _MEMO_LIMIT:
                    leaf.memo.clear()
                leaf.memo[tokens] = cluster
        if cluster is None:
            return self._create(tokens)
        cluster.size += 1
        assert leaf is not None  # a cluster was found in it
        self._absorb(cluster, tokens, leaf)
        root = self._find(cluster.cid)
        return TemplateMatch(template_id=root, template=self._group_template(root), created=False)

    def match(self, message: str) -> TemplateMatch | None:
        """The template ``message`` would join, or None. Never changes the miner."""
        tokens = self._tokens(message, remember=False)
        leaf = self._search_leaf(tokens)
        if leaf is None:
            return None
        cluster = leaf.memo.get(tokens, _MISSING)
        if cluster is _MISSING:
            cluster = self._best(leaf, tokens)
        if cluster is None:
            return None
        root = self._find(cluster.cid)
        return TemplateMatch(template_id=root, template=self._group_template(root), created=False)

    def canonical_id(self, template_id: int) -> int:
        """The id ``template_id`` answers to now: merges across lengths keep the smaller id."""
        if template_id not in self._parent:
            raise KeyError(f"unknown template id {template_id}")
        return self._find(template_id)

    def template(self, template_id: int) -> str:
        """The current text of a template, following merges."""
        return self._group_template(self.canonical_id(template_id))

    @property
    def templates(self) -> dict[int, str]:
        """Template id -> template text, in id order."""
        return {root: self._group_template(root) for root in sorted(self._members)}

    def __len__(self) -> int:
        return len(self._members)

    def mask(self, message: str) -> str:
        """The message as the miner sees it, after masking (for debugging and tests)."""
        return " ".join(self._tokens(message, remember=False))

    # -- state ----------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Explicit, versioned, JSON-ready state (see ``from_state``)."""
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "config": asdict(self.config),
            "clusters": [
                {
                    "id": c.cid,
                    "template": c.tokens,
                    "path": list(c.path),
                    "size": c.size,
                    "group": self._find(c.cid),
                }
                for c in self._clusters
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
            for expected_id, raw in enumerate(state["clusters"]):
                miner._restore(raw, expected_id=expected_id)
        except (KeyError, TypeError, ValueError) as error:
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

    # -- internals ------------------------------------------------------------------------

    def _tokens(self, message: str, *, remember: bool) -> tuple[str, ...]:
        cached = self._token_cache.get(message)
        if cached is not None:
            return cached
        if self.config.masking:
            tokens = tuple(self._masker(message).split())
        else:
            tokens = tuple(message.split())
        if remember and self.config.cache_size:
            if len(self._token_cache) >= self.config.cache_size:
                self._token_cache.clear()
            self._token_cache[message] = tokens
        return tokens

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

    def _absorb(self, cluster: _Cluster, tokens: tuple[str, ...], leaf: _Node) -> None:
        template = cluster.tokens
        changed = False
        for i, (t, m) in enumerate(zip(template, tokens, strict=True)):
            if t != m and t != WILDCARD:
                template[i] = _generalise(t, m)
                changed = True
        if changed:
            leaf.memo.clear()
            self._rekey(cluster)

    def _create(self, tokens: tuple[str, ...]) -> TemplateMatch:
        cid = len(self._clusters)
        path, leaf = self._insert_path(tokens)
        cluster = _Cluster(cid, list(tokens), path)
        self._clusters.append(cluster)
        leaf.clusters.append(cluster)
        leaf.memo.clear()
        self._parent[cid] = cid
        self._members[cid] = [cid]
        joined = self._rekey(cluster, new=True)
        root = self._find(cid)
        return TemplateMatch(
            template_id=root, template=self._group_template(root), created=not joined
        )

    def _insert_path(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], _Node]:
        node = self._root.get(len(tokens))
        if node is None:
            node = self._root[len(tokens)] = _Node()
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
            path.append(key)
            node = child
        return tuple(path), node

    def _rekey(self, cluster: _Cluster, *, new: bool = False) -> bool:
        """Refresh the collapsed key of ``cluster``; merge with a same-key group. True if merged."""
        key = _collapse(cluster.tokens)
        if not new:
            if key == cluster.key:
                return False
            old = self._by_key.get(cluster.key)
            if old is not None:
                old.remove(cluster.cid)
                if not old:
                    del self._by_key[cluster.key]
        cluster.key = key
        same = self._by_key.setdefault(key, [])
        merged = False
        if self.config.merge_variable_runs:
            for other in same:
                merged = self._union(other, cluster.cid) or merged
        same.append(cluster.cid)
        return merged

    def _find(self, cid: int) -> int:
        parent = self._parent
        while parent[cid] != cid:
            parent[cid] = parent[parent[cid]]
            cid = parent[cid]
        return cid

    def _union(self, a: int, b: int) -> bool:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return False
        keep, drop = min(ra, rb), max(ra, rb)
        self._parent[drop] = keep
        self._members[keep].extend(self._members.pop(drop))
        return True

    def _group_template(self, root: int) -> str:
        members = self._members[root]
        if len(members) == 1:
            cluster = self._clusters[root]
            return cluster.key if self.config.merge_variable_runs else " ".join(cluster.tokens)
        # Members may have generalised differently since they merged: show the most general.
        best = min(
            (self._clusters[m] for m in members),
            key=lambda c: (sum(1 for t in c.tokens if t != WILDCARD), c.cid),
        )
        return best.key

    def _restore(self, raw: Mapping[str, Any], *, expected_id: int) -> None:
        cid = int(raw["id"])
        if cid != expected_id:
            raise ValueError(f"cluster ids must be 0..n-1 in order, got {cid} at {expected_id}")
        tokens = [str(t) for t in raw["template"]]
        path = tuple(str(p) for p in raw["path"])
        if len(path) != min(self._prefix_len, len(tokens)):
            raise ValueError(f"cluster {cid}: path length does not match the tree depth")
        node = self._root.get(len(tokens))
        if node is None:
            node = self._root[len(tokens)] = _Node()
        for key in path:
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Node()
            node = child
        cluster = _Cluster(cid, tokens, path)
        cluster.size = int(raw["size"])
        self._clusters.append(cluster)
        node.clusters.append(cluster)
        group = int(raw["group"])
        if not 0 <= group <= cid:
            raise ValueError(f"cluster {cid}: group {group} must be an earlier cluster")
        self._parent[cid] = cid
        self._members[cid] = [cid]
        self._by_key.setdefault(cluster.key, []).append(cid)
        if group != cid:
            self._union(group, cid)


_MISSING: Any = object()


def _config_from(raw: Any) -> MinerConfig:
    if not isinstance(raw, Mapping):
        raise TypeError("config must be an object")
    known = {f.name for f in fields(MinerConfig)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"unknown config keys {sorted(unknown)}")
    return MinerConfig(**raw)
