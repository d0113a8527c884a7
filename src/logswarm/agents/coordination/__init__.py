"""Offline, evidence-based implementations of the seed's Model 4-6 roles.

These sit beside :mod:`logswarm.agents.reasoner` (which answers the Model 1-3 roles) and reuse
its public analysis; :class:`~logswarm.agents.roles.DeterministicAgent` dispatches to
:meth:`CoordinationRoles.handlers`. Modules: :mod:`.auction` (auctioneer, specialists),
:mod:`.federation` (regions, gateway, global synthesizer), :mod:`.debate` (debaters, referee),
:mod:`.safety_gate` (the HiTL safety role). One :class:`CoordinationRoles` per agent process:
the auctioneer's reputation ledger lives in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from logswarm.agents.contracts import SPECIALIST_DOMAINS, Role
from logswarm.agents.coordination.auction import AWARD_RULE, Auctioneer, Specialist
from logswarm.agents.coordination.debate import Debater, Referee
from logswarm.agents.coordination.federation import (
    DEFAULT_REGION,
    FederationGateway,
    GlobalSynthesizer,
    RegionalCoordinator,
    split_by_region,
)
from logswarm.agents.coordination.safety_gate import SafetyGate, gate_decisions
from logswarm.agents.reasoner import DeterministicReasoner

__all__ = [
    "AWARD_RULE",
    "DEFAULT_REGION",
    "MECHANISM_ROLES",
    "Auctioneer",
    "CoordinationRoles",
    "Debater",
    "FederationGateway",
    "GlobalSynthesizer",
    "Referee",
    "RegionalCoordinator",
    "SafetyGate",
    "Specialist",
    "gate_decisions",
    "split_by_region",
]

#: Roles that are mechanisms, never a model's judgement, whatever the backend: the award rule
#: and reputation ledger, the data-governance filter, and the safety policy.
MECHANISM_ROLES = frozenset({Role.COORDINATOR, Role.FEDERATION_GATEWAY, Role.SAFETY})


class CoordinationRoles:
    """The Model 4-6 roles of one agent process."""

    def __init__(self, reasoner: DeterministicReasoner) -> None:
        self.auctioneer = Auctioneer(reasoner)
        self.specialists = {role: Specialist(role, reasoner) for role in SPECIALIST_DOMAINS}
        self.regional = RegionalCoordinator(reasoner)
        self.gateway = FederationGateway()
        self.synthesizer = GlobalSynthesizer()
        self.debater = Debater(reasoner)
        self.referee = Referee()
        self.safety = SafetyGate()

    def handlers(self) -> dict[str, Callable[[Any], BaseModel]]:
        out: dict[str, Callable[[Any], BaseModel]] = {
            Role.COORDINATOR: self.auctioneer.run,
            Role.REGIONAL_COORDINATOR: self.regional.run,
            Role.FEDERATION_GATEWAY: self.gateway.run,
            Role.GLOBAL_SYNTHESIZER: self.synthesizer.run,
            Role.DEBATER: self.debater.run,
            Role.REFEREE: self.referee.run,
            Role.SAFETY: self.safety.run,
        }
        out.update({role: s.run for role, s in self.specialists.items()})
        return out
