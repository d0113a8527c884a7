"""The operator's one seam to the Kubernetes API (besides kopf itself).

Handlers stay thin by calling these few verbs: server-side apply of a child manifest, a merge
patch of a custom resource's status subresource, listing a pool's Deployments, and the
Remediation journal. Everything works on raw JSON (``_preload_content=False``), as the
remediation backend does, so what is read is exactly what is written.

The Remediation journal (:class:`ConfigMapReceiptStore`) lives in a ConfigMap owned by the
Remediation rather than in its status: the journal must be written *before* each change to the
world (the write-ahead contract of :mod:`logswarm.remediation.receipts`), synchronously and with
optimistic concurrency, and it holds pre-images of arbitrary shape that a structural status
schema would prune. The ConfigMap keeps the receipt store's own JSON Lines format byte for byte;
the Remediation's status carries the human-readable projection (steps, receipts, conditions).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from kubernetes import config as kube_config
from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException
from pydantic import ValidationError

from logswarm.api.v1alpha1 import GROUP, VERSION
from logswarm.remediation.errors import ReceiptStoreError
from logswarm.remediation.plan import RemediationPlan
from logswarm.remediation.receipts import (  # the journal's event codec, reused as is
    _EVENT,
    PlanRecord,
    ReceiptStore,
    _Event,
    _JournalEvent,
    _PlanBegun,
    _replay,
)

__all__ = [
    "FIELD_MANAGER",
    "ConfigMapReceiptStore",
    "KubeCallError",
    "apply",
    "create_custom",
    "get_custom",
    "list_deployments",
    "load_api_client",
    "patch_custom_status",
]

FIELD_MANAGER = "logswarm-operator"
JOURNAL_KEY = "journal.jsonl"

_client_lock = threading.Lock()
_client: ApiClient | None = None


class KubeCallError(Exception):
    """An API call failed; ``status`` is the HTTP status (0 when there was no answer)."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def load_api_client() -> ApiClient:
    """One shared client: in-cluster credentials in a pod, else ``KUBECONFIG``."""
    global _client
    with _client_lock:
        if _client is None:
            try:
                kube_config.load_incluster_config()
            except kube_config.ConfigException:
                kube_config.load_kube_config()
            _client = ApiClient()
        return _client


def _json(response: Any) -> dict[str, Any]:
    data = json.loads(response.data)
    if not isinstance(data, dict):
        raise KubeCallError("the API server answered with something other than an object")
    return data


def _fail(what: str, exc: ApiException) -> KubeCallError:
    return KubeCallError(f"{what}: {exc.status} {exc.reason}", status=int(exc.status or 0))


_PATHS = {
    ("v1", "ConfigMap"): "/api/v1/namespaces/{ns}/configmaps/{name}",
    ("v1", "Service"): "/api/v1/namespaces/{ns}/services/{name}",
    ("v1", "ServiceAccount"): "/api/v1/namespaces/{ns}/serviceaccounts/{name}",
    ("apps/v1", "Deployment"): "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
    ("rbac.authorization.k8s.io/v1", "Role"): (
        "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/{name}"
    ),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): (
        "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/{name}"
    ),
}


def apply(api: ApiClient, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Server-side apply ``manifest`` as the operator's field manager (idempotent).

    ``force``: the operator owns these children; a person's ``kubectl edit`` of a field the
    pool sets is reverted on the next reconcile, which is what GitOps expects.
    """
    key = (str(manifest["apiVersion"]), str(manifest["kind"]))
    meta = manifest["metadata"]
    path = _PATHS[key].format(ns=meta["namespace"], name=meta["name"])
    try:
        response = api.call_api(
            path,
            "PATCH",
            query_params=[("fieldManager", FIELD_MANAGER), ("force", "true")],
            header_params={
                "Content-Type": "application/apply-patch+yaml",
                "Accept": "application/json",
            },
            body=dict(manifest),
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
        )
    except ApiException as exc:
        raise _fail(f"apply {key[1]} {meta['namespace']}/{meta['name']}", exc) from exc
    return _json(response)


def list_deployments(api: ApiClient, namespace: str, selector: str) -> list[dict[str, Any]]:
    try:
        response = AppsV1Api(api).list_namespaced_deployment(
            namespace, label_selector=selector, _preload_content=False
        )
    except ApiException as exc:
        raise _fail(f"list deployments in {namespace}", exc) from exc
    return list(_json(response).get("items", []))


def get_custom(api: ApiClient, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
    """A logswarm.io object, or None when it does not exist."""
    try:
        response = CustomObjectsApi(api).get_namespaced_custom_object(
            GROUP, VERSION, namespace, plural, name, _preload_content=False
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise _fail(f"get {plural} {namespace}/{name}", exc) from exc
    return _json(response)


def create_custom(api: ApiClient, plural: str, manifest: Mapping[str, Any]) -> bool:
    """Create a logswarm.io object; False when it already exists (creation is idempotent)."""
    meta = manifest["metadata"]
    try:
        CustomObjectsApi(api).create_namespaced_custom_object(
            GROUP, VERSION, meta["namespace"], plural, dict(manifest), _preload_content=False
        )
    except ApiException as exc:
        if exc.status == 409:
            return False
        raise _fail(f"create {plural} {meta['namespace']}/{meta['name']}", exc) from exc
    return True


def patch_custom_status(
    api: ApiClient, plural: str, namespace: str, name: str, status: Mapping[str, Any]
) -> None:
    """Merge-patch the status subresource now (not after the handler, as kopf's patch is)."""
    try:
        CustomObjectsApi(api).patch_namespaced_custom_object_status(
            GROUP,
            VERSION,
            namespace,
            plural,
            name,
            {"status": dict(status)},
            _preload_content=False,
        )
    except ApiException as exc:
        raise _fail(f"patch status of {plural} {namespace}/{name}", exc) from exc


class ConfigMapReceiptStore(ReceiptStore):
    """The receipt journal of one Remediation, in a ConfigMap it owns.

    Each append is a read-modify-``replace`` carrying the resourceVersion read, so two
    operator replicas (or a restarted one racing its predecessor) cannot lose a line: the
    loser gets 409 and appends to the fresh journal.
    """

    def __init__(
        self,
        api: ApiClient,
        *,
        namespace: str,
        name: str,
        owner: Mapping[str, Any],
        max_conflict_retries: int = 5,
    ) -> None:
        # No directory: everything ReceiptStore does with files is overridden below.
        self.core = CoreV1Api(api)
        self.namespace = namespace
        self.name = name
        self.owner = dict(owner)
        self.max_conflict_retries = max_conflict_retries
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any] | None:
        try:
            response = self.core.read_namespaced_config_map(
                self.name, self.namespace, _preload_content=False
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise ReceiptStoreError(f"cannot read journal {self.name}: {exc.reason}") from exc
        return _json(response)

    def _lines(self) -> list[str]:
        obj = self._read()
        if obj is None:
            return []
        return str((obj.get("data") or {}).get(JOURNAL_KEY, "")).splitlines()

    def _append(self, plan_id: str, event: _Event) -> None:
        line = event.model_dump_json() + "\n"
        with self._lock:
            for _ in range(self.max_conflict_retries + 1):
                obj = self._read()
                try:
                    if obj is None:
                        body = {
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "metadata": {
                                "name": self.name,
                                "namespace": self.namespace,
                                "labels": {"logswarm.io/journal-of": plan_id},
                                "ownerReferences": [self.owner],
                            },
                            "data": {JOURNAL_KEY: line},
                        }
                        self.core.create_namespaced_config_map(
                            self.namespace, body, _preload_content=False
                        )
                    else:
                        data = obj.setdefault("data", {}) or {}
                        data[JOURNAL_KEY] = str(data.get(JOURNAL_KEY, "")) + line
                        obj["data"] = data
                        self.core.replace_namespaced_config_map(
                            self.name, self.namespace, obj, _preload_content=False
                        )
                    return
                except ApiException as exc:
                    if exc.status == 409:
                        continue  # someone appended (or created) first: redo on the fresh one
                    raise ReceiptStoreError(
                        f"cannot append to journal {self.name}: {exc.status} {exc.reason}"
                    ) from exc
            raise ReceiptStoreError(f"journal {self.name}: too many concurrent writers")

    def begin(self, plan: RemediationPlan) -> PlanRecord:
        if self._lines():
            record = self.load(plan.id)
            if record.plan != plan:
                raise ReceiptStoreError(f"plan {plan.id} already journaled with other content")
            return record
        self._append(plan.id, _PlanBegun(plan=plan))
        return self.load(plan.id)

    def plan_ids(self) -> list[str]:
        lines = self._lines()
        return [self.load_lines(lines).plan.id] if lines else []

    def exists(self) -> bool:
        return bool(self._lines())

    def load(self, plan_id: str) -> PlanRecord:
        record = self.load_lines(self._lines())
        if record.plan.id != plan_id:
            raise ReceiptStoreError(f"journal {self.name} holds plan {record.plan.id}")
        return record

    def load_lines(self, lines: list[str]) -> PlanRecord:
        events: list[_JournalEvent] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                events.append(_EVENT.validate_json(line))
            except ValidationError as exc:
                raise ReceiptStoreError(f"journal {self.name}:{number}: corrupt line") from exc
        if not events or not isinstance(events[0], _PlanBegun):
            raise ReceiptStoreError(f"journal {self.name} does not start with its plan")
        record = PlanRecord(plan=events[0].plan)
        for event in events[1:]:
            _replay(record, event)
        return record
