"""The closed vocabulary of remediation actions: the only changes LogSwarm can ever ask for.

An LLM writes remediation plans from untrusted logs, so the plan is untrusted too. The defence
starts here: an action is one of a fixed set of pydantic models (a discriminated union on
``kind``), every field is strictly typed and every name is matched against the grammar the
target API itself enforces (DNS-1123 for Kubernetes, AWS id formats), so free text can never
reach an API call. Unknown kinds, unknown fields and coerced types are all validation errors.

Each spec also says which evidence it needs (:meth:`ActionSpec.evidence_requirements`): the
guard checks those against ``Incident.entity_values`` so that an action can only touch things
the incident's evidence names. This module is pure data: it must never import kubernetes or
boto3 (an import-linter contract holds it to that).
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from logswarm.actions import ACTION_NAMES, ActionName
from logswarm.incidents import EntityKind

__all__ = [
    "ACTION_ADAPTER",
    "AGENT_ACTION_KINDS",
    "ActionKind",
    "ActionSpec",
    "AddNaclDenyEntry",
    "CordonNode",
    "DeactivateAccessKey",
    "DeletePod",
    "EvidenceRequirement",
    "IsolatePod",
    "PatchContainerResources",
    "Provider",
    "RestartDeployment",
    "RevokeSecurityGroupIngress",
    "RollbackDeployment",
    "ScaleWorkload",
    "SetAsgDesiredCapacity",
    "SetLambdaReservedConcurrency",
    "StopInstance",
    "UncordonNode",
]


class Provider(enum.StrEnum):
    """Which backend carries an action out."""

    KUBERNETES = "kubernetes"
    AWS = "aws"


class ActionKind(enum.StrEnum):
    """Every action LogSwarm knows. Adding one is a code change, never a plan's choice."""

    RESTART_DEPLOYMENT = "k8s.deployment.restart"
    SCALE_WORKLOAD = "k8s.workload.scale"
    ROLLBACK_DEPLOYMENT = "k8s.deployment.rollback"
    DELETE_POD = "k8s.pod.delete"
    CORDON_NODE = "k8s.node.cordon"
    UNCORDON_NODE = "k8s.node.uncordon"
    ISOLATE_POD = "k8s.pod.isolate"
    PATCH_RESOURCES = "k8s.container.resources"
    DEACTIVATE_ACCESS_KEY = "aws.iam.deactivate_access_key"
    REVOKE_SG_INGRESS = "aws.ec2.revoke_security_group_ingress"
    ADD_NACL_DENY = "aws.ec2.add_network_acl_deny"
    SET_ASG_DESIRED = "aws.autoscaling.set_desired_capacity"
    STOP_INSTANCE = "aws.ec2.stop_instance"
    SET_LAMBDA_CONCURRENCY = "aws.lambda.set_reserved_concurrency"


#: An agent plan's action name -> the executor's kind it translates to (one vocabulary, two
#: spellings). Every name of :data:`logswarm.actions.ACTION_NAMES` is here; what a step's
#: target and params must say for the translation to be exact is the operator's business.
AGENT_ACTION_KINDS: MappingProxyType[ActionName, ActionKind] = MappingProxyType(
    {
        "restart_deployment": ActionKind.RESTART_DEPLOYMENT,
        "scale_deployment": ActionKind.SCALE_WORKLOAD,
        "rollback_deployment": ActionKind.ROLLBACK_DEPLOYMENT,
        "delete_pod": ActionKind.DELETE_POD,
        "cordon_node": ActionKind.CORDON_NODE,
        "isolate_pod": ActionKind.ISOLATE_POD,
        "patch_resources": ActionKind.PATCH_RESOURCES,
        "deactivate_access_key": ActionKind.DEACTIVATE_ACCESS_KEY,
        "revoke_security_group_ingress": ActionKind.REVOKE_SG_INGRESS,
        "add_nacl_deny": ActionKind.ADD_NACL_DENY,
        "set_asg_capacity": ActionKind.SET_ASG_DESIRED,
        "stop_instance": ActionKind.STOP_INSTANCE,
        "set_lambda_concurrency": ActionKind.SET_LAMBDA_CONCURRENCY,
    }
)
if set(AGENT_ACTION_KINDS) != ACTION_NAMES:  # pragma: no cover - caught by any import
    raise RuntimeError(
        f"AGENT_ACTION_KINDS and ACTION_NAMES disagree: {set(AGENT_ACTION_KINDS) ^ ACTION_NAMES}"
    )


def grammar(pattern: str, *, what: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        # fullmatch, not a ``$`` anchor: ``$`` would accept a trailing newline.
        if compiled.fullmatch(value) is None:
            raise ValueError(f"not a valid {what}")
        return value

    check.__name__ = f"check_{what.replace(' ', '_')}"
    return check


_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN = rf"{_DNS_LABEL}(\.{_DNS_LABEL})*"

#: A Kubernetes namespace or container name (RFC 1123 label).
K8sLabelName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=63),
    AfterValidator(grammar(_DNS_LABEL, what="DNS-1123 label")),
]
#: A Kubernetes object name (RFC 1123 subdomain): pods, deployments, nodes.
K8sObjectName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=253),
    AfterValidator(grammar(_DNS_SUBDOMAIN, what="DNS-1123 subdomain")),
]
IamUserName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=64),
    AfterValidator(grammar(r"[A-Za-z0-9+=,.@_-]+", what="IAM user name")),
]
AccessKeyId = Annotated[
    str,
    StringConstraints(strict=True, min_length=16, max_length=128),
    AfterValidator(grammar(r"(AKIA|ASIA)[A-Z0-9]{12,124}", what="access key id")),
]
SecurityGroupId = Annotated[
    str,
    StringConstraints(strict=True, max_length=20),
    AfterValidator(grammar(r"sg-[0-9a-f]{8,17}", what="security group id")),
]
NetworkAclId = Annotated[
    str,
    StringConstraints(strict=True, max_length=21),
    AfterValidator(grammar(r"acl-[0-9a-f]{8,17}", what="network ACL id")),
]
InstanceId = Annotated[
    str,
    StringConstraints(strict=True, max_length=19),
    AfterValidator(grammar(r"i-[0-9a-f]{8,17}", what="instance id")),
]
AsgName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=255),
    AfterValidator(grammar(r"[A-Za-z0-9][A-Za-z0-9._-]*", what="ASG name")),
]
LambdaName = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=64),
    AfterValidator(grammar(r"[A-Za-z0-9_-]+", what="Lambda function name")),
]
Quantity = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=32),
    AfterValidator(
        grammar(
            r"[0-9]{1,12}(\.[0-9]{1,6})?(m|k|M|G|T|Ki|Mi|Gi|Ti)?",
            what="resource quantity",
        )
    ),
]


def _check_cidr(value: str) -> str:
    try:
        # IPv4 only for now: the AWS calls below take IPv6 in other parameters.
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError("not a valid IPv4 CIDR block (host bits must be zero)") from exc
    if str(network) != value:
        raise ValueError("CIDR must be written in canonical form")
    return value


Cidr = Annotated[str, StringConstraints(strict=True, max_length=43), AfterValidator(_check_cidr)]
Port = Annotated[int, Field(strict=True, ge=0, le=65535)]


@dataclass(frozen=True, slots=True)
class EvidenceRequirement:
    """At least one of ``accepted`` (entity kind, value) pairs must be in the incident's evidence."""

    what: str
    accepted: tuple[tuple[EntityKind, str], ...]


class _ActionBase(BaseModel):
    """Shared config: immutable, no unknown fields, no type coercion (the input is untrusted)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    provider: ClassVar[Provider]
    #: True when undoing the action cannot give back exactly what was there (a deleted pod's
    #: replacement is a new pod); the policy treats such actions as riskier.
    lossy: ClassVar[bool] = False

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        raise NotImplementedError

    def target(self) -> str:
        """A short human-readable name of the object touched, e.g. ``deployment prod/api``."""
        raise NotImplementedError


class _Namespaced(_ActionBase):
    namespace: K8sLabelName
    name: K8sObjectName

    provider: ClassVar[Provider] = Provider.KUBERNETES
    entity_kinds: ClassVar[tuple[EntityKind, ...]] = (EntityKind.DEPLOYMENT,)
    object_kind: ClassVar[str] = "Deployment"

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        qualified = f"{self.namespace}/{self.name}"
        obj = tuple(
            pair for kind in self.entity_kinds for pair in ((kind, self.name), (kind, qualified))
        )
        # The namespace must be attested too: either by a qualified entity (``ns/name``) or
        # by a namespace entity, so a same-named object elsewhere cannot be reached.
        namespace = (
            (EntityKind.NAMESPACE, self.namespace),
            *((kind, qualified) for kind in self.entity_kinds),
        )
        return [
            EvidenceRequirement(what=f"{self.object_kind.lower()} {self.name}", accepted=obj),
            EvidenceRequirement(what=f"namespace {self.namespace}", accepted=namespace),
        ]

    def target(self) -> str:
        return f"{self.object_kind.lower()} {self.namespace}/{self.name}"


class RestartDeployment(_Namespaced):
    """``kubectl rollout restart``: stamp the pod template so every pod is replaced."""

    kind: Literal["k8s.deployment.restart"] = "k8s.deployment.restart"


class ScaleWorkload(_Namespaced):
    """Set the replica count of a Deployment or StatefulSet."""

    kind: Literal["k8s.workload.scale"] = "k8s.workload.scale"
    workload: Literal["Deployment", "StatefulSet"] = "Deployment"
    replicas: Annotated[int, Field(strict=True, ge=0, le=1000)]

    # EntityKind has no StatefulSet: a StatefulSet is attested by a deployment or service entity.
    entity_kinds: ClassVar[tuple[EntityKind, ...]] = (EntityKind.DEPLOYMENT, EntityKind.SERVICE)

    def target(self) -> str:
        return f"{self.workload.lower()} {self.namespace}/{self.name}"


class RollbackDeployment(_Namespaced):
    """Put a Deployment's pod template back to the one of an earlier ReplicaSet revision."""

    kind: Literal["k8s.deployment.rollback"] = "k8s.deployment.rollback"
    #: The revision to return to; ``None`` means the newest revision older than the current one.
    to_revision: Annotated[int, Field(strict=True, ge=1)] | None = None


class DeletePod(_Namespaced):
    """Delete one pod (its controller, if any, replaces it)."""

    kind: Literal["k8s.pod.delete"] = "k8s.pod.delete"
    grace_period_seconds: Annotated[int, Field(strict=True, ge=0, le=3600)] | None = None

    entity_kinds: ClassVar[tuple[EntityKind, ...]] = (EntityKind.POD,)
    object_kind: ClassVar[str] = "Pod"
    lossy: ClassVar[bool] = True


class IsolatePod(_Namespaced):
    """Cut a pod off the network: label it and select it with a deny-all NetworkPolicy."""

    kind: Literal["k8s.pod.isolate"] = "k8s.pod.isolate"
    #: Also deny egress (the usual answer to a compromised pod exfiltrating data).
    deny_egress: Annotated[bool, Field(strict=True)] = True

    entity_kinds: ClassVar[tuple[EntityKind, ...]] = (EntityKind.POD,)
    object_kind: ClassVar[str] = "Pod"


class ContainerResources(BaseModel):
    """Requests and limits for CPU and memory; other resources are out of the vocabulary."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    cpu: Quantity | None = None
    memory: Quantity | None = None


class PatchContainerResources(_Namespaced):
    """Change one container's requests/limits in a Deployment's pod template."""

    kind: Literal["k8s.container.resources"] = "k8s.container.resources"
    container: K8sLabelName
    requests: ContainerResources = ContainerResources()
    limits: ContainerResources = ContainerResources()


class _NodeAction(_ActionBase):
    name: K8sObjectName

    provider: ClassVar[Provider] = Provider.KUBERNETES

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        return [
            EvidenceRequirement(what=f"node {self.name}", accepted=((EntityKind.NODE, self.name),))
        ]

    def target(self) -> str:
        return f"node {self.name}"


class CordonNode(_NodeAction):
    """Mark a node unschedulable (running pods stay)."""

    kind: Literal["k8s.node.cordon"] = "k8s.node.cordon"


class UncordonNode(_NodeAction):
    """Mark a node schedulable again."""

    kind: Literal["k8s.node.uncordon"] = "k8s.node.uncordon"


class DeactivateAccessKey(_ActionBase):
    """Set an IAM user's access key to ``Inactive`` (reversible, unlike deleting it)."""

    kind: Literal["aws.iam.deactivate_access_key"] = "aws.iam.deactivate_access_key"
    user_name: IamUserName
    access_key_id: AccessKeyId

    provider: ClassVar[Provider] = Provider.AWS

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        return [
            EvidenceRequirement(
                what=f"access key {self.access_key_id}",
                accepted=((EntityKind.ACCESS_KEY, self.access_key_id),),
            ),
            EvidenceRequirement(
                what=f"IAM user {self.user_name}",
                accepted=((EntityKind.IAM_USER, self.user_name),),
            ),
        ]

    def target(self) -> str:
        return f"access key {self.access_key_id} of {self.user_name}"


class RevokeSecurityGroupIngress(_ActionBase):
    """Remove one ingress rule (protocol, port range, IPv4 CIDR) from a security group."""

    kind: Literal["aws.ec2.revoke_security_group_ingress"] = "aws.ec2.revoke_security_group_ingress"
    group_id: SecurityGroupId
    protocol: Literal["tcp", "udp", "icmp", "-1"]
    from_port: Port
    to_port: Port
    cidr: Cidr

    provider: ClassVar[Provider] = Provider.AWS

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        return [
            EvidenceRequirement(
                what=f"security group {self.group_id}",
                accepted=((EntityKind.SECURITY_GROUP, self.group_id),),
            )
        ]

    def target(self) -> str:
        return f"security group {self.group_id} rule {self.protocol}/{self.from_port}-{self.to_port} {self.cidr}"


class AddNaclDenyEntry(_ActionBase):
    """Add a DENY entry for a CIDR to a network ACL (the usual way to block a hostile address)."""

    kind: Literal["aws.ec2.add_network_acl_deny"] = "aws.ec2.add_network_acl_deny"
    network_acl_id: NetworkAclId
    rule_number: Annotated[int, Field(strict=True, ge=1, le=32766)]
    cidr: Cidr
    protocol: Literal["tcp", "udp", "icmp", "-1"] = "-1"
    from_port: Port | None = None
    to_port: Port | None = None
    egress: Annotated[bool, Field(strict=True)] = False

    provider: ClassVar[Provider] = Provider.AWS

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        # The address being blocked must be one the evidence names; there is no NACL entity kind,
        # so the ACL itself is held to the policy's blast-radius rules instead.
        network = ipaddress.ip_network(self.cidr)
        return [
            EvidenceRequirement(
                what=f"address {network.network_address}",
                accepted=(
                    (EntityKind.IP, str(network.network_address)),
                    (EntityKind.IP, self.cidr),
                ),
            )
        ]

    def target(self) -> str:
        return f"network ACL {self.network_acl_id} rule {self.rule_number} deny {self.cidr}"


class SetAsgDesiredCapacity(_ActionBase):
    """Set an Auto Scaling group's desired capacity (within its min/max)."""

    kind: Literal["aws.autoscaling.set_desired_capacity"] = "aws.autoscaling.set_desired_capacity"
    group_name: AsgName
    desired_capacity: Annotated[int, Field(strict=True, ge=0, le=1000)]

    provider: ClassVar[Provider] = Provider.AWS

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        return [
            EvidenceRequirement(
                what=f"auto scaling group {self.group_name}",
                accepted=((EntityKind.ASG, self.group_name),),
            )
        ]

    def target(self) -> str:
        return f"auto scaling group {self.group_name}"


class StopInstance(_ActionBase):
    """Stop (not terminate) an EC2 instance; rollback starts it again."""

    kind: Literal["aws.ec2.stop_instance"] = "aws.ec2.stop_instance"
    instance_id: InstanceId

    provider: ClassVar[Provider] = Provider.AWS

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        return [
            EvidenceRequirement(
                what=f"instance {self.instance_id}",
                accepted=((EntityKind.INSTANCE, self.instance_id),),
            )
        ]

    def target(self) -> str:
        return f"instance {self.instance_id}"


class SetLambdaReservedConcurrency(_ActionBase):
    """Set (or, with 0, throttle completely) a Lambda function's reserved concurrency."""

    kind: Literal["aws.lambda.set_reserved_concurrency"] = "aws.lambda.set_reserved_concurrency"
    function_name: LambdaName
    reserved_concurrency: Annotated[int, Field(strict=True, ge=0, le=10000)]

    provider: ClassVar[Provider] = Provider.AWS

    def evidence_requirements(self) -> list[EvidenceRequirement]:
        return [
            EvidenceRequirement(
                what=f"Lambda function {self.function_name}",
                accepted=((EntityKind.LAMBDA, self.function_name),),
            )
        ]

    def target(self) -> str:
        return f"Lambda function {self.function_name}"


ActionSpec = Annotated[
    RestartDeployment
    | ScaleWorkload
    | RollbackDeployment
    | DeletePod
    | CordonNode
    | UncordonNode
    | IsolatePod
    | PatchContainerResources
    | DeactivateAccessKey
    | RevokeSecurityGroupIngress
    | AddNaclDenyEntry
    | SetAsgDesiredCapacity
    | StopInstance
    | SetLambdaReservedConcurrency,
    Field(discriminator="kind"),
]
"""Any action in the vocabulary, discriminated by ``kind``."""

#: Validates an untrusted mapping or JSON document into an :data:`ActionSpec`.
ACTION_ADAPTER: TypeAdapter[ActionSpec] = TypeAdapter(ActionSpec)
