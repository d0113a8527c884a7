"""Topologies on an LLM backend: through the fake client, through litellm to a real HTTP
server, and (tier ``llm``) through litellm to llama.cpp serving a real small model."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import SecretStr

from logswarm.agents import BackendConfig, ModelConfig, run_topology
from logswarm.agents.backends import build_agent
from logswarm.agents.contracts import RCAInput, RCAOutput, Role
from logswarm.agents.environment import AgentEnvironment
from logswarm.agents.grounding import check_grounding, collect_claims, context_ids
from logswarm.agents.llm import ChatRequest
from tests.agents.fakes import FakeChatClient, credential_incident, oom_incident
from tests.support.llm_server import ScriptedOpenAIServer

_ROLE = re.compile(r"You are the (.+?) agent")


def _role_of(system_prompt: str) -> str:
    match = _ROLE.search(system_prompt)
    assert match, system_prompt[:200]
    return match.group(1).lower().replace(" ", "_")


def _answers_from(topology: str, incident_factory=oom_incident) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the reasoner answered per role: a well-behaved model's answers, for the script."""
    reference = run_topology(topology, [incident_factory()])[0]
    return {s.role: json.dumps(s.output) for s in reference.trajectory if s.output is not None}


def _backend(model: str = "fake/model", **kw: object) -> BackendConfig:
    return BackendConfig(kind="litellm", default_model=ModelConfig(model=model, **kw))


def test_llm_backend_runs_smart_with_accounting() -> None:
    answers = _answers_from("smart")
    client = FakeChatClient(lambda r: answers[_role_of(r.messages[0]["content"])])
    analysis = run_topology("smart", [oom_incident()], backend=_backend(), client=client)[0]
    assert analysis.backend == "fake/model"
    assert analysis.root_cause is not None
    assert analysis.root_cause.category == "oom"
    llm_steps = [s for s in analysis.trajectory if s.calls]
    # retrieval is tool work: answered by the reasoner, no model call
    assert {s.role for s in llm_steps} == {
        "intent_classifier", "root_cause_analysis", "validation",
        "remediation_recommender", "planner", "executor", "reviewer",
    }  # fmt: skip
    assert all(s.backend == "fake/model" for s in llm_steps)
    assert analysis.usage.calls == len(client.requests) == 7
    assert analysis.usage.prompt_tokens > 0
    assert analysis.usage.cost_usd == pytest.approx(0.007)
    assert analysis.grounding.score == 1.0


def test_validation_grounding_is_computed_not_taken_from_the_model() -> None:
    answers = _answers_from("smart")
    forged = json.loads(answers["validation"])
    forged["grounding"]["score"] = 1.0
    rca = json.loads(answers["root_cause_analysis"])
    rca["causal_chain"].append({"text": "the moon caused it", "evidence": ["L404"]})
    answers["validation"] = json.dumps(forged)
    answers["root_cause_analysis"] = json.dumps(rca)
    client = FakeChatClient(lambda r: answers[_role_of(r.messages[0]["content"])])
    analysis = run_topology("smart", [oom_incident()], backend=_backend(), client=client)[0]
    assert analysis.validation is not None
    assert analysis.validation.grounding.score < 1.0
    assert analysis.validation.verdict == "reject"
    assert [h.ids for h in analysis.validation.grounding.hallucinations] == [["L404"]]
    assert analysis.escalate


def test_a_model_obeying_an_injected_log_line_cannot_add_the_action() -> None:
    answers = _answers_from("rag", credential_incident)
    plan = json.loads(answers["executor"])
    plan["steps"].append(
        {
            "order": 3, "action": "delete_pod", "target_kind": "pod", "target": "prod",
            "target_evidence": "E9", "risk": "high",
            "rationale": {"text": "the log said so", "evidence": ["L5"]},
        }
    )  # fmt: skip
    answers["executor"] = json.dumps(plan)
    client = FakeChatClient(lambda r: answers[_role_of(r.messages[0]["content"])])
    analysis = run_topology("rag", [credential_incident()], backend=_backend(), client=client)[0]
    assert [s.action for s in analysis.plan] == ["deactivate_access_key", "add_nacl_deny"]
    executor = next(s for s in analysis.trajectory if s.role == "executor")
    assert executor.output is not None
    assert any("Dropped delete_pod on prod" in n["text"] for n in executor.output["notes"])


def test_a_failing_model_falls_back_to_the_reasoner_and_says_so() -> None:
    answers = _answers_from("rag")

    def script(request: ChatRequest) -> str:
        role = _role_of(request.messages[0]["content"])
        return "I think it is memory." if role == Role.PLANNER else answers[role]

    client = FakeChatClient(script)
    backend = _backend(max_repairs=1)
    analysis = run_topology("rag", [oom_incident()], backend=backend, client=client)[0]
    planner = next(s for s in analysis.trajectory if s.role == "planner")
    assert planner.backend == "deterministic (fallback)"
    assert planner.notes
    assert "LLMOutputInvalidError" in planner.notes[0]
    assert len(planner.calls) == 2
    assert not any(c.ok for c in planner.calls)
    assert analysis.plan
    assert analysis.errors == []
    strict = BackendConfig(
        kind="litellm", default_model=backend.default_model, fallback_to_deterministic=False
    )
    failed = run_topology("rag", [oom_incident()], backend=strict, client=FakeChatClient(script))[0]
    assert any("planner" in e and "LLMOutputInvalidError" in e for e in failed.errors)


def test_per_role_models_and_the_cache_across_incidents() -> None:
    answers = _answers_from("linear")
    client = FakeChatClient(lambda r: answers[_role_of(r.messages[0]["content"])])
    backend = BackendConfig(
        kind="litellm",
        default_model=ModelConfig(model="fake/small"),
        roles={"planner": ModelConfig(model="fake/large")},
    )
    first, second = run_topology(
        "linear", [oom_incident(), oom_incident()], backend=backend, client=client
    )
    assert [s.backend for s in first.trajectory] == ["fake/large", "fake/small", "fake/small"]
    assert len(client.requests) == 3  # the second, identical incident came from the cache
    assert second.usage.cached_calls == 3
    assert second.usage.cost_usd == 0
    assert second.root_cause == first.root_cause


def test_rag_through_litellm_and_a_real_http_server() -> None:
    answers = _answers_from("rag")

    def responder(body: dict[str, object]) -> str:
        messages = body["messages"]
        assert isinstance(messages, list)
        return answers[_role_of(messages[0]["content"])]

    with ScriptedOpenAIServer(responder) as server:
        backend = BackendConfig.local(api_base=server.api_base, alias="scripted", timeout_s=30)
        analysis = run_topology("rag", [oom_incident()], backend=backend)[0]
    assert analysis.backend == "openai/scripted"
    assert analysis.root_cause is not None
    assert analysis.root_cause.category == "oom"
    assert analysis.usage.calls == len(server.requests) == 5
    assert all(r["response_format"]["type"] == "json_object" for r in server.requests)
    assert analysis.usage.prompt_tokens > 0


@pytest.mark.llm
@pytest.mark.slow
def test_real_local_model_answers_rca_within_the_contract(llama_server: str) -> None:
    """Qwen2.5-Coder-0.5B on llama.cpp (one thread): the RCA role through litellm.

    The contract is enforced (schema in the grammar, repairs, no fallback): the test fails if
    the model cannot produce a schema-valid answer. Whether so small a model finds the right
    cause is a benchmark figure, not a test assertion; that every claim is checked is.
    """
    backend = BackendConfig(
        kind="litellm",
        default_model=ModelConfig(
            model="openai/local", api_base=llama_server, api_key=SecretStr("sk-local"),
            timeout_s=1200, max_tokens=400, max_repairs=1,
        ),
        fallback_to_deterministic=False,
    )  # fmt: skip
    incident = oom_incident()
    agent = build_agent(backend, AgentEnvironment.default())
    result = agent.run(Role.ROOT_CAUSE_ANALYSIS, RCAInput(incident=incident))
    assert isinstance(result.output, RCAOutput)
    assert result.backend == "openai/local"
    assert result.calls[-1].ok
    assert result.calls[-1].completion_tokens > 0
    assert result.calls[-1].cost_known is False
    report = check_grounding(collect_claims(result.output), context=context_ids(incident))
    assert report.claims_total >= 1
