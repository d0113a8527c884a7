"""The scenario catalogue: what can go wrong, as data, plus the injector that makes it happen.

Each :class:`ScenarioSpec` names a fault kind, its category, the remediation that really fixes it
(a name from the executor's closed vocabulary) and an injector. Injectors write *causally
ordered* multi-source symptoms through :class:`~logswarm.scenarios.engine.Injection`: the root
cause comes first (a deploy, a config reload, an API call), then what it breaks in the service
itself, then what its callers, the kubelet, the events stream and the metrics see. That ordering
is what an RCA agent must recover, so a scenario that only sprayed errors would teach nothing.

Adding a scenario is adding one function decorated with :func:`scenario`; the scenario suite of
issue 4 grows this table, not the machinery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from logswarm.actions import ACTION_NAMES
from logswarm.scenarios.background import upstream_of
from logswarm.scenarios.engine import Injection
from logswarm.scenarios.formats import NS
from logswarm.scenarios.topology import Pod

__all__ = ["CATALOGUE", "REMEDIATIONS", "Outcome", "ScenarioSpec", "scenario"]

#: The executor's closed vocabulary: a scenario's remediation must be one of these names.
REMEDIATIONS: frozenset[str] = ACTION_NAMES


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an injector reports back: the machine-readable cause and the entities involved."""

    root_cause: str
    entities: list[str]


Injector = Callable[[Injection], Outcome]


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    name: str
    category: str
    title: str
    remediation: str
    #: Nominal length of the incident in minutes (the scheduler keeps incidents apart).
    minutes: float
    injector: Injector


CATALOGUE: dict[str, ScenarioSpec] = {}


def scenario(
    name: str, *, category: str, title: str, remediation: str, minutes: float
) -> Callable[[Injector], Injector]:
    """Register an injector under ``name`` in :data:`CATALOGUE`."""

    def register(fn: Injector) -> Injector:
        if name in CATALOGUE:
            raise ValueError(f"scenario {name!r} registered twice")
        if remediation not in REMEDIATIONS:
            raise ValueError(f"scenario {name!r}: {remediation!r} is not in the closed vocabulary")
        CATALOGUE[name] = ScenarioSpec(name, category, title, remediation, minutes, fn)
        return fn

    return register


# -- shared symptom helpers --------------------------------------------------------------------

_ROUTE = {
    "checkout": "/api/checkout",
    "cart": "/api/cart",
    "catalog": "/api/products/{n}",
    "payment": "/api/checkout",
    "orders-db": "/api/checkout",
}


def _trace(ctx: Injection) -> str:
    return f"{ctx.rng.getrandbits(128):032x}"


def caller_errors(
    ctx: Injection,
    service: str,
    start: int,
    end: int,
    *,
    every_s: float,
    error: str,
    status: int = 502,
    depth: int = 2,
) -> None:
    """Errors in every caller of ``service`` (and, with ``depth`` 2, in their callers too)."""
    for dep in ctx.topo.callers_of(service):
        ctx.involve(dep.name)
        t = ctx.jitter(start, every_s)
        while t < end:
            pod = ctx.rng.choice(dep.pods)
            if dep.style == "nginx":
                path = _ROUTE.get(service, "/api/checkout").replace(
                    "{n}", str(ctx.rng.randint(1, 9999))
                )
                target = service if service in ("checkout", "cart", "catalog") else "checkout"
                ctx.access(
                    pod,
                    t,
                    path=path,
                    status=status,
                    rt=ctx.rng.uniform(0.5, 5.0),
                    upstream=upstream_of(ctx.topo, target, ctx.rng.randrange(3)),
                )
            elif dep.style == "json":
                ctx.app(
                    pod,
                    t,
                    "error",
                    f"call to {service} failed",
                    upstream=service,
                    error=error,
                    trace_id=_trace(ctx),
                )
            elif dep.style == "java":
                ctx.app(
                    pod,
                    t,
                    "error",
                    f"Call to {service} failed: {error}",
                    logger="c.a.payment.client.DownstreamClient",
                )
            else:
                ctx.app(
                    pod,
                    t,
                    "error",
                    f"upstream {service} failed: {error}",
                    logger=f"{dep.name}.client",
                )
            t += int(ctx.rng.uniform(0.5, 1.5) * every_s * NS)
        if depth > 1 and dep.style != "nginx":
            caller_errors(
                ctx,
                dep.name,
                start + 2 * NS,
                end,
                every_s=every_s * 1.5,
                error=f"{dep.name}: 503 Service Unavailable",
                status=status,
                depth=depth - 1,
            )


def _restart_events(ctx: Injection, pod: Pod, t: int, *, restarts: int, first: int) -> None:
    """What the kubelet reports around a container restart."""
    for dt, reason, message in (
        (1, "Pulled", f'Container image "{pod.image}" already present on machine'),
        (2, "Created", f"Created container: {pod.container}"),
        (2, "Started", f"Started container {pod.container}"),
    ):
        ctx.pod_event(
            t + dt * NS, pod, reason, message, type_="Normal", count=restarts + 1, first=first
        )
    if restarts >= 2:
        ctx.pod_event(
            t,
            pod,
            "BackOff",
            f"Back-off restarting failed container {pod.container} in pod "
            f"{pod.name}_{pod.namespace}({pod.uid})",
            count=restarts - 1,
            first=first,
        )


def _ct_user(
    ctx: Injection,
    t: int,
    user: str,
    source: str,
    name: str,
    *,
    ip: str | None = None,
    ua: str | None = None,
    **kw: object,
) -> None:
    """A CloudTrail call with ``user``'s access key, by default from their home address and tool."""
    u = ctx.aws.user(user)
    ctx.cloudtrail(
        t,
        event_source=source,
        event_name=name,
        user_type="IAMUser",
        principal=u.name,
        access_key=u.access_key,
        source_ip=u.home_ip if ip is None else ip,
        user_agent=u.user_agent if ua is None else ua,
        **kw,
    )


def _startup(ctx: Injection, pod: Pod, t: int, version: str) -> None:
    ctx.app(pod, t, "info", f"starting {pod.deployment}", version=version)
    ctx.app(pod, t + 300_000_000, "info", "connected to orders-db", pool_size=10)
    ctx.app(pod, t + 600_000_000, "info", "listening", addr=":8080")


# -- Kubernetes --------------------------------------------------------------------------------


@scenario(
    "oom_killed",
    category="kubernetes",
    title="Container OOMKilled (memory leak)",
    remediation="patch_resources",
    minutes=12,
)
def oom_killed(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["checkout"]
    pod = dep.pods[0]
    node = pod.node
    limit = 512
    t = ctx.start
    first = ctx.start
    rss = 380.0
    for cycle in range(3):
        climb = 200 - cycle * 50
        for k in range(8):
            tt = t + int(k * climb / 8 * NS)
            rss = min(limit - 4, 380 + (limit - 380) * (k + 1) / 8)
            ctx.app(
                pod,
                tt,
                "warn",
                "memory usage above soft limit",
                rss_mib=round(rss),
                limit_mib=limit,
                cache_entries=120000 + 9000 * k,
            )
        kill = t + int(climb * NS)
        pid = 4000 + 137 * cycle
        ctx.syslog(
            node,
            kill,
            "kernel",
            "warn",
            "checkout invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=997",
        )
        ctx.syslog(
            node,
            kill + 1_000_000,
            "kernel",
            "error",
            f"Memory cgroup out of memory: Killed process {pid} (checkout) total-vm:1452312kB, "
            f"anon-rss:{limit * 1024}kB, file-rss:10240kB, shmem-rss:0kB, UID:65532 pgtables:1480kB "
            f"oom_score_adj:997",
        )
        ctx.kubelet(
            node,
            kill + 40_000_000,
            "info",
            f'kubelet.go:2431] "SyncLoop (PLEG): event for pod" '
            f'pod="shop/{pod.name}" event={{"Type":"ContainerDied"}} reason="OOMKilled" exitCode=137',
        )
        ctx.event(
            kill + 1 * NS,
            kind="Node",
            name=node.name,
            namespace="default",
            uid=node.instance_id,
            reason="OOMKilling",
            message=f"Memory cgroup out of memory: Killed process {pid} (checkout) "
            f"total-vm:1452312kB, anon-rss:{limit * 1024}kB",
            component="kernel-monitor",
            host=node.name,
        )
        back = kill + int((10 * 2**cycle) * NS)
        ctx.silence(pod, kill, back)
        caller_errors(
            ctx,
            "checkout",
            kill,
            back,
            every_s=2.0,
            error="connection refused",
            status=502,
            depth=1,
        )
        _restart_events(ctx, pod, back, restarts=cycle + 1, first=first)
        _startup(ctx, pod, back + 3 * NS, "1.4.2")
        t = back + 10 * NS
    ctx.metric("checkout", "memory_mib", start=ctx.start, end=t, op="ramp", value=limit)
    ctx.metric("checkout", "restarts", start=ctx.start, end=t, op="count", value=1 / 3)
    ctx.metric("frontend", "error_rate", start=ctx.start, end=t, op="add", value=0.06)
    ctx.metric("checkout", "latency_p90_ms", start=ctx.start, end=t, op="mul", value=1.8)
    return Outcome("oom:deployment/checkout", [pod.name, "checkout", node.name])


@scenario(
    "crashloop_bad_deploy",
    category="kubernetes",
    title="CrashLoopBackOff after a bad deploy",
    remediation="rollback_deployment",
    minutes=12,
)
def crashloop_bad_deploy(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["cart"]
    new_hash = ctx.topo.new_rs_hash()
    image = dep.image.rsplit(":", 1)[0] + ":2.2.0"
    t0 = ctx.start
    _ct_user(
        ctx,
        t0,
        "ci-deploy",
        "ecr.amazonaws.com",
        "PutImage",
        request={"repositoryName": "shop/cart", "imageTag": "2.2.0"},
    )
    pod = ctx.new_pod("cart", rs_hash=new_hash, image=image)
    t = t0 + 40 * NS
    ctx.event(
        t,
        kind="Deployment",
        name="cart",
        namespace="shop",
        uid=pod.uid,
        type_="Normal",
        reason="ScalingReplicaSet",
        message=f"Scaled up replica set cart-{new_hash} to 1",
        component="deployment-controller",
    )
    ctx.event(
        t + NS,
        kind="ReplicaSet",
        name=f"cart-{new_hash}",
        namespace="shop",
        uid=pod.uid,
        type_="Normal",
        reason="SuccessfulCreate",
        message=f"Created pod: {pod.name}",
        component="replicaset-controller",
    )
    ctx.pod_event(
        t + 2 * NS,
        pod,
        "Scheduled",
        f"Successfully assigned shop/{pod.name} to {pod.node.name}",
        type_="Normal",
        component="default-scheduler",
    )
    ctx.pod_event(t + 3 * NS, pod, "Pulling", f'Pulling image "{image}"', type_="Normal")
    ctx.pod_event(
        t + 6 * NS,
        pod,
        "Pulled",
        f'Successfully pulled image "{image}" in 2.81s (2.81s including waiting)',
        type_="Normal",
    )
    first = t + 7 * NS
    t = first
    for restart in range(6):
        ctx.pod_event(
            t,
            pod,
            "Created",
            f"Created container: {pod.container}",
            type_="Normal",
            count=restart + 1,
            first=first,
        )
        ctx.pod_event(
            t,
            pod,
            "Started",
            f"Started container {pod.container}",
            type_="Normal",
            count=restart + 1,
            first=first,
        )
        ctx.app(pod, t + 200_000_000, "info", "starting cart", version="2.2.0")
        ctx.app(
            pod, t + 300_000_000, "error", "invalid configuration", error="REDIS_ADDR must be set"
        )
        ctx.raw(pod, t + 310_000_000, "panic: config: REDIS_ADDR must be set")
        ctx.raw(pod, t + 310_000_001, "")
        ctx.raw(pod, t + 310_000_002, "goroutine 1 [running]:")
        ctx.raw(pod, t + 310_000_003, "main.mustLoadConfig(...)")
        ctx.raw(pod, t + 310_000_004, "\t/src/cmd/cart/config.go:57 +0x1d4")
        back = min(10 * 2**restart, 300)
        if restart >= 1:
            ctx.pod_event(
                t + 1 * NS,
                pod,
                "BackOff",
                f"Back-off restarting failed container {pod.container} in pod "
                f"{pod.name}_{pod.namespace}({pod.uid})",
                count=restart,
                first=first,
            )
        t += (back + 2) * NS
    ctx.metric("cart", "restarts", start=first, end=t, op="count", value=0.5)
    return Outcome("bad_deploy:deployment/cart", [pod.name, "cart", "cart:2.2.0"])


@scenario(
    "image_pull_failure",
    category="kubernetes",
    title="Image pull failure (tag not found)",
    remediation="rollback_deployment",
    minutes=8,
)
def image_pull_failure(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["catalog"]
    new_hash = ctx.topo.new_rs_hash()
    image = dep.image.rsplit(":", 1)[0] + ":0.9.13-rc1"
    pod = ctx.new_pod("catalog", rs_hash=new_hash, image=image)
    t = ctx.start
    ctx.event(
        t,
        kind="Deployment",
        name="catalog",
        namespace="shop",
        uid=pod.uid,
        type_="Normal",
        reason="ScalingReplicaSet",
        message=f"Scaled up replica set catalog-{new_hash} to 1",
        component="deployment-controller",
    )
    ctx.pod_event(
        t + NS,
        pod,
        "Scheduled",
        f"Successfully assigned shop/{pod.name} to {pod.node.name}",
        type_="Normal",
        component="default-scheduler",
    )
    first = t + 2 * NS
    t = first
    for attempt in range(7):
        ctx.pod_event(
            t,
            pod,
            "Pulling",
            f'Pulling image "{image}"',
            type_="Normal",
            count=attempt + 1,
            first=first,
        )
        err = (
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
            f'failed to resolve reference "{image}": {image}: not found'
        )
        ctx.syslog(
            pod.node,
            t + NS,
            "containerd",
            "error",
            f'time="{_iso(t + NS)}" level=error msg="PullImage \\"{image}\\" failed" error="{err}"',
        )
        ctx.pod_event(
            t + NS,
            pod,
            "Failed",
            f'Failed to pull image "{image}": {err}',
            count=attempt + 1,
            first=first,
        )
        ctx.pod_event(t + NS, pod, "Failed", "Error: ErrImagePull", count=attempt + 1, first=first)
        ctx.pod_event(
            t + 2 * NS,
            pod,
            "BackOff",
            f'Back-off pulling image "{image}"',
            type_="Normal",
            count=attempt + 1,
            first=first,
        )
        ctx.pod_event(
            t + 2 * NS, pod, "Failed", "Error: ImagePullBackOff", count=attempt + 1, first=first
        )
        t += min(10 * 2**attempt, 300) * NS
    ctx.metric("catalog", "unavailable_replicas", start=ctx.start, end=t, op="set", value=1)
    return Outcome("image_pull:deployment/catalog", [pod.name, "catalog", image.rsplit("/", 1)[-1]])


def _iso(t: int) -> str:
    from logswarm.scenarios.formats import iso_ns

    return iso_ns(t)


@scenario(
    "readiness_probe_failure",
    category="kubernetes",
    title="Failing readiness probe",
    remediation="delete_pod",
    minutes=10,
)
def readiness_probe_failure(ctx: Injection) -> Outcome:
    pod = ctx.topo.deployments["payment"].pods[1]
    t = ctx.start
    ctx.app(
        pod,
        t,
        "warn",
        "Warm-up incomplete: fx-rates cache empty after reload, refusing traffic",
        logger="c.a.payment.FxRateCache",
    )
    ctx.app(
        pod,
        t + NS,
        "info",
        "Readiness state changed to REFUSING_TRAFFIC",
        logger="o.s.b.a.ApplicationAvailabilityBean",
    )
    first = t + 5 * NS
    count = 0
    tt = first
    while tt < ctx.end:
        count += 1
        msg = "HTTP probe failed with statuscode: 503"
        ctx.kubelet(
            pod.node,
            tt,
            "info",
            f'prober.go:107] "Probe failed" probeType="Readiness" '
            f'pod="shop/{pod.name}" containerName="payment" probeResult="failure" output="{msg}"',
        )
        if count % 3 == 1:
            ctx.pod_event(
                tt, pod, "Unhealthy", f"Readiness probe failed: {msg}", count=count, first=first
            )
            ctx.app(
                pod,
                tt + NS,
                "warn",
                "GET /actuator/health/readiness 503 fxRates=DOWN",
                logger="c.a.payment.HealthEndpoint",
            )
        tt += 10 * NS
    caller_errors(
        ctx,
        "payment",
        first + 10 * NS,
        ctx.end,
        every_s=8.0,
        error="503 no healthy upstream",
        status=503,
        depth=2,
    )
    ctx.metric("payment", "error_rate", start=first, end=ctx.end, op="add", value=0.04)
    ctx.metric("checkout", "latency_p90_ms", start=first, end=ctx.end, op="mul", value=1.4)
    return Outcome(f"readiness_probe:pod/{pod.name}", [pod.name, "payment"])


@scenario(
    "node_disk_pressure",
    category="kubernetes",
    title="Node disk pressure and evictions",
    remediation="cordon_node",
    minutes=12,
)
def node_disk_pressure(ctx: Injection) -> Outcome:
    node = ctx.topo.nodes[1]
    victims = [
        p for p in ctx.topo.pods() if p.node.name == node.name and p.deployment != "orders-db"
    ]
    t = ctx.start
    for k in range(6):
        pct = 86 + k
        ctx.kubelet(
            node,
            t + k * 30 * NS,
            "warn",
            f'image_gc_manager.go:333] "Disk usage on image '
            f"filesystem is over the high threshold, trying to free bytes down to the low "
            f'threshold" usage={pct} highThreshold=85 amountToFree=4294967296 lowThreshold=80',
        )
        ctx.kubelet(
            node,
            t + k * 30 * NS + NS,
            "error",
            'kubelet.go:1473] "Image garbage collection failed '
            'multiple times in a row" err="wanted to free 4294967296 bytes, but freed 0 bytes '
            'space with errors in image deletion"',
        )
    t = ctx.start + 200 * NS
    ctx.event(
        t,
        kind="Node",
        name=node.name,
        namespace="default",
        uid=node.instance_id,
        type_="Normal",
        reason="NodeHasDiskPressure",
        message=f"Node {node.name} status is now: NodeHasDiskPressure",
        host=node.name,
    )
    ctx.event(
        t + NS,
        kind="Node",
        name=node.name,
        namespace="default",
        uid=node.instance_id,
        reason="EvictionThresholdMet",
        message="Attempting to reclaim ephemeral-storage",
        host=node.name,
    )
    ctx.kubelet(
        node,
        t + 2 * NS,
        "warn",
        'eviction_manager.go:366] "Eviction manager: attempting '
        'to reclaim" resourceName="ephemeral-storage"',
    )
    for i, pod in enumerate(victims):
        te = t + (20 + 25 * i) * NS
        ctx.kubelet(
            node,
            te,
            "info",
            f'eviction_manager.go:616] "Eviction manager: pod is '
            f'evicted successfully" pod="{pod.namespace}/{pod.name}"',
        )
        ctx.pod_event(
            te,
            pod,
            "Evicted",
            f"The node was low on resource: ephemeral-storage. Threshold quantity: 10%, "
            f"available: 7%. Container {pod.container} was using 2145Mi, request is 0.",
        )
        ctx.pod_event(
            te + NS, pod, "Killing", f"Stopping container {pod.container}", type_="Normal"
        )
        ctx.silence(pod, te, ctx.world.t_end)
        repl = ctx.new_pod(pod.deployment, background_from=te + 20 * NS)
        ctx.involve(repl.name)
        ctx.pod_event(
            te + 2 * NS,
            repl,
            "Scheduled",
            f"Successfully assigned {repl.namespace}/{repl.name} to {repl.node.name}",
            type_="Normal",
            component="default-scheduler",
        )
    ctx.metric(
        f"node/{node.name}", "disk_used_percent", start=ctx.start, end=ctx.end, op="ramp", value=93
    )
    return Outcome(f"disk_pressure:node/{node.name}", [node.name] + [p.name for p in victims])


@scenario(
    "cpu_throttling",
    category="kubernetes",
    title="CPU throttling at the container limit",
    remediation="patch_resources",
    minutes=10,
)
def cpu_throttling(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["payment"]
    t = ctx.start
    while t < ctx.end:
        pod = ctx.rng.choice(dep.pods)
        ms = ctx.rng.randint(1800, 4200)
        ctx.app(
            pod,
            t,
            "warn",
            f"Slow request POST /v1/charges took {ms}ms (threshold 1000ms)",
            logger="c.a.payment.web.SlowRequestFilter",
        )
        if ctx.rng.random() < 0.2:
            ctx.app(
                pod,
                t + NS,
                "warn",
                "HikariPool-1 - Thread starvation or clock leap detected "
                f"(housekeeper delta=1m{ctx.rng.randint(2, 40)}s).",
                logger="com.zaxxer.hikari.pool.HikariPool",
            )
        t += int(ctx.rng.uniform(3, 8) * NS)
    caller_errors(
        ctx,
        "payment",
        ctx.start + 30 * NS,
        ctx.end,
        every_s=12.0,
        error="context deadline exceeded",
        status=504,
        depth=2,
    )
    ctx.metric("payment", "cpu_millicores", start=ctx.start, end=ctx.end, op="set", value=500)
    ctx.metric("payment", "cpu_throttled_percent", start=ctx.start, end=ctx.end, op="set", value=68)
    ctx.metric("payment", "latency_p90_ms", start=ctx.start, end=ctx.end, op="mul", value=7)
    # Throttled containers answer their probes late: the kubelet says so (a second source).
    for k, tt in enumerate(range(ctx.start + 60 * NS, ctx.end, 90 * NS), start=1):
        pod = dep.pods[k % len(dep.pods)]
        ctx.pod_event(
            tt,
            pod,
            "Unhealthy",
            f'Liveness probe failed: Get "http://{pod.ip}:8080/actuator/health/liveness": '
            "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            count=k,
        )
    return Outcome("cpu_throttling:deployment/payment", ["payment"] + [p.name for p in dep.pods])


@scenario(
    "dns_failure",
    category="kubernetes",
    title="DNS resolution failures (CoreDNS)",
    remediation="restart_deployment",
    minutes=8,
)
def dns_failure(ctx: Injection) -> Outcome:
    dns = ctx.topo.deployments["coredns"]
    t = ctx.start
    for pod in dns.pods:
        ctx.raw(pod, t, "[INFO] Reloading", stream="stdout")
        ctx.raw(
            pod,
            t + NS,
            f"[INFO] plugin/reload: Running configuration SHA512 = {_trace(ctx)}{_trace(ctx)}",
            stream="stdout",
        )
    t += 20 * NS
    clients = [p for p in ctx.topo.deployments["payment"].pods]
    while t < ctx.end:
        pod = ctx.rng.choice(dns.pods)
        client = ctx.rng.choice(clients)
        ctx.raw(
            pod,
            t,
            f"[ERROR] plugin/errors: 2 api.stripe.com. A: read udp {pod.ip}:{ctx.rng.randint(32768, 60999)}"
            f"->10.0.0.2:53: i/o timeout",
            stream="stdout",
        )
        ctx.raw(
            pod,
            t + 2 * NS,
            f"[INFO] {client.ip}:{ctx.rng.randint(32768, 60999)} - {ctx.rng.randint(1, 65535)} "
            f'"A IN api.stripe.com. udp 56 false 512" SERVFAIL qr,rd 45 2.001{ctx.rng.randint(100, 999)}s',
            stream="stdout",
        )
        ctx.app(
            client,
            t + 3 * NS,
            "error",
            "PSP call failed: java.net.UnknownHostException: api.stripe.com: Temporary failure in "
            "name resolution",
            logger="c.a.payment.psp.StripeClient",
        )
        t += int(ctx.rng.uniform(2, 6) * NS)
    caller_errors(
        ctx,
        "payment",
        ctx.start + 25 * NS,
        ctx.end,
        every_s=10.0,
        error="payment: 502 Bad Gateway",
        status=502,
        depth=2,
    )
    ctx.metric("payment", "error_rate", start=ctx.start, end=ctx.end, op="add", value=0.35)
    ctx.metric("coredns", "error_rate", start=ctx.start, end=ctx.end, op="add", value=0.2)
    for k, tt in enumerate(range(ctx.start + 30 * NS, ctx.end, 120 * NS), start=1):
        pod = dns.pods[k % len(dns.pods)]
        ctx.pod_event(
            tt, pod, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503",
            count=k,
        )  # fmt: skip
    return Outcome(
        "dns_failure:deployment/coredns", ["coredns", "api.stripe.com"] + [p.name for p in dns.pods]
    )


@scenario(
    "certificate_expiry",
    category="kubernetes",
    title="TLS certificate expired",
    remediation="restart_deployment",
    minutes=10,
)
def certificate_expiry(ctx: Injection) -> Outcome:
    db = ctx.topo.deployments["orders-db"].pods[0]
    t = ctx.start
    ctx.event(
        t,
        kind="Certificate",
        name="orders-db-tls",
        namespace="shop",
        uid=db.uid,
        reason="Failed",
        message="The certificate request has failed to complete and will be "
        "retried: issuer shop-ca-issuer not ready: secret shop-ca not found",
        component="cert-manager-certificates-issuing",
    )
    expiry = t + 60 * NS
    stamp = _iso(expiry)[:19] + "Z"
    t = expiry + NS
    callers = [d for d in ctx.topo.callers_of("orders-db")]
    while t < ctx.end:
        dep = ctx.rng.choice(callers)
        pod = ctx.rng.choice(dep.pods)
        now = _iso(t)[:19] + "Z"
        err = f"x509: certificate has expired or is not yet valid: current time {now} is after {stamp}"
        if dep.style == "json":
            ctx.app(pod, t, "error", "db connect failed", host="orders-db.shop.svc", error=err)
        elif dep.style == "java":
            ctx.app(
                pod,
                t,
                "error",
                "HikariPool-1 - Exception during pool initialization: javax.net.ssl.SSLHandshakeException: "
                "PKIX path validation failed: CertPathValidatorException: validity check failed "
                "host=orders-db.shop.svc",
                logger="com.zaxxer.hikari.pool.HikariPool",
            )
        else:
            ctx.app(
                pod,
                t,
                "error",
                "orders-db connection failed: SSL error: certificate has expired",
                logger="catalog.db",
            )
        ctx.app(
            db,
            t + 5_000_000,
            "info",
            "could not accept SSL connection: sslv3 alert certificate expired",
        )
        t += int(ctx.rng.uniform(2, 6) * NS)
    caller_errors(
        ctx,
        "checkout",
        expiry + 10 * NS,
        ctx.end,
        every_s=10.0,
        error="500 Internal Server Error",
        status=500,
        depth=1,
    )
    for svc in ("checkout", "cart", "catalog", "payment"):
        ctx.metric(svc, "error_rate", start=expiry, end=ctx.end, op="add", value=0.4)
    return Outcome("cert_expiry:certificate/orders-db-tls", ["orders-db-tls", "orders-db", db.name])


@scenario(
    "db_connection_pool_exhaustion",
    category="kubernetes",
    title="Database connection-pool exhaustion (connection leak)",
    remediation="restart_deployment",
    minutes=10,
)
def db_connection_pool_exhaustion(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["payment"]
    t = ctx.start
    for k in range(10):
        pod = dep.pods[k % 2]
        ctx.app(
            pod,
            t + k * 12 * NS,
            "warn",
            f"HikariPool-1 - Connection leak detection triggered for org.postgresql.jdbc.PgConnection@"
            f"{ctx.rng.getrandbits(28):x} on thread nio-8080-exec-{k % 10 + 1}, stack trace follows",
            logger="com.zaxxer.hikari.pool.ProxyLeakTask",
        )
        ctx.app(
            pod,
            t + k * 12 * NS + NS,
            "debug",
            f"HikariPool-1 - Pool stats (total=10, active={min(10, 5 + k)}, idle={max(0, 5 - k)}, "
            f"waiting={max(0, k * 3 - 10)})",
            logger="com.zaxxer.hikari.pool.HikariPool",
        )
    t += 130 * NS
    while t < ctx.end:
        pod = ctx.rng.choice(dep.pods)
        ctx.app(
            pod,
            t,
            "error",
            "HikariPool-1 - Connection is not available, request timed out after 30000ms "
            f"(total=10, active=10, idle=0, waiting={ctx.rng.randint(8, 40)})",
            logger="com.zaxxer.hikari.pool.HikariPool",
        )
        t += int(ctx.rng.uniform(2, 5) * NS)
    caller_errors(
        ctx,
        "payment",
        ctx.start + 140 * NS,
        ctx.end,
        every_s=8.0,
        error="500 Internal Server Error",
        status=502,
        depth=2,
    )
    ctx.metric(
        "payment", "latency_p90_ms", start=ctx.start + 130 * NS, end=ctx.end, op="set", value=30000
    )
    ctx.metric(
        "payment", "error_rate", start=ctx.start + 130 * NS, end=ctx.end, op="add", value=0.5
    )
    ctx.metric("payment", "db_pool_active", start=ctx.start, end=ctx.end, op="ramp", value=10)
    return Outcome("connection_pool:deployment/payment", ["payment"] + [p.name for p in dep.pods])


@scenario(
    "db_deadlock",
    category="kubernetes",
    title="Database deadlocks after a new release",
    remediation="rollback_deployment",
    minutes=8,
)
def db_deadlock(ctx: Injection) -> Outcome:
    db = ctx.topo.deployments["orders-db"].pods[0]
    cart = ctx.topo.deployments["cart"]
    t = ctx.start
    ctx.event(
        t,
        kind="Deployment",
        name="cart",
        namespace="shop",
        uid=cart.pods[0].uid,
        type_="Normal",
        reason="ScalingReplicaSet",
        message=f"Scaled up replica set cart-{ctx.topo.new_rs_hash()} to 2",
        component="deployment-controller",
    )
    t += 60 * NS
    while t < ctx.end:
        a, b = ctx.rng.randint(2000, 9000), ctx.rng.randint(2000, 9000)
        xa, xb = ctx.rng.randint(700000, 799999), ctx.rng.randint(700000, 799999)
        ctx.app(db, t, "error", "deadlock detected")
        ctx.app(
            db,
            t + 1000,
            "info",
            f"DETAIL:  Process {a} waits for ShareLock on transaction {xb}; blocked by process {b}. "
            f"Process {b} waits for ShareLock on transaction {xa}; blocked by process {a}.",
        )
        ctx.app(
            db,
            t + 2000,
            "info",
            "STATEMENT:  UPDATE cart_items SET qty = qty + 1 WHERE cart_id = $1",
        )
        pod = ctx.rng.choice(cart.pods)
        ctx.app(
            pod,
            t + 5_000_000,
            "error",
            "cart update failed: pq: deadlock detected (SQLSTATE 40P01)",
            trace_id=_trace(ctx),
        )
        t += int(ctx.rng.uniform(4, 12) * NS)
    caller_errors(
        ctx, "cart", ctx.start + 65 * NS, ctx.end, every_s=15.0, error="500", status=500, depth=1
    )
    ctx.metric("cart", "error_rate", start=ctx.start + 60 * NS, end=ctx.end, op="add", value=0.12)
    return Outcome("deadlock:deployment/cart", ["cart", "orders-db", db.name])


# -- AWS ---------------------------------------------------------------------------------------


@scenario(
    "credential_compromise",
    category="aws",
    title="Credential compromise: impossible travel with one access key",
    remediation="deactivate_access_key",
    minutes=10,
)
def credential_compromise(ctx: Injection) -> Outcome:
    bob = ctx.aws.user("bob")
    attacker = f"103.{ctx.rng.randint(40, 250)}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(2, 250)}"
    t = ctx.start
    _ct_user(
        ctx,
        t,
        "bob",
        "sts.amazonaws.com",
        "GetCallerIdentity",
        read_only=True,
    )
    _ct_user(
        ctx,
        t + 30 * NS,
        "bob",
        "ec2.amazonaws.com",
        "DescribeInstances",
        read_only=True,
    )
    t += 240 * NS
    ua = "python-requests/2.31.0"
    recon = (
        ("sts.amazonaws.com", "GetCallerIdentity", None),
        ("iam.amazonaws.com", "ListUsers", None),
        ("iam.amazonaws.com", "GetAccountAuthorizationDetails", None),
        ("s3.amazonaws.com", "ListBuckets", None),
        ("ec2.amazonaws.com", "DescribeRegions", None),
        ("secretsmanager.amazonaws.com", "ListSecrets", None),
        ("iam.amazonaws.com", "ListAttachedUserPolicies", {"userName": "bob"}),
        ("ec2.amazonaws.com", "RunInstances", {"instanceType": "p3.16xlarge", "minCount": 4}),
    )
    for i, (source, name, req) in enumerate(recon * 3):
        denied = (
            name in ("GetAccountAuthorizationDetails", "RunInstances", "ListSecrets") and i % 2 == 0
        )
        _ct_user(
            ctx,
            t + i * 7 * NS,
            "bob",
            source,
            name,
            ip=attacker,
            ua=ua,
            request=req,
            read_only=name.startswith(("List", "Get", "Describe")),
            error_code="AccessDenied" if denied else None,
            error_message=f"User: arn:aws:iam::{ctx.aws.account_id}:user/bob is not authorized "
            f"to perform: {source.split('.')[0]}:{name}"
            if denied
            else None,
        )
    ctx.cloudtrail(
        t + 200 * NS,
        event_source="signin.amazonaws.com",
        event_name="ConsoleLogin",
        user_type="IAMUser",
        principal="bob",
        access_key=None,
        source_ip=attacker,
        user_agent=ua,
        response={"ConsoleLogin": "Failure"},
        error_message="Failed authentication",
        additional={"MFAUsed": "No"},
        event_type="AwsConsoleSignIn",
    )
    ctx.metric("iam/bob", "api_calls_per_min", start=ctx.start, end=ctx.end, op="add", value=9)
    return Outcome(
        f"credential_compromise:access_key/{bob.access_key}", [bob.access_key, "bob", attacker]
    )


@scenario(
    "iam_privilege_escalation",
    category="aws",
    title="IAM privilege escalation",
    remediation="deactivate_access_key",
    minutes=6,
)
def iam_privilege_escalation(ctx: Injection) -> Outcome:
    ci = ctx.aws.user("ci-deploy")
    t = ctx.start
    ip = ci.home_ip
    ua = "aws-cli/2.17.20 Python/3.11.9 Linux/5.15"
    _ct_user(
        ctx,
        t,
        "ci-deploy",
        "iam.amazonaws.com",
        "ListAttachedUserPolicies",
        ua=ua,
        request={"userName": "ci-deploy"},
        read_only=True,
    )
    _ct_user(
        ctx,
        t + 20 * NS,
        "ci-deploy",
        "iam.amazonaws.com",
        "AttachUserPolicy",
        ua=ua,
        request={
            "userName": "ci-deploy",
            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        },
    )
    new_key = "AKIA" + "".join(
        ctx.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)
    )
    _ct_user(
        ctx,
        t + 50 * NS,
        "ci-deploy",
        "iam.amazonaws.com",
        "CreateAccessKey",
        ua=ua,
        request={"userName": "alice"},
        response={
            "accessKey": {
                "accessKeyId": new_key,
                "status": "Active",
                "userName": "alice",
                "createDate": _iso(t + 50 * NS)[:19] + "Z",
            }
        },
    )
    _ct_user(
        ctx,
        t + 80 * NS,
        "ci-deploy",
        "iam.amazonaws.com",
        "CreateLoginProfile",
        ua=ua,
        request={"userName": "alice", "passwordResetRequired": False},
    )
    _ct_user(
        ctx,
        t + 95 * NS,
        "ci-deploy",
        "iam.amazonaws.com",
        "PutUserPolicy",
        ua=ua,
        request={
            "userName": "ci-deploy",
            "policyName": "ci-extra",
            "policyDocument": '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        },
    )
    for i, name in enumerate(("ListSecrets", "GetSecretValue", "GetSecretValue", "ListRoles")):
        ctx.cloudtrail(
            t + (130 + 15 * i) * NS,
            event_source="secretsmanager.amazonaws.com"
            if "Secret" in name
            else "iam.amazonaws.com",
            event_name=name,
            user_type="IAMUser",
            principal="alice",
            access_key=new_key,
            source_ip=ip,
            user_agent=ua,
            request={"secretId": "prod/orders-db"} if name == "GetSecretValue" else None,
            read_only=True,
        )
    ctx.metric(
        "iam/ci-deploy", "iam_write_calls_per_min", start=t, end=t + 100 * NS, op="add", value=3
    )
    return Outcome(
        "privilege_escalation:iam_user/ci-deploy", ["ci-deploy", ci.access_key, new_key, "alice"]
    )


@scenario(
    "s3_exfiltration",
    category="aws",
    title="S3 data exfiltration through a compromised pod",
    remediation="isolate_pod",
    minutes=8,
)
def s3_exfiltration(ctx: Injection) -> Outcome:
    aws = ctx.aws
    bucket = aws.buckets[0]
    pod = ctx.topo.deployments["checkout"].pods[1]
    drop = f"45.{ctx.rng.randint(10, 250)}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(2, 250)}"
    t = ctx.start
    ua = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.alpine"
    ctx.cloudtrail(
        t,
        event_source="s3.amazonaws.com",
        event_name="ListObjects",
        user_type="AssumedRole",
        principal="checkout-irsa",
        access_key="ASIA" + _trace(ctx)[:16].upper(),
        source_ip=aws.nat_ip,
        user_agent=ua,
        request={"bucketName": bucket, "prefix": ""},
        read_only=True,
    )
    for i in range(260):
        tt = t + int((5 + i * 0.9) * NS)
        ctx.cloudtrail(
            tt,
            event_source="s3.amazonaws.com",
            event_name="GetObject",
            user_type="AssumedRole",
            principal="checkout-irsa",
            access_key="ASIA" + _trace(ctx)[:16].upper(),
            source_ip=aws.nat_ip,
            user_agent=ua,
            request={
                "bucketName": bucket,
                "key": f"exports/2025/{i // 30 + 1:02d}/orders-full-{i:04d}.csv",
            },
            additional={"bytesTransferredOut": ctx.rng.randint(8_000_000, 30_000_000)},
            read_only=True,
        )
    node = pod.node
    for i in range(80):
        tt = t + int((60 + i * 3) * NS)
        sport = ctx.rng.randint(32768, 60999)
        pk = ctx.rng.randint(20000, 60000)
        # The same connection seen leaving the node, then leaving the NAT gateway.
        for dt, eni, src in ((0, node.eni, pod.ip), (NS, aws.nat_eni, aws.nat_ip)):
            ctx.flow(
                tt + dt,
                eni=eni,
                src=src,
                dst=drop,
                sport=sport,
                dport=443,
                packets=pk,
                size=pk * 1400,
                seconds=58,
            )
    ctx.metric(
        "checkout", "network_tx_mib_per_s", start=t + 60 * NS, end=t + 300 * NS, op="set", value=85
    )
    return Outcome(
        "s3_exfiltration:iam_role/checkout-irsa", [bucket, pod.name, "checkout-irsa", drop]
    )


@scenario(
    "security_group_open_world",
    category="aws",
    title="Security group opened to the world on SSH",
    remediation="revoke_security_group_ingress",
    minutes=8,
)
def security_group_open_world(ctx: Injection) -> Outcome:
    aws = ctx.aws
    sg = aws.security_groups["bastion"]
    t = ctx.start
    _ct_user(
        ctx,
        t,
        "bob",
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        request={
            "groupId": sg,
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                    }
                ]
            },
        },
        response={
            "_return": True,
            "securityGroupRuleSet": {
                "items": [
                    {
                        "groupId": sg,
                        "securityGroupRuleId": "sgr-0" + _trace(ctx)[:16],
                        "isEgress": False,
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "cidrIpv4": "0.0.0.0/0",
                    }
                ]
            },
        },
    )
    tt = t + 90 * NS
    while tt < ctx.end:
        src = f"{ctx.rng.choice((61, 80, 116, 141, 193, 218))}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(2, 250)}"
        ctx.flow(
            tt,
            eni=aws.bastion_eni,
            src=src,
            dst=aws.bastion_ip,
            sport=ctx.rng.randint(32768, 60999),
            dport=22,
            packets=ctx.rng.randint(8, 30),
            size=ctx.rng.randint(1500, 5200),
            seconds=4,
        )
        tt += int(ctx.rng.uniform(1, 6) * NS)
    ctx.metric(f"sg/{sg}", "world_open_ingress_rules", start=t, end=ctx.end, op="set", value=1)
    ctx.metric(
        f"ec2/{aws.bastion_instance}", "ssh_connections_per_min", start=t + 90 * NS,
        end=ctx.end, op="add", value=20,
    )  # fmt: skip
    return Outcome(
        f"sg_open_world:security_group/{sg}", [sg, "bob", aws.bastion_instance, aws.bastion_eni]
    )


@scenario(
    "port_scan",
    category="aws",
    title="Port scan from one address",
    remediation="add_nacl_deny",
    minutes=5,
)
def port_scan(ctx: Injection) -> Outcome:
    aws = ctx.aws
    scanner = f"198.51.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(2, 250)}"
    ports = list(range(1, 1025))
    ctx.rng.shuffle(ports)
    t = ctx.start
    for i, port in enumerate(ports[:420]):
        tt = t + int(i * 0.45 * NS)
        eni, dst = (aws.lb_eni, aws.lb_ip) if i % 3 else (aws.nat_eni, aws.nat_ip)
        action = "ACCEPT" if port in (80, 443) and eni == aws.lb_eni else "REJECT"
        ctx.flow(
            tt,
            eni=eni,
            src=scanner,
            dst=dst,
            sport=ctx.rng.choice((40000, 40001, 61000)),
            dport=port,
            packets=1,
            size=44,
            action=action,
        )
    ctx.metric(
        f"eni/{aws.lb_eni}", "rejected_flows_per_min", start=t, end=t + 190 * NS, op="add",
        value=90,
    )  # fmt: skip
    return Outcome(f"port_scan:ip/{scanner}", [scanner, aws.lb_eni, aws.nat_eni])


@scenario(
    "ddos",
    category="aws",
    title="DDoS flood on the load balancer",
    remediation="add_nacl_deny",
    minutes=8,
)
def ddos(ctx: Injection) -> Outcome:
    aws = ctx.aws
    nets = [
        f"{ctx.rng.choice((5, 31, 46, 77, 94))}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(0, 255)}"
        for _ in range(3)
    ]
    t = ctx.start
    end = ctx.start + 300 * NS
    while t < end:
        for _ in range(6):
            src = f"{ctx.rng.choice(nets)}.{ctx.rng.randint(2, 250)}"
            pk = ctx.rng.randint(5000, 40000)
            ctx.flow(
                t,
                eni=aws.lb_eni,
                src=src,
                dst=aws.lb_ip,
                sport=ctx.rng.randint(1024, 65535),
                dport=443,
                packets=pk,
                size=pk * 60,
                seconds=60,
            )
        t += 2 * NS
    fe = ctx.topo.deployments["frontend"]
    ctx.involve("frontend")
    t = ctx.start + 20 * NS
    while t < end:
        pod = ctx.rng.choice(fe.pods)
        ctx.app(
            pod, t, "error", "1024 worker_connections are not enough while connecting to upstream"
        )
        t += int(ctx.rng.uniform(2, 5) * NS)
    ctx.metric("frontend", "requests_per_second", start=ctx.start, end=end, op="mul", value=12)
    ctx.metric("frontend", "latency_p90_ms", start=ctx.start, end=end, op="mul", value=9)
    ctx.metric("frontend", "error_rate", start=ctx.start, end=end, op="add", value=0.3)
    return Outcome(f"ddos:eni/{aws.lb_eni}", [aws.lb_eni, aws.lb_ip] + [f"{n}.0/24" for n in nets])


@scenario(
    "lambda_throttling",
    category="aws",
    title="Lambda throttling after a concurrency change",
    remediation="set_lambda_concurrency",
    minutes=8,
)
def lambda_throttling(ctx: Injection) -> Outcome:
    fn = ctx.aws.lambdas[1]
    t = ctx.start
    _ct_user(
        ctx,
        t,
        "ci-deploy",
        "lambda.amazonaws.com",
        "PutFunctionConcurrency20171031",
        request={"functionName": fn, "reservedConcurrentExecutions": 1},
        response={"reservedConcurrentExecutions": 1},
    )
    t += 45 * NS
    dep = ctx.topo.deployments["checkout"]
    while t < ctx.end:
        pod = ctx.rng.choice(dep.pods)
        ctx.app(
            pod,
            t,
            "error",
            "publish order event failed",
            function=fn,
            error="TooManyRequestsException: Rate Exceeded.",
            retry_in_ms=ctx.rng.choice((200, 400, 800)),
        )
        if ctx.rng.random() < 0.3:
            ctx.cloudtrail(
                t + NS,
                event_source="lambda.amazonaws.com",
                event_name="Invoke",
                user_type="AssumedRole",
                principal="checkout-irsa",
                access_key="ASIA" + _trace(ctx)[:16].upper(),
                source_ip=ctx.aws.nat_ip,
                user_agent="aws-sdk-go-v2/1.30.3",
                request={"functionName": fn},
                error_code="TooManyRequestsException",
                error_message="Rate Exceeded.",
            )
        t += int(ctx.rng.uniform(2, 7) * NS)
    ctx.metric(
        f"lambda/{fn}", "throttles", start=ctx.start + 45 * NS, end=ctx.end, op="add", value=40
    )
    ctx.metric(
        f"lambda/{fn}", "concurrent_executions", start=ctx.start, end=ctx.end, op="set", value=1
    )
    return Outcome(f"lambda_throttling:lambda/{fn}", [fn, "checkout", "ci-deploy"])


@scenario(
    "asg_capacity",
    category="aws",
    title="Node group capacity too low (ASG max reduced)",
    remediation="set_asg_capacity",
    minutes=10,
)
def asg_capacity(ctx: Injection) -> Outcome:
    aws = ctx.aws
    t = ctx.start
    _ct_user(
        ctx,
        t,
        "bob",
        "autoscaling.amazonaws.com",
        "UpdateAutoScalingGroup",
        request={"autoScalingGroupName": aws.asg, "maxSize": 3, "desiredCapacity": 3},
    )
    gone = ctx.topo.nodes[3]
    _ct_user(
        ctx,
        t + 20 * NS,
        "bob",
        "autoscaling.amazonaws.com",
        "TerminateInstanceInAutoScalingGroup",
        request={"instanceId": gone.instance_id, "shouldDecrementDesiredCapacity": True},
    )
    tn = t + 80 * NS
    ctx.event(
        tn,
        kind="Node",
        name=gone.name,
        namespace="default",
        uid=gone.instance_id,
        reason="NodeNotReady",
        message=f"Node {gone.name} status is now: NodeNotReady",
        component="node-controller",
    )
    moved = [p for p in ctx.topo.pods() if p.node.name == gone.name]
    for i, pod in enumerate(moved):
        ctx.silence(pod, tn, ctx.world.t_end)
        ctx.pod_event(
            tn + (30 + i) * NS,
            pod,
            "TaintManagerEviction",
            f"Marking for deletion Pod {pod.namespace}/{pod.name}",
            type_="Normal",
            component="taint-controller",
        )
        pending = ctx.new_pod(pod.deployment)
        ctx.involve(pod.name, pending.name)
        tt = tn + (40 + i) * NS
        count = 0
        while tt < ctx.end:
            count += 1
            ctx.pod_event(
                tt,
                pending,
                "FailedScheduling",
                "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are "
                "available: 3 No preemption victims found for incoming pod.",
                component="default-scheduler",
                count=count,
            )
            ctx.pod_event(
                tt + NS,
                pending,
                "NotTriggerScaleUp",
                f"pod didn't trigger scale-up: 1 max node group size reached ({aws.asg})",
                type_="Normal",
                component="cluster-autoscaler",
                count=count,
            )
            tt += 60 * NS
    ctx.metric(
        f"asg/{aws.asg}", "desired_capacity", start=t, end=ctx.world.t_end, op="set", value=3
    )
    ctx.metric(f"asg/{aws.asg}", "max_size", start=t, end=ctx.world.t_end, op="set", value=3)
    return Outcome(f"asg_capacity:asg/{aws.asg}", [aws.asg, gone.name, gone.instance_id])
