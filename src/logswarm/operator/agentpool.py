"""What an AgentPool becomes in the cluster: pure functions from its spec to child manifests.

Nothing here talks to an API server, so the shape of every child (names, labels, owner
references, probes, RBAC verbs) is unit-tested without a cluster; :mod:`.handlers` only applies
what these functions return. Each agent role of the pool gets a Deployment and a Service (the
agent pods, ``logswarm agent --role R`` on port 8080), a ServiceAccount and a Role + RoleBinding.
Least privilege is decided here and only here: analyst roles may read, the executor role alone
may write, and only the verbs its action vocabulary needs.

:func:`agent_url` is how the operator reaches a role's Service: named with the same
:func:`child_name` the Service is built with, so the caller and the Service cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logswarm.agents.contracts import Role
from logswarm.agents.topology import TOPOLOGIES
from logswarm.api.v1alpha1 import API_VERSION, AgentPoolStatus, RoleStatus, set_condition

__all__ = [
    "AGENT_PORT",
    "API_VERSION",
    "DEFAULT_AGENT_URL_TEMPLATE",
    "DEFAULT_IMAGE",
    "WRITER_ROLES",
    "PoolRef",
    "agent_url",
    "build_children",
    "child_name",
    "config_hash",
    "operator_rules",
    "owner_reference",
    "pool_labels",
    "pool_readiness",
    "pool_status",
    "role_rules",
    "roles_of",
    "validate_url_template",
]

AGENT_PORT = 8080
#: Used when a pool names no image; the chart pins the operator's own image here.
DEFAULT_IMAGE = "ghcr.io/logswarm/logswarm:latest"
MANAGED_BY = "logswarm-operator"
CONFIG_KEY = "pool.json"
CONFIG_MOUNT = "/etc/logswarm"
CONFIG_HASH_ANNOTATION = "logswarm.io/config-hash"
#: The environment variable ``logswarm agent`` reads its LLM API key from.
LLM_API_KEY_ENV = "LOGSWARM_LLM_API_KEY"
#: A role's Service as seen from inside the cluster. Placeholders: ``{service}``,
#: ``{namespace}``, ``{port}``, ``{pool}``, ``{role}``.
DEFAULT_AGENT_URL_TEMPLATE = "http://{service}.{namespace}.svc:{port}"

#: The only roles whose ServiceAccount may change the world.
WRITER_ROLES = frozenset({Role.EXECUTOR.value})

_READ = ["get", "list", "watch"]
#: What every agent may read in its namespace: enough to analyse workloads and their logs.
#: Secrets are deliberately absent (LLM keys reach pods as env from a Secret reference).
_ANALYST_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "resources": ["pods", "pods/log", "events", "services", "configmaps", "endpoints"],
        "verbs": _READ,
    },
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "replicasets", "statefulsets"],
        "verbs": _READ,
    },
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": _READ},
]
#: The executor's writes, one rule per action of the Kubernetes vocabulary that needs it:
#: restart / scale / roll back / patch resources (workloads), delete and re-create a Pod
#: (delete pod, and its rollback), label a Pod and manage a NetworkPolicy (isolate pod).
_EXECUTOR_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": ["apps"],
        "resources": ["deployments", "statefulsets"],
        "verbs": ["update", "patch"],
    },
    {
        "apiGroups": ["apps"],
        "resources": ["deployments/scale", "statefulsets/scale"],
        "verbs": ["get", "update", "patch"],
    },
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "patch", "update"]},
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["networkpolicies"],
        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
]


#: What the operator process itself uses when it runs the executor for a Remediation, beyond
#: the executor role's rules: cordoning a node (cluster-scoped, so no pool's namespaced Role
#: can hold it) and reading a target's namespace labels for the safety policy.
_OPERATOR_EXECUTOR_EXTRA_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "update", "patch"]},
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
]


def operator_rules() -> list[dict[str, Any]]:
    """Rules the operator's own ClusterRole must hold for agent pools and remediations.

    Kubernetes lets a subject create a Role only with rights it holds itself (RBAC
    escalation prevention), and the operator runs the executor in-process, so it needs
    every rule it grants any role plus what the executor calls. The chart's ClusterRole is
    checked against this list (tests/charts), so the two cannot drift apart.
    """
    granted = [dict(r) for r in _ANALYST_RULES] + [dict(r) for r in _EXECUTOR_RULES]
    return granted + [dict(r) for r in _OPERATOR_EXECUTOR_EXTRA_RULES]


@dataclass(frozen=True)
class PoolRef:
    """Enough of an AgentPool's metadata to name and own its children."""

    name: str
    namespace: str
    uid: str
    generation: int = 1

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> PoolRef:
        meta = body["metadata"]
        return cls(
            name=str(meta["name"]),
            namespace=str(meta["namespace"]),
            uid=str(meta["uid"]),
            generation=int(meta.get("generation", 1)),
        )


def _dns(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def child_name(pool: str, role: str) -> str:
    """``<pool>-<role>`` as a DNS label; long names keep a hash so they stay unique."""
    name = _dns(f"{pool}-{role}")
    if len(name) <= 63:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:54].rstrip('-')}-{digest}"


def agent_url(
    pool: str, role: str, *, namespace: str, template: str = DEFAULT_AGENT_URL_TEMPLATE
) -> str:
    """Base URL of ``role``'s agent Service in ``pool`` (what :func:`_service` builds).

    ``template`` is a :meth:`str.format` pattern; out of the cluster it may point at
    ``kubectl proxy``
    (``http://127.0.0.1:8001/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy``).
    """
    return template.format(
        service=child_name(pool, role), namespace=namespace, port=AGENT_PORT, pool=pool, role=role
    )


def validate_url_template(template: str) -> str:
    """``template`` if it formats with :func:`agent_url`'s placeholders into an http(s) URL."""
    try:
        url = agent_url("pool", "planner", namespace="ns", template=template)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"agent URL template {template!r} is not valid: {exc!r} (placeholders: "
            "{service}, {namespace}, {port}, {pool}, {role})"
        ) from exc
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"agent URL template {template!r} must start with http:// or https://")
    return template


def pool_labels(pool: str, role: str | None = None) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/name": "logswarm-agent",
        "app.kubernetes.io/instance": pool,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "logswarm.io/pool": pool,
    }
    if role is not None:
        labels["app.kubernetes.io/component"] = _dns(role)
        labels["logswarm.io/role"] = role
    return labels


def owner_reference(pool: PoolRef) -> dict[str, Any]:
    # controller=true: the pool is the one owner that reconciles these objects;
    # blockOwnerDeletion lets foreground deletion wait for them.
    return {
        "apiVersion": API_VERSION,
        "kind": "AgentPool",
        "name": pool.name,
        "uid": pool.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _role_name(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, Mapping):
        for key in ("role", "name"):
            if key in entry:
                return str(entry[key])
    raise ValueError(f"cannot read a role name from {entry!r}")


def _role_entries(spec: Mapping[str, Any]) -> list[Any]:
    roles = spec.get("roles") or spec.get("agents") or []
    if isinstance(roles, Mapping):  # {role: settings}
        return [{"role": k, **(v or {})} for k, v in roles.items()]
    return list(roles)


def roles_of(spec: Mapping[str, Any]) -> list[str]:
    """The pool's roles: those it lists, else the default roles of its topology."""
    listed = [_role_name(e) for e in _role_entries(spec)]
    if listed:
        return list(dict.fromkeys(listed))
    topology = str(spec.get("topology", "linear"))
    builder = TOPOLOGIES.get(topology)
    if builder is None:
        raise ValueError(
            f"topology {topology!r} has no default roles yet; list the pool's roles explicitly"
        )
    # The topology's own graph says which roles it calls: the pods follow the code.
    return list(dict.fromkeys(str(node.role) for node in builder().nodes))


def _role_settings(spec: Mapping[str, Any], role: str) -> dict[str, Any]:
    for entry in _role_entries(spec):
        if not isinstance(entry, str) and _role_name(entry) == role:
            return dict(entry)
    return {}


def role_rules(role: str) -> list[dict[str, Any]]:
    """RBAC rules of one role: read for every role, writes for the executor only."""
    rules = [dict(r) for r in _ANALYST_RULES]
    if role in WRITER_ROLES:
        rules += [dict(r) for r in _EXECUTOR_RULES]
    return rules


def config_hash(config: Mapping[str, Any]) -> str:
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _meta(pool: PoolRef, name: str, role: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": pool.namespace,
        "labels": pool_labels(pool.name, role),
        "ownerReferences": [owner_reference(pool)],
    }


def _configmap(pool: PoolRef, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(pool, child_name(pool.name, "config"), None),
        "data": {CONFIG_KEY: json.dumps(dict(spec), sort_keys=True, indent=2, default=str)},
    }


#: ``LLMSpec`` wire field -> ``logswarm agent`` flag (see :mod:`logswarm.cli.agent`).
_LLM_FLAGS = (
    ("model", "--llm-model"),
    ("apiBase", "--llm-api-base"),
    ("temperature", "--llm-temperature"),
    ("maxTokens", "--llm-max-tokens"),
    ("timeoutSeconds", "--llm-timeout-seconds"),
)


def _llm_wiring(llm: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """A role's ``llm`` as ``logswarm agent`` flags, and its API key as a Secret-backed env var.

    The key itself never appears in the Deployment: only a ``secretKeyRef``, not optional, so
    a missing Secret stops the pod from starting (visible in the pool's readiness) instead of
    silently running the role on the offline reasoner.
    """
    if not isinstance(llm, Mapping) or not llm.get("model"):
        return [], []
    args: list[str] = []
    for field, flag in _LLM_FLAGS:
        value = llm.get(field)
        if value is not None:
            args += [flag, str(value)]
    env: list[dict[str, Any]] = []
    secret = llm.get("apiKeySecretRef")
    if isinstance(secret, Mapping) and "name" in secret:
        env.append(
            {
                "name": LLM_API_KEY_ENV,
                "valueFrom": {
                    "secretKeyRef": {
                        "name": secret["name"],
                        "key": secret.get("key", "api-key"),
                        "optional": False,
                    }
                },
            }
        )
    return args, env


def _deployment(
    pool: PoolRef, spec: Mapping[str, Any], role: str, *, digest: str, image: str
) -> dict[str, Any]:
    settings = _role_settings(spec, role)
    name = child_name(pool.name, role)
    selector = {"logswarm.io/pool": pool.name, "logswarm.io/role": role}
    resources = settings.get("resources") or {
        "requests": {"cpu": "50m", "memory": "128Mi"},
        "limits": {"memory": "512Mi"},
    }
    env: list[dict[str, Any]] = [
        {"name": "LOGSWARM_POOL_CONFIG", "value": f"{CONFIG_MOUNT}/{CONFIG_KEY}"},
        {"name": "LOGSWARM_ROLE", "value": role},
    ]
    args = ["agent", "--role", role, "--port", str(AGENT_PORT)]
    llm_args, llm_env = _llm_wiring(settings.get("llm"))
    args += llm_args
    env += llm_env
    probe = {"httpGet": {"port": "http"}, "periodSeconds": 10, "timeoutSeconds": 2}
    container = {
        "name": "agent",
        "image": image,
        "args": args,
        "ports": [{"name": "http", "containerPort": AGENT_PORT, "protocol": "TCP"}],
        "env": env,
        "livenessProbe": {**probe, "httpGet": {"path": "/healthz", "port": "http"}},
        "readinessProbe": {**probe, "httpGet": {"path": "/readyz", "port": "http"}},
        "resources": resources,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_MOUNT, "readOnly": True}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(pool, name, role),
        "spec": {
            "replicas": int(settings.get("replicas", 1)),
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": pool_labels(pool.name, role),
                    # A changed pool configuration changes the template, so pods roll.
                    "annotations": {CONFIG_HASH_ANNOTATION: digest},
                },
                "spec": {
                    "serviceAccountName": name,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [
                        {
                            "name": "config",
                            "configMap": {"name": child_name(pool.name, "config")},
                        }
                    ],
                },
            },
        },
    }


def _service(pool: PoolRef, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(pool, child_name(pool.name, role), role),
        "spec": {
            "selector": {"logswarm.io/pool": pool.name, "logswarm.io/role": role},
            "ports": [{"name": "http", "port": AGENT_PORT, "targetPort": "http"}],
        },
    }


def _rbac(pool: PoolRef, role: str) -> list[dict[str, Any]]:
    name = child_name(pool.name, role)
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(pool, name, role),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": _meta(pool, name, role),
            "rules": role_rules(role),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": _meta(pool, name, role),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": pool.namespace}],
        },
    ]


def build_children(
    pool: PoolRef, spec: Mapping[str, Any], *, image: str = DEFAULT_IMAGE
) -> list[dict[str, Any]]:
    """Every child of a pool, in apply order (config and identities before workloads).

    ``spec`` is the pool's spec as on the wire (camelCase); ``image`` is the one image that
    runs every role (the operator's settings choose it, not the pool).
    """
    roles = roles_of(spec)
    config = _configmap(pool, spec)
    digest = config_hash(config["data"])
    children = [config]
    for role in roles:
        children += _rbac(pool, role)
    for role in roles:
        children += [
            _service(pool, role),
            _deployment(pool, spec, role, digest=digest, image=image),
        ]
    return children


def pool_readiness(
    roles: Iterable[str], deployments: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per role, status-shaped: desired and ready replicas, and whether the role is ready
    (the Deployment's controller observed its generation and every replica is updated and ready)."""
    by_role = {str(d["metadata"].get("labels", {}).get("logswarm.io/role")): d for d in deployments}
    out: dict[str, dict[str, Any]] = {}
    for role in roles:
        deployment = by_role.get(role)
        if deployment is None:
            out[role] = {"replicas": 0, "readyReplicas": 0, "ready": False}
            continue
        desired = int((deployment.get("spec") or {}).get("replicas", 1))
        status = deployment.get("status") or {}
        generation = int(deployment["metadata"].get("generation", 0))
        observed = int(status.get("observedGeneration", 0))
        ready = int(status.get("readyReplicas", 0))
        updated = int(status.get("updatedReplicas", 0))
        out[role] = {
            "replicas": desired,
            "readyReplicas": ready,
            "ready": observed >= generation and ready >= desired and updated >= desired,
        }
    return out


def pool_status(
    previous: AgentPoolStatus,
    *,
    roles: list[str],
    deployments: Iterable[Mapping[str, Any]],
    generation: int,
    now: datetime | None = None,
) -> AgentPoolStatus:
    """The pool's status after its children were applied: Ready / Progressing per role."""
    readiness = pool_readiness(roles, deployments)
    ready = [r for r, state in readiness.items() if state["ready"]]
    waiting = [r for r in roles if r not in ready]
    summary = f"{len(ready)}/{len(roles)}"
    conditions = set_condition(
        previous.conditions,
        "Ready",
        not waiting,
        "AllRolesReady" if not waiting else "RolesNotReady",
        f"{summary} roles ready" + (f"; waiting for {', '.join(waiting)}" if waiting else ""),
        observed_generation=generation,
        now=now,
    )
    conditions = set_condition(
        conditions,
        "Progressing",
        bool(waiting),
        "RollingOut" if waiting else "RolloutComplete",
        f"{len(waiting)} role(s) rolling out" if waiting else "every role is up to date",
        observed_generation=generation,
        now=now,
    )
    return AgentPoolStatus(
        observed_generation=generation,
        conditions=conditions,
        roles=[
            RoleStatus(
                name=Role(role),
                replicas=state["replicas"],
                ready_replicas=state["readyReplicas"],
                ready=state["ready"],
            )
            for role, state in readiness.items()
        ],
        ready_roles=summary,
    )
