"""The simulated world the generator writes logs about: a small shop on EKS in one AWS account.

Scenarios need names that look and behave like real ones, because the analysis layer extracts
entities with the same patterns it uses on production logs: pods are ``<deploy>-<rs-hash>-<5>``,
nodes are EC2 private DNS names, access keys start with ``AKIA``, instance ids are ``i-`` plus 17
hex digits. Everything is drawn from one seeded :class:`random.Random`, so a seed names a world.

Dependencies between services are explicit (:attr:`Deployment.calls`) so an injected fault can
propagate to its callers in the right direction: the root cause first, then symptoms upstream.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

__all__ = [
    "AwsAccount",
    "Deployment",
    "IamUser",
    "Node",
    "Pod",
    "Topology",
    "build_topology",
]

#: Kubernetes' pod-name suffix alphabet (no vowels, no ambiguous digits).
_K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_HEX = "0123456789abcdef"
_UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


@dataclass(frozen=True, slots=True)
class Node:
    """A worker node: an EC2 instance registered with the cluster."""

    name: str
    ip: str
    instance_id: str
    eni: str
    zone: str

    @property
    def short(self) -> str:
        """The hostname as syslog writes it (``ip-10-0-1-23``)."""
        return self.name.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Pod:
    """One pod of a deployment; ``uid`` completes the kubelet log path."""

    name: str
    namespace: str
    deployment: str
    container: str
    uid: str
    ip: str
    node: Node
    image: str

    @property
    def log_path(self) -> str:
        """Kubelet's layout, relative to ``/var/log``."""
        return f"pods/{self.namespace}_{self.name}_{self.uid}/{self.container}/0.log"


@dataclass(slots=True)
class Deployment:
    """A workload, its log style and whom it calls."""

    name: str
    namespace: str
    #: How its containers log: ``nginx``, ``json``, ``java``, ``python``, ``postgres``, ``coredns``.
    style: str
    replicas: int
    image: str
    rs_hash: str
    calls: tuple[str, ...] = ()
    port: int = 8080
    #: Relative share of background log volume per pod.
    weight: float = 1.0
    kind: str = "Deployment"
    pods: list[Pod] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IamUser:
    name: str
    access_key: str
    #: Where this person or workload normally calls from.
    home_ip: str
    user_agent: str


@dataclass(slots=True)
class AwsAccount:
    """The AWS side: identities, network and the managed services the shop uses."""

    account_id: str
    region: str
    vpc: str
    users: list[IamUser]
    roles: list[str]
    security_groups: dict[str, str]
    buckets: list[str]
    lambdas: list[str]
    asg: str
    nat_eni: str
    nat_ip: str
    lb_eni: str
    lb_ip: str
    bastion_instance: str
    bastion_eni: str
    bastion_ip: str
    db_eni: str
    db_ip: str
    flow_log_id: str

    def user(self, name: str) -> IamUser:
        return next(u for u in self.users if u.name == name)


@dataclass(slots=True)
class Topology:
    """Everything a scenario may name."""

    cluster: str
    nodes: list[Node]
    deployments: dict[str, Deployment]
    aws: AwsAccount
    rng: random.Random

    def pods(self) -> list[Pod]:
        return [p for d in self.deployments.values() for p in d.pods]

    def callers_of(self, service: str) -> list[Deployment]:
        """Deployments that call ``service`` (where its failures surface as symptoms)."""
        return [d for d in self.deployments.values() if service in d.calls]

    def new_pod(
        self, deployment: str, *, rs_hash: str | None = None, image: str | None = None
    ) -> Pod:
        """A pod that did not exist at the start (a rollout, a reschedule)."""
        dep = self.deployments[deployment]
        node = self.rng.choice(self.nodes)
        return self._make_pod(dep, node, rs_hash=rs_hash or dep.rs_hash, image=image or dep.image)

    def new_rs_hash(self) -> str:
        return _pick(self.rng, _K8S_ALPHABET, self.rng.choice((9, 10)))

    def _make_pod(self, dep: Deployment, node: Node, *, rs_hash: str, image: str) -> Pod:
        rng = self.rng
        if dep.kind == "StatefulSet":
            name = f"{dep.name}-{len(dep.pods)}"
        else:
            name = f"{dep.name}-{rs_hash}-{_pick(rng, _K8S_ALPHABET, 5)}"
        subnet = node.ip.split(".")[2]
        ip = f"10.0.{subnet}.{rng.randint(30, 250)}"
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        container = dep.name if dep.style != "coredns" else "coredns"
        return Pod(name, dep.namespace, dep.name, container, uid, ip, node, image)


#: (name, namespace, style, replicas, image, calls, port, weight, kind)
_WORKLOADS: tuple[tuple[str, str, str, int, str, tuple[str, ...], int, float, str], ...] = (
    (
        "frontend",
        "shop",
        "nginx",
        3,
        "nginx:1.27.3",
        ("checkout", "cart", "catalog"),
        80,
        3.0,
        "Deployment",
    ),
    (
        "checkout",
        "shop",
        "json",
        2,
        "checkout:1.4.2",
        ("payment", "cart", "orders-db"),
        8080,
        2.5,
        "Deployment",
    ),
    ("cart", "shop", "json", 2, "cart:2.1.0", ("orders-db",), 8080, 2.0, "Deployment"),
    ("payment", "shop", "java", 2, "payment:3.0.7", ("orders-db",), 8080, 2.0, "Deployment"),
    ("catalog", "shop", "python", 2, "catalog:0.9.12", ("orders-db",), 8000, 2.0, "Deployment"),
    ("orders-db", "shop", "postgres", 1, "postgres:16.4", (), 5432, 2.0, "StatefulSet"),
    ("coredns", "kube-system", "coredns", 2, "coredns:1.11.3", (), 53, 1.5, "Deployment"),
)

_REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"


def build_topology(seed: int) -> Topology:
    """The world for ``seed``: same seed, same names, byte for byte."""
    rng = random.Random(f"logswarm-topology:{seed}")
    region = "eu-west-1"
    account_id = str(rng.randint(100_000_000_000, 999_999_999_999))
    zones = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    nodes: list[Node] = []
    for i in range(4):
        subnet = 1 + i % 3
        ip = f"10.0.{subnet}.{rng.randint(10, 250)}"
        nodes.append(
            Node(
                name=f"ip-{ip.replace('.', '-')}.{region}.compute.internal",
                ip=ip,
                instance_id="i-0" + _pick(rng, _HEX, 16),
                eni="eni-0" + _pick(rng, _HEX, 16),
                zone=zones[i % 3],
            )
        )
    topo = Topology(
        cluster="shop-prod",
        nodes=nodes,
        deployments={},
        aws=_build_account(rng, account_id, region),
        rng=rng,
    )
    for name, ns, style, replicas, image, calls, port, weight, kind in _WORKLOADS:
        full_image = image if style in ("postgres", "coredns", "nginx") else f"{_REGISTRY}/{image}"
        full_image = full_image.replace("123456789012", account_id)
        dep = Deployment(
            name=name,
            namespace=ns,
            style=style,
            replicas=replicas,
            image=full_image,
            rs_hash=topo.new_rs_hash(),
            calls=calls,
            port=port,
            weight=weight,
            kind=kind,
        )
        topo.deployments[name] = dep
        for r in range(replicas):
            node = nodes[(r + len(topo.deployments)) % len(nodes)]
            dep.pods.append(topo._make_pod(dep, node, rs_hash=dep.rs_hash, image=full_image))
    return topo


def _build_account(rng: random.Random, account_id: str, region: str) -> AwsAccount:
    def key() -> str:
        return "AKIA" + _pick(rng, _UPPER_ALNUM, 16)

    def eni() -> str:
        return "eni-0" + _pick(rng, _HEX, 16)

    office_ip = f"185.{rng.randint(10, 200)}.{rng.randint(0, 255)}.{rng.randint(2, 250)}"
    ci_ip = f"34.{rng.randint(200, 250)}.{rng.randint(0, 255)}.{rng.randint(2, 250)}"
    console_ua = (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
    )
    users = [
        IamUser("alice", key(), office_ip, console_ua),
        IamUser("bob", key(), office_ip, "aws-cli/2.17.20 Python/3.11.9 Linux/6.1 exe/x86_64"),
        IamUser("ci-deploy", key(), ci_ip, "aws-cli/2.17.20 Python/3.11.9 Linux/5.15 exec-env/CI"),
        IamUser("svc-backup", key(), f"10.0.2.{rng.randint(10, 250)}", "Boto3/1.35.10 md/Botocore"),
    ]
    company = "acme-shop"
    return AwsAccount(
        account_id=account_id,
        region=region,
        vpc="vpc-0" + _pick(rng, _HEX, 16),
        users=users,
        roles=["eks-node-role", "checkout-irsa", "lambda-exec", "OrganizationAccountAccessRole"],
        security_groups={
            "nodes": "sg-0" + _pick(rng, _HEX, 16),
            "bastion": "sg-0" + _pick(rng, _HEX, 16),
            "db": "sg-0" + _pick(rng, _HEX, 16),
        },
        buckets=[f"{company}-orders-exports", f"{company}-assets", f"{company}-backups"],
        lambdas=["image-resizer", "order-events-consumer"],
        asg="eks-shop-nodes-" + _pick(rng, _HEX, 8),
        nat_eni=eni(),
        nat_ip=f"52.{rng.randint(16, 60)}.{rng.randint(0, 255)}.{rng.randint(2, 250)}",
        lb_eni=eni(),
        lb_ip=f"10.0.{rng.randint(101, 103)}.{rng.randint(10, 250)}",
        bastion_instance="i-0" + _pick(rng, _HEX, 16),
        bastion_eni=eni(),
        bastion_ip=f"10.0.101.{rng.randint(10, 250)}",
        db_eni=eni(),
        db_ip=f"10.0.3.{rng.randint(10, 250)}",
        flow_log_id="fl-0" + _pick(rng, _HEX, 16),
    )
