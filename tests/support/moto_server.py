"""A real AWS API emulator for tests: moto's server on a free loopback port.

Why a server rather than ``mock_aws``: the remediation backend must be exercised through
boto3's real HTTP stack (signing, serialisation, ``endpoint_url``, error parsing), exactly as
it runs against AWS. The server runs as a child process (its own interpreter, so its state and
warnings cannot leak into the test process) for the whole session; each test gets a clean
world through moto's reset endpoint.

Credentials are dummy values passed explicitly to the boto3 session: nothing reads or changes
``os.environ``.

Fixtures: ``moto_server`` (session: the endpoint URL), ``aws_session`` (a boto3 session with
dummy credentials, world reset for the test), ``aws_clients`` (:class:`AwsClients` on it).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["MotoServer", "aws_clients", "aws_session", "moto_server", "running_moto_server"]

REGION = "us-east-1"
STARTUP_TIMEOUT_SECONDS = 60.0
#: Not AWS's: moto accepts any key, and this one must not look like a real credential.
DUMMY_ACCESS_KEY = "AKIAMOTOTESTDUMMY000"
DUMMY_SECRET_KEY = "moto-test-secret"


@dataclass(frozen=True)
class MotoServer:
    endpoint_url: str

    def reset(self) -> None:
        """Forget every resource (moto's own reset API)."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running_moto_server() -> Iterator[MotoServer]:
    """Start ``python -m moto.server`` on loopback, wait until it answers, stop it after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="logswarm-moto-") as workdir:
        log_path = Path(workdir) / "moto.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
                while not _ready(url):
                    if process.poll() is not None:
                        tail = log_path.read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"moto server exited early:\n{tail}")
                    if time.monotonic() > deadline:
                        raise RuntimeError("moto server did not answer within the deadline")
                    # Polling a child's readiness, not synchronising test logic.
                    time.sleep(0.1)
                yield MotoServer(endpoint_url=url)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with running_moto_server() as server:
        yield server


@pytest.fixture
def aws_session(moto_server: MotoServer) -> object:
    """A boto3 session with dummy credentials, against a freshly reset moto world."""
    import boto3

    moto_server.reset()
    return boto3.session.Session(
        aws_access_key_id=DUMMY_ACCESS_KEY,
        aws_secret_access_key=DUMMY_SECRET_KEY,
        region_name=REGION,
    )


@pytest.fixture
def aws_clients(aws_session: object, moto_server: MotoServer) -> object:
    from logswarm.remediation.aws import AwsClients

    return AwsClients.from_session(aws_session, endpoint_url=moto_server.endpoint_url)  # type: ignore[arg-type]
