"""RBAC is enforced, so least privilege can be proven with `kubectl auth can-i --as`."""

from __future__ import annotations

import time

import pytest

from tests.support.envtest import EnvTest

pytestmark = pytest.mark.envtest


def _can_i(envtest: EnvTest, *args: str) -> str:
    result = envtest.kubectl("auth", "can-i", *args, check=False)
    assert result.returncode in (0, 1), result.stderr  # 1 is a clean "no"
    return result.stdout.strip()


def _eventually_yes(envtest: EnvTest, *args: str, timeout: float = 30.0) -> None:
    """RBAC's authorizer learns of a new binding through a watch: poll, with a deadline."""
    deadline = time.monotonic() + timeout
    while _can_i(envtest, *args) != "yes":
        assert time.monotonic() < deadline, f"never allowed: {args}"
        time.sleep(0.1)


def test_service_account_is_denied_until_bound(envtest: EnvTest, envtest_namespace: str) -> None:
    ns = envtest_namespace
    account = f"system:serviceaccount:{ns}:reader"
    envtest.kubectl("create", "serviceaccount", "reader", "-n", ns)

    assert _can_i(envtest, "list", "configmaps", "-n", ns, f"--as={account}") == "no"

    envtest.kubectl(
        "create", "role", "cm-reader", "--verb=get,list", "--resource=configmaps", "-n", ns
    )
    envtest.kubectl(
        "create",
        "rolebinding",
        "cm-reader",
        "--role=cm-reader",
        f"--serviceaccount={ns}:reader",
        "-n",
        ns,
    )

    _eventually_yes(envtest, "list", "configmaps", "-n", ns, f"--as={account}")
    assert _can_i(envtest, "delete", "configmaps", "-n", ns, f"--as={account}") == "no"
    assert _can_i(envtest, "list", "configmaps", "-n", "default", f"--as={account}") == "no"


def test_client_certificate_identity_is_subject_to_rbac(
    envtest: EnvTest, envtest_namespace: str
) -> None:
    ns = envtest_namespace
    account = f"system:serviceaccount:{ns}:viewer"
    as_viewer = envtest.kubeconfig_for(
        account, groups=("system:serviceaccounts", f"system:serviceaccounts:{ns}")
    )

    denied = envtest.kubectl("get", "configmaps", "-n", ns, kubeconfig=as_viewer, check=False)
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr

    envtest.kubectl("create", "serviceaccount", "viewer", "-n", ns)
    # A Role of our own: the aggregated ClusterRoles (view, edit, admin) stay empty without
    # controller-manager's aggregation controller.
    envtest.kubectl("create", "role", "cm-viewer", "--verb=list", "--resource=configmaps", "-n", ns)
    envtest.kubectl(
        "create",
        "rolebinding",
        "cm-viewer",
        "--role=cm-viewer",
        f"--serviceaccount={ns}:viewer",
        "-n",
        ns,
    )
    deadline = time.monotonic() + 30
    while envtest.kubectl(
        "get", "configmaps", "-n", ns, kubeconfig=as_viewer, check=False
    ).returncode:
        assert time.monotonic() < deadline, "the binding never took effect"
        time.sleep(0.1)


def test_token_request_works_without_controller_manager(
    envtest: EnvTest, envtest_namespace: str
) -> None:
    ns = envtest_namespace
    envtest.kubectl("create", "serviceaccount", "bot", "-n", ns)
    token = envtest.kubectl("create", "token", "bot", "-n", ns).stdout.strip()

    empty = envtest.workdir / "empty.kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\n")
    whoami = envtest.kubectl(
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username}",
        f"--server={envtest.server}",
        f"--certificate-authority={envtest.ca_cert}",
        f"--token={token}",
        kubeconfig=empty,
    )
    assert whoami.stdout == f"system:serviceaccount:{ns}:bot"
