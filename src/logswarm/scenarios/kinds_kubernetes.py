"""More Kubernetes and application fault kinds for the scenario suite (issue 4, point 8).

Why a second module: :mod:`.catalogue` holds the first kinds and the shared symptom helpers;
this one grows the table to the suite's size without touching the injectors the built-in demo
uses (their random draws, and so the demo's bytes, stay as they were). Each injector writes the
root cause first, then what the service itself, the kubelet, the events stream, its callers and
the metrics see, and adds one unlabelled red herring (:func:`red_herring`) so that the incident
is not the only odd thing in its window.
"""

from __future__ import annotations

from logswarm.scenarios.catalogue import Outcome, _ct_user, _restart_events, caller_errors, scenario
from logswarm.scenarios.engine import Injection
from logswarm.scenarios.formats import NS

__all__ = ["red_herring"]


def red_herring(ctx: Injection, *, avoid: str) -> None:
    """One benign oddity inside the incident window, written as *unlabelled* background.

    The kinds: a routine rollout of another deployment, a single readiness-probe blip on a
    healthy pod, an AccessDenied by the CI user on a harmless call, a lone internet scanner
    rejected on one port. ``avoid`` is the culprit's deployment (never blamed by the herring).
    """
    names = [d for d in ("frontend", "catalog", "cart", "checkout", "payment") if d != avoid]
    dep = ctx.topo.deployments[ctx.rng.choice(names)]
    t = ctx.jitter(ctx.start, max(1.0, (ctx.end - ctx.start) / NS * 0.8))
    kind = ctx.rng.randrange(4)
    with ctx.unlabelled():
        if kind == 0:
            ctx.event(
                t,
                kind="Deployment",
                name=dep.name,
                namespace=dep.namespace,
                uid=dep.pods[0].uid,
                type_="Normal",
                reason="ScalingReplicaSet",
                message=f"Scaled up replica set {dep.name}-{dep.rs_hash} to {dep.replicas}",
                component="deployment-controller",
            )
        elif kind == 1:
            pod = ctx.rng.choice(dep.pods)
            ctx.pod_event(
                t,
                pod,
                "Unhealthy",
                'Readiness probe failed: Get "http://'
                f'{pod.ip}:{dep.port}/healthz": context deadline exceeded',
            )
        elif kind == 2:
            _ct_user(
                ctx,
                t,
                "ci-deploy",
                "ecr.amazonaws.com",
                "DescribeImages",
                request={"repositoryName": f"shop/{dep.name}"},
                error_code="AccessDeniedException",
                error_message="User is not authorized to perform: ecr:DescribeImages",
                read_only=True,
            )
        else:
            aws = ctx.aws
            ctx.flow(
                t,
                eni=aws.lb_eni,
                src=f"167.94.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(2, 250)}",
                dst=aws.lb_ip,
                sport=ctx.rng.randint(32768, 60999),
                dport=ctx.rng.choice((23, 3389, 8443)),
                packets=1,
                size=44,
                action="REJECT",
            )


def _every(ctx: Injection, start: int, end: int, lo: float, hi: float) -> list[int]:
    out: list[int] = []
    t = start
    while t < end:
        out.append(t)
        t += int(ctx.rng.uniform(lo, hi) * NS)
    return out


# -- databases -----------------------------------------------------------------------------------


@scenario(
    "replication_lag",
    category="kubernetes",
    title="Postgres streaming replica lagging (WAL replay stalled)",
    remediation="delete_pod",
    minutes=10,
)
def replication_lag(ctx: Injection) -> Outcome:
    replica = ctx.new_pod("orders-db", background_from=ctx.world.t_start)
    primary = ctx.topo.deployments["orders-db"].pods[0]
    t = ctx.start
    ctx.app(
        replica,
        t,
        "warn",
        "terminating walreceiver due to timeout",
    )
    ctx.app(
        replica,
        t + NS,
        "error",
        "could not receive data from WAL stream: server closed the connection unexpectedly",
    )
    lag = 5.0
    for i, tt in enumerate(_every(ctx, t + 20 * NS, ctx.end, 15, 30)):
        lag += ctx.rng.uniform(20, 45)
        ctx.app(
            replica,
            tt,
            "warn",
            f"recovery is replaying WAL slowly: replication lag {lag:.0f} seconds behind primary "
            f"(replay_lsn 3/A{i:02d}F1D28)",
        )
        if i % 3 == 0:
            ctx.app(
                primary,
                tt + NS,
                "warn",
                f'replication slot "orders_db_1" has retained {1 + i // 3} GB of WAL; '
                f"standby {replica.name} is not keeping up",
            )
    catalog = ctx.topo.deployments["catalog"]
    ctx.involve("catalog")
    for tt in _every(ctx, t + 60 * NS, ctx.end, 6, 14):
        pod = ctx.rng.choice(catalog.pods)
        ctx.app(
            pod,
            tt,
            "warn",
            f"stale read from replica {replica.name}: product stock differs from primary",
            logger="catalog.inventory",
        )
    ctx.metric("orders-db", "replication_lag_seconds", start=t, end=ctx.end, op="ramp", value=lag)
    ctx.metric("catalog", "error_rate", start=t + 60 * NS, end=ctx.end, op="add", value=0.03)
    red_herring(ctx, avoid="orders-db")
    return Outcome(f"replication_lag:pod/{replica.name}", [replica.name, "orders-db"])


@scenario(
    "secret_rotation_failure",
    category="kubernetes",
    title="Database password rotated, pods still use the old secret",
    remediation="restart_deployment",
    minutes=10,
)
def secret_rotation_failure(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["payment"]
    db = ctx.topo.deployments["orders-db"].pods[0]
    t = ctx.start
    ctx.cloudtrail(
        t,
        event_source="secretsmanager.amazonaws.com",
        event_name="RotateSecret",
        user_type="AssumedRole",
        principal="lambda-exec",
        access_key="ASIA" + f"{ctx.rng.getrandbits(80):020X}"[:16],
        source_ip="secretsmanager.amazonaws.com",
        user_agent="secretsmanager.amazonaws.com",
        request={"secretId": "prod/orders-db/payment"},
    )
    ctx.app(db, t + 30 * NS, "info", 'parameter "password" changed for role "payment"')
    for tt in _every(ctx, t + 45 * NS, ctx.end, 2, 5):
        pod = ctx.rng.choice(dep.pods)
        ctx.app(
            db,
            tt,
            "error",
            f'password authentication failed for user "payment" (client {pod.ip})',
        )
        ctx.app(
            pod,
            tt + 20_000_000,
            "error",
            "HikariPool-1 - Exception during pool initialization: org.postgresql.util."
            'PSQLException: FATAL: password authentication failed for user "payment"',
            logger="com.zaxxer.hikari.pool.HikariPool",
        )
    caller_errors(
        ctx, "payment", t + 60 * NS, ctx.end, every_s=9.0, error="500", status=502, depth=2
    )
    ctx.metric("payment", "error_rate", start=t + 45 * NS, end=ctx.end, op="add", value=0.6)
    red_herring(ctx, avoid="payment")
    return Outcome(
        "secret_rotation:deployment/payment",
        ["payment", "orders-db", "prod/orders-db/payment"] + [p.name for p in dep.pods],
    )


@scenario(
    "rds_failover",
    category="kubernetes",
    title="Stale connections after a database failover (JVM DNS cache)",
    remediation="restart_deployment",
    minutes=10,
)
def rds_failover(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["payment"]
    t = ctx.start
    ctx.cloudtrail(
        t,
        event_source="rds.amazonaws.com",
        event_name="RebootDBInstance",
        user_type="IAMUser",
        principal="svc-backup",
        access_key=ctx.aws.user("svc-backup").access_key,
        source_ip=ctx.aws.user("svc-backup").home_ip,
        user_agent=ctx.aws.user("svc-backup").user_agent,
        request={"dBInstanceIdentifier": "shop-ledger", "forceFailover": True},
    )
    for svc in ("cart", "catalog"):
        pod = ctx.topo.deployments[svc].pods[0]
        ctx.involve(svc)
        ctx.app(
            pod,
            t + 20 * NS,
            "warn",
            "ledger db connection reset, reconnecting",
            **({"error": "read: connection reset by peer"} if svc == "cart" else {}),
        )
        ctx.app(pod, t + 35 * NS, "info", "ledger db reconnected", host="shop-ledger.rds")
    for tt in _every(ctx, t + 30 * NS, ctx.end, 2, 6):
        pod = ctx.rng.choice(dep.pods)
        ctx.app(
            pod,
            tt,
            "error",
            "HikariPool-2 - Failed to validate connection org.postgresql.jdbc.PgConnection@"
            f"{ctx.rng.getrandbits(28):x} (cannot execute UPDATE in a read-only transaction). "
            "Possibly consider using a shorter maxLifetime value.",
            logger="com.zaxxer.hikari.pool.PoolBase",
        )
    caller_errors(
        ctx, "payment", t + 40 * NS, ctx.end, every_s=10.0, error="500", status=502, depth=1
    )
    ctx.metric("payment", "error_rate", start=t + 30 * NS, end=ctx.end, op="add", value=0.4)
    red_herring(ctx, avoid="payment")
    return Outcome(
        "stale_connections:deployment/payment",
        ["payment", "shop-ledger"] + [p.name for p in dep.pods],
    )


# -- configuration and rollout -------------------------------------------------------------------


@scenario(
    "config_map_typo",
    category="kubernetes",
    title="ConfigMap typo breaks a service on reload",
    remediation="rollback_deployment",
    minutes=10,
)
def config_map_typo(ctx: Injection) -> Outcome:
    t = ctx.start
    new_hash = ctx.topo.new_rs_hash()
    pod = ctx.new_pod("checkout", rs_hash=new_hash)
    ctx.event(
        t + 2 * NS,
        kind="Deployment",
        name="checkout",
        namespace="shop",
        uid=pod.uid,
        type_="Normal",
        reason="ScalingReplicaSet",
        message=f"Scaled up replica set checkout-{new_hash} to 1",
        component="deployment-controller",
    )
    first = t + 8 * NS
    tt = first
    restarts = 0
    while tt < ctx.end:
        ctx.app(pod, tt, "info", "loading configuration", path="/etc/checkout/config.yaml")
        ctx.app(
            pod,
            tt + 100_000_000,
            "error",
            "invalid configuration in configmap checkout-config",
            error="yaml: unmarshal errors: line 14: field paymnet_timeout_ms not found",
        )
        ctx.raw(pod, tt + 110_000_000, "config error: refusing to start", stream="stderr")
        restarts += 1
        _restart_events(ctx, pod, tt + 2 * NS, restarts=restarts, first=first)
        tt += int(min(10 * 2**restarts, 300) * NS)
    ctx.metric("checkout", "restarts", start=first, end=ctx.end, op="count", value=0.3)
    red_herring(ctx, avoid="checkout")
    return Outcome("config_error:deployment/checkout", ["checkout", "checkout-config", pod.name])


@scenario(
    "pending_pods_requests_too_high",
    category="kubernetes",
    title="New pods Pending: CPU requests raised beyond any node",
    remediation="patch_resources",
    minutes=10,
)
def pending_pods_requests_too_high(ctx: Injection) -> Outcome:
    new_hash = ctx.topo.new_rs_hash()
    pod = ctx.new_pod("catalog", rs_hash=new_hash)
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
    for count, tt in enumerate(_every(ctx, t + 3 * NS, ctx.end, 50, 70), start=1):
        ctx.pod_event(
            tt,
            pod,
            "FailedScheduling",
            "0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: "
            "4 No preemption victims found for incoming pod. (container catalog requests "
            "cpu=6, memory=2Gi)",
            component="default-scheduler",
            count=count,
        )
        ctx.pod_event(
            tt + NS,
            pod,
            "NotTriggerScaleUp",
            "pod didn't trigger scale-up: 1 Insufficient cpu (requests exceed any node's "
            "allocatable in deployment=catalog)",
            type_="Normal",
            component="cluster-autoscaler",
            count=count,
        )
    ctx.event(
        t + 600 * NS,
        kind="Deployment",
        name="catalog",
        namespace="shop",
        uid=pod.uid,
        reason="ProgressDeadlineExceeded",
        message=f'ReplicaSet "catalog-{new_hash}" has timed out progressing.',
        component="deployment-controller",
    )
    ctx.metric("catalog", "pending_pods", start=t, end=ctx.end, op="set", value=1)
    red_herring(ctx, avoid="catalog")
    return Outcome("unschedulable:deployment/catalog", ["catalog", pod.name])


# -- capacity and resources ----------------------------------------------------------------------


@scenario(
    "hpa_maxed_out",
    category="kubernetes",
    title="HorizontalPodAutoscaler at maxReplicas under load",
    remediation="scale_deployment",
    minutes=12,
)
def hpa_maxed_out(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["catalog"]
    t = ctx.start
    for i, n in enumerate((3, 4)):
        ctx.event(
            t + i * 60 * NS,
            kind="HorizontalPodAutoscaler",
            name="catalog",
            namespace="shop",
            uid=dep.pods[0].uid,
            type_="Normal",
            reason="SuccessfulRescale",
            message=f"New size: {n}; reason: cpu resource utilization (percentage of request) "
            "above target",
            component="horizontal-pod-autoscaler",
        )
    for count, tt in enumerate(_every(ctx, t + 150 * NS, ctx.end, 60, 90), start=1):
        ctx.event(
            tt,
            kind="HorizontalPodAutoscaler",
            name="catalog",
            namespace="shop",
            uid=dep.pods[0].uid,
            reason="ScalingLimited",
            message="TooManyReplicas: the desired replica count (9) is more than the maximum "
            "replica count (4) for deployment=catalog",
            component="horizontal-pod-autoscaler",
            count=count,
        )
    for tt in _every(ctx, t + 120 * NS, ctx.end, 2, 5):
        pod = ctx.rng.choice(dep.pods)
        ctx.app(
            pod,
            tt,
            "warn",
            f"request queue saturated: {ctx.rng.randint(60, 200)} requests waiting for a worker, "
            f"p99={ctx.rng.randint(2, 9)}.{ctx.rng.randint(0, 9)}s",
            logger="gunicorn.error",
        )
    caller_errors(
        ctx,
        "catalog",
        t + 150 * NS,
        ctx.end,
        every_s=6.0,
        error="upstream timed out",
        status=504,
        depth=1,
    )
    ctx.metric("catalog", "cpu_millicores", start=t, end=ctx.end, op="set", value=1950)
    ctx.metric("catalog", "requests_per_second", start=t, end=ctx.end, op="mul", value=4)
    ctx.metric("catalog", "latency_p90_ms", start=t + 120 * NS, end=ctx.end, op="mul", value=20)
    ctx.metric("catalog", "hpa_desired_replicas", start=t, end=ctx.end, op="set", value=9)
    red_herring(ctx, avoid="catalog")
    return Outcome("hpa_maxed:deployment/catalog", ["catalog"] + [p.name for p in dep.pods])


@scenario(
    "memory_leak",
    category="kubernetes",
    title="Heap leak: garbage collector thrashing before any OOM kill",
    remediation="restart_deployment",
    minutes=12,
)
def memory_leak(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["payment"]
    pod = dep.pods[0]
    t = ctx.start
    heap = 1400
    for i, tt in enumerate(_every(ctx, t, ctx.end, 8, 16)):
        heap = min(2040, heap + ctx.rng.randint(8, 30))
        pause = 0.2 + i * 0.08
        ctx.app(
            pod,
            tt,
            "warn",
            f"GC pause (G1 Evacuation Pause) {heap}M->{heap - ctx.rng.randint(2, 9)}M(2048M) "
            f"{pause:.3f}s; heap after full GC still {heap * 100 // 2048}% used: possible memory leak",
            logger="c.a.payment.monitor.GcWatcher",
        )
        if i % 4 == 3:
            ctx.app(
                pod,
                tt + NS,
                "warn",
                f"Slow request POST /v1/charges took {int(pause * 1000) + 900}ms (threshold 1000ms)",
                logger="c.a.payment.web.SlowRequestFilter",
            )
    caller_errors(
        ctx,
        "payment",
        t + 240 * NS,
        ctx.end,
        every_s=14.0,
        error="context deadline exceeded",
        status=504,
        depth=1,
    )
    ctx.metric("payment", "memory_mib", start=t, end=ctx.end, op="ramp", value=2040)
    ctx.metric("payment", "gc_pause_seconds", start=t, end=ctx.end, op="ramp", value=6)
    red_herring(ctx, avoid="payment")
    return Outcome(f"memory_leak:pod/{pod.name}", [pod.name, "payment"])


@scenario(
    "thread_pool_starvation",
    category="kubernetes",
    title="Worker thread pool starved by a slow dependency",
    remediation="scale_deployment",
    minutes=10,
)
def thread_pool_starvation(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["payment"]
    t = ctx.start
    for tt in _every(ctx, t, ctx.end, 2, 6):
        pod = ctx.rng.choice(dep.pods)
        q = ctx.rng.randint(900, 1000)
        ctx.app(
            pod,
            tt,
            "error",
            "Task java.util.concurrent.FutureTask rejected from java.util.concurrent."
            f"ThreadPoolExecutor[Running, pool size = 200, active threads = 200, queued tasks = {q}]",
            logger="c.a.payment.async.ChargeExecutor",
        )
        if ctx.rng.random() < 0.25:
            ctx.app(
                pod,
                tt + NS,
                "warn",
                "thread pool exhausted: all 200 request threads busy, blocked on fraud-score call",
                logger="o.a.tomcat.util.threads.ThreadPoolExecutor",
            )
    caller_errors(
        ctx,
        "payment",
        t + 20 * NS,
        ctx.end,
        every_s=8.0,
        error="503 Service Unavailable",
        status=503,
        depth=2,
    )
    for k, tt in enumerate(range(t + 45 * NS, ctx.end, 100 * NS), start=1):
        pod = dep.pods[k % len(dep.pods)]
        ctx.pod_event(
            tt,
            pod,
            "Unhealthy",
            f'Liveness probe failed: Get "http://{pod.ip}:8080/actuator/health/liveness": '
            "context deadline exceeded",
            count=k,
        )
    ctx.metric("payment", "busy_threads", start=t, end=ctx.end, op="set", value=200)
    ctx.metric("payment", "latency_p90_ms", start=t, end=ctx.end, op="mul", value=12)
    red_herring(ctx, avoid="payment")
    return Outcome("thread_starvation:deployment/payment", ["payment"] + [p.name for p in dep.pods])


@scenario(
    "kafka_consumer_lag",
    category="kubernetes",
    title="Kafka consumer group falling behind",
    remediation="scale_deployment",
    minutes=12,
)
def kafka_consumer_lag(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["cart"]
    t = ctx.start
    lag = 1200
    for i, tt in enumerate(_every(ctx, t, ctx.end, 10, 20)):
        lag += ctx.rng.randint(3000, 9000)
        pod = dep.pods[i % len(dep.pods)]
        ctx.app(
            pod,
            tt,
            "warn",
            "consumer lag growing",
            group="cart-inventory-sync",
            topic="inventory-updates",
            partition=i % 6,
            lag=lag,
        )
        if i % 5 == 4:
            ctx.app(
                pod,
                tt + NS,
                "warn",
                "kafka: consumer group rebalancing, max.poll.interval.ms exceeded",
                group="cart-inventory-sync",
                member=f"{pod.name}-{ctx.rng.getrandbits(32):08x}",
            )
    catalog = ctx.topo.deployments["catalog"]
    ctx.involve("catalog")
    for tt in _every(ctx, t + 180 * NS, ctx.end, 20, 40):
        ctx.app(
            ctx.rng.choice(catalog.pods),
            tt,
            "warn",
            "inventory snapshot older than 10 minutes; cart totals may be stale",
            logger="catalog.inventory",
        )
    ctx.metric("cart", "consumer_lag_messages", start=t, end=ctx.end, op="ramp", value=lag)
    red_herring(ctx, avoid="cart")
    return Outcome("consumer_lag:deployment/cart", ["cart", "inventory-updates"])


@scenario(
    "noisy_neighbour",
    category="kubernetes",
    title="Noisy neighbour: a pod without CPU limits starves its node",
    remediation="patch_resources",
    minutes=10,
)
def noisy_neighbour(ctx: Injection) -> Outcome:
    hog = ctx.topo.deployments["catalog"].pods[0]
    node = hog.node
    t = ctx.start
    ctx.app(hog, t, "info", "starting full search reindex", workers=16, batch=5000)
    for tt in _every(ctx, t + 10 * NS, ctx.end, 20, 40):
        ctx.app(
            hog,
            tt,
            "info",
            f"reindex progress {ctx.rng.randint(1, 99)}%, cpu={ctx.rng.randint(3400, 3900)}m "
            "(no cpu limit set)",
            logger="catalog.search.reindex",
        )
    victims = [p for p in ctx.topo.pods() if p.node.name == node.name and p.name != hog.name]
    for tt in _every(ctx, t + 30 * NS, ctx.end, 30, 60):
        ctx.kubelet(
            node,
            tt,
            "warn",
            f'kubelet.go:2407] "Housekeeping took longer than expected" expected="1s" '
            f'actual="{ctx.rng.uniform(2, 6):.3f}s" node={node.name} cpu_pressure=some avg10=87.4',
        )
    for v in victims:
        ctx.involve(v.name)
        style = ctx.topo.deployments[v.deployment].style
        if style in ("coredns", "postgres"):
            continue
        for tt in _every(ctx, t + 40 * NS, ctx.end, 20, 40):
            ctx.app(
                v,
                tt,
                "warn",
                f"slow request took {ctx.rng.randint(1500, 5000)}ms (threshold 1000ms)",
            )
    ctx.metric(f"node/{node.name}", "cpu_percent", start=t, end=ctx.end, op="set", value=98)
    ctx.metric("catalog", "cpu_millicores", start=t, end=ctx.end, op="set", value=3700)
    red_herring(ctx, avoid="catalog")
    return Outcome(f"noisy_neighbour:pod/{hog.name}", [hog.name, "catalog", node.name])


@scenario(
    "node_memory_pressure",
    category="kubernetes",
    title="Node memory pressure and evictions (leaking node daemon)",
    remediation="cordon_node",
    minutes=10,
)
def node_memory_pressure(ctx: Injection) -> Outcome:
    node = ctx.topo.nodes[2]
    t = ctx.start
    for k in range(5):
        ctx.syslog(
            node,
            t + k * 25 * NS,
            "fluent-bit",
            "warn",
            f"[engine] memory buffer limit reached for input tail.0 (mem_buf_limit exceeded), "
            f"rss={1100 + 380 * k}Mi",
        )
        ctx.kubelet(
            node,
            t + k * 25 * NS + NS,
            "warn",
            f'eviction_manager.go:258] "Eviction manager: node memory available below soft '
            f'threshold" available="{900 - 160 * k}Mi" threshold="1Gi"',
        )
    ctx.event(
        t + 130 * NS,
        kind="Node",
        name=node.name,
        namespace="default",
        uid=node.instance_id,
        type_="Normal",
        reason="NodeHasInsufficientMemory",
        message=f"Node {node.name} status is now: NodeHasInsufficientMemory",
        host=node.name,
    )
    ctx.kubelet(
        node,
        t + 132 * NS,
        "warn",
        'eviction_manager.go:366] "Eviction manager: attempting to reclaim" resourceName="memory"',
    )
    victims = [
        p for p in ctx.topo.pods() if p.node.name == node.name and p.deployment != "orders-db"
    ]
    for i, pod in enumerate(victims):
        te = t + (150 + 20 * i) * NS
        ctx.pod_event(
            te,
            pod,
            "Evicted",
            "The node was low on resource: memory. Threshold quantity: 100Mi, available: 61Mi. "
            f"Container {pod.container} was using 310Mi, request is 128Mi.",
        )
        ctx.silence(pod, te, ctx.world.t_end)
        repl = ctx.new_pod(pod.deployment, background_from=te + 20 * NS)
        ctx.involve(pod.name, repl.name)
    ctx.metric(f"node/{node.name}", "memory_percent", start=t, end=ctx.end, op="ramp", value=97)
    red_herring(ctx, avoid="orders-db")
    return Outcome(f"memory_pressure:node/{node.name}", [node.name])


@scenario(
    "clock_skew",
    category="kubernetes",
    title="Clock skew on one node breaks token and TLS validation",
    remediation="cordon_node",
    minutes=10,
)
def clock_skew(ctx: Injection) -> Outcome:
    node = ctx.topo.nodes[0]
    t = ctx.start
    ctx.syslog(node, t, "chronyd", "warn", "Can't synchronise: no selectable sources")
    ctx.syslog(
        node,
        t + 60 * NS,
        "chronyd",
        "warn",
        "System clock wrong by 94.381235 seconds, adjustment started",
    )
    pods = [
        p
        for p in ctx.topo.pods()
        if p.node.name == node.name and ctx.topo.deployments[p.deployment].style in ("json", "java")
    ]
    for tt in _every(ctx, t + 90 * NS, ctx.end, 4, 10):
        if not pods:
            break
        pod = ctx.rng.choice(pods)
        ctx.involve(pod.name)
        if ctx.topo.deployments[pod.deployment].style == "json":
            ctx.app(
                pod,
                tt,
                "error",
                f"token validation failed: jwt: token used before issued (iat skew 94s) "
                f"node={node.name}",
            )
        else:
            ctx.app(
                pod,
                tt,
                "error",
                "javax.net.ssl.SSLHandshakeException: certificate is not yet valid "
                f"(NotBefore after local clock; host clock skewed) node={node.name}",
                logger="c.a.payment.psp.StripeClient",
            )
    ctx.metric(
        f"node/{node.name}", "clock_offset_seconds", start=t, end=ctx.end, op="ramp", value=94
    )
    red_herring(ctx, avoid="")
    return Outcome(f"clock_skew:node/{node.name}", [node.name])


@scenario(
    "eks_node_not_ready",
    category="kubernetes",
    title="EKS node NotReady: container runtime down",
    remediation="cordon_node",
    minutes=10,
)
def eks_node_not_ready(ctx: Injection) -> Outcome:
    node = ctx.topo.nodes[3]
    t = ctx.start
    ctx.syslog(
        node,
        t,
        "containerd",
        "error",
        f'time="{_iso(t)}" level=error msg="failed to handle event" error="context deadline exceeded"',
    )
    ctx.syslog(
        node,
        t + 5 * NS,
        "systemd",
        "error",
        "containerd.service: Main process exited, code=killed, status=9/KILL",
    )
    for k, tt in enumerate(_every(ctx, t + 10 * NS, t + 200 * NS, 15, 25)):
        ctx.kubelet(
            node,
            tt,
            "error",
            'kubelet.go:2862] "Container runtime not ready" runtimeReady="RuntimeReady=false '
            'reason:NetworkPluginNotReady message:runtime is down"',
        )
        if k % 2 == 0:
            ctx.kubelet(
                node,
                tt + NS,
                "error",
                f'kubelet.go:2458] "Skipping pod synchronization" err="PLEG is not healthy: pleg '
                f'was last seen active {3 + k}m0s ago; threshold is 3m0s" node={node.name}',
            )
    tn = t + 60 * NS
    ctx.event(
        tn,
        kind="Node",
        name=node.name,
        namespace="default",
        uid=node.instance_id,
        reason="NodeNotReady",
        message=f"Node {node.name} status is now: NodeNotReady",
        component="node-controller",
    )
    for i, pod in enumerate(p for p in ctx.topo.pods() if p.node.name == node.name):
        ctx.silence(pod, t, ctx.world.t_end)
        ctx.pod_event(
            tn + (300 + i) * NS,
            pod,
            "TaintManagerEviction",
            f"Marking for deletion Pod {pod.namespace}/{pod.name}",
            type_="Normal",
            component="taint-controller",
        )
        ctx.involve(pod.name)
    ctx.metric(f"node/{node.name}", "ready", start=tn, end=ctx.end, op="set", value=0)
    red_herring(ctx, avoid="")
    return Outcome(f"node_not_ready:node/{node.name}", [node.name, node.instance_id])


def _iso(t: int) -> str:
    from logswarm.scenarios.formats import iso_ns

    return iso_ns(t)


# -- network from inside the cluster -------------------------------------------------------------


@scenario(
    "upstream_rate_limited",
    category="kubernetes",
    title="Rate limited by an upstream API after a retry storm",
    remediation="scale_deployment",
    minutes=10,
)
def upstream_rate_limited(ctx: Injection) -> Outcome:
    dep = ctx.topo.deployments["checkout"]
    t = ctx.start
    for tt in _every(ctx, t, ctx.end, 1, 3):
        pod = ctx.rng.choice(dep.pods)
        ctx.app(
            pod,
            tt,
            "warn",
            "upstream rate limit hit",
            upstream="api.shipping-partner.example",
            status=429,
            error="429 Too Many Requests",
            retry_after_s=ctx.rng.choice((1, 2, 5)),
            attempt=ctx.rng.randint(1, 6),
        )
    caller_errors(
        ctx,
        "checkout",
        t + 40 * NS,
        ctx.end,
        every_s=10.0,
        error="shipping quote unavailable",
        status=503,
        depth=1,
    )
    aws = ctx.aws
    partner = f"104.18.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(2, 250)}"
    for tt in _every(ctx, t, ctx.end, 4, 9):
        ctx.flow(
            tt,
            eni=aws.nat_eni,
            src=aws.nat_ip,
            dst=partner,
            sport=ctx.rng.randint(1024, 65535),
            dport=443,
            packets=ctx.rng.randint(8, 14),
            size=ctx.rng.randint(1500, 4000),
            seconds=1,
        )
    ctx.metric("checkout", "upstream_429_per_s", start=t, end=ctx.end, op="add", value=35)
    ctx.metric("checkout", "error_rate", start=t, end=ctx.end, op="add", value=0.08)
    red_herring(ctx, avoid="checkout")
    return Outcome(
        "upstream_rate_limit:deployment/checkout",
        ["checkout", "api.shipping-partner.example", partner] + [p.name for p in dep.pods],
    )
