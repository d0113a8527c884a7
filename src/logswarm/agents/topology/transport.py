"""How the engine reaches a role: a function call in-process, or an HTTP POST to an agent pod.

The engine only knows :class:`RoleTransport`. :class:`InProcessTransport` calls a
:class:`~logswarm.agents.roles.RoleAgent` directly (CLI, tests). :class:`HttpTransport` POSTs
the role's input contract as JSON to ``{base_url}/v1/roles/{role}`` and validates the answer
against the role's output contract — the wire format of the agent pods the operator deploys.
:func:`handle_role_request` is the server half of that wire format (the agent pods' HTTP server
calls it), so client and server cannot drift apart.

Contracts are looked up in a registry (role -> input, output models) that defaults to the
built-in roles and can be extended — test graphs use it for specialist, regional and debater
roles whose contracts come with later topologies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ValidationError

from logswarm.agents.accounting import CallRecord
from logswarm.agents.contracts import ROLE_CONTRACTS
from logswarm.agents.errors import ContractError, TransportError
from logswarm.agents.roles import RoleAgent, RoleResult

__all__ = [
    "ContractRegistry",
    "HttpTransport",
    "InProcessTransport",
    "RoleTransport",
    "handle_role_request",
]

ContractRegistry = Mapping[str, tuple[type[BaseModel], type[BaseModel]]]


class RoleTransport(Protocol):
    """Invoke ``role`` with its input model; return its output model and accounting."""

    def invoke(self, role: str, payload: BaseModel) -> RoleResult: ...


class InProcessTransport:
    """Roles answered by agents living in this process (one agent may answer many roles)."""

    def __init__(
        self, agents: Mapping[str, RoleAgent], *, default: RoleAgent | None = None
    ) -> None:
        self._agents = dict(agents)
        self._default = default

    @classmethod
    def single(cls, agent: RoleAgent) -> InProcessTransport:
        return cls({}, default=agent)

    def invoke(self, role: str, payload: BaseModel) -> RoleResult:
        agent = self._agents.get(role, self._default)
        if agent is None:
            raise TransportError(f"no agent serves role {role!r} in this process")
        return agent.run(role, payload)


def handle_role_request(
    *,
    role: str,
    body: Mapping[str, Any],
    transport: RoleTransport,
    contracts: ContractRegistry = ROLE_CONTRACTS,
) -> tuple[int, dict[str, Any]]:
    """Server side of the wire format: (HTTP status, JSON body) for one role request."""
    if role not in contracts:
        return 404, {"error": f"unknown role {role!r}"}
    input_model, _ = contracts[role]
    try:
        payload = input_model.model_validate(body.get("input"))
    except ValidationError as e:
        return 422, {
            "error": f"input does not match the {role} contract",
            "detail": e.errors(include_url=False, include_context=False),
        }
    result = transport.invoke(role, payload)
    return 200, {
        "output": result.output.model_dump(mode="json"),
        "backend": result.backend,
        "calls": [c.model_dump(mode="json") for c in result.calls],
        "notes": result.notes,
    }


class HttpTransport:
    """Roles answered by agent pods over HTTP; ``base_urls`` maps role -> base URL."""

    def __init__(
        self,
        *,
        client: httpx.Client,
        base_urls: Mapping[str, str] | None = None,
        default_base_url: str | None = None,
        contracts: ContractRegistry = ROLE_CONTRACTS,
    ) -> None:
        self._client = client
        self._base_urls = dict(base_urls or {})
        self._default = default_base_url
        self._contracts = contracts

    def invoke(self, role: str, payload: BaseModel) -> RoleResult:
        base = self._base_urls.get(role, self._default)
        if base is None:
            raise TransportError(f"no URL configured for role {role!r}")
        if role not in self._contracts:
            raise ContractError(f"role {role!r} has no contract")
        _, output_model = self._contracts[role]
        url = f"{base.rstrip('/')}/v1/roles/{role}"
        try:
            response = self._client.post(url, json={"input": payload.model_dump(mode="json")})
        except httpx.HTTPError as e:
            raise TransportError(f"{role}: {url}: {e}") from e
        if response.status_code != httpx.codes.OK:
            raise TransportError(
                f"{role}: {url}: HTTP {response.status_code}: {response.text[:300]}"
            )
        try:
            body = response.json()
            output = output_model.model_validate(body["output"])
            calls = [CallRecord.model_validate(c) for c in body.get("calls", [])]
        except (ValueError, KeyError, ValidationError) as e:
            raise ContractError(f"{role}: answer does not match the contract: {e}") from e
        return RoleResult(
            output=output,
            backend=str(body.get("backend", "remote")),
            calls=calls,
            notes=[str(n) for n in body.get("notes", [])],
        )
