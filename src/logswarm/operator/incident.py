"""One analysis of an Incident: run its pool's topology, report, propose Remediations.

Three decisions live here, pure and unit-tested; the kopf handler only wires them to the API:

- **Where the topology runs** (:func:`choose_route`). The same topology code runs either over
  HTTP against the pool's agent pods (:class:`~logswarm.agents.topology.transport.HttpTransport`
  with each role's Service URL, :func:`~logswarm.operator.agentpool.agent_url`), with the
  per-role models the AgentPool configures, or in-process on the deterministic reasoner. The
  operator's :class:`AnalysisMode` says which: ``agents`` waits for every role the topology
  calls to be ready (:class:`AgentsUnavailableError`, which the handler turns into a retry,
  a condition and an Event) and retries a failed call; ``in-process`` never uses the pods;
  ``agents-or-in-process`` (the default) uses them when they are ready and otherwise — or
  when a call to them fails — runs in-process and says so. Whatever ran is recorded: the
  ``Analysed`` condition's message names the transport and the backends, and every trajectory
  entry its own (:class:`Provenance`).
- **What the plan becomes** (:func:`to_vocabulary`). The agents' plan speaks the agents' action
  names (``restart_deployment`` on entity ``web``); the executor's vocabulary owns the one
  table from those names to its action kinds
  (:data:`~logswarm.remediation.vocabulary.AGENT_ACTION_KINDS`). A step becomes an action only
  when every identifier the action needs comes from the step's target and params, the
  incident's evidence, or the live object — otherwise it is reported with what is missing,
  never guessed — and every translated action is validated against the vocabulary.
- **What is checked afterwards.** Every step that changes a Deployment gets a readiness check,
  so a change that does not roll out is rolled back from its receipt. AWS steps get none: the
  executor verifies each AWS change's post-image itself, and the only AWS check the
  Remediation API has is a CloudWatch metric, which for these actions either does not exist
  (key status, security-group rules, NACL entries) or has no datapoints without traffic or
  group metrics collection — and a check without datapoints fails, which would roll back a
  containment (re-enable a compromised key) for want of a metric.

A relative step ("double the memory limit", "two more instances") is made absolute from the
object as it is now, read through injected readers (:data:`WorkloadReader`, :class:`AwsReader`).
"""

from __future__ import annotations

import enum
import ipaddress
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

import boto3
import httpx
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from logswarm.agents import IncidentAnalysis, run_topology
from logswarm.agents.contracts import PlanStep as AgentPlanStep
from logswarm.agents.topology import TOPOLOGIES
from logswarm.agents.topology.transport import HttpTransport, RoleTransport
from logswarm.api.v1alpha1 import (
    API_VERSION,
    AgentPoolStatus,
    Condition,
    IncidentPhase,
    IncidentSpec,
    IncidentStatus,
    LocalObjectReference,
    RootCauseStatus,
    Topology,
    TrajectoryEntry,
    TrajectoryTotals,
    set_condition,
)
from logswarm.incidents import EntityKind
from logswarm.incidents import Incident as AnalysisIncident
from logswarm.operator.agentpool import DEFAULT_AGENT_URL_TEMPLATE, agent_url, roles_of
from logswarm.remediation.vocabulary import ACTION_ADAPTER, AGENT_ACTION_KINDS, ActionKind

__all__ = [
    "AgentsUnavailableError",
    "Analysis",
    "AnalysisMode",
    "AsgCapacity",
    "AwsReadError",
    "AwsReader",
    "Boto3AwsReader",
    "IngressRule",
    "Provenance",
    "Route",
    "WorkloadReader",
    "agent_transport",
    "analyse",
    "aws_reader",
    "call_failures",
    "choose_route",
    "scaled_quantity",
    "to_vocabulary",
    "topology_roles",
    "waiting_status",
]

#: Reads a Deployment (namespace, name) as JSON; None when it does not exist.
WorkloadReader = Callable[[str, str], Mapping[str, Any] | None]
#: Executor actions that change a Deployment's pods: each gets a readiness check.
_ROLLS_OUT = {
    ActionKind.RESTART_DEPLOYMENT,
    ActionKind.SCALE_WORKLOAD,
    ActionKind.ROLLBACK_DEPLOYMENT,
    ActionKind.PATCH_RESOURCES,
}
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4}
_DECIMAL = {"k": 1, "M": 2, "G": 3, "T": 4}
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
#: Errors of a topology step that mean the agent pods gave no usable answer (unreachable, an
#: HTTP error, an answer off the role's contract); the engine records them as
#: ``"<ExceptionName>: <message>"``.
_CALL_FAILURES = ("TransportError:", "ContractError:")
#: How long the HTTP client may take to connect to an agent pod: a Service with no ready
#: endpoint refuses or times out at once, and the fallback should not wait for the read timeout.
_CONNECT_TIMEOUT_SECONDS = 5.0


# --- where the topology runs ----------------------------------------------------------------


class AnalysisMode(enum.StrEnum):
    """Where an Incident's topology runs (``LOGSWARM_ANALYSIS_MODE``)."""

    #: The pool's agent pods over HTTP; wait (retry) while they are not ready or fail.
    AGENTS = "agents"
    #: The deterministic reasoner inside the operator; the pods are never called.
    IN_PROCESS = "in-process"
    #: The agent pods when ready, else (or when a call fails) in-process, visibly.
    AGENTS_OR_IN_PROCESS = "agents-or-in-process"


@dataclass(frozen=True)
class Route:
    """How one analysis reaches the topology's roles, decided before it runs."""

    #: ``agents``: over HTTP to ``base_urls``; ``in-process``: the deterministic reasoner in
    #: the operator; ``wait``: neither yet (mode ``agents`` and the pods are not ready).
    via: Literal["agents", "in-process", "wait"]
    #: Role -> base URL of its agent Service (only when ``via == "agents"``).
    base_urls: Mapping[str, str] = field(default_factory=dict)
    #: Why not the agent pods, for people (empty when ``via == "agents"``).
    reason: str = ""
    #: The roles that kept it from the agent pods.
    roles: tuple[str, ...] = ()
    #: Whether a failed call to the agent pods may be answered in-process instead.
    fallback: bool = False


class AgentsUnavailableError(Exception):
    """The analysis must wait for the agent pods (mode ``agents``): not ready, or a call failed.

    ``reason`` is the ``Analysed`` condition's reason (``AgentsNotReady``, ``AgentCallFailed``).
    """

    def __init__(self, message: str, *, reason: str, roles: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reason = reason
        self.roles = tuple(roles)


def topology_roles(topology: str) -> list[str]:
    """The roles ``topology``'s graph calls, in graph order (what must be served and ready)."""
    return list(dict.fromkeys(str(node.role) for node in TOPOLOGIES[topology]().nodes))


def _ready_roles(pool: Mapping[str, Any]) -> tuple[dict[str, bool], str | None]:
    """Readiness per role from the pool's status, or why the status cannot be trusted."""
    generation = int(pool["metadata"].get("generation", 1))
    try:
        status = AgentPoolStatus.model_validate(pool.get("status") or {})
    except ValidationError:
        return {}, "its status cannot be read"
    if status.observed_generation != generation:
        return {}, f"its status does not describe generation {generation} yet"
    return {str(r.name): r.ready for r in status.roles}, None


def choose_route(
    mode: AnalysisMode,
    *,
    pool: Mapping[str, Any],
    topology: str,
    url_template: str = DEFAULT_AGENT_URL_TEMPLATE,
    agent_urls: Mapping[str, str] | None = None,
) -> Route:
    """Where the Incident's ``topology`` runs, given the AgentPool object ``pool`` as read.

    The agent pods are used only when the pool serves every role the topology calls and its
    status (for the pool's current generation) says each of them is ready; ``agent_urls``
    overrides the template's URL per role.
    """
    meta = pool["metadata"]
    name, namespace = str(meta["name"]), str(meta["namespace"])
    if mode is AnalysisMode.IN_PROCESS:
        return Route(
            via="in-process", reason="the operator is set to LOGSWARM_ANALYSIS_MODE=in-process"
        )
    if topology not in TOPOLOGIES:  # analyse() reports it; there is nothing to call
        return Route(via="in-process", reason=f"topology {topology} cannot run")
    needed = topology_roles(topology)
    try:
        served = set(roles_of(pool.get("spec") or {}))
    except ValueError:
        served = set()
    ready, distrust = _ready_roles(pool)
    missing = [r for r in needed if r not in served]
    unready = [r for r in needed if r in served and (distrust or not ready.get(r, False))]
    if not missing and not unready:
        overrides = agent_urls or {}
        return Route(
            via="agents",
            base_urls={
                role: overrides.get(role)
                or agent_url(name, role, namespace=namespace, template=url_template)
                for role in needed
            },
        )
    why = []
    if missing:
        why.append(f"AgentPool {name} runs no agent pod for {', '.join(missing)} (spec.roles)")
    if unready:
        detail = f" ({distrust})" if distrust else ""
        why.append(f"agent pods of AgentPool {name} not ready{detail}: {', '.join(unready)}")
    return Route(
        via="wait" if mode is AnalysisMode.AGENTS else "in-process",
        reason="; ".join(why),
        roles=tuple(missing + unready),
        fallback=mode is AnalysisMode.AGENTS_OR_IN_PROCESS,
    )


@contextmanager
def agent_transport(route: Route, *, timeout_seconds: float) -> Iterator[RoleTransport | None]:
    """The HTTP transport to the route's agent pods (None when it does not go to them).

    One :class:`httpx.Client` for the whole run, closed when the block ends.
    """
    if route.via != "agents":
        yield None
        return
    timeout = httpx.Timeout(timeout_seconds, connect=min(_CONNECT_TIMEOUT_SECONDS, timeout_seconds))
    with httpx.Client(timeout=timeout) as client:
        yield HttpTransport(client=client, base_urls=route.base_urls)


def call_failures(analysis: IncidentAnalysis) -> list[str]:
    """The steps of a run whose role could not be reached or answered off-contract."""
    return [
        f"{step.role}: {step.error}"
        for step in analysis.trajectory
        if step.error and step.error.startswith(_CALL_FAILURES)
    ]


@dataclass(frozen=True)
class Provenance:
    """Which transport and which backends produced an analysis, and why that transport."""

    transport: Literal["http", "in-process"]
    backends: tuple[str, ...] = ()
    #: Why it ran in-process (empty over HTTP).
    why: str = ""
    #: True when the agent pods were wanted but could not be used (a visible fallback).
    fallback: bool = False

    def describe(self) -> str:
        backends = ", ".join(self.backends) or "no backend answered"
        if self.transport == "http":
            return f"by the pool's agent pods over HTTP ({backends})"
        where = f"in the operator, in-process ({backends})"
        if self.fallback:
            return f"{where}, falling back because {self.why}"
        return f"{where}: {self.why}" if self.why else where


# --- AWS facts for relative or under-specified steps -----------------------------------------


class AwsReadError(Exception):
    """An AWS read a translation needed failed (not found, denied, unreachable)."""


@dataclass(frozen=True)
class IngressRule:
    """One (protocol, port range, IPv4 CIDR) a security group admits."""

    protocol: str
    from_port: int
    to_port: int
    cidr: str

    def __str__(self) -> str:
        ports = "all ports" if self.protocol == "-1" else f"{self.from_port}-{self.to_port}"
        return f"{self.protocol} {ports} from {self.cidr}"


@dataclass(frozen=True)
class AsgCapacity:
    desired: int
    minimum: int
    maximum: int


class AwsReader(Protocol):
    """Read-only AWS lookups that make a plan step exact; raise :class:`AwsReadError`."""

    def ingress_rules(self, group_id: str) -> list[IngressRule]: ...

    def asg_capacity(self, group_name: str) -> AsgCapacity: ...

    def lambda_reserved_concurrency(self, function_name: str) -> int | None: ...


_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "tcp": "tcp", "udp": "udp"}
_PROTOCOL_NAMES |= {"icmp": "icmp", "-1": "-1"}


class Boto3AwsReader:
    """:class:`AwsReader` over boto3 (``session``: the default credential chain, IRSA in a pod).

    Clients are made on first use and closed with the reader (use it as a context manager),
    so an analysis without AWS steps opens no connection.
    """

    def __init__(
        self,
        *,
        region: str,
        endpoint_url: str | None = None,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self._session = session
        self._clients: dict[str, Any] = {}

    def _client(self, name: str) -> Any:
        if name not in self._clients:
            if self._session is None:
                self._session = boto3.session.Session(region_name=self.region)
            self._clients[name] = self._session.client(
                name, region_name=self.region, endpoint_url=self.endpoint_url
            )
        return self._clients[name]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> Boto3AwsReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, what: str, service: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(getattr(self._client(service), operation)(**kwargs))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise AwsReadError(f"{what}: {code}") from exc
        except BotoCoreError as exc:
            raise AwsReadError(f"{what}: {type(exc).__name__}") from exc

    def ingress_rules(self, group_id: str) -> list[IngressRule]:
        found = self._call(
            f"describe security group {group_id}",
            "ec2",
            "describe_security_groups",
            GroupIds=[group_id],
        )
        rules: list[IngressRule] = []
        for group in found.get("SecurityGroups", []):
            for perm in group.get("IpPermissions", []):
                protocol = _PROTOCOL_NAMES.get(str(perm.get("IpProtocol")))
                if protocol is None:
                    continue  # other IP protocols are outside the vocabulary
                if protocol == "-1":
                    low, high = 0, 65535  # every port: the executor ignores them for -1
                elif perm.get("FromPort") is None or perm.get("ToPort") is None:
                    continue
                else:
                    low, high = int(perm["FromPort"]), int(perm["ToPort"])
                rules += [
                    IngressRule(protocol, low, high, str(r["CidrIp"]))
                    for r in perm.get("IpRanges", [])
                ]
        return rules

    def asg_capacity(self, group_name: str) -> AsgCapacity:
        found = self._call(
            f"describe auto scaling group {group_name}",
            "autoscaling",
            "describe_auto_scaling_groups",
            AutoScalingGroupNames=[group_name],
        )
        groups = found.get("AutoScalingGroups", [])
        if not groups:
            raise AwsReadError(f"auto scaling group {group_name} not found")
        group = groups[0]
        return AsgCapacity(
            desired=int(group["DesiredCapacity"]),
            minimum=int(group["MinSize"]),
            maximum=int(group["MaxSize"]),
        )

    def lambda_reserved_concurrency(self, function_name: str) -> int | None:
        self._call(
            f"get Lambda function {function_name}",
            "lambda",
            "get_function",
            FunctionName=function_name,
        )
        found = self._call(
            f"get concurrency of Lambda function {function_name}",
            "lambda",
            "get_function_concurrency",
            FunctionName=function_name,
        )
        value = found.get("ReservedConcurrentExecutions")
        return None if value is None else int(value)


@contextmanager
def aws_reader(
    region: str | None, *, endpoint_url: str | None = None
) -> Iterator[AwsReader | None]:
    """A :class:`Boto3AwsReader` for ``region`` (None without a region), closed afterwards."""
    if not region:
        yield None
        return
    with Boto3AwsReader(region=region, endpoint_url=endpoint_url) as reader:
        yield reader


# --- plan step -> executor action -------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """A plan step with what its translation may consult."""

    step: AgentPlanStep
    namespace: str
    name: str
    incident: AnalysisIncident | None
    read_workload: WorkloadReader | None
    aws: AwsReader | None

    @property
    def what(self) -> str:
        return f"step {self.step.order}: {self.step.action} {self.step.target}"

    def integer(self, key: str) -> int | None:
        value = self.step.params.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def number(self, key: str) -> float | None:
        value = self.step.params.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value) if math.isfinite(value) else None
        return None

    def text(self, key: str) -> str | None:
        value = self.step.params.get(key)
        if not isinstance(value, str):
            return None
        return value.strip() or None


_Translation = tuple[dict[str, Any] | None, str | None]


def scaled_quantity(quantity: str, factor: float, resource: str) -> str | None:
    """``quantity`` times ``factor`` as a Kubernetes quantity (CPU in millicores, memory in
    MiB, rounded up); None when ``quantity`` is not one."""
    match = _QUANTITY.match(quantity.strip())
    if match is None or not math.isfinite(factor) or factor <= 0:
        return None
    number, suffix = float(match.group(1)), match.group(2) or ""
    if resource == "cpu":
        cores = number / 1000 if suffix == "m" else number * 1000 ** _DECIMAL.get(suffix, 0)
        return f"{math.ceil(cores * factor * 1000)}m"
    if suffix == "m":
        return None  # milli-bytes: not a memory limit anyone sets on purpose
    size = number * (
        1024 ** _BINARY[suffix] if suffix in _BINARY else 1000 ** _DECIMAL.get(suffix, 0)
    )
    return f"{math.ceil(size * factor / 2**20)}Mi"


def _resources_action(s: _Step) -> _Translation:
    step, namespace, target, read = s.step, s.namespace, s.name, s.read_workload
    factors = {
        resource: step.params[key]
        for resource, key in (("memory", "memory_limit_factor"), ("cpu", "cpu_limit_factor"))
        if isinstance(step.params.get(key), int | float) and not isinstance(step.params[key], bool)
    }
    if not factors:
        return None, f"step {step.order}: patch_resources without a memory or cpu limit factor"
    workload = read(namespace, target) if read is not None else None
    if workload is None:
        return None, f"step {step.order}: patch_resources needs deployment {namespace}/{target}"
    containers = ((workload.get("spec") or {}).get("template") or {}).get("spec", {}).get(
        "containers"
    ) or []
    named = [c for c in containers if c.get("name") == target]
    chosen = named or (containers if len(containers) == 1 else [])
    if len(chosen) != 1:
        return None, (
            f"step {step.order}: patch_resources cannot tell which of the "
            f"{len(containers)} containers of {namespace}/{target} to change"
        )
    container = chosen[0]
    current = (container.get("resources") or {}).get("limits") or {}
    limits: dict[str, str] = {}
    for resource, factor in sorted(factors.items()):
        if resource not in current:
            return None, (
                f"step {step.order}: {namespace}/{target} container {container['name']} has "
                f"no {resource} limit to raise"
            )
        scaled = scaled_quantity(str(current[resource]), float(factor), resource)
        if scaled is None:
            return None, f"step {step.order}: cannot scale {resource} limit {current[resource]!r}"
        limits[resource] = scaled
    return {
        "kind": ActionKind.PATCH_RESOURCES.value,
        "namespace": namespace,
        "name": target,
        "container": str(container["name"]),
        "limits": limits,
    }, None


def _namespaced(kind: ActionKind) -> Callable[[_Step], _Translation]:
    def build(s: _Step) -> _Translation:
        return {"kind": kind.value, "namespace": s.namespace, "name": s.name}, None

    return build


def _scale(s: _Step) -> _Translation:
    replicas = s.integer("replicas")
    if replicas is None:
        return None, f"step {s.step.order}: scale_deployment without an integer replicas"
    return {
        "kind": ActionKind.SCALE_WORKLOAD.value,
        "namespace": s.namespace,
        "name": s.name,
        "replicas": replicas,
    }, None


def _cordon(s: _Step) -> _Translation:
    return {"kind": ActionKind.CORDON_NODE.value, "name": s.name}, None


def _named_on_lines_with(incident: AnalysisIncident, value: str, kind: EntityKind) -> list[str]:
    """Entities of ``kind`` named on an evidence line that also names ``value``, sorted."""
    lines = [line.message for line in incident.samples if value in line.message]
    found = set()
    for entity in incident.entities:
        if entity.kind != kind:
            continue
        # IAM names may hold + = , . @ _ -: a name is a whole token, not part of a longer one
        # (a comma or full stop right after it is punctuation when no name character follows).
        token = re.compile(rf"(?<![\w+=,.@-]){re.escape(entity.value)}(?![\w+=@-]|[,.][\w+=,.@-])")
        if any(token.search(line) for line in lines):
            found.add(entity.value)
    return sorted(found)


def _deactivate_key(s: _Step) -> _Translation:
    key = s.step.target
    user = s.text("user_name")
    if user is None:
        users = _named_on_lines_with(s.incident, key, EntityKind.IAM_USER) if s.incident else []
        if len(users) != 1:
            found = f"found {', '.join(users)}" if users else "found none"
            return None, (
                f"{s.what}: needs the IAM user that owns the key (param user_name, or the one "
                f"IAM user named on an evidence line with the key; {found})"
            )
        (user,) = users
    return {
        "kind": ActionKind.DEACTIVATE_ACCESS_KEY.value,
        "user_name": user,
        "access_key_id": key,
    }, None


def _revoke_ingress(s: _Step) -> _Translation:
    group = s.step.target
    cidr = s.text("cidr")
    if cidr is None:
        return None, f"{s.what}: needs the CIDR to revoke (param cidr)"
    protocol = s.text("protocol")
    port = s.integer("port")
    low = s.integer("from_port") if port is None else port
    high = s.integer("to_port") if port is None else port
    if protocol == "-1":
        rule = IngressRule("-1", 0, 65535, cidr)
    elif protocol is not None and low is not None and high is not None:
        rule = IngressRule(protocol, low, high, cidr)
    elif s.aws is None:
        return None, (
            f"{s.what}: needs the rule's protocol and ports (params protocol, from_port, "
            "to_port), or an AWS region to read the group's rules from"
        )
    else:
        try:
            rules = s.aws.ingress_rules(group)
        except AwsReadError as exc:
            return None, f"{s.what}: cannot read its rules: {exc}"
        matching = [
            r
            for r in rules
            if r.cidr == cidr
            and (protocol is None or r.protocol == protocol)
            and (low is None or r.from_port == low)
            and (high is None or r.to_port == high)
        ]
        if len(matching) != 1:
            listed = "; ".join(map(str, matching))
            return None, (
                f"{s.what}: the group admits {cidr} by no rule (already revoked?)"
                if not matching
                else f"{s.what}: the group admits {cidr} by {len(matching)} rules ({listed}); "
                "the plan does not say which to revoke (some may be open on purpose)"
            )
        (rule,) = matching
    return {
        "kind": ActionKind.REVOKE_SG_INGRESS.value,
        "group_id": group,
        "protocol": rule.protocol,
        "from_port": rule.from_port,
        "to_port": rule.to_port,
        "cidr": rule.cidr,
    }, None


def _nacl_deny(s: _Step) -> _Translation:
    try:
        network = ipaddress.ip_network(s.step.target, strict=True)
    except ValueError:
        return None, f"{s.what}: the target is not an IP address or canonical CIDR"
    if network.version != 4:
        return None, f"{s.what}: only IPv4 addresses can be denied by the executor"
    acl, rule = s.text("network_acl_id"), s.integer("rule_number")
    if acl is None or rule is None:
        return None, (
            f"{s.what}: needs the network ACL (param network_acl_id) and a free rule number "
            "(param rule_number); the evidence names no network ACL"
        )
    return {
        "kind": ActionKind.ADD_NACL_DENY.value,
        "network_acl_id": acl,
        "rule_number": rule,
        "cidr": str(network),
    }, None


def _asg_capacity(s: _Step) -> _Translation:
    name = s.step.target
    desired = s.integer("desired_capacity")
    if desired is None:
        delta = s.integer("desired_delta")
        if delta is None:
            return None, f"{s.what}: needs desired_capacity or desired_delta (an integer)"
        if s.aws is None:
            return None, (
                f"{s.what}: desired_delta {delta:+d} needs the group's current capacity, and "
                "no AWS region is configured to read it"
            )
        try:
            capacity = s.aws.asg_capacity(name)
        except AwsReadError as exc:
            return None, f"{s.what}: cannot read its capacity: {exc}"
        desired = capacity.desired + delta
        if not capacity.minimum <= desired <= capacity.maximum:
            return None, (
                f"{s.what}: {capacity.desired}{delta:+d} = {desired} is outside the group's "
                f"size {capacity.minimum}..{capacity.maximum}"
            )
    return {
        "kind": ActionKind.SET_ASG_DESIRED.value,
        "group_name": name,
        "desired_capacity": desired,
    }, None


def _stop_instance(s: _Step) -> _Translation:
    return {"kind": ActionKind.STOP_INSTANCE.value, "instance_id": s.step.target}, None


def _lambda_concurrency(s: _Step) -> _Translation:
    name = s.step.target
    reserved = s.integer("reserved_concurrency")
    if reserved is None:
        factor = s.number("reserved_concurrency_factor")
        if factor is None or factor <= 0:
            return None, (
                f"{s.what}: needs reserved_concurrency or a positive reserved_concurrency_factor"
            )
        if s.aws is None:
            return None, (
                f"{s.what}: a factor needs the function's current reserved concurrency, and no "
                "AWS region is configured to read it"
            )
        try:
            current = s.aws.lambda_reserved_concurrency(name)
        except AwsReadError as exc:
            return None, f"{s.what}: cannot read its concurrency: {exc}"
        if current is None:
            return None, (
                f"{s.what}: the function has no reserved concurrency to multiply (it draws on "
                "the account's unreserved pool); name reserved_concurrency instead"
            )
        reserved = math.ceil(current * factor)
    return {
        "kind": ActionKind.SET_LAMBDA_CONCURRENCY.value,
        "function_name": name,
        "reserved_concurrency": reserved,
    }, None


#: How each executor kind is built from a plan step (the name -> kind table is the vocabulary's).
_BUILDERS: dict[ActionKind, Callable[[_Step], _Translation]] = {
    ActionKind.RESTART_DEPLOYMENT: _namespaced(ActionKind.RESTART_DEPLOYMENT),
    ActionKind.SCALE_WORKLOAD: _scale,
    ActionKind.ROLLBACK_DEPLOYMENT: _namespaced(ActionKind.ROLLBACK_DEPLOYMENT),
    ActionKind.DELETE_POD: _namespaced(ActionKind.DELETE_POD),
    ActionKind.ISOLATE_POD: _namespaced(ActionKind.ISOLATE_POD),
    ActionKind.CORDON_NODE: _cordon,
    ActionKind.PATCH_RESOURCES: _resources_action,
    ActionKind.DEACTIVATE_ACCESS_KEY: _deactivate_key,
    ActionKind.REVOKE_SG_INGRESS: _revoke_ingress,
    ActionKind.ADD_NACL_DENY: _nacl_deny,
    ActionKind.SET_ASG_DESIRED: _asg_capacity,
    ActionKind.STOP_INSTANCE: _stop_instance,
    ActionKind.SET_LAMBDA_CONCURRENCY: _lambda_concurrency,
}


def to_vocabulary(
    step: AgentPlanStep,
    *,
    namespace: str,
    read_workload: WorkloadReader | None = None,
    incident: AnalysisIncident | None = None,
    aws: AwsReader | None = None,
) -> _Translation:
    """The executor's action for an agent's plan step, or why it has none.

    ``incident`` is the evidence a step's missing identifiers may be taken from (the IAM user
    named with an access key); ``read_workload`` and ``aws`` read the live objects a relative
    step is made absolute from. The action returned is valid in the executor's vocabulary.
    """
    kind = AGENT_ACTION_KINDS.get(step.action)
    builder = _BUILDERS.get(kind) if kind is not None else None
    if builder is None:
        return None, f"step {step.order}: {step.action} has no exact translation"
    target = step.target.split("/", 1)[-1]
    if "/" in step.target:
        namespace = step.target.split("/", 1)[0]
    action, problem = builder(_Step(step, namespace, target, incident, read_workload, aws))
    if action is None:
        return None, problem or f"step {step.order}: no action"
    try:
        ACTION_ADAPTER.validate_python(action)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(map(str, e['loc'][1:])) or 'action'}: {e['msg']}" for e in exc.errors()
        )
        return None, f"step {step.order}: {step.action} {step.target} is not valid: {details}"
    return action, None


# --- the analysis -----------------------------------------------------------------------------


@dataclass
class Analysis:
    status: IncidentStatus
    remediations: list[dict[str, Any]] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    #: Who produced it (None when the topology could not run at all).
    provenance: Provenance | None = None


def _namespace_of(incident: AnalysisIncident, default: str) -> str:
    namespaces = sorted(incident.entity_values(EntityKind.NAMESPACE))
    return namespaces[0] if len(namespaces) == 1 else default


def _owner(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body["metadata"]
    return {
        "apiVersion": API_VERSION,
        "kind": "Incident",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _remediation(
    body: Mapping[str, Any],
    analysis: IncidentAnalysis,
    incident: AnalysisIncident,
    read_workload: WorkloadReader | None,
    aws: AwsReader | None,
) -> tuple[dict[str, Any] | None, list[str]]:
    namespace = _namespace_of(incident, str(body["metadata"]["namespace"]))
    steps: list[dict[str, Any]] = []
    problems: list[str] = []
    checks: list[dict[str, Any]] = []
    for step in sorted(analysis.plan, key=lambda s: s.order):
        action, problem = to_vocabulary(
            step, namespace=namespace, read_workload=read_workload, incident=incident, aws=aws
        )
        if action is None:
            problems.append(problem or f"step {step.order}: no action")
            continue
        if action["kind"] in _ROLLS_OUT:
            check = {"type": "readiness", "namespace": action["namespace"], "name": action["name"]}
            if check not in checks:
                checks.append(check)
        steps.append(
            {
                "id": f"step-{step.order}",
                "action": action,
                "rationale": step.rationale.text[:2000],
                "cites": [e for e in step.rationale.evidence if e[:1] in "LTED"][:50],
            }
        )
    if not steps:
        return None, problems
    meta = body["metadata"]
    manifest = {
        "apiVersion": API_VERSION,
        "kind": "Remediation",
        "metadata": {
            "name": f"{meta['name']}-1"[:253],
            "namespace": meta["namespace"],
            "labels": {"logswarm.io/incident": meta["name"]},
            "ownerReferences": [_owner(body)],
        },
        "spec": {
            "incidentRef": {"name": meta["name"]},
            "steps": steps,
            "verification": checks[:10],
            "rationale": (analysis.root_cause.summary.text if analysis.root_cause else "")[:2000],
        },
    }
    return manifest, problems


def _run(
    topology: str, incident: AnalysisIncident, route: Route, agents: RoleTransport | None
) -> tuple[IncidentAnalysis, Provenance]:
    """Run the topology where ``route`` says; fall back or raise as its mode allows."""
    if route.via == "wait":
        raise AgentsUnavailableError(route.reason, reason="AgentsNotReady", roles=route.roles)
    why, fallback = route.reason, route.fallback and route.via == "in-process"
    if route.via == "agents":
        if agents is None:
            raise ValueError("a route to the agent pods needs their transport")
        (analysis,) = run_topology(topology, [incident], transport=agents)
        failed = call_failures(analysis)
        if not failed:
            return analysis, Provenance("http", _backends(analysis))
        roles = tuple(dict.fromkeys(f.split(":", 1)[0] for f in failed))
        message = f"a call to the agent pods failed: {failed[0]}"[:1000]
        if not route.fallback:
            raise AgentsUnavailableError(message, reason="AgentCallFailed", roles=roles)
        why, fallback = message, True
    (analysis,) = run_topology(topology, [incident])
    return analysis, Provenance("in-process", _backends(analysis), why=why, fallback=fallback)


def _backends(analysis: IncidentAnalysis) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.backend for s in analysis.trajectory if s.backend != "-"))


def analyse(
    body: Mapping[str, Any],
    *,
    topology: str,
    route: Route | None = None,
    agents: RoleTransport | None = None,
    now: datetime | None = None,
    read_workload: WorkloadReader | None = None,
    aws: AwsReader | None = None,
) -> Analysis:
    """Run ``topology`` on the Incident where ``route`` says (in-process when None) and
    describe the outcome.

    ``agents`` is the transport to the pool's agent pods when the route goes there. Raises
    :class:`AgentsUnavailableError` when the route says to wait, or a call to the agent pods
    failed and the mode allows no fallback. ``read_workload`` and ``aws`` read the objects
    relative steps refer to; without them such steps are reported as untranslated, never
    guessed.
    """
    meta = body["metadata"]
    generation = int(meta.get("generation", 1))
    spec = IncidentSpec.model_validate(body.get("spec") or {})
    incident = spec.to_incident(str(meta["name"]))
    status = IncidentStatus(observed_generation=generation)
    if topology not in TOPOLOGIES:
        status.phase = IncidentPhase.FAILED
        status.conditions = set_condition(
            [],
            "Analysed",
            False,
            "TopologyUnavailable",
            f"topology {topology} cannot run yet (available: {', '.join(sorted(TOPOLOGIES))})",
            observed_generation=generation,
            now=now,
        )
        return Analysis(status=status)
    analysis, provenance = _run(topology, incident, route or Route(via="in-process"), agents)
    transport = provenance.transport
    status.topology = Topology(topology)
    if analysis.root_cause is not None:
        status.root_cause = RootCauseStatus(
            cause=analysis.root_cause.summary.text[:4096],
            confidence=max(0.0, min(1.0, analysis.confidence)),
            evidence=[e for e in analysis.cited_evidence if e[:1] in "LTED"][:100],
        )
    status.trajectory = [
        TrajectoryEntry(
            role=step.role,
            summary=(
                f"{step.node} [{transport}: {step.backend}]: "
                + (
                    f"failed: {step.error}"
                    if step.error
                    else f"cited {', '.join(step.evidence_cited[:10]) or 'nothing'}"
                )
            )[:2048],
            transport=transport,
            backend=step.backend[:253] or None,
            tokens=step.prompt_tokens + step.completion_tokens,
            cost_usd=step.cost_usd,
            latency_ms=int(step.latency_ms),
        )
        for step in analysis.trajectory[:200]
    ]
    status.totals = TrajectoryTotals(
        steps=len(analysis.trajectory),
        tokens=analysis.usage.total_tokens,
        cost_usd=analysis.usage.cost_usd,
        latency_ms=int(analysis.latency_ms),
    )
    found = analysis.root_cause is not None
    outcome = (
        f"{analysis.root_cause.category} ({analysis.confidence:.2f})"
        if analysis.root_cause
        else "the agents found no root cause in the evidence"
    )
    status.conditions = set_condition(
        [],
        "Analysed",
        True,
        "RootCauseFound" if found else "NoRootCause",
        f"{outcome}; analysed {provenance.describe()}",
        observed_generation=generation,
        now=now,
    )
    manifest, problems = _remediation(body, analysis, incident, read_workload, aws)
    remediations = [manifest] if manifest else []
    status.remediation_refs = [
        LocalObjectReference(name=str(m["metadata"]["name"])) for m in remediations
    ]
    status.phase = IncidentPhase.REMEDIATING if remediations else IncidentPhase.ANALYSED
    status.conditions = set_condition(
        status.conditions,
        "RemediationProposed",
        bool(remediations),
        ("Proposed" if not problems else "PartlyProposed") if remediations else "NothingToPropose",
        "; ".join(problems) or f"{len(remediations)} remediation(s) proposed",
        observed_generation=generation,
        now=now,
    )
    return Analysis(
        status=status, remediations=remediations, untranslated=problems, provenance=provenance
    )


def waiting_status(
    body: Mapping[str, Any], error: AgentsUnavailableError, *, now: datetime | None = None
) -> tuple[dict[str, Any], bool]:
    """The status patch of an Incident waiting for its agent pods, and whether it is news.

    Only ``phase`` and the ``Analysed`` condition change: the last analysis of an earlier
    generation (and its ``observedGeneration``) stays, so the Incident is analysed again
    once the pods answer. The flag is False when the condition already said exactly this,
    so a retry does not post the same Event again.
    """
    meta = body["metadata"]
    generation = int(meta.get("generation", 1))
    raw = (body.get("status") or {}).get("conditions") or []
    previous = [Condition.model_validate(c) for c in raw]
    before = next((c for c in previous if c.type == "Analysed"), None)
    message = f"waiting for the agent pods (LOGSWARM_ANALYSIS_MODE=agents): {error}"
    conditions = set_condition(
        previous,
        "Analysed",
        False,
        error.reason,
        message,
        observed_generation=generation,
        now=now,
    )
    news = before is None or (before.reason, before.message) != (error.reason, message)
    return {
        "phase": IncidentPhase.PENDING.value,
        "conditions": [c.model_dump(mode="json", by_alias=True) for c in conditions],
    }, news
