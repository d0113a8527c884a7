"""Every Kubernetes action against a real kube-apiserver + etcd (envtest): apply, verify, undo.

envtest runs no controllers, so where a controller would act the test plays its part: it
creates the ReplicaSets a Deployment's history consists of, and writes workload status.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes.client
import pytest

from logswarm.incidents import EntityKind
from logswarm.remediation import (
    ActionSpec,
    ConflictExhaustedError,
    CordonNode,
    DeletePod,
    DryRunError,
    ExecutionStatus,
    IsolatePod,
    PatchContainerResources,
    Provider,
    ReadinessCheck,
    RestartDeployment,
    RollbackDeployment,
    ScaleWorkload,
    UncordonNode,
)
from logswarm.remediation.kube import ISOLATION_LABEL, RESTART_TOKEN, KubeBackend, ReadinessSource
from logswarm.remediation.redteam import make_incident

pytestmark = pytest.mark.envtest


def _template(app: str, image: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": image,
                    "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "500m"}},
                }
            ]
        },
    }


class Cluster:
    """Test-side helpers: create the objects a scenario needs, as a controller or user would."""

    def __init__(self, api: Any, namespace: str) -> None:
        self.api = api
        self.ns = namespace
        self.core = kubernetes.client.CoreV1Api(api)
        self.apps = kubernetes.client.AppsV1Api(api)

    def deployment(
        self, name: str, *, replicas: int = 2, image: str = "example.invalid/app:2"
    ) -> Any:
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "annotations": {"deployment.kubernetes.io/revision": "2"}},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": _template(name, image),
            },
        }
        return self.apps.create_namespaced_deployment(self.ns, body)

    def history(self, deployment: Any, images: list[str]) -> None:
        """The ReplicaSets the deployment controller would have left, revision 1..n."""
        name = deployment.metadata.name
        for revision, image in enumerate(images, start=1):
            template = _template(name, image)
            template["metadata"]["labels"]["pod-template-hash"] = f"h{revision}"
            self.apps.create_namespaced_replica_set(
                self.ns,
                {
                    "metadata": {
                        "name": f"{name}-h{revision}",
                        "annotations": {"deployment.kubernetes.io/revision": str(revision)},
                        "ownerReferences": [
                            {
                                "apiVersion": "apps/v1",
                                "kind": "Deployment",
                                "name": name,
                                "uid": deployment.metadata.uid,
                                "controller": True,
                            }
                        ],
                    },
                    "spec": {
                        "replicas": 0,
                        "selector": {
                            "matchLabels": {"app": name, "pod-template-hash": f"h{revision}"}
                        },
                        "template": template,
                    },
                },
            )

    def statefulset(self, name: str) -> None:
        self.apps.create_namespaced_stateful_set(
            self.ns,
            {
                "metadata": {"name": name},
                "spec": {
                    "replicas": 3,
                    "serviceName": name,
                    "selector": {"matchLabels": {"app": name}},
                    "template": _template(name, "example.invalid/db:1"),
                },
            },
        )

    def pod(self, name: str) -> Any:
        return self.core.create_namespaced_pod(
            self.ns,
            {
                "metadata": {"name": name, "labels": {"app": "worker"}},
                "spec": {"containers": [{"name": "app", "image": "example.invalid/worker:1"}]},
            },
        )

    def node(self, name: str, *, unschedulable: bool = False) -> None:
        self.core.create_node(
            {"metadata": {"name": name}, "spec": {"unschedulable": unschedulable}}
        )


@pytest.fixture
def cluster(envtest: Any, envtest_namespace: str) -> Iterator[Cluster]:
    with envtest.api_client() as api:
        yield Cluster(api, envtest_namespace)


@pytest.fixture
def backend(cluster: Cluster) -> KubeBackend:
    return KubeBackend(cluster.api)


Scenario = Callable[[Cluster], ActionSpec]


def _restart(c: Cluster) -> ActionSpec:
    c.deployment("web")
    return RestartDeployment(namespace=c.ns, name="web")


def _scale(c: Cluster) -> ActionSpec:
    c.deployment("web")
    return ScaleWorkload(namespace=c.ns, name="web", replicas=5)


def _scale_statefulset(c: Cluster) -> ActionSpec:
    c.statefulset("db")
    return ScaleWorkload(namespace=c.ns, name="db", workload="StatefulSet", replicas=1)


def _rollback(c: Cluster) -> ActionSpec:
    c.history(c.deployment("web"), ["example.invalid/app:1", "example.invalid/app:2"])
    return RollbackDeployment(namespace=c.ns, name="web")


def _cordon(c: Cluster) -> ActionSpec:
    c.node(f"{c.ns}-node")
    return CordonNode(name=f"{c.ns}-node")


def _uncordon(c: Cluster) -> ActionSpec:
    c.node(f"{c.ns}-node", unschedulable=True)
    return UncordonNode(name=f"{c.ns}-node")


def _resources(c: Cluster) -> ActionSpec:
    c.deployment("web")
    return PatchContainerResources.model_validate(
        {
            "namespace": c.ns,
            "name": "web",
            "container": "app",
            "requests": {"memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        }
    )


def _isolate(c: Cluster) -> ActionSpec:
    c.pod("worker-1")
    return IsolatePod(namespace=c.ns, name="worker-1")


SCENARIOS: dict[str, Scenario] = {
    "restart": _restart,
    "scale-deployment": _scale,
    "scale-statefulset": _scale_statefulset,
    "rollback-deployment": _rollback,
    "cordon": _cordon,
    "uncordon": _uncordon,
    "patch-resources": _resources,
    "isolate-pod": _isolate,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_action_applies_verifies_rolls_back_to_the_pre_image(
    cluster: Cluster, backend: KubeBackend, name: str
) -> None:
    action = SCENARIOS[name](cluster)
    before = backend.observe(action)

    assert backend.dry_run(action)
    assert backend.observe(action) == before, "dryRun=All must persist nothing"

    intents: list[Any] = []
    receipt = backend.apply(action, plan_id="p", step_id="s1", record_intent=intents.append)
    assert receipt.changed
    assert len(intents) == 1
    assert backend.observe(action) != before
    assert backend.verify(receipt) == []

    again = backend.apply(action, plan_id="p", step_id="s1", record_intent=intents.append)
    assert not again.changed, "applying the same step twice equals once"
    assert len(intents) == 1

    backend.rollback(action, receipt.pre_image)
    assert backend.verify_rollback(action, receipt.pre_image) == []
    assert backend.observe(action) == before


def test_rollback_deployment_takes_the_previous_revisions_template(
    cluster: Cluster, backend: KubeBackend
) -> None:
    action = _rollback(cluster)
    backend.apply(action, plan_id="p", step_id="s1", record_intent=lambda _: None)
    live = cluster.apps.read_namespaced_deployment("web", cluster.ns)
    assert live.spec.template.spec.containers[0].image == "example.invalid/app:1"
    assert "pod-template-hash" not in (live.spec.template.metadata.labels or {})


def test_restart_stamps_the_template_with_the_step(cluster: Cluster, backend: KubeBackend) -> None:
    action = _restart(cluster)
    backend.apply(action, plan_id="plan-x", step_id="s1", record_intent=lambda _: None)
    live = cluster.apps.read_namespaced_deployment("web", cluster.ns)
    annotations = live.spec.template.metadata.annotations
    assert annotations[RESTART_TOKEN] == "plan-x/s1"
    assert "kubectl.kubernetes.io/restartedAt" in annotations


def test_delete_pod_and_recreate_a_bare_pod_on_rollback(
    cluster: Cluster, backend: KubeBackend
) -> None:
    original = cluster.pod("worker-2")
    action = DeletePod(namespace=cluster.ns, name="worker-2")
    assert backend.dry_run(action)
    assert backend.observe(action) == {"exists": True, "uid": original.metadata.uid}

    receipt = backend.apply(action, plan_id="p", step_id="s1", record_intent=lambda _: None)
    assert backend.verify(receipt) == []
    assert backend.observe(action) == {"exists": False}
    assert not backend.apply(
        action, plan_id="p", step_id="s1", record_intent=lambda _: None
    ).changed

    backend.rollback(action, receipt.pre_image)
    assert backend.verify_rollback(action, receipt.pre_image) == []
    recreated = cluster.core.read_namespaced_pod("worker-2", cluster.ns)
    assert recreated.metadata.labels == original.metadata.labels
    assert recreated.spec.containers[0].image == original.spec.containers[0].image


def test_isolation_policy_selects_only_the_pod(cluster: Cluster, backend: KubeBackend) -> None:
    action = _isolate(cluster)
    cluster.pod("worker-2")
    backend.apply(action, plan_id="p", step_id="s1", record_intent=lambda _: None)
    net = kubernetes.client.NetworkingV1Api(cluster.api)
    (policy,) = net.list_namespaced_network_policy(cluster.ns).items
    assert sorted(policy.spec.policy_types) == ["Egress", "Ingress"]
    assert not policy.spec.ingress
    assert not policy.spec.egress
    selected = cluster.core.list_namespaced_pod(
        cluster.ns,
        label_selector=",".join(
            f"{k}={v}" for k, v in policy.spec.pod_selector.match_labels.items()
        ),
    )
    assert [p.metadata.name for p in selected.items] == ["worker-1"]
    assert selected.items[0].metadata.labels[ISOLATION_LABEL] == policy.metadata.name


def _bump_annotation(cluster: Cluster, name: str, value: str) -> None:
    cluster.apps.patch_namespaced_deployment(
        name, cluster.ns, {"metadata": {"annotations": {"someone-else": value}}}
    )


def test_a_concurrent_writer_causes_a_conflict_that_is_retried(cluster: Cluster) -> None:
    cluster.deployment("web", replicas=2)
    writes: list[str] = []

    def interfere(kind: str) -> None:
        writes.append(kind)
        if len(writes) == 1:  # another controller writes between our read and our write
            _bump_annotation(cluster, "web", "first")

    backend = KubeBackend(cluster.api, before_write=interfere)
    intents: list[Any] = []
    receipt = backend.apply(
        ScaleWorkload(namespace=cluster.ns, name="web", replicas=4),
        plan_id="p",
        step_id="s1",
        record_intent=intents.append,
    )
    assert receipt.conflicts_retried == 1
    assert len(intents) == 2, "each attempt journals the pre-image it read"
    live = cluster.apps.read_namespaced_deployment("web", cluster.ns)
    assert live.spec.replicas == 4
    assert live.metadata.annotations["someone-else"] == "first", "the other write is kept"


def test_conflicts_that_never_stop_exhaust_the_retries(cluster: Cluster) -> None:
    cluster.deployment("web", replicas=2)
    counter = iter(range(100))

    def interfere(kind: str) -> None:
        _bump_annotation(cluster, "web", str(next(counter)))

    backend = KubeBackend(cluster.api, before_write=interfere, max_conflict_retries=2)
    with pytest.raises(ConflictExhaustedError):
        backend.apply(
            ScaleWorkload(namespace=cluster.ns, name="web", replicas=4),
            plan_id="p",
            step_id="s1",
            record_intent=lambda _: None,
        )
    assert cluster.apps.read_namespaced_deployment("web", cluster.ns).spec.replicas == 2


def test_server_side_dry_run_rejects_an_invalid_change(
    cluster: Cluster, backend: KubeBackend
) -> None:
    cluster.deployment("web")
    action = PatchContainerResources.model_validate(
        {"namespace": cluster.ns, "name": "web", "container": "app", "requests": {"cpu": "2"}}
    )  # requests above the existing 500m limit: the API server's validation says no
    with pytest.raises(DryRunError, match="rejected"):
        backend.dry_run(action)


def test_executor_on_a_real_cluster_denies_kube_system_and_runs_an_approved_plan(
    cluster: Cluster, backend: KubeBackend, harness_factory: Any
) -> None:
    cluster.core.patch_namespace(cluster.ns, {"metadata": {"labels": {"env": "prod"}}})
    cluster.deployment("web", replicas=3)
    incident = make_incident(
        [
            (EntityKind.NAMESPACE, cluster.ns),
            (EntityKind.DEPLOYMENT, "web"),
            (EntityKind.NAMESPACE, "kube-system"),
            (EntityKind.DEPLOYMENT, "coredns"),
        ]
    )
    harness = harness_factory({Provider.KUBERNETES: backend})
    denied = harness.executor.execute(
        {
            "id": "plan-dns",
            "incident_id": incident.id,
            "steps": [
                {
                    "id": "s1",
                    "action": {
                        "kind": "k8s.deployment.restart",
                        "namespace": "kube-system",
                        "name": "coredns",
                    },
                }
            ],
        },
        incident=incident,
    )
    assert denied.status is ExecutionStatus.DENIED

    plan = {
        "id": "plan-web",
        "incident_id": incident.id,
        "steps": [
            {"id": "restart", "action": _restart_doc(cluster.ns)},
            {
                "id": "scale-down",
                "action": {**_restart_doc(cluster.ns), "kind": "k8s.workload.scale", "replicas": 1},
            },
        ],
    }
    waiting = harness.executor.execute(plan, incident=incident)
    assert waiting.status is ExecutionStatus.AWAITING_APPROVAL
    # Restarting 3 pods is low risk even in production; removing capacity there is not.
    assert {d.step_id: d.verdict.value for d in waiting.decisions} == {
        "restart": "allow",
        "scale-down": "require_approval",
    }
    assert not any(s.status.value == "applied" for s in waiting.steps)

    from logswarm.remediation import RemediationPlan

    parsed = RemediationPlan.model_validate(plan)
    for decision in waiting.decisions:
        if not decision.executable:
            harness.safety.approve(parsed, decision.step_id, approver="alice@example.com")
    before = copy.deepcopy(cluster.apps.read_namespaced_deployment("web", cluster.ns).to_dict())
    done = harness.executor.execute(plan, incident=incident)
    assert done.status is ExecutionStatus.SUCCEEDED, done.problems
    assert cluster.apps.read_namespaced_deployment("web", cluster.ns).spec.replicas == 1

    undone = harness.executor.rollback("plan-web")
    assert undone.status is ExecutionStatus.ROLLED_BACK
    after = cluster.apps.read_namespaced_deployment("web", cluster.ns).to_dict()
    assert after["spec"] == before["spec"]


def _restart_doc(namespace: str) -> dict[str, Any]:
    return {"kind": "k8s.deployment.restart", "namespace": namespace, "name": "web"}


def test_readiness_from_the_workload_status(cluster: Cluster) -> None:
    cluster.deployment("web", replicas=2)
    source = ReadinessSource(cluster.api)
    check = ReadinessCheck(namespace=cluster.ns, name="web")
    assert not source.evaluate(check).passed  # no controller has reported anything yet

    live = cluster.apps.read_namespaced_deployment("web", cluster.ns)
    cluster.apps.patch_namespaced_deployment_status(
        "web",
        cluster.ns,
        {
            "status": {
                "observedGeneration": live.metadata.generation,
                "replicas": 2,
                "updatedReplicas": 2,
                "readyReplicas": 2,
                "availableReplicas": 2,
            }
        },
    )
    result = source.evaluate(check)
    assert result.passed, result.detail
    assert result.value == 2


def test_a_step_the_server_would_refuse_stops_the_plan_before_anything_changes(
    cluster: Cluster, backend: KubeBackend, harness_factory: Any
) -> None:
    cluster.core.patch_namespace(cluster.ns, {"metadata": {"labels": {"env": "staging"}}})
    cluster.deployment("web", replicas=3)  # no ReplicaSet history: nothing to roll back to
    incident = make_incident([(EntityKind.NAMESPACE, cluster.ns), (EntityKind.DEPLOYMENT, "web")])
    harness = harness_factory({Provider.KUBERNETES: backend})
    report = harness.executor.execute(
        {
            "id": "plan-bad",
            "incident_id": incident.id,
            "steps": [
                {
                    "id": "scale",
                    "action": {
                        **_restart_doc(cluster.ns),
                        "kind": "k8s.workload.scale",
                        "replicas": 4,
                    },
                },
                {
                    "id": "undo-release",
                    "action": {**_restart_doc(cluster.ns), "kind": "k8s.deployment.rollback"},
                },
            ],
        },
        incident=incident,
    )
    assert report.status is ExecutionStatus.DRY_RUN_FAILED
    assert "undo-release" in report.problems[0]
    assert cluster.apps.read_namespaced_deployment("web", cluster.ns).spec.replicas == 3


def test_reviewer_rolls_back_when_the_workload_never_becomes_ready(
    cluster: Cluster, backend: KubeBackend, harness_factory: Any
) -> None:
    from logswarm.remediation import RemediationPlan, Reviewer

    cluster.deployment("web", replicas=2)
    incident = make_incident([(EntityKind.NAMESPACE, cluster.ns), (EntityKind.DEPLOYMENT, "web")])
    harness = harness_factory({Provider.KUBERNETES: backend})
    plan = RemediationPlan.model_validate(
        {
            "id": "plan-ready",
            "incident_id": incident.id,
            "steps": [{"id": "restart", "action": _restart_doc(cluster.ns)}],
            "verification": [{"type": "readiness", "namespace": cluster.ns, "name": "web"}],
        }
    )
    before = cluster.apps.read_namespaced_deployment("web", cluster.ns).spec.template.to_dict()
    assert harness.executor.execute(plan, incident=incident).status is ExecutionStatus.SUCCEEDED
    assert (
        cluster.apps.read_namespaced_deployment("web", cluster.ns).spec.template.to_dict() != before
    )

    review = Reviewer(
        {"readiness": ReadinessSource(cluster.api)}, executor=harness.executor, audit=harness.audit
    ).review(plan)

    assert not review.passed
    assert review.rolled_back
    assert (
        cluster.apps.read_namespaced_deployment("web", cluster.ns).spec.template.to_dict() == before
    )


class Crash(BaseException):
    """The executor's process dying right after a write reached the API server."""


def test_a_fresh_executor_rolls_back_a_crashed_plan_from_the_journal(
    cluster: Cluster, harness_factory: Any
) -> None:
    cluster.deployment("web", replicas=2)
    cluster.node(f"{cluster.ns}-n1")
    writes: list[str] = []

    def crash_after_second_write(kind: str) -> None:
        writes.append(kind)

    class CrashingBackend(KubeBackend):
        def apply(self, action: ActionSpec, **kwargs: Any) -> Any:
            receipt = super().apply(action, **kwargs)
            if len(writes) == 2:
                raise Crash
            return receipt

    incident = make_incident(
        [
            (EntityKind.NAMESPACE, cluster.ns),
            (EntityKind.DEPLOYMENT, "web"),
            (EntityKind.NODE, f"{cluster.ns}-n1"),
        ]
    )
    plan = {
        "id": "plan-crash",
        "incident_id": incident.id,
        "steps": [
            {
                "id": "scale",
                "action": {**_restart_doc(cluster.ns), "kind": "k8s.workload.scale", "replicas": 3},
            },
            {"id": "cordon", "action": {"kind": "k8s.node.cordon", "name": f"{cluster.ns}-n1"}},
        ],
    }
    crashing = harness_factory(
        {Provider.KUBERNETES: CrashingBackend(cluster.api, before_write=crash_after_second_write)}
    )
    with pytest.raises(Crash):
        crashing.executor.execute(plan, incident=incident)
    assert cluster.core.read_node(f"{cluster.ns}-n1").spec.unschedulable is True

    fresh = crashing.fresh({Provider.KUBERNETES: KubeBackend(cluster.api)})
    (report,) = fresh.executor.recover()
    assert report.status is ExecutionStatus.ROLLED_BACK
    assert [s.step_id for s in report.steps] == ["cordon", "scale"]
    assert not cluster.core.read_node(f"{cluster.ns}-n1").spec.unschedulable
    assert cluster.apps.read_namespaced_deployment("web", cluster.ns).spec.replicas == 2
