"""A pool role's ``llm`` reaches its agent pod as flags and a Secret-backed key, and the agent
answers that role with litellm (the LLM seam faked) or, without one, the offline reasoner."""

from __future__ import annotations

import argparse
import json
from typing import Any

import httpx

from logswarm.agents.contracts import RCAInput
from logswarm.agents.server import AgentServer
from logswarm.api.v1alpha1 import AgentPoolSpec
from logswarm.cli.agent import add_parser, backend_from_args
from logswarm.operator.agentpool import PoolRef, build_children
from tests.agents.fakes import FakeChatClient, oom_incident

POOL = PoolRef(name="shop", namespace="prod", uid="u-1")


def _deployments(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    wire = AgentPoolSpec.model_validate(spec).model_dump(mode="json", exclude_none=True)
    return {
        c["metadata"]["labels"]["logswarm.io/role"]: c
        for c in build_children(POOL, wire)
        if c["kind"] == "Deployment"
    }


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(container)


SPEC = {
    "topology": "linear",
    "roles": [
        {
            "name": "planner",
            "llm": {
                "model": "openai/gpt-4o-mini",
                "apiBase": "https://llm.example.com/v1",
                "apiKeySecretRef": {"name": "llm-keys", "key": "openai"},
                "temperature": 0.2,
                "maxTokens": 900,
                "timeoutSeconds": 60,
            },
        },
        {"name": "executor"},
        {"name": "reviewer"},
    ],
}


def test_a_roles_llm_becomes_agent_flags_and_a_secret_reference() -> None:
    deployments = _deployments(SPEC)
    planner = _container(deployments["planner"])
    assert planner["args"] == [
        "agent", "--role", "planner", "--port", "8080",
        "--llm-model", "openai/gpt-4o-mini",
        "--llm-api-base", "https://llm.example.com/v1",
        "--llm-temperature", "0.2",
        "--llm-max-tokens", "900",
        "--llm-timeout-seconds", "60",
    ]  # fmt: skip
    (key,) = [e for e in planner["env"] if e["name"] == "LOGSWARM_LLM_API_KEY"]
    assert key == {
        "name": "LOGSWARM_LLM_API_KEY",
        "valueFrom": {"secretKeyRef": {"name": "llm-keys", "key": "openai", "optional": False}},
    }
    # Nothing secret-looking is inline anywhere in the pod spec.
    assert all("value" not in e for e in planner["env"] if "KEY" in e["name"])
    # A role without llm runs the offline reasoner: no LLM flags, no key.
    executor = _container(deployments["executor"])
    assert executor["args"] == ["agent", "--role", "executor", "--port", "8080"]
    assert not any(e["name"] == "LOGSWARM_LLM_API_KEY" for e in executor["env"])


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_the_pod_args_the_builder_writes_parse_into_a_litellm_backend() -> None:
    args = _parse(_container(_deployments(SPEC)["planner"])["args"])
    backend = backend_from_args(args, {"LOGSWARM_LLM_API_KEY": "sk-test"})
    assert backend.kind == "litellm"
    model = backend.model_for("planner")
    assert model is not None
    assert model.model == "openai/gpt-4o-mini"
    assert model.api_base == "https://llm.example.com/v1"
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == "sk-test"
    assert (model.temperature, model.max_tokens, model.timeout_s) == (0.2, 900, 60.0)
    plain = backend_from_args(_parse(["agent", "--role", "planner"]), {"LOGSWARM_LLM_API_KEY": "x"})
    assert plain.kind == "deterministic"


def _rca_body() -> dict[str, Any]:
    return {"input": json.loads(RCAInput(incident=oom_incident()).model_dump_json())}


def _serve(argv: list[str], client: FakeChatClient) -> tuple[int, str]:
    args = _parse(argv)
    backend = backend_from_args(args, {})
    with AgentServer.for_backend(backend, roles=args.role, port=0, client=client) as server:
        reply = httpx.post(
            f"{server.url}/v1/roles/root_cause_analysis", json=_rca_body(), timeout=30
        )
        metrics = httpx.get(f"{server.url}/metrics").text
    return reply.status_code, metrics


def test_an_agent_with_a_model_asks_the_llm_and_one_without_never_does() -> None:
    # Answers that never validate: the server falls back to the reasoner, but only after
    # asking the model, which is what this test is about.
    client = FakeChatClient(script=["not json"])
    status, metrics = _serve(
        ["agent", "--role", "root_cause_analysis", "--llm-model", "openai/fake-model"], client
    )
    assert status == 200
    assert client.requests, "the litellm backend never called the LLM seam"
    assert {r.config.model for r in client.requests} == {"openai/fake-model"}
    assert (
        'logswarm_agent_backend_info{backend="litellm",model="openai/fake-model",'
        'role="root_cause_analysis"} 1.0' in metrics
    )

    offline = FakeChatClient(script=["not json"])
    status, metrics = _serve(["agent", "--role", "root_cause_analysis"], offline)
    assert status == 200
    assert offline.requests == []
    assert 'backend="deterministic"' in metrics
