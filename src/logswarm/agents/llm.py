"""The LLM layer: the only module of LogSwarm that imports litellm.

One seam, :class:`ChatClient` (messages in, text and token usage out), with one real
implementation, :class:`LiteLLMClient`, which reaches any provider litellm knows (OpenAI,
Anthropic, Bedrock, Ollama, vLLM, llama.cpp's or any OpenAI-compatible server via
``openai/<alias>`` and ``api_base``). Tests replace the client, not litellm.

On top of it, :class:`StructuredLLM` turns a call into a validated contract object:

- the output model's JSON schema goes into the system prompt and, where the provider supports
  it, into ``response_format`` (``{"type": "json_object", "schema": ...}`` is what
  llama-cpp-python's server accepts; it rejects the ``json_schema`` form);
- an answer that is not valid JSON or not valid against the model is fed back with the
  validation error (the *repair* loop), a bounded number of times;
- transport errors and timeouts are retried a bounded number of times, then raised;
- identical calls (model, messages, schema) are answered from a cache;
- every attempt leaves a :class:`~logswarm.agents.accounting.CallRecord` (tokens, cost from
  litellm's cost map, latency).

litellm is imported lazily (it takes seconds) and never configured through its globals; keys
are passed per call. litellm reads ``LITELLM_LOCAL_MODEL_COST_MAP`` once, *at import time*, to
decide whether to fetch its price list from the internet; :func:`import_litellm` is the one
controlled place that sets it (and ``LITELLM_OFFLINE_MODE``) for the duration of that import
and restores the previous environment afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from logswarm.agents.accounting import CallRecord
from logswarm.agents.errors import (
    LLMOutputInvalidError,
    LLMTimeoutError,
    LLMTransportError,
)
from logswarm.agents.prompts import PromptLibrary

__all__ = [
    "ChatClient",
    "ChatRequest",
    "ChatResponse",
    "LiteLLMClient",
    "MemoryCache",
    "ModelConfig",
    "ResponseCache",
    "StructuredLLM",
    "import_litellm",
]

T = TypeVar("T", bound=BaseModel)
Message = dict[str, str]

_OFFLINE_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_OFFLINE_MODE": "true"}
_import_lock = threading.Lock()


@contextmanager
def _scoped_env(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def _quiet_litellm() -> Iterator[None]:
    """litellm (and pydantic on litellm's models) warn on import and on lazy imports at call
    time; we cannot fix those, and under ``-W error`` they would fail the caller. Silenced
    only inside litellm calls, only for warnings raised from litellm's or pydantic's modules."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"(litellm|pydantic)(\..*)?$")
        yield


def import_litellm() -> ModuleType:
    """Import litellm so that it loads its *bundled* cost map instead of fetching one.

    The variables are set only around the first import (litellm reads them then) and the
    previous environment is restored; later imports return the already-loaded module.
    """
    with _import_lock:
        import sys

        if "litellm" in sys.modules:
            return sys.modules["litellm"]
        with _scoped_env(_OFFLINE_ENV), _quiet_litellm():
            import litellm
        return litellm


class ModelConfig(BaseModel):
    """Which model answers a role, and how. The API key is a secret passed in, never read here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(description="litellm model name, e.g. 'openai/qwen' or 'gpt-4o-mini'")
    api_base: str | None = None
    api_key: SecretStr | None = None
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1024, ge=16)
    #: Seconds per request; small local models on two cores need generous values.
    timeout_s: float = Field(default=120.0, gt=0)
    #: Re-asks with the validation error fed back before giving up.
    max_repairs: int = Field(default=2, ge=0, le=10)
    #: Retries of a request that failed in transport (connection, 5xx, timeout).
    max_transport_retries: int = Field(default=1, ge=0, le=10)
    #: How the schema reaches the provider: 'json_object_schema' for llama.cpp-style servers,
    #: 'json_schema' for OpenAI structured outputs, 'json_object' for JSON mode only, 'none'
    #: to rely on the prompt alone.
    response_format: Literal["json_object_schema", "json_schema", "json_object", "none"] = (
        "json_object_schema"
    )
    seed: int | None = 0


@dataclass(frozen=True, slots=True)
class ChatRequest:
    config: ModelConfig
    messages: Sequence[Message]
    response_format: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class ChatResponse:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    model: str = ""


class ChatClient(Protocol):
    """Sends one chat request. Raises :class:`LLMTransportError` / :class:`LLMTimeoutError`."""

    def complete(self, request: ChatRequest) -> ChatResponse: ...


class LiteLLMClient:
    """:class:`ChatClient` over ``litellm.completion`` (any provider litellm supports)."""

    def __init__(self, *, extra_kwargs: Mapping[str, Any] | None = None) -> None:
        #: Passed to every call, e.g. ``{"mock_response": ...}`` in litellm-level tests.
        self._extra = dict(extra_kwargs or {})

    def complete(self, request: ChatRequest) -> ChatResponse:
        litellm = import_litellm()
        import openai  # litellm's dependency; its exception tree is litellm's base

        cfg = request.config
        kwargs: dict[str, Any] = {
            "model": cfg.model,
            "messages": list(request.messages),
            "temperature": cfg.temperature,
            "max_tokens": cfg.max_tokens,
            "timeout": cfg.timeout_s,
            "num_retries": 0,
            **self._extra,
        }
        if cfg.api_base:
            kwargs["api_base"] = cfg.api_base
        if cfg.api_key is not None:
            kwargs["api_key"] = cfg.api_key.get_secret_value()
        if cfg.seed is not None:
            kwargs["seed"] = cfg.seed
        if request.response_format is not None:
            kwargs["response_format"] = dict(request.response_format)
        try:
            with _quiet_litellm():
                response = litellm.completion(**kwargs)
        except litellm.Timeout as e:
            raise LLMTimeoutError(f"{cfg.model}: timed out after {cfg.timeout_s}s") from e
        except openai.OpenAIError as e:  # root of every litellm provider exception
            raise LLMTransportError(f"{cfg.model}: {e}") from e
        choice = response.choices[0]
        text = choice.message.content or ""
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        cost, known = _cost(litellm, response)
        return ChatResponse(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost,
            cost_known=known,
            model=str(getattr(response, "model", cfg.model)),
        )


def _cost(litellm: ModuleType, response: Any) -> tuple[float, bool]:
    """Price from litellm's (local) cost map; unknown models (local servers) cost 0, unknown."""
    model = str(getattr(response, "model", "") or "")
    prices = getattr(litellm, "model_cost", {})
    if model not in prices and model.split("/", 1)[-1] not in prices:
        return 0.0, False  # asking would make litellm print its provider list to stdout
    try:
        with _quiet_litellm():
            return float(litellm.completion_cost(completion_response=response)), True
    except Exception:
        return 0.0, False


class ResponseCache(Protocol):
    def get(self, key: str) -> ChatResponse | None: ...

    def put(self, key: str, value: ChatResponse) -> None: ...


class MemoryCache:
    """A process-local cache of responses keyed by :func:`cache_key` (thread-safe)."""

    def __init__(self) -> None:
        self._data: dict[str, ChatResponse] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> ChatResponse | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: str, value: ChatResponse) -> None:
        with self._lock:
            self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)


def cache_key(request: ChatRequest) -> str:
    cfg = request.config
    material = {
        "model": cfg.model,
        "api_base": cfg.api_base,
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
        "seed": cfg.seed,
        "messages": list(request.messages),
        "response_format": request.response_format,
    }
    blob = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> str:
    """The JSON object inside an answer (tolerates code fences and prose around it)."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start = text.find("{")
    end = text.rfind("}")
    if start == -1 or end < start:
        return text.strip()
    return text[start : end + 1]


def _response_format(cfg: ModelConfig, output_model: type[BaseModel]) -> dict[str, Any] | None:
    schema = output_model.model_json_schema()
    if cfg.response_format == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if cfg.response_format == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {"name": output_model.__name__, "schema": schema, "strict": False},
        }
    if cfg.response_format == "json_object":
        return {"type": "json_object"}
    return None


class StructuredLLM:
    """Validated, repaired, cached, accounted structured calls through a :class:`ChatClient`."""

    def __init__(
        self,
        *,
        client: ChatClient,
        prompts: PromptLibrary | None = None,
        cache: ResponseCache | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._client = client
        self._prompts = prompts or PromptLibrary()
        self._cache = cache
        self._clock = clock

    @property
    def prompts(self) -> PromptLibrary:
        return self._prompts

    def generate(
        self,
        *,
        role: str,
        config: ModelConfig,
        messages: Sequence[Message],
        output_model: type[T],
    ) -> tuple[T, list[CallRecord]]:
        """Ask until the answer validates against ``output_model`` (or the repairs run out)."""
        conversation: list[Message] = list(messages)
        records: list[CallRecord] = []
        response_format = _response_format(config, output_model)
        last_text = ""
        last_error = ""
        for attempt in range(1, config.max_repairs + 2):
            request = ChatRequest(
                config=config, messages=tuple(conversation), response_format=response_format
            )
            response, record = self._send(role=role, request=request, attempt=attempt)
            records.append(record)
            last_text = response.text
            try:
                value = output_model.model_validate_json(extract_json(response.text))
            except ValidationError as e:
                last_error = _short_errors(e)
                record.ok = False
                record.error = f"invalid output: {last_error}"
                conversation.append({"role": "assistant", "content": response.text})
                conversation.append(
                    {"role": "user", "content": self._prompts.repair(error=last_error)}
                )
                continue
            if record.cached is False and self._cache is not None:
                self._cache.put(cache_key(request), response)
            return value, records
        error = LLMOutputInvalidError(
            f"{role}: answer still invalid after {config.max_repairs} repairs: {last_error}",
            role=role,
            attempts=len(records),
            last_output=last_text,
        )
        error.records = records
        raise error

    def _send(
        self, *, role: str, request: ChatRequest, attempt: int
    ) -> tuple[ChatResponse, CallRecord]:
        key = cache_key(request)
        if self._cache is not None and (hit := self._cache.get(key)) is not None:
            return hit, CallRecord(
                role=role, model=request.config.model, attempt=attempt, cached=True
            )
        failure: LLMTransportError | None = None
        for _ in range(request.config.max_transport_retries + 1):
            started = self._clock()
            try:
                response = self._client.complete(request)
            except LLMTransportError as e:
                failure = e
                continue
            latency = (self._clock() - started) * 1000.0
            return response, CallRecord(
                role=role,
                model=response.model or request.config.model,
                attempt=attempt,
                prompt_tokens=response.prompt_tokens,
                completion_tokens=response.completion_tokens,
                cost_usd=response.cost_usd,
                cost_known=response.cost_known,
                latency_ms=latency,
            )
        assert failure is not None
        raise failure


def _short_errors(error: ValidationError, limit: int = 8) -> str:
    parts = []
    for item in error.errors()[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)
