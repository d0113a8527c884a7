"""The exceptions the agents layer raises, in one tree so callers can catch at the right depth.

::

    AgentError
    ├── LLMError                  the model could not give a usable answer
    │   ├── LLMTransportError     connection refused, HTTP 5xx, provider error
    │   │   └── LLMTimeoutError   the call exceeded the role's timeout
    │   └── LLMOutputInvalidError still not valid against the contract after every repair
    ├── ContractError             a payload does not match a role's contract
    ├── TopologyError             a graph is malformed or names an unknown role / condition
    ├── TransportError            a role could not be reached (HTTP transport)
    └── ResourceError             a packaged prompt / playbook / runbook is missing or invalid

Tools never raise these: a failing tool returns its error as data (see
:mod:`logswarm.agents.tools.base`) so that an agent can recover or say why it could not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logswarm.agents.accounting import CallRecord

__all__ = [
    "AgentError",
    "ContractError",
    "LLMError",
    "LLMOutputInvalidError",
    "LLMTimeoutError",
    "LLMTransportError",
    "ResourceError",
    "TopologyError",
    "TransportError",
]


class AgentError(Exception):
    """Base of every error raised by :mod:`logswarm.agents`."""


class LLMError(AgentError):
    """A model call did not produce a usable answer."""

    #: The attempts made before giving up (tokens were spent on them: they are accounted).
    records: list[CallRecord]

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.records = []


class LLMTransportError(LLMError):
    """The provider could not be reached or answered with an error."""


class LLMTimeoutError(LLMTransportError):
    """The call took longer than the role's configured timeout."""


class LLMOutputInvalidError(LLMError):
    """The answer stayed invalid against the role's output contract after every repair."""

    def __init__(self, message: str, *, role: str, attempts: int, last_output: str) -> None:
        super().__init__(message)
        self.role = role
        self.attempts = attempts
        self.last_output = last_output


class ContractError(AgentError):
    """A payload does not validate against the contract of the role it was sent to."""


class TopologyError(AgentError):
    """A topology graph is malformed, or refers to a role / input / condition nobody provides."""


class TransportError(AgentError):
    """A role could not be invoked through its transport (e.g. the agent pod is unreachable)."""


class ResourceError(AgentError):
    """A packaged resource (prompt template, playbook catalogue, runbook) is missing or invalid."""
