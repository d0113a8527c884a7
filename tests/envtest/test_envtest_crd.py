"""CustomResourceDefinitions are served for real: schema validation and the status subresource."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client.exceptions import ApiException

from tests.support.envtest import EnvTest

pytestmark = pytest.mark.envtest

GROUP, VERSION, PLURAL = "smoke.example.com", "v1", "widgets"

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {
                                    "size": {"type": "string", "enum": ["small", "large"]}
                                },
                            },
                            "status": {
                                "type": "object",
                                "properties": {"phase": {"type": "string"}},
                            },
                        },
                    }
                },
            }
        ],
    },
}


def _eventually(check: Callable[[], bool], *, timeout: float = 30.0) -> None:
    """Poll a condition the API server reaches asynchronously, with a deadline."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def widgets(envtest: EnvTest) -> Iterator[Any]:
    """The Widget CRD installed and Established, and a client for its objects."""
    with envtest.api_client() as api:
        extensions = kubernetes.client.ApiextensionsV1Api(api)
        extensions.create_custom_resource_definition(WIDGET_CRD)

        def established() -> bool:
            crd = extensions.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
            conditions = crd.status.conditions or []
            return any(c.type == "Established" and c.status == "True" for c in conditions)

        _eventually(established)
        yield kubernetes.client.CustomObjectsApi(api)


def _widget(name: str, size: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"size": size},
    }


def test_spec_and_status_are_written_separately(widgets: Any, envtest_namespace: str) -> None:
    ns = envtest_namespace
    created = widgets.create_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, _widget("w", "small")
    )
    assert created["metadata"]["generation"] == 1

    patched = widgets.patch_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, "w", {"spec": {"size": "large"}, "status": {"phase": "Lost"}}
    )
    # With a status subresource, the main resource ignores status, and spec bumps generation.
    assert patched["metadata"]["generation"] == 2
    assert "status" not in patched

    with_status = widgets.patch_namespaced_custom_object_status(
        GROUP, VERSION, ns, PLURAL, "w", {"status": {"phase": "Ready"}}
    )
    assert with_status["status"] == {"phase": "Ready"}
    assert with_status["metadata"]["generation"] == 2
    assert int(with_status["metadata"]["resourceVersion"]) > int(
        patched["metadata"]["resourceVersion"]
    )


def test_invalid_object_is_rejected_with_the_schema_message(
    widgets: Any, envtest_namespace: str
) -> None:
    with pytest.raises(ApiException) as rejected:
        widgets.create_namespaced_custom_object(
            GROUP, VERSION, envtest_namespace, PLURAL, _widget("bad", "huge")
        )
    assert rejected.value.status == 422
    status = json.loads(rejected.value.body)
    assert status["reason"] == "Invalid"
    assert 'spec.size: Unsupported value: "huge"' in status["message"]


def test_kubectl_sees_the_new_kind(envtest: EnvTest, widgets: Any, envtest_namespace: str) -> None:
    widgets.create_namespaced_custom_object(
        GROUP, VERSION, envtest_namespace, PLURAL, _widget("listed", "small")
    )
    listed = envtest.kubectl("get", "widgets", "-n", envtest_namespace, "-o", "name").stdout
    assert listed.split() == ["widget.smoke.example.com/listed"]
