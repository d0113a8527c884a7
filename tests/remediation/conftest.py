"""Fixtures shared by the remediation tests: an AWS world in moto, executors wired to it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from logswarm.incidents import EntityKind, Incident
from logswarm.remediation import (
    Executor,
    MemoryAuditLog,
    Provider,
    ReceiptStore,
    SafetyAgent,
    SafetyPolicy,
)
from logswarm.remediation.aws import AwsBackend, AwsClients
from logswarm.remediation.redteam import make_incident

#: moto 5.2 ignores DryRun on CreateNetworkAclEntry (it would really create the entry).
MOTO_SERVER_DRY_RUN = frozenset({"revoke_security_group_ingress", "stop_instances"})


@dataclass
class AwsWorld:
    clients: AwsClients
    backend: AwsBackend
    user: str
    access_key_id: str
    group_id: str
    network_acl_id: str
    instance_id: str
    asg: str
    function: str

    def incident(self, **extra: Any) -> Incident:
        return make_incident(
            [
                (EntityKind.IAM_USER, self.user),
                (EntityKind.ACCESS_KEY, self.access_key_id),
                (EntityKind.SECURITY_GROUP, self.group_id),
                (EntityKind.IP, "203.0.113.7"),
                (EntityKind.INSTANCE, self.instance_id),
                (EntityKind.ASG, self.asg),
                (EntityKind.LAMBDA, self.function),
            ],
            messages=["ERROR suspicious API calls from 203.0.113.7"],
            **extra,
        )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def moto_image_id(moto_server: Any) -> str:
    """One of moto's built-in AMIs, looked up once: listing them takes seconds."""
    import boto3

    ec2 = boto3.session.Session(
        aws_access_key_id="AKIAMOTOTESTDUMMY000",
        aws_secret_access_key="moto-test-secret",
        region_name="us-east-1",
    ).client("ec2", endpoint_url=moto_server.endpoint_url)
    return str(ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"])


@pytest.fixture
def aws_world(aws_clients: AwsClients, moto_image_id: str) -> AwsWorld:
    c = aws_clients
    c.iam.create_user(UserName="deploy-bot")
    key = c.iam.create_access_key(UserName="deploy-bot")["AccessKey"]["AccessKeyId"]
    vpc = c.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = c.ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    c.ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "203.0.113.0/24", "Description": "ssh from office"}],
            }
        ],
    )
    acl = c.ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    image = moto_image_id
    instance = c.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")[
        "Instances"
    ][0]["InstanceId"]
    c.autoscaling.create_launch_configuration(
        LaunchConfigurationName="web-lc", ImageId=image, InstanceType="t3.micro"
    )
    c.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-asg",
        LaunchConfigurationName="web-lc",
        MinSize=0,
        MaxSize=5,
        DesiredCapacity=2,
        AvailabilityZones=["us-east-1a"],
        Tags=[{"Key": "env", "Value": "staging", "PropagateAtLaunch": False}],
    )
    role = c.iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    c.lambda_.create_function(
        FunctionName="resize-images",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
    )
    return AwsWorld(
        clients=c,
        backend=AwsBackend(c, server_dry_run=MOTO_SERVER_DRY_RUN),
        user="deploy-bot",
        access_key_id=key,
        group_id=group,
        network_acl_id=acl,
        instance_id=instance,
        asg="web-asg",
        function="resize-images",
    )


@dataclass
class Harness:
    """An executor with its journal, audit log and safety agent, as a fresh process would have."""

    executor: Executor
    safety: SafetyAgent
    audit: MemoryAuditLog
    store_dir: Path

    def fresh(self, backends: dict[str, Any]) -> Harness:
        """Another executor over the same journal directory (a restarted process)."""
        audit = MemoryAuditLog()
        safety = SafetyAgent(self.safety.policy, audit=audit)
        executor = Executor(
            backends, safety=safety, store=ReceiptStore(self.store_dir), audit=audit
        )
        return Harness(executor=executor, safety=safety, audit=audit, store_dir=self.store_dir)


def make_harness(
    tmp_path: Path, backends: dict[str, Any], *, policy: SafetyPolicy | None = None
) -> Harness:
    audit = MemoryAuditLog()
    safety = SafetyAgent(policy or SafetyPolicy(), audit=audit)
    store_dir = tmp_path / "receipts"
    executor = Executor(backends, safety=safety, store=ReceiptStore(store_dir), audit=audit)
    return Harness(executor=executor, safety=safety, audit=audit, store_dir=store_dir)


@pytest.fixture
def aws_harness(tmp_path: Path, aws_world: AwsWorld) -> Harness:
    return make_harness(tmp_path, {Provider.AWS: aws_world.backend})


@pytest.fixture
def harness_factory(tmp_path: Path) -> Any:
    """``harness_factory(backends, policy=None)`` -> :class:`Harness` journaling under tmp_path."""

    def factory(backends: dict[str, Any], *, policy: SafetyPolicy | None = None) -> Harness:
        return make_harness(tmp_path, backends, policy=policy)

    return factory
