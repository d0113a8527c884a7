"""The Kubernetes backend: the vocabulary's cluster actions through the kubernetes client.

This is the only module (with :mod:`.aws` for boto3) that imports a cloud client. It works on
raw JSON objects (``_preload_content=False``) rather than the client's generated models, so
what is read is exactly what is written back and what the receipt records.

Every write is a read-modify-``replace`` carrying the ``resourceVersion`` that was read: a
concurrent writer makes the API server answer 409 Conflict, and the whole read-decide-write is
redone on the fresh object (recording the fresh pre-image in the journal first) up to
``max_conflict_retries`` times. Dry runs send the same request with ``dryRun=All``, so
admission, validation and conflicts are checked by the server without persisting anything.

===============================  ==================================  ==========================
action                           pre-image                           undo
===============================  ==================================  ==========================
restart Deployment               pod-template annotations            annotations restored
scale Deployment/StatefulSet     ``spec.replicas``                   replicas restored
roll back Deployment             pod template                        template restored
delete Pod                       the Pod's manifest and uid          bare Pod re-created
cordon / uncordon Node           ``spec.unschedulable``              flag restored
isolate Pod (NetworkPolicy)      Pod label, whether policy existed   label and policy removed
patch container resources        the container's ``resources``       resources restored
===============================  ==================================  ==========================

The API client is injected (tests pass envtest's); nothing here reads a kubeconfig by itself.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api, NetworkingV1Api
from kubernetes.client.exceptions import ApiException
from pydantic import JsonValue

from logswarm.remediation.backend import IntentRecorder
from logswarm.remediation.errors import (
    ActionError,
    ConflictExhaustedError,
    DryRunError,
    TargetNotFoundError,
    VerificationError,
)
from logswarm.remediation.plan import ReadinessCheck, Receipt
from logswarm.remediation.reviewer import CheckResult
from logswarm.remediation.safety import BlastRadius, TargetFacts
from logswarm.remediation.vocabulary import (
    ActionSpec,
    CordonNode,
    DeletePod,
    IsolatePod,
    PatchContainerResources,
    Provider,
    RestartDeployment,
    RollbackDeployment,
    ScaleWorkload,
    UncordonNode,
)

__all__ = ["ISOLATION_LABEL", "RESTART_TOKEN", "KubeBackend", "ReadinessSource"]

Obj = dict[str, Any]

RESTART_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
#: Which step stamped the template: applying the same step again sees it and does nothing.
RESTART_TOKEN = "logswarm.io/restart-token"  # noqa: S105 - an annotation key
ISOLATION_LABEL = "logswarm.io/isolated"
REVISION = "deployment.kubernetes.io/revision"
_HASH_LABEL = "pod-template-hash"


def _now() -> datetime:
    return datetime.now(UTC)


def _json(response: Any) -> Obj:
    data = response.data
    return dict(json.loads(data)) if data else {}


def _status(exc: ApiException) -> int:
    return int(exc.status or 0)


def _reason(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body or "{}")
        return str(body.get("message", exc.reason))[:500]
    except (TypeError, ValueError):
        return str(exc.reason)[:500]


def isolation_policy_name(pod: str) -> str:
    digest = hashlib.sha256(pod.encode()).hexdigest()[:8]
    return f"logswarm-isolate-{pod[:200]}-{digest}"


class _ConflictError(Exception):
    """A 409 on write: re-read and try again."""


class KubeBackend:
    """Implements :class:`~logswarm.remediation.backend.ActionBackend` for Kubernetes."""

    provider = Provider.KUBERNETES

    def __init__(
        self,
        api_client: ApiClient,
        *,
        max_conflict_retries: int = 5,
        clock: Callable[[], datetime] = _now,
        before_write: Callable[[str], None] | None = None,
    ) -> None:
        self.core = CoreV1Api(api_client)
        self.apps = AppsV1Api(api_client)
        self.net = NetworkingV1Api(api_client)
        self.max_conflict_retries = max_conflict_retries
        self.clock = clock
        #: Test seam: called with the object's kind just before every write.
        self.before_write = before_write

    # -- raw object access --------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Obj:
        try:
            return _json(fn(*args, _preload_content=False, **kwargs))
        except ApiException as exc:
            if _status(exc) == 404:
                raise TargetNotFoundError(f"{what}: not found") from exc
            if _status(exc) == 409:
                raise _ConflictError(what) from exc
            raise ActionError(f"{what}: HTTP {_status(exc)}: {_reason(exc)}") from exc

    def _read(self, action: ActionSpec) -> Obj:
        if isinstance(action, CordonNode | UncordonNode):
            return self._call(f"read node {action.name}", self.core.read_node, action.name)
        if isinstance(action, DeletePod | IsolatePod):
            return self._call(
                f"read pod {action.namespace}/{action.name}",
                self.core.read_namespaced_pod,
                action.name,
                action.namespace,
            )
        if isinstance(action, ScaleWorkload) and action.workload == "StatefulSet":
            return self._call(
                f"read statefulset {action.namespace}/{action.name}",
                self.apps.read_namespaced_stateful_set,
                action.name,
                action.namespace,
            )
        return self._call(
            f"read deployment {action.namespace}/{action.name}",  # type: ignore[union-attr]
            self.apps.read_namespaced_deployment,
            action.name,  # type: ignore[union-attr]
            action.namespace,  # type: ignore[union-attr]
        )

    def _replace(self, action: ActionSpec, obj: Obj, *, dry_run: bool) -> Obj:
        extra: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
        kind = str(obj.get("kind", "object"))
        if self.before_write is not None and not dry_run:
            self.before_write(kind)
        name = obj["metadata"]["name"]
        if isinstance(action, CordonNode | UncordonNode):
            return self._call("replace node", self.core.replace_node, name, obj, **extra)
        namespace = obj["metadata"]["namespace"]
        if isinstance(action, DeletePod | IsolatePod):
            fn: Callable[..., Any] = self.core.replace_namespaced_pod
        elif isinstance(action, ScaleWorkload) and action.workload == "StatefulSet":
            fn = self.apps.replace_namespaced_stateful_set
        else:
            fn = self.apps.replace_namespaced_deployment
        return self._call(f"replace {kind}", fn, name, namespace, obj, **extra)

    # -- per-action images --------------------------------------------------------------

    def _rollback_template(self, action: RollbackDeployment, deployment: Obj) -> Obj:
        uid = deployment["metadata"]["uid"]
        listed = self._call(
            "list replicasets", self.apps.list_namespaced_replica_set, action.namespace
        )
        revisions: dict[int, Obj] = {}
        for rs in listed.get("items", []):
            owners = rs["metadata"].get("ownerReferences") or []
            if not any(o.get("uid") == uid for o in owners):
                continue
            raw = (rs["metadata"].get("annotations") or {}).get(REVISION)
            if raw is not None and str(raw).isdigit():
                revisions[int(raw)] = rs
        if not revisions:
            raise TargetNotFoundError(f"deployment {action.name} has no ReplicaSet history")
        current_raw = (deployment["metadata"].get("annotations") or {}).get(REVISION)
        current = int(current_raw) if current_raw and str(current_raw).isdigit() else max(revisions)
        if action.to_revision is not None:
            if action.to_revision not in revisions:
                raise TargetNotFoundError(f"revision {action.to_revision} not found")
            chosen = action.to_revision
        else:
            older = [r for r in revisions if r < current]
            if not older:
                raise ActionError(f"deployment {action.name} has no revision before {current}")
            chosen = max(older)
        template = copy.deepcopy(revisions[chosen]["spec"]["template"])
        labels = template.get("metadata", {}).get("labels") or {}
        labels.pop(_HASH_LABEL, None)
        return dict(template)

    def _container(self, obj: Obj, name: str) -> Obj:
        for container in obj["spec"]["template"]["spec"].get("containers", []):
            if container.get("name") == name:
                return dict(container)
        raise TargetNotFoundError(f"container {name} not found")

    def _image(self, action: ActionSpec, obj: Obj) -> dict[str, JsonValue]:
        """The slice of ``obj`` that ``action`` changes (pre- and post-images have this shape)."""
        if isinstance(action, RestartDeployment):
            meta = obj["spec"]["template"].get("metadata") or {}
            return {"annotations": dict(meta.get("annotations") or {})}
        if isinstance(action, ScaleWorkload):
            return {"replicas": int(obj["spec"].get("replicas", 1))}
        if isinstance(action, RollbackDeployment):
            return {"template": copy.deepcopy(obj["spec"]["template"])}
        if isinstance(action, CordonNode | UncordonNode):
            return {"unschedulable": bool(obj.get("spec", {}).get("unschedulable", False))}
        if isinstance(action, PatchContainerResources):
            return {
                "resources": dict(self._container(obj, action.container).get("resources") or {})
            }
        raise ActionError(f"{action.kind} has no simple image")

    def _set(self, action: ActionSpec, obj: Obj, image: dict[str, Any]) -> Obj:
        out = copy.deepcopy(obj)
        if isinstance(action, RestartDeployment):
            out["spec"]["template"].setdefault("metadata", {})["annotations"] = image["annotations"]
        elif isinstance(action, ScaleWorkload):
            out["spec"]["replicas"] = image["replicas"]
        elif isinstance(action, RollbackDeployment):
            out["spec"]["template"] = image["template"]
        elif isinstance(action, CordonNode | UncordonNode):
            out.setdefault("spec", {})["unschedulable"] = image["unschedulable"]
        elif isinstance(action, PatchContainerResources):
            for container in out["spec"]["template"]["spec"]["containers"]:
                if container.get("name") == action.container:
                    container["resources"] = image["resources"]
        return out

    def _wanted(self, action: ActionSpec, obj: Obj, key: str) -> dict[str, JsonValue]:
        if isinstance(action, RestartDeployment):
            current = self._image(action, obj)["annotations"]
            assert isinstance(current, dict)
            return {
                "annotations": {
                    **current,
                    RESTART_ANNOTATION: self.clock().isoformat(),
                    RESTART_TOKEN: key,
                }
            }
        if isinstance(action, ScaleWorkload):
            return {"replicas": action.replicas}
        if isinstance(action, RollbackDeployment):
            return {"template": self._rollback_template(action, obj)}
        if isinstance(action, CordonNode):
            return {"unschedulable": True}
        if isinstance(action, UncordonNode):
            return {"unschedulable": False}
        if isinstance(action, PatchContainerResources):
            resources: dict[str, Any] = dict(
                copy.deepcopy(self._container(obj, action.container).get("resources") or {})
            )
            for part, values in (("requests", action.requests), ("limits", action.limits)):
                given = values.model_dump(exclude_none=True)
                if given:
                    merged = dict(resources.get(part) or {})
                    merged.update(given)
                    resources[part] = merged
            return {"resources": resources}
        raise ActionError(f"{action.kind} has no simple image")

    def _done(self, action: ActionSpec, obj: Obj, wanted: dict[str, Any], key: str) -> bool:
        current = self._image(action, obj)
        if isinstance(action, RestartDeployment):
            annotations = current["annotations"]
            return isinstance(annotations, dict) and annotations.get(RESTART_TOKEN) == key
        if isinstance(action, RollbackDeployment):
            return _same_template(current["template"], wanted["template"])
        if isinstance(action, PatchContainerResources):
            return _same_resources(current["resources"], wanted["resources"])
        return current == wanted

    # -- facts --------------------------------------------------------------------------

    def _namespace_labels(self, namespace: str) -> dict[str, str]:
        ns = self._call(f"read namespace {namespace}", self.core.read_namespace, namespace)
        return dict(ns["metadata"].get("labels") or {})

    def assess(self, action: ActionSpec) -> TargetFacts:
        try:
            obj = self._read(action)
        except TargetNotFoundError:
            return TargetFacts(exists=False)
        labels: dict[str, str] = {}
        namespace = getattr(action, "namespace", None)
        if namespace is not None:
            labels.update(self._namespace_labels(namespace))
        labels.update(obj["metadata"].get("labels") or {})
        if isinstance(action, CordonNode | UncordonNode):
            return TargetFacts(labels=labels, blast_radius=BlastRadius(nodes=1))
        if isinstance(action, DeletePod | IsolatePod):
            return TargetFacts(labels=labels, blast_radius=BlastRadius(pods=1))
        replicas = int(obj["spec"].get("replicas", 1))
        if isinstance(action, ScaleWorkload):
            return TargetFacts(
                labels=labels,
                blast_radius=BlastRadius(pods=abs(action.replicas - replicas)),
                reduces_capacity=action.replicas < replicas,
            )
        return TargetFacts(labels=labels, blast_radius=BlastRadius(pods=replicas))

    # -- dry run ------------------------------------------------------------------------

    def dry_run(self, action: ActionSpec) -> list[str]:
        key = "dry-run"
        try:
            if isinstance(action, DeletePod):
                self._read(action)
                self._delete_pod(action, uid=None, dry_run=True)
                return ["server accepted the delete (dryRun=All)"]
            if isinstance(action, IsolatePod):
                pod = self._read(action)
                self._create_policy(action, dry_run=True)
                labelled = copy.deepcopy(pod)
                labelled["metadata"].setdefault("labels", {})[ISOLATION_LABEL] = "dry-run"
                self._replace(action, labelled, dry_run=True)
                return ["server accepted the NetworkPolicy and label (dryRun=All)"]
            obj = self._read(action)
            wanted = self._wanted(action, obj, key)
            if self._done(action, obj, wanted, key):
                return ["already in the wanted state"]
            self._replace(action, self._set(action, obj, wanted), dry_run=True)
        except _ConflictError as exc:
            raise DryRunError(f"dry run conflicted: {exc}") from exc
        except ActionError as exc:
            raise DryRunError(f"dry run rejected: {exc}") from exc
        return ["server accepted the change (dryRun=All)"]

    # -- apply --------------------------------------------------------------------------

    def apply(
        self,
        action: ActionSpec,
        *,
        plan_id: str,
        step_id: str,
        record_intent: IntentRecorder,
    ) -> Receipt:
        key = f"{plan_id}/{step_id}"
        for attempt in range(self.max_conflict_retries + 1):
            try:
                changed, pre, post, notes = self._apply_once(action, key, record_intent)
            except _ConflictError:
                continue
            return Receipt(
                plan_id=plan_id,
                step_id=step_id,
                idempotency_key=key,
                action=action,
                changed=changed,
                pre_image=pre,
                post_image=post,
                applied_at=self.clock(),
                conflicts_retried=attempt,
                notes=notes,
            )
        raise ConflictExhaustedError(
            f"{action.target()} kept changing: {self.max_conflict_retries + 1} conflicts"
        )

    def _apply_once(
        self, action: ActionSpec, key: str, record_intent: IntentRecorder
    ) -> tuple[bool, dict[str, JsonValue], dict[str, JsonValue], list[str]]:
        if isinstance(action, DeletePod):
            return self._apply_delete(action, record_intent)
        if isinstance(action, IsolatePod):
            return self._apply_isolate(action, record_intent)
        obj = self._read(action)
        pre = self._image(action, obj)
        wanted = self._wanted(action, obj, key)
        if self._done(action, obj, wanted, key):
            return False, pre, pre, ["already in the wanted state"]
        record_intent(pre)
        written = self._replace(action, self._set(action, obj, wanted), dry_run=False)
        return True, pre, self._image(action, written), []

    def _delete_pod(self, action: DeletePod, *, uid: str | None, dry_run: bool) -> None:
        body: dict[str, Any] = {}
        if uid is not None:
            # Delete *this* pod only: a replacement with the same name is left alone.
            body["preconditions"] = {"uid": uid}
        if action.grace_period_seconds is not None:
            body["gracePeriodSeconds"] = action.grace_period_seconds
        if dry_run:
            # In the body, not the query: the API server reads DeleteOptions from the body
            # when there is one and then ignores ``?dryRun=All`` — the pod would really go.
            body["dryRun"] = ["All"]
        if self.before_write is not None and not dry_run:
            self.before_write("Pod")
        self._call(
            f"delete pod {action.namespace}/{action.name}",
            self.core.delete_namespaced_pod,
            action.name,
            action.namespace,
            body=body,
        )

    def _apply_delete(
        self, action: DeletePod, record_intent: IntentRecorder
    ) -> tuple[bool, dict[str, JsonValue], dict[str, JsonValue], list[str]]:
        try:
            pod = self._read(action)
        except TargetNotFoundError:
            return False, {"uid": None}, {"uid": None}, ["pod already gone"]
        if pod["metadata"].get("deletionTimestamp"):
            return False, {"uid": None}, {"uid": None}, ["pod already terminating"]
        uid = str(pod["metadata"]["uid"])
        pre: dict[str, JsonValue] = {
            "uid": uid,
            "owned": bool(pod["metadata"].get("ownerReferences")),
            "manifest": _recreatable(pod),
        }
        record_intent(pre)
        self._delete_pod(action, uid=uid, dry_run=False)
        return True, pre, {"deleted_uid": uid}, []

    def _create_policy(self, action: IsolatePod, *, dry_run: bool) -> bool:
        """Create the deny-all policy; False when it already existed."""
        name = isolation_policy_name(action.name)
        types = ["Ingress", "Egress"] if action.deny_egress else ["Ingress"]
        body = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": name,
                "namespace": action.namespace,
                "labels": {"app.kubernetes.io/managed-by": "logswarm"},
            },
            # No rules under the listed types: everything in those directions is denied.
            "spec": {"podSelector": {"matchLabels": {ISOLATION_LABEL: name}}, "policyTypes": types},
        }
        extra: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
        if self.before_write is not None and not dry_run:
            self.before_write("NetworkPolicy")
        try:
            self._call(
                "create network policy",
                self.net.create_namespaced_network_policy,
                action.namespace,
                body,
                **extra,
            )
        except _ConflictError:
            return False  # 409 on create means AlreadyExists
        return True

    def _policy_exists(self, action: IsolatePod) -> bool:
        try:
            self._call(
                "read network policy",
                self.net.read_namespaced_network_policy,
                isolation_policy_name(action.name),
                action.namespace,
            )
        except TargetNotFoundError:
            return False
        return True

    def _apply_isolate(
        self, action: IsolatePod, record_intent: IntentRecorder
    ) -> tuple[bool, dict[str, JsonValue], dict[str, JsonValue], list[str]]:
        name = isolation_policy_name(action.name)
        pod = self._read(action)
        label = (pod["metadata"].get("labels") or {}).get(ISOLATION_LABEL)
        existed = self._policy_exists(action)
        pre: dict[str, JsonValue] = {"label": label, "policy_existed": existed}
        post: dict[str, JsonValue] = {"label": name, "policy": name}
        if label == name and existed:
            return False, pre, post, ["already isolated"]
        record_intent(pre)
        created = self._create_policy(action, dry_run=False)
        if not created and not existed:
            pre = {"label": label, "policy_existed": False}
        if label != name:
            labelled = copy.deepcopy(pod)
            labelled["metadata"].setdefault("labels", {})[ISOLATION_LABEL] = name
            self._replace(action, labelled, dry_run=False)
        return True, pre, post, []

    # -- verify -------------------------------------------------------------------------

    def verify(self, receipt: Receipt) -> list[str]:
        action = receipt.action
        key = receipt.idempotency_key
        if isinstance(action, DeletePod):
            try:
                pod = self._read(action)
            except TargetNotFoundError:
                return []
            gone = pod["metadata"]["uid"] != receipt.pre_image.get("uid")
            terminating = bool(pod["metadata"].get("deletionTimestamp"))
            return [] if gone or terminating else ["pod still present"]
        if isinstance(action, IsolatePod):
            pod = self._read(action)
            name = isolation_policy_name(action.name)
            problems = []
            if (pod["metadata"].get("labels") or {}).get(ISOLATION_LABEL) != name:
                problems.append("pod not labelled for isolation")
            if not self._policy_exists(action):
                problems.append("isolation NetworkPolicy missing")
            return problems
        obj = self._read(action)
        wanted = receipt.post_image if receipt.changed else receipt.pre_image
        if isinstance(action, RestartDeployment):
            return [] if self._done(action, obj, {}, key) else ["restart token not on the template"]
        if self._done(action, obj, dict(wanted), key):
            return []
        return [f"{action.target()} does not match the receipt's post-image"]

    # -- rollback -----------------------------------------------------------------------

    def rollback(self, action: ActionSpec, pre_image: dict[str, JsonValue]) -> None:
        for _attempt in range(self.max_conflict_retries + 1):
            try:
                self._rollback_once(action, pre_image)
            except _ConflictError:
                continue
            return
        raise ConflictExhaustedError(f"rollback of {action.target()} kept conflicting")

    def _rollback_once(self, action: ActionSpec, pre: dict[str, JsonValue]) -> None:
        if isinstance(action, DeletePod):
            self._undelete(action, pre)
            return
        if isinstance(action, IsolatePod):
            self._unisolate(action, pre)
            return
        obj = self._read(action)
        if self._restored(action, obj, pre):
            return
        self._replace(action, self._set(action, obj, dict(pre)), dry_run=False)

    def _undelete(self, action: DeletePod, pre: dict[str, JsonValue]) -> None:
        manifest = pre.get("manifest")
        if pre.get("uid") is None or pre.get("owned") or not isinstance(manifest, dict):
            return  # nothing was deleted, or its controller replaces it
        try:
            self._read(action)
            return  # a pod of that name exists again
        except TargetNotFoundError:
            pass
        if self.before_write is not None:
            self.before_write("Pod")
        self._call(
            "re-create pod",
            self.core.create_namespaced_pod,
            action.namespace,
            copy.deepcopy(manifest),
        )

    def _unisolate(self, action: IsolatePod, pre: dict[str, JsonValue]) -> None:
        pod = self._read(action)
        labels = pod["metadata"].get("labels") or {}
        if labels.get(ISOLATION_LABEL) != pre.get("label"):
            restored = copy.deepcopy(pod)
            new_labels = restored["metadata"].setdefault("labels", {})
            if pre.get("label") is None:
                new_labels.pop(ISOLATION_LABEL, None)
            else:
                new_labels[ISOLATION_LABEL] = pre["label"]
            self._replace(action, restored, dry_run=False)
        if not pre.get("policy_existed"):
            with contextlib.suppress(TargetNotFoundError):
                self._call(
                    "delete network policy",
                    self.net.delete_namespaced_network_policy,
                    isolation_policy_name(action.name),
                    action.namespace,
                )

    def _restored(self, action: ActionSpec, obj: Obj, pre: dict[str, JsonValue]) -> bool:
        current = self._image(action, obj)
        if isinstance(action, RollbackDeployment):
            return _same_template(current["template"], pre["template"])
        if isinstance(action, PatchContainerResources):
            return _same_resources(current["resources"], pre["resources"])
        return current == pre

    def verify_rollback(self, action: ActionSpec, pre_image: dict[str, JsonValue]) -> list[str]:
        if isinstance(action, DeletePod):
            if pre_image.get("uid") is None or pre_image.get("owned"):
                return []
            try:
                self._read(action)
            except TargetNotFoundError:
                return ["bare pod was not re-created"]
            return []
        if isinstance(action, IsolatePod):
            pod = self._read(action)
            problems = []
            if (pod["metadata"].get("labels") or {}).get(ISOLATION_LABEL) != pre_image.get("label"):
                problems.append("isolation label not restored")
            if not pre_image.get("policy_existed") and self._policy_exists(action):
                problems.append("isolation NetworkPolicy still present")
            return problems
        if self._restored(action, self._read(action), pre_image):
            return []
        return [f"{action.target()} is not back to its pre-image"]

    def observe(self, action: ActionSpec) -> dict[str, JsonValue]:
        """The slice of state ``action`` changes (for tests and the operator's status)."""
        if isinstance(action, DeletePod):
            try:
                pod = self._read(action)
            except TargetNotFoundError:
                return {"exists": False}
            return {"exists": True, "uid": pod["metadata"]["uid"]}
        if isinstance(action, IsolatePod):
            pod = self._read(action)
            return {
                "label": (pod["metadata"].get("labels") or {}).get(ISOLATION_LABEL),
                "policy": self._policy_exists(action),
            }
        return self._image(action, self._read(action))


def _recreatable(pod: Obj) -> dict[str, JsonValue]:
    """The parts of a Pod a create request may carry (no uid, status or server-set fields)."""
    meta = pod["metadata"]
    keep = {
        k: copy.deepcopy(meta[k])
        for k in ("name", "namespace", "labels", "annotations")
        if meta.get(k) is not None
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": keep, "spec": copy.deepcopy(pod["spec"])}


def _strip_hash(template: Any) -> Any:
    template = copy.deepcopy(template)
    if isinstance(template, dict):
        labels = (template.get("metadata") or {}).get("labels")
        if isinstance(labels, dict):
            labels.pop(_HASH_LABEL, None)
    return template


def _same_template(a: Any, b: Any) -> bool:
    return bool(_strip_hash(a) == _strip_hash(b))


_CPU_FACTORS: dict[str, float] = {"m": 0.001, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_BIN: dict[str, float] = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}


def _quantity(value: Any) -> float | str:
    """Compare quantities by value: the API server may canonicalise ``1000m`` to ``1``."""
    text = str(value)
    for suffix, factor in _BIN.items():
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * factor
            except ValueError:
                return text
    for suffix, factor in _CPU_FACTORS.items():
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * factor
            except ValueError:
                return text
    try:
        return float(text)
    except ValueError:
        return text


def _same_resources(a: Any, b: Any) -> bool:
    def norm(resources: Any) -> dict[str, dict[str, float | str]]:
        out: dict[str, dict[str, float | str]] = {}
        for part in ("requests", "limits"):
            values = (resources or {}).get(part) or {}
            if values:
                out[part] = {k: _quantity(v) for k, v in values.items()}
        return out

    return norm(a) == norm(b)


class ReadinessSource:
    """Evaluates :class:`ReadinessCheck`: every desired replica updated, ready and available."""

    def __init__(self, api_client: ApiClient) -> None:
        self.apps = AppsV1Api(api_client)

    def evaluate(self, check: ReadinessCheck) -> CheckResult:
        read = (
            self.apps.read_namespaced_stateful_set
            if check.workload == "StatefulSet"
            else self.apps.read_namespaced_deployment
        )
        try:
            obj = _json(read(check.name, check.namespace, _preload_content=False))
        except ApiException as exc:
            raise VerificationError(f"cannot read {check.workload} {check.name}") from exc
        desired = int(obj["spec"].get("replicas", 1))
        status = obj.get("status") or {}
        generation = int(obj["metadata"].get("generation", 0))
        observed = int(status.get("observedGeneration", 0))
        ready = int(status.get("readyReplicas", 0))
        updated = int(status.get("updatedReplicas", 0))
        problems = []
        if observed < generation:
            problems.append(f"controller has not observed generation {generation} yet")
        if updated < desired:
            problems.append(f"{updated}/{desired} updated")
        if ready < desired:
            problems.append(f"{ready}/{desired} ready")
        return CheckResult(
            check=f"{check.workload} {check.namespace}/{check.name} ready",
            passed=not problems,
            value=float(ready),
            detail="; ".join(problems) or f"{ready}/{desired} ready",
        )
