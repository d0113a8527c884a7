"""Entity extraction on real-looking CloudTrail, Kubernetes and VPC flow records."""

from __future__ import annotations

from typing import Any

from logswarm.features import extract_entities
from logswarm.incidents import EntityKind as K
from logswarm.records import LogRecord, SourceKind


def _rec(
    message: str, fields: dict[str, Any] | None = None, source: SourceKind = SourceKind.JSONL
) -> LogRecord:
    return LogRecord(None, source, message, fields=fields or {})


def test_cloudtrail_iam_user_key_bucket_and_ip() -> None:
    event = {
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "sourceIPAddress": "203.0.113.45",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::123456789012:user/ci-deployer",
            "accountId": "123456789012",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "userName": "ci-deployer",
        },
        "requestParameters": {"bucketName": "prod-backups", "key": "db.tar.gz"},
        "errorCode": "AccessDenied",
    }
    found = set(extract_entities(_rec("GetObject AccessDenied", event, SourceKind.CLOUDTRAIL)))
    assert {
        (K.IAM_USER, "ci-deployer"),
        (K.ACCESS_KEY, "AKIAIOSFODNN7EXAMPLE"),
        (K.BUCKET, "prod-backups"),
        (K.IP, "203.0.113.45"),
        (K.ACCOUNT, "123456789012"),
    } <= found


def test_cloudtrail_assumed_role_and_ec2_items() -> None:
    event = {
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/ops-admin/alice",
            "accessKeyId": "ASIAY34FZKBOKMUTVV7A",
            "sessionContext": {
                "sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/ops-admin"}
            },
        },
        "requestParameters": {
            "instancesSet": {"items": [{"instanceId": "i-0123456789abcdef0"}]},
            "groupId": "sg-0a1b2c3d4e5f67890",
        },
    }
    found = set(extract_entities(_rec("StopInstances", event, SourceKind.CLOUDTRAIL)))
    assert (K.IAM_ROLE, "ops-admin") in found
    assert (K.ACCESS_KEY, "ASIAY34FZKBOKMUTVV7A") in found
    assert (K.INSTANCE, "i-0123456789abcdef0") in found
    assert (K.SECURITY_GROUP, "sg-0a1b2c3d4e5f67890") in found
    assert not any(k is K.IAM_USER for k, _ in found)


def test_kubernetes_container_log_metadata_and_message() -> None:
    fields = {
        "kubernetes": {
            "pod_name": "checkout-7d9f8b-x2x",
            "namespace_name": "shop",
            "host": "ip-10-0-3-17.eu-west-1.compute.internal",
            "container_name": "app",
            "labels": {"app": "checkout"},
        }
    }
    msg = 'Readiness probe failed: Get "http://10.244.1.12:8080/healthz": connection refused'
    found = extract_entities(_rec(msg, fields, SourceKind.CONTAINER))
    assert found[0] == (K.POD, "checkout-7d9f8b-x2x")  # structured fields first
    assert set(found) >= {
        (K.NAMESPACE, "shop"),
        (K.NODE, "ip-10-0-3-17.eu-west-1.compute.internal"),
        (K.CONTAINER, "app"),
        (K.DEPLOYMENT, "checkout"),
        (K.IP, "10.244.1.12"),
    }


def test_kubelet_prose_and_key_values() -> None:
    msg = (
        'Killing container with id docker://abc pod "shop/checkout-7d9f8b-x2x" '
        "node=worker-3 deployment=checkout"
    )
    found = set(extract_entities(_rec(msg)))
    assert {
        (K.NAMESPACE, "shop"),
        (K.POD, "checkout-7d9f8b-x2x"),
        (K.NODE, "worker-3"),
        (K.DEPLOYMENT, "checkout"),
    } <= found


def test_vpc_flow_record() -> None:
    fields = {
        "srcaddr": "198.51.100.7",
        "dstaddr": "2001:db8::1",
        "interface-id": "eni-0f1e2d3c",
        "action": "REJECT",
        "instance-id": "-",
    }
    found = set(extract_entities(_rec("flow", fields, SourceKind.VPC_FLOW)))
    assert found == {(K.IP, "198.51.100.7"), (K.IP, "2001:db8::1"), (K.ENI, "eni-0f1e2d3c")}


def test_message_arns_urls_and_no_false_ips() -> None:
    msg = (
        "copy s3://logs-archive/2025/ to arn:aws:s3:::cold-store via "
        "arn:aws:lambda:eu-west-1:123456789012:function:rotate-keys version 1.2.3.4.5 "
        "at 12:30:45"
    )
    found = set(extract_entities(_rec(msg)))
    assert (K.BUCKET, "logs-archive") in found
    assert (K.BUCKET, "cold-store") in found
    assert (K.LAMBDA, "rotate-keys") in found
    assert not any(k is K.IP for k, _ in found)


def test_no_duplicates_and_empty_message() -> None:
    found = extract_entities(_rec("from 10.0.0.1 to 10.0.0.1", {"ip": "10.0.0.1"}))
    assert found == [(K.IP, "10.0.0.1")]
    assert extract_entities(_rec("")) == []
