"""Normal life in the simulated shop: the traffic curve, per-source background renderers, and the
scripted routine (cron jobs, people logging in) that every real environment has.

Background is what detectors learn "normal" from, so it is varied on purpose: several services'
own log styles, probes, cache hits, the odd 404 and the constant trickle of internet scanners
rejected at the edge. Renderers are vectorised where it pays (numpy draws all random numbers for
a stream at once) because ``generate_lines`` must write hundreds of thousands of lines a second.
"""

from __future__ import annotations

import math
import random

import numpy as np

from logswarm.scenarios import formats as fmt
from logswarm.scenarios.engine import (
    Payload,
    Renderer,
    Stream,
    World,
)
from logswarm.scenarios.formats import NS
from logswarm.scenarios.topology import Deployment, IamUser, Node, Pod, Topology

__all__ = ["build_streams", "traffic_curve"]

#: Share of background volume per kind of stream, relative to one unit-weight pod.
SYSLOG_WEIGHT = 1.2
FLOW_WEIGHT = 14.0
CLOUDTRAIL_WEIGHT = 1.5


def traffic_curve(seed: int, *, t_start: int, minutes: int) -> np.ndarray:
    """Relative request rate per minute: a daily cycle peaking mid-afternoon UTC, with drift."""
    rng = np.random.default_rng([seed, 1])
    minute_of_day = ((t_start // NS) // 60 + np.arange(minutes)) % 1440
    daily = 1.0 + 0.45 * np.sin(2 * math.pi * (minute_of_day / 1440.0 - 9.0 / 24.0))
    noise = np.convolve(rng.normal(0.0, 0.08, minutes + 9), np.ones(10) / 10.0, mode="valid")
    curve: np.ndarray = np.clip(daily * (1.0 + noise[:minutes]), 0.2, None)
    return curve


def build_streams(world: World) -> None:
    """Create every output stream of the world with its background renderer and routine."""
    topo = world.topo
    for dep in topo.deployments.values():
        for pod in dep.pods:
            stream = world.pod_stream(pod)
            stream.weight = dep.weight
            stream.render = _container_renderer(topo, dep, pod)
    for node in topo.nodes:
        world.set_node_stream(
            node,
            Stream(
                f"nodes/{node.name}/messages",
                "syslog",
                world.t_start,
                world.t_end,
                weight=SYSLOG_WEIGHT,
                render=_syslog_renderer(topo, node),
            ),
        )
    world.set_events_stream(Stream("kubernetes/events.jsonl", "events", world.t_start, world.t_end))
    for s in world.make_periodic("flow"):
        s.weight = FLOW_WEIGHT
        s.render = _flow_renderer(topo)
    for s in world.make_periodic("cloudtrail"):
        s.weight = CLOUDTRAIL_WEIGHT
        s.render = _cloudtrail_renderer(topo)
    _routine(world)


# -- containers ------------------------------------------------------------------------------


def _app(stamp: str, style: str, t: int, level: str, message: str, *, logger: str = "app") -> str:
    return fmt.app_line(style, t, level, message, logger=logger, stamp=stamp)


def _hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    hi = rng.integers(0, 2**62, size=n).tolist()
    lo = rng.integers(0, 2**62, size=n).tolist()
    return [f"{a:016x}{b:016x}" for a, b in zip(hi, lo, strict=True)]


def _container_renderer(topo: Topology, dep: Deployment, pod: Pod) -> Renderer:
    style = dep.style
    if style == "nginx":
        return _nginx_renderer(topo)
    if style == "json":
        return _json_renderer(dep.name)
    if style == "java":
        return _java_renderer()
    if style == "python":
        return _python_renderer()
    if style == "postgres":
        return _postgres_renderer(topo)
    return _coredns_renderer(topo)


_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
)


def upstream_of(topo: Topology, service: str, index: int = 0) -> str:
    """ingress-nginx's ``[$proxy_upstream_name] $upstream_addr`` for a backend service."""
    dep = topo.deployments[service]
    pod = dep.pods[index % len(dep.pods)]
    return f"{dep.namespace}-{service}-{dep.port} {pod.ip}:{dep.port}"


def _nginx_renderer(topo: Topology) -> Renderer:
    routes = (
        ("GET", "/", None, 10),
        ("GET", "/api/products?page={n}", "catalog", 18),
        ("GET", "/api/products/{id}", "catalog", 24),
        ("GET", "/api/cart", "cart", 14),
        ("POST", "/api/cart/items", "cart", 6),
        ("POST", "/api/checkout", "checkout", 4),
        ("GET", "/static/js/app.3f9a1c7e.js", None, 12),
        ("GET", "/healthz", None, 12),
    )
    weights = np.array([r[3] for r in routes], dtype=float)
    weights /= weights.sum()
    ups = {
        svc: [upstream_of(topo, svc, i) for i in range(3)]
        for svc in ("catalog", "cart", "checkout")
    }

    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        st = fmt.stamps(times)
        route = rng.choice(len(routes), size=n, p=weights).tolist()
        num = rng.integers(1, 9999, size=n).tolist()
        rt = rng.lognormal(-3.6, 0.6, size=n).tolist()
        size = rng.integers(180, 24000, size=n).tolist()
        ip3 = rng.integers(10, 250, size=n).tolist()
        agent = rng.integers(0, len(_BROWSERS), size=n).tolist()
        odd = rng.random(n).tolist()
        out: list[Payload] = []
        for i, t in enumerate(times):
            method, path, svc, _ = routes[route[i]]
            status = 200
            if svc is None:
                upstream = "-"
                ua = "kube-probe/1.30" if path == "/healthz" else _BROWSERS[agent[i]]
                if path.startswith("/static") and odd[i] < 0.4:
                    status = 304
            else:
                upstream = ups[svc][num[i] % 3]
                ua = _BROWSERS[agent[i]]
                path = path.replace("{n}", str(num[i] % 20 + 1)).replace("{id}", str(num[i]))
                if odd[i] < 0.008:
                    status = 404
            line = (
                f'10.0.{101 + num[i] % 3}.{ip3[i]} - - [{fmt.clf(t, st[i])}] "{method} {path} HTTP/1.1" '
                f'{status} {size[i]} "-" "{ua}" rt={rt[i]:.3f} upstream="{upstream}"'
            )
            out.append(f"{st[i]}Z stdout F {line}")
        return out

    return render


_JSON_MESSAGES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "checkout": (
        ("info", "order placed", "order"),
        ("info", "payment authorised", "order"),
        ("debug", "cart fetched", "timed"),
        ("info", "inventory reserved", "sku"),
        ("debug", "request completed", "timed"),
    ),
    "cart": (
        ("info", "cart updated", "user"),
        ("info", "cart fetched", "timed"),
        ("debug", "cache hit", "key"),
        ("info", "session refreshed", "user"),
    ),
}


def _json_renderer(service: str) -> Renderer:
    msgs = _JSON_MESSAGES.get(service, _JSON_MESSAGES["cart"])
    caller = {"checkout": "checkout/handler.go:", "cart": "cart/store.go:"}.get(service, "main.go:")

    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        st = fmt.stamps(times)
        which = rng.integers(0, len(msgs), size=n).tolist()
        num = rng.integers(1000, 999999, size=n).tolist()
        dur = rng.gamma(2.0, 9.0, size=n).tolist()
        traces = _hex_ids(rng, n)
        out: list[Payload] = []
        for i, _t in enumerate(times):
            level, msg, shape = msgs[which[i]]
            head = (
                f'{{"level":"{level}","ts":"{st[i][:23]}Z","logger":"{service}",'
                f'"caller":"{caller}{40 + which[i] * 17}","msg":"{msg}"'
            )
            if shape == "order":
                tail = f',"order_id":"ord_{num[i]:06d}","trace_id":"{traces[i]}"}}'
            elif shape == "timed":
                tail = f',"duration_ms":{dur[i]:.1f},"trace_id":"{traces[i]}"}}'
            elif shape == "sku":
                tail = f',"sku":"SKU-{num[i] % 5000:04d}","qty":{num[i] % 4 + 1},"trace_id":"{traces[i]}"}}'
            elif shape == "user":
                tail = f',"user_id":"u_{num[i] % 40000}","items":{num[i] % 7},"trace_id":"{traces[i]}"}}'
            else:
                tail = f',"key":"cart:u_{num[i] % 40000}"}}'
            out.append(f"{st[i]}Z stdout F {head}{tail}")
        return out

    return render


def _java_renderer() -> Renderer:
    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        st = fmt.stamps(times)
        which = rng.random(n).tolist()
        num = rng.integers(1000, 999999, size=n).tolist()
        ms = rng.gamma(3.0, 40.0, size=n).tolist()
        traces = _hex_ids(rng, n)
        out: list[Payload] = []
        for i, t in enumerate(times):
            w = which[i]
            if w < 0.55:
                level, logger = "info", "c.a.payment.PaymentController"
                msg = (
                    f"Charge authorised order=ord_{num[i]:06d} amount={num[i] % 20000 / 100:.2f} "
                    f"currency=EUR psp_ms={ms[i]:.0f} trace_id={traces[i]}"
                )
            elif w < 0.85:
                level, logger = "info", "c.a.payment.RiskService"
                msg = f"Fraud check passed order=ord_{num[i]:06d} score=0.0{num[i] % 9}"
            else:
                level, logger = "debug", "com.zaxxer.hikari.pool.HikariPool"
                msg = (
                    f"HikariPool-1 - Pool stats (total=10, active={num[i] % 4}, "
                    f"idle={10 - num[i] % 4}, waiting=0)"
                )
            out.append(f"{st[i]}Z stdout F {_app(st[i], 'java', t, level, msg, logger=logger)}")
        return out

    return render


def _python_renderer() -> Renderer:
    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        st = fmt.stamps(times)
        which = rng.random(n).tolist()
        num = rng.integers(1, 9999, size=n).tolist()
        ms = rng.gamma(2.0, 6.0, size=n).tolist()
        out: list[Payload] = []
        for i, t in enumerate(times):
            w = which[i]
            if w < 0.5:
                msg = f"GET /products/{num[i]} 200 in {ms[i]:.1f}ms"
                logger = "catalog.api"
            elif w < 0.9:
                msg = f"GET /products?page={num[i] % 20 + 1} 200 in {ms[i] * 2:.1f}ms"
                logger = "catalog.api"
            elif w < 0.97:
                msg = f"GET /healthz 200 in {ms[i] / 10:.1f}ms"
                logger = "catalog.health"
            else:
                msg = f"cache refresh completed items={4000 + num[i] % 400} took={ms[i] / 20:.2f}s"
                logger = "catalog.cache"
            out.append(f"{st[i]}Z stdout F {_app(st[i], 'python', t, 'info', msg, logger=logger)}")
        return out

    return render


_PG_STATEMENT = "SELECT * FROM orders WHERE id = $1"


def _postgres_renderer(topo: Topology) -> Renderer:
    clients = [
        (p.ip, d.name) for d in topo.deployments.values() if "orders-db" in d.calls for p in d.pods
    ]

    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        st = fmt.stamps(times)
        which = rng.random(n).tolist()
        who = rng.integers(0, len(clients), size=n).tolist()
        port = rng.integers(32768, 60999, size=n).tolist()
        ms = rng.gamma(2.0, 1.5, size=n).tolist()
        out: list[Payload] = []
        for i, t in enumerate(times):
            ip, app = clients[who[i]]
            w = which[i]
            if w < 0.3:
                msg = f"connection received: host={ip} port={port[i]}"
            elif w < 0.6:
                msg = f"connection authorized: user=shop database=orders application_name={app}"
            elif w < 0.88:
                msg = (
                    f"disconnection: session time: 0:00:{ms[i]:06.3f} user=shop database=orders "
                    f"host={ip} port={port[i]}"
                )
            elif w < 0.96:
                msg = f"duration: {ms[i] * 40:.3f} ms  statement: " + _PG_STATEMENT
            elif w < 0.98:
                msg = "checkpoint starting: time"
            else:
                msg = (
                    f"checkpoint complete: wrote {port[i] % 900} buffers ({ms[i]:.1f}%); 0 WAL file(s) "
                    f"added, 0 removed, 1 recycled; write={ms[i] * 10:.3f} s"
                )
            out.append(f"{st[i]}Z stderr F {_app(st[i], 'postgres', t, 'info', msg)}")
        return out

    return render


def _coredns_renderer(topo: Topology) -> Renderer:
    names = [f"{d.name}.{d.namespace}.svc.cluster.local." for d in topo.deployments.values()]
    names += ["api.stripe.com.", "sts.eu-west-1.amazonaws.com.", "s3.eu-west-1.amazonaws.com."]
    clients = [p.ip for p in topo.pods()]

    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        st = fmt.stamps(times)
        name = rng.integers(0, len(names), size=n).tolist()
        who = rng.integers(0, len(clients), size=n).tolist()
        port = rng.integers(32768, 60999, size=n).tolist()
        qid = rng.integers(1, 65535, size=n).tolist()
        aaaa = rng.random(n).tolist()
        lat = rng.gamma(2.0, 0.0001, size=n).tolist()
        out: list[Payload] = []
        for i, _t in enumerate(times):
            qtype = "AAAA" if aaaa[i] < 0.3 else "A"
            host = names[name[i]]
            external = not host.endswith("cluster.local.")
            flags = "qr,rd,ra" if external else "qr,aa,rd"
            rcode = "NOERROR" if not (qtype == "AAAA" and not external) else "NXDOMAIN"
            line = (
                f'[INFO] {clients[who[i]]}:{port[i]} - {qid[i]} "{qtype} IN {host} udp 56 false 512" '
                f"{rcode} {flags} {106 + len(host)} {lat[i]:.6f}s"
            )
            out.append(f"{st[i]}Z stdout F {line}")
        return out

    return render


# -- nodes -------------------------------------------------------------------------------------


def _syslog_renderer(topo: Topology, node: Node) -> Renderer:
    pods_here = [p for p in topo.pods() if p.node.name == node.name] or topo.pods()[:1]

    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        st = fmt.stamps(times)
        which = rng.random(n).tolist()
        num = rng.integers(1, 99999, size=n).tolist()
        cids = _hex_ids(rng, n)
        out: list[Payload] = []
        for i, t in enumerate(times):
            w = which[i]
            pod = pods_here[num[i] % len(pods_here)]
            klog = fmt.klog_prefix(t, "I", st[i])
            if w < 0.35:
                app, level = "kubelet", "info"
                msg = (
                    f'{klog}    1873 prober.go:107] "Probe succeeded" probeType="Readiness" '
                    f'pod="{pod.namespace}/{pod.name}" containerName="{pod.container}"'
                )
            elif w < 0.55:
                app, level = "kubelet", "info"
                msg = f'{klog}    1873 kubelet_volumes.go:163] "Cleaned up orphaned pod volumes dir" podUID="{pod.uid}"'
            elif w < 0.8:
                app, level = "containerd", "info"
                msg = (
                    f'time="{st[i]}Z" level=info msg="ExecSync for \\"{cids[i][:64]}\\" '
                    f'returns with exit code 0"'
                )
            elif w < 0.95:
                app, level = "systemd", "info"
                msg = f"run-containerd-runc-k8s.io-{cids[i]}-runc.{num[i] % 9999:04d}.mount: Deactivated successfully."
            else:
                app, level = "systemd", "info"
                msg = f"Started Session {num[i] % 900} of User ec2-user."
            out.append(
                fmt.syslog_line(
                    t, node.short, app, 1873 if app == "kubelet" else 1, level, msg, stamp=st[i]
                )
            )
        return out

    return render


# -- AWS ---------------------------------------------------------------------------------------

_PUBLIC_PREFIXES = (81, 89, 91, 92, 95, 109, 176, 178, 188, 212, 217)
_SCAN_PORTS = (22, 23, 3389, 445, 1433, 5900, 8080, 3306, 6379, 9200)


def _flow_renderer(topo: Topology) -> Renderer:
    aws = topo.aws
    nodes = topo.nodes
    acct = aws.account_id

    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        which = rng.random(n).tolist()
        a = rng.integers(0, 256, size=(n, 4)).tolist()
        sport = rng.integers(32768, 60999, size=n).tolist()
        pk = rng.integers(2, 40, size=n).tolist()
        dur = rng.integers(1, 59, size=n).tolist()
        out: list[Payload] = []
        for i, t in enumerate(times):
            w = which[i]
            q = a[i]
            s = t // NS
            node = nodes[q[0] % len(nodes)]
            public = f"{_PUBLIC_PREFIXES[q[1] % len(_PUBLIC_PREFIXES)]}.{q[1]}.{q[2]}.{q[3] or 1}"
            if w < 0.35:
                rec = (
                    aws.lb_eni,
                    public,
                    aws.lb_ip,
                    sport[i],
                    443,
                    6,
                    pk[i],
                    pk[i] * 620,
                    "ACCEPT",
                )
            elif w < 0.6:
                rec = (
                    node.eni,
                    aws.lb_ip,
                    node.ip,
                    sport[i],
                    30080,
                    6,
                    pk[i],
                    pk[i] * 540,
                    "ACCEPT",
                )
            elif w < 0.75:
                other = nodes[(q[0] + 1) % len(nodes)]
                rec = (node.eni, node.ip, other.ip, sport[i], 8080, 6, pk[i], pk[i] * 410, "ACCEPT")
            elif w < 0.85:
                rec = (
                    aws.db_eni,
                    node.ip,
                    aws.db_ip,
                    sport[i],
                    5432,
                    6,
                    pk[i],
                    pk[i] * 300,
                    "ACCEPT",
                )
            elif w < 0.96:
                rec = (
                    aws.nat_eni,
                    node.ip,
                    f"52.{q[1] % 60 + 16}.{q[2]}.{q[3]}",
                    sport[i],
                    443,
                    6,
                    pk[i],
                    pk[i] * 900,
                    "ACCEPT",
                )
            else:
                port = _SCAN_PORTS[q[2] % len(_SCAN_PORTS)]
                rec = (aws.nat_eni, public, aws.nat_ip, sport[i], port, 6, 1, 44, "REJECT")
            eni, src, dst, sp, dp, proto, pkts, size, action = rec
            out.append(
                f"2 {acct} {eni} {src} {dst} {sp} {dp} {proto} {pkts} {size} {s} {s + dur[i]} {action} OK"
            )
        return out

    return render


def _cloudtrail_renderer(topo: Topology) -> Renderer:
    aws = topo.aws
    bob, ci, backup = aws.user("bob"), aws.user("ci-deploy"), aws.user("svc-backup")
    node_ua = "aws-sdk-go/1.55.5 (go1.22.5; linux; amd64)"
    # (weight, user_type, principal, source, ua, event_source, event_name, read_only, key)
    Call = tuple[float, str, str, str, str, str, str, bool, str | None]

    def role(weight: float, principal: str, ua: str, source: str, name: str, ro: bool) -> Call:
        """A workload's assumed role calling through the NAT gateway (temporary keys)."""
        return (weight, "AssumedRole", principal, aws.nat_ip, ua, source, name, ro, None)

    def person(weight: float, user: IamUser, source: str, name: str, ro: bool) -> Call:
        """An IAM user calling from home with their own tool and long-lived key."""
        return (
            weight,
            "IAMUser",
            user.name,
            user.home_ip,
            user.user_agent,
            source,
            name,
            ro,
            user.access_key,
        )

    calls: tuple[Call, ...] = (
        role(6, "eks-node-role", node_ua, "ec2.amazonaws.com", "DescribeInstances", True),
        role(4, "eks-node-role", node_ua, "ecr.amazonaws.com", "GetAuthorizationToken", True),
        role(
            3,
            "eks-node-role",
            node_ua,
            "autoscaling.amazonaws.com",
            "DescribeAutoScalingGroups",
            True,
        ),
        role(5, "checkout-irsa", "Boto3/1.35.10", "s3.amazonaws.com", "PutObject", False),
        role(3, "checkout-irsa", "Boto3/1.35.10", "s3.amazonaws.com", "GetObject", True),
        role(
            3,
            "checkout-irsa",
            "Boto3/1.35.10",
            "sts.amazonaws.com",
            "AssumeRoleWithWebIdentity",
            False,
        ),
        person(2, backup, "s3.amazonaws.com", "PutObject", False),
        person(1, ci, "ecr.amazonaws.com", "PutImage", False),
        person(1, ci, "sts.amazonaws.com", "GetCallerIdentity", True),
        person(1, bob, "ec2.amazonaws.com", "DescribeSecurityGroups", True),
        person(1, bob, "logs.amazonaws.com", "FilterLogEvents", True),
    )
    weights = np.array([c[0] for c in calls])
    weights = weights / weights.sum()

    def render(times: list[int], rng: np.random.Generator) -> list[Payload]:
        n = len(times)
        which = rng.choice(len(calls), size=n, p=weights).tolist()
        num = rng.integers(0, 2**62, size=(n, 2)).tolist()
        out: list[Payload] = []
        for i, t in enumerate(times):
            _, utype, principal, src, ua, source, name, ro, key = calls[which[i]]
            h = f"{num[i][0]:016x}{num[i][1]:016x}"
            event_id = fmt.uuid_text(h)
            request = _request_for(topo, name, num[i][0])
            out.append(
                fmt.cloudtrail_record(
                    t,
                    event_id=event_id,
                    account=aws.account_id,
                    region=aws.region,
                    event_source=source,
                    event_name=name,
                    user_type=utype,
                    principal=principal,
                    access_key=key or ("ASIA" + h[:16].upper()),
                    source_ip=src,
                    user_agent=ua,
                    request=request,
                    read_only=ro,
                )
            )
        return out

    return render


def _request_for(topo: Topology, name: str, num: int) -> dict[str, object] | None:
    aws = topo.aws
    if name in ("PutObject", "GetObject"):
        bucket = aws.buckets[2] if num % 7 == 0 else aws.buckets[0]
        return {"bucketName": bucket, "key": f"exports/2025/06/03/orders-{num % 100000:05d}.csv"}
    if name == "DescribeInstances":
        return {
            "instancesSet": {
                "items": [{"instanceId": topo.nodes[num % len(topo.nodes)].instance_id}]
            }
        }
    if name == "DescribeAutoScalingGroups":
        return {"autoScalingGroupNames": [aws.asg]}
    if name == "PutImage":
        return {"repositoryName": "shop/checkout", "imageTag": f"sha-{num % 16**7:07x}"}
    if name == "AssumeRoleWithWebIdentity":
        return {
            "roleArn": f"arn:aws:iam::{aws.account_id}:role/checkout-irsa",
            "roleSessionName": "botocore-session",
        }
    if name == "FilterLogEvents":
        return {"logGroupName": "/aws/eks/shop-prod/cluster", "limit": 100}
    return None


# -- scripted routine --------------------------------------------------------------------------


def _routine(world: World) -> None:
    """Things that happen on a schedule in a healthy environment (never labelled)."""
    topo, aws = world.topo, world.topo.aws
    rng = random.Random(f"logswarm-routine:{world.seed}")
    events = world.events_stream()
    period = 15 * 60 * NS
    t = world.t_start - world.t_start % period + period
    while t < world.t_end - 120 * NS:
        job = f"orders-report-{(t // NS) // 60}"
        pod_name = f"{job}-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"
        uid = fmt.uuid_text(f"{rng.getrandbits(128):032x}")
        node = topo.nodes[rng.randrange(len(topo.nodes))]
        seq = (
            (0.2, "Job", job, "SuccessfulCreate", f"Created pod: {pod_name}", "job-controller"),
            (
                0.4,
                "Pod",
                pod_name,
                "Scheduled",
                f"Successfully assigned shop/{pod_name} to {node.name}",
                "default-scheduler",
            ),
            (
                1.1,
                "Pod",
                pod_name,
                "Pulled",
                'Container image "busybox:1.36" already present on machine',
                "kubelet",
            ),
            (1.3, "Pod", pod_name, "Created", "Created container: report", "kubelet"),
            (1.6, "Pod", pod_name, "Started", "Started container report", "kubelet"),
            (rng.uniform(20, 50), "Job", job, "Completed", "Job completed", "job-controller"),
        )
        for dt, kind, name, reason, message, component in seq:
            tt = t + int(dt * NS)
            world.put(
                events,
                tt,
                fmt.k8s_event(
                    tt,
                    namespace="shop",
                    kind=kind,
                    name=name,
                    uid=uid,
                    reason=reason,
                    message=message,
                    component=component,
                    host=node.name if component == "kubelet" else None,
                ),
                None,
            )
        t += period
    # People start their day: console logins from the office.
    alice = aws.user("alice")
    for k, offset_min in enumerate((4, 63)):
        tt = world.t_start + int((offset_min * 60 + rng.uniform(0, 50)) * NS)
        if tt >= world.t_end:
            break
        rec = fmt.cloudtrail_record(
            tt,
            event_id=f"{rng.getrandbits(32):08x}-0000-4000-a000-{k:012d}",
            account=aws.account_id,
            region="us-east-1",
            event_source="signin.amazonaws.com",
            event_name="ConsoleLogin",
            user_type="IAMUser",
            principal=alice.name,
            access_key=None,
            source_ip=alice.home_ip,
            user_agent=alice.user_agent,
            response={"ConsoleLogin": "Success"},
            additional={
                "LoginTo": "https://console.aws.amazon.com/console/home",
                "MobileVersion": "No",
                "MFAUsed": "Yes",
            },
            event_type="AwsConsoleSignIn",
        )
        world.put(world.cloudtrail_stream(tt), tt, rec, None)
