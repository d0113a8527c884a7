"""Which pods, nodes, IPs, IAM principals, keys, instances and buckets a record talks about.

Entities are what incidents are *about* and what remediations may target: an action may only
name an entity that appears in the incident's evidence. So extraction must be precise (a wrong
entity is a wrong target) and fast (it runs on every record of a million-line input).

Structured fields are read first, because they are unambiguous (CloudTrail's
``userIdentity``, a flow log's ``srcaddr``, Kubernetes metadata of a container log); regular
expressions over the message come second, for what the structure did not carry. Every regex
is compiled once at import.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from logswarm.incidents import EntityKind
from logswarm.records import LogRecord, SourceKind

__all__ = ["extract_entities"]

Found = tuple[EntityKind, str]

# --- message regexes ------------------------------------------------------------------------

_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])"
)
# Candidate IPv6 tokens; each is confirmed with ipaddress (cheap: candidates are rare).
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b")
_INSTANCE = re.compile(r"\bi-(?:[0-9a-f]{8}|[0-9a-f]{17})\b")
_SECURITY_GROUP = re.compile(r"\bsg-(?:[0-9a-f]{8}|[0-9a-f]{17})\b")
_VPC = re.compile(r"\bvpc-(?:[0-9a-f]{8}|[0-9a-f]{17})\b")
_ENI = re.compile(r"\beni-(?:[0-9a-f]{8}|[0-9a-f]{17})\b")
_ARN = re.compile(r"\barn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[^\s\"',;]+")
_S3_URL = re.compile(r"\bs3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])")
# key=value spellings used by kubelet, controllers and most structured-text loggers.
_KV = re.compile(
    r"\b(pod|node|namespace|deployment|container|ns)[=:]\s*\"?([a-z0-9][a-z0-9.-]{0,252}(?:/[a-z0-9][a-z0-9.-]{0,252})?)\"?",
    re.IGNORECASE,
)
# "pod default/web-1", "pods \"kube-system/coredns-x\"": a namespaced pod named in prose.
_NS_POD = re.compile(r"\bpods?\s+\"?([a-z0-9][a-z0-9-]{0,62})/([a-z0-9][a-z0-9.-]{0,252})\b")
_KV_KIND: dict[str, EntityKind] = {
    "pod": EntityKind.POD,
    "node": EntityKind.NODE,
    "namespace": EntityKind.NAMESPACE,
    "ns": EntityKind.NAMESPACE,
    "deployment": EntityKind.DEPLOYMENT,
    "container": EntityKind.CONTAINER,
}
# Quick pre-checks: skip a regex entirely when its anchor text is absent.
_HAS_DIGIT_DOT = re.compile(r"\d\.\d")

# --- structured field names -----------------------------------------------------------------

_FIELD_KIND: dict[str, EntityKind] = {
    # Kubernetes metadata (Fluent Bit / Vector / our container reader spell these differently).
    "pod": EntityKind.POD,
    "pod_name": EntityKind.POD,
    "k8s.pod.name": EntityKind.POD,
    "node": EntityKind.NODE,
    "node_name": EntityKind.NODE,
    "host_node": EntityKind.NODE,
    "k8s.node.name": EntityKind.NODE,
    "namespace": EntityKind.NAMESPACE,
    "namespace_name": EntityKind.NAMESPACE,
    "k8s.namespace.name": EntityKind.NAMESPACE,
    "deployment": EntityKind.DEPLOYMENT,
    "k8s.deployment.name": EntityKind.DEPLOYMENT,
    "container": EntityKind.CONTAINER,
    "container_name": EntityKind.CONTAINER,
    # VPC Flow Logs.
    "srcaddr": EntityKind.IP,
    "dstaddr": EntityKind.IP,
    "pkt-srcaddr": EntityKind.IP,
    "pkt-dstaddr": EntityKind.IP,
    "instance-id": EntityKind.INSTANCE,
    "interface-id": EntityKind.ENI,
    "vpc-id": EntityKind.VPC,
    # CloudTrail top level.
    "sourceIPAddress": EntityKind.IP,
    # Generic JSON logs.
    "ip": EntityKind.IP,
    "client_ip": EntityKind.IP,
    "remote_addr": EntityKind.IP,
    "request_id": EntityKind.REQUEST,
    "trace_id": EntityKind.TRACE,
    "function_name": EntityKind.LAMBDA,
    "functionName": EntityKind.LAMBDA,
}
_NESTED_K8S = ("kubernetes", "k8s")
_K8S_NESTED_KIND: dict[str, EntityKind] = {
    "pod_name": EntityKind.POD,
    "pod": EntityKind.POD,
    "host": EntityKind.NODE,
    "node_name": EntityKind.NODE,
    "namespace_name": EntityKind.NAMESPACE,
    "namespace": EntityKind.NAMESPACE,
    "container_name": EntityKind.CONTAINER,
    "deployment": EntityKind.DEPLOYMENT,
}
# CloudTrail requestParameters / responseElements keys that name resources.
_CT_PARAM_KIND: dict[str, EntityKind] = {
    "bucketName": EntityKind.BUCKET,
    "userName": EntityKind.IAM_USER,
    "roleName": EntityKind.IAM_ROLE,
    "accessKeyId": EntityKind.ACCESS_KEY,
    "groupId": EntityKind.SECURITY_GROUP,
    "instanceId": EntityKind.INSTANCE,
    "functionName": EntityKind.LAMBDA,
    "autoScalingGroupName": EntityKind.ASG,
    "vpcId": EntityKind.VPC,
    "networkInterfaceId": EntityKind.ENI,
}
_CT_WALK_LIMIT = 200  # nodes per record: requestParameters can be large (policies, user data)


def extract_entities(record: LogRecord) -> list[Found]:
    """Entities named by ``record``, structured fields first, then the message; no duplicates.

    Order is first-found, so the most trustworthy source of each entity comes first.
    """
    seen: dict[Found, None] = {}
    fields = record.fields
    if fields:
        for found in _from_fields(fields):
            seen.setdefault(found, None)
    if record.source not in _MESSAGE_FROM_FIELDS:
        for found in _message_entities(record.message):
            seen.setdefault(found, None)
    return list(seen)


#: Sources whose reader writes the message *from* the fields (a flow log's "ACCEPT tcp a -> b",
#: CloudTrail's "CreateAccessKey by arn... from ip"): every entity in such a message is already
#: in the fields, so scanning the message again would only cost time.
_MESSAGE_FROM_FIELDS = frozenset({SourceKind.VPC_FLOW, SourceKind.CLOUDTRAIL})


@functools.lru_cache(maxsize=32_768)
def _message_entities(msg: str) -> tuple[Found, ...]:
    """Entities in a message; cached because identical messages recur in every log."""
    return tuple(_from_message(msg))


# --- structured ---------------------------------------------------------------------------


def _from_fields(fields: Mapping[str, Any]) -> Iterator[Found]:
    # A record has a handful of fields and the table has dozens: walk the record's side.
    for key, value in fields.items():
        kind = _FIELD_KIND.get(key)
        if kind is not None and isinstance(value, str) and value and value != "-":
            if kind is EntityKind.IP:
                ip = _normalise_ip(value)
                if ip is not None:
                    yield (kind, ip)
            else:
                yield (kind, value)
    for nest in _NESTED_K8S:
        meta = fields.get(nest)
        if isinstance(meta, Mapping):
            for key, kind in _K8S_NESTED_KIND.items():
                value = meta.get(key)
                if isinstance(value, str) and value:
                    yield (kind, value)
            labels = meta.get("labels")
            if isinstance(labels, Mapping):
                app = labels.get("app") or labels.get("app.kubernetes.io/name")
                if isinstance(app, str) and app:
                    yield (EntityKind.DEPLOYMENT, app)
    involved = fields.get("involvedObject")
    if isinstance(involved, Mapping) and fields.get("kind") == "Event":
        yield from _from_involved_object(involved)
    identity = fields.get("userIdentity")
    if isinstance(identity, Mapping):
        yield from _from_user_identity(identity)
    for key in ("requestParameters", "responseElements"):
        params = fields.get(key)
        if isinstance(params, Mapping):
            yield from _walk_cloudtrail(params)
    resources = fields.get("resources")
    if isinstance(resources, list):
        for res in resources[:_CT_WALK_LIMIT]:
            if isinstance(res, Mapping):
                arn = res.get("ARN")
                if isinstance(arn, str):
                    yield from _from_arn(arn)


_INVOLVED_KIND: dict[str, EntityKind] = {
    "Pod": EntityKind.POD,
    "Node": EntityKind.NODE,
    "Deployment": EntityKind.DEPLOYMENT,
    "StatefulSet": EntityKind.STATEFULSET,
    "Service": EntityKind.SERVICE,
}


def _from_involved_object(involved: Mapping[str, Any]) -> Iterator[Found]:
    """The object a Kubernetes Event is about, and its namespace."""
    name = involved.get("name")
    kind = _INVOLVED_KIND.get(str(involved.get("kind")))
    if kind is not None and isinstance(name, str) and name:
        yield (kind, name)
    namespace = involved.get("namespace")
    if isinstance(namespace, str) and namespace:
        yield (EntityKind.NAMESPACE, namespace)


def _from_user_identity(identity: Mapping[str, Any]) -> Iterator[Found]:
    kind = identity.get("type")
    arn = identity.get("arn")
    if isinstance(arn, str):
        yield from _from_arn(arn)
    if kind == "IAMUser":
        name = identity.get("userName")
        if isinstance(name, str) and name:
            yield (EntityKind.IAM_USER, name)
    key = identity.get("accessKeyId")
    if isinstance(key, str) and key:
        yield (EntityKind.ACCESS_KEY, key)
    session = identity.get("sessionContext")
    if isinstance(session, Mapping):
        issuer = session.get("sessionIssuer")
        if isinstance(issuer, Mapping):
            issuer_arn = issuer.get("arn")
            if isinstance(issuer_arn, str):
                yield from _from_arn(issuer_arn)
    account = identity.get("accountId")
    if isinstance(account, str) and account:
        yield (EntityKind.ACCOUNT, account)


def _walk_cloudtrail(params: Mapping[str, Any]) -> Iterator[Found]:
    # Breadth-first over nested dicts/lists, bounded: EC2 wraps ids in items/sets.
    queue: list[Any] = [params]
    visited = 0
    while queue and visited < _CT_WALK_LIMIT:
        node = queue.pop()
        visited += 1
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(value, str):
                    kind = _CT_PARAM_KIND.get(key)
                    if kind is not None and value:
                        yield (kind, value)
                    elif value.startswith("arn:"):
                        yield from _from_arn(value)
                elif isinstance(value, Mapping | list):
                    queue.append(value)
        elif isinstance(node, list):
            queue.extend(node[:_CT_WALK_LIMIT])


# --- message ------------------------------------------------------------------------------


def _from_message(msg: str) -> Iterator[Found]:
    if not msg:
        return
    if _HAS_DIGIT_DOT.search(msg):
        for m in _IPV4.finditer(msg):
            yield (EntityKind.IP, m.group(0))
    if "::" in msg or msg.count(":") >= 7:
        for m in _IPV6.finditer(msg):
            ip = _normalise_ip(m.group(0))
            if ip is not None and ":" in ip:
                yield (EntityKind.IP, ip)
    if "arn:" in msg:
        for m in _ARN.finditer(msg):
            yield from _from_arn(m.group(0))
    if "A" in msg:
        for m in _ACCESS_KEY.finditer(msg):
            yield (EntityKind.ACCESS_KEY, m.group(0))
    if "-" in msg:
        if "i-" in msg:
            for m in _INSTANCE.finditer(msg):
                yield (EntityKind.INSTANCE, m.group(0))
        if "sg-" in msg:
            for m in _SECURITY_GROUP.finditer(msg):
                yield (EntityKind.SECURITY_GROUP, m.group(0))
        if "vpc-" in msg:
            for m in _VPC.finditer(msg):
                yield (EntityKind.VPC, m.group(0))
        if "eni-" in msg:
            for m in _ENI.finditer(msg):
                yield (EntityKind.ENI, m.group(0))
    if "s3://" in msg:
        for m in _S3_URL.finditer(msg):
            yield (EntityKind.BUCKET, m.group(1))
    if "pod" in msg and "/" in msg:
        for m in _NS_POD.finditer(msg):
            yield (EntityKind.NAMESPACE, m.group(1))
            yield (EntityKind.POD, m.group(2))
    if "=" in msg or ":" in msg:
        for m in _KV.finditer(msg):
            kind = _KV_KIND[m.group(1).lower()]
            value = m.group(2)
            if kind is EntityKind.POD and "/" in value:
                # "namespace/pod" is how kubelet and kubectl name a pod.
                ns, pod = value.split("/", 1)
                yield (EntityKind.NAMESPACE, ns)
                yield (EntityKind.POD, pod)
            elif "/" not in value:
                yield (kind, value)


def _from_arn(arn: str) -> Iterator[Found]:
    """IAM users/roles, buckets, Lambda functions, instances and groups named by an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return
    service, account, resource = parts[2], parts[4], parts[5]
    if service == "iam":
        if resource.startswith("user/"):
            yield (EntityKind.IAM_USER, resource.rsplit("/", 1)[-1])
        elif resource.startswith("role/"):
            yield (EntityKind.IAM_ROLE, resource.rsplit("/", 1)[-1])
    elif service == "sts" and resource.startswith("assumed-role/"):
        # assumed-role/<role>/<session>
        bits = resource.split("/")
        if len(bits) >= 2 and bits[1]:
            yield (EntityKind.IAM_ROLE, bits[1])
    elif service == "s3":
        bucket = resource.split("/", 1)[0]
        if bucket:
            yield (EntityKind.BUCKET, bucket)
    elif service == "lambda" and resource.startswith("function:"):
        name = resource.split(":")[1]
        if name:
            yield (EntityKind.LAMBDA, name)
    elif service == "ec2":
        if resource.startswith("instance/"):
            yield (EntityKind.INSTANCE, resource.split("/", 1)[1])
        elif resource.startswith("security-group/"):
            yield (EntityKind.SECURITY_GROUP, resource.split("/", 1)[1])
    if account:
        yield (EntityKind.ACCOUNT, account)


@functools.lru_cache(maxsize=65_536)
def _normalise_ip(text: str) -> str | None:
    if _is_plain_ipv4(text):
        return text  # already canonical; ipaddress would only spend time agreeing
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        return None


def _is_plain_ipv4(text: str) -> bool:
    """A canonical dotted quad (four decimal octets <= 255, no leading zeros)."""
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if (
            not part.isdigit()
            or len(part) > 3
            or (len(part) > 1 and part[0] == "0")
            or int(part) > 255
        ):
            return False
    return True
