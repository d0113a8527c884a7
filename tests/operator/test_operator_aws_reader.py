"""The AWS facts a relative or under-specified plan step is made exact from, read from moto's
real HTTP server the way the operator reads AWS, and the translations that use them."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from logswarm.agents.contracts import ActionName, Claim
from logswarm.agents.contracts import PlanStep as AgentPlanStep
from logswarm.incidents import EntityKind
from logswarm.operator.incident import (
    AsgCapacity,
    AwsReadError,
    Boto3AwsReader,
    IngressRule,
    aws_reader,
    to_vocabulary,
)

pytestmark = pytest.mark.moto

REGION = "us-east-1"


@pytest.fixture
def reader(aws_session: Any, moto_server: Any) -> Any:
    with Boto3AwsReader(
        region=REGION, endpoint_url=moto_server.endpoint_url, session=aws_session
    ) as reader:
        yield reader


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def _step(action: ActionName, target: str, **params: Any) -> AgentPlanStep:
    return AgentPlanStep(
        order=1,
        action=action,
        target_kind=EntityKind.SECURITY_GROUP,
        target=target,
        target_evidence="E1",
        params=params,
        risk="medium",
        rationale=Claim(text="because", evidence=["E1"]),
    )


def test_security_group_rules_are_read_and_the_open_one_revoked(
    reader: Boto3AwsReader, aws_clients: Any
) -> None:
    ec2 = aws_clients.ec2
    group = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            },
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "192.168.0.0/16"}]},
        ],
    )
    rules = reader.ingress_rules(group)
    assert IngressRule("tcp", 22, 22, "0.0.0.0/0") in rules
    assert IngressRule("tcp", 443, 443, "10.0.0.0/8") in rules
    assert IngressRule("-1", 0, 65535, "192.168.0.0/16") in rules
    action, problem = to_vocabulary(
        _step("revoke_security_group_ingress", group, cidr="0.0.0.0/0"), namespace="s", aws=reader
    )
    assert problem is None
    assert action == {
        "kind": "aws.ec2.revoke_security_group_ingress",
        "group_id": group,
        "protocol": "tcp",
        "from_port": 22,
        "to_port": 22,
        "cidr": "0.0.0.0/0",
    }


def test_asg_capacity_and_lambda_concurrency_are_read(
    reader: Boto3AwsReader, aws_clients: Any
) -> None:
    c = aws_clients
    c.autoscaling.create_launch_configuration(
        LaunchConfigurationName="web-lc", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    c.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-asg",
        LaunchConfigurationName="web-lc",
        MinSize=1,
        MaxSize=6,
        DesiredCapacity=2,
        AvailabilityZones=["us-east-1a"],
    )
    assert reader.asg_capacity("web-asg") == AsgCapacity(desired=2, minimum=1, maximum=6)
    role = c.iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    c.lambda_.create_function(
        FunctionName="ingest",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
    )
    assert reader.lambda_reserved_concurrency("ingest") is None
    c.lambda_.put_function_concurrency(FunctionName="ingest", ReservedConcurrentExecutions=20)
    assert reader.lambda_reserved_concurrency("ingest") == 20
    asg, problem = to_vocabulary(
        _step("set_asg_capacity", "web-asg", desired_delta=2), namespace="s", aws=reader
    )
    assert problem is None
    assert asg == {
        "kind": "aws.autoscaling.set_desired_capacity",
        "group_name": "web-asg",
        "desired_capacity": 4,
    }
    fn, problem = to_vocabulary(
        _step("set_lambda_concurrency", "ingest", reserved_concurrency_factor=2),
        namespace="s",
        aws=reader,
    )
    assert problem is None
    assert fn == {
        "kind": "aws.lambda.set_reserved_concurrency",
        "function_name": "ingest",
        "reserved_concurrency": 40,
    }


def test_missing_objects_are_read_errors_and_reported(reader: Boto3AwsReader) -> None:
    with pytest.raises(AwsReadError, match="sg-0123456789abcdef0"):
        reader.ingress_rules("sg-0123456789abcdef0")
    with pytest.raises(AwsReadError, match="not found"):
        reader.asg_capacity("nope")
    with pytest.raises(AwsReadError, match="Lambda function nope"):
        reader.lambda_reserved_concurrency("nope")
    _, problem = to_vocabulary(
        _step("set_asg_capacity", "nope", desired_delta=1), namespace="s", aws=reader
    )
    assert problem is not None
    assert "cannot read its capacity" in problem


def test_no_region_no_reader() -> None:
    with aws_reader(None) as reader:
        assert reader is None
