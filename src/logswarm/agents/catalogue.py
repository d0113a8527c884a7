"""Packaged agent resources: the playbook catalogue, runbooks and prompt templates.

The data lives inside the package (``logswarm/agents/resources/``) so that a wheel carries it
and :mod:`importlib.resources` finds it whether LogSwarm runs from a source checkout or an
installed site-packages; the repository's top-level ``agents/`` folder only holds symlinks to
it, for people browsing the repository. Every loader also takes an explicit directory, so a
deployment can mount its own catalogue (a ConfigMap) without rebuilding the image.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from logswarm.agents.contracts import ACTION_TARGET_KINDS, ActionName, IntentCategory, Risk
from logswarm.agents.errors import ResourceError
from logswarm.incidents import EntityKind

__all__ = [
    "FlowShape",
    "Playbook",
    "PlaybookAction",
    "PlaybookCatalogue",
    "PlaybookStep",
    "Runbook",
    "load_catalogue",
    "load_runbooks",
    "resources_root",
]

Domain = Literal["security", "performance", "network", "database", "platform"]
FlowShape = Literal["scan", "internal_scan", "flood", "brute_force", "beacon"]


def resources_root() -> Traversable:
    """The packaged resources folder (works from a checkout and from an installed wheel)."""
    return resources.files("logswarm.agents").joinpath("resources")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlaybookAction(_Model):
    action: ActionName
    target_kind: EntityKind


class PlaybookStep(_Model):
    #: Alternatives: the first whose target kind exists in the evidence is used.
    actions: list[PlaybookAction] = Field(min_length=1)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    risk: Risk
    reversible: bool = True


class Playbook(_Model):
    id: str
    category: str
    domain: Domain
    intent: IntentCategory
    title: str
    signals: list[str] = Field(min_length=1)
    culprit_kinds: list[EntityKind] = Field(min_length=1)
    steps: list[PlaybookStep] = Field(min_length=1)
    verification: str | None = None
    runbook: str | None = None
    #: The shape of network traffic this cause leaves in flow logs (see the reasoner's
    #: ``flow_shape``): ``scan`` one outside source to many ports, ``internal_scan`` the same
    #: from inside the VPC, ``flood`` many sources to one port, ``brute_force`` one outside
    #: source hammering one port, ``beacon`` one inside source calling one outside address.
    flow_shape: FlowShape | None = None
    #: The culprit is an address outside the VPC (internal addresses are victims here).
    external_culprit: bool = False
    #: Which side of a failing call is to blame. Usually the callee (a failing dependency
    #: explains its failing callers); for causes the server only *reports* — a client's stale
    #: password or connections — it is the caller.
    blame: Literal["callee", "caller"] = "callee"

    @cached_property
    def patterns(self) -> list[re.Pattern[str]]:
        return [re.compile(s, re.IGNORECASE) for s in self.signals]

    def matches(self, text: str) -> int:
        """How many of this playbook's signals occur in ``text``."""
        return sum(1 for p in self.patterns if p.search(text))


class PlaybookCatalogue(_Model):
    version: int
    playbooks: list[Playbook]

    def by_category(self, category: str) -> list[Playbook]:
        return [p for p in self.playbooks if p.category == category]

    def get(self, playbook_id: str) -> Playbook | None:
        return next((p for p in self.playbooks if p.id == playbook_id), None)

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(p.category for p in self.playbooks))


def load_catalogue(path: Path | None = None) -> PlaybookCatalogue:
    """Read and validate a playbook catalogue (the packaged one by default)."""
    source: Traversable | Path = path or resources_root().joinpath("playbooks.yaml")
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
        catalogue = PlaybookCatalogue.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise ResourceError(f"invalid playbook catalogue {source}: {e}") from e
    for playbook in catalogue.playbooks:
        for step in playbook.steps:
            for alt in step.actions:
                if ACTION_TARGET_KINDS[alt.action] != alt.target_kind:
                    raise ResourceError(
                        f"playbook {playbook.id}: {alt.action} acts on "
                        f"{ACTION_TARGET_KINDS[alt.action]}, not {alt.target_kind}"
                    )
    return catalogue


class Runbook(_Model):
    """A Markdown runbook with its front matter (``category``, ``playbook``)."""

    name: str
    title: str
    category: str | None
    playbook: str | None
    text: str


def load_runbooks(directory: Path | None = None) -> list[Runbook]:
    """Every ``*.md`` runbook of ``directory`` (the packaged ones by default), sorted by name."""
    folder: Traversable | Path = directory or resources_root().joinpath("runbooks")
    books: list[Runbook] = []
    entries: Sequence[Traversable | Path] = sorted(folder.iterdir(), key=lambda p: p.name)
    for entry in entries:
        if not entry.name.endswith(".md"):
            continue
        try:
            books.append(_parse_runbook(entry.name, entry.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as e:
            raise ResourceError(f"invalid runbook {entry.name}: {e}") from e
    return books


def _parse_runbook(name: str, text: str) -> Runbook:
    meta: dict[str, object] = {}
    body = text
    if text.startswith("---\n"):
        head, _, body = text[4:].partition("\n---\n")
        loaded = yaml.safe_load(head)
        if isinstance(loaded, dict):
            meta = loaded
    title = next(
        (line.lstrip("# ").strip() for line in body.splitlines() if line.startswith("#")), name
    )
    category = meta.get("category")
    playbook = meta.get("playbook")
    return Runbook(
        name=name,
        title=title,
        category=str(category) if category is not None else None,
        playbook=str(playbook) if playbook is not None else None,
        text=body.strip(),
    )
