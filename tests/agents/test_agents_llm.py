"""The LLM layer: repair loop, bounded retries, timeouts, caching and accounting.

Unit tests use the fake client at the ChatClient seam (tests/agents/fakes.py); the litellm
tests go through litellm itself, with its ``mock_response`` and against a real HTTP server.
"""

from __future__ import annotations

import json
import os
import threading

import pytest
from pydantic import BaseModel, SecretStr

from logswarm.agents.contracts import Claim, RCAInput, RCAOutput, Role
from logswarm.agents.errors import LLMOutputInvalidError, LLMTimeoutError, LLMTransportError
from logswarm.agents.llm import (
    LiteLLMClient,
    MemoryCache,
    ModelConfig,
    StructuredLLM,
    extract_json,
    import_litellm,
)
from tests.agents.fakes import FakeChatClient, oom_incident
from tests.support.llm_server import ScriptedOpenAIServer, ServerFaultError


class Verdict(BaseModel):
    verdict: str
    claims: list[Claim]


VALID = json.dumps({"verdict": "ok", "claims": [{"text": "fine", "evidence": ["L1"]}]})
CFG = ModelConfig(model="fake/model", max_repairs=2, max_transport_retries=1)
MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "judge"}]


def _llm(client: FakeChatClient, cache: MemoryCache | None = None) -> StructuredLLM:
    return StructuredLLM(client=client, cache=cache)


def test_invalid_answers_are_repaired_with_the_error_fed_back() -> None:
    client = FakeChatClient(["not json at all", '{"verdict": "ok"}', f"```json\n{VALID}\n```"])
    value, records = _llm(client).generate(
        role="validation", config=CFG, messages=MESSAGES, output_model=Verdict
    )
    assert value.verdict == "ok"
    assert [r.ok for r in records] == [False, False, True]
    assert [r.attempt for r in records] == [1, 2, 3]
    second = client.requests[1].messages
    assert second[-2] == {"role": "assistant", "content": "not json at all"}
    assert "not valid against the schema" in second[-1]["content"]
    third = client.requests[2].messages
    assert "claims: Field required" in third[-1]["content"]


def test_repairs_are_bounded_and_spent_tokens_stay_accounted() -> None:
    client = FakeChatClient(['{"verdict": 1}'])
    with pytest.raises(LLMOutputInvalidError) as caught:
        _llm(client).generate(
            role="validation", config=CFG, messages=MESSAGES, output_model=Verdict
        )
    assert caught.value.attempts == 3
    assert len(client.requests) == 3
    assert len(caught.value.records) == 3
    assert all(r.completion_tokens > 0 for r in caught.value.records)


def test_transport_errors_are_retried_a_bounded_number_of_times() -> None:
    client = FakeChatClient([LLMTransportError("502"), VALID])
    value, records = _llm(client).generate(
        role="planner", config=CFG, messages=MESSAGES, output_model=Verdict
    )
    assert value.verdict == "ok"
    assert len(client.requests) == 2
    assert len(records) == 1
    failing = FakeChatClient([LLMTransportError("502"), LLMTransportError("503"), VALID])
    with pytest.raises(LLMTransportError, match="503"):
        _llm(failing).generate(role="planner", config=CFG, messages=MESSAGES, output_model=Verdict)


def test_timeouts_surface_as_timeouts() -> None:
    cfg = CFG.model_copy(update={"max_transport_retries": 0})
    client = FakeChatClient([LLMTimeoutError("slow")])
    with pytest.raises(LLMTimeoutError):
        _llm(client).generate(role="planner", config=cfg, messages=MESSAGES, output_model=Verdict)


def test_identical_calls_are_answered_from_the_cache() -> None:
    client = FakeChatClient([VALID])
    llm = _llm(client, cache=MemoryCache())
    first, r1 = llm.generate(role="planner", config=CFG, messages=MESSAGES, output_model=Verdict)
    second, r2 = llm.generate(role="planner", config=CFG, messages=MESSAGES, output_model=Verdict)
    assert first == second
    assert len(client.requests) == 1
    assert r1[0].cached is False
    assert r1[0].cost_usd > 0
    assert r2[0].cached is True
    assert r2[0].cost_usd == 0
    assert r2[0].prompt_tokens == 0
    other_model = CFG.model_copy(update={"model": "fake/other"})
    llm.generate(role="planner", config=other_model, messages=MESSAGES, output_model=Verdict)
    assert len(client.requests) == 2


def test_invalid_answers_are_not_cached() -> None:
    client = FakeChatClient(["{}", VALID])
    llm = _llm(client, cache=MemoryCache())
    llm.generate(role="planner", config=CFG, messages=MESSAGES, output_model=Verdict)
    llm.generate(role="planner", config=CFG, messages=MESSAGES, output_model=Verdict)
    # The first (invalid) answer is asked again; the repaired conversation is cached.
    assert len(client.requests) == 3


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("json_object_schema", {"type": "json_object", "schema": True}),
        ("json_object", {"type": "json_object"}),
        ("none", None),
    ],
)
def test_schema_reaches_the_provider_in_the_configured_form(mode: str, expected: object) -> None:
    client = FakeChatClient([VALID])
    cfg = CFG.model_copy(update={"response_format": mode})
    _llm(client).generate(role="planner", config=cfg, messages=MESSAGES, output_model=Verdict)
    sent = client.requests[0].response_format
    if expected is None:
        assert sent is None
    else:
        assert sent is not None
        assert sent["type"] == "json_object"
        assert ("schema" in sent) == ("schema" in expected)  # type: ignore[operator]


def test_extract_json_tolerates_prose_and_fences() -> None:
    assert extract_json('Sure! {"a": {"b": 1}} hope it helps') == '{"a": {"b": 1}}'
    assert extract_json('```json\n{"a": 1}\n```') == '{"a": 1}'


def test_import_litellm_leaves_the_environment_as_it_was() -> None:
    before = os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP")
    import_litellm()
    assert os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP") == before


def test_litellm_mock_response_is_priced_from_the_local_cost_map() -> None:
    client = LiteLLMClient(extra_kwargs={"mock_response": VALID})
    llm = StructuredLLM(client=client)
    cfg = ModelConfig(model="gpt-4o-mini", response_format="none", api_key=SecretStr("sk-test"))
    value, records = llm.generate(
        role="planner", config=cfg, messages=MESSAGES, output_model=Verdict
    )
    assert value.verdict == "ok"
    assert records[0].prompt_tokens > 0
    assert records[0].cost_known
    assert records[0].cost_usd > 0


def _rca_answer(_: object) -> str:
    return RCAOutput(
        root_cause={
            "category": "oom", "entity": "E3", "entity_value": "checkout", "confidence": 0.8,
            "summary": {"text": "checkout ran out of memory", "evidence": ["L3", "E3"]},
        },
    ).model_dump_json()  # fmt: skip


def test_litellm_reaches_an_openai_compatible_server_over_http() -> None:
    with ScriptedOpenAIServer(_rca_answer) as server:
        cfg = ModelConfig(
            model="openai/scripted", api_base=server.api_base, api_key=SecretStr("sk-local"),
            timeout_s=30,
        )  # fmt: skip
        llm = StructuredLLM(client=LiteLLMClient())
        messages = [{"role": "user", "content": "why?"}]
        value, records = llm.generate(
            role=Role.ROOT_CAUSE_ANALYSIS, config=cfg, messages=messages, output_model=RCAOutput
        )
    assert value.root_cause.entity == "E3"
    assert records[0].prompt_tokens == 1
    assert records[0].completion_tokens > 0
    assert records[0].cost_known is False  # a local alias has no price
    sent = server.requests[0]
    assert sent["model"] == "scripted"
    assert sent["response_format"]["type"] == "json_object"
    assert sent["response_format"]["schema"]["title"] == "RCAOutput"


def test_server_errors_and_timeouts_through_litellm() -> None:
    release = threading.Event()

    def responder(body: dict[str, object]) -> str:
        if body["messages"][0]["content"] == "fail":  # type: ignore[index]
            raise ServerFaultError("model crashed", status=500)
        release.wait(10)
        return VALID

    with ScriptedOpenAIServer(responder) as server:
        cfg = ModelConfig(
            model="openai/scripted", api_base=server.api_base, api_key=SecretStr("x"),
            timeout_s=0.5, max_transport_retries=0, response_format="none",
        )  # fmt: skip
        llm = StructuredLLM(client=LiteLLMClient())
        with pytest.raises(LLMTransportError) as crashed:
            llm.generate(
                role="planner",
                config=cfg,
                messages=[{"role": "user", "content": "fail"}],
                output_model=Verdict,
            )
        assert not isinstance(crashed.value, LLMTimeoutError)
        try:
            with pytest.raises(LLMTimeoutError):
                llm.generate(
                    role="planner",
                    config=cfg,
                    messages=[{"role": "user", "content": "hang"}],
                    output_model=Verdict,
                )
        finally:
            release.set()


def test_rca_input_renders_into_the_prompt_with_evidence_ids() -> None:
    from logswarm.agents.prompts import PromptLibrary

    prompts = PromptLibrary()
    text = prompts.user(
        role=Role.ROOT_CAUSE_ANALYSIS, payload=RCAInput(incident=oom_incident()), categories=["oom"]
    )
    assert "L3 [" in text
    assert "E3 deployment checkout" in text
    assert "T1 x6" in text
