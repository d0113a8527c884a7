"""The kopf handlers: parse the object, call the builders or the executor, write conditions.

Each handler is a few lines on purpose; the decisions live in :mod:`.agentpool` (pure),
:mod:`.incident` (where a topology runs, what its plan becomes) and :mod:`.remediation`, the
API calls in :mod:`.kube`. Errors leave a handler as kopf's two signals:
:class:`kopf.TemporaryError` (the API server, a referenced object or the agent pods are not
there yet: retry) and :class:`kopf.PermanentError` (the object itself is wrong: say why, stop).

Every reconcile is timed, and incidents, remediation outcomes and LLM spend are counted, in
:mod:`.metrics` (served on ``/metrics`` when ``LOGSWARM_METRICS_PORT`` is set).

Run with ``python -m logswarm.operator`` (see ``operator/README.md``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, NoReturn, cast

import kopf
from pydantic import ValidationError

from logswarm.api.v1alpha1 import (
    APPROVED_BY_ANNOTATION,
    GROUP,
    VERSION,
    AgentPoolSpec,
    AgentPoolStatus,
    ConditionStatus,
    IncidentSpec,
)
from logswarm.operator.agentpool import (
    MANAGED_BY,
    PoolRef,
    build_children,
    pool_status,
    roles_of,
)
from logswarm.operator.incident import (
    AgentsUnavailableError,
    agent_transport,
    analyse,
    aws_reader,
    choose_route,
    waiting_status,
)
from logswarm.operator.kube import (
    KubeCallError,
    apply,
    create_custom,
    delete_stale_role_children,
    get_custom,
    get_deployment,
    list_deployments,
    load_api_client,
    patch_custom_status,
)
from logswarm.operator.metrics import metrics, serve
from logswarm.operator.remediation import (
    VERIFY_STEP,
    AwsTarget,
    Outcome,
    apply_remediation_step,
    expire,
    reconcile_remediation,
    verify_remediation,
)
from logswarm.operator.settings import OperatorConfig, apply_kopf_settings

__all__ = ["config"]

_log = logging.getLogger(__name__)
#: Read at start-up by :func:`startup`; the defaults until then (e.g. in unit tests).
config = OperatorConfig()
#: How often Remediations awaiting approval are checked against the approval timeout.
APPROVAL_CHECK_SECONDS = 10.0


@kopf.on.startup()
def startup(settings: kopf.OperatorSettings, **_: Any) -> None:
    global config
    apply_kopf_settings(settings)
    try:
        config = OperatorConfig.from_environ()
    except ValueError as exc:  # a malformed LOGSWARM_* value: stop here, do not retry it
        raise kopf.PermanentError(f"invalid operator settings: {exc}") from exc
    if config.metrics_port:
        port = serve(config.metrics_port)
        _log.info("serving Prometheus metrics on port %d at /metrics", port)


def _post(obj: Mapping[str, Any], kind: str, reason: str, message: str) -> None:
    """A Kubernetes Event on ``obj`` (posted by kopf in the background, never blocking)."""
    body = obj if isinstance(obj, kopf.Body) else kopf.Body(cast(Any, dict(obj)))
    kopf.event(body, type=kind, reason=reason, message=message[:1024])


def _retry_or_fail(exc: KubeCallError) -> Exception:
    # 4xx other than conflicts and throttling: the manifest itself is wrong, retrying won't fix it.
    if 400 <= exc.status < 500 and exc.status not in {404, 409, 429}:
        return kopf.PermanentError(str(exc))
    return kopf.TemporaryError(str(exc), delay=10)


def _ready_of(status: AgentPoolStatus) -> ConditionStatus | None:
    return next((c.status for c in status.conditions if c.type == "Ready"), None)


def _previous_pool_status(body: Mapping[str, Any]) -> AgentPoolStatus:
    try:
        return AgentPoolStatus.model_validate(body.get("status") or {})
    except ValidationError:
        return AgentPoolStatus()


def _write_pool_status(body: Mapping[str, Any], roles: list[str]) -> None:
    api = load_api_client()
    meta = body["metadata"]
    deployments = list_deployments(api, meta["namespace"], f"logswarm.io/pool={meta['name']}")
    previous = _previous_pool_status(body)
    status = pool_status(
        previous,
        roles=roles,
        deployments=deployments,
        generation=int(meta.get("generation", 1)),
    )
    patch_custom_status(
        api, "agentpools", meta["namespace"], meta["name"], status.model_dump(mode="json")
    )
    before, after = _ready_of(previous), _ready_of(status)
    if after != before:
        message = next(c.message for c in status.conditions if c.type == "Ready")
        if after is ConditionStatus.TRUE:
            _post(body, "Normal", "Ready", message)
        else:
            _post(body, "Normal", "NotReady", message)


@kopf.on.resume(GROUP, VERSION, "agentpools")
@kopf.on.create(GROUP, VERSION, "agentpools")
@kopf.on.update(GROUP, VERSION, "agentpools", field="spec")
def reconcile_pool(body: kopf.Body, spec: kopf.Spec, **_: Any) -> None:
    """Apply every child of the pool (server-side apply: idempotent), then report readiness."""
    try:
        wire_spec = AgentPoolSpec.model_validate(dict(spec)).model_dump(mode="json")
        roles = roles_of(wire_spec)
    except (ValidationError, ValueError) as exc:
        raise kopf.PermanentError(f"invalid AgentPool spec: {exc}") from exc
    with metrics.reconcile("AgentPool"):
        pool = PoolRef.from_body(body)
        children = build_children(pool, wire_spec, image=config.agent_image)
        api = load_api_client()
        try:
            for child in children:
                apply(api, child)
            # A role removed from the spec: its Deployment, Service and identity go with it.
            removed = delete_stale_role_children(api, pool.namespace, pool.name, pool.uid, roles)
            _write_pool_status(body, roles)
        except KubeCallError as exc:
            _post(body, "Warning", "ApplyFailed", str(exc))
            raise _retry_or_fail(exc) from exc
        if removed:
            _post(body, "Normal", "RoleRemoved", f"deleted {', '.join(removed)}")
        _post(
            body,
            "Normal",
            "Reconciled",
            f"{len(children)} children applied for roles {', '.join(roles)}",
        )


@kopf.on.event("apps", "v1", "deployments", labels={"app.kubernetes.io/managed-by": MANAGED_BY})
def deployment_changed(body: kopf.Body, namespace: str | None, **_: Any) -> None:
    """A pool's Deployment changed (e.g. its pods became ready): refresh the pool's status."""
    pool_name = (body.get("metadata", {}).get("labels") or {}).get("logswarm.io/pool")
    if not pool_name or not namespace:
        return
    api = load_api_client()
    try:
        pool = get_custom(api, "agentpools", namespace, pool_name)
        if pool is None:
            return  # the pool is gone; its children wait for the garbage collector
        spec = AgentPoolSpec.model_validate(pool.get("spec") or {})
        _write_pool_status(pool, roles_of(spec.model_dump(mode="json")))
    except (KubeCallError, ValidationError, ValueError) as exc:
        _log.warning("cannot refresh AgentPool %s/%s: %s", namespace, pool_name, exc)


def _write_remediation(body: kopf.Body, outcome: Outcome) -> None:
    """Write a reconcile's outcome: status now, then its events, metrics, and kopf's verdict."""
    api = load_api_client()
    meta = body["metadata"]
    try:
        patch_custom_status(
            api,
            "remediations",
            meta["namespace"],
            meta["name"],
            outcome.status.model_dump(mode="json", exclude_none=True),
        )
    except KubeCallError as exc:
        raise _retry_or_fail(exc) from exc
    for kind, reason, message in outcome.events:
        _post(body, kind, reason, message)
    metrics.observe_remediation(
        str(meta["namespace"]),
        str(meta["name"]),
        int(meta.get("generation", 1)),
        outcome.status.phase,
        rolled_back=outcome.rolled_back,
    )
    if outcome.permanent:
        raise kopf.PermanentError(outcome.permanent)
    if outcome.retry_after is not None:
        raise kopf.TemporaryError(
            f"phase {outcome.status.phase}: looking again", delay=outcome.retry_after
        )


def _aws_target() -> AwsTarget:
    return AwsTarget(region=config.aws_region, endpoint_url=config.aws_endpoint_url)


def _apply_step(body: kopf.Body, step_id: str, **_: Any) -> None:
    """One plan step as a kopf sub-handler: apply it with a receipt (or roll the plan back)."""
    with metrics.reconcile("Remediation"):
        try:
            outcome = apply_remediation_step(load_api_client(), body, step_id, aws=_aws_target())
        except KubeCallError as exc:
            raise _retry_or_fail(exc) from exc
        _write_remediation(body, outcome)


def _verify_plan(body: kopf.Body, **_: Any) -> None:
    """The last sub-handler: the plan's checks, retried until they pass or the grace ends."""
    with metrics.reconcile("Remediation"):
        try:
            outcome = verify_remediation(
                load_api_client(),
                body,
                verify_grace_seconds=config.verify_grace_seconds,
                verify_interval_seconds=config.verify_interval_seconds,
                aws=_aws_target(),
            )
        except KubeCallError as exc:
            raise _retry_or_fail(exc) from exc
        _write_remediation(body, outcome)


def _reconcile_remediation(body: kopf.Body, *, approval_event: bool) -> Outcome:
    with metrics.reconcile("Remediation"):
        try:
            outcome = reconcile_remediation(
                load_api_client(),
                body,
                approval_timeout_seconds=config.approval_timeout_seconds,
                approval_event=approval_event,
                aws=_aws_target(),
            )
        except KubeCallError as exc:
            raise _retry_or_fail(exc) from exc
        _write_remediation(body, outcome)
    return outcome


async def _drive_remediation(body: kopf.Body, *, approval_event: bool = False) -> None:
    """Decide; once the plan is begun, apply its steps as sub-handlers, in order, then verify.

    kopf re-invokes this handler every cycle until its sub-handlers are done and skips those it
    has recorded as done; the journal makes a step that did land but was not recorded (a crash
    in between) a no-op as well.
    """
    outcome = await asyncio.to_thread(_reconcile_remediation, body, approval_event=approval_event)
    if not outcome.apply_steps:
        return
    subhandlers: dict[str, Callable[..., None]] = {
        f"step.{step_id}": functools.partial(_apply_step, step_id=step_id)
        for step_id in outcome.apply_steps
    }
    subhandlers[VERIFY_STEP] = _verify_plan
    # kopf takes a mapping of id -> function here, though its annotation says only Iterable.
    await kopf.execute(fns=cast(Any, subhandlers), lifecycle=kopf.lifecycles.one_by_one)


@kopf.on.resume(GROUP, VERSION, "remediations")
@kopf.on.create(GROUP, VERSION, "remediations")
@kopf.on.update(GROUP, VERSION, "remediations", field="spec")
async def reconcile_remediation_handler(body: kopf.Body, **_: Any) -> None:
    """Decide, wait for approval, execute with receipts, verify, roll back (see .remediation)."""
    await _drive_remediation(body)


@kopf.on.field(GROUP, VERSION, "remediations", field=("metadata", "annotations"))
async def approval_changed(body: kopf.Body, old: Any, new: Any, **_: Any) -> None:
    """``kubectl annotate remediation NAME logswarm.io/approved-by=PERSON`` approves."""
    before = (old or {}).get(APPROVED_BY_ANNOTATION)
    after = (new or {}).get(APPROVED_BY_ANNOTATION)
    if after and after != before:
        await _drive_remediation(body, approval_event=True)


def _awaiting_approval(status: kopf.Status, **_: Any) -> bool:
    return bool(status.get("phase") == "AwaitingApproval")


@kopf.timer(
    GROUP, VERSION, "remediations", interval=APPROVAL_CHECK_SECONDS, when=_awaiting_approval
)
def expire_unapproved(body: kopf.Body, **_: Any) -> None:
    """A Remediation nobody allowed approved within the approval timeout expires, for good."""
    outcome = expire(body, timeout_seconds=config.approval_timeout_seconds)
    if outcome is not None:
        with metrics.reconcile("Remediation"):
            _write_remediation(body, outcome)


@kopf.on.delete(GROUP, VERSION, "remediations", optional=True)
def remediation_deleted(namespace: str | None, name: str | None, **_: Any) -> None:
    metrics.forget_remediation(str(namespace), str(name))


@kopf.on.resume(GROUP, VERSION, "incidents")
@kopf.on.create(GROUP, VERSION, "incidents")
@kopf.on.update(GROUP, VERSION, "incidents", field="spec")
def analyse_incident(body: kopf.Body, **_: Any) -> None:
    """Run the pool's topology once per generation — through its agent pods or in-process, as
    :func:`.incident.choose_route` decides — and propose Remediations owned by the Incident."""
    with metrics.reconcile("Incident"):
        _analyse_incident(body)


def _analyse_incident(body: kopf.Body) -> None:
    meta = body["metadata"]
    generation = int(meta.get("generation", 1))
    status = body.get("status") or {}
    if status.get("observedGeneration") == generation:
        # Already analysed (e.g. on resume after a restart): never re-run the agents, but
        # count the Incident in the by-state gauge of this (possibly fresh) process.
        metrics.observe_incident_state(
            str(meta["namespace"]),
            str(meta["name"]),
            str((body.get("spec") or {}).get("severity") or "Unknown"),
            str(status.get("phase") or "Pending"),
        )
        return
    try:
        spec = IncidentSpec.model_validate(dict(body.get("spec") or {}))
    except ValidationError as exc:
        raise kopf.PermanentError(f"invalid Incident spec: {exc.error_count()} errors") from exc
    api = load_api_client()
    try:
        pool = get_custom(api, "agentpools", meta["namespace"], spec.pool_ref.name)
    except KubeCallError as exc:
        raise _retry_or_fail(exc) from exc
    if pool is None:
        raise kopf.TemporaryError(f"AgentPool {spec.pool_ref.name} not found", delay=30)
    topology = str((pool.get("spec") or {}).get("topology", ""))
    region = str((pool.get("spec") or {}).get("region") or "") or config.aws_region
    try:
        route = choose_route(
            config.analysis_mode,
            pool=pool,
            topology=topology,
            url_template=config.agent_url_template,
            agent_urls=config.agent_urls,
        )
        with (
            agent_transport(route, timeout_seconds=config.agent_timeout_seconds) as agents,
            aws_reader(region, endpoint_url=config.aws_endpoint_url) as aws,
        ):
            analysis = analyse(
                body,
                topology=topology,
                route=route,
                agents=agents,
                read_workload=lambda namespace, name: get_deployment(api, namespace, name),
                aws=aws,
            )
    except AgentsUnavailableError as exc:
        _wait_for_agents(api, body, exc)
    except KubeCallError as exc:
        raise _retry_or_fail(exc) from exc
    try:
        for manifest in analysis.remediations:
            if create_custom(api, "remediations", manifest):
                _post(body, "Normal", "RemediationProposed", manifest["metadata"]["name"])
        patch_custom_status(
            api,
            "incidents",
            meta["namespace"],
            meta["name"],
            analysis.status.model_dump(mode="json", exclude_none=True),
        )
    except KubeCallError as exc:
        raise _retry_or_fail(exc) from exc
    metrics.observe_analysis(body, analysis.status)
    analysed = next(c for c in analysis.status.conditions if c.type == "Analysed")
    if analysis.provenance is not None and analysis.provenance.fallback:
        _post(body, "Warning", "AnalysedInProcess", analysis.provenance.describe())
    _post(
        body,
        "Normal" if analysed.status is ConditionStatus.TRUE else "Warning",
        analysed.reason,
        analysed.message,
    )


def _wait_for_agents(api: Any, body: kopf.Body, exc: AgentsUnavailableError) -> NoReturn:
    """Say in status (and once in an Event) which agent pods the Incident waits for; retry."""
    meta = body["metadata"]
    patch, news = waiting_status(body, exc)
    try:
        patch_custom_status(api, "incidents", meta["namespace"], meta["name"], patch)
    except KubeCallError as call:
        raise _retry_or_fail(call) from call
    if news:
        _post(body, "Warning", exc.reason, str(exc))
    raise kopf.TemporaryError(str(exc), delay=config.agent_retry_seconds) from exc


@kopf.on.delete(GROUP, VERSION, "incidents", optional=True)
def incident_deleted(namespace: str | None, name: str | None, **_: Any) -> None:
    metrics.forget_incident(str(namespace), str(name))
