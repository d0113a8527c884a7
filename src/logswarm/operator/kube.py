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

from logswarm.api.v1alpha1 import GROUP, VERSION
from logswarm.remediation.errors import ReceiptStoreError
from logswarm.remediation.receipts import Journal, replay_lines

__all__ = [
    "FIELD_MANAGER",
    "ConfigMapJournalStorage",
    "ConfigMapReceiptStore",
    "KubeCallError",
    "apply",
    "create_custom",
    "delete_stale_role_children",
    "get_custom",
    "list_deployments",
    "load_api_client",
    "patch_custom_metadata",
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


def get_deployment(api: ApiClient, namespace: str, name: str) -> dict[str, Any] | None:
    """A Deployment as JSON, or None when it does not exist."""
    try:
        response = AppsV1Api(api).read_namespaced_deployment(
            name, namespace, _preload_content=False
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise _fail(f"get deployment {namespace}/{name}", exc) from exc
    return _json(response)


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


#: The per-role children of a pool, in deletion order (workloads before their identities).
_ROLE_CHILD_KINDS = (
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("v1", "ServiceAccount"),
)


def delete_stale_role_children(
    api: ApiClient, namespace: str, pool: str, pool_uid: str, keep_roles: list[str]
) -> list[str]:
    """Delete the children of ``pool``'s roles that are no longer in ``keep_roles``.

    Selected by label (``logswarm.io/pool``, a ``logswarm.io/role`` not kept, managed by the
    operator) and, to be sure, by the pool's uid in their owner references: an object someone
    labelled by hand is left alone. Returns ``Kind/name`` of what was deleted.
    """
    roles = ",".join(sorted(keep_roles))
    selector = (
        f"logswarm.io/pool={pool},logswarm.io/role,app.kubernetes.io/managed-by={FIELD_MANAGER}"
    )
    if roles:
        selector += f",logswarm.io/role notin ({roles})"
    deleted: list[str] = []
    for key in _ROLE_CHILD_KINDS:
        collection = _PATHS[key].format(ns=namespace, name="").rstrip("/")
        try:
            response = api.call_api(
                collection,
                "GET",
                query_params=[("labelSelector", selector)],
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _return_http_data_only=True,
            )
        except ApiException as exc:
            raise _fail(f"list {key[1]}s of pool {namespace}/{pool}", exc) from exc
        for item in _json(response).get("items", []):
            meta = item.get("metadata") or {}
            owners = meta.get("ownerReferences") or []
            if not any(o.get("uid") == pool_uid for o in owners):
                continue
            try:
                api.call_api(
                    _PATHS[key].format(ns=namespace, name=meta["name"]),
                    "DELETE",
                    query_params=[("propagationPolicy", "Background")],
                    header_params={"Accept": "application/json"},
                    auth_settings=["BearerToken"],
                    _preload_content=False,
                    _return_http_data_only=True,
                )
            except ApiException as exc:
                if exc.status == 404:
                    continue  # already gone
                raise _fail(f"delete {key[1]} {namespace}/{meta['name']}", exc) from exc
            deleted.append(f"{key[1]}/{meta['name']}")
    return deleted


class ConfigMapJournalStorage:
    """The journal lines of one Remediation's plan, in a ConfigMap the Remediation owns.

    Implements :class:`logswarm.remediation.receipts.JournalStorage`. Each append is a
    read-modify-``replace`` carrying the resourceVersion read, so two operator replicas (or a
    restarted one racing its predecessor) cannot lose a line: the loser gets 409 and appends
    to the fresh journal. The replace is atomic, so a corrupt line is never a torn write.
    """

    atomic_appends = True

    def __init__(
        self,
        api: ApiClient,
        *,
        namespace: str,
        name: str,
        owner: Mapping[str, Any],
        max_conflict_retries: int = 5,
    ) -> None:
        self.core = CoreV1Api(api)
        self.namespace = namespace
        self.name = name
        self.owner = dict(owner)
        self.max_conflict_retries = max_conflict_retries
        self._lock = threading.Lock()

    def _get(self) -> dict[str, Any] | None:
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
        obj = self._get()
        if obj is None:
            return []
        return str((obj.get("data") or {}).get(JOURNAL_KEY, "")).splitlines()

    def read(self, plan_id: str) -> list[str] | None:
        # One plan per ConfigMap: Journal.load checks that it is the plan asked for.
        return self._lines() or None

    def plan_ids(self) -> list[str]:
        lines = self._lines()
        if not lines:
            return []
        # The journal of a Remediation holds exactly one plan: read it from its first line.
        return [replay_lines(lines, where=self.describe(""), torn_tail_ok=False).plan.id]

    def describe(self, plan_id: str) -> str:
        return f"journal {self.namespace}/{self.name}"

    def append(self, plan_id: str, line: str) -> None:
        with self._lock:
            for _ in range(self.max_conflict_retries + 1):
                obj = self._get()
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


class ConfigMapReceiptStore(Journal):
    """The receipt journal of one Remediation (a :class:`Journal` on its ConfigMap)."""

    def __init__(
        self,
        api: ApiClient,
        *,
        namespace: str,
        name: str,
        owner: Mapping[str, Any],
        max_conflict_retries: int = 5,
    ) -> None:
        self.configmap = ConfigMapJournalStorage(
            api,
            namespace=namespace,
            name=name,
            owner=owner,
            max_conflict_retries=max_conflict_retries,
        )
        super().__init__(self.configmap)


def patch_custom_metadata(
    api: ApiClient,
    plural: str,
    namespace: str,
    name: str,
    metadata: Mapping[str, Any],
    *,
    resource_version: str | None = None,
) -> dict[str, Any]:
    """Merge-patch a logswarm.io object's metadata (labels, annotations), not its spec.

    With ``resource_version`` the patch only applies to that version (409 otherwise), for
    read-modify-write of counters kept in annotations.
    """
    body: dict[str, Any] = {"metadata": dict(metadata)}
    if resource_version is not None:
        body["metadata"]["resourceVersion"] = resource_version
    try:
        response = api.call_api(
            f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{plural}/{name}",
            "PATCH",
            header_params={
                "Content-Type": "application/merge-patch+json",
                "Accept": "application/json",
            },
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
        )
    except ApiException as exc:
        raise _fail(f"patch metadata of {plural} {namespace}/{name}", exc) from exc
    return _json(response)
