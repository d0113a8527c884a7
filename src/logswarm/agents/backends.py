"""Backend configuration: which model (or none) answers each role.

``BackendConfig`` is what an AgentPool's spec and the CLI's flags turn into. ``kind:
deterministic`` (the default) needs nothing; ``kind: litellm`` names a default model and
per-role overrides — any litellm model, or a local OpenAI-compatible server
(:meth:`BackendConfig.local`). Keys arrive as secret values from the caller (a Kubernetes
Secret, a CLI flag); nothing here reads the environment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from logswarm.agents.contracts import ROLE_CONTRACTS
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.llm import (
    ChatClient,
    LiteLLMClient,
    MemoryCache,
    ModelConfig,
    ResponseCache,
    StructuredLLM,
)
from logswarm.agents.prompts import PromptLibrary
from logswarm.agents.reasoner import DeterministicReasoner
from logswarm.agents.roles import DeterministicAgent, FallbackAgent, LLMAgent, RoleAgent

__all__ = ["BackendConfig", "build_agent"]


class BackendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["deterministic", "litellm"] = "deterministic"
    #: The model of every LLM role without an override.
    default_model: ModelConfig | None = None
    #: Per-role overrides, keyed by role name (``root_cause_analysis``, ``planner``...).
    roles: dict[str, ModelConfig] = Field(default_factory=dict)
    #: Answer with the reasoner when a model fails (timeout, still-invalid output).
    fallback_to_deterministic: bool = True
    #: Answer identical calls from a cache.
    cache: bool = True

    @classmethod
    def local(
        cls,
        *,
        api_base: str,
        alias: str,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        max_tokens: int = 768,
    ) -> BackendConfig:
        """A local OpenAI-compatible server (llama.cpp, vLLM...) serving model ``alias``."""
        return cls(
            kind="litellm",
            default_model=ModelConfig(
                model=f"openai/{alias}",
                api_base=api_base,
                api_key=SecretStr(api_key or "sk-local"),
                timeout_s=timeout_s,
                max_tokens=max_tokens,
                response_format="json_object_schema",
            ),
        )

    def model_for(self, role: str) -> ModelConfig | None:
        if self.kind == "deterministic":
            return None
        return self.roles.get(role, self.default_model)

    @property
    def label(self) -> str:
        if self.kind == "deterministic":
            return "deterministic"
        return self.default_model.model if self.default_model else "litellm"


def build_agent(
    backend: BackendConfig,
    env: AgentEnvironment,
    *,
    client: ChatClient | None = None,
    cache: ResponseCache | None = None,
    prompts: PromptLibrary | None = None,
) -> RoleAgent:
    """The agent that answers every role of ``backend`` in this process."""
    reasoner = DeterministicReasoner(env)
    deterministic = DeterministicAgent(reasoner)
    if backend.kind == "deterministic":
        return deterministic
    configs = {role: cfg for role in ROLE_CONTRACTS if (cfg := backend.model_for(role)) is not None}
    llm = StructuredLLM(
        client=client or LiteLLMClient(),
        prompts=prompts,
        cache=cache if cache is not None else (MemoryCache() if backend.cache else None),
    )
    agent: RoleAgent = LLMAgent(llm=llm, configs=configs, reasoner=reasoner)
    if backend.fallback_to_deterministic:
        agent = FallbackAgent(primary=agent, fallback=deterministic)
    return agent
