"""The AWS backend: the vocabulary's AWS actions carried out with boto3, each one reversible.

This is one of the two modules allowed to import boto3 (the other being nothing: the
Kubernetes backend lives in :mod:`.kube`). Each action reads the slice of state it will change
(the pre-image), hands it to the executor's journal before writing, writes, and can restore it:

============================  ===========================  =============================
action                        pre-image                    undo
============================  ===========================  =============================
deactivate access key         key status                   ``UpdateAccessKey`` back
revoke SG ingress rule        whether the rule existed     ``AuthorizeSecurityGroupIngress``
add NACL deny entry           the entry at that number     ``DeleteNetworkAclEntry``
set ASG desired capacity      desired capacity             ``SetDesiredCapacity`` back
stop instance                 instance state               ``StartInstances`` if it ran
set Lambda concurrency        reserved concurrency / none  put or delete concurrency
============================  ===========================  =============================

EC2 calls are dry-run with ``DryRun=True`` (an ``DryRunOperation`` error means "would succeed");
IAM, Auto Scaling and Lambda have no dry run, so their dry run checks the target and the
requested state by reading. Every botocore error is re-raised from this package's hierarchy.

Clients are injected (:class:`AwsClients`), so tests point them at moto's server with an
``endpoint_url`` and explicit dummy credentials, and nothing here reads the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import JsonValue

from logswarm.remediation.backend import IntentRecorder
from logswarm.remediation.errors import (
    ActionError,
    DryRunError,
    TargetNotFoundError,
    VerificationError,
)
from logswarm.remediation.plan import CloudWatchCheck, Receipt
from logswarm.remediation.reviewer import CheckResult, reduce_values
from logswarm.remediation.safety import BlastRadius, TargetFacts
from logswarm.remediation.vocabulary import (
    ActionSpec,
    AddNaclDenyEntry,
    DeactivateAccessKey,
    Provider,
    RevokeSecurityGroupIngress,
    SetAsgDesiredCapacity,
    SetLambdaReservedConcurrency,
    StopInstance,
)

__all__ = ["AwsBackend", "AwsClients", "CloudWatchSource"]

_PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "-1": "-1"}
_NOT_FOUND_CODES = {
    "NoSuchEntity",
    "InvalidGroup.NotFound",
    "InvalidNetworkAclID.NotFound",
    "InvalidInstanceID.NotFound",
    "InvalidInstanceID.Malformed",
    "ResourceNotFoundException",
    "ValidationError",
}


@dataclass(frozen=True)
class AwsClients:
    """The boto3 clients the backend needs, all for one account and region."""

    ec2: Any
    iam: Any
    autoscaling: Any
    lambda_: Any
    cloudwatch: Any
    #: The access key the executor itself signs with: deactivating it would lock LogSwarm out.
    own_access_key_id: str | None = None

    @classmethod
    def from_session(
        cls, session: boto3.session.Session, *, endpoint_url: str | None = None
    ) -> AwsClients:
        def client(name: str) -> Any:
            return session.client(name, endpoint_url=endpoint_url)

        credentials = session.get_credentials()
        return cls(
            ec2=client("ec2"),
            iam=client("iam"),
            autoscaling=client("autoscaling"),
            lambda_=client("lambda"),
            cloudwatch=client("cloudwatch"),
            own_access_key_id=credentials.access_key if credentials is not None else None,
        )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _wrap(exc: Exception, what: str) -> ActionError:
    if isinstance(exc, ClientError) and _code(exc) in _NOT_FOUND_CODES:
        return TargetNotFoundError(f"{what}: {_code(exc)}")
    if isinstance(exc, ClientError):
        return ActionError(
            f"{what}: {_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}"
        )
    return ActionError(f"{what}: {type(exc).__name__}")


def _now() -> datetime:
    return datetime.now(UTC)


def _only(found: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    """The first of the items a describe call returned under ``key``; none: ``what`` not found."""
    items = found.get(key, [])
    if not items:
        raise TargetNotFoundError(f"{what} not found")
    return dict(items[0])


def _tag_map(tags: list[dict[str, str]]) -> dict[str, str]:
    """EC2/IAM/Auto Scaling ``[{"Key": k, "Value": v}]`` tags as a mapping."""
    return {t["Key"]: t["Value"] for t in tags}


class AwsBackend:
    """Implements :class:`~logswarm.remediation.backend.ActionBackend` for AWS."""

    provider = Provider.AWS

    #: EC2 operations dry-run on the server with ``DryRun=True``.
    SERVER_DRY_RUN = frozenset(
        {"revoke_security_group_ingress", "create_network_acl_entry", "stop_instances"}
    )

    def __init__(
        self,
        clients: AwsClients,
        *,
        clock: Callable[[], datetime] = _now,
        server_dry_run: frozenset[str] = SERVER_DRY_RUN,
    ) -> None:
        self.clients = clients
        self.clock = clock
        #: Narrowed only for emulators that ignore ``DryRun`` on some call (moto 5.2 does on
        #: CreateNetworkAclEntry and would really create the entry): such a call then gets
        #: the read-only checks instead, never an unannounced write.
        self.server_dry_run = server_dry_run

    # -- reading ------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise _wrap(exc, what) from exc

    def _key_status(self, action: DeactivateAccessKey) -> str:
        pages = self._call(
            "list access keys", self.clients.iam.list_access_keys, UserName=action.user_name
        )
        for key in pages.get("AccessKeyMetadata", []):
            if key["AccessKeyId"] == action.access_key_id:
                return str(key["Status"])
        raise TargetNotFoundError(
            f"access key {action.access_key_id} not found for {action.user_name}"
        )

    def _group(self, group_id: str) -> dict[str, Any]:
        found = self._call(
            "describe security group",
            self.clients.ec2.describe_security_groups,
            GroupIds=[group_id],
        )
        return _only(found, "SecurityGroups", f"security group {group_id}")

    def _rule(self, action: RevokeSecurityGroupIngress) -> dict[str, JsonValue]:
        group = self._group(action.group_id)
        for perm in group.get("IpPermissions", []):
            if perm.get("IpProtocol") != action.protocol:
                continue
            if action.protocol != "-1" and (
                perm.get("FromPort") != action.from_port or perm.get("ToPort") != action.to_port
            ):
                continue
            for ip_range in perm.get("IpRanges", []):
                if ip_range.get("CidrIp") == action.cidr:
                    description = ip_range.get("Description")
                    return {"present": True, "description": description}
        return {"present": False, "description": None}

    def _sg_permission(
        self, action: RevokeSecurityGroupIngress, description: str | None = None
    ) -> dict[str, Any]:
        ip_range: dict[str, Any] = {"CidrIp": action.cidr}
        if description:
            ip_range["Description"] = description
        perm: dict[str, Any] = {"IpProtocol": action.protocol, "IpRanges": [ip_range]}
        if action.protocol != "-1":
            perm["FromPort"] = action.from_port
            perm["ToPort"] = action.to_port
        return perm

    def _describe_nacl(self, acl_id: str) -> dict[str, Any]:
        return dict(
            self._call(
                "describe network ACL",
                self.clients.ec2.describe_network_acls,
                NetworkAclIds=[acl_id],
            )
        )

    def _nacl_entry(self, action: AddNaclDenyEntry) -> dict[str, JsonValue] | None:
        found = self._describe_nacl(action.network_acl_id)
        acl = _only(found, "NetworkAcls", f"network ACL {action.network_acl_id}")
        for entry in acl.get("Entries", []):
            if (
                int(entry["RuleNumber"]) == action.rule_number
                and bool(entry["Egress"]) == action.egress
            ):
                port_range = entry.get("PortRange") or {}
                return {
                    "rule_action": str(entry.get("RuleAction")),
                    "protocol": str(entry.get("Protocol")),
                    "cidr": entry.get("CidrBlock"),
                    "from_port": port_range.get("From"),
                    "to_port": port_range.get("To"),
                }
        return None

    def _nacl_wanted(self, action: AddNaclDenyEntry) -> dict[str, JsonValue]:
        ported = action.protocol in {"tcp", "udp"}
        return {
            "rule_action": "deny",
            "protocol": _PROTOCOL_NUMBERS[action.protocol],
            "cidr": action.cidr,
            "from_port": (action.from_port if action.from_port is not None else 0)
            if ported
            else None,
            "to_port": (action.to_port if action.to_port is not None else 65535)
            if ported
            else None,
        }

    def _asg(self, name: str) -> dict[str, Any]:
        found = self._call(
            "describe auto scaling group",
            self.clients.autoscaling.describe_auto_scaling_groups,
            AutoScalingGroupNames=[name],
        )
        return _only(found, "AutoScalingGroups", f"auto scaling group {name}")

    def _instance(self, instance_id: str) -> dict[str, Any]:
        found = self._call(
            "describe instance", self.clients.ec2.describe_instances, InstanceIds=[instance_id]
        )
        for reservation in found.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                if instance["InstanceId"] == instance_id:
                    return dict(instance)
        raise TargetNotFoundError(f"instance {instance_id} not found")

    def _concurrency(self, name: str) -> int | None:
        self._call("get function", self.clients.lambda_.get_function, FunctionName=name)
        found = self._call(
            "get function concurrency",
            self.clients.lambda_.get_function_concurrency,
            FunctionName=name,
        )
        value = found.get("ReservedConcurrentExecutions")
        return None if value is None else int(value)

    def observe(self, action: ActionSpec) -> dict[str, JsonValue]:
        """The slice of state ``action`` changes, in the shape of its pre- and post-image."""
        if isinstance(action, DeactivateAccessKey):
            return {"status": self._key_status(action)}
        if isinstance(action, RevokeSecurityGroupIngress):
            return self._rule(action)
        if isinstance(action, AddNaclDenyEntry):
            return {"entry": self._nacl_entry(action)}
        if isinstance(action, SetAsgDesiredCapacity):
            return {"desired_capacity": int(self._asg(action.group_name)["DesiredCapacity"])}
        if isinstance(action, StopInstance):
            return {"state": str(self._instance(action.instance_id)["State"]["Name"])}
        if isinstance(action, SetLambdaReservedConcurrency):
            return {"reserved_concurrency": self._concurrency(action.function_name)}
        raise ActionError(f"{action.kind} is not an AWS action")

    def _tags(self, action: ActionSpec) -> dict[str, str]:
        if isinstance(action, SetAsgDesiredCapacity):
            return _tag_map(self._asg(action.group_name).get("Tags", []))
        if isinstance(action, StopInstance):
            return _tag_map(self._instance(action.instance_id).get("Tags", []))
        if isinstance(action, RevokeSecurityGroupIngress):
            return _tag_map(self._group(action.group_id).get("Tags", []))
        if isinstance(action, AddNaclDenyEntry):
            acls = self._describe_nacl(action.network_acl_id).get("NetworkAcls", [])
            return _tag_map(acls[0].get("Tags", []) if acls else [])
        if isinstance(action, DeactivateAccessKey):
            tags = self._call(
                "list user tags", self.clients.iam.list_user_tags, UserName=action.user_name
            )
            return _tag_map(tags.get("Tags", []))
        if isinstance(action, SetLambdaReservedConcurrency):
            fn = self._call(
                "get function", self.clients.lambda_.get_function, FunctionName=action.function_name
            )
            return {str(k): str(v) for k, v in (fn.get("Tags") or {}).items()}
        return {}

    def assess(self, action: ActionSpec) -> TargetFacts:
        current = self.observe(action)
        labels = self._tags(action)
        if isinstance(action, DeactivateAccessKey):
            protected = None
            if action.access_key_id == self.clients.own_access_key_id:
                protected = "the executor's own access key"
            return TargetFacts(
                blast_radius=BlastRadius(users=1), labels=labels, protected_reason=protected
            )
        if isinstance(action, SetAsgDesiredCapacity):
            before = int(current["desired_capacity"] or 0)  # type: ignore[arg-type]
            return TargetFacts(
                blast_radius=BlastRadius(instances=abs(action.desired_capacity - before)),
                labels=labels,
                reduces_capacity=action.desired_capacity < before,
            )
        if isinstance(action, StopInstance):
            return TargetFacts(blast_radius=BlastRadius(instances=1), labels=labels)
        if isinstance(action, SetLambdaReservedConcurrency):
            reserved = current["reserved_concurrency"]
            reduces = not isinstance(reserved, int) or action.reserved_concurrency < reserved
            return TargetFacts(labels=labels, reduces_capacity=reduces)
        if isinstance(action, RevokeSecurityGroupIngress):
            found = self._call(
                "describe instances in group",
                self.clients.ec2.describe_instances,
                Filters=[{"Name": "instance.group-id", "Values": [action.group_id]}],
            )
            count = sum(len(r.get("Instances", [])) for r in found.get("Reservations", []))
            return TargetFacts(blast_radius=BlastRadius(instances=count), labels=labels)
        return TargetFacts(labels=labels)

    # -- dry run ------------------------------------------------------------------------

    def _ec2_dry_run(self, what: str, fn: Callable[..., Any], **kwargs: Any) -> list[str]:
        operation = getattr(fn, "__name__", "")
        if operation not in self.server_dry_run:
            return [f"{what}: read-only checks passed (server dry run disabled for {operation})"]
        try:
            fn(DryRun=True, **kwargs)
        except ClientError as exc:
            if _code(exc) == "DryRunOperation":
                return [f"{what}: EC2 dry run would succeed"]
            raise DryRunError(f"{what}: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise DryRunError(f"{what}: {type(exc).__name__}") from exc
        raise DryRunError(
            f"{what}: the server ignored DryRun=True and may have applied the call; "
            "inspect the target before running the plan"
        )

    def dry_run(self, action: ActionSpec) -> list[str]:
        current = self.observe(action)
        if isinstance(action, RevokeSecurityGroupIngress):
            if not current["present"]:
                return ["rule already absent: nothing to revoke"]
            return self._ec2_dry_run(
                "revoke ingress",
                self.clients.ec2.revoke_security_group_ingress,
                GroupId=action.group_id,
                IpPermissions=[self._sg_permission(action)],
            )
        if isinstance(action, AddNaclDenyEntry):
            entry = current["entry"]
            if entry is not None and entry != self._nacl_wanted(action):
                raise DryRunError(
                    f"network ACL {action.network_acl_id} already has a different rule "
                    f"{action.rule_number}"
                )
            if entry is not None:
                return ["entry already present"]
            return self._ec2_dry_run(
                "create NACL entry",
                self.clients.ec2.create_network_acl_entry,
                **self._nacl_kwargs(action),
            )
        if isinstance(action, StopInstance):
            return self._ec2_dry_run(
                "stop instance", self.clients.ec2.stop_instances, InstanceIds=[action.instance_id]
            )
        if isinstance(action, SetAsgDesiredCapacity):
            group = self._asg(action.group_name)
            low, high = int(group["MinSize"]), int(group["MaxSize"])
            if not low <= action.desired_capacity <= high:
                raise DryRunError(
                    f"desired capacity {action.desired_capacity} outside [{low}, {high}]"
                )
            return ["capacity within the group's bounds (no server-side dry run for ASG)"]
        return [f"target exists, current state {current} (no server-side dry run for this API)"]

    # -- writing ------------------------------------------------------------------------

    def _nacl_kwargs(self, action: AddNaclDenyEntry) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "NetworkAclId": action.network_acl_id,
            "RuleNumber": action.rule_number,
            "Protocol": _PROTOCOL_NUMBERS[action.protocol],
            "RuleAction": "deny",
            "Egress": action.egress,
            "CidrBlock": action.cidr,
        }
        if action.protocol in {"tcp", "udp"}:
            kwargs["PortRange"] = {
                "From": action.from_port if action.from_port is not None else 0,
                "To": action.to_port if action.to_port is not None else 65535,
            }
        return kwargs

    def _wanted(self, action: ActionSpec) -> dict[str, JsonValue]:
        if isinstance(action, DeactivateAccessKey):
            return {"status": "Inactive"}
        if isinstance(action, RevokeSecurityGroupIngress):
            return {"present": False}
        if isinstance(action, AddNaclDenyEntry):
            return {"entry": self._nacl_wanted(action)}
        if isinstance(action, SetAsgDesiredCapacity):
            return {"desired_capacity": action.desired_capacity}
        if isinstance(action, StopInstance):
            return {"state": "stopped"}
        if isinstance(action, SetLambdaReservedConcurrency):
            return {"reserved_concurrency": action.reserved_concurrency}
        raise ActionError(f"{action.kind} is not an AWS action")

    def _already(self, action: ActionSpec, current: dict[str, JsonValue]) -> bool:
        if isinstance(action, RevokeSecurityGroupIngress):
            return current["present"] is False
        if isinstance(action, StopInstance):
            return current["state"] in {"stopping", "stopped"}
        if isinstance(action, AddNaclDenyEntry) and current["entry"] is not None:
            if current["entry"] != self._nacl_wanted(action):
                raise ActionError(
                    f"network ACL {action.network_acl_id} rule {action.rule_number} is taken"
                )
            return True
        return current == self._wanted(action)

    def apply(
        self,
        action: ActionSpec,
        *,
        plan_id: str,
        step_id: str,
        record_intent: IntentRecorder,
    ) -> Receipt:
        pre = self.observe(action)
        changed = not self._already(action, pre)
        if changed:
            record_intent(pre)
            self._write(action, pre)
        return Receipt(
            plan_id=plan_id,
            step_id=step_id,
            idempotency_key=f"{plan_id}/{step_id}",
            action=action,
            changed=changed,
            pre_image=pre,
            post_image=self._wanted(action),
            applied_at=self.clock(),
        )

    # Each of these writes both the change and its undo.

    def _set_key_status(self, what: str, action: DeactivateAccessKey, status: str) -> None:
        self._call(
            what,
            self.clients.iam.update_access_key,
            UserName=action.user_name,
            AccessKeyId=action.access_key_id,
            Status=status,
        )

    def _set_capacity(self, what: str, action: SetAsgDesiredCapacity, capacity: int) -> None:
        self._call(
            what,
            self.clients.autoscaling.set_desired_capacity,
            AutoScalingGroupName=action.group_name,
            DesiredCapacity=capacity,
            HonorCooldown=False,
        )

    def _put_concurrency(
        self, what: str, action: SetLambdaReservedConcurrency, reserved: int
    ) -> None:
        self._call(
            what,
            self.clients.lambda_.put_function_concurrency,
            FunctionName=action.function_name,
            ReservedConcurrentExecutions=reserved,
        )

    def _write(self, action: ActionSpec, pre: dict[str, JsonValue]) -> None:
        c = self.clients
        if isinstance(action, DeactivateAccessKey):
            self._set_key_status("deactivate access key", action, "Inactive")
        elif isinstance(action, RevokeSecurityGroupIngress):
            self._call(
                "revoke ingress",
                c.ec2.revoke_security_group_ingress,
                GroupId=action.group_id,
                IpPermissions=[self._sg_permission(action)],
            )
        elif isinstance(action, AddNaclDenyEntry):
            self._call(
                "create NACL entry", c.ec2.create_network_acl_entry, **self._nacl_kwargs(action)
            )
        elif isinstance(action, SetAsgDesiredCapacity):
            self._set_capacity("set desired capacity", action, action.desired_capacity)
        elif isinstance(action, StopInstance):
            self._call("stop instance", c.ec2.stop_instances, InstanceIds=[action.instance_id])
        elif isinstance(action, SetLambdaReservedConcurrency):
            self._put_concurrency("put function concurrency", action, action.reserved_concurrency)

    def verify(self, receipt: Receipt) -> list[str]:
        current = self.observe(receipt.action)
        if self._already(receipt.action, current):
            return []
        return [f"expected {receipt.post_image}, found {current}"]

    def rollback(self, action: ActionSpec, pre_image: dict[str, JsonValue]) -> None:
        c = self.clients
        current = self.observe(action)
        if self._restored(action, current, pre_image):
            return  # idempotent: already back
        if isinstance(action, DeactivateAccessKey):
            self._set_key_status("reactivate access key", action, str(pre_image["status"]))
        elif isinstance(action, RevokeSecurityGroupIngress):
            if pre_image.get("present"):
                description = pre_image.get("description")
                self._call(
                    "re-authorize ingress",
                    c.ec2.authorize_security_group_ingress,
                    GroupId=action.group_id,
                    IpPermissions=[
                        self._sg_permission(
                            action, description if isinstance(description, str) else None
                        )
                    ],
                )
        elif isinstance(action, AddNaclDenyEntry):
            if pre_image.get("entry") is None:
                self._call(
                    "delete NACL entry",
                    c.ec2.delete_network_acl_entry,
                    NetworkAclId=action.network_acl_id,
                    RuleNumber=action.rule_number,
                    Egress=action.egress,
                )
        elif isinstance(action, SetAsgDesiredCapacity):
            capacity = int(pre_image["desired_capacity"])  # type: ignore[arg-type]
            self._set_capacity("restore desired capacity", action, capacity)
        elif isinstance(action, StopInstance):
            if pre_image.get("state") in {"running", "pending"}:
                self._call(
                    "start instance", c.ec2.start_instances, InstanceIds=[action.instance_id]
                )
        elif isinstance(action, SetLambdaReservedConcurrency):
            before = pre_image.get("reserved_concurrency")
            if before is None:
                self._call(
                    "delete function concurrency",
                    c.lambda_.delete_function_concurrency,
                    FunctionName=action.function_name,
                )
            else:
                reserved = int(before)  # type: ignore[arg-type]
                self._put_concurrency("restore function concurrency", action, reserved)

    def _restored(
        self, action: ActionSpec, current: dict[str, JsonValue], pre_image: dict[str, JsonValue]
    ) -> bool:
        if isinstance(action, StopInstance):
            running = {"running", "pending"}
            return (current["state"] in running) == (pre_image.get("state") in running)
        if isinstance(action, RevokeSecurityGroupIngress):
            return current["present"] == pre_image.get("present")
        return current == pre_image

    def verify_rollback(self, action: ActionSpec, pre_image: dict[str, JsonValue]) -> list[str]:
        current = self.observe(action)
        if self._restored(action, current, pre_image):
            return []
        return [f"expected {pre_image}, found {current}"]


class CloudWatchSource:
    """Evaluates a :class:`CloudWatchCheck` with ``GetMetricData`` over the check's window."""

    def __init__(self, cloudwatch: Any, *, clock: Callable[[], datetime] = _now) -> None:
        self.cloudwatch = cloudwatch
        self.clock = clock

    def evaluate(self, check: CloudWatchCheck) -> CheckResult:
        end = self.clock()
        start = end - timedelta(seconds=check.window_seconds)
        query = {
            "Id": "m0",
            "MetricStat": {
                "Metric": {
                    "Namespace": check.namespace,
                    "MetricName": check.metric_name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in check.dimensions.items()],
                },
                "Period": check.period_seconds,
                "Stat": check.stat,
            },
            "ReturnData": True,
        }
        try:
            found = self.cloudwatch.get_metric_data(
                MetricDataQueries=[query], StartTime=start, EndTime=end
            )
        except (ClientError, BotoCoreError) as exc:
            raise VerificationError(
                f"CloudWatch GetMetricData failed: {type(exc).__name__}"
            ) from exc
        values = [float(v) for r in found.get("MetricDataResults", []) for v in r.get("Values", [])]
        description = f"{check.namespace}/{check.metric_name} {check.stat}"
        if not values:
            return CheckResult(
                check=description, passed=False, detail="no datapoints in the window"
            )
        value = reduce_values(values, check.reduce)
        passed = check.comparison.holds(value, check.threshold)
        return CheckResult(
            check=description,
            passed=passed,
            value=value,
            detail=f"{check.reduce} over {len(values)} points {value} "
            f"{check.comparison.value} {check.threshold}: {'ok' if passed else 'failed'}",
        )
